package stats

import (
	"fmt"
	"strconv"
	"strings"
)

// cliHelp lists the runtime API commands this package answers, as
// haproxy's "help" prints them.
var cliHelp = [][2]string{
	{"show info [desc|json|typed|float]*", "report information about the running process"},
	{"show stat [desc|json|no-maint|typed|up]*", "report counters for each proxy and server"},
	{"help [<command>]", "list matching or all commands"},
	{"quit", "disconnect"},
}

// AppendHelp appends the "help" answer; unknown commands get the same
// list behind haproxy's "Unknown command" line.
func AppendHelp(dst []byte, unknown bool) []byte {
	if unknown {
		dst = append(dst, "Unknown command, but maybe one of the following ones is a better match:\n"...)
	} else {
		dst = append(dst, "The following commands are valid at this level:\n"...)
	}
	for _, h := range cliHelp {
		dst = fmt.Appendf(dst, "  %-40s: %s\n", h[0], h[1])
	}
	return append(dst, '\n')
}

// Answer answers one runtime API command ("show info ...", "show stat
// ...", "help") from the snapshot that snap returns, appending the answer
// (ending with the empty line that ends every CLI answer) to dst. It
// reports false, leaving dst unchanged, for any other command.
func Answer(dst []byte, line string, snap func() *Snapshot) ([]byte, bool) {
	args := strings.Fields(line)
	if len(args) == 0 {
		return dst, false
	}
	if args[0] == "help" {
		return AppendHelp(dst, false), true
	}
	if args[0] != "show" || len(args) < 2 {
		return dst, false
	}
	switch args[1] {
	case "info":
		s := snap()
		mode := ""
		for _, a := range args[2:] {
			if a == "typed" || a == "json" {
				mode = a
			}
		}
		switch mode {
		case "typed":
			return s.Info.AppendInfoTyped(dst), true
		case "json":
			return s.Info.AppendInfoJSON(dst), true
		}
		return s.Info.AppendInfo(dst), true
	case "stat":
		return answerStat(dst, args[2:], snap()), true
	}
	return dst, false
}

func answerStat(dst []byte, args []string, s *Snapshot) []byte {
	iid, typ, sid := -1, -1, -1
	pxName := ""
	if len(args) >= 3 && !isStatOption(args[0]) {
		if n, err := strconv.Atoi(args[0]); err == nil {
			iid = n
		} else {
			pxName = args[0]
			found := false
			for i := range s.Proxies {
				if s.Proxies[i].Name == pxName {
					found = true
					iid = s.Proxies[i].ID
					break
				}
			}
			if !found {
				return append(dst, "No such proxy.\n\n"...)
			}
		}
		typ, _ = strconv.Atoi(args[1])
		sid, _ = strconv.Atoi(args[2])
		args = args[3:]
	}
	mode := ""
	up, noMaint := false, false
	for _, a := range args {
		switch a {
		case "typed", "json":
			mode = a
		case "up":
			up = true
		case "no-maint":
			noMaint = true
		}
	}
	var rows []Row
	for _, r := range s.rows(up || noMaint) {
		if iid != -1 && r.ProxyID != iid {
			continue
		}
		if typ != -1 && typ&(1<<r.Kind) == 0 {
			continue
		}
		if r.Kind == KindServer {
			if sid != -1 && r.ID != sid {
				continue
			}
			st := r.Fields[FieldIndex("status")].str
			if up && !(st == "no check" || strings.HasPrefix(st, "UP")) {
				continue
			}
			if noMaint && strings.HasPrefix(st, "MAINT") {
				continue
			}
		}
		rows = append(rows, r)
	}
	switch mode {
	case "typed":
		return appendTypedRows(dst, rows)
	case "json":
		return appendJSONRows(dst, rows)
	}
	dst = AppendCSVHeader(dst)
	for i := range rows {
		dst = AppendCSVRow(dst, &rows[i])
	}
	return append(dst, '\n')
}

func isStatOption(s string) bool {
	switch s {
	case "typed", "json", "desc", "up", "no-maint", "float", "domain":
		return true
	}
	return false
}
