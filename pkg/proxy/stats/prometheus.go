package stats

import (
	"strconv"
	"strings"
)

// PromContentType is the Content-Type of haproxy 2.6's Prometheus
// exporter. haproxy answers 200 with "cache-control: no-cache", this
// content type and a chunked body (no body for HEAD).
const PromContentType = "text/plain; version=0.0.4"

// PromScope is a set of the exporter's scopes ("scope=" query values).
type PromScope uint8

// The scopes, as named in the query string.
const (
	PromScopeGlobal     PromScope = 1 << iota // scope=global: haproxy_process_*
	PromScopeFrontend                         // scope=frontend: haproxy_frontend_*
	PromScopeListener                         // scope=listener: haproxy_listener_* (Proxy.Listeners)
	PromScopeBackend                          // scope=backend: haproxy_backend_*
	PromScopeServer                           // scope=server: haproxy_server_*
	PromScopeStickTable                       // scope=sticktable: haproxy_sticktable_* (Snapshot.StickTables)

	PromScopeAll = PromScopeGlobal | PromScopeFrontend | PromScopeListener | PromScopeBackend | PromScopeServer | PromScopeStickTable
)

// PromQuery is what the exporter's query string selects. Build it with
// ParsePromQuery: the zero PromQuery selects no scope at all (as
// "?scope=" does).
type PromQuery struct {
	Scopes PromScope
	// NoMaint leaves out the servers in maintenance ("no-maint").
	NoMaint bool
	// Invalid reports a query haproxy refuses: it answers its standard
	// "400 Bad request" instead of metrics. AppendPrometheus prints
	// nothing for it.
	Invalid bool
}

// ParsePromQuery parses the query string of a request to the exporter
// (what follows the first '?' of the URI) as haproxy 2.6 does:
// "&"-separated parameters, URL-decoded ('+' is a space), up to an
// optional '#'. Each "scope=NAME" adds a scope (global, frontend,
// listener, backend, server, sticktable, or "*" for all) and "scope="
// removes those given before; without any scope parameter every scope
// is selected. "no-maint" hides servers in maintenance; other
// parameters are ignored. A scope without a value or with an unknown
// name, a second '=' in a parameter, or a bad %-escape make the query
// Invalid.
func ParsePromQuery(rawQuery string) PromQuery {
	var q PromQuery
	anyScope := false
	s := rawQuery
	for len(s) > 0 && s[0] != '#' && s[0] != 0 {
		// the name runs to '=', '&', '#' or the end
		i := strings.IndexAny(s, "=&#")
		var key, value string
		hasValue := false
		if i < 0 {
			key, s = s, ""
		} else {
			key = s[:i]
			switch s[i] {
			case '=':
				hasValue = true
				s = s[i+1:]
			case '&':
				s = s[i+1:]
			default: // '#': ends the query
				s = s[i:]
			}
		}
		key, ok := promURLDecode(key)
		if !ok {
			return PromQuery{Invalid: true}
		}
		if hasValue {
			j := strings.IndexAny(s, "=&#")
			if j < 0 {
				value, s = s, ""
			} else {
				value = s[:j]
				switch s[j] {
				case '=':
					return PromQuery{Invalid: true}
				case '&':
					s = s[j+1:]
				default:
					s = s[j:]
				}
			}
			if value, ok = promURLDecode(value); !ok {
				return PromQuery{Invalid: true}
			}
		}
		switch key {
		case "scope":
			anyScope = true
			switch {
			case !hasValue:
				return PromQuery{Invalid: true}
			case value == "":
				q.Scopes = 0
			case value[0] == '*':
				q.Scopes = PromScopeAll
			case value == "global":
				q.Scopes |= PromScopeGlobal
			case value == "server":
				q.Scopes |= PromScopeServer
			case value == "backend":
				q.Scopes |= PromScopeBackend
			case value == "frontend":
				q.Scopes |= PromScopeFrontend
			case value == "listener":
				q.Scopes |= PromScopeListener
			case value == "sticktable":
				q.Scopes |= PromScopeStickTable
			default:
				return PromQuery{Invalid: true}
			}
		case "no-maint":
			q.NoMaint = true
		}
	}
	if !anyScope {
		q.Scopes = PromScopeAll
	}
	return q
}

// promURLDecode decodes %XX escapes and '+' (a space in a query string).
// A decoded NUL ends the string, as it does for haproxy's C strings. It
// reports false for a '%' not followed by two hex digits.
func promURLDecode(s string) (string, bool) {
	if i := strings.IndexByte(s, 0); i >= 0 {
		s = s[:i] // haproxy's C string ends there
	}
	if !strings.ContainsAny(s, "%+") {
		return s, true
	}
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '+':
			c = ' '
		case '%':
			if i+2 >= len(s) {
				return "", false
			}
			if !isHex(s[i+1]) || !isHex(s[i+2]) {
				return "", false
			}
			c = unhex(s[i+1])<<4 | unhex(s[i+2])
			i += 2
		}
		out = append(out, c)
	}
	if i := strings.IndexByte(string(out), 0); i >= 0 {
		out = out[:i]
	}
	return string(out), true
}

