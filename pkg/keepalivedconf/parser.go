package keepalivedconf

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Node is one statement of the configuration: its words and, when it
// opened a block, the statements inside.
type Node struct {
	Pos      Pos
	Words    []string
	Block    bool
	Children []*Node
	// line and word are where the statement starts among the logical
	// lines (the place of its messages in keepalived's reading order);
	// end is where its block closes ('}').
	line, word int
	end        Pos
	endOrd     order
}

// buildTree groups lines into statements and blocks. '{' opens a block for
// the statement before it (on the same line or the previous one), '}'
// closes it, and words after '}' start a new statement. As keepalived
// does, a '{' after a keyword that takes no block is ignored (with an
// error) and the words after it form the next statement of the same block.
// Inside a block of free-form lines (virtual_ipaddress, track_interface,
// ...) keepalived takes a '{' for an entry of its own. It also returns the
// reads (see Pass) that see each logical line.
func buildTree(lines []Line, diags *Diags) ([]*Node, []Pass) {
	root := &Node{Block: true}
	stack := []*Node{root}
	// ctx[i] is what is known inside stack[i]: its keyword set (nil when
	// the block is free-form or not modelled: anything may open a block
	// there), its section path, whether its lines are free-form entries
	// and the reads that see it.
	type context struct {
		set      []*Keyword
		path     string
		freeform bool
		pass     Pass
	}
	ctx := []context{{registry, "", false, PassAll}}
	linePass := make([]Pass, len(lines))
	// depth counts braces as keepalived's reader does, whatever they open.
	depth := 0
	// skip: the reads that skip the top-level block being read count its
	// braces (depth) to find its end, even the ones its own read ignores
	// ("Unexpected '{'"): when that read has closed the block before,
	// the lines up to the end the others find are theirs no more.
	var skip Pass
	for li, l := range lines {
		var cur *Node
		top := stack[len(stack)-1]
		if len(stack) == 1 {
			linePass[li] = sectionPass("")
			if len(l.Words) > 0 && findKw(registry, l.Words[0]) != nil {
				linePass[li] = sectionPass(l.Words[0])
			}
		} else {
			linePass[li] = ctx[len(ctx)-1].pass
		}
		linePass[li] &^= skip
		for wi, w := range l.Words {
			here := order{line: li, word: wi}
			c := ctx[len(ctx)-1]
			c.pass &^= skip
			switch w {
			case "{":
				depth++
				if c.freeform {
					if cur != nil {
						top.Children = append(top.Children, cur)
					}
					top.Children = append(top.Children, &Node{Pos: l.Pos, Words: []string{"{"}, line: li, word: wi})
					cur = nil
					continue
				}
				attach := false
				if cur == nil {
					// '{' alone: it opens the previous statement's block.
					if n := len(top.Children); n > 0 && !top.Children[n-1].Block {
						cur = top.Children[n-1]
						attach = true
					} else {
						diags.addAt(here, c.pass, KindUnexpectedBOB, l.Pos, "Unexpected '{' - ignoring")
						continue
					}
				}
				var inner context
				inner.pass = c.pass
				if c.set != nil && len(cur.Words) > 0 {
					name := cur.Words[0]
					k := findKw(c.set, name)
					isBlock := k != nil && k.HasBlock()
					if k == nil && (strings.Contains(" "+oracleBlocks[c.path]+" ", " "+name+" ") || !probed(c.path)) {
						isBlock = true // a block keepalived knows (or may know) but the registry does not model
					}
					if !isBlock {
						// keepalived ignores the '{' and reads on in the same block.
						diags.addAt(here, c.pass, KindUnexpectedBOB, l.Pos, "Unexpected '{' - ignoring")
						if !attach {
							top.Children = append(top.Children, cur)
						}
						cur = nil
						continue
					}
					if k != nil {
						inner = context{k.Sub, name, k.Arg == ArgBlock && k.Sub == nil && k.Status != Accepted, c.pass}
						if c.path != "" {
							inner.path = c.path + " > " + name
						} else {
							inner.pass = sectionPass(name)
						}
					}
				}
				if !attach {
					top.Children = append(top.Children, cur)
				}
				cur.Block = true
				stack = append(stack, cur)
				ctx = append(ctx, inner)
				top = cur
				cur = nil
			case "}":
				if cur != nil {
					top.Children = append(top.Children, cur)
					cur = nil
				}
				if depth == 0 {
					diags.addAt(here, PassAll&^skip, KindGeneral, l.Pos, "Extra '}' found")
				} else {
					depth--
				}
				if len(stack) == 1 {
					// At the top level keepalived takes a stray '}' for a keyword.
					diags.addAt(here, PassAll&^skip, KindUnknownKeyword, l.Pos, "Unknown keyword '}'")
					if depth == 0 {
						skip = 0
					}
					continue
				}
				if len(stack) == 2 && depth > 0 {
					skip = PassAll &^ ctx[1].pass
				}
				top.end, top.endOrd = l.Pos, order{set: true, line: li, word: wi}
				stack = stack[:len(stack)-1]
				ctx = ctx[:len(ctx)-1]
				top = stack[len(stack)-1]
			default:
				if cur == nil {
					cur = &Node{Pos: l.Pos, line: li, word: wi}
				}
				cur.Words = append(cur.Words, w)
			}
		}
		if cur != nil {
			top.Children = append(top.Children, cur)
		}
	}
	if depth > 0 {
		diags.addAt(order{phase: 1}, PassAll, KindMissingBOB, Pos{}, "There are %d missing '}'s or extra '{'s", depth)
	}
	return root.Children, linePass
}

