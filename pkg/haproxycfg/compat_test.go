package haproxycfg

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var updateDoc = flag.Bool("update", false, "rewrite docs/haproxy-compat.md")

// TestCompatDoc fails when docs/haproxy-compat.md is not what the keyword
// registry generates.
func TestCompatDoc(t *testing.T) {
	var buf bytes.Buffer
	WriteCompatMarkdown(&buf)
	path := filepath.Join("..", "..", "docs", "haproxy-compat.md")
	if *updateDoc {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	have, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (generate it with: go test ./pkg/haproxycfg -run TestCompatDoc -update)", err)
	}
	if !bytes.Equal(have, buf.Bytes()) {
		t.Fatalf("docs/haproxy-compat.md is stale; regenerate it with: go test ./pkg/haproxycfg -run TestCompatDoc -update")
	}
}

// TestCompatTableHasNoDuplicates keeps the registry coherent: a keyword has
// one status per section.
func TestCompatTableHasNoDuplicates(t *testing.T) {
	seen := map[string]string{}
	for _, r := range CompatTable() {
		k := r.Section + " " + r.Keyword
		if prev, ok := seen[k]; ok {
			t.Errorf("%s listed twice (%s and %s)", k, prev, r.Status)
		}
		seen[k] = r.Status
	}
}
