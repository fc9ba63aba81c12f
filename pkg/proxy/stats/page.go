package stats

import (
	_ "embed" // the JSON schema served at ";json-schema"
	"encoding/base64"
	"strconv"
	"strings"
)

// jsonSchema is haproxy 2.6's answer to ";json-schema", byte for byte.
//
//go:embed json_schema.txt
var jsonSchema string

// PageConfig is a proxy's "stats" configuration as the page needs it.
type PageConfig struct {
	URI   string   // "stats uri" (haproxy's default is "/haproxy?stats")
	Realm string   // "stats realm" (haproxy's default "HAProxy Statistics")
	Users []string // "stats auth user:password"; none: no authentication
	// Refresh is "stats refresh" in seconds (0: none).
	Refresh     int64
	HideVersion bool
	ShowLegends bool
	ShowNode    bool
	Node        string // the node name to show
	ShowDesc    bool
	Desc        string // the description to show
	Scope       []string
	Self        string // the proxy serving the page
}

// PageRequest is what the page needs from an HTTP request.
type PageRequest struct {
	Method        string
	URI           string // the request target, e.g. "/stats;csv?scope=be"
	Authorization string // the Authorization header's value
	Body          []byte // the POST body (application/x-www-form-urlencoded)
	// Admin tells whether the "stats admin" rules grant this request the
	// right to change servers (the caller evaluates their conditions).
	Admin bool
	// BodyTooBig: the POST body did not fit the buffer (";st=EXCD").
	BodyTooBig bool
}

// PageResponse is the answer: status, headers in haproxy's order and
// spelling, and body. The caller adds the framing (chunked or length).
type PageResponse struct {
	Status  int
	Reason  string
	Headers [][2]string
	Body    []byte
	// Chunked is set when haproxy streams the body (a 200 page); the 401
	// and 303 answers carry their own Content-Length header instead.
	Chunked bool
}

// ServerAdmin applies the stats page's admin actions to servers; the run
// time implements it.
type ServerAdmin interface {
	// ServerAction applies action ("ready", "drain", "maint", "dhlth",
	// "ehlth", "hrunn", "hnolb", "hdown", "dagent", "eagent", "arunn",
	// "adown", "shutdown") to server srv of backend be. found is false
	// when the server does not exist; applied is false when the action
	// does not apply to it (checks not configured, tracking...).
	ServerAction(be, srv, action string) (found, applied bool)
}

// MatchesURI reports whether a request is for the stats page: GET, HEAD
// or POST with a target starting with the stats URI, as haproxy decides
// (an absolute-form target is compared by its path when the stats URI
// starts with '/').
func MatchesURI(uriPrefix, method, target string) bool {
	switch method {
	case "GET", "HEAD", "POST":
	default:
		return false
	}
	if strings.HasPrefix(uriPrefix, "/") && !strings.HasPrefix(target, "/") {
		if _, rest, ok := strings.Cut(target, "://"); ok {
			if i := strings.IndexByte(rest, '/'); i >= 0 {
				target = rest[i:]
			} else {
				target = ""
			}
		}
	}
	return strings.HasPrefix(target, uriPrefix)
}

// unauthorizedBody is haproxy's 401 page.
const unauthorizedBody = "<html><body><h1>401 Unauthorized</h1>\nYou need a valid user and password to access this content.\n</body></html>\n"

// Authorized reports whether an Authorization header carries one of the
// "stats auth" users; with no users configured everything is authorized.
func Authorized(users []string, authorization string) bool {
	if len(users) == 0 {
		return true
	}
	scheme, cred, ok := strings.Cut(strings.TrimSpace(authorization), " ")
	if !ok || !strings.EqualFold(scheme, "Basic") {
		return false
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cred))
	if err != nil {
		return false
	}
	user, pass, ok := strings.Cut(string(raw), ":")
	if !ok {
		return false
	}
	for _, u := range users {
		if cu, cp, ok := strings.Cut(u, ":"); ok && cu == user && cp == pass {
			return true
		}
	}
	return false
}

// flags parsed from the request target after the stats URI
type pageFlags struct {
	hideDown, hideMaint, noRefresh bool
	format                         string // "html", "csv", "typed", "json", "json-schema"
	status                         string
	search                         string
}

// scopeMax is haproxy's STAT_SCOPE_TXT_MAXLEN.
const scopeMax = 20

