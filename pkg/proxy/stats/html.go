package stats

import (
	_ "embed" // the page's style sheet
	"strconv"
	"strings"
)

// pageStyle is haproxy 2.6's style sheet of the stats page, from "<style"
// to "</head>\n", byte for byte (browsers and scrapers see the same page).
//
//go:embed page_style.txt
var pageStyle string

// PageOptions are the settings of one rendering of the HTML stats page:
// the proxy's "stats" configuration and what the request asked for.
type PageOptions struct {
	URI         string // "stats uri" prefix, e.g. "/haproxy?stats"
	Refresh     int64  // "stats refresh" in seconds, 0 for none
	HideVersion bool   // "stats hide-version"
	ShowLegends bool   // "stats show-legends"
	ShowNode    bool   // "stats show-node"
	Node        string // the node name shown ("stats show-node NAME" or the global node)
	ShowDesc    bool   // "stats show-desc"
	Desc        string // the description shown
	Admin       bool   // "stats admin" granted for this request
	HideDown    bool   // ";up"
	HideMaint   bool   // ";no-maint"
	NoRefresh   bool   // ";norefresh" (only with a refresh configured)
	Search      string // the "scope=" text typed in the page's form
	// Scope lists the "stats scope" proxy names; "." is the serving proxy.
	Scope []string
	Self  string // the proxy serving the page (for scope ".")
	// Status is the ";st=" code of a previous admin action ("DONE",
	// "NONE", "PART", "ERRP", "EXCD", "DENY", "IVAL", "UNKN"), "" for none.
	Status string
}

// AppendHTML appends the whole stats page as haproxy 2.6 renders it.
func (s *Snapshot) AppendHTML(dst []byte, o *PageOptions) []byte {
	dst = appendHTMLHead(dst, o)
	dst = s.appendHTMLInfo(dst, o)
	for i := range s.Proxies {
		p := &s.Proxies[i]
		if !o.inScope(p.Name) {
			continue
		}
		dst = appendProxyHTML(dst, p, o)
	}
	return append(dst, "</body></html>\n"...)
}