// Setting is one keyword as written, with its checked arguments.
type Setting struct {
	Pos     Pos
	Keyword string
	Args    []string // the words after the keyword
	Status  Status
	Lines   []*Node    // free-form block content (virtual_ipaddress, ...)
	Sub     []*Setting // sub-keywords of a block
	// node is the statement the setting was read from.
	node *Node
}

// Get returns the last setting named kw directly below s, or nil.
func (s *Setting) Get(kw string) *Setting { return lastSetting(s.Sub, kw) }

// All returns every setting named kw directly below s.
func (s *Setting) All(kw string) []*Setting {
	var out []*Setting
	for _, c := range s.Sub {
		if c.Keyword == kw {
			out = append(out, c)
		}
	}
	return out
}

// Arg returns argument i or "".
func (s *Setting) Arg(i int) string {
	if s == nil || i >= len(s.Args) {
		return ""
	}
	return s.Args[i]
}

func lastSetting(ss []*Setting, kw string) *Setting {
	var found *Setting
	for _, c := range ss {
		if c.Keyword == kw {
			found = c
		}
	}
	return found
}

type walker struct {
	diags *Diags
	// inst is the name of the vrrp_instance being read (its handlers
	// name it in their messages).
	inst string
	// trackFiles are the track_file blocks read so far (a FILE_CHECK
	// can only name one defined before it).
	trackFiles map[string]bool
	// blockArg is the first argument of the block being walked.
	blockArg string
}

// addN reports a message about the statement n, in its place among the
// lines (the reads come from the line).
func (w *walker) addN(n *Node, k Kind, format string, args ...any) {
	if n == nil {
		w.diags.add(k, Pos{}, format, args...)
		return
	}
	w.diags.addAt(order{line: n.line, word: n.word}, 0, k, n.Pos, format, args...)
}

