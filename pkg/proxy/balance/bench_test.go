package balance

import (
	"fmt"
	"testing"
)

func benchServers(n int) []*Server {
	var ss []*Server
	for i := 0; i < n; i++ {
		ss = append(ss, &Server{Name: fmt.Sprintf("s%d", i+1), Weight: 1 + i%7})
	}
	return ss
}

func BenchmarkPick(b *testing.B) {
	keys := make([]Key, 256)
	for i := range keys {
		keys[i] = SrcIPv4([4]byte{10, 1, byte(i / 16), byte(i)})
		keys[i].URI = fmt.Sprintf("/static/%d/file.js?user=u%d&x=1", i, i*7)
		keys[i].Value = fmt.Sprintf("www.host%d.example.com", i)
	}
	cfgs := []Config{
		{Algorithm: "roundrobin"},
		{Algorithm: "static-rr"},
		{Algorithm: "leastconn"},
		{Algorithm: "first"},
		{Algorithm: "random"},
		{Algorithm: "source"},
		{Algorithm: "source", Consistent: true, Avalanche: true},
		{Algorithm: "uri", Consistent: true, Func: DJB2},
		{Algorithm: "url_param", Param: "user", Func: WT6},
		{Algorithm: "hdr", UseDomainOnly: true, Func: CRC32},
	}
	for _, n := range []int{4, 32} {
		for _, c := range cfgs {
			name := c.Algorithm
			if c.Consistent {
				name += "-consistent"
			}
			b.Run(fmt.Sprintf("%s/%d", name, n), func(b *testing.B) {
				a, err := New(c, benchServers(n))
				if err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					s := a.Pick(keys[i&255])
					a.TakeConn(s)
					a.DropConn(s)
				}
			})
		}
	}
}

func TestPickDoesNotAllocate(t *testing.T) {
	cfgs := []Config{
		{Algorithm: "roundrobin"}, {Algorithm: "static-rr"}, {Algorithm: "leastconn"}, {Algorithm: "first"},
		{Algorithm: "random"}, {Algorithm: "source"}, {Algorithm: "source", Consistent: true},
		{Algorithm: "uri", URIPathOnly: true}, {Algorithm: "url_param", Param: "user"},
		{Algorithm: "hdr", UseDomainOnly: true}, {Algorithm: "rdp-cookie", Consistent: true},
	}
	k := SrcIPv4([4]byte{192, 168, 1, 7})
	k.URI = "http://h/a/b?user=x"
	k.Value = "www.example.com"
	for _, c := range cfgs {
		a, err := New(c, benchServers(8))
		if err != nil {
			t.Fatal(err)
		}
		n := testing.AllocsPerRun(1000, func() {
			s := a.Pick(k)
			a.TakeConn(s)
			a.DropConn(s)
		})
		if n != 0 {
			t.Errorf("%s: %.1f allocations per pick", c.Algorithm, n)
		}
	}
}
