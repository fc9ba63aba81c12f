package stats

// Snapshot is the state the runtime hands to the renderers.
type Snapshot struct {
	Info    Info
	Proxies []Proxy
	// HideLegends leaves out addr, cookie and algo, as the stats page
	// does without "stats show-legends" (the CLI shows them).
	HideLegends bool
	// StickTables are the stick tables in haproxy's order ("show table"'s:
	// the last declared first, peers sections' tables included).
	StickTables []StickTable
}

// Counters are the traffic counters of a frontend, backend or server.
type Counters struct {
	QCur, QMax                             int64 // queued connections
	Cur, Max, Limit                        int64 // sessions: scur, smax, slim
	Total                                  int64 // stot
	BytesIn, BytesOut                      int64
	DeniedReq, DeniedResp                  int64
	ErrReq, ErrConn, ErrResp               int64
	Retries, Redispatches                  int64
	Rate, RateLimit, RateMax               int64 // sessions per second
	ConnRate, ConnRateMax                  int64
	ConnTotal                              int64
	ReqRate, ReqRateMax                    int64
	ReqTotal                               int64
	HTTPResponses                          [6]int64 // other, 1xx, 2xx, 3xx, 4xx, 5xx
	Intercepted                            int64
	DeniedConn, DeniedSess                 int64 // dcon, dses
	FailedRewrites                         int64 // wrew
	InternalErrors                         int64 // eint
	Connect, Reuse                         int64
	CliAborts, SrvAborts                   int64
	LbTotal                                int64
	LastSess                               int64 // seconds since the last session, -1 for never
	QTime, CTime, RTime, TTime             int64 // averages over the last 1024 sessions, ms
	QTimeMax, CTimeMax, RTimeMax, TTimeMax int64
}

// Check is the state of a health check or agent check.
type Check struct {
	Status     string // "L4OK", "L4CON", ... (with "* " while in progress)
	Code       int64  // -1 when there is none
	Duration   int64  // ms, -1 when not checked
	Desc       string // description of Status
	Last       string // last check's output (last_chk / last_agt)
	Rise, Fall int64
	Health     int64
}

// Server is one server of a backend.
type Server struct {
	Name                                      string
	ID                                        int
	Addr                                      string // "ip:port" or "[ip6]:port"
	Cookie                                    string
	Status                                    string // "UP", "DOWN", "MAINT", "no check", "UP 1/3" ...
	Weight                                    int64
	UWeight                                   int64
	Backup                                    bool
	MaxQueue                                  int64 // qlimit, 0 for none
	LastChange                                int64 // seconds since the last state change
	Throttle                                  int64 // -1 when not starting
	Tracked                                   string
	Check                                     *Check // nil when checks are disabled
	Agent                                     *Check
	CheckFail                                 int64
	CheckDown                                 int64
	Downtime                                  int64
	IdleConn, SafeConn, UsedConn, NeedConnEst int64
	Counters
}

// Proxy is a frontend, a backend or a listen section.
type Proxy struct {
	Name       string
	ID         int    // iid
	Mode       string // "tcp" or "http"
	Frontend   bool   // has the frontend capability
	Backend    bool   // has the backend capability
	Stopped    bool   // frontend status STOP instead of OPEN
	Algo       string // roundrobin, leastconn, ...
	Cookie     string // cookie name
	LastChange int64  // backend: seconds since the last state change
	Downtime   int64
	ChkDown    int64 // backend: transitions to DOWN
	FE         Counters
	BE         Counters
	Servers    []Server
	Desc       string // "description", shown on the stats page
	// Listeners are the frontend's listeners that keep their own
	// counters ("option socket-stats"), in bind order.
	Listeners []Listener
}

// Listener is one listener of a frontend with "option socket-stats".
type Listener struct {
	Name   string // "name" of the bind line, else "sock-N"
	ID     int
	Status string // "WAITING", "OPEN" or "FULL"
	Counters
}

// StickTable is a stick table's size and use.
type StickTable struct {
	Name string // the proxy's name, or "peers/table"
	Type string // ip, ipv6, integer, string or binary
	Size int64
	Used int64
}
