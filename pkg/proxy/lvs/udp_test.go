package lvs

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// udpEcho answers every datagram with its name.
func udpEcho(t *testing.T, name string) netip.AddrPort {
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 1500)
		for {
			_, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			pc.WriteTo([]byte(name), from)
		}
	}()
	return pc.LocalAddr().(*net.UDPAddr).AddrPort()
}

func udpForwarder(t *testing.T, flags map[string]bool, dests ...netip.AddrPort) (*Forwarder, netip.AddrPort) {
	pc, _ := net.ListenPacket("udp4", "127.0.0.1:0")
	vip := pc.LocalAddr().(*net.UDPAddr).AddrPort()
	pc.Close()
	ctx, cancel := context.WithCancel(context.Background())
	fw := NewForwarder(ctx, ForwarderOptions{})
	t.Cleanup(func() { cancel(); fw.Wait() })
	s := &Service{Addrs: []netip.AddrPort{vip}, Protocol: "udp", Kind: "NAT", Algo: "rr", Flags: flags}
	if err := fw.AddService(s); err != nil {
		t.Fatal(err)
	}
	for _, d := range dests {
		fw.AddDest(s, &Dest{Addr: d}, 1)
	}
	return fw, vip
}

func udpAsk(t *testing.T, c *net.UDPConn) string {
	t.Helper()
	if _, err := c.Write([]byte("hi")); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 100)
	n, err := c.Read(buf)
	if err != nil {
		t.Fatalf("no reply through the forwarder: %v", err)
	}
	return string(buf[:n])
}

func TestUDPForwarderSessions(t *testing.T) {
	a, b := udpEcho(t, "A"), udpEcho(t, "B")
	_, vip := udpForwarder(t, map[string]bool{}, a, b)
	var got []string
	for i := 0; i < 2; i++ {
		c, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(vip))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		first := udpAsk(t, c)
		for j := 0; j < 3; j++ {
			if r := udpAsk(t, c); r != first {
				t.Fatalf("a UDP session moved from %s to %s", first, r)
			}
		}
		got = append(got, first)
	}
	if fmt.Sprint(got) != "[A B]" {
		t.Fatalf("two clients under rr got %v", got)
	}
}

func TestUDPForwarderOPS(t *testing.T) {
	a, b := udpEcho(t, "A"), udpEcho(t, "B")
	_, vip := udpForwarder(t, map[string]bool{"ops": true}, a, b)
	c, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(vip))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var got []string
	for i := 0; i < 4; i++ {
		got = append(got, udpAsk(t, c))
	}
	if fmt.Sprint(got) != "[A B A B]" {
		t.Fatalf("one-packet scheduling got %v", got)
	}
}

// TestStartReportsBusyAddress: a virtual address:port another program
// listens on is reported by Manager.Start, naming the virtual_server.
func TestStartReportsBusyAddress(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	vip := ln.Addr().(*net.TCPAddr).AddrPort()
	ctx, cancel := context.WithCancel(context.Background())
	fw := NewForwarder(ctx, ForwarderOptions{})
	defer func() { cancel(); fw.Wait() }()
	s := &Service{Addrs: []netip.AddrPort{vip}, Protocol: "tcp", Kind: "NAT", Algo: "rr"}
	s.Pos.File, s.Pos.Line = "/etc/keepalived/keepalived.conf", 7
	m := NewManager([]*Service{s}, Options{Table: fw})
	err = m.Start()
	if err == nil || !strings.Contains(err.Error(), "/etc/keepalived/keepalived.conf:7: virtual_server ["+vip.Addr().String()+"]:tcp:") || !strings.Contains(err.Error(), "cannot listen") {
		t.Fatalf("got %v", err)
	}
}
