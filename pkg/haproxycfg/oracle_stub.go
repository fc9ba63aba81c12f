package haproxycfg

// Temporary until the generated oracle tables land (branch tables).

type proxyCaps uint8

const (
	capDefaults proxyCaps = 1 << iota
	capFrontend
	capListen
	capBackend
)

type oracleArg struct {
	Type     string
	Optional bool
}

type oracleFetch struct {
	Name string
	Args []oracleArg
	Out  string
	Use  uint32
}

type oracleConv struct {
	Name    string
	Args    []oracleArg
	In, Out string
}

type oracleACL struct{ Name, Fetch, Match string }

type oracleOption struct {
	Name       string
	Caps       proxyCaps
	HTTPOnly   bool
	Deprecated bool
}

type oracleProxyKeyword struct {
	Name       string
	Caps       proxyCaps
	Deprecated bool
	Removed    bool
}

type oracleAction struct {
	Ruleset string
	Name    string
	Syntax  string
}

var (
	oracleFetches         map[string]oracleFetch
	oracleConverters      map[string]oracleConv
	oracleACLs            map[string]oracleACL
	oracleBindKeywords    map[string]int
	oracleServerKeywords  map[string]int
	oracleOptions         map[string]oracleOption
	oracleGlobalKeywords  map[string]bool
	oracleProxyKeywords   map[string]oracleProxyKeyword
	oracleActions         []oracleAction
	oraclePredefinedACLs  map[string]string
	oracleSectionKeywords map[string][]string
)
