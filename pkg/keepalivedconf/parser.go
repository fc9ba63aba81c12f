package keepalivedconf

import (
	"fmt"
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
	// End is where the block's '}' was (zero when unclosed).
	End Pos
}

// buildTree groups lines into statements and blocks. '{' opens a block for
// the statement before it (on the same line or the previous one), '}'
// closes it, and words after '}' start a new statement. As keepalived
// does, a '{' after a keyword that takes no block is ignored (with an
// error) and the words after it form the next statement of the same block.
func buildTree(lines []Line, diags *Diags) []*Node {
	root := &Node{Block: true}
	stack := []*Node{root}
	// ctx[i] is what is known inside stack[i]: its keyword set (nil when
	// the block is free-form or not modelled: anything may open a block
	// there) and its section path.
	type context struct {
		set  []*Keyword
		path string
	}
	ctx := []context{{registry, ""}}
	for _, l := range lines {
		var cur *Node
		top := stack[len(stack)-1]
		for _, w := range l.Words {
			switch w {
			case "{":
				attach := false
				if cur == nil {
					// '{' alone: it opens the previous statement's block.
					if n := len(top.Children); n > 0 && !top.Children[n-1].Block {
						cur = top.Children[n-1]
						attach = true
					} else {
						diags.add(KindUnexpectedBOB, l.Pos, "Unexpected '{' - ignoring")
						continue
					}
				}
				c := ctx[len(ctx)-1]
				var inner context
				if c.set != nil && len(cur.Words) > 0 {
					name := cur.Words[0]
					k := findKw(c.set, name)
					isBlock := k != nil && k.HasBlock()
					if k == nil && (strings.Contains(" "+oracleBlocks[c.path]+" ", " "+name+" ") || !probed(c.path)) {
						isBlock = true // a block keepalived knows (or may know) but the registry does not model
					}
					if !isBlock {
						// keepalived ignores the '{' and reads on in the same block.
						diags.add(KindUnexpectedBOB, l.Pos, "Unexpected '{' - ignoring")
						if !attach {
							top.Children = append(top.Children, cur)
						}
						cur = nil
						continue
					}
					if k != nil {
						inner = context{k.Sub, name}
						if c.path != "" {
							inner.path = c.path + " > " + name
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
				if len(stack) == 1 {
					// At the top level keepalived takes a stray '}' for a keyword.
					diags.add(KindUnknownKeyword, l.Pos, "Unknown keyword '}'")
					continue
				}
				top.End = l.Pos
				stack = stack[:len(stack)-1]
				ctx = ctx[:len(ctx)-1]
				top = stack[len(stack)-1]
			default:
				if cur == nil {
					cur = &Node{Pos: l.Pos}
				}
				cur.Words = append(cur.Words, w)
			}
		}
		if cur != nil {
			top.Children = append(top.Children, cur)
		}
	}
	if n := len(stack) - 1; n > 0 {
		diags.add(KindMissingBOB, Pos{}, "There are %d missing '}'s or extra '{'s", n)
	}
	return root.Children
}

// Setting is one keyword as written, with its checked arguments.
type Setting struct {
	Pos     Pos
	Keyword string
	Args    []string // the words after the keyword
	Status  Status
	Lines   []*Node    // free-form block content (virtual_ipaddress, ...)
	Sub     []*Setting // sub-keywords of a block
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
	// trackFiles are the track_file blocks read so far (a FILE_CHECK
	// can only name one defined before it).
	trackFiles map[string]bool
	// blockArg is the first argument of the block being walked.
	blockArg string
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
			w.diags.add(KindUnknownKeyword, n.Pos, "Unknown keyword '%s'", name)
			continue
		}
		s := &Setting{Pos: n.Pos, Keyword: name, Args: n.Words[1:], Status: k.Status}
		switch k.Status {
		case Legacy:
			w.diags.add(KindGeneral, n.Pos, "%s is deprecated - please use '%s'", name, k.Replacement)
			s.Keyword = k.Replacement
			if i := strings.IndexByte(k.Replacement, ' '); i > 0 {
				s.Keyword = k.Replacement[:i]
			}
		case Refused:
			w.diags.add(KindInfo, n.Pos, "keyword '%s' is refused by gokeepalived: %s", name, k.Note)
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
				saved := w.blockArg
				w.blockArg = ""
				if len(s.Args) > 0 {
					w.blockArg = s.Args[0]
				}
				s.Sub = w.walk(n.Children, k.Sub, append(append([]string{}, path...), name))
				w.blockArg = saved
				if name == "FILE_CHECK" {
					w.fileCheckEnd(n, s)
				}
			} else {
				s.Lines = n.Children
			}
		} else if n.Block {
			w.diags.add(KindUnexpectedBOB, n.Pos, "Unexpected '{' after keyword '%s'", name)
		}
		if name == "weight" && len(path) == 1 && (path[0] == "track_file" || path[0] == "vrrp_track_file") {
			if w.trackFileWeight(s) {
				out = append(out, s)
			}
			continue
		}
		if !w.checkArgs(k, s) {
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
// 2.2.7 does: an integer in [-254, 254], then optionally "reverse".
// keepalived reads track_files in its VRRP and checker parsers alike: each
// message comes twice. It reports whether the weight is kept.
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
	for i := 0; i < 2; i++ {
		for _, l := range lines {
			w.diags.add(KindGeneral, s.Pos, "%s", l)
		}
	}
	return false
}

// fileCheckEnd is check_file.c's reading of a FILE_CHECK: its track_file
// must name a track_file block defined before it, and a FILE_CHECK
// without one is ignored (reported at its closing brace).
func (w *walker) fileCheckEnd(n *Node, s *Setting) {
	found := false
	for _, sub := range s.Sub {
		if sub.Keyword != "track_file" || len(sub.Args) == 0 {
			continue
		}
		if w.trackFiles[sub.Args[0]] {
			found = true
			continue
		}
		w.diags.add(KindGeneral, sub.Pos, "track_file %s not found", sub.Args[0])
	}
	if !found {
		end := n.End
		if end == (Pos{}) {
			end = n.Pos
		}
		w.diags.add(KindGeneral, end, "FILE_CHECK has no track_file specified - ignoring")
	}
}

// checkArgs validates the arguments as keepalived's readers do. It returns
// false when the setting must be dropped.
func (w *walker) checkArgs(k *Keyword, s *Setting) bool {
	ok := w.checkArgKind(k, s)
	if k.Check != nil {
		if msg := k.Check(s.Args); msg != "" {
			for _, l := range strings.Split(msg, "\n") {
				w.diags.add(KindGeneral, s.Pos, "%s", l)
			}
			ok = false
		}
	}
	return ok
}

func (w *walker) checkArgKind(k *Keyword, s *Setting) bool {
	if k.Sub != nil || k.Arg == ArgBlock {
		return true
	}
	if len(s.Args) == 0 {
		switch k.missing() {
		case MissFatal:
			w.diags.add(KindMissingFatal, s.Pos, "*** Configuration line starting `%s` is missing a parameter after keyword `%s` at word position 2", s.Keyword, s.Keyword)
			return false
		case MissError:
			w.diags.add(KindMissingParam, s.Pos, "*** Configuration line starting `%s` is missing a parameter after keyword `%s` at word position 2", s.Keyword, s.Keyword)
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
		w.diags.add(KindGeneral, s.Pos, "Invalid boolean '%s' for %s", s.Args[0], s.Keyword)
		return false
	case ArgEnum:
		for _, e := range k.Enum {
			if s.Args[0] == e {
				return true
			}
		}
		w.diags.add(KindGeneral, s.Pos, "invalid %s '%s'", s.Keyword, s.Args[0])
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
			w.diags.add(KindInvalidNumber, s.Pos, "negative number '%s'", v)
			return false
		}
		n, err := strconv.ParseUint(t, 10, 64)
		if err != nil {
			if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
				w.diags.add(KindInvalidNumber, s.Pos, "number '%s' outside unsigned integer range", v)
			} else {
				w.diags.add(KindInvalidNumber, s.Pos, "invalid number '%s'", v)
			}
			return false
		}
		if int64(n) < k.Min || int64(n) > k.Max || n > 1<<32-1 {
			w.diags.add(KindInvalidNumber, s.Pos, "number '%s' outside range [%d, %d]", v, k.Min, k.Max)
			return false
		}
	case ArgInt:
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			w.diags.add(KindInvalidNumber, s.Pos, "invalid number '%s'", v)
			return false
		}
		if n < k.Min || n > k.Max {
			w.diags.add(KindInvalidNumber, s.Pos, "number '%s' outside range [%d, %d]", v, k.Min, k.Max)
			return false
		}
	case ArgTimer:
		us, ok := parseTimer(v)
		if !ok {
			if strings.HasPrefix(v, "-") {
				w.diags.add(KindInvalidNumber, s.Pos, "negative number '%s'", v)
			} else {
				w.diags.add(KindInvalidNumber, s.Pos, "invalid number '%s'", v)
			}
			w.diags.add(KindGeneral, s.Pos, "%s '%s' is invalid", s.Keyword, v)
			return false
		}
		if us < k.Min || us > k.Max {
			w.diags.add(KindInvalidNumber, s.Pos, "number '%s' outside range [%s, %s]", v, fmtMicros(k.Min), fmtMicros(k.Max))
			w.diags.add(KindGeneral, s.Pos, "%s '%s' is invalid", s.Keyword, v)
			return false
		}
	}
	return true
}

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