func (w *walker) walk(nodes []*Node, kws []*Keyword, path []string) []*Setting {
	var out []*Setting
	for _, n := range nodes {
		if len(n.Words) == 0 {
			continue
		}
		name := n.Words[0]
		k := findKw(kws, name)
		if k == nil {
			if oracleKnows(strings.Join(path, " > "), name) {
				*w.diags = append(*w.diags, Diag{Kind: KindInfo, Pos: n.Pos, Unimplemented: true,
					Msg: fmt.Sprintf("keyword '%s' (in %s) is known to keepalived but not implemented by gokeepalived - ignored", name, strings.Join(path, " > "))})
				out = append(out, &Setting{Pos: n.Pos, Keyword: name, Args: n.Words[1:], Status: Accepted})
				continue
			}
			w.addN(n, KindUnknownKeyword, "Unknown keyword '%s'", name)
			continue
		}
		s := &Setting{Pos: n.Pos, Keyword: name, Args: n.Words[1:], Status: k.Status, node: n}
		switch k.Status {
		case Legacy:
			if !(len(path) == 1 && path[0] == "vrrp_instance") {
				w.addN(n, KindGeneral, "%s is deprecated - please use '%s'", name, k.Replacement)
			}
			s.Keyword = k.Replacement
			if i := strings.IndexByte(k.Replacement, ' '); i > 0 {
				s.Keyword = k.Replacement[:i]
			}
		case Refused:
			w.addN(n, KindInfo, "keyword '%s' is refused by gokeepalived: %s", name, k.Note)
			*w.diags = append(*w.diags, Diag{Kind: KindInfo, Pos: n.Pos, Unimplemented: true,
				Msg: fmt.Sprintf("'%s' refused: %s", name, k.Note)})
			continue
		case Accepted:
			*w.diags = append(*w.diags, Diag{Kind: KindInfo, Pos: n.Pos, Unimplemented: true,
				Msg: fmt.Sprintf("keyword '%s' is accepted but not implemented by gokeepalived - ignored", name)})
		}
		if k.HasBlock() {
			if !n.Block && len(n.Children) == 0 {
				if k.Sub != nil || k.Arg == ArgBlock {
					// keepalived treats a block keyword without '{' as empty.
					if k.Arg == ArgBlock {
						s.Lines = nil
					}
				}
			}
			if k.Sub != nil {
				if len(path) == 0 {
					w.inst = s.Arg(0)
				}
				saved := w.blockArg
				w.blockArg = s.Arg(0)
				s.Sub = w.walk(n.Children, k.Sub, append(append([]string{}, path...), name))
				w.blockArg = saved
				w.closeBlock(s, path)
				if name == "FILE_CHECK" {
					w.fileCheckEnd(s)
				}
			} else {
				s.Lines = n.Children
			}
		} else if n.Block {
			w.addN(n, KindUnexpectedBOB, "Unexpected '{' after keyword '%s'", name)
		}
		if name == "weight" && len(path) == 1 && (path[0] == "track_file" || path[0] == "vrrp_track_file") {
			if w.trackFileWeight(s) {
				out = append(out, s)
			}
			continue
		}
		ok := w.checkArgs(k, s, strings.Join(path, " > "))
		if k.Check != nil {
			if msg := k.Check(s.Args); msg != "" {
				for _, l := range strings.Split(msg, "\n") {
					w.addN(s.node, KindGeneral, "%s", l)
				}
				ok = false
			}
		}
		if !ok {
			continue
		}
		if len(path) == 0 && (name == "track_file" || name == "vrrp_track_file") && len(s.Args) > 0 {
			if w.trackFiles == nil {
				w.trackFiles = map[string]bool{}
			}
			w.trackFiles[s.Args[0]] = true
		}
		out = append(out, s)
	}
	return out
}

