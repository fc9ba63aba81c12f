package healthcheck

import (
	"fmt"
	"strconv"
	"strings"
)

// sample is the value of a sample fetch: a string, or an integer when
// isInt; found is false when the fetch found nothing.
type sample struct {
	s     string
	n     int64
	isInt bool
	found bool
}

func (s sample) String() string {
	if s.isInt {
		return strconv.FormatInt(s.n, 10)
	}
	return s.s
}

// toInt is haproxy's string to integer cast (c_str2int): an optional
// sign and the digits that follow, 0 when there are none; an empty
// string does not convert.
func (s sample) toInt() (int64, bool) {
	if s.isInt {
		return s.n, true
	}
	if s.s == "" {
		return 0, false
	}
	i, neg := 0, false
	if s.s[0] == '-' || s.s[0] == '+' {
		neg, i = s.s[0] == '-', 1
	}
	var v int64
	for ; i < len(s.s) && s.s[i] >= '0' && s.s[i] <= '9'; i++ {
		v = v*10 + int64(s.s[i]-'0')
		if v < 0 {
			v = 1<<63 - 1
		}
	}
	if neg {
		v = -v
	}
	return v, true
}

// sampleExpr is a compiled sample expression of a check rule
// (status-code, and the %[...] parts of on-success/on-error).
type sampleExpr func(r *run) sample

// compileSample compiles the sample fetches a check's expect rule can
// use: status, res.hdr(name[,occ]) and res.fhdr(name[,occ]) on an HTTP
// response, and int(n) / str(s) constants. http says whether the ruleset
// is an http-check one. Converters are refused.
func compileSample(expr string, http bool) (sampleExpr, error) {
	name, args, ok := strings.Cut(expr, "(")
	if ok {
		if !strings.HasSuffix(args, ")") {
			return nil, fmt.Errorf("sample expression '%s' is not supported by gohaproxy (only one fetch, without converters)", expr)
		}
		args = strings.TrimSuffix(args, ")")
	}
	if strings.ContainsAny(name, ",") || strings.Contains(args, ")") {
		return nil, fmt.Errorf("sample expression '%s' is not supported by gohaproxy (converters are not)", expr)
	}
	switch name {
	case "int":
		n, err := strconv.ParseInt(strings.TrimSpace(args), 10, 64)
		if err != nil || !ok {
			return nil, fmt.Errorf("fetch method 'int' expects an integer, got '%s'", args)
		}
		return func(*run) sample { return sample{n: n, isInt: true, found: true} }, nil
	case "str":
		if !ok {
			return nil, fmt.Errorf("fetch method 'str' expects a string")
		}
		return func(*run) sample { return sample{s: args, found: true} }, nil
	case "status":
		if !http || ok {
			break
		}
		return func(r *run) sample {
			if r.resp == nil {
				return sample{}
			}
			return sample{n: int64(r.resp.code), isInt: true, found: true}
		}, nil
	case "res.hdr", "res.fhdr":
		if !http || !ok {
			break
		}
		hname, occS, hasOcc := strings.Cut(args, ",")
		occ := -1
		if hasOcc {
			n, err := strconv.Atoi(strings.TrimSpace(occS))
			if err != nil {
				return nil, fmt.Errorf("fetch method '%s' expects an occurrence number, got '%s'", name, occS)
			}
			occ = n
		}
		full := name == "res.fhdr"
		return func(r *run) sample {
			if r.resp == nil {
				return sample{}
			}
			v, found := headerOcc(r.resp.hdrs, hname, occ, full)
			return sample{s: v, found: found}
		}, nil
	}
	if !http {
		return nil, fmt.Errorf("sample fetch '%s' is not supported by gohaproxy's tcp-check rules (int and str are)", expr)
	}
	return nil, fmt.Errorf("sample fetch '%s' is not supported by gohaproxy's checks (status, res.hdr, res.fhdr, int and str are)", expr)
}

// headerOcc is the occ-th value of header name (counting from 1; -1 the
// last, other negatives from the end), each comma-separated value
// counting unless full.
func headerOcc(hdrs [][2]string, name string, occ int, full bool) (string, bool) {
	var vals []string
	for _, h := range hdrs {
		if !strings.EqualFold(h[0], name) {
			continue
		}
		if full {
			vals = append(vals, h[1])
			continue
		}
		for _, v := range strings.Split(h[1], ",") {
			vals = append(vals, strings.Trim(v, " \t"))
		}
	}
	switch {
	case len(vals) == 0:
		return "", false
	case occ > 0 && occ <= len(vals):
		return vals[occ-1], true
	case occ < 0 && -occ <= len(vals):
		return vals[len(vals)+occ], true
	case occ == 0:
		return vals[len(vals)-1], true
	}
	return "", false
}

// logFormat is a compiled log-format string of a check rule.
type logFormat func(r *run) string

// compileLogFormat compiles the log-format strings of on-success,
// on-error, string-lf, name-lf and value-lf: literal text and %[expr]
// samples (an absent sample prints nothing, as haproxy's check messages
// show). Other
// log-format variables are refused.
func compileLogFormat(s string, http bool) (logFormat, error) {
	type part struct {
		lit  string
		expr sampleExpr
	}
	var parts []part
	var lit strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '%' {
			lit.WriteByte(c)
			continue
		}
		if i+1 < len(s) && s[i+1] == '%' {
			lit.WriteByte('%')
			i++
			continue
		}
		if i+1 >= len(s) || s[i+1] != '[' {
			return nil, fmt.Errorf("log-format variable at '%s' is not supported by gohaproxy's checks (only %%[sample] is)", s[i:])
		}
		end := strings.IndexByte(s[i:], ']')
		if end < 0 {
			return nil, fmt.Errorf("missing ']' in log-format string '%s'", s)
		}
		e, err := compileSample(s[i+2:i+end], http)
		if err != nil {
			return nil, err
		}
		if lit.Len() > 0 {
			parts = append(parts, part{lit: lit.String()})
			lit.Reset()
		}
		parts = append(parts, part{expr: e})
		i += end
	}
	if lit.Len() > 0 {
		parts = append(parts, part{lit: lit.String()})
	}
	return func(r *run) string {
		var b strings.Builder
		for _, p := range parts {
			if p.expr == nil {
				b.WriteString(p.lit)
				continue
			}
			if v := p.expr(r); v.found {
				b.WriteString(v.String())
			}
		}
		return b.String()
	}, nil
}
