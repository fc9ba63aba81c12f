package stats

import (
	"fmt"
	"strconv"
)

type infoDef struct {
	name, tags, typ string
}

// Info holds the "show info" values, by position; unset ones are not
// printed (as haproxy omits ZlibMemUsage without zlib).
type Info struct {
	Values [NumInfoFields]Value
}

// InfoNames returns the "show info" field names in haproxy's order.
func InfoNames() []string {
	out := make([]string, NumInfoFields)
	for i := range infoDefs {
		out[i] = infoDefs[i].name
	}
	return out
}

// Set stores a value by field name; it reports whether the name exists.
func (in *Info) Set(name string, v Value) bool {
	for i := range infoDefs {
		if infoDefs[i].name == name {
			in.Values[i] = v
			return true
		}
	}
	return false
}

// FormatUptime renders seconds as "show info" does: "1d 2h03m04s".
func FormatUptime(sec int64) string {
	return fmt.Sprintf("%dd %dh%02dm%02ds", sec/86400, sec/3600%24, sec/60%60, sec%60)
}

// AppendInfo appends "show info": "Name: value" lines and an empty line.
func (in *Info) AppendInfo(dst []byte) []byte {
	for i := range infoDefs {
		if !in.Values[i].set {
			continue
		}
		dst = append(dst, infoDefs[i].name...)
		dst = append(dst, ": "...)
		dst = in.Values[i].appendTo(dst, infoDefs[i].typ)
		dst = append(dst, '\n')
	}
	return append(dst, '\n')
}

// AppendInfoTyped appends "show info typed": "pos.name.1:TAG:type:value".
func (in *Info) AppendInfoTyped(dst []byte) []byte {
	for i := range infoDefs {
		d := &infoDefs[i]
		if !in.Values[i].set {
			continue
		}
		dst = strconv.AppendInt(dst, int64(i), 10)
		dst = append(dst, '.')
		dst = append(dst, d.name...)
		dst = append(dst, ".1:"...)
		dst = append(dst, d.tags...)
		dst = append(dst, ':')
		dst = append(dst, d.typ...)
		dst = append(dst, ':')
		dst = in.Values[i].appendTo(dst, d.typ)
		dst = append(dst, '\n')
	}
	return append(dst, '\n')
}