// trackFileWeight checks the weight of a track_file block as keepalived
// 2.2.7 does: an integer in [-254, 254], then optionally "reverse". Its
// checker and VRRP reads both report. It reports whether the weight is
// kept.
func (w *walker) trackFileWeight(s *Setting) bool {
	var lines []string
	switch {
	case len(s.Args) == 0:
		lines = []string{fmt.Sprintf("No weight specified for track file %s - ignoring", w.blockArg)}
	default:
		n, err := strconv.ParseInt(s.Args[0], 10, 64)
		bad := fmt.Sprintf("Weight (%s) for track_file %s must be between [-254..254] inclusive. Ignoring...", s.Args[0], w.blockArg)
		switch {
		case err != nil:
			lines = []string{fmt.Sprintf("invalid number '%s'", s.Args[0]), bad}
		case n < -254 || n > 254:
			lines = []string{fmt.Sprintf("number '%s' outside range [-254, 254]", s.Args[0]), bad}
		case len(s.Args) > 1 && s.Args[1] != "reverse":
			lines = []string{fmt.Sprintf("track_file %s unknown weight option %s", w.blockArg, s.Args[1])}
		}
	}
	if lines == nil {
		return true
	}
	n := s.node
	for _, l := range lines {
		if n == nil {
			w.diags.addp(PassChecker|PassVRRP, KindGeneral, s.Pos, "%s", l)
			continue
		}
		w.diags.addAt(order{line: n.line, word: n.word}, PassChecker|PassVRRP, KindGeneral, s.Pos, "%s", l)
	}
	return false
}

// fileCheckEnd is check_file.c's reading of a FILE_CHECK: its track_file
// must name a track_file block defined before it, and a FILE_CHECK
// without one is ignored (reported at its closing brace).
func (w *walker) fileCheckEnd(s *Setting) {
	found := false
	for _, sub := range s.Sub {
		if sub.Keyword != "track_file" || len(sub.Args) == 0 {
			continue
		}
		if w.trackFiles[sub.Args[0]] {
			found = true
			continue
		}
		w.addN(sub.node, KindGeneral, "track_file %s not found", sub.Args[0])
	}
	if found {
		return
	}
	const msg = "FILE_CHECK has no track_file specified - ignoring"
	if s.node != nil && s.node.endOrd.set {
		w.diags.addAt(s.node.endOrd, 0, KindGeneral, s.node.end, msg)
		return
	}
	w.addN(s.node, KindGeneral, msg)
}

