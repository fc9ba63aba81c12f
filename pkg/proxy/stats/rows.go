package stats

import (
	"strconv"
	"strings"
)

// Rows turns a snapshot into "show stat" rows in haproxy's order: for each
// proxy, its FRONTEND row, its servers, then its BACKEND row. Each row
// holds exactly the fields haproxy 2.6 fills for that kind of row.
func (s *Snapshot) Rows() []Row { return s.rows(false) }

// rows builds the rows; counts adds " (up/total)" to BACKEND statuses, as
// "show stat up" and "no-maint" do.
func (s *Snapshot) rows(counts bool) []Row {
	var rows []Row
	for i := range s.Proxies {
		p := &s.Proxies[i]
		if p.Frontend {
			rows = append(rows, frontendRow(p))
		}
		if p.Backend {
			for j := range p.Servers {
				rows = append(rows, serverRow(p, &p.Servers[j]))
			}
			rows = append(rows, backendRow(p, counts))
		}
	}
	if s.HideLegends {
		legends := [...]int{FieldIndex("addr"), FieldIndex("cookie"), FieldIndex("algo")}
		for i := range rows {
			for _, f := range legends {
				rows[i].Fields[f] = Value{}
			}
		}
	}
	return rows
}

func modules(r *Row, all bool) {
	n := NumFields
	if !all {
		n = NumBaseFields + 3 // servers only carry the ssl module
	}
	for i := NumBaseFields; i < n; i++ {
		r.Fields[i] = Num(0)
	}
}

func setNums(r *Row, kv ...any) {
	for i := 0; i+1 < len(kv); i += 2 {
		r.set(kv[i].(string), Num(kv[i+1].(int64)))
	}
}

func frontendRow(p *Proxy) Row {
	c := &p.FE
	r := Row{Kind: KindFrontend, ProxyID: p.ID}
	r.set("pxname", Str(p.Name))
	r.set("svname", Str("FRONTEND"))
	r.set("mode", Str(p.Mode))
	status := "OPEN"
	if p.Stopped {
		status = "STOP"
	}
	r.set("status", Str(status))
	setNums(&r, "scur", c.Cur, "smax", c.Max, "slim", c.Limit, "stot", c.Total,
		"bin", c.BytesIn, "bout", c.BytesOut, "dreq", c.DeniedReq, "dresp", c.DeniedResp,
		"ereq", c.ErrReq, "dcon", c.DeniedConn, "dses", c.DeniedSess, "wrew", c.FailedRewrites,
		"eint", c.InternalErrors, "pid", int64(1), "iid", int64(p.ID), "sid", int64(0), "type", int64(KindFrontend),
		"rate", c.Rate, "rate_lim", c.RateLimit, "rate_max", c.RateMax,
		"conn_rate", c.ConnRate, "conn_rate_max", c.ConnRateMax, "conn_tot", c.ConnTotal,
		"req_rate", c.ReqRate, "req_rate_max", c.ReqRateMax, "req_tot", c.ReqTotal,
		"comp_in", int64(0), "comp_out", int64(0), "comp_byp", int64(0), "comp_rsp", int64(0))
	if p.Mode == "http" {
		httpResponses(&r, c)
		setNums(&r, "intercepted", c.Intercepted, "cache_lookups", int64(0), "cache_hits", int64(0))
	}
	modules(&r, true)
	return r
}

func httpResponses(r *Row, c *Counters) {
	setNums(r, "hrsp_1xx", c.HTTPResponses[1], "hrsp_2xx", c.HTTPResponses[2], "hrsp_3xx", c.HTTPResponses[3],
		"hrsp_4xx", c.HTTPResponses[4], "hrsp_5xx", c.HTTPResponses[5], "hrsp_other", c.HTTPResponses[0])
}

func timings(r *Row, c *Counters) {
	setNums(r, "qtime", c.QTime, "ctime", c.CTime, "rtime", c.RTime, "ttime", c.TTime,
		"qtime_max", c.QTimeMax, "ctime_max", c.CTimeMax, "rtime_max", c.RTimeMax, "ttime_max", c.TTimeMax)
}

