// Package stats renders haproxy 2.6's statistics: "show stat" (CSV, as
// also served by the stats page's ";csv"), "show stat typed", "show stat
// json", "show info" and "show info typed", from a plain Snapshot that the
// runtime fills.
package stats

import (
	"strconv"
)

type fieldDef struct {
	name  string
	tags  [3]string // per Kind: origin, nature, scope letters
	types [3]string // per Kind: str, u32, u64, s32
}

// Kind is the kind of a stats row, as haproxy's "type" field numbers it.
type Kind int

// Row kinds.
const (
	KindFrontend Kind = 0
	KindBackend  Kind = 1
	KindServer   Kind = 2
)

// FieldNames returns the stats field names in "show stat" order (without
// the "-" column that separates the base fields from the modules' in CSV).
func FieldNames() []string {
	out := make([]string, NumFields)
	for i := range fieldDefs {
		out[i] = fieldDefs[i].name
	}
	return out
}

// FieldIndex returns the position of a field name, or -1.
func FieldIndex(name string) int {
	for i := range fieldDefs {
		if fieldDefs[i].name == name {
			return i
		}
	}
	return -1
}

// Value is one field of a row; the zero Value is empty.
type Value struct {
	set bool
	str string
	num int64
}

// Str returns a string value.
func Str(s string) Value { return Value{set: true, str: s} }

// Num returns a numeric value.
func Num(n int64) Value { return Value{set: true, num: n} }

// IsSet reports whether v holds a value.
func (v Value) IsSet() bool { return v.set }

func (v Value) appendTo(dst []byte, typ string) []byte {
	if !v.set {
		return dst
	}
	if typ == "str" {
		return append(dst, v.str...)
	}
	return strconv.AppendInt(dst, v.num, 10)
}

// Row is one line of "show stat".
type Row struct {
	Kind    Kind
	ProxyID int // iid
	ID      int // sid (0 for FRONTEND and BACKEND)
	Fields  [NumFields]Value
}

func (r *Row) set(name string, v Value) {
	if i := FieldIndex(name); i >= 0 {
		r.Fields[i] = v
	}
}