// Object kinds a stats metric applies to.
const (
	promFrontend = 1 << iota
	promBackend
	promServer
	promListener
)

// promMetric is one metric family: the stats or info field it reads, its
// name without the haproxy_<kind>_ prefix, its type and HELP text.
type promMetric struct {
	field   string
	name    string
	counter bool
	kinds   uint8
	help    string
}

// promState labels of haproxy_server_status and of the backends'
// aggregated server states, in haproxy's order.
var promSrvStates = [...]string{"DOWN", "UP", "MAINT", "DRAIN", "NOLB"}

// promListenerStates are the labels of haproxy_listener_status.
var promListenerStates = [...]string{"WAITING", "OPEN", "FULL"}

// promStickTableMetrics are the haproxy_sticktable_* families.
var promStickTableMetrics = [...]promMetric{
	{"size", "size", false, 0, "Stick table size."},
	{"used", "used", false, 0, "Number of entries used in this stick table."},
}

// promCheckStates are the labels of haproxy_server_check_status and
// haproxy_backend_agg_check_status: the check results that end a check,
// in haproxy's order.
var promCheckStates = [...]string{"HANA", "SOCKERR", "L4OK", "L4TOUT", "L4CON", "L6OK", "L6TOUT", "L6RSP",
	"L7TOUT", "L7RSP", "L7OK", "L7OKC", "L7STS", "PROCERR", "PROCTOUT", "PROCOK"}

// promCodes are the "code" labels of http_responses_total.
var promCodes = [...]struct{ field, label string }{
	{"hrsp_1xx", "1xx"}, {"hrsp_2xx", "2xx"}, {"hrsp_3xx", "3xx"}, {"hrsp_4xx", "4xx"}, {"hrsp_5xx", "5xx"}, {"hrsp_other", "other"},
}

// promHTTPOnly lists the fields haproxy exports for HTTP proxies only,
// per kind (the http_responses_total family is HTTP-only everywhere).
func promHTTPOnly(kind uint8, field string) bool {
	switch field {
	case "hrsp_1xx":
		return true
	case "req_tot", "cache_lookups", "cache_hits", "comp_in", "comp_out", "comp_byp", "comp_rsp":
		return kind == promFrontend || kind == promBackend
	case "req_rate_max", "intercepted":
		return kind == promFrontend
	}
	return false
}

// promSeconds lists the fields haproxy exports in seconds (the stats
// field holds milliseconds), printed with six decimals.
func promSeconds(field string) bool {
	switch field {
	case "qtime", "ctime", "rtime", "ttime", "qtime_max", "ctime_max", "rtime_max", "ttime_max":
		return true
	}
	return false
}

// promSrvState maps a server's "show stat" status to its exporter state:
// an index in promSrvStates.
func promSrvState(status string) int {
	switch {
	case strings.HasPrefix(status, "MAINT"):
		return 2
	case strings.HasPrefix(status, "DRAIN"):
		return 3
	case strings.HasPrefix(status, "NOLB"):
		return 4
	case strings.HasPrefix(status, "UP"), status == "no check":
		return 1
	}
	return 0
}

// promCheckStatus returns the finished check status of a check ("L4OK",
// ...): the "* " of a check in progress removed.
func promCheckStatus(ck *Check) string {
	if ck == nil {
		return ""
	}
	return strings.TrimPrefix(ck.Status, "* ")
}

// promCheckCodeShown reports whether a check status carries a layer 5-7
// code (haproxy prints 0 as the code of the others).
func promCheckCodeShown(st string) bool {
	switch st {
	case "L7OK", "L7OKC", "L7STS", "PROCERR", "PROCTOUT", "PROCOK":
		return true
	}
	return false
}

// promWriter appends samples, writing a family's HELP and TYPE lines
// before its first sample only (families without samples are left out,
// as haproxy does).
type promWriter struct {
	dst     []byte
	prefix  string
	m       *promMetric
	pending bool
}

func (w *promWriter) family(prefix string, m *promMetric) {
	w.prefix, w.m, w.pending = prefix, m, true
}

// label is one name="value" pair.
type promLabel struct{ name, value string }

func (w *promWriter) start(labels ...promLabel) {
	if w.pending {
		w.pending = false
		w.dst = append(w.dst, "# HELP "...)
		w.dst = append(w.dst, w.prefix...)
		w.dst = append(w.dst, w.m.name...)
		w.dst = append(w.dst, ' ')
		w.dst = append(w.dst, w.m.help...)
		w.dst = append(w.dst, "\n# TYPE "...)
		w.dst = append(w.dst, w.prefix...)
		w.dst = append(w.dst, w.m.name...)
		if w.m.counter {
			w.dst = append(w.dst, " counter\n"...)
		} else {
			w.dst = append(w.dst, " gauge\n"...)
		}
	}
	w.dst = append(w.dst, w.prefix...)
	w.dst = append(w.dst, w.m.name...)
	if len(labels) > 0 {
		w.dst = append(w.dst, '{')
		for i, l := range labels {
			if i > 0 {
				w.dst = append(w.dst, ',')
			}
			w.dst = append(w.dst, l.name...)
			w.dst = append(w.dst, `="`...)
			w.dst = append(w.dst, l.value...)
			w.dst = append(w.dst, '"')
		}
		w.dst = append(w.dst, '}')
	}
	w.dst = append(w.dst, ' ')
}

