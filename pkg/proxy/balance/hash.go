package balance

// HashFunc names one of haproxy's key hash functions ("hash-type ... <function>").
type HashFunc uint8

// The hash functions of "hash-type". SDBM is haproxy's default.
const (
	SDBM HashFunc = iota
	DJB2
	WT6
	CRC32
)

// ParseHashFunc maps a hash-type function name to a HashFunc.
func ParseHashFunc(name string) (HashFunc, bool) {
	switch name {
	case "", "sdbm":
		return SDBM, true
	case "djb2":
		return DJB2, true
	case "wt6":
		return WT6, true
	case "crc32":
		return CRC32, true
	}
	return SDBM, false
}

func (f HashFunc) String() string {
	switch f {
	case DJB2:
		return "djb2"
	case WT6:
		return "wt6"
	case CRC32:
		return "crc32"
	}
	return "sdbm"
}

// Sum hashes b with f.
func (f HashFunc) Sum(b []byte) uint32 {
	switch f {
	case DJB2:
		return HashDJB2(b)
	case WT6:
		return HashWT6(b)
	case CRC32:
		return HashCRC32(b)
	}
	return HashSDBM(b)
}

// SumString is Sum for a string, without converting it.
func (f HashFunc) SumString(s string) uint32 {
	switch f {
	case DJB2:
		h := uint32(5381)
		for i := 0; i < len(s); i++ {
			h = h*33 + uint32(s[i])
		}
		return h
	case WT6:
		w := newWT6()
		for i := 0; i < len(s); i++ {
			w.add(s[i])
		}
		return w.sum()
	case CRC32:
		c := ^uint32(0)
		for i := 0; i < len(s); i++ {
			c = crcByte(c, s[i])
		}
		return ^c
	}
	var h uint32
	for i := 0; i < len(s); i++ {
		h = uint32(s[i]) + h<<6 + h<<16 - h
	}
	return h
}

// HashSDBM is the sdbm hash: h = c + h*65599, computed with shifts.
func HashSDBM(b []byte) uint32 {
	var h uint32
	for _, c := range b {
		h = uint32(c) + h<<6 + h<<16 - h
	}
	return h
}

// HashDJB2 is Bernstein's hash: h = h*33 + c starting at 5381.
func HashDJB2(b []byte) uint32 {
	h := uint32(5381)
	for _, c := range b {
		h = h*33 + uint32(c)
	}
	return h
}

type wt6 struct {
	h0, h1, s0, s1 uint32
}

func newWT6() wt6 { return wt6{h0: 0xa53c965a, h1: 0x5ca6953a, s0: 6, s1: 18} }

func rotl(x, n uint32) uint32 { n &= 31; return x<<n | x>>((32-n)&31) }

func (w *wt6) add(c byte) {
	t := uint32(c)
	a := ^(w.h0 ^ t)
	b := ^(w.h1 + t)
	w.h0 = rotl(b, w.s0)
	w.h1 = rotl(a, w.s1)
	m := ((w.h0 >> 16) ^ w.h1) & 0xffff
	w.s0 = m & 0x1f
	w.s1 = m >> 11
}

func (w *wt6) sum() uint32 { return w.h0 ^ w.h1 }

// HashWT6 is haproxy's own wt6 hash.
func HashWT6(b []byte) uint32 {
	w := newWT6()
	for _, c := range b {
		w.add(c)
	}
	return w.sum()
}

func crcByte(c uint32, b byte) uint32 {
	c ^= uint32(b)
	for i := 0; i < 8; i++ {
		if c&1 != 0 {
			c = c>>1 ^ 0xedb88320
		} else {
			c >>= 1
		}
	}
	return c
}

// HashCRC32 is the IEEE (Ethernet, gzip) CRC32.
func HashCRC32(b []byte) uint32 {
	c := ^uint32(0)
	for _, x := range b {
		c = crcByte(c, x)
	}
	return ^c
}

// FullHash is the 32-bit full avalanche integer hash (one of Bob Jenkins'
// integer hashes, then a multiplication by a large odd constant) that
// haproxy applies for the "avalanche" modifier and to place consistent
// hashing points.
func FullHash(a uint32) uint32 {
	a = (a + 0x7ed55d16) + (a << 12)
	a = (a ^ 0xc761c23c) ^ (a >> 19)
	a = (a + 0x165667b1) + (a << 5)
	a = (a + 0xd3a2646c) ^ (a << 9)
	a = (a + 0xfd7046c5) + (a << 3)
	a = (a ^ 0xb55a4f09) ^ (a >> 16)
	return a * 3221225473
}
