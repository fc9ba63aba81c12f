package main

import (
	"net"
	"os"
	"strconv"
)

// sdNotifier sends systemd's service notifications (sd_notify(3)) to
// $NOTIFY_SOCKET, as keepalived does under Type=notify: READY=1 once
// started, RELOADING=1 then READY=1 around a reload, STOPPING=1 on stop.
// Without $NOTIFY_SOCKET it does nothing. keepalived also requires its
// parent to be systemd as pid 1; gokeepalived trusts $NOTIFY_SOCKET alone,
// which only a supervisor that wants the notifications sets.
type sdNotifier struct {
	addr *net.UnixAddr
}

// newSDNotifier reads $NOTIFY_SOCKET (a path, or "@name" for an abstract
// socket) and unsets it so that scripts we run do not inherit it.
func newSDNotifier() *sdNotifier {
	p := os.Getenv("NOTIFY_SOCKET")
	if p == "" {
		return &sdNotifier{}
	}
	os.Unsetenv("NOTIFY_SOCKET")
	if p[0] == '@' {
		p = "\x00" + p[1:]
	}
	return &sdNotifier{addr: &net.UnixAddr{Name: p, Net: "unixgram"}}
}

// send writes one notification; systemd not listening is not an error
// worth stopping for, so the error is only returned for logging.
func (s *sdNotifier) send(state string) error {
	if s == nil || s.addr == nil {
		return nil
	}
	c, err := net.DialUnix("unixgram", nil, s.addr)
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.Write([]byte(state))
	return err
}

// sdReady is keepalived's readiness message.
func sdReady() string { return "READY=1\nMAINPID=" + strconv.Itoa(os.Getpid()) }
