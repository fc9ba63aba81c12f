package keepalivedconf

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// Dump writes the parsed configuration in a readable, indented form, each
// statement followed by where it was written.
func Dump(w io.Writer, c *Config) {
	fmt.Fprintf(w, "------< gokeepalived configuration (%s) >------\n", strings.Join(c.Files, ", "))
	var dump func([]*Setting, int)
	dump = func(ss []*Setting, depth int) {
		ind := strings.Repeat("  ", depth)
		for _, s := range ss {
			fmt.Fprintf(w, "%s%s", ind, s.Keyword)
			for _, a := range s.Args {
				fmt.Fprintf(w, " %q", a)
			}
			fmt.Fprintf(w, "    # %s", s.Pos)
			if s.Status != Parsed {
				fmt.Fprintf(w, " [%s]", s.Status)
			}
			fmt.Fprintln(w)
			for _, l := range s.Lines {
				fmt.Fprintf(w, "%s  %s    # %s\n", ind, strings.Join(l.Words, " "), l.Pos)
			}
			dump(s.Sub, depth+1)
		}
	}
	dump(c.Settings, 0)
	fmt.Fprintf(w, "------< summary >------\n")
	fmt.Fprintf(w, "vrrp_instances: %d, vrrp_scripts: %d, sync groups: %d, virtual_servers: %d\n",
		len(c.Instances), len(c.Scripts), len(c.SyncGroups), len(c.VirtualServers))
	for _, in := range c.Instances {
		fmt.Fprintf(w, "  vrrp_instance %s: state %s interface %s vrid %d priority %d advert_int %s vips %d\n",
			in.Name, in.State, in.Interface, in.VRID, in.Priority, in.AdvertInt, len(in.VIPs))
	}
}

