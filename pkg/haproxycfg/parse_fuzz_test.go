package haproxycfg

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds arbitrary configuration text through the whole reading
// path (lexer, parser, checks, dump): it must never panic.
func FuzzParse(f *testing.F) {
	for _, glob := range []string{"../../testdata/haproxy/seed.cfg", "../../testdata/haproxy/cases/*.cfg"} {
		files, _ := filepath.Glob(glob)
		for i, name := range files {
			if i%8 != 0 && glob != "../../testdata/haproxy/seed.cfg" {
				continue // a sample keeps the seed corpus small
			}
			if b, err := os.ReadFile(name); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add([]byte("frontend f\n bind :80\n use_backend b if { path_beg /x } || !TRUE\nbackend b\n server s 127.0.0.1:1 check\n"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "fuzz.cfg")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Skip()
		}
		cfg, _, err := Load([]string{path}, Options{})
		if err == nil && cfg != nil {
			cfg.Dump(discard{})
			cfg.HasListeners()
		}
	})
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