func parseFlags(cfg *PageConfig, target string) pageFlags {
	rest := target[min(len(cfg.URI), len(target)):]
	f := pageFlags{format: "html"}
	f.hideDown = strings.Contains(rest, ";up")
	f.hideMaint = strings.Contains(rest, ";no-maint")
	if cfg.Refresh > 0 {
		f.noRefresh = strings.Contains(rest, ";norefresh")
	}
	if strings.Contains(rest, ";csv") {
		f.format = "csv"
	}
	if strings.Contains(rest, ";typed") {
		f.format = "typed"
	}
	if strings.Contains(rest, ";json") {
		f.format = "json"
	}
	if strings.Contains(rest, ";json-schema") {
		f.format = "json-schema"
	}
	// ";st=XXXX" needs four characters after it
	if i := strings.Index(rest, ";st="); i >= 0 && len(rest)-i >= 8 {
		code := rest[i+4 : i+8]
		f.status = "UNKN"
		for _, c := range statusCodes {
			if c == code {
				f.status = c
				break
			}
		}
	}
	if i := strings.Index(rest, "scope="); i >= 0 && len(rest)-i >= 8 {
		v := rest[i+6:]
		if j := strings.IndexAny(v, ";& "); j >= 0 {
			v = v[:j]
		}
		if len(v) > scopeMax {
			v = v[:scopeMax]
		}
		if validScope(v) {
			f.search = v
		}
	}
	return f
}

// statusCodes are the ";st=" codes, in haproxy's order.
var statusCodes = [...]string{"DONE", "NONE", "PART", "ERRP", "EXCD", "DENY", "IVAL", "UNKN"}

// validScope is haproxy's invalid_char test: letters, digits, '.', ':',
// '_' and '-' only.
func validScope(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == ':' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// ServePage answers a request for the stats page as haproxy 2.6 does: a
// 401 without valid credentials, the page (HTML, CSV, typed, JSON) for
// GET and HEAD, and for POST the admin action followed by a 303 to the
// page with the outcome in ";st=".
func ServePage(cfg *PageConfig, req *PageRequest, snap func() *Snapshot, adm ServerAdmin) PageResponse {
	if !Authorized(cfg.Users, req.Authorization) {
		realm := cfg.Realm
		if realm == "" {
			realm = "HAProxy Statistics"
		}
		return PageResponse{Status: 401, Reason: "Unauthorized", Headers: [][2]string{
			{"content-length", strconv.Itoa(len(unauthorizedBody))},
			{"cache-control", "no-cache"},
			{"content-type", "text/html"},
			{"www-authenticate", "Basic realm=\"" + realm + "\""},
		}, Body: []byte(unauthorizedBody)}
	}
	f := parseFlags(cfg, req.URI)
	switch req.Method {
	case "POST":
		code := "DENY"
		switch {
		case !req.Admin:
		case req.BodyTooBig:
			code = "EXCD"
		default:
			code = applyAdmin(req.Body, snap, adm)
		}
		loc := cfg.URI + ";st=" + code + ifStr(f.hideDown, ";up") + ifStr(f.noRefresh, ";norefresh")
		if f.search != "" {
			loc += "?scope=" + f.search
		}
		return PageResponse{Status: 303, Reason: "See Other", Headers: [][2]string{
			{"cache-control", "no-cache"},
			{"content-type", "text/plain"},
			{"content-length", "0"},
			{"location", loc},
		}}
	case "GET", "HEAD":
	default:
		return PageResponse{Status: 303, Reason: "See Other", Headers: [][2]string{
			{"cache-control", "no-cache"},
			{"content-type", "text/plain"},
			{"content-length", "0"},
			{"location", cfg.URI + ";st=IVAL"},
		}}
	}
	resp := PageResponse{Status: 200, Reason: "OK", Chunked: true}
	ctype := "text/html"
	switch f.format {
	case "csv", "typed":
		ctype = "text/plain"
	case "json", "json-schema":
		ctype = "application/json"
	}
	resp.Headers = [][2]string{{"cache-control", "no-cache"}, {"content-type", ctype}}
	if cfg.Refresh > 0 && !f.noRefresh {
		resp.Headers = append(resp.Headers, [2]string{"refresh", strconv.FormatInt(cfg.Refresh, 10)})
	}
	if req.Method == "HEAD" {
		return resp
	}
	if f.format == "json-schema" {
		resp.Body = []byte(jsonSchema)
		return resp
	}
	s := snap()
	switch f.format {
	case "csv":
		resp.Body = AppendCSVHeader(nil)
		for _, r := range s.pageRows(cfg, &f) {
			resp.Body = AppendCSVRow(resp.Body, &r)
		}
	case "typed":
		resp.Body = appendTypedRows(nil, s.pageRows(cfg, &f))
		resp.Body = resp.Body[:len(resp.Body)-1] // no CLI closing line
	case "json":
		resp.Body = appendJSONRows(nil, s.pageRows(cfg, &f))
		resp.Body = resp.Body[:len(resp.Body)-1] // one line end, not the CLI's two
	default:
		o := &PageOptions{
			URI: cfg.URI, Refresh: cfg.Refresh, HideVersion: cfg.HideVersion, ShowLegends: cfg.ShowLegends,
			ShowNode: cfg.ShowNode, Node: cfg.Node, ShowDesc: cfg.ShowDesc, Desc: cfg.Desc,
			Admin: req.Admin, HideDown: f.hideDown, HideMaint: f.hideMaint, NoRefresh: f.noRefresh, Search: f.search,
			Scope: cfg.Scope, Self: cfg.Self, Status: f.status,
		}
		resp.Body = s.AppendHTML(nil, o)
	}
	return resp
}

// pageRows are the rows the exports show: the proxies in scope, without
// the servers ";up" or ";no-maint" hide (the BACKEND status then counts
// "(up/total)" over all servers), and with the legend fields only with
// "stats show-legends".
func (s *Snapshot) pageRows(cfg *PageConfig, f *pageFlags) []Row {
	o := PageOptions{Scope: cfg.Scope, Self: cfg.Self, Search: f.search, HideDown: f.hideDown, HideMaint: f.hideMaint}
	var rows []Row
	for i := range s.Proxies {
		p := &s.Proxies[i]
		if !o.inScope(p.Name) {
			continue
		}
		if p.Frontend {
			rows = append(rows, frontendRow(p))
		}
		if p.Backend {
			for j := range p.Servers {
				if !o.serverHidden(&p.Servers[j]) {
					rows = append(rows, serverRow(p, &p.Servers[j]))
				}
			}
			rows = append(rows, backendRow(p, f.hideDown || f.hideMaint))
		}
	}
	if !cfg.ShowLegends {
		legends := [...]int{fieldPos["addr"], fieldPos["cookie"], fieldPos["algo"]}
		for i := range rows {
			for _, k := range legends {
				rows[i].Fields[k] = Value{}
			}
		}
	}
	return rows
}

// adminActions are the actions the page's form posts (and the older
// names haproxy still accepts).
var adminActions = map[string]bool{
	"ready": true, "drain": true, "maint": true, "dhlth": true, "ehlth": true, "hrunn": true,
	"hnolb": true, "hdown": true, "dagent": true, "eagent": true, "arunn": true, "adown": true,
	"shutdown": true, "disable": true, "enable": true, "stop": true, "start": true,
}

// formDecode decodes a form value: %XX escapes and '+' for space. ok is
// false on a broken escape.
func formDecode(s string) (string, bool) {
	if !strings.ContainsAny(s, "%+") {
		return s, true
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '+':
			b = append(b, ' ')
		case '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return "", false
			}
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
		default:
			b = append(b, c)
		}
	}
	return string(b), true
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// lineSize is haproxy's LINESIZE: a longer parameter is refused.
const lineSize = 2048