// checkArgs validates the arguments as keepalived's readers do. It returns
// false when the setting must be dropped.
func (w *walker) checkArgs(k *Keyword, s *Setting, sect string) bool {
	if k.Sub != nil || k.Arg == ArgBlock {
		return true
	}
	// Handlers that follow the number's message with one of their own
	// and ignore the value.
	if f, ok := followUps[sect+" "+k.Name]; ok && len(s.Args) > 0 {
		if w.checkValue(k, s, s.Args[0]) {
			return true
		}
		if m := f(w.inst, s.Args[0]); m != "" {
			w.addN(s.node, KindGeneral, "%s", m)
		}
		return false
	}
	if strings.HasPrefix(sect, "virtual_server > real_server > ") && len(s.Args) > 0 {
		switch {
		case k.Name == "connect_ip":
			if _, err := netip.ParseAddr(s.Args[0]); err != nil {
				w.addN(s.node, KindGeneral, "Invalid connect_ip address %s - ignoring", s.Args[0])
				return false
			}
		case k.Name == "digest" && strings.HasSuffix(sect, " > url"):
			if len(s.Args[0]) != 32 {
				w.addN(s.node, KindGeneral, "digest '%s' character length should be 32 rather than %d", s.Args[0], len(s.Args[0]))
				return false
			}
		case k.Name == "status_code" && strings.HasSuffix(sect, " > url"):
			for _, a := range s.Args {
				lo, hi, isRange := strings.Cut(a, "-")
				ok := validStatus(lo) && (!isRange || validStatus(hi))
				if !ok {
					w.addN(s.node, KindGeneral, "Invalid HTTP_GET status code '%s'", a)
					return false
				}
			}
		}
	}
	if sect == "virtual_server" && len(s.Args) > 0 {
		switch s.Keyword {
		case "lb_kind", "lvs_method":
			if s.Args[0] != "NAT" && s.Args[0] != "DR" && s.Args[0] != "TUN" {
				w.addN(s.node, KindGeneral, "PARSER : unknown [%s] routing method for virtual server.", s.Args[0])
				return false
			}
			return true
		case "protocol":
			if s.Args[0] != "TCP" && s.Args[0] != "UDP" && s.Args[0] != "SCTP" {
				w.addN(s.node, KindGeneral, "Unknown protocol %s - ignoring", s.Args[0])
				return false
			}
			return true
		case "persistence_timeout":
			if !w.checkNumber(k, s, s.Args[0]) {
				w.addN(s.node, KindGeneral, "persistence_timeout invalid")
				return false
			}
			return true
		case "lb_algo", "lvs_sched":
			if !lvsSchedulers[s.Args[0]] {
				w.addN(s.node, KindGeneral, "Invalid lvs_scheduler '%s' - ignoring", s.Args[0])
				return false
			}
			return true
		}
	}
	if sect == "global_defs" && (k.Name == "vrrp_mcast_group4" || k.Name == "vrrp_mcast_group6") && len(s.Args) > 0 {
		if a, err := netip.ParseAddr(s.Args[0]); err != nil || a.Is4() != (k.Name == "vrrp_mcast_group4") {
			w.addN(s.node, KindGeneral, "Can't parse %s [%s]. Skipping", k.Name, s.Args[0])
			return false
		}
	}
	if sect == "vrrp_instance" && (k.Name == "mcast_src_ip" || k.Name == "unicast_src_ip") && len(s.Args) > 0 {
		if _, err := netip.ParseAddr(s.Args[0]); err != nil {
			w.addN(s.node, KindGeneral, "Configuration error: VRRP instance[%s] malformed src address[%s]. Skipping...", w.inst, s.Args[0])
			return false
		}
	}
	if sect == "vrrp_instance" && k.Name == "garp_master_repeat" && len(s.Args) > 0 && s.Args[0] == "0" {
		w.addN(s.node, KindGeneral, "(%s): garp_master_repeat must be greater than 0, setting to 1", w.inst)
		return false
	}
	if sect == "vrrp_script" && k.Name == "timeout" && len(s.Args) > 0 {
		if us, ok := parseTimer(s.Args[0]); ok && us == 0 {
			w.addN(s.node, KindGeneral, "(%s): vrrp script timeout must be greater than 0, setting to 1", w.inst)
			return false
		}
	}
	if sect == "vrrp_instance > authentication" && s.Keyword == "auth_type" && len(s.Args) > 0 &&
		s.Args[0] != "PASS" && s.Args[0] != "AH" {
		w.addN(s.node, KindGeneral, "(%s) unknown authentication type '%s'", w.inst, s.Args[0])
		return false
	}
	if sect == "vrrp_instance" && len(s.Args) > 0 {
		// vrrp_instance's handlers say what they do with a bad value.
		switch k.Name {
		case "state":
			if s.Args[0] != "MASTER" && s.Args[0] != "BACKUP" {
				w.addN(s.node, KindGeneral, "(%s) unknown state '%s', defaulting to BACKUP", w.inst, s.Args[0])
				return false
			}
			return true
		case "virtual_router_id":
			if !w.checkNumber(k, s, s.Args[0]) {
				w.addN(s.node, KindGeneral, "(%s): VRID '%s' not valid - must be between 1 & 255", w.inst, s.Args[0])
				return false
			}
			return true
		case "priority":
			if !w.checkNumber(k, s, s.Args[0]) {
				w.addN(s.node, KindGeneral, "(%s) Priority not valid! must be between 1 & 255. Using default 100", w.inst)
				return false
			}
			return true
		case "advert_int":
			if _, ok := parseTimer(s.Args[0]); !ok {
				if strings.HasPrefix(strings.TrimLeft(s.Args[0], " \t"), "-") {
					w.addN(s.node, KindInvalidNumber, "negative number '%s'", s.Args[0])
				} else {
					w.addN(s.node, KindInvalidNumber, "invalid number '%s'", s.Args[0])
				}
				w.addN(s.node, KindGeneral, "(%s) Advert interval (%s) not valid! Must be > 0 - ignoring", w.inst, s.Args[0])
				return false
			}
		case "lvs_sync_daemon_interface":
			w.addN(s.node, KindGeneral, "(%s) Specifying lvs_sync_daemon_interface against a vrrp is deprecated.", w.inst)
			w.addN(s.node, KindGeneral, "        Please use global lvs_sync_daemon")
			return true
		}
	}
	if len(s.Args) == 0 && sect == "global_defs" {
		// global_defs handlers with a text of their own.
		switch k.Name {
		case "router_id":
			w.addN(s.node, KindGeneral, "routerid name missing - ignoring")
			return false
		case "notification_email_from":
			w.addN(s.node, KindGeneral, "emailfrom missing - ignoring")
			return false
		}
	}
	if len(s.Args) == 0 {
		switch k.missing() {
		case MissFatal:
			w.addN(s.node, KindMissingFatal, "*** Configuration line starting `%s` is missing a parameter after keyword `%s` at word position 2", s.Keyword, s.Keyword)
			return false
		case MissError:
			w.addN(s.node, KindMissingParam, "*** Configuration line starting `%s` is missing a parameter after keyword `%s` at word position 2", s.Keyword, s.Keyword)
			return false
		}
		return k.Arg != ArgString && k.Arg != ArgEnum && k.Arg != ArgUint && k.Arg != ArgInt && k.Arg != ArgTimer
	}
	switch k.Arg {
	case ArgNone, ArgAny, ArgString:
		return true
	case ArgBool:
		switch strings.ToLower(s.Args[0]) {
		case "on", "off", "true", "false", "yes", "no":
			return true
		}
		w.addN(s.node, KindGeneral, "Invalid boolean '%s' for %s", s.Args[0], s.Keyword)
		return false
	case ArgEnum:
		for _, e := range k.Enum {
			if s.Args[0] == e {
				return true
			}
		}
		w.addN(s.node, KindGeneral, "invalid %s '%s'", s.Keyword, s.Args[0])
		return false
	case ArgUint, ArgInt, ArgTimer:
		return w.checkNumber(k, s, s.Args[0])
	}
	return true
}

