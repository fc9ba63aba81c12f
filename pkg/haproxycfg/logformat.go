package haproxycfg

import (
	"fmt"
	"strings"
)

// logFormatVars are the %-variables of haproxy 2.6's log-format language.
var logFormatVars = map[string]bool{
	"B": true, "CC": true, "CS": true, "H": true, "HM": true, "HP": true, "HPO": true, "HQ": true,
	"HU": true, "HV": true, "ID": true, "ST": true, "T": true, "Ta": true, "Tc": true, "Td": true,
	"Th": true, "Ti": true, "Tq": true, "TR": true, "Tr": true, "Ts": true, "Tt": true, "Tu": true,
	"Tw": true, "U": true, "ac": true, "b": true, "bc": true, "bi": true, "bp": true, "bq": true,
	"ci": true, "cp": true, "f": true, "fc": true, "fi": true, "fp": true, "ft": true, "hr": true,
	"hrl": true, "hs": true, "hsl": true, "lc": true, "ms": true, "pid": true, "r": true, "rc": true,
	"rt": true, "s": true, "sc": true, "si": true, "sp": true, "sq": true, "t": true, "tr": true,
	"trg": true, "trl": true, "ts": true, "tsc": true, "o": true, "sslc": true, "sslv": true,
	"fn": true, "bn": true,
}

// checkLogFormat validates a log-format string: %% escapes, %{flags}
// prefixes, %[sample,converters] expressions and %variables. useMask, when
// not zero, is the usage column the sample fetches must be valid in. It
// returns haproxy's error text, or "".
func (p *parser) checkLogFormat(px *Proxy, s string) string {
	return p.checkLogFormatIn(px, s, 0)
}

func (p *parser) checkLogFormatIn(px *Proxy, s string, useMask uint32) string {
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			continue
		}
		i++
		if i >= len(s) {
			return "truncated line after '%'."
		}
		if s[i] == '%' {
			continue
		}
		if s[i] == '{' {
			j := strings.IndexByte(s[i:], '}')
			if j < 0 {
				return fmt.Sprintf("truncated line after '%s'.", s[i+1:])
			}
			i += j + 1
			if i >= len(s) {
				return "truncated line after '}'."
			}
		}
		if s[i] == '[' {
			depth := 0
			end := -1
			for j := i + 1; j < len(s); j++ {
				if s[j] == '(' {
					depth++
				} else if s[j] == ')' {
					depth--
				} else if s[j] == ']' && depth <= 0 {
					end = j
					break
				}
			}
			if end < 0 {
				return fmt.Sprintf("missing ']' after '%s'.", s[i+1:])
			}
			if msg := p.checkSampleExpr(px, s[i+1:end], s[i+1:], useMask); msg != "" {
				return msg
			}
			i = end
			continue
		}
		j := i
		for j < len(s) && (s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z') {
			j++
		}
		name := s[i:j]
		if name == "" {
			return fmt.Sprintf("unexpected character '%c' after '%%'.", s[i])
		}
		if !logFormatVars[name] {
			return fmt.Sprintf("no such format variable '%s'. If you wanted to emit the '%%' character verbatim, you need to use '%%%%'.", name)
		}
		i = j - 1
	}
	return ""
}

// checkSampleExpr validates "fetch(args),conv(args)..." inside %[ ].
func (p *parser) checkSampleExpr(px *Proxy, expr, rest string, useMask uint32) string {
	name, args, convs, e := splitFetch(expr)
	if e != "" {
		return "failed to parse sample expression <" + rest + "> : " + e
	}
	f, ok := lookupFetch(name)
	if !ok {
		return fmt.Sprintf("failed to parse sample expression <%s> : unknown fetch method '%s'.", rest, name)
	}
	if len(f.Args) == 0 && len(args) > 0 {
		return fmt.Sprintf("failed to parse sample expression <%s> : fetch method '%s' : expected ')' before '%s)]'.", rest, name, strings.Join(args, ","))
	}
	if msg := p.checkFetchArgs(px, name, f, args); msg != "" {
		return "failed to parse sample expression <" + rest + "> : " + msg
	}
	for _, c := range convs {
		cn := c
		if i := strings.IndexByte(c, '('); i >= 0 {
			cn = c[:i]
		}
		if _, ok := oracleConverters[cn]; !ok {
			return fmt.Sprintf("failed to parse sample expression <%s> : unknown converter '%s'.", rest, cn)
		}
	}
	if useMask != 0 && f.Use&useMask == 0 {
		return fmt.Sprintf("sample fetch <%s> may not be reliably used here because it needs '%s' which is not available here.", rest, fetchNeeds(f))
	}
	return ""
}

// fetchNeeds names what a fetch needs, as haproxy's messages do.
func fetchNeeds(f oracleFetch) string {
	switch {
	case f.Use&fetchUseFeHTTPReqHdr != 0:
		return "HTTP request headers"
	case f.Use&fetchUseBeHTTPResHdr != 0:
		return "HTTP response headers"
	default:
		return "information not available at this stage"
	}
}