func serverRow(p *Proxy, sv *Server) Row {
	c := &sv.Counters
	r := Row{Kind: KindServer, ProxyID: p.ID, ID: sv.ID}
	r.set("pxname", Str(p.Name))
	r.set("svname", Str(sv.Name))
	r.set("mode", Str(p.Mode))
	r.set("status", Str(sv.Status))
	act, bck := int64(1), int64(0)
	if sv.Backup {
		act, bck = 0, 1
	}
	setNums(&r, "qcur", c.QCur, "qmax", c.QMax, "scur", c.Cur, "smax", c.Max, "stot", c.Total,
		"bin", c.BytesIn, "bout", c.BytesOut, "dresp", c.DeniedResp, "econ", c.ErrConn, "eresp", c.ErrResp,
		"wretr", c.Retries, "wredis", c.Redispatches, "wrew", c.FailedRewrites, "eint", c.InternalErrors,
		"connect", c.Connect, "reuse", c.Reuse,
		"idle_conn_cur", sv.IdleConn, "safe_conn_cur", sv.SafeConn, "used_conn_cur", sv.UsedConn, "need_conn_est", sv.NeedConnEst,
		"srv_icur", sv.IdleConn,
		"weight", sv.Weight, "uweight", sv.UWeight, "act", act, "bck", bck, "lastchg", sv.LastChange,
		"pid", int64(1), "iid", int64(p.ID), "sid", int64(sv.ID), "lbtot", c.LbTotal, "type", int64(KindServer),
		"rate", c.Rate, "rate_max", c.RateMax, "cli_abrt", c.CliAborts, "srv_abrt", c.SrvAborts, "lastsess", c.LastSess)
	if sv.Check != nil || sv.Agent != nil {
		setNums(&r, "chkfail", sv.CheckFail, "chkdown", sv.CheckDown, "downtime", sv.Downtime)
	}
	if sv.MaxQueue > 0 {
		setNums(&r, "qlimit", sv.MaxQueue)
	}
	if c.Limit > 0 {
		setNums(&r, "slim", c.Limit) // the server's maxconn
	}
	if sv.Throttle >= 0 && sv.Throttle != 0 {
		setNums(&r, "throttle", sv.Throttle)
	}
	if sv.Tracked != "" {
		r.set("tracked", Str(sv.Tracked))
	}
	checkFields(&r, sv.Check, "check_status", "check_code", "check_duration", "check_desc", "last_chk", "check_rise", "check_fall", "check_health")
	checkFields(&r, sv.Agent, "agent_status", "agent_code", "agent_duration", "agent_desc", "last_agt", "agent_rise", "agent_fall", "agent_health")
	if p.Mode == "http" {
		httpResponses(&r, c)
		setNums(&r, "req_tot", c.ReqTotal)
	}
	timings(&r, c)
	if sv.Addr != "" {
		r.set("addr", Str(sv.Addr))
	}
	if sv.Cookie != "" {
		r.set("cookie", Str(sv.Cookie))
	}
	modules(&r, false)
	return r
}

func checkFields(r *Row, ck *Check, names ...string) {
	if ck == nil {
		return
	}
	r.set(names[0], Str(ck.Status))
	if ck.Code >= 0 {
		setNums(r, names[1], ck.Code)
	}
	if ck.Duration >= 0 {
		setNums(r, names[2], ck.Duration)
	}
	r.set(names[3], Str(ck.Desc))
	r.set(names[4], Str(ck.Last))
	setNums(r, names[5], ck.Rise, names[6], ck.Fall, names[7], ck.Health)
}

func backendRow(p *Proxy, counts bool) Row {
	c := &p.BE
	r := Row{Kind: KindBackend, ProxyID: p.ID}
	r.set("pxname", Str(p.Name))
	r.set("svname", Str("BACKEND"))
	r.set("mode", Str(p.Mode))
	// Weights and active/backup counts consider usable servers only.
	var weight, uweight, act, bck int64
	for i := range p.Servers {
		sv := &p.Servers[i]
		if !usable(sv) {
			continue
		}
		if sv.Backup {
			bck++
		} else {
			act++
		}
	}
	for i := range p.Servers {
		sv := &p.Servers[i]
		if usable(sv) && (sv.Backup == (act == 0)) {
			weight += sv.Weight
			uweight += sv.UWeight
		}
	}
	if act == 0 && weight == 0 {
		// haproxy counts only the first usable backup unless allbackups.
		for i := range p.Servers {
			sv := &p.Servers[i]
			if usable(sv) && sv.Backup {
				weight, uweight = sv.Weight, sv.UWeight
				break
			}
		}
	}
	status := "UP"
	if weight == 0 && len(p.Servers) > 0 {
		status = "DOWN"
	}
	if counts {
		up := 0
		for i := range p.Servers {
			if st := p.Servers[i].Status; st != "DOWN" && !strings.HasPrefix(st, "MAINT") && !strings.HasPrefix(st, "DOWN ") {
				up++
			}
		}
		status += " (" + strconv.Itoa(up) + "/" + strconv.Itoa(len(p.Servers)) + ")"
	}
	r.set("status", Str(status))
	setNums(&r, "qcur", c.QCur, "qmax", c.QMax, "scur", c.Cur, "smax", c.Max, "slim", c.Limit, "stot", c.Total,
		"bin", c.BytesIn, "bout", c.BytesOut, "dreq", c.DeniedReq, "dresp", c.DeniedResp,
		"econ", c.ErrConn, "eresp", c.ErrResp, "wretr", c.Retries, "wredis", c.Redispatches,
		"wrew", c.FailedRewrites, "eint", c.InternalErrors, "connect", c.Connect, "reuse", c.Reuse,
		"weight", weight, "uweight", uweight, "act", act, "bck", bck, "chkdown", p.ChkDown, "lastchg", p.LastChange,
		"pid", int64(1), "iid", int64(p.ID), "sid", int64(0), "lbtot", c.LbTotal, "type", int64(KindBackend),
		"rate", c.Rate, "rate_max", c.RateMax, "cli_abrt", c.CliAborts, "srv_abrt", c.SrvAborts,
		"comp_in", int64(0), "comp_out", int64(0), "comp_byp", int64(0), "comp_rsp", int64(0), "lastsess", c.LastSess,
		"agg_server_status", int64(0), "agg_server_check_status", int64(0), "agg_check_status", int64(0))
	if len(p.Servers) > 0 {
		setNums(&r, "downtime", p.Downtime)
	}
	if p.Cookie != "" {
		r.set("cookie", Str(p.Cookie))
	}
	r.set("algo", Str(p.Algo))
	if p.Mode == "http" {
		httpResponses(&r, c)
		setNums(&r, "req_tot", c.ReqTotal, "cache_lookups", int64(0), "cache_hits", int64(0))
	}
	timings(&r, c)
	modules(&r, true)
	return r
}

func usable(sv *Server) bool {
	return sv.Weight > 0 && (sv.Status == "no check" || len(sv.Status) >= 2 && sv.Status[:2] == "UP")
}
