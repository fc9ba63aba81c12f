package listener

import (
	"errors"
	"fmt"
	"net"
	"syscall"
	"testing"
	"time"
)

func TestPauseRefusesThenResumeAccepts(t *testing.T) {
	port := freePorts(t, 1)
	ls := openT(t, &Config{}, parseBind(t, fmt.Sprintf("127.0.0.1:%d", port)))
	l := ls[0]
	addr := l.Addr().String()
	accepted := make(chan error, 1)
	go func() {
		c, err := l.Accept()
		if err == nil {
			c.Close()
		}
		accepted <- err
	}()
	if ok, err := l.Pause(); !ok || err != nil {
		t.Fatalf("Pause() = %v, %v; want true, nil", ok, err)
	}
	if ok, _ := l.Pause(); ok {
		t.Fatal("a second Pause() reported a change")
	}
	if c, err := net.DialTimeout("tcp", addr, 5*time.Second); !errors.Is(err, syscall.ECONNREFUSED) {
		if c != nil {
			c.Close()
		}
		t.Fatalf("dial while paused: %v, want connection refused", err)
	}
	if ok, err := l.Resume(); !ok || err != nil {
		t.Fatalf("Resume() = %v, %v; want true, nil", ok, err)
	}
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial after Resume: %v", err)
	}
	defer c.Close()
	select {
	case err := <-accepted:
		if err != nil {
			t.Fatalf("Accept after Resume: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Accept did not return the connection made after Resume")
	}
}

func TestCloseWakesPausedAccept(t *testing.T) {
	port := freePorts(t, 1)
	l := openT(t, &Config{}, parseBind(t, fmt.Sprintf("127.0.0.1:%d", port)))[0]
	l.Pause()
	accepted := make(chan error, 1)
	go func() {
		_, err := l.Accept()
		accepted <- err
	}()
	l.Close()
	select {
	case err := <-accepted:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("Accept after Close = %v, want net.ErrClosed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not wake a paused Accept")
	}
}
