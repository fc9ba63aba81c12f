package proxy

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gohaproxy/gohaproxy/pkg/haproxycfg"
)

func TestLifecycleSettingsRefusedNotIgnored(t *testing.T) {
	for _, c := range []struct{ global, proxy, want string }{
		{"    ulimit-n 4000\n", "", "cfg:1] : global 'ulimit-n'"},
	} {
		text := "global\n" + c.global + "defaults\n    mode tcp\n    timeout client 5s\n    timeout server 5s\n    timeout connect 5s\n" +
			"listen a\n    bind 127.0.0.1:23456\n" + c.proxy + "    server s 127.0.0.1:1\n"
		path := filepath.Join(t.TempDir(), "h.cfg")
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, _, err := haproxycfg.Load([]string{path}, haproxycfg.Options{})
		if err != nil {
			t.Fatalf("%q: %v", c.want, err)
		}
		_, err = New(cfg, Options{})
		var ue *UnsupportedError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("config with %q: got %v, want an UnsupportedError containing %q", c.global+c.proxy, err, c.want)
		}
	}
}