func (w *walker) checkNumber(k *Keyword, s *Setting, v string) bool {
	switch k.Arg {
	case ArgUint:
		t := strings.TrimLeft(v, " \t")
		if strings.HasPrefix(t, "-") {
			w.addN(s.node, KindInvalidNumber, "negative number '%s'", v)
			return false
		}
		n, err := strconv.ParseUint(t, 10, 64)
		if err != nil {
			if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
				w.addN(s.node, KindInvalidNumber, "number '%s' outside unsigned integer range", v)
			} else {
				w.addN(s.node, KindInvalidNumber, "invalid number '%s'", v)
			}
			return false
		}
		if int64(n) < k.Min || int64(n) > k.Max || n > 1<<32-1 {
			w.addN(s.node, KindInvalidNumber, "number '%s' outside range [%d, %d]", v, k.Min, k.Max)
			return false
		}
	case ArgInt:
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			w.addN(s.node, KindInvalidNumber, "invalid number '%s'", v)
			return false
		}
		if n < k.Min || n > k.Max {
			w.addN(s.node, KindInvalidNumber, "number '%s' outside range [%d, %d]", v, k.Min, k.Max)
			return false
		}
	case ArgTimer:
		us, ok := parseTimer(v)
		if !ok {
			if strings.HasPrefix(v, "-") {
				w.addN(s.node, KindInvalidNumber, "negative number '%s'", v)
			} else {
				w.addN(s.node, KindInvalidNumber, "invalid number '%s'", v)
			}
			w.addN(s.node, KindGeneral, "%s '%s' is invalid", s.Keyword, v)
			return false
		}
		if us < k.Min || us > k.Max {
			w.addN(s.node, KindInvalidNumber, "number '%s' outside range [%s, %s]", v, fmtMicros(k.Min), fmtMicros(k.Max))
			w.addN(s.node, KindGeneral, "%s '%s' is invalid", s.Keyword, v)
			return false
		}
	}
	return true
}

