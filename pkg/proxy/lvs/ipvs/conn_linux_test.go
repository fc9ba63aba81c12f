package ipvs

import (
	"os"
	"strings"
	"testing"
)

// TestOpen talks to this host's kernel: where IPVS is absent Open must
// say so (the family cannot be resolved); where it is present GET_INFO
// must answer with a version.
func TestOpen(t *testing.T) {
	c, err := Open()
	if _, statErr := os.Stat("/proc/net/ip_vs"); statErr != nil {
		if err == nil {
			c.Close()
			t.Fatal("Open succeeded on a kernel without /proc/net/ip_vs")
		}
		if !strings.Contains(err.Error(), "generic netlink family IPVS") {
			t.Fatalf("error does not name the IPVS family: %v", err)
		}
		t.Logf("kernel has no IPVS, as expected: %v", err)
		return
	}
	if err != nil {
		t.Fatalf("kernel has /proc/net/ip_vs but Open failed: %v", err)
	}
	defer c.Close()
	info, err := c.Info()
	if err != nil || info.Version == 0 {
		t.Fatalf("GET_INFO: %+v %v", info, err)
	}
	t.Logf("IPVS %s, connection table %d", info.VersionString(), info.ConnTabSize)
}

// TestResolveController checks the netlink round trip on any kernel: the
// controller resolves its own family, "nlctrl", to GENL_ID_CTRL.
func TestResolveController(t *testing.T) {
	c := &Conn{fd: -1}
	fd, err := openSocket()
	if err != nil {
		t.Fatal(err)
	}
	c.fd = fd
	defer c.Close()
	id, err := c.resolve("nlctrl")
	if err != nil || id != genlIDCtrl {
		t.Fatalf("nlctrl resolved to %#x, %v", id, err)
	}
}
