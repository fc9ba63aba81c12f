package stats_test

import (
	"fmt"
	"strings"

	"github.com/gohaproxy/gohaproxy/pkg/proxy/stats"
)

// The runtime API's answers come from a snapshot; Answer picks the
// renderer from the command line.
func ExampleAnswer() {
	snap := &stats.Snapshot{Proxies: []stats.Proxy{{
		Name: "be", ID: 2, Mode: "tcp", Backend: true, Algo: "roundrobin",
		Servers: []stats.Server{{Name: "s1", ID: 1, Addr: "127.0.0.1:80", Status: "no check", Weight: 1, UWeight: 1}},
	}}}
	out, ok := stats.Answer(nil, "show stat typed", func() *stats.Snapshot { return snap })
	lines := strings.SplitN(string(out), "\n", 4)
	fmt.Println(ok)
	fmt.Println(lines[0])
	fmt.Println(lines[1])
	fmt.Println(lines[2])
	// Output: true
	// S.2.1.0.pxname.1:KNS:str:be
	// S.2.1.1.svname.1:KNS:str:s1
	// S.2.1.2.qcur.1:MGP:u32:0
}
