package keepalivedconf

import (
	"fmt"
	"io"
	"sort"
)

// sectionPass is the set of reads in which the keywords of a top-level
// block are active (and so report their problems): global_defs only in
// the parent, virtual servers in the checker, the VRRP blocks in the VRRP
// process; track files serve checkers and VRRP, BFD instances all three.
// A top-level word keepalived does not know is reported by every read.
func sectionPass(top string) Pass {
	switch top {
	case "":
		return PassAll
	case "global_defs", "net_namespace", "net_namespace_ipvs", "namespace_with_ipsets", "instance", "use_pid_dir":
		return PassParent
	case "virtual_server", "virtual_server_group", "SSL":
		return PassChecker
	case "vrrp_track_file", "track_file":
		return PassChecker | PassVRRP
	case "bfd_instance":
		return PassChecker | PassVRRP | PassBFD
	}
	if findKw(registry, top) == nil {
		return PassAll
	}
	return PassVRRP
}

// place gives every message its reads and its place in them, and sorts
// the messages into reading order. lineOf maps a position to the first
// logical line written there, linePass gives the reads of each logical
// line.
func place(ds Diags, lines []Line, linePass []Pass) Diags {
	first := map[Pos]int{}
	for i, l := range lines {
		if _, ok := first[l.Pos]; !ok {
			first[l.Pos] = i
		}
	}
	for i := range ds {
		d := &ds[i]
		idx, known := first[d.Pos]
		if !d.ord.set {
			if known {
				d.ord = order{set: true, line: idx}
			} else {
				d.ord = order{set: true, phase: 2}
			}
		}
		if d.Passes == 0 {
			switch {
			case known && idx < len(linePass):
				d.Passes = linePass[idx]
			default:
				d.Passes = PassVRRP
			}
		}
	}
	sort.SliceStable(ds, func(i, j int) bool { return ds[i].ord.less(ds[j].ord) })
	return ds
}

// report is one line keepalived -t prints.
type report struct {
	d    Diag
	pass Pass
}

// reports lists what keepalived -t prints, read after read, up to the
// first keyword missing a parameter keepalived cannot do without (it
// exits there). gokeepalived's own notes appear once, in the first read
// that reports them.
func (r *Result) reports() []report {
	var out []report
	for _, p := range Passes {
		for _, d := range r.all {
			if d.Passes&p == 0 {
				continue
			}
			if d.Unimplemented && d.Passes&(p-1) != 0 {
				continue
			}
			out = append(out, report{d, p})
			if d.Kind == KindMissingFatal && !d.Unimplemented {
				return out
			}
		}
	}
	return out
}

// Format renders d as the read p prints it: the parent names the line
// only ("(Line N)") in the main file and "(FILE: Line N)" in an included
// one, with FILE as the include wrote it; the other reads name the file
// always (the main file as given with -f).
func (r *Result) Format(d Diag, p Pass) string {
	if d.Pos.File == "" && d.Pos.Line == 0 {
		return d.Msg
	}
	name := d.Pos.File
	if n, ok := r.names[name]; ok {
		name = n
	}
	if p == PassParent && d.Pos.File == r.mainFile {
		return fmt.Sprintf("(Line %d) %s", d.Pos.Line, d.Msg)
	}
	return fmt.Sprintf("(%s: Line %d) %s", name, d.Pos.Line, d.Msg)
}

// WriteConfigTest prints what keepalived -t prints for this configuration
// (gokeepalived's own notes end in " [gokeepalived]") and returns the
// exit status.
func (r *Result) WriteConfigTest(w io.Writer) int {
	for _, rp := range r.reports() {
		s := r.Format(rp.d, rp.pass)
		if rp.d.Unimplemented {
			s += " [gokeepalived]"
		}
		fmt.Fprintln(w, s)
	}
	return r.ExitCode()
}

// PassDiags returns the messages the read p reports, in its order (what
// that keepalived process logs when it starts), formatted by Format.
func (r *Result) PassDiags(p Pass) []string {
	var out []string
	for _, d := range r.all {
		if d.Passes&p == 0 {
			continue
		}
		out = append(out, r.Format(d, p))
		if d.Kind == KindMissingFatal && !d.Unimplemented {
			break
		}
	}
	return out
}

// uniqueReports is every message keepalived -t prints, each once, in the
// order they are first printed.
func (r *Result) uniqueReports() Diags {
	var out Diags
	seen := map[int]bool{}
	for _, p := range Passes {
		for i, d := range r.all {
			if d.Passes&p == 0 {
				continue
			}
			if !seen[i] {
				seen[i] = true
				out = append(out, d)
			}
			if d.Kind == KindMissingFatal && !d.Unimplemented {
				return out
			}
		}
	}
	return out
}
