package balance

import (
	"encoding/binary"
	"fmt"
	"strings"
	"sync"
)

// Hash is every hashing "balance" algorithm: source, uri, url_param, hdr,
// rdp-cookie and hash. The key is hashed with the configured function
// (source uses its own folding of the address instead), optionally passed
// through FullHash ("avalanche"), then looked up in the map-based table
// (hash modulo the total weight) or on the consistent ring. When the key is
// missing the pick falls back to round robin over the same table.
type Hash struct {
	mu   sync.Mutex
	p    *pool
	cfg  Config
	kind hashKind
	m    *serverMap
	c    *chash
}

type hashKind uint8

const (
	hashSource hashKind = iota
	hashURI
	hashParam
	hashHdr
	hashRDP
	hashExpr
)

// NewHash builds a hashing algorithm (cfg.Algorithm is source, uri,
// url_param, hdr, rdp-cookie or hash).
func NewHash(cfg Config, servers []*Server) (*Hash, error) {
	p, err := newPool(servers, cfg.AllBackups)
	if err != nil {
		return nil, err
	}
	return newHash(p, cfg)
}

func newHash(p *pool, cfg Config) (*Hash, error) {
	h := &Hash{p: p, cfg: cfg}
	switch cfg.Algorithm {
	case "source":
		h.kind = hashSource
	case "uri":
		h.kind = hashURI
	case "url_param":
		h.kind = hashParam
		if cfg.Param == "" {
			return nil, fmt.Errorf("balance url_param: missing parameter name")
		}
	case "hdr":
		h.kind = hashHdr
	case "rdp-cookie":
		h.kind = hashRDP
	case "hash":
		h.kind = hashExpr
	default:
		return nil, fmt.Errorf("balance: %q is not a hashing algorithm", cfg.Algorithm)
	}
	if cfg.Consistent {
		h.c = newCHash(p)
		h.c.factor = cfg.HashBalanceFactor
	} else {
		h.m = newServerMap(p)
	}
	return h, nil
}

// Servers returns the servers in declaration order.
func (h *Hash) Servers() []*Server { return h.p.srv }

func (h *Hash) finish(v uint32) uint32 {
	if h.cfg.Avalanche {
		return FullHash(v)
	}
	return v
}

// KeyHash returns the hash haproxy computes for k, and false when the key
// is missing (haproxy then falls back to round robin). With a single usable
// server haproxy skips hashing and uses 0 (except for url_param).
func (h *Hash) KeyHash(k Key) (uint32, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.keyHash(k)
}

func (h *Hash) keyHash(k Key) (uint32, bool) {
	single := h.p.totUsed == 1
	f := h.cfg.Func
	switch h.kind {
	case hashSource:
		if single {
			return 0, true
		}
		return h.finish(SourceFold(k.Src[:], k.SrcV6)), true
	case hashURI:
		if single {
			return 0, true
		}
		uri := k.URI
		if h.cfg.URIPathOnly {
			uri = uriPath(uri)
		}
		return h.finish(f.SumString(uriKey(uri, h.cfg.URIWhole, h.cfg.URILen, h.cfg.URIDepth))), true
	case hashParam:
		v, ok := queryParam(k.URI, h.cfg.Param)
		if !ok && h.cfg.CheckPost && k.Body != "" {
			v, ok = bodyParam(k.Body, h.cfg.Param)
		}
		if !ok {
			return 0, false
		}
		return h.finish(f.SumString(v)), true
	case hashHdr:
		if single {
			return 0, true
		}
		if k.Value == "" || k.Missing {
			return 0, false
		}
		v := k.Value
		if h.cfg.UseDomainOnly {
			v = domainOnly(v)
		}
		return h.finish(f.SumString(v)), true
	case hashRDP:
		if k.Value == "" || k.Missing {
			return 0, false
		}
		if single {
			return 0, true
		}
		return h.finish(f.SumString(k.Value)), true
	default: // hash <expr>: an empty sample is still a key
		if k.Missing {
			return 0, false
		}
		if single {
			return 0, true
		}
		return h.finish(f.SumString(k.Value)), true
	}
}

// Pick returns the server the key hashes to, or the next one in round robin
// order when the key is missing.
func (h *Hash) Pick(k Key) *Server {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.p.totWeight == 0 {
		return nil
	}
	v, ok := h.keyHash(k)
	if ok {
		var s *Server
		if h.c != nil {
			s = h.c.lookup(v, k.Avoid)
		} else {
			s = h.m.lookup(v)
		}
		if s != nil {
			return s
		}
	}
	if h.c != nil {
		return h.c.next(k.Avoid)
	}
	return h.m.next(k.Avoid)
}

