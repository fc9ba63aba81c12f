// Command gentables generates pkg/haproxycfg/zz_oracle_tables.go from the
// HAProxy 2.6 oracle material stored under testdata/haproxy/oracle.
//
// Default mode (run by go generate) reads only the stored files, so its
// output is reproducible anywhere:
//
//	go run ./internal/gentables -root ../.. -o zz_oracle_tables.go
//
// Two refresh modes rebuild the stored material from the machine's haproxy
// 2.6 installation:
//
//	-extract-manual /usr/share/doc/haproxy/configuration.txt.gz
//	    rewrites manual-2.6-facts.txt (syntax lines and tables only)
//	-probe /usr/sbin/haproxy
//	    rewrites probe-2.6.txt by running "haproxy -c" on candidate keywords
package main

import (
	"bytes"
	"compress/gzip"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

const (
	dumpFile  = "testdata/haproxy/oracle/haproxy-2.6-dKall.txt"
	factsFile = "testdata/haproxy/oracle/manual-2.6-facts.txt"
	probeFile = "testdata/haproxy/oracle/probe-2.6.txt"
)

func main() {
	root := flag.String("root", ".", "repository root")
	out := flag.String("o", "", "output file (default stdout)")
	manual := flag.String("extract-manual", "", "refresh the manual facts from this configuration.txt[.gz]")
	probeBin := flag.String("probe", "", "refresh the probe results by running this haproxy binary")
	flag.Parse()
	if err := run(*root, *out, *manual, *probeBin); err != nil {
		fmt.Fprintln(os.Stderr, "gentables:", err)
		os.Exit(1)
	}
}

func run(root, out, manual, probeBin string) error {
	if manual != "" {
		text, err := readMaybeGz(manual)
		if err != nil {
			return err
		}
		facts, err := extractManual(text)
		if err != nil {
			return err
		}
		hdr := "# Facts extracted from the HAProxy 2.6 manual (configuration.txt) by\n" +
			"# pkg/haproxycfg/internal/gentables -extract-manual; do not edit.\n"
		return os.WriteFile(filepath.Join(root, factsFile), []byte(hdr+strings.Join(facts, "\n")+"\n"), 0o644)
	}
	src, err := Generate(root)
	if err != nil {
		return err
	}
	if probeBin != "" {
		d, facts, err := loadInputs(root)
		if err != nil {
			return err
		}
		res, err := runProbe(probeBin, d, facts)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(root, probeFile), formatProbe(res), 0o644); err != nil {
			return err
		}
		if src, err = Generate(root); err != nil {
			return err
		}
	}
	if out == "" {
		_, err = os.Stdout.Write(src)
		return err
	}
	return os.WriteFile(out, src, 0o644)
}

func readMaybeGz(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		z, err := gzip.NewReader(f)
		if err != nil {
			return "", err
		}
		r = z
	}
	b, err := io.ReadAll(r)
	return string(b), err
}

func loadInputs(root string) (*dump, []string, error) {
	db, err := os.ReadFile(filepath.Join(root, dumpFile))
	if err != nil {
		return nil, nil, err
	}
	d, err := parseDump(string(db))
	if err != nil {
		return nil, nil, err
	}
	fb, err := os.ReadFile(filepath.Join(root, factsFile))
	if err != nil {
		return nil, nil, err
	}
	return d, strings.Split(strings.TrimRight(string(fb), "\n"), "\n"), nil
}

// Generate returns the Go source of zz_oracle_tables.go built from the
// stored material under root.
func Generate(root string) ([]byte, error) {
	d, facts, err := loadInputs(root)
	if err != nil {
		return nil, err
	}
	var probe []probeResult
	if pb, err := os.ReadFile(filepath.Join(root, probeFile)); err == nil {
		if probe, err = parseProbe(pb); err != nil {
			return nil, err
		}
	} else if !os.IsNotExist(err) {
		return nil, err
	}
	t, err := build(d, facts, probe)
	if err != nil {
		return nil, err
	}
	src, err := t.emit()
	if err != nil {
		return nil, err
	}
	return bytes.TrimLeft(src, "\n"), nil
}