// closeBlock makes the checks keepalived's handlers make when a block
// closes ('}'), reported at that line.
func (w *walker) closeBlock(s *Setting, path []string) {
	if len(path) == 0 || s.node == nil || !s.node.endOrd.set {
		return
	}
	at := func(format string, args ...any) {
		w.diags.addAt(s.node.endOrd, 0, KindGeneral, s.node.end, format, args...)
	}
	parent := path[len(path)-1]
	switch {
	case s.Keyword == "url" && (parent == "HTTP_GET" || parent == "SSL_GET"):
		if s.Get("path") == nil {
			at("HTTP/SSL_GET checker url has no path - ignoring")
		}
	case (s.Keyword == "HTTP_GET" || s.Keyword == "SSL_GET") && parent == "real_server":
		for _, u := range s.All("url") {
			if u.Get("path") != nil {
				return
			}
		}
		at("HTTP/SSL_GET checker has no urls specified - ignoring")
	}
}

// followUps are the messages keepalived's handlers add after a number's
// own message (by "SECTION KEYWORD"), given the block's name and the value.
var followUps = withCheckerFollowUps(map[string]func(name, v string) string{
	"vrrp_script interval": func(n, v string) string {
		return fmt.Sprintf("(%s): vrrp script interval '%s' must be between 1 and 4294 - ignoring", n, v)
	},
	"vrrp_script weight": func(n, v string) string {
		return fmt.Sprintf("vrrp_script %s weight %s must be in [-253, 253]", n, v)
	},
	"vrrp_script rise": func(n, v string) string {
		return fmt.Sprintf("(%s): vrrp script rise value '%s' invalid, defaulting to 1", n, v)
	},
	"vrrp_script fall": func(n, v string) string {
		return fmt.Sprintf("(%s): vrrp script fall value '%s' invalid, defaulting to 1", n, v)
	},
	"vrrp_instance garp_master_delay": func(n, v string) string {
		return fmt.Sprintf("(%s): garp_master_delay '%s' invalid - ignoring", n, v)
	},
	"vrrp_instance preempt_delay": func(n, v string) string {
		return fmt.Sprintf("(%s) Preempt_delay not valid! must be between 0-1000", n)
	},
	"global_defs smtp_connect_timeout": func(n, v string) string {
		return fmt.Sprintf("smtp_connect_timeout '%s' must be in [0, 4294] - ignoring", v)
	},
	"global_defs vrrp_version": func(n, v string) string {
		return "VRRP Error: Version must be either 2 or 3"
	},
	"global_defs vrrp_garp_master_repeat": func(n, v string) string {
		return fmt.Sprintf("vrrp_garp_master_repeat '%s' invalid - ignoring", v)
	},
	"global_defs max_auto_priority": func(n, v string) string {
		return fmt.Sprintf("max_auto_priority '%s' must be in [0, 99] (or -1 to disable) - ignoring", v)
	},
	"global_defs vrrp_garp_lower_prio_repeat": func(n, v string) string {
		return fmt.Sprintf("Invalid vrrp_garp_lower_prio_repeat '%s'", v)
	},
	"global_defs vrrp_priority": func(n, v string) string {
		return "Invalid vrrp process priority specified"
	},
	"global_defs checker_priority": func(n, v string) string {
		return "Invalid checker process priority specified"
	},
	"vrrp_instance down_timer_adverts": func(n, v string) string {
		return fmt.Sprintf("(%s): Invalid down_timer_adverts [1:100] '%s'", n, v)
	},
	"vrrp_instance version": func(n, v string) string {
		return fmt.Sprintf("(%s): Version must be either 2 or 3", n)
	},
	"vrrp_instance unicast_ttl": func(n, v string) string {
		return fmt.Sprintf("(%s): TTL '%s' not valid - must be between 0 & 255", n, v)
	},
	"virtual_server delay_loop": func(n, v string) string {
		return fmt.Sprintf("virtual server delay loop '%s' invalid - ignoring", v)
	},
	"virtual_server > real_server weight": func(n, v string) string {
		return fmt.Sprintf("Real server weight %s is outside range 0-2147483647", v)
	},
})