// CompatDoc renders docs/keepalived-compat.md from the registry.
func CompatDoc() string {
	var b strings.Builder
	b.WriteString("# keepalived.conf compatibility\n\n")
	b.WriteString("Generated from the keyword registry of pkg/keepalivedconf by\n`go run ./cmd/gokeepalived --compat-doc > docs/keepalived-compat.md`;\na test fails when this file is stale.\n\n")
	b.WriteString("Statuses: **parsed** = arguments checked as keepalived 2.2.7 checks them and kept in the model;\n")
	b.WriteString("**accepted (not implemented)** = known keyword, stored unchecked, reported by `-t` as not implemented;\n")
	b.WriteString("**legacy (mapped)** = deprecated keyword, accepted with keepalived's deprecation error, mapped to its replacement;\n")
	b.WriteString("**refused** = not offered by gokeepalived (reported, ignored).\n")
	b.WriteString("Which keywords each block accepts is keepalived 2.2.7's own answer (pkg/keepalivedconf/oraclekw.go, probed with `keepalived -t`):\n")
	b.WriteString("a word outside its block's list is \"Unknown keyword\" exactly as keepalived reports it, and a '{' after it is ignored\n")
	b.WriteString("with the words inside read as statements of the enclosing block, as keepalived does. Keywords keepalived accepts\n")
	b.WriteString("that the registry does not model are listed per block below as *known, not modelled*: accepted with a clear \"not implemented\" message.\n")
	b.WriteString("At run time `gokeepalived -f` serves the VRRP side (instances, sync groups, trackers, notify scripts,\n")
	b.WriteString("FIFOs and mails; run-time refusals of what it cannot honour name the line and keyword).\n")
	b.WriteString("`virtual_server` blocks run through the real servers' checkers and a userspace\n")
	b.WriteString("forwarder (pkg/proxy/lvs): `lb_kind NAT`, TCP and UDP; DR, TUN, fwmark and SCTP are refused at start with the line.\n\n")
	b.WriteString(deliberateDifferences)
	bySec := map[string][]*Keyword{}
	var secs []string
	for _, k := range Registry() {
		s := k.Section()
		if s == "" {
			s = "(top level)"
		}
		if _, ok := bySec[s]; !ok {
			secs = append(secs, s)
		}
		bySec[s] = append(bySec[s], k)
	}
	sort.Strings(secs)
	for _, s := range secs {
		fmt.Fprintf(&b, "## %s\n\n| keyword | arguments | status |\n|---|---|---|\n", s)
		for _, k := range bySec[s] {
			st := k.Status.String()
			if k.Status == Legacy {
				st += " → `" + k.Replacement + "`"
			}
			if k.Note != "" {
				st += " (" + k.Note + ")"
			}
			fmt.Fprintf(&b, "| `%s` | %s | %s |\n", k.Name, argDesc(k), st)
		}
		if extra := unmodelled(s); extra != "" {
			fmt.Fprintf(&b, "\nKnown, not modelled: %s\n", extra)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func argDesc(k *Keyword) string {
	if k.Sub != nil {
		return "block"
	}
	switch k.Arg {
	case ArgNone:
		return "none"
	case ArgAny:
		return "words"
	case ArgString:
		return "string"
	case ArgUint, ArgInt:
		return fmt.Sprintf("integer %d..%d", k.Min, k.Max)
	case ArgTimer:
		return fmt.Sprintf("seconds %s..%s", fmtMicros(k.Min), fmtMicros(k.Max))
	case ArgBool:
		return "[bool]"
	case ArgEnum:
		return strings.Join(k.Enum, "\\|")
	case ArgBlock:
		return "block of lines"
	}
	return ""
}

// deliberateDifferences documents where gokeepalived does not copy
// keepalived 2.2.7 on purpose.
const deliberateDifferences = `## What -t prints

` + "`gokeepalived -t`" + ` prints what keepalived 2.2.7 -t prints, byte for byte: keepalived reads
the configuration four times, the parent first (global_defs, includes; a line of the main
file is "(Line N)", of an included file "(FILE: Line N)" with FILE as the include wrote it),
then its checker, VRRP and BFD processes, each from the parent's copy with includes expanded
("(FILE: Line N)" always, the main file as given with -f) and with its own keywords active:
a problem at the top level is reported by every read, one inside vrrp_instance by the VRRP
read only, one in virtual_server by the checker only. Each read reports while reading, then
what it checks once everything is read; -t stops at a keyword missing a value keepalived cannot
do without (exit 2). Lines ending in " [gokeepalived]" are gokeepalived's own notes (keywords
accepted but not implemented) and are not keepalived's. TestDifferentialConfigTest compares
the output with keepalived's on every file of testdata/keepalived but those its allowlist
names (random numbers). At start the parent and the VRRP child log their own read's messages.

## Deliberate differences

- **Unmatched quote.** keepalived 2.2.7 reports "Unmatched quote" for a line
  whose quote is not closed and then crashes (SIGSEGV, exit 139) during
  ` + "`-t`" + `. gokeepalived reports the same error with file:line, closes the
  quoted string at the end of the line and carries on checking, so the
  verdict is that of the rest of the configuration (at least 5, "errors
  keepalived works around"). testdata/keepalived/unmatched_quote.conf pins
  this with ` + "`# @expect: crash`" + ` (the oracle still crashes) and
  ` + "`# @gk-expect: 6`" + ` (the file also runs a script without
  enable_script_security).
- **${_RANDOM [MIN [MAX]]}** is supported (also as $_RANDOM), but the numbers are
  not those keepalived draws: random_seed is accepted and checked, yet
  gokeepalived does not reproduce glibc's random() sequence.
- **include_check** (global_defs) and the include variants (includem, includew,
  includeb, includea, includer) follow keepalived 2.2.7: the types are match,
  wildcard_match and brace_match (2.2.7 refuses "readable" although its manual
  lists it), and a missing include they require makes -t exit 6, as keepalived does.

`

// unmodelled lists the keywords keepalived accepts in section (as shown
// in the doc; "(top level)" is "") that the registry does not model.
func unmodelled(section string) string {
	if section == "(top level)" {
		section = ""
	}
	have := map[string]bool{}
	for _, k := range Registry() {
		if k.Section() == section {
			have[k.Name] = true
		}
	}
	var out []string
	for _, w := range strings.Fields(oracleKeywords[section]) {
		if !have[w] {
			out = append(out, "`"+w+"`")
		}
	}
	return strings.Join(out, ", ")
}
