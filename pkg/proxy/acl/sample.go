package acl

import (
	"fmt"
	"strings"
)

// Sample is a compiled sample expression ("fetch(args),conv(args),..."),
// as %[...] in a log-format string or a dynamic use_backend name holds.
// It is immutable and safe for concurrent use.
type Sample struct {
	f     *fetchDef
	name  string
	args  []string
	convs []conv
	text  string
}

// String returns the expression's source.
func (s *Sample) String() string { return s.text }

// Fetch returns the name of the expression's fetch.
func (s *Sample) Fetch() string { return s.name }

// NeedsHTTP says whether the expression reads the HTTP request.
func (s *Sample) NeedsHTTP() bool { return s.f.http }

// NeedsResponse says whether the expression reads the HTTP response.
func (s *Sample) NeedsResponse() bool { return s.f.resp }

// NeedsContent says whether the expression reads the raw request buffer.
func (s *Sample) NeedsContent() bool { return s.f.content }

// SplitExpr splits "name(args),conv(args),..." into the fetch name, its
// arguments and the converters, without checking the names.
func SplitExpr(expr string) (name string, args, convs []string, err error) {
	var parts []string
	depth, start := 0, 0
	for i := 0; i < len(expr); i++ {
		switch expr[i] {
		case '(':
			depth++
		case ')':
			depth--
			if depth < 0 {
				return "", nil, nil, fmt.Errorf("unexpected ')' in sample expression '%s'", expr)
			}
		case ',':
			if depth == 0 {
				parts = append(parts, expr[start:i])
				start = i + 1
			}
		}
	}
	if depth != 0 {
		return "", nil, nil, fmt.Errorf("missing closing ')' in sample expression '%s'", expr)
	}
	parts = append(parts, expr[start:])
	head := parts[0]
	name = head
	if i := strings.IndexByte(head, '('); i >= 0 {
		if !strings.HasSuffix(head, ")") {
			return "", nil, nil, fmt.Errorf("missing closing ')' after arguments to fetch keyword '%s'", head[:i])
		}
		name = head[:i]
		if inner := head[i+1 : len(head)-1]; inner != "" {
			args = strings.Split(inner, ",")
		}
	}
	if name == "" {
		return "", nil, nil, fmt.Errorf("missing fetch method in sample expression '%s'", expr)
	}
	for _, c := range parts[1:] {
		if c == "" {
			return "", nil, nil, fmt.Errorf("empty converter in sample expression '%s'", expr)
		}
	}
	return name, args, parts[1:], nil
}

// CompileSample compiles a sample expression. A fetch or converter
// gohaproxy cannot evaluate is an *Unsupported error naming it.
func (cp *Compiler) CompileSample(expr string) (*Sample, error) {
	name, args, convs, err := SplitExpr(expr)
	if err != nil {
		return nil, err
	}
	f, ok := fetches[name]
	if !ok || f.aclOnly {
		return nil, &Unsupported{fmt.Sprintf("fetch '%s'", name)}
	}
	if len(args) < f.minArgs || len(args) > f.maxArgs {
		return nil, &Unsupported{fmt.Sprintf("fetch '%s' with %d argument(s)", name, len(args))}
	}
	s := &Sample{f: f, name: name, args: args, text: expr}
	for _, c := range convs {
		cv, _, err := cp.compileConv(c)
		if err != nil {
			return nil, err
		}
		s.convs = append(s.convs, cv)
	}
	return s, nil
}

// eval fetches the sample and applies the converters.
func (s *Sample) eval(ctx *Context) (sample, bool) {
	smp, ok, _ := s.f.fn(ctx, s.args)
	for _, c := range s.convs {
		if !ok {
			break
		}
		smp, ok = c(smp)
	}
	return smp, ok
}

// Append appends the expression's value as a string, with haproxy's
// casts (booleans and integers in decimal, addresses in their text form,
// binary as is); ok is false when the sample is missing.
func (s *Sample) Append(dst []byte, ctx *Context) ([]byte, bool) {
	smp, ok := s.eval(ctx)
	if !ok {
		return dst, false
	}
	return appendSample(dst, smp), true
}

func appendSample(dst []byte, smp sample) []byte {
	switch smp.k {
	case kBool, kInt:
		return appendInt(dst, smp.i)
	case kIP:
		if !smp.ip.IsValid() {
			return dst
		}
		return smp.ip.AppendTo(dst)
	}
	return append(dst, smp.s...)
}

func appendInt(dst []byte, v int64) []byte {
	var b [20]byte
	i := len(b)
	neg := v < 0
	u := uint64(v)
	if neg {
		u = uint64(-v)
	}
	for {
		i--
		b[i] = byte('0' + u%10)
		u /= 10
		if u == 0 {
			break
		}
	}
	if neg {
		dst = append(dst, '-')
	}
	return append(dst, b[i:]...)
}