// validStatus reports whether s is an HTTP status code keepalived takes.
func validStatus(s string) bool {
	n, err := strconv.Atoi(s)
	return err == nil && n >= 100 && n <= 599
}

// withCheckerFollowUps adds the checkers' common keywords to m.
func withCheckerFollowUps(m map[string]func(name, v string) string) map[string]func(name, v string) string {
	followUps := m
	for _, c := range checkerNames {
		sect := "virtual_server > real_server > " + c + " "
		followUps[sect+"connect_timeout"] = func(n, v string) string {
			return fmt.Sprintf("connect_timeout %s invalid - ignoring", v)
		}
		followUps[sect+"retry"] = func(n, v string) string {
			return fmt.Sprintf("Invalid retry connection value '%s'", v)
		}
		followUps[sect+"delay_before_retry"] = func(n, v string) string { return "" }
		followUps[sect+"connect_port"] = func(n, v string) string {
			return fmt.Sprintf("Invalid checker connect_port '%s'", v)
		}
	}
	followUps["virtual_server > real_server > MISC_CHECK misc_timeout"] = func(n, v string) string {
		return fmt.Sprintf("Invalid misc_timeout value '%s'", v)
	}
	followUps["virtual_server quorum"] = func(n, v string) string {
		return fmt.Sprintf("Quorum %s must be in [1, 4294967295]. Setting to 1.", v)
	}
	return followUps
}

// checkValue checks a number or timer, reporting only the number's own
// message (the caller adds its handler's).
func (w *walker) checkValue(k *Keyword, s *Setting, v string) bool {
	if k.Arg != ArgTimer {
		return w.checkNumber(k, s, v)
	}
	us, ok := parseTimer(v)
	switch {
	case !ok && strings.HasPrefix(strings.TrimLeft(v, " \t"), "-"):
		w.addN(s.node, KindInvalidNumber, "negative number '%s'", v)
	case !ok:
		w.addN(s.node, KindInvalidNumber, "invalid number '%s'", v)
	case us < k.Min || us > k.Max:
		w.addN(s.node, KindInvalidNumber, "number '%s' outside range [%s, %s]", v, fmtMicros(k.Min), fmtMicros(k.Max))
	default:
		return true
	}
	return false
}

// lvsSchedulers are the IPVS schedulers keepalived accepts for lb_algo.
var lvsSchedulers = map[string]bool{"rr": true, "wrr": true, "lc": true, "wlc": true, "lblc": true, "lblcr": true,
	"dh": true, "sh": true, "sed": true, "nq": true, "fo": true, "ovf": true, "mh": true, "twos": true}

// parseTimer reads seconds with up to 6 decimals into micro-seconds.
func parseTimer(v string) (int64, bool) {
	if v == "" || strings.HasPrefix(v, "-") {
		return 0, false
	}
	ip, fp, _ := strings.Cut(v, ".")
	if len(fp) > 6 {
		fp = fp[:6]
	}
	fp += strings.Repeat("0", 6-len(fp))
	n, err := strconv.ParseUint(ip+fp, 10, 63)
	if err != nil {
		return 0, false
	}
	return int64(n), true
}

func fmtMicros(us int64) string { return fmt.Sprintf("%d.%06d", us/1000000, us%1000000) }
