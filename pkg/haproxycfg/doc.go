// Package haproxycfg reads haproxy.cfg files into a typed, validated model.
//
// Reading happens in two stages. The lexer (lexer.go) turns files into
// logical lines of words, applying haproxy's quoting, escaping, environment
// expansion and .if/.elif/.else/.endif blocks. The parser (parse.go) walks
// those lines section by section, dispatching each keyword through the
// keyword registry (registry.go), which also says which keywords gohaproxy
// supports, maps onto modern equivalents (legacy 1.x keywords), or refuses.
//
// The package does no I/O other than reading the configuration files.
package haproxycfg
