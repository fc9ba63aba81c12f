package haproxycfg

import (
	"time"
)

// Config is a whole haproxy configuration, validated, with each proxy's
// defaults already resolved into it.
type Config struct {
	Files      []string
	Global     *Global
	Defaults   []*Proxy // every defaults section, in order (unnamed ones get "" names)
	Proxies    []*Proxy // frontend, backend and listen sections, in order
	Userlists  []*Userlist
	Mailers    []*Mailers
	Peers      []*Section
	Resolvers  []*Section
	HTTPErrors []*HTTPErrors
	Caches     []*Section
	Programs   []*Section
	Rings      []*Section
}

// Proxy returns the frontend, backend or listen section named name.
func (c *Config) Proxy(name string) *Proxy {
	for _, p := range c.Proxies {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// Directive is a keyword line kept as written after validation: the
// keyword's words and its arguments. Keywords whose value has no richer type
// yet are stored this way.
type Directive struct {
	Pos  Pos
	Args []string // Args[0] is the keyword
}

// Global is the global section.
type Global struct {
	Pos          Pos
	Daemon       bool
	MasterWork   bool
	Maxconn      int
	Pidfile      string
	UlimitN      int
	Nbthread     int
	User, Group  string
	UID, GID     int
	Chroot       string
	Logs         []*LogTarget
	LogTag       string
	StatsSocket  []*Bind
	StatsTimeout time.Duration
	StatsMaxconn int
	Quiet        bool
	Tune         map[string]string
	Env          []Directive // setenv, presetenv, unsetenv, resetenv in order
	Other        []Directive
}

// ProxyKind is the section a proxy was declared with.
type ProxyKind int

const (
	KindDefaults ProxyKind = iota
	KindFrontend
	KindBackend
	KindListen
)

func (k ProxyKind) String() string {
	switch k {
	case KindDefaults:
		return "defaults"
	case KindFrontend:
		return "frontend"
	case KindBackend:
		return "backend"
	default:
		return "listen"
	}
}

// IsFrontend reports whether the proxy accepts connections.
func (k ProxyKind) IsFrontend() bool {
	return k == KindFrontend || k == KindListen || k == KindDefaults
}

// IsBackend reports whether the proxy has servers.
func (k ProxyKind) IsBackend() bool { return k == KindBackend || k == KindListen || k == KindDefaults }

// Mode is a proxy's mode.
type Mode string

const (
	ModeTCP  Mode = "tcp"
	ModeHTTP Mode = "http"
	ModeLog  Mode = "log"
)

// Timeouts of a proxy; zero means not set.
type Timeouts struct {
	Client, ClientFin, Connect, Server, ServerFin, Queue, Check,
	HTTPRequest, HTTPKeepAlive, Tunnel, Tarpit time.Duration
}

// Option is one "option X" / "no option X" line.
type Option struct {
	Pos     Pos
	Enabled bool
	Args    []string
}

// Balance is a backend's load-balancing algorithm.
type Balance struct {
	Pos       Pos
	Algorithm string   // roundrobin, static-rr, leastconn, first, source, uri, url_param, hdr, random, rdp-cookie, hash
	Param     string   // hdr(name), rdp-cookie(name), url_param name, hash expression
	Draws     int      // random(draws)
	Options   []string // uri whole/len/depth, url_param check_post, hdr use_domain_only
}

// HashType is the "hash-type" of a backend.
type HashType struct {
	Pos       Pos
	Method    string // map-based, consistent
	Function  string // sdbm, djb2, wt6, crc32, none
	Avalanche bool
}

// Proxy is a defaults, frontend, backend or listen section.
type Proxy struct {
	Kind ProxyKind
	Name string
	Pos  Pos
	From string // named defaults it inherits from ("" for the last unnamed one)

	Mode     Mode
	Disabled bool
	ID       int
	Desc     string

	Binds         []*Bind
	Servers       []*Server
	DefaultServer *Server // options of default-server; nil when never set
	Balance       *Balance
	HashType      *HashType
	Timeouts      Timeouts
	Options       map[string]Option
	Maxconn       int
	Fullconn      int
	Retries       int
	Backlog       int

	ACLs           []*ACL
	DefaultBackend *BackendRef
	UseBackends    []*UseBackend
	UseServers     []*UseServer
	Rules          map[string][]*Rule // rule set ("http-request", "tcp-request content", ...) -> rules in order

	Logs      []*LogTarget
	LogFormat string
	// LogFormatPos is where LogFormat was set (its defaults section's
	// line when inherited).
	LogFormatPos Pos
	Stats        *Stats
	Cookie       *Directive
	Errorfiles   map[int]string

	// Other keywords, validated and kept as written, in order.
	Other []Directive

	// usedByFE/usedByBE record which kinds of proxies inherited this
	// defaults section (one with rules may serve only one kind).
	usedByFE, usedByBE bool
}

// OptionEnabled reports whether "option name" is in effect.
func (p *Proxy) OptionEnabled(name string) bool {
	o, ok := p.Options[name]
	return ok && o.Enabled
}

// Bind is one listening address with its options.
type Bind struct {
	Pos     Pos
	Addr    Address
	Options map[string][]string // option -> its arguments (empty for flags)
}

// Server is a server or default-server line.
type Server struct {
	Pos     Pos
	Name    string
	Addr    Address
	Options map[string][]string
	// Typed values most callers need.
	Weight   int
	Backup   bool
	Disabled bool
	Check    bool
	Maxconn  int
	Maxqueue int
	Template int // number of servers of a server-template (0 for server)
}

// AddressFamily names the address families haproxy recognises.
type AddressFamily string

const (
	FamilyIPv4     AddressFamily = "ipv4"
	FamilyIPv6     AddressFamily = "ipv6"
	FamilyUnix     AddressFamily = "unix"
	FamilyAbstract AddressFamily = "abns"
	FamilyFD       AddressFamily = "fd"
	FamilySockPair AddressFamily = "sockpair"
	FamilyHost     AddressFamily = "host" // a name to resolve
	FamilyNone     AddressFamily = ""     // server without address (e.g. init-addr none)
)

// Address is a parsed address as haproxy's address parser understands it.
type Address struct {
	Raw      string
	Family   AddressFamily
	Proto    string // "", "tcp", "udp", "quic" (from a prefix such as udp@)
	Host     string // IP literal, host name, socket path or fd number
	PortLow  int
	PortHigh int // equals PortLow unless a range
	HasPort  bool
	Offset   bool // +N/-N port offset (servers)
}

// ACL is a named ACL line.
type ACL struct {
	Pos  Pos
	Name string
	Expr *ACLExpr
}

// ACLExpr is a sample fetch with its converters, flags and patterns.
type ACLExpr struct {
	Fetch    string
	FetchArg []string
	Convs    []string
	Flags    []string
	Match    string // -m method, resolved from the keyword when implicit
	Patterns []string
}

// Cond is an if/unless condition.
type Cond struct {
	Pos    Pos
	Unless bool
	// Terms is a disjunction (||) of conjunctions of terms.
	Terms [][]CondTerm
}

// CondTerm is one ACL reference or anonymous ACL, possibly negated.
type CondTerm struct {
	Negate bool
	Name   string   // named or predefined ACL
	Anon   *ACLExpr // anonymous { ... } ACL
}

// BackendRef names a backend, possibly as a log-format expression.
type BackendRef struct {
	Pos     Pos
	Name    string
	Dynamic bool // contains %[...]: resolved per request
}

// UseBackend is a use_backend rule.
type UseBackend struct {
	BackendRef
	Cond *Cond
}

// UseServer is a use-server rule.
type UseServer struct {
	Pos    Pos
	Server string
	Cond   *Cond
}

// Rule is an http-request, http-response, tcp-request … rule.
type Rule struct {
	Pos    Pos
	Action string
	Args   []string
	Cond   *Cond
}

// LogTarget is a "log" line.
type LogTarget struct {
	Pos      Pos
	Global   bool // "log global"
	Address  string
	Length   int
	Format   string
	Sample   string
	Facility string
	Level    string
	MinLevel string
}

// Stats is the stats configuration of a proxy.
type Stats struct {
	Enabled     bool
	URI         string
	Realm       string
	Auth        []string // user:password
	Refresh     time.Duration
	HideVersion bool
	ShowLegends bool
	ShowNode    string
	ShowDesc    string
	Scope       []string
	Admin       []*Cond
	Other       []Directive
}

// Userlist is a userlist section.
type Userlist struct {
	Pos    Pos
	Name   string
	Users  []Directive
	Groups []Directive
}

// Mailers is a mailers section.
type Mailers struct {
	Pos     Pos
	Name    string
	Mailers []Directive
	Timeout time.Duration
}

// HTTPErrors is an http-errors section.
type HTTPErrors struct {
	Pos        Pos
	Name       string
	Errorfiles map[int]string
}

// Section is any other named section (peers, resolvers, cache, program,
// ring) with its validated directives.
type Section struct {
	Kind       string
	Pos        Pos
	Name       string
	Directives []Directive
}

// TCPKeepAlive reads a proxy's clitcpka-idle/-intvl/-cnt (side "cli") or
// srvtcpka-* (side "srv"), which haproxy applies only where option
// clitcpka/srvtcpka (or tcpka) turns probes on. Zero means the system's
// value (tcp_keepalive_time, _intvl, _probes). Times default to seconds.
func (p *Proxy) TCPKeepAlive(side string) (idle, intvl time.Duration, cnt int) {
	for _, d := range p.Other {
		if len(d.Args) < 2 {
			continue
		}
		switch d.Args[0] {
		case side + "tcpka-idle":
			idle, _, _ = parseTimeLenient(d.Args[1], time.Second, d.Args[0])
		case side + "tcpka-intvl":
			intvl, _, _ = parseTimeLenient(d.Args[1], time.Second, d.Args[0])
		case side + "tcpka-cnt":
			cnt = atoi(d.Args[1])
		}
	}
	return idle, intvl, cnt
}