// int writes a sample with an integer value.
func (w *promWriter) int(v int64, labels ...promLabel) {
	w.start(labels...)
	w.dst = strconv.AppendInt(w.dst, v, 10)
	w.dst = append(w.dst, '\n')
}

// value writes a sample from a stats or info value: NaN when the field is
// empty or not a number.
func (w *promWriter) value(v Value, labels ...promLabel) {
	if !v.set || v.str != "" {
		w.start(labels...)
		w.dst = append(w.dst, "NaN\n"...)
		return
	}
	w.int(v.num, labels...)
}

// seconds writes a millisecond value as seconds with six decimals.
func (w *promWriter) seconds(ms int64, labels ...promLabel) {
	w.start(labels...)
	w.dst = strconv.AppendFloat(w.dst, float64(ms)/1000, 'f', 6, 64)
	w.dst = append(w.dst, '\n')
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// AppendPrometheus appends haproxy 2.6's Prometheus exposition of the
// snapshot for query q: haproxy_process_* from the snapshot's Info, then
// haproxy_frontend_*, haproxy_listener_*, haproxy_backend_*,
// haproxy_server_* and haproxy_sticktable_*, family by family in
// haproxy's order, each family's HELP and TYPE lines before its first
// sample (families without samples are left out). Values come from the
// same rows as "show stat": an empty field prints NaN, as haproxy does.
// Nothing is appended for an Invalid query.
//
// What the snapshot must hold beyond "show stat": a server in maintenance
// whose check is configured keeps its Check, with the last result (haproxy
// pauses the check but still counts its status in
// haproxy_backend_agg_check_status and prints its duration); a check that
// never finished has Duration -1; a server's maxconn is its Limit.
func AppendPrometheus(dst []byte, s *Snapshot, q PromQuery) []byte {
	if q.Invalid || s == nil {
		return dst
	}
	w := promWriter{dst: dst}
	if q.Scopes&PromScopeGlobal != 0 {
		promInfo(&w, &s.Info)
	}
	if q.Scopes&(PromScopeFrontend|PromScopeListener|PromScopeBackend|PromScopeServer) == 0 {
		promStickTables(&w, s, q)
		return w.dst
	}
	type proxyRows struct {
		fe, be  Row
		servers []Row
	}
	rows := make([]proxyRows, len(s.Proxies))
	for i := range s.Proxies {
		p := &s.Proxies[i]
		if p.Frontend && q.Scopes&PromScopeFrontend != 0 {
			rows[i].fe = frontendRow(p)
		}
		if p.Backend && q.Scopes&PromScopeBackend != 0 {
			rows[i].be = backendRow(p, false)
		}
		if p.Backend && q.Scopes&PromScopeServer != 0 {
			rows[i].servers = make([]Row, len(p.Servers))
			for j := range p.Servers {
				rows[i].servers[j] = serverRow(p, &p.Servers[j])
			}
		}
	}
	if q.Scopes&PromScopeFrontend != 0 {
		for mi := range promStatMetrics {
			m := &promStatMetrics[mi]
			if m.kinds&promFrontend == 0 {
				continue
			}
			w.family("haproxy_frontend_", m)
			for _, code := range promCodesFor(m.field) {
				f := FieldIndex(code.field)
				for i := range s.Proxies {
					p := &s.Proxies[i]
					if !p.Frontend || promHTTPOnly(promFrontend, m.field) && p.Mode != "http" {
						continue
					}
					px := promLabel{"proxy", p.Name}
					switch {
					case m.field == "status":
						w.int(b2i(p.Stopped), px, promLabel{"state", "DOWN"})
						w.int(b2i(!p.Stopped), px, promLabel{"state", "UP"})
					case code.label != "":
						w.value(rows[i].fe.Fields[f], px, promLabel{"code", code.label})
					default:
						w.value(rows[i].fe.Fields[f], px)
					}
				}
			}
		}
	}
	if q.Scopes&PromScopeListener != 0 {
		for mi := range promStatMetrics {
			m := &promStatMetrics[mi]
			if m.kinds&promListener == 0 {
				continue
			}
			w.family("haproxy_listener_", m)
			for i := range s.Proxies {
				p := &s.Proxies[i]
				if !p.Frontend {
					continue
				}
				for j := range p.Listeners {
					promListenerSample(&w, m, p, &p.Listeners[j])
				}
			}
		}
	}
	if q.Scopes&PromScopeBackend != 0 {
		for mi := range promStatMetrics {
			m := &promStatMetrics[mi]
			if m.kinds&promBackend == 0 {
				continue
			}
			w.family("haproxy_backend_", m)
			for _, code := range promCodesFor(m.field) {
				f := FieldIndex(code.field)
				for i := range s.Proxies {
					p := &s.Proxies[i]
					if !p.Backend || promHTTPOnly(promBackend, m.field) && p.Mode != "http" {
						continue
					}
					promBackendSample(&w, m, p, &rows[i].be, f, code.label)
				}
			}
		}
	}
	if q.Scopes&PromScopeServer != 0 {
		for mi := range promStatMetrics {
			m := &promStatMetrics[mi]
			if m.kinds&promServer == 0 {
				continue
			}
			w.family("haproxy_server_", m)
			for _, code := range promCodesFor(m.field) {
				f := FieldIndex(code.field)
				for i := range s.Proxies {
					p := &s.Proxies[i]
					if !p.Backend || promHTTPOnly(promServer, m.field) && p.Mode != "http" {
						continue
					}
					for j := range p.Servers {
						sv := &p.Servers[j]
						if q.NoMaint && promSrvState(sv.Status) == 2 {
							continue
						}
						promServerSample(&w, m, p, sv, &rows[i].servers[j], f, code.label)
					}
				}
			}
		}
	}
	promStickTables(&w, s, q)
	return w.dst
}

// promStickTables writes haproxy_sticktable_size and _used, labelled with
// the table's name and key type; tables of size 0 are left out.
func promStickTables(w *promWriter, s *Snapshot, q PromQuery) {
	if q.Scopes&PromScopeStickTable == 0 {
		return
	}
	for mi := range promStickTableMetrics {
		m := &promStickTableMetrics[mi]
		w.family("haproxy_sticktable_", m)
		for i := range s.StickTables {
			st := &s.StickTables[i]
			if st.Size == 0 {
				continue
			}
			v := st.Size
			if m.field == "used" {
				v = st.Used
			}
			w.int(v, promLabel{"name", st.Name}, promLabel{"type", st.Type})
		}
	}
}

// promListenerSample writes one listener's sample: haproxy fills every
// listener field.
func promListenerSample(w *promWriter, m *promMetric, p *Proxy, li *Listener) {
	px, ln := promLabel{"proxy", p.Name}, promLabel{"listener", li.Name}
	c := &li.Counters
	var v int64
	switch m.field {
	case "status":
		for _, st := range promListenerStates {
			w.int(b2i(li.Status == st), px, ln, promLabel{"state", st})
		}
		return
	case "scur":
		v = c.Cur
	case "smax":
		v = c.Max
	case "slim":
		v = c.Limit
	case "stot":
		v = c.Total
	case "bin":
		v = c.BytesIn
	case "bout":
		v = c.BytesOut
	case "dreq":
		v = c.DeniedReq
	case "dresp":
		v = c.DeniedResp
	case "ereq":
		v = c.ErrReq
	case "dcon":
		v = c.DeniedConn
	case "dses":
		v = c.DeniedSess
	case "wrew":
		v = c.FailedRewrites
	case "eint":
		v = c.InternalErrors
	}
	w.int(v, px, ln)
}

// promCodesFor returns the passes of a family: one per HTTP code class for
// http_responses_total (all proxies for 1xx, then all for 2xx...), a
// single unlabelled pass for the others.
func promCodesFor(field string) []struct{ field, label string } {
	if field == "hrsp_1xx" {
		return promCodes[:]
	}
	return []struct{ field, label string }{{field, ""}}
}

func promInfo(w *promWriter, in *Info) {
	for mi := range promInfoMetrics {
		m := &promInfoMetrics[mi]
		w.family("haproxy_process_", m)
		if m.field == "Build info" {
			v := infoValue(in, "Version")
			if !v.set {
				v = infoValue(in, "Build info")
			}
			w.int(1, promLabel{"version", v.str})
			continue
		}
		w.value(infoValue(in, m.field))
	}
}

// infoValue returns the value of a "show info" field (empty for an
// unknown name).
func infoValue(in *Info, name string) Value {
	for i := range infoDefs {
		if infoDefs[i].name == name {
			return in.Values[i]
		}
	}
	return Value{}
}

func promBackendSample(w *promWriter, m *promMetric, p *Proxy, r *Row, f int, code string) {
	px := promLabel{"proxy", p.Name}
	switch m.field {
	case "status":
		up := r.Fields[FieldIndex("status")].str != "DOWN"
		w.int(b2i(!up), px, promLabel{"state", "DOWN"})
		w.int(b2i(up), px, promLabel{"state", "UP"})
		return
	case "agg_server_status", "agg_server_check_status":
		if len(p.Servers) == 0 {
			return
		}
		var n [len(promSrvStates)]int64
		for i := range p.Servers {
			n[promSrvState(p.Servers[i].Status)]++
		}
		for i, st := range promSrvStates {
			w.int(n[i], px, promLabel{"state", st})
		}
		return
	case "agg_check_status":
		if len(p.Servers) == 0 {
			return
		}
		var n [len(promCheckStates)]int64
		for i := range p.Servers {
			st := promCheckStatus(p.Servers[i].Check)
			for k, name := range promCheckStates {
				if name == st {
					n[k]++
				}
			}
		}
		for i, st := range promCheckStates {
			w.int(n[i], px, promLabel{"state", st})
		}
		return
	}
	if code != "" {
		w.value(r.Fields[f], px, promLabel{"code", code})
		return
	}
	if promSeconds(m.field) {
		w.seconds(r.Fields[f].num, px)
		return
	}
	w.value(r.Fields[f], px)
}

func promServerSample(w *promWriter, m *promMetric, p *Proxy, sv *Server, r *Row, f int, code string) {
	px, sn := promLabel{"proxy", p.Name}, promLabel{"server", sv.Name}
	switch m.field {
	case "status":
		st := promSrvState(sv.Status)
		for i, name := range promSrvStates {
			w.int(b2i(i == st), px, sn, promLabel{"state", name})
		}
		return
	case "check_status", "check_code":
		// Only running checks: none when disabled, paused while the
		// server is in maintenance.
		if sv.Check == nil || promSrvState(sv.Status) == 2 {
			return
		}
		st := promCheckStatus(sv.Check)
		if m.field == "check_code" {
			var c int64
			if promCheckCodeShown(st) && sv.Check.Code > 0 {
				c = sv.Check.Code
			}
			w.int(c, px, sn)
			return
		}
		for _, name := range promCheckStates {
			w.int(b2i(name == st), px, sn, promLabel{"state", name})
		}
		return
	case "check_duration":
		// Any finished check, even paused since.
		if sv.Check == nil || sv.Check.Duration < 0 {
			return
		}
		w.seconds(sv.Check.Duration, px, sn)
		return
	}
	if code != "" {
		w.value(r.Fields[f], px, sn, promLabel{"code", code})
		return
	}
	if m.field == "slim" && sv.Limit > 0 {
		// the server's maxconn (empty without one)
		w.int(sv.Limit, px, sn)
		return
	}
	if promSeconds(m.field) {
		w.seconds(r.Fields[f].num, px, sn)
		return
	}
	w.value(r.Fields[f], px, sn)
}

// The tables below were written from haproxy 2.6's /metrics output (metric
// names, HELP and TYPE lines) and its stats field names.
// promInfoMetrics lists haproxy_process_* metrics in haproxy's order: the
// "show info" field each one reads, its name, whether it is a counter,
// and its HELP text.
var promInfoMetrics = [...]promMetric{
	{"Nbthread", "nbthread", false, 0, "Number of started threads (global.nbthread)"},
	{"Nbproc", "nbproc", false, 0, "Number of started worker processes (historical, always 1)"},
	{"Process_num", "relative_process_id", false, 0, "Relative worker process number (1)"},
	{"Uptime_sec", "uptime_seconds", false, 0, "How long ago this worker process was started (seconds)"},
	{"PoolFailed", "pool_failures_total", true, 0, "Number of failed pool allocations since this worker was started"},
	{"Ulimit-n", "max_fds", false, 0, "Hard limit on the number of per-process file descriptors"},
	{"Maxsock", "max_sockets", false, 0, "Hard limit on the number of per-process sockets"},
	{"Maxconn", "max_connections", false, 0, "Hard limit on the number of per-process connections (configured or imposed by Ulimit-n)"},
	{"Hard_maxconn", "hard_max_connections", false, 0, "Hard limit on the number of per-process connections (imposed by Memmax_MB or Ulimit-n)"},
	{"CurrConns", "current_connections", false, 0, "Current number of connections on this worker process"},
	{"CumConns", "connections_total", true, 0, "Total number of connections on this worker process since started"},
	{"CumReq", "requests_total", true, 0, "Total number of requests on this worker process since started"},
	{"MaxSslConns", "max_ssl_connections", false, 0, "Hard limit on the number of per-process SSL endpoints (front+back), 0=unlimited"},
	{"CurrSslConns", "current_ssl_connections", false, 0, "Current number of SSL endpoints on this worker process (front+back)"},
	{"CumSslConns", "ssl_connections_total", true, 0, "Total number of SSL endpoints on this worker process since started (front+back)"},
	{"Maxpipes", "max_pipes", false, 0, "Hard limit on the number of pipes for splicing, 0=unlimited"},
	{"PipesUsed", "pipes_used_total", true, 0, "Current number of pipes in use in this worker process"},
	{"PipesFree", "pipes_free_total", true, 0, "Current number of allocated and available pipes in this worker process"},
	{"ConnRate", "current_connection_rate", false, 0, "Number of front connections created on this worker process over the last second"},
	{"ConnRateLimit", "limit_connection_rate", false, 0, "Hard limit for ConnRate (global.maxconnrate)"},
	{"MaxConnRate", "max_connection_rate", false, 0, "Highest ConnRate reached on this worker process since started (in connections per second)"},
	{"SessRate", "current_session_rate", false, 0, "Number of sessions created on this worker process over the last second"},
	{"SessRateLimit", "limit_session_rate", false, 0, "Hard limit for SessRate (global.maxsessrate)"},
	{"MaxSessRate", "max_session_rate", false, 0, "Highest SessRate reached on this worker process since started (in sessions per second)"},
	{"SslRate", "current_ssl_rate", false, 0, "Number of SSL connections created on this worker process over the last second"},
	{"SslRateLimit", "limit_ssl_rate", false, 0, "Hard limit for SslRate (global.maxsslrate)"},
	{"MaxSslRate", "max_ssl_rate", false, 0, "Highest SslRate reached on this worker process since started (in connections per second)"},
	{"SslFrontendKeyRate", "current_frontend_ssl_key_rate", false, 0, "Number of SSL keys created on frontends in this worker process over the last second"},
	{"SslFrontendMaxKeyRate", "max_frontend_ssl_key_rate", false, 0, "Highest SslFrontendKeyRate reached on this worker process since started (in SSL keys per second)"},
	{"SslFrontendSessionReuse_pct", "frontend_ssl_reuse", false, 0, "Percent of frontend SSL connections which did not require a new key"},
	{"SslBackendKeyRate", "current_backend_ssl_key_rate", false, 0, "Number of SSL keys created on backends in this worker process over the last second"},
	{"SslBackendMaxKeyRate", "max_backend_ssl_key_rate", false, 0, "Highest SslBackendKeyRate reached on this worker process since started (in SSL keys per second)"},
	{"SslCacheLookups", "ssl_cache_lookups_total", true, 0, "Total number of SSL session ID lookups in the SSL session cache on this worker since started"},
	{"SslCacheMisses", "ssl_cache_misses_total", true, 0, "Total number of SSL session ID lookups that didn't find a session in the SSL session cache on this worker since started"},
	{"CompressBpsIn", "http_comp_bytes_in_total", true, 0, "Number of bytes submitted to the HTTP compressor in this worker process over the last second"},
	{"CompressBpsOut", "http_comp_bytes_out_total", true, 0, "Number of bytes emitted by the HTTP compressor in this worker process over the last second"},
	{"CompressBpsRateLim", "limit_http_comp", false, 0, "Limit of CompressBpsOut beyond which HTTP compression is automatically disabled"},
	{"ZlibMemUsage", "current_zlib_memory", false, 0, "Amount of memory currently used by HTTP compression on the current worker process (in bytes)"},
	{"MaxZlibMemUsage", "max_zlib_memory", false, 0, "Limit on the amount of memory used by HTTP compression above which it is automatically disabled (in bytes, see global.maxzlibmem)"},
	{"Tasks", "current_tasks", false, 0, "Total number of tasks in the current worker process (active + sleeping)"},
	{"Run_queue", "current_run_queue", false, 0, "Total number of active tasks+tasklets in the current worker process"},
	{"Idle_pct", "idle_time_percent", false, 0, "Percentage of last second spent waiting in the current worker thread"},
	{"Stopping", "stopping", false, 0, "1 if the worker process is currently stopping, otherwise zero"},
	{"Jobs", "jobs", false, 0, "Current number of active jobs on the current worker process (frontend connections, master connections, listeners)"},
	{"Unstoppable Jobs", "unstoppable_jobs", false, 0, "Current number of unstoppable jobs on the current worker process (master connections)"},
	{"Listeners", "listeners", false, 0, "Current number of active listeners on the current worker process"},
	{"ActivePeers", "active_peers", false, 0, "Current number of verified active peers connections on the current worker process"},
	{"ConnectedPeers", "connected_peers", false, 0, "Current number of peers having passed the connection step on the current worker process"},
	{"DroppedLogs", "dropped_logs_total", true, 0, "Total number of dropped logs for current worker process since started"},
	{"BusyPolling", "busy_polling_enabled", false, 0, "1 if busy-polling is currently in use on the worker process, otherwise zero (config.busy-polling)"},
	{"FailedResolutions", "failed_resolutions", true, 0, "Total number of failed DNS resolutions in current worker process since started"},
	{"TotalBytesOut", "bytes_out_total", true, 0, "Total number of bytes emitted by current worker process since started"},
	{"TotalSplicdedBytesOut", "spliced_bytes_out_total", true, 0, "Total number of bytes emitted by current worker process through a kernel pipe since started"},
	{"BytesOutRate", "bytes_out_rate", false, 0, "Number of bytes emitted by current worker process over the last second"},
	{"CumRecvLogs", "recv_logs_total", true, 0, "Total number of log messages received by log-forwarding listeners on this worker process since started"},
	{"Build info", "build_info", false, 0, "Build info"},
	{"Memmax_bytes", "max_memory_bytes", false, 0, "Worker process's hard limit on memory usage in byes (-m on command line)"},
	{"PoolAlloc_bytes", "pool_allocated_bytes", false, 0, "Amount of memory allocated in pools (in bytes)"},
	{"PoolUsed_bytes", "pool_used_bytes", false, 0, "Amount of pool memory currently used (in bytes)"},
	{"Start_time_sec", "start_time_seconds", false, 0, "Start time in seconds"},
}

// promStatMetrics lists haproxy_frontend_*, haproxy_backend_* and
// haproxy_server_* metrics in stats field order, with the kinds of
// objects that export each one.
var promStatMetrics = [...]promMetric{
	{"qcur", "current_queue", false, promBackend | promServer, "Number of current queued connections"},
	{"qmax", "max_queue", false, promBackend | promServer, "Highest value of queued connections encountered since process started"},
	{"scur", "current_sessions", false, promFrontend | promBackend | promServer | promListener, "Number of current sessions on the frontend, backend or server"},
	{"smax", "max_sessions", false, promFrontend | promBackend | promServer | promListener, "Highest value of current sessions encountered since process started"},
	{"slim", "limit_sessions", false, promFrontend | promBackend | promServer | promListener, "Frontend/listener/server's maxconn, backend's fullconn"},
	{"stot", "sessions_total", true, promFrontend | promBackend | promServer | promListener, "Total number of sessions since process started"},
	{"bin", "bytes_in_total", true, promFrontend | promBackend | promServer | promListener, "Total number of request bytes since process started"},
	{"bout", "bytes_out_total", true, promFrontend | promBackend | promServer | promListener, "Total number of response bytes since process started"},
	{"dreq", "requests_denied_total", true, promFrontend | promBackend | promListener, "Total number of denied requests since process started"},
	{"dresp", "responses_denied_total", true, promFrontend | promBackend | promServer | promListener, "Total number of denied responses since process started"},
	{"ereq", "request_errors_total", true, promFrontend | promListener, "Total number of invalid requests since process started"},
	{"econ", "connection_errors_total", true, promBackend | promServer, "Total number of failed connections to server since the worker process started"},
	{"eresp", "response_errors_total", true, promBackend | promServer, "Total number of invalid responses since the worker process started"},
	{"wretr", "retry_warnings_total", true, promBackend | promServer, "Total number of server connection retries since the worker process started"},
	{"wredis", "redispatch_warnings_total", true, promBackend | promServer, "Total number of server redispatches due to connection failures since the worker process started"},
	{"status", "status", false, promFrontend | promBackend | promServer | promListener, "Current status of the service, per state label value."},
	{"weight", "weight", false, promBackend | promServer, "Server's effective weight, or sum of active servers' effective weights for a backend"},
	{"act", "active_servers", false, promBackend, "Total number of active UP servers with a non-zero weight"},
	{"bck", "backup_servers", false, promBackend, "Total number of backup UP servers with a non-zero weight"},
	{"chkfail", "check_failures_total", true, promServer, "Total number of failed individual health checks per server/backend, since the worker process started"},
	{"chkdown", "check_up_down_total", true, promBackend | promServer, "Total number of failed checks causing UP to DOWN server transitions, per server/backend, since the worker process started"},
	{"lastchg", "check_last_change_seconds", false, promBackend | promServer, "How long ago the last server state changed, in seconds"},
	{"downtime", "downtime_seconds_total", true, promBackend | promServer, "Total time spent in DOWN state, for server or backend"},
	{"qlimit", "queue_limit", false, promServer, "Limit on the number of connections in queue, for servers only (maxqueue argument)"},
	{"throttle", "current_throttle", false, promServer, "Throttling ratio applied to a server's maxconn and weight during the slowstart period (0 to 100%)"},
	{"lbtot", "loadbalanced_total", true, promBackend | promServer, "Total number of requests routed by load balancing since the worker process started (ignores queue pop and stickiness)"},
	{"rate_lim", "limit_session_rate", false, promFrontend, "Limit on the number of sessions accepted in a second (frontend only, 'rate-limit sessions' setting)"},
	{"rate_max", "max_session_rate", false, promFrontend | promBackend | promServer, "Highest value of sessions per second observed since the worker process started"},
	{"check_status", "check_status", false, promServer, "Status of last health check, per state label value."},
	{"check_code", "check_code", false, promServer, "layer5-7 code, if available of the last health check."},
	{"check_duration", "check_duration_seconds", false, promServer, "Total duration of the latest server health check, in seconds."},
	{"hrsp_1xx", "http_responses_total", true, promFrontend | promBackend | promServer, "Total number of HTTP responses with status 100-199 returned by this object since the worker process started"},
	{"req_rate_max", "http_requests_rate_max", false, promFrontend, "Highest value of http requests observed since the worker process started"},
	{"req_tot", "http_requests_total", true, promFrontend | promBackend, "Total number of HTTP requests processed by this object since the worker process started"},
	{"cli_abrt", "client_aborts_total", true, promBackend | promServer, "Total number of requests or connections aborted by the client since the worker process started"},
	{"srv_abrt", "server_aborts_total", true, promBackend | promServer, "Total number of requests or connections aborted by the server since the worker process started"},
	{"comp_in", "http_comp_bytes_in_total", true, promFrontend | promBackend, "Total number of bytes submitted to the HTTP compressor for this object since the worker process started"},
	{"comp_out", "http_comp_bytes_out_total", true, promFrontend | promBackend, "Total number of bytes emitted by the HTTP compressor for this object since the worker process started"},
	{"comp_byp", "http_comp_bytes_bypassed_total", true, promFrontend | promBackend, "Total number of bytes that bypassed HTTP compression for this object since the worker process started (CPU/memory/bandwidth limitation)"},
	{"comp_rsp", "http_comp_responses_total", true, promFrontend | promBackend, "Total number of HTTP responses that were compressed for this object since the worker process started"},
	{"lastsess", "last_session_seconds", false, promBackend | promServer, "How long ago some traffic was seen on this object on this worker process, in seconds"},
	{"qtime", "queue_time_average_seconds", false, promBackend | promServer, "Avg. queue time for last 1024 successful connections."},
	{"ctime", "connect_time_average_seconds", false, promBackend | promServer, "Avg. connect time for last 1024 successful connections."},
	{"rtime", "response_time_average_seconds", false, promBackend | promServer, "Avg. response time for last 1024 successful connections."},
	{"ttime", "total_time_average_seconds", false, promBackend | promServer, "Avg. total time for last 1024 successful connections."},
	{"conn_rate_max", "connections_rate_max", false, promFrontend, "Highest value of connections per second observed since the worker process started"},
	{"conn_tot", "connections_total", true, promFrontend, "Total number of new connections accepted on this frontend since the worker process started"},
	{"intercepted", "intercepted_requests_total", true, promFrontend, "Total number of HTTP requests intercepted on the frontend (redirects/stats/services) since the worker process started"},
	{"dcon", "denied_connections_total", true, promFrontend | promListener, "Total number of incoming connections blocked on a listener/frontend by a tcp-request connection rule since the worker process started"},
	{"dses", "denied_sessions_total", true, promFrontend | promListener, "Total number of incoming sessions blocked on a listener/frontend by a tcp-request connection rule since the worker process started"},
	{"wrew", "failed_header_rewriting_total", true, promFrontend | promBackend | promServer | promListener, "Total number of failed HTTP header rewrites since the worker process started"},
	{"connect", "connection_attempts_total", true, promBackend | promServer, "Total number of outgoing connection attempts on this backend/server since the worker process started"},
	{"reuse", "connection_reuses_total", true, promBackend | promServer, "Total number of reused connection on this backend/server since the worker process started"},
	{"cache_lookups", "http_cache_lookups_total", true, promFrontend | promBackend, "Total number of HTTP requests looked up in the cache on this frontend/backend since the worker process started"},
	{"cache_hits", "http_cache_hits_total", true, promFrontend | promBackend, "Total number of HTTP requests not found in the cache on this frontend/backend since the worker process started"},
	{"srv_icur", "idle_connections_current", false, promServer, "Current number of idle connections available for reuse on this server"},
	{"src_ilim", "idle_connections_limit", false, promServer, "Limit on the number of available idle connections on this server (server 'pool_max_conn' directive)"},
	{"qtime_max", "max_queue_time_seconds", false, promBackend | promServer, "Maximum observed time spent in the queue"},
	{"ctime_max", "max_connect_time_seconds", false, promBackend | promServer, "Maximum observed time spent waiting for a connection to complete"},
	{"rtime_max", "max_response_time_seconds", false, promBackend | promServer, "Maximum observed time spent waiting for a server response"},
	{"ttime_max", "max_total_time_seconds", false, promBackend | promServer, "Maximum observed total request+response time (request+queue+connect+response+processing)"},
	{"eint", "internal_errors_total", true, promFrontend | promBackend | promServer | promListener, "Total number of internal errors since process started"},
	{"idle_conn_cur", "unsafe_idle_connections_current", false, promServer, "Current number of unsafe idle connections"},
	{"safe_conn_cur", "safe_idle_connections_current", false, promServer, "Current number of safe idle connections"},
	{"used_conn_cur", "used_connections_current", false, promServer, "Current number of connections in use"},
	{"need_conn_est", "need_connections_current", false, promServer, "Estimated needed number of connections"},
	{"uweight", "uweight", false, promBackend | promServer, "Server's user weight, or sum of active servers' user weights for a backend"},
	{"agg_server_status", "agg_server_status", false, promBackend, "Backend's aggregated gauge of servers' status"},
	{"agg_server_check_status", "agg_server_check_status", false, promBackend, "Backend's aggregated gauge of servers' state check status"},
	{"agg_check_status", "agg_check_status", false, promBackend, "Backend's aggregated gauge of servers' state check status"},
}
