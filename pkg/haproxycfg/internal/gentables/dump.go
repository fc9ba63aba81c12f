package main

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// dump is what haproxy -dKall printed.
type dump struct {
	acls       []aclKW
	global     []string
	listen     []string // registered proxy keywords
	bind       []optKW
	server     []optKW
	options    []dumpOption
	actions    []dumpAction
	sections   map[string][]optKW // userlist, peers, crt-list, ...
	cli        []string
	converters []convKW
	filters    [][2]string
	fetches    []fetchKW
	services   []string
}

type aclKW struct{ name, fetch, match string }

type optKW struct {
	name string
	args int // -1 for a variable number
	ssl  bool
}

type dumpOption struct {
	name         string
	fe, be, http bool
}

type dumpAction struct {
	ruleset, name string
	prefix        bool
}

type argKW struct {
	typ      string
	optional bool
}

type convKW struct {
	name    string
	args    []argKW
	in, out string
}

type fetchKW struct {
	name string
	args []argKW
	out  string
	use  uint32
}

var (
	aclRe   = regexp.MustCompile(`^(\S+) = (\S+) -m (\S+)$`)
	convRe  = regexp.MustCompile(`^([^(:\s]+)(?:\((.*)\))?: (\S+) => (\S+)$`)
	fetchRe = regexp.MustCompile(`^\[((?: [Y.]){22}) \] ([^(:\s]+)(?:\((.*)\))?: (\S+)$`)
	optRe   = regexp.MustCompile(`^option (\S+) \[((?: [A-Z]+)*) \]$`)
	argsRe  = regexp.MustCompile(`^(.*?)(?: \+(-?\d+))?$`)
)

// parseArgs parses an argument signature such as "string,integer[,table]"
// or "[string,string]": an argument is optional from the first "[" on.
func parseArgs(s string) []argKW {
	var out []argKW
	depth := 0
	cur := ""
	flush := func() {
		if t := strings.TrimSpace(cur); t != "" {
			out = append(out, argKW{typ: t, optional: depth > 0})
		}
		cur = ""
	}
	for _, c := range s {
		switch c {
		case '[':
			flush()
			depth++
		case ']':
			flush()
			depth--
		case ',':
			flush()
		default:
			cur += string(c)
		}
	}
	flush()
	return out
}

func parseOptKW(s string) optKW {
	m := argsRe.FindStringSubmatch(s)
	k := optKW{name: m[1]}
	if m[2] != "" {
		k.args, _ = strconv.Atoi(m[2])
	}
	if strings.HasPrefix(k.name, "ssl ") {
		k.ssl = true
		k.name = strings.TrimPrefix(k.name, "ssl ")
	}
	return k
}

func parseDump(text string) (*dump, error) {
	d := &dump{sections: map[string][]optKW{}}
	part := ""
	section := ""
	for n, line := range strings.Split(text, "\n") {
		bad := func() error { return fmt.Errorf("dump line %d: unexpected %q", n+1, line) }
		if line == "" {
			continue
		}
		if strings.HasPrefix(line, "# List of ") {
			part = line
			continue
		}
		if strings.HasPrefix(line, "#") {
			continue
		}
		switch {
		case strings.Contains(part, "ACL keywords"):
			m := aclRe.FindStringSubmatch(line)
			if m == nil {
				return nil, bad()
			}
			d.acls = append(d.acls, aclKW{m[1], m[2], m[3]})
		case strings.Contains(part, "configuration keywords"):
			if !strings.HasPrefix(line, "\t") {
				section = line
				if _, ok := d.sections[section]; !ok && section != "global" && section != "listen" {
					d.sections[section] = nil
				}
				continue
			}
			l := strings.TrimPrefix(line, "\t")
			switch section {
			case "global":
				d.global = append(d.global, l)
			case "listen":
				switch {
				case strings.HasPrefix(l, "bind <addr> "):
					d.bind = append(d.bind, parseOptKW(strings.TrimPrefix(l, "bind <addr> ")))
				case strings.HasPrefix(l, "server <name> <addr> "):
					d.server = append(d.server, parseOptKW(strings.TrimPrefix(l, "server <name> <addr> ")))
				case strings.HasPrefix(l, "option "):
					m := optRe.FindStringSubmatch(l)
					if m == nil {
						return nil, bad()
					}
					o := dumpOption{name: m[1]}
					for _, f := range strings.Fields(m[2]) {
						switch f {
						case "FE":
							o.fe = true
						case "BE":
							o.be = true
						case "HTTP":
							o.http = true
						default:
							return nil, bad()
						}
					}
					d.options = append(d.options, o)
				default:
					matched := false
					for _, rs := range actionRulesets {
						if strings.HasPrefix(l, rs+" ") {
							name := strings.TrimPrefix(l, rs+" ")
							a := dumpAction{ruleset: rs, name: strings.TrimSuffix(name, "*")}
							a.prefix = strings.HasSuffix(name, "*")
							d.actions = append(d.actions, a)
							matched = true
							break
						}
					}
					if !matched {
						if strings.Contains(l, " ") {
							return nil, bad()
						}
						d.listen = append(d.listen, l)
					}
				}
			default:
				d.sections[section] = append(d.sections[section], parseOptKW(l))
			}
		case strings.Contains(part, "CLI keywords"):
			d.cli = append(d.cli, line)
		case strings.Contains(part, "converter"):
			m := convRe.FindStringSubmatch(line)
			if m == nil {
				return nil, bad()
			}
			d.converters = append(d.converters, convKW{m[1], parseArgs(m[2]), m[3], m[4]})
		case strings.Contains(part, "filter names"):
			f := strings.Fields(line)
			if len(f) != 2 {
				return nil, bad()
			}
			d.filters = append(d.filters, [2]string{f[0], strings.Trim(f[1], "[]")})
		case strings.Contains(part, "sample fetch"):
			m := fetchRe.FindStringSubmatch(line)
			if m == nil {
				return nil, bad()
			}
			var use uint32
			for i, c := range strings.Fields(m[1]) {
				if c == "Y" {
					use |= 1 << i
				}
			}
			d.fetches = append(d.fetches, fetchKW{m[2], parseArgs(m[3]), m[4], use})
		case strings.Contains(part, "service names"):
			d.services = append(d.services, line)
		default:
			return nil, bad()
		}
	}
	if len(d.fetches) == 0 || len(d.converters) == 0 || len(d.acls) == 0 || len(d.bind) == 0 {
		return nil, fmt.Errorf("dump: incomplete (fetches %d, converters %d, acls %d, bind %d)",
			len(d.fetches), len(d.converters), len(d.acls), len(d.bind))
	}
	return d, nil
}