// applyAdmin parses the admin form (b=#IID or name, action=..., s=server
// repeated) and applies the action; it returns the ";st=" code. As with
// haproxy, the last "b" and "action" win (the body is read from its end)
// and a broken escape stops the parsing.
func applyAdmin(body []byte, snap func() *Snapshot, adm ServerAdmin) string {
	params := strings.Split(string(body), "&")
	var backend string
	var action string
	var servers []string
	for i := len(params) - 1; i >= 0; i-- {
		p := params[i]
		if len(p) >= lineSize {
			return "ERRP"
		}
		k, v, _ := strings.Cut(p, "=")
		key, ok1 := formDecode(k)
		val, ok2 := formDecode(v)
		if !ok1 || !ok2 {
			break
		}
		switch {
		case backend == "" && key == "b":
			name, ok := findBackend(snap(), val)
			if !ok {
				return "ERRP"
			}
			backend = name
		case action == "" && key == "action":
			if !adminActions[val] {
				return "ERRP"
			}
			action = val
		case key == "s":
			servers = append(servers, val)
		}
	}
	if backend == "" || action == "" {
		return "NONE"
	}
	total, altered := 0, 0
	for _, sv := range servers {
		found, applied := adm.ServerAction(backend, sv, action)
		if !found {
			total++
			continue
		}
		if applied {
			total++
			altered++
		}
	}
	switch {
	case total == 0:
		return "NONE"
	case altered == 0:
		return "ERRP"
	case altered == total:
		return "DONE"
	}
	return "PART"
}

// findBackend resolves a "b" value, "#IID" or a name, to a proxy with the
// backend capability; ambiguous names are refused as by haproxy.
func findBackend(s *Snapshot, v string) (string, bool) {
	var id int
	byID := false
	if strings.HasPrefix(v, "#") {
		n, err := strconv.Atoi(v[1:])
		if err != nil {
			return "", false
		}
		id, byID = n, true
	}
	found := ""
	count := 0
	for i := range s.Proxies {
		p := &s.Proxies[i]
		if !p.Backend {
			continue
		}
		if (byID && p.ID == id) || (!byID && p.Name == v) {
			found = p.Name
			count++
		}
	}
	return found, count == 1
}
