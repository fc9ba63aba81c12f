package listener

import (
	"net"
	"reflect"
	"unsafe"
)

// noAcceptKeepAlive stops Go from turning on TCP keep-alive probes (with
// its own 15 s idle time) on every connection ln accepts: haproxy leaves
// accepted sockets alone unless "option clitcpka" asks for probes, and the
// four setsockopt calls per connection are a measurable share of a short
// connection's cost.
//
// A listener made by net.FileListener (every socket here: we create and
// configure the socket ourselves, or inherit it) carries a zero
// ListenConfig, which means "keep-alive on"; there is no exported way to
// change it, so the field is set through reflection, checked by type. If a
// future Go changes the layout, nothing is written and accepted connections
// keep Go's default. It reports whether keep-alive is now off.
func noAcceptKeepAlive(ln net.Listener) bool {
	tl, ok := ln.(*net.TCPListener)
	if !ok || tl == nil {
		return false
	}
	f := reflect.ValueOf(tl).Elem().FieldByName("lc")
	if !f.IsValid() || f.Type() != reflect.TypeOf(net.ListenConfig{}) || !f.CanAddr() {
		return false
	}
	lc := (*net.ListenConfig)(unsafe.Pointer(f.UnsafeAddr()))
	lc.KeepAlive = -1
	return true
}