func (o *PageOptions) inScope(name string) bool {
	if len(o.Scope) > 0 {
		found := false
		for _, sc := range o.Scope {
			if sc == name || (sc == "." && name == o.Self) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	if o.Search != "" && !strings.Contains(strings.ToLower(name), strings.ToLower(o.Search)) {
		return false
	}
	return true
}

// searchSuffix is "?scope=TEXT" appended to the page's links, or "".
func (o *PageOptions) searchSuffix() string {
	if o.Search == "" {
		return ""
	}
	return "?scope=" + o.Search
}

func ifStr(c bool, s string) string {
	if c {
		return s
	}
	return ""
}

func appendHTMLHead(dst []byte, o *PageOptions) []byte {
	dst = append(dst, "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01 Transitional//EN\"\n\"http://www.w3.org/TR/html4/loose.dtd\">\n<html><head><title>Statistics Report for HAProxy"...)
	if o.ShowNode {
		dst = append(dst, " on "...)
		dst = append(dst, o.Node...)
	}
	dst = append(dst, "</title>\n<link rel=\"icon\" href=\"data:,\">\n<meta http-equiv=\"content-type\" content=\"text/html; charset=iso-8859-1\">\n"...)
	return append(dst, pageStyle...)
}

// Get returns a "show info" value by name (the zero Value when unknown).
func (in *Info) Get(name string) Value {
	for i := range infoDefs {
		if infoDefs[i].name == name {
			return in.Values[i]
		}
	}
	return Value{}
}

// Int returns a numeric value (0 for strings and empty values).
func (v Value) Int() int64 { return v.num }

// String returns a string value ("" for numbers and empty values).
func (v Value) String() string { return v.str }

var legendTable = "<table class=\"lgd\"><tr>\n" +
	"<td class=\"active_up\">&nbsp;</td><td class=\"noborder\">active UP </td><td class=\"backup_up\">&nbsp;</td><td class=\"noborder\">backup UP </td></tr><tr>\n" +
	"<td class=\"active_going_down\"></td><td class=\"noborder\">active UP, going down </td><td class=\"backup_going_down\"></td><td class=\"noborder\">backup UP, going down </td></tr><tr>\n" +
	"<td class=\"active_going_up\"></td><td class=\"noborder\">active DOWN, going up </td><td class=\"backup_going_up\"></td><td class=\"noborder\">backup DOWN, going up </td></tr><tr>\n" +
	"<td class=\"active_down\"></td><td class=\"noborder\">active or backup DOWN &nbsp;</td><td class=\"active_no_check\"></td><td class=\"noborder\">not checked </td></tr><tr>\n" +
	"<td class=\"maintain\"></td><td class=\"noborder\" colspan=\"3\">active or backup DOWN for maintenance (MAINT) &nbsp;</td></tr><tr>\n" +
	"<td class=\"active_draining\"></td><td class=\"noborder\" colspan=\"3\">active or backup SOFT STOPPED for maintenance &nbsp;</td></tr></table>\n" +
	"Note: \"NOLB\"/\"DRAIN\" = UP with load-balancing disabled.</td>"

func (s *Snapshot) appendHTMLInfo(dst []byte, o *PageOptions) []byte {
	in := &s.Info
	num := func(name string) string { return strconv.FormatInt(in.Get(name).Int(), 10) }
	pid := num("Pid")
	dst = append(dst, "<body><h1><a href=\"http://www.haproxy.org/\" style=\"text-decoration: none;\">HAProxy"...)
	if !o.HideVersion {
		dst = append(dst, " version "...)
		dst = append(dst, in.Get("Version").String()...)
		if d := in.Get("Release_date").String(); d != "" {
			dst = append(dst, ", released "...)
			dst = append(dst, d...)
		}
	}
	dst = append(dst, "</a></h1>\n<h2>Statistics Report for pid "...)
	dst = append(dst, pid...)
	// the node and description come from the configuration and go out
	// as written, markup included, as haproxy prints them
	if o.ShowNode {
		dst = append(dst, " on "...)
		dst = append(dst, o.Node...)
	}
	if o.ShowDesc {
		dst = append(dst, ": "...)
		dst = append(dst, o.Desc...)
	}
	dst = append(dst, "</h2>\n<hr width=\"100%\" class=\"hr\">\n<h3>&gt; General process information</h3>\n<table border=0><tr><td align=\"left\" nowrap width=\"1%\">\n<p><b>pid = </b> "...)
	dst = append(dst, pid...)
	dst = append(dst, " (process #1, nbproc = 1, nbthread = "...)
	dst = append(dst, num("Nbthread")...)
	up := in.Get("Uptime_sec").Int()
	dst = append(dst, ")<br>\n<b>uptime = </b> "...)
	dst = append(dst, FormatUptime(up)...)
	dst = append(dst, "<br>\n<b>system limits:</b> memmax = "...)
	if mm := in.Get("Memmax_MB").Int(); mm > 0 {
		dst = strconv.AppendInt(dst, mm, 10)
		dst = append(dst, " MB"...)
	} else {
		dst = append(dst, "unlimited"...)
	}
	dst = append(dst, "; ulimit-n = "...)
	dst = append(dst, num("Ulimit-n")...)
	dst = append(dst, "<br>\n<b>maxsock = </b> "...)
	dst = append(dst, num("Maxsock")...)
	dst = append(dst, "; <b>maxconn = </b> "...)
	dst = append(dst, num("Maxconn")...)
	dst = append(dst, "; <b>maxpipes = </b> "...)
	dst = append(dst, num("Maxpipes")...)
	dst = append(dst, "<br>\ncurrent conns = "...)
	dst = append(dst, num("CurrConns")...)
	used, free := in.Get("PipesUsed").Int(), in.Get("PipesFree").Int()
	dst = append(dst, "; current pipes = "...)
	dst = strconv.AppendInt(dst, used, 10)
	dst = append(dst, '/')
	dst = strconv.AppendInt(dst, used+free, 10)
	dst = append(dst, "; conn rate = "...)
	dst = append(dst, num("ConnRate")...)
	dst = append(dst, "/sec; bit rate = "...)
	// haproxy turns bytes/s into bits/s with the Ethernet overhead
	bps := uint64(in.Get("BytesOutRate").Int()) * 8 * 1538 / 1448
	unit := byte('k')
	f := float64(bps) / 1000
	if bps >= 1000000000 {
		f, unit = float64(bps)/1000000000, 'G'
	} else if bps >= 1000000 {
		f, unit = float64(bps)/1000000, 'M'
	}
	dst = strconv.AppendFloat(dst, f, 'f', 3, 64)
	dst = append(dst, ' ', unit)
	dst = append(dst, "bps<br>\nRunning tasks: "...)
	dst = append(dst, num("Run_queue")...)
	dst = append(dst, '/')
	dst = append(dst, num("Tasks")...)
	dst = append(dst, "; idle = "...)
	dst = append(dst, num("Idle_pct")...)
	dst = append(dst, " %<br>\n</td><td align=\"center\" nowrap>\n"...)
	dst = append(dst, legendTable...)
	dst = append(dst, "<td align=\"left\" valign=\"top\" nowrap width=\"1%\"><b>Display option:</b><ul style=\"margin-top: 0.25em;\"><li><form method=\"GET\">Scope : <input value=\""...)
	dst = appendHTMLEscaped(dst, o.Search)
	dst = append(dst, "\" name=\"scope\" size=\"8\" maxlength=\"20\" tabindex=\"1\"/></form>\n"...)
	sc := o.searchSuffix()
	link := func(dst []byte, parts ...string) []byte {
		dst = append(dst, "<li><a href=\""...)
		dst = append(dst, o.URI...)
		for _, p := range parts[:len(parts)-1] {
			dst = append(dst, p...)
		}
		dst = append(dst, sc...)
		dst = append(dst, "\">"...)
		dst = append(dst, parts[len(parts)-1]...)
		return append(dst, "</a><br>\n"...)
	}
	up2 := ifStr(o.HideDown, ";up")
	nr := ifStr(o.NoRefresh, ";norefresh")
	if o.HideDown {
		dst = link(dst, nr, "Show all servers")
	} else {
		dst = link(dst, ";up", nr, "Hide 'DOWN' servers")
	}
	if o.Refresh > 0 {
		if o.NoRefresh {
			dst = link(dst, up2, "Enable refresh")
		} else {
			dst = link(dst, up2, ";norefresh", "Disable refresh")
		}
	}
	dst = link(dst, up2, nr, "Refresh now")
	dst = link(dst, ";csv", ifStr(o.Refresh > 0, ";norefresh"), "CSV export")
	dst = append(dst, "<li><a href=\""...)
	dst = append(dst, o.URI...)
	dst = append(dst, ";json"...)
	dst = append(dst, ifStr(o.Refresh > 0, ";norefresh")...)
	dst = append(dst, sc...)
	dst = append(dst, "\">JSON export</a> (<a href=\""...)
	dst = append(dst, o.URI...)
	dst = append(dst, ";json-schema\">schema</a>)<br>\n"...)
	dst = append(dst, "</ul></td><td align=\"left\" valign=\"top\" nowrap width=\"1%\"><b>External resources:</b><ul style=\"margin-top: 0.25em;\">\n"+
		"<li><a href=\"http://www.haproxy.org/\">Primary site</a><br>\n"+
		"<li><a href=\"http://www.haproxy.org/#down\">Updates (v2.6)</a><br>\n"+
		"<li><a href=\"http://www.haproxy.org/#docs\">Online manual</a><br>\n"+
		"</ul></td></tr></table>\n"...)
	if o.Status != "" {
		dst = appendStatusMessage(dst, o, up2+nr+sc)
	}
	return dst
}

// statusMessages are the banners shown after an admin action, by ";st=" code.
var statusMessages = map[string][2]string{
	"DONE": {"active_up", "Action processed successfully."},
	"NONE": {"active_going_down", "Nothing has changed."},
	"PART": {"active_going_down", "Action partially processed.<br>Some server names are probably unknown or ambiguous (duplicated names in the backend)."},
	"ERRP": {"active_down", "Action not processed because of invalid parameters.<ul><li>The action is maybe unknown.</li><li>Invalid key parameter (empty or too long).</li><li>The backend name is probably unknown or ambiguous (duplicated names).</li><li>Some server names are probably unknown or ambiguous (duplicated names in the backend).</li></ul>"},
	"EXCD": {"active_down", "<b>Action not processed : the buffer couldn't store all the data.<br>You should retry with less servers at a time.</b>"},
	"DENY": {"active_down", "<b>Action denied.</b>"},
	"IVAL": {"active_down", "<b>Invalid requests (unsupported method or chunked encoded request).</b>"},
}

func appendStatusMessage(dst []byte, o *PageOptions, suffix string) []byte {
	m, ok := statusMessages[o.Status]
	if !ok {
		m = [2]string{"active_no_check", "Unexpected result."}
	}
	dst = append(dst, "<p><div class="...)
	dst = append(dst, m[0]...)
	dst = append(dst, "><a class=lfsb href=\""...)
	dst = append(dst, o.URI...)
	dst = append(dst, suffix...)
	dst = append(dst, "\" title=\"Remove this message\">[X]</a> "...)
	dst = append(dst, m[1]...)
	return append(dst, "</div>\n<p>\n"...)
}

// appendHTMLEscaped appends s with &, <, >, " and ' escaped as haproxy's
// chunk_htmlencode does for names typed by users.
func appendHTMLEscaped(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '&':
			dst = append(dst, "&amp;"...)
		case c == '<':
			dst = append(dst, "&lt;"...)
		case c == '>':
			dst = append(dst, "&gt;"...)
		case c == '"':
			dst = append(dst, "&quot;"...)
		case c == '\'':
			dst = append(dst, "&#39;"...)
		case c < 0x20 || c >= 0x7f:
			dst = append(dst, "&#"...)
			dst = strconv.AppendInt(dst, int64(c), 10)
			dst = append(dst, ';')
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// capName is haproxy's proxy_cap_str.
func capName(p *Proxy) string {
	switch {
	case p.Frontend && p.Backend:
		return "proxy"
	case p.Frontend:
		return "frontend"
	case p.Backend:
		return "backend"
	}
	return "none"
}

// appendProxyHTML appends one proxy's tables: its name bar, the column
// headers, the FRONTEND row, its servers, the BACKEND row, and with admin
// rights the form that applies an action to the checked servers.
func appendProxyHTML(dst []byte, p *Proxy, o *PageOptions) []byte {
	form := o.Admin && p.Backend && len(p.Servers) > 0
	if form {
		dst = append(dst, "<form method=\"post\">"...)
	}
	dst = append(dst, "<table class=\"tbl\" width=\"100%\">\n<tr class=\"titre\"><th class=\"pxname\" width=\"10%\"><a name=\""...)
	dst = append(dst, p.Name...)
	dst = append(dst, "\"></a>"...)
	dst = append(dst, ifStr(o.ShowLegends, "<u>")...)
	dst = append(dst, "<a class=px href=\"#"...)
	dst = append(dst, p.Name...)
	dst = append(dst, "\">"...)
	dst = append(dst, p.Name...)
	dst = append(dst, "</a>"...)
	if o.ShowLegends {
		dst = append(dst, "<div class=tips>cap: "...)
		dst = append(dst, capName(p)...)
		dst = append(dst, ", mode: "...)
		dst = append(dst, p.Mode...)
		dst = append(dst, ", id: "...)
		dst = strconv.AppendInt(dst, int64(p.ID), 10)
		dst = append(dst, "</div></u>"...)
	}
	dst = append(dst, "</th><th class=\""...)
	if p.Desc != "" {
		dst = append(dst, "desc\" width=\"90%\">"...)
		dst = append(dst, p.Desc...)
	} else {
		dst = append(dst, "empty\" width=\"90%\">"...)
	}
	dst = append(dst, "</th></tr>\n</table>\n<table class=\"tbl\" width=\"100%\">\n<tr class=\"titre\">"...)
	if o.Admin {
		if form {
			dst = append(dst, "<th rowspan=2 width=1><input type=\"checkbox\" onclick=\"for(c in document.getElementsByClassName('"...)
			dst = append(dst, p.Name...)
			dst = append(dst, "-checkbox')) document.getElementsByClassName('"...)
			dst = append(dst, p.Name...)
			dst = append(dst, "-checkbox').item(c).checked = this.checked\"></th>"...)
		} else {
			dst = append(dst, "<th rowspan=2></th>"...)
		}
	}
	dst = append(dst, "<th rowspan=2></th><th colspan=3>Queue</th><th colspan=3>Session rate</th><th colspan=6>Sessions</th><th colspan=2>Bytes</th><th colspan=2>Denied</th><th colspan=3>Errors</th><th colspan=2>Warnings</th><th colspan=9>Server</th></tr>\n"+
		"<tr class=\"titre\"><th>Cur</th><th>Max</th><th>Limit</th><th>Cur</th><th>Max</th><th>Limit</th><th>Cur</th><th>Max</th><th>Limit</th><th>Total</th><th>LbTot</th><th>Last</th><th>In</th><th>Out</th><th>Req</th><th>Resp</th><th>Req</th><th>Conn</th><th>Resp</th><th>Retr</th><th>Redis</th><th>Status</th><th>LastChk</th><th>Wght</th><th>Act</th><th>Bck</th><th>Chk</th><th>Dwn</th><th>Dwntme</th><th>Thrtle</th>\n"+
		"</tr>"...)
	if p.Frontend {
		r := frontendRow(p)
		dst = appendFrontendHTML(dst, &r, o)
	}
	if p.Backend {
		for j := range p.Servers {
			sv := &p.Servers[j]
			if o.serverHidden(sv) {
				continue
			}
			r := serverRow(p, sv)
			dst = appendServerHTML(dst, &r, o)
		}
		r := backendRow(p, o.HideDown || o.HideMaint)
		dst = appendBackendHTML(dst, &r, o)
	}
	dst = append(dst, "</table>"...)
	if form {
		dst = append(dst, "Choose the action to perform on the checked servers : <select name=action><option value=\"\"></option><option value=\"ready\">Set state to READY</option><option value=\"drain\">Set state to DRAIN</option><option value=\"maint\">Set state to MAINT</option><option value=\"dhlth\">Health: disable checks</option><option value=\"ehlth\">Health: enable checks</option><option value=\"hrunn\">Health: force UP</option><option value=\"hnolb\">Health: force NOLB</option><option value=\"hdown\">Health: force DOWN</option><option value=\"dagent\">Agent: disable checks</option><option value=\"eagent\">Agent: enable checks</option><option value=\"arunn\">Agent: force UP</option><option value=\"adown\">Agent: force DOWN</option><option value=\"shutdown\">Kill Sessions</option></select><input type=\"hidden\" name=\"b\" value=\"#"...)
		dst = strconv.AppendInt(dst, int64(p.ID), 10)
		dst = append(dst, "\">&nbsp;<input type=\"submit\" value=\"Apply\"></form>"...)
	}
	return append(dst, "<p>\n"...)
}

// serverHidden reports whether ";up" or ";no-maint" hides the server.
func (o *PageOptions) serverHidden(sv *Server) bool {
	if o.HideMaint && strings.HasPrefix(sv.Status, "MAINT") {
		return true
	}
	return o.HideDown && serverHiddenWhenUp(sv)
}

// serverHiddenWhenUp reports whether ";up" hides the server: in
// maintenance, or down and not coming back (no check running towards up).
func serverHiddenWhenUp(sv *Server) bool {
	if strings.HasPrefix(sv.Status, "MAINT") {
		return true
	}
	if !strings.HasPrefix(sv.Status, "DOWN") {
		return false
	}
	checked := sv.Check != nil || sv.Agent != nil
	if !checked {
		return true
	}
	return (sv.Agent != nil && sv.Agent.Health == 0) || (sv.Check != nil && sv.Check.Health == 0)
}

// field accessors on a row
func (r *Row) f(name string) Value  { return r.Fields[fieldPos[name]] }
func (r *Row) n(name string) int64  { return r.Fields[fieldPos[name]].num }
func (r *Row) s(name string) string { return r.Fields[fieldPos[name]].str }

// fieldPos maps field names to positions; built once, read only.
var fieldPos = func() map[string]int {
	m := make(map[string]int, NumFields)
	for i := range fieldDefs {
		m[fieldDefs[i].name] = i
	}
	return m
}()

// appendU2H appends n as haproxy's HTML number: every third digit from
// the right (thousands, millions, ...) is wrapped in a letter-spaced span
// so that groups read apart.
func appendU2H(dst []byte, n int64) []byte {
	if n < 0 {
		n = 0
	}
	digits := strconv.AppendUint(nil, uint64(n), 10)
	for i, c := range digits {
		pos := len(digits) - 1 - i
		if pos > 0 && pos%3 == 0 {
			dst = append(dst, "<span class=\"rls\">"...)
			dst = append(dst, c)
			dst = append(dst, "</span>"...)
			continue
		}
		dst = append(dst, c)
	}
	return dst
}

func u2h(n int64) string { return string(appendU2H(nil, n)) }

// lim is haproxy's LIM2A: the number, or alt when it is 0.
func lim(n int64, alt string) string {
	if n == 0 {
		return alt
	}
	return strconv.FormatInt(n, 10)
}

// humanTime is haproxy's human_time: at most two units among d, h, m, s;
// "?" for a negative age.
func humanTime(t int64) string {
	if t < 0 {
		return "?"
	}
	var b []byte
	cnt := 2
	if t >= 86400 {
		b = strconv.AppendInt(b, t/86400, 10)
		b = append(b, 'd')
		cnt--
	}
	if cnt > 0 && t%86400/3600 != 0 {
		b = strconv.AppendInt(b, t%86400/3600, 10)
		b = append(b, 'h')
		cnt--
	}
	if cnt > 0 && t%3600/60 != 0 {
		b = strconv.AppendInt(b, t%3600/60, 10)
		b = append(b, 'm')
		cnt--
	}
	if (cnt > 0 && t%60 != 0) || t == 0 {
		b = strconv.AppendInt(b, t%60, 10)
		b = append(b, 's')
	}
	return string(b)
}

func pct(a, b int64) int64 {
	if b == 0 {
		return 0
	}
	return 100 * a / b
}

// htmlWriter appends formatted cells.
type htmlWriter struct{ b []byte }

func (w *htmlWriter) add(parts ...string) {
	for _, p := range parts {
		w.b = append(w.b, p...)
	}
}

func (w *htmlWriter) td(v string) { w.add("<td>", v, "</td>") }

func (w *htmlWriter) detRow(th, td string) { w.add("<tr><th>", th, "</th><td>", td, "</td></tr>") }

func (w *htmlWriter) detRowPct(th, td string, p int64) {
	w.add("<tr><th>", th, "</th><td>", td, "</td><td>(", strconv.FormatInt(p, 10), "%)</td></tr>")
}

func (w *htmlWriter) bytesOut(r *Row) {
	cin, cout, cbyp, bout := r.n("comp_in"), r.n("comp_out"), r.n("comp_byp"), r.n("bout")
	u := cin != 0 || cbyp != 0
	w.add("<td>", ifStr(u, "<u>"), u2h(bout), "<div class=tips><table class=det>")
	w.detRow("Response bytes in:", u2h(bout))
	w.detRow("Compression in:", u2h(cin))
	w.detRowPct("Compression out:", u2h(cout), pct(cout, cin))
	w.detRow("Compression bypass:", u2h(cbyp))
	w.detRowPct("Total bytes saved:", u2h(cin-cout), pct(cin-cout, bout))
	w.add("</table></div>", ifStr(u, "</u>"), "</td>")
}

func (w *htmlWriter) timings(r *Row, http bool) {
	w.add("<tr><th colspan=3>Max / Avg over last 1024 success. conn.</th></tr>")
	row := func(th, max, avg string) {
		w.add("<tr><th>", th, "</th><td>", u2h(r.n(max)), " / ", u2h(r.n(avg)), "</td><td>ms</td></tr>")
	}
	row("- Queue time:", "qtime_max", "qtime")
	row("- Connect time:", "ctime_max", "ctime")
	if http {
		row("- Responses time:", "rtime_max", "rtime")
	}
	row("- Total time:", "ttime_max", "ttime")
}

func appendFrontendHTML(dst []byte, r *Row, o *PageOptions) []byte {
	w := htmlWriter{b: dst}
	name := r.s("pxname")
	http := r.s("mode") == "http"
	w.add("<tr class=\"frontend\">")
	if o.Admin {
		w.add("<td></td>")
	}
	w.add("<td class=ac><a name=\"", name, "/Frontend\"></a><a class=lfsb href=\"#", name, "/Frontend\">Frontend</a></td><td colspan=3></td>")
	w.add("<td><u>", u2h(r.n("rate")), "<div class=tips><table class=det>")
	w.detRow("Current connection rate:", u2h(r.n("conn_rate"))+"/s")
	w.detRow("Current session rate:", u2h(r.n("rate"))+"/s")
	if http {
		w.detRow("Current request rate:", u2h(r.n("req_rate"))+"/s")
	}
	w.add("</table></div></u></td>")
	w.add("<td><u>", u2h(r.n("rate_max")), "<div class=tips><table class=det>")
	w.detRow("Max connection rate:", u2h(r.n("conn_rate_max"))+"/s")
	w.detRow("Max session rate:", u2h(r.n("rate_max"))+"/s")
	if http {
		w.detRow("Max request rate:", u2h(r.n("req_rate_max"))+"/s")
	}
	w.add("</table></div></u></td>")
	w.td(lim(r.n("rate_lim"), "-"))
	w.td(u2h(r.n("scur")))
	w.td(u2h(r.n("smax")))
	w.td(u2h(r.n("slim")))
	w.add("<td><u>", u2h(r.n("stot")), "<div class=tips><table class=det>")
	w.detRow("Cum. connections:", u2h(r.n("conn_tot")))
	w.detRow("Cum. sessions:", u2h(r.n("stot")))
	if http {
		w.detRow("Cum. HTTP requests:", u2h(r.n("req_tot")))
		w.detRow("- HTTP 1xx responses:", u2h(r.n("hrsp_1xx")))
		w.detRow("- HTTP 2xx responses:", u2h(r.n("hrsp_2xx")))
		w.detRowPct("&nbsp;&nbsp;Compressed 2xx:", u2h(r.n("comp_rsp")), pct(r.n("comp_rsp"), r.n("hrsp_2xx")))
		w.detRow("- HTTP 3xx responses:", u2h(r.n("hrsp_3xx")))
		w.detRow("- HTTP 4xx responses:", u2h(r.n("hrsp_4xx")))
		w.detRow("- HTTP 5xx responses:", u2h(r.n("hrsp_5xx")))
		w.detRow("- other responses:", u2h(r.n("hrsp_other")))
		w.detRow("Intercepted requests:", u2h(r.n("intercepted")))
		w.detRow("Cache lookups:", u2h(r.n("cache_lookups")))
		w.detRowPct("Cache hits:", u2h(r.n("cache_hits")), pct(r.n("cache_hits"), r.n("cache_lookups")))
		w.detRow("Failed hdr rewrites:", u2h(r.n("wrew")))
		w.detRow("Internal errors:", u2h(r.n("eint")))
	}
	w.add("</table></div></u></td><td></td><td></td>")
	w.td(u2h(r.n("bin")))
	w.bytesOut(r)
	w.td(u2h(r.n("dreq")))
	w.td(u2h(r.n("dresp")))
	w.td(u2h(r.n("ereq")))
	w.add("<td></td><td></td><td></td><td></td><td class=ac>", r.s("status"), "</td><td class=ac colspan=8></td></tr>")
	return w.b
}

// serverStyle is the row class of a server, from its status, health and
// weight, as haproxy picks it (nolb and drain get different colours).
func serverStyle(r *Row) string {
	st := r.s("status")
	if strings.HasPrefix(st, "MAINT") {
		return "maintain"
	}
	var style string
	switch {
	case st == "DOWN" || st == "DOWN (agent)":
		style = "down"
	case strings.HasPrefix(st, "DOWN "):
		style = "going_up"
	case st == "DRAIN":
		style = "draining"
	case strings.HasPrefix(st, "NOLB "):
		style = "going_down"
	case st == "NOLB":
		style = "nolb"
	case st == "no check":
		style = "no_check"
	case !r.f("chkfail").set || r.n("check_health") == r.n("check_rise")+r.n("check_fall")-1:
		style = "up"
		if r.n("weight") == 0 {
			style = "draining"
		}
	default:
		style = "going_down"
	}
	if r.n("bck") != 0 {
		return "backup_" + style
	}
	return "active_" + style
}

func appendServerHTML(dst []byte, r *Row, o *PageOptions) []byte {
	w := htmlWriter{b: dst}
	px, name := r.s("pxname"), r.s("svname")
	st := r.s("status")
	http := r.s("mode") == "http"
	w.add("<tr class=\"", serverStyle(r), "\">")
	if o.Admin {
		w.add("<td><input class='", px, "-checkbox' type=\"checkbox\" name=\"s\" value=\"", name, "\"></td>")
	}
	w.add("<td class=ac><a name=\"", px, "/", name, "\"></a>", ifStr(o.ShowLegends, "<u>"), "<a class=lfsb href=\"#", px, "/", name, "\">", name, "</a>")
	if o.ShowLegends {
		w.add("<div class=tips>")
		addr := r.s("addr")
		switch {
		case addr != "" && addr[0] >= '0' && addr[0] <= '9':
			w.add("IPv4: ", addr, ", ")
		case addr != "" && addr[0] == '[':
			w.add("IPv6: ", addr, ", ")
		case addr != "":
			w.add(addr, ", ")
		}
		w.add("id: ", strconv.FormatInt(r.n("sid"), 10))
		if c := r.f("cookie"); c.set {
			w.add(", cookie: '")
			w.b = appendHTMLEscaped(w.b, c.str)
			w.add("'")
		}
		w.add("</div>")
	}
	w.add(ifStr(o.ShowLegends, "</u>"), "</td>")
	w.td(u2h(r.n("qcur")))
	w.td(u2h(r.n("qmax")))
	w.td(lim(r.n("qlimit"), "-"))
	w.td(u2h(r.n("rate")))
	w.td(u2h(r.n("rate_max")))
	w.add("<td></td>")
	slim := lim(r.n("slim"), "-")
	w.add("<td><u>", u2h(r.n("scur")), "<div class=tips><table class=det>")
	w.detRow("Current active connections:", u2h(r.n("scur")))
	w.detRow("Current used connections:", u2h(r.n("used_conn_cur")))
	w.detRow("Current idle connections:", u2h(r.n("srv_icur")))
	w.detRow("- unsafe:", u2h(r.n("idle_conn_cur")))
	w.detRow("- safe:", u2h(r.n("safe_conn_cur")))
	w.detRow("Estimated need of connections:", u2h(r.n("need_conn_est")))
	w.detRow("Active connections limit:", slim)
	ilim := "-"
	if v := r.f("src_ilim"); v.set { // haproxy spells it so
		ilim = u2h(v.num)
	}
	w.detRow("Idle connections limit:", ilim)
	w.add("</table></div></u></td>")
	w.td(u2h(r.n("smax")))
	w.td(slim)
	w.add("<td><u>", u2h(r.n("stot")), "<div class=tips><table class=det>")
	w.detRow("Cum. sessions:", u2h(r.n("stot")))
	if http {
		conn, reuse, req := r.n("connect"), r.n("reuse"), r.n("req_tot")
		w.detRow("New connections:", u2h(conn))
		w.detRowPct("Reused connections:", u2h(reuse), pct(reuse, conn+reuse))
		w.detRow("Cum. HTTP requests:", u2h(req))
		for _, c := range [...][2]string{{"1xx", "hrsp_1xx"}, {"2xx", "hrsp_2xx"}, {"3xx", "hrsp_3xx"}, {"4xx", "hrsp_4xx"}, {"5xx", "hrsp_5xx"}} {
			w.detRowPct("- HTTP "+c[0]+" responses:", u2h(r.n(c[1])), pct(r.n(c[1]), req))
		}
		w.detRowPct("- other responses:", u2h(r.n("hrsp_other")), pct(r.n("hrsp_other"), req))
		w.detRow("Failed hdr rewrites:", u2h(r.n("wrew")))
		w.detRow("Internal error:", u2h(r.n("eint")))
	}
	w.timings(r, http)
	w.add("</table></div></u></td>")
	w.td(u2h(r.n("lbtot")))
	w.td(humanTime(r.n("lastsess")))
	w.td(u2h(r.n("bin")))
	w.td(u2h(r.n("bout")))
	w.add("<td></td>")
	w.td(u2h(r.n("dresp")))
	w.add("<td></td>")
	w.td(u2h(r.n("econ")))
	w.add("<td><u>", u2h(r.n("eresp")), "<div class=tips>Connection resets during transfers: ",
		strconv.FormatInt(r.n("cli_abrt"), 10), " client, ", strconv.FormatInt(r.n("srv_abrt"), 10), " server</div></u></td>")
	w.td(strconv.FormatInt(r.n("wretr"), 10))
	w.td(strconv.FormatInt(r.n("wredis"), 10))
	w.add("<td class=ac>")
	health, rise, fall := r.n("check_health"), r.n("check_rise"), r.n("check_fall")
	switch {
	case strings.HasPrefix(st, "MAINT"):
		w.add(humanTime(r.n("lastchg")), " MAINT")
	case st == "no check":
		w.add("<i>no check</i>")
	default:
		w.add(humanTime(r.n("lastchg")), " ", st)
		if strings.HasPrefix(st, "DOWN") {
			if health != 0 {
				w.add(" &uarr;")
			}
		} else if health < rise+fall-1 {
			w.add(" &darr;")
		}
	}
	checkCell := func(prefix, last string) {
		w.add("</td><td class=ac><u> ", r.s(prefix+"_status"))
		if v := r.f(prefix + "_code"); v.set {
			w.add("/", strconv.FormatInt(v.num, 10))
		}
		if v := r.f(prefix + "_duration"); v.set {
			w.add(" in ", strconv.FormatInt(v.num, 10), "ms")
		}
		w.add("<div class=tips>", r.s(prefix+"_desc"))
		if l := r.s(last); l != "" {
			w.add(": ")
			w.b = appendHTMLEscaped(w.b, l)
		}
		w.add("</div></u>")
	}
	switch {
	case strings.HasPrefix(st, "DOWN") && r.f("agent_status").set && r.n("agent_health") == 0:
		checkCell("agent", "last_agt")
	case r.f("check_status").set:
		checkCell("check", "last_chk")
	default:
		w.add("</td><td>")
	}
	w.add("</td><td class=ac>", strconv.FormatInt(r.n("weight"), 10), "/", strconv.FormatInt(r.n("uweight"), 10), "</td>")
	if r.n("bck") != 0 {
		w.add("<td class=ac>-</td><td class=ac>Y</td>")
	} else {
		w.add("<td class=ac>Y</td><td class=ac>-</td>")
	}
	switch {
	case st == "MAINT (resolution)":
		w.add("<td class=ac colspan=3>resolution</td>")
	case r.f("chkfail").set:
		w.add("<td><u>", strconv.FormatInt(r.n("chkfail"), 10))
		hana := r.f("hanafail")
		if hana.set {
			w.add("/", strconv.FormatInt(hana.num, 10))
		}
		w.add("<div class=tips>Failed Health Checks", ifStr(hana.set, "/Health Analyses"), "</div></u></td>")
		w.td(strconv.FormatInt(r.n("chkdown"), 10))
		w.td(humanTime(r.n("downtime")))
	case st != "MAINT" && r.f("tracked").set:
		t := r.s("tracked")
		w.add("<td class=ac colspan=3><a class=lfsb href=\"#", t, "\">via ", t, "</a></td>")
	default:
		w.add("<td colspan=3></td>")
	}
	if v := r.f("throttle"); v.set {
		w.add("<td class=ac>", strconv.FormatInt(v.num, 10), " %</td>\n")
	} else {
		w.add("<td class=ac>-</td>")
	}
	w.add("</tr>\n")
	return w.b
}

func appendBackendHTML(dst []byte, r *Row, o *PageOptions) []byte {
	w := htmlWriter{b: dst}
	name := r.s("pxname")
	http := r.s("mode") == "http"
	w.add("<tr class=\"backend\">")
	if o.Admin {
		w.add("<td></td>")
	}
	w.add("<td class=ac>", ifStr(o.ShowLegends, "<u>"), "<a name=\"", name, "/Backend\"></a><a class=lfsb href=\"#", name, "/Backend\">Backend</a>")
	if o.ShowLegends {
		w.add("<div class=tips>balancing: ", r.s("algo"))
		if c := r.f("cookie"); c.set {
			w.add(", cookie: '")
			w.b = appendHTMLEscaped(w.b, c.str)
			w.add("'")
		}
		w.add("</div>")
	}
	w.add(ifStr(o.ShowLegends, "</u>"), "</td>")
	w.td(u2h(r.n("qcur")))
	w.td(u2h(r.n("qmax")))
	w.add("<td></td>")
	w.td(u2h(r.n("rate")))
	w.td(u2h(r.n("rate_max")))
	w.add("<td></td>")
	w.td(u2h(r.n("scur")))
	w.td(u2h(r.n("smax")))
	w.td(u2h(r.n("slim")))
	w.add("<td><u>", u2h(r.n("stot")), "<div class=tips><table class=det>")
	w.detRow("Cum. sessions:", u2h(r.n("stot")))
	if http {
		conn, reuse := r.n("connect"), r.n("reuse")
		w.detRow("New connections:", u2h(conn))
		w.detRowPct("Reused connections:", u2h(reuse), pct(reuse, conn+reuse))
		w.detRow("Cum. HTTP requests:", u2h(r.n("req_tot")))
		w.detRow("- HTTP 1xx responses:", u2h(r.n("hrsp_1xx")))
		w.detRow("- HTTP 2xx responses:", u2h(r.n("hrsp_2xx")))
		w.detRowPct("&nbsp;&nbsp;Compressed 2xx:", u2h(r.n("comp_rsp")), pct(r.n("comp_rsp"), r.n("hrsp_2xx")))
		w.detRow("- HTTP 3xx responses:", u2h(r.n("hrsp_3xx")))
		w.detRow("- HTTP 4xx responses:", u2h(r.n("hrsp_4xx")))
		w.detRow("- HTTP 5xx responses:", u2h(r.n("hrsp_5xx")))
		w.detRow("- other responses:", u2h(r.n("hrsp_other")))
		w.detRow("Cache lookups:", u2h(r.n("cache_lookups")))
		w.detRowPct("Cache hits:", u2h(r.n("cache_hits")), pct(r.n("cache_hits"), r.n("cache_lookups")))
		w.detRow("Failed hdr rewrites:", u2h(r.n("wrew")))
		w.detRow("Internal errors:", u2h(r.n("eint")))
	}
	w.timings(r, http)
	w.add("</table></div></u></td>")
	w.td(u2h(r.n("lbtot")))
	w.td(humanTime(r.n("lastsess")))
	w.td(u2h(r.n("bin")))
	w.bytesOut(r)
	w.td(u2h(r.n("dreq")))
	w.td(u2h(r.n("dresp")))
	w.add("<td></td>")
	w.td(u2h(r.n("econ")))
	w.add("<td><u>", u2h(r.n("eresp")), "<div class=tips>Connection resets during transfers: ",
		strconv.FormatInt(r.n("cli_abrt"), 10), " client, ", strconv.FormatInt(r.n("srv_abrt"), 10), " server</div></u></td>")
	w.td(strconv.FormatInt(r.n("wretr"), 10))
	w.td(strconv.FormatInt(r.n("wredis"), 10))
	st := r.s("status")
	if st == "DOWN" {
		st = "<font color=\"red\"><b>DOWN</b></font>"
	}
	w.add("<td class=ac>", humanTime(r.n("lastchg")), " ", st, "</td><td class=ac>&nbsp;</td><td class=ac>",
		strconv.FormatInt(r.n("weight"), 10), "/", strconv.FormatInt(r.n("uweight"), 10), "</td><td class=ac>",
		strconv.FormatInt(r.n("act"), 10), "</td><td class=ac>", strconv.FormatInt(r.n("bck"), 10), "</td>")
	w.add("<td class=ac>&nbsp;</td>")
	w.td(strconv.FormatInt(r.n("chkdown"), 10))
	if v := r.f("downtime"); v.set {
		w.td(humanTime(v.num))
	} else {
		w.td("&nbsp;")
	}
	w.add("<td></td></tr>")
	return w.b
}
