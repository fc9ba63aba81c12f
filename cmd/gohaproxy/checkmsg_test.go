package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gohaproxy/gohaproxy/internal/testenv"
)

// TestCheckMessagesLikeHaproxy: for these lines, gohaproxy -c prints the
// same alerts and warnings as haproxy -c, word for word, and exits alike.
func TestCheckMessagesLikeHaproxy(t *testing.T) {
	oracle := testenv.Oracle(t, "haproxy")
	ours := testenv.Binary(t, "gohaproxy")
	head := "defaults\n  mode tcp\n  timeout client 5s\n  timeout server 5s\n  timeout connect 1s\n"
	cases := []struct{ name, defaults, listen string }{
		{"tcpka idle zero", "  clitcpka-idle 0\n", ""},
		{"tcpka idle overflow", "  clitcpka-idle 5000000000\n", ""},
		{"tcpka intvl bad unit", "  clitcpka-intvl 1x\n", ""},
		{"tcpka intvl letters", "  srvtcpka-intvl abc\n", ""},
		{"tcpka idle trailing text", "  clitcpka-idle 1mx\n", ""},
		{"tcpka idle 2sec", "  srvtcpka-idle 2sec\n", ""},
		{"tcpka cnt trailing text", "  clitcpka-cnt 4x\n", ""},
		{"tcpka cnt negative", "  clitcpka-cnt -1\n", ""},
		{"tcpka cnt letters", "  srvtcpka-cnt abc\n", ""},
		{"tcpka cnt sign only", "  clitcpka-cnt -\n", ""},
		{"tcpka cnt missing", "  clitcpka-cnt\n", ""},
		{"tcpka idle missing", "  srvtcpka-idle\n", ""},
		{"tcpka extra argument", "  clitcpka-cnt 4 5\n", ""},
		{"timeout 3sec", "  timeout client 3sec\n", ""},
		{"server inter 2sx", "", "  server s2 127.0.0.1:9 check inter 2sx\n"},
		{"server two timers", "", "  server s2 127.0.0.1:9 check fastinter 2sx downinter 3mz\n"},
		{"default-server inter", "", "  default-server inter 2sx\n"},
		{"default-server two timers", "", "  default-server fastinter 2sx agent-inter 3dz\n"},
	}
	pid := regexp.MustCompile(`\(\d+\)`)
	run := func(bin, cfg string) (string, int) {
		out, err := exec.Command(bin, "-c", "-f", cfg).CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		var keep []string
		for _, l := range strings.Split(string(out), "\n") {
			if !strings.Contains(l, "[NOTICE]") {
				keep = append(keep, pid.ReplaceAllString(l, ""))
			}
		}
		return strings.Join(keep, "\n"), code
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := filepath.Join(t.TempDir(), "h.cfg")
			os.WriteFile(cfg, []byte(head+c.defaults+"listen l\n  bind 127.0.0.1:18089\n"+c.listen+"  server s1 127.0.0.1:9\n"), 0o644)
			want, wcode := run(oracle, cfg)
			got, gcode := run(ours, cfg)
			if got != want || gcode != wcode {
				t.Errorf("haproxy -c (exit %d):\n%s\ngohaproxy -c (exit %d):\n%s", wcode, want, gcode, got)
			}
		})
	}
}
