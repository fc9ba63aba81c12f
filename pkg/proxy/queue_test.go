package proxy

import (
	"context"
	"errors"
	"testing"
)

func queueBackend(t *testing.T, servers string) *backend {
	t.Helper()
	cfg := load(t, "defaults\n  mode tcp\n  timeout client 1s\n  timeout server 1s\n  timeout connect 1s\nbackend b\n"+servers+
		"frontend fe\n  bind 127.0.0.1:8443\n  maxconn 100\n  default_backend b\n")
	rt, err := New(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return rt.backends["b"]
}

func granted(c *claim) *server {
	select {
	case <-c.p.ready:
		return c.p.got
	default:
		return nil
	}
}

// TestQueueOrder: a freed slot goes to the older of the server's queue
// head and the backend's queue head.
func TestQueueOrder(t *testing.T) {
	be := queueBackend(t, "  server s1 127.0.0.1:1 maxconn 1\n  server s2 127.0.0.1:2 maxconn 1\n")
	s1, s2 := be.servers[0], be.servers[1]
	c1 := be.pick(addrPort(nil))
	c2 := be.pick(addrPort(nil))
	if c1.srv != s1 || c2.srv != s2 {
		t.Fatalf("first picks: %v %v", c1.srv, c2.srv)
	}
	c3 := be.pick(addrPort(nil)) // all full: backend queue
	c4 := be.claim(be.key(addrPort(nil), nil), s1)
	if c3.p == nil || c3.p.on != nil || c4.p == nil || c4.p.on != s1 {
		t.Fatalf("want c3 in the backend's queue and c4 in s1's: %+v %+v", c3, c4)
	}
	be.release(s1)
	if got := granted(c3); got != s1 {
		t.Fatalf("slot of s1 went to %v, want the older c3", got)
	}
	if granted(c4) != nil {
		t.Fatal("c4 granted too early")
	}
	be.release(s2) // nothing for s2: c4 is pinned on s1
	if granted(c4) != nil {
		t.Fatal("c4 granted a slot of s2")
	}
	be.release(s1)
	if got := granted(c4); got != s1 {
		t.Fatalf("c4 got %v, want s1", got)
	}
	if n := be.q.beconn.Load(); n != 1 {
		t.Fatalf("beconn %d, want 1", n)
	}
}

// TestQueueMaxqueueAndCancel: maxqueue refuses a pinned session; a wait
// that ends gives its place back.
func TestQueueMaxqueueAndCancel(t *testing.T) {
	be := queueBackend(t, "  server s1 127.0.0.1:1 maxconn 1 maxqueue 1\n")
	s1 := be.servers[0]
	be.claim(be.key(addrPort(nil), nil), s1)
	c2 := be.claim(be.key(addrPort(nil), nil), s1)
	c3 := be.claim(be.key(addrPort(nil), nil), s1)
	if c2.p == nil || !IsQueueError(c3.err) {
		t.Fatalf("want c2 queued and c3 refused: %+v %+v", c2, c3)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := be.wait(ctx, c2); !errors.Is(err, context.Canceled) {
		t.Fatalf("wait: %v", err)
	}
	if s1.q.waiting.Len() != 0 {
		t.Fatal("cancelled session still queued")
	}
	c4 := be.claim(be.key(addrPort(nil), nil), s1)
	if c4.p == nil {
		t.Fatal("queue place not given back")
	}
}

// TestDynamicMaxconn: between minconn and maxconn by beconn/fullconn.
func TestDynamicMaxconn(t *testing.T) {
	be := queueBackend(t, "  fullconn 10\n  server s1 127.0.0.1:1 minconn 2 maxconn 10\n")
	s1 := be.servers[0]
	for _, tc := range []struct{ beconn, want int }{{0, 2}, {3, 3}, {5, 5}, {10, 10}, {50, 10}} {
		be.q.beconn.Store(int64(tc.beconn))
		if got := be.dynMaxconn(s1); got != tc.want {
			t.Errorf("beconn %d: %d, want %d", tc.beconn, got, tc.want)
		}
	}
	be2 := queueBackend(t, "  server s1 127.0.0.1:1 minconn 2 maxconn 10\n")
	if be2.q.fullconn != 10 {
		t.Errorf("default fullconn %d, want 10 (a tenth of the frontend's maxconn 100)", be2.q.fullconn)
	}
}

// TestQueueServerDown: with "option redispatch", the sessions waiting
// for a server that goes down move to the backend's queue, where another
// server takes them; a server coming up takes from the backend's queue.
func TestQueueServerDown(t *testing.T) {
	be := queueBackend(t, "  balance source\n  option redispatch\n  server s1 127.0.0.1:1 maxconn 1\n  server s2 127.0.0.1:2 maxconn 1\n")
	k := be.key(addrPort(nil), nil)
	c1 := be.claim(k, nil)
	pinned := c1.srv
	other := be.servers[0]
	if other == pinned {
		other = be.servers[1]
	}
	c2 := be.claim(k, nil) // same key, same server: its queue
	if c2.p == nil || c2.p.on != pinned {
		t.Fatalf("c2 not queued on %s: %+v", pinned.name, c2)
	}
	be.claim(k, other) // other is busy too
	be.picker.algo.SetUp(be.picker.toB[pinned], false)
	be.serverStateChanged(pinned)
	if c2.p.on != nil || be.q.waiting.Len() != 1 {
		t.Fatal("c2 not moved to the backend's queue")
	}
	be.release(other)
	if got := granted(c2); got != other {
		t.Fatalf("c2 got %v, want %s", got, other.name)
	}
}