// SourceFold folds a client address into the 32-bit value that "balance
// source" hashes: the XOR of its big-endian 32-bit words (one word for
// IPv4, four for IPv6).
func SourceFold(addr []byte, v6 bool) uint32 {
	n := 4
	if v6 {
		n = 16
	}
	var h uint32
	for i := 0; i+4 <= n && i+4 <= len(addr); i += 4 {
		h ^= binary.BigEndian.Uint32(addr[i:])
	}
	return h
}

// uriKey cuts the part of the request target that "balance uri" hashes:
// at most n bytes ("len"), up to the depth-th slash ("depth") and, unless
// whole, up to the question mark.
func uriKey(uri string, whole bool, n, depth int) string {
	if n > 0 && len(uri) > n {
		uri = uri[:n]
	}
	slashes := 0
	for i := 0; i < len(uri); i++ {
		switch uri[i] {
		case '/':
			slashes++
			if depth > 0 && slashes == depth+1 {
				return uri[:i]
			}
		case '?':
			if !whole {
				return uri[:i]
			}
		}
	}
	return uri
}

// uriPath returns the path (and query) of an absolute-form target, as
// haproxy's http_get_path; origin-form targets are returned as is.
func uriPath(uri string) string {
	if strings.HasPrefix(uri, "/") || uri == "*" {
		return uri
	}
	i := strings.Index(uri, "://")
	if i < 0 {
		return ""
	}
	rest := uri[i+3:]
	j := strings.IndexByte(rest, '/')
	if j < 0 {
		return ""
	}
	return rest[j:]
}

// queryParam finds the value of parameter name in the query string of uri.
func queryParam(uri, name string) (string, bool) {
	q := strings.IndexByte(uri, '?')
	if q < 0 {
		return "", false
	}
	return bodyParam(uri[q+1:], name)
}

// bodyParam finds name=value in a '&'-separated list.
func bodyParam(params, name string) (string, bool) {
	for len(params) > len(name) {
		if params[len(name)] == '=' && params[:len(name)] == name {
			v := params[len(name)+1:]
			if e := strings.IndexByte(v, '&'); e >= 0 {
				v = v[:e]
			}
			return v, true
		}
		a := strings.IndexByte(params, '&')
		if a < 0 {
			return "", false
		}
		params = params[a+1:]
	}
	return "", false
}

// domainOnly keeps the label before the last dot-separated label of a host
// name ("www.example.com" -> "example"), as "hdr(...) use_domain_only"; a
// name without a dot is kept whole.
func domainOnly(v string) string {
	end := -1
	for i := len(v) - 1; i > 0; i-- {
		if end < 0 {
			if v[i] == '.' {
				end = i
			}
			continue
		}
		if v[i-1] == '.' {
			return v[i:end]
		}
	}
	if end < 0 {
		return v
	}
	return v[:end]
}

func (h *Hash) changed(s *Server) {
	if h.c != nil {
		h.c.changed(s)
		return
	}
	h.m.changed(s)
}

// SetUp marks s up or down.
func (h *Hash) SetUp(s *Server, up bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	s.Down = !up
	h.changed(s)
}

// SetDrain puts s in or out of drain.
func (h *Hash) SetDrain(s *Server, drain bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	s.draining = drain
	h.changed(s)
}

// SetWeight changes the weight of s: dynamically with consistent hashing,
// only between zero and non-zero with the static map.
func (h *Hash) SetWeight(s *Server, w int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.c != nil {
		s.Weight = clampWeight(w)
		s.ew = s.Weight * BEWeightScale
	} else {
		setStaticWeight(s, w)
	}
	h.changed(s)
}

// TakeConn counts a connection on s.
func (h *Hash) TakeConn(s *Server) { h.mu.Lock(); h.p.take(s); h.mu.Unlock() }

// DropConn counts the end of a connection on s.
func (h *Hash) DropConn(s *Server) {
	h.mu.Lock()
	h.p.drop(s)
	h.mu.Unlock()
}

// SetPending sets the number of connections queued on s.
func (h *Hash) SetPending(s *Server, n int) { h.mu.Lock(); s.pending = n; h.mu.Unlock() }
