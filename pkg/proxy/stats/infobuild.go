package stats

import (
	"time"
)

// InfoParams is what the runtime knows for "show info"; counters it does
// not keep stay 0, as haproxy prints them when the feature is unused.
type InfoParams struct {
	Version     string // e.g. "2.6.12-1+deb12u4"
	ReleaseDate string // e.g. "2023/05/26"
	Nbthread    int
	PID         int
	Start       time.Time
	Now         time.Time
	UlimitN     int
	Maxsock     int
	Maxconn     int
	HardMaxconn int
	CurrConns   int64
	CumConns    int64
	CumReq      int64
	ConnRate    int64
	MaxConnRate int64
	SessRate    int64
	MaxSessRate int64
	Tasks       int64
	IdlePct     int64 // 100 when idle
	Node        string
	Description string
	Stopping    bool
	Jobs        int64
	Listeners   int64
	DroppedLogs int64
	BytesOut    int64
}

// BuildInfo fills an Info as haproxy 2.6 does.
func BuildInfo(p InfoParams) Info {
	var in Info
	up := int64(p.Now.Sub(p.Start) / time.Second)
	if up < 0 {
		up = 0
	}
	b := func(v bool) int64 {
		if v {
			return 1
		}
		return 0
	}
	set := func(name string, v Value) { in.Set(name, v) }
	set("Name", Str("HAProxy"))
	set("Version", Str(p.Version))
	set("Release_date", Str(p.ReleaseDate))
	nums := []struct {
		name string
		v    int64
	}{
		{"Nbthread", int64(p.Nbthread)}, {"Nbproc", 1}, {"Process_num", 1}, {"Pid", int64(p.PID)},
	}
	for _, n := range nums {
		set(n.name, Num(n.v))
	}
	set("Uptime", Str(FormatUptime(up)))
	for _, n := range []struct {
		name string
		v    int64
	}{
		{"Uptime_sec", up}, {"Memmax_MB", 0}, {"PoolAlloc_MB", 0}, {"PoolUsed_MB", 0}, {"PoolFailed", 0},
		{"Ulimit-n", int64(p.UlimitN)}, {"Maxsock", int64(p.Maxsock)}, {"Maxconn", int64(p.Maxconn)},
		{"Hard_maxconn", int64(p.HardMaxconn)}, {"CurrConns", p.CurrConns}, {"CumConns", p.CumConns},
		{"CumReq", p.CumReq}, {"MaxSslConns", 0}, {"CurrSslConns", 0}, {"CumSslConns", 0}, {"Maxpipes", 0},
		{"PipesUsed", 0}, {"PipesFree", 0}, {"ConnRate", p.ConnRate}, {"ConnRateLimit", 0},
		{"MaxConnRate", p.MaxConnRate}, {"SessRate", p.SessRate}, {"SessRateLimit", 0},
		{"MaxSessRate", p.MaxSessRate}, {"SslRate", 0}, {"SslRateLimit", 0}, {"MaxSslRate", 0},
		{"SslFrontendKeyRate", 0}, {"SslFrontendMaxKeyRate", 0}, {"SslFrontendSessionReuse_pct", 0},
		{"SslBackendKeyRate", 0}, {"SslBackendMaxKeyRate", 0}, {"SslCacheLookups", 0}, {"SslCacheMisses", 0},
		{"CompressBpsIn", 0}, {"CompressBpsOut", 0}, {"CompressBpsRateLim", 0},
		{"Tasks", p.Tasks}, {"Run_queue", 0}, {"Idle_pct", p.IdlePct},
	} {
		set(n.name, Num(n.v))
	}
	set("node", Str(p.Node))
	if p.Description != "" {
		set("description", Str(p.Description))
	}
	for _, n := range []struct {
		name string
		v    int64
	}{
		{"Stopping", b(p.Stopping)}, {"Jobs", p.Jobs}, {"Unstoppable Jobs", 0}, {"Listeners", p.Listeners},
		{"ActivePeers", 0}, {"ConnectedPeers", 0}, {"DroppedLogs", p.DroppedLogs}, {"BusyPolling", 0},
		{"FailedResolutions", 0}, {"TotalBytesOut", p.BytesOut}, {"TotalSplicdedBytesOut", 0},
		{"BytesOutRate", 0}, {"DebugCommandsIssued", 0}, {"CumRecvLogs", 0},
	} {
		set(n.name, Num(n.v))
	}
	set("Build info", Str(p.Version))
	for _, n := range []struct {
		name string
		v    int64
	}{
		{"Memmax_bytes", 0}, {"PoolAlloc_bytes", 0}, {"PoolUsed_bytes", 0}, {"Start_time_sec", p.Start.Unix()},
	} {
		set(n.name, Num(n.v))
	}
	set("Tainted", Str("0"))
	return in
}
