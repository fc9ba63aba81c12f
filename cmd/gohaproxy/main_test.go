package main

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestNormalizeArgs(t *testing.T) {
	tests := []struct {
		in, want []string
	}{
		{[]string{"gohaproxy", "-f", "a.cfg", "-sf", "12", "34"}, []string{"gohaproxy", "-f", "a.cfg", "-sf=12", "-sf=34"}},
		{[]string{"gohaproxy", "-st", "7", "-c", "-f", "x"}, []string{"gohaproxy", "-st=7", "-c", "-f", "x"}},
		{[]string{"gohaproxy", "-dKall", "-c"}, []string{"gohaproxy", "-dK=all", "-c"}},
		{[]string{"gohaproxy", "-c", "--", "a.cfg", "b.cfg"}, []string{"gohaproxy", "-c", "-f", "a.cfg", "-f", "b.cfg"}},
		{[]string{"gohaproxy", "-Ws", "-vv"}, []string{"gohaproxy", "-Ws", "-vv"}},
	}
	for _, tt := range tests {
		if got := normalizeArgs(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("normalizeArgs(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func writeCfg(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "h.cfg")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const validCfg = `defaults
  mode http
  timeout client 5s
  timeout server 5s
  timeout connect 5s
frontend f
  bind 127.0.0.1:18080
  default_backend b
backend b
  server s1 127.0.0.1:18081
`

// TestCheckMode pins -c's output and exit codes as haproxy 2.6 prints them.
func TestCheckMode(t *testing.T) {
	warnCfg := "frontend f\n  bind 127.0.0.1:18080\n  timeout connect 5s\n  timeout client 5s\n"
	tests := []struct {
		name       string
		args       []string
		code       int
		stdout     string
		stderrHas  []string
		stderrNone bool
	}{
		{"valid", []string{"-c", "-f", writeCfg(t, validCfg)}, 0, "Configuration file is valid\n", nil, true},
		{"quiet", []string{"-c", "-q", "-f", writeCfg(t, "frontend f\n foo\n")}, 1, "", nil, true},
		{"unknown keyword", []string{"-c", "-f", writeCfg(t, "frontend f\n  bind :80\n  foo bar\n")}, 1, "",
			[]string{"[ALERT]", ": config : parsing [", ":3] : unknown keyword 'foo' in 'frontend' section", "Error(s) found in configuration file : ", "Fatal errors found in configuration."}, false},
		{"warnings", []string{"-c", "-f", writeCfg(t, warnCfg)}, 0, "Warnings were found.\nConfiguration file is valid\n", []string{"[WARNING]"}, false},
		{"zero warning flag", []string{"-c", "-dW", "-f", writeCfg(t, warnCfg)}, 1, "", []string{"Some warnings were found and 'zero-warning' is set. Aborting."}, false},
		{"no listener", []string{"-c", "-f", writeCfg(t, "backend b\n  server s 127.0.0.1:1\n")}, 2, "Configuration file has no error but will not start (no listener) => exit(2).\n", nil, false},
		{"missing file", []string{"-c", "-f", "/nonexistent/haproxy.cfg"}, 1, "", []string{"Cannot open configuration file/directory /nonexistent/haproxy.cfg : No such file or directory"}, false},
		{"unsupported keyword", []string{"-c", "-f", writeCfg(t, "global\n  lua-load /x.lua\n")}, 1, "", []string{":2] : 'lua-load' is not supported by gohaproxy"}, false},
		{"legacy keyword", []string{"-c", "-f", writeCfg(t, "global\n  nbproc 1\n"+validCfg)}, 0, "Warnings were found.\nConfiguration file is valid\n", []string{"'nbproc 1' is not supported by haproxy since 2.5"}, false},
		{"version", []string{"-v"}, 0, "gohaproxy version ", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(append([]string{"gohaproxy"}, tt.args...), &out, &errb)
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstdout:%s\nstderr:%s", code, tt.code, out.String(), errb.String())
			}
			if !strings.HasPrefix(out.String(), tt.stdout) || (tt.stdout != "" && tt.name != "version" && out.String() != tt.stdout) {
				t.Errorf("stdout = %q, want %q", out.String(), tt.stdout)
			}
			for _, s := range tt.stderrHas {
				if !strings.Contains(errb.String(), s) {
					t.Errorf("stderr lacks %q:\n%s", s, errb.String())
				}
			}
			if tt.stderrNone && errb.Len() > 0 {
				t.Errorf("stderr should be empty:\n%s", errb.String())
			}
		})
	}
}
