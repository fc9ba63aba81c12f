package stats

import (
	"strconv"
)

var (
	originNames = map[byte]string{'K': "Key", 'M': "Metric", 'C': "Config", 'S': "Status", 'P': "Product"}
	natureNames = map[byte]string{'N': "Name", 'G': "Gauge", 'M': "Max", 'L': "Limit", 'C': "Counter", 'R': "Rate",
		'a': "Avg", 'A': "Age", 'O': "Output", 'D': "Duration"}
	scopeNames = map[byte]string{'S': "Service", 'P': "Process"}
	objNames   = [3]string{"Frontend", "Backend", "Server"}
)

func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c < 0x20:
			dst = append(dst, `\u00`...)
			dst = append(dst, "0123456789abcdef"[c>>4], "0123456789abcdef"[c&15])
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}

func appendJSONField(dst []byte, pos int, name, tags, typ string, v Value) []byte {
	dst = append(dst, `"field":{"pos":`...)
	dst = strconv.AppendInt(dst, int64(pos), 10)
	dst = append(dst, `,"name":`...)
	dst = appendJSONString(dst, name)
	dst = append(dst, `},"processNum":1,"tags":{"origin":"`...)
	dst = append(dst, originNames[tags[0]]...)
	dst = append(dst, `","nature":"`...)
	dst = append(dst, natureNames[tags[1]]...)
	dst = append(dst, `","scope":"`...)
	dst = append(dst, scopeNames[tags[2]]...)
	dst = append(dst, `"},"value":{"type":"`...)
	dst = append(dst, typ...)
	dst = append(dst, `","value":`...)
	if typ == "str" {
		dst = appendJSONString(dst, v.str)
	} else {
		dst = strconv.AppendInt(dst, v.num, 10)
	}
	return append(dst, "}}"...)
}

// AppendJSON appends "show stat json": an array of rows, each an array of
// the row's filled fields.
func (s *Snapshot) AppendJSON(dst []byte) []byte {
	return appendJSONRows(dst, s.Rows())
}

func appendJSONRows(dst []byte, rows []Row) []byte {
	dst = append(dst, '[')
	for ri, r := range rows {
		if ri > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, '[')
		first := true
		for i := range r.Fields {
			v := r.Fields[i]
			if !v.set {
				continue
			}
			if !first {
				dst = append(dst, ',')
			}
			first = false
			d := &fieldDefs[i]
			dst = append(dst, `{"objType":"`...)
			dst = append(dst, objNames[r.Kind]...)
			dst = append(dst, `","proxyId":`...)
			dst = strconv.AppendInt(dst, int64(r.ProxyID), 10)
			dst = append(dst, `,"id":`...)
			dst = strconv.AppendInt(dst, int64(r.ID), 10)
			dst = append(dst, ',')
			dst = appendJSONField(dst, i, d.name, d.tags[r.Kind], d.types[r.Kind], v)
		}
		dst = append(dst, ']')
	}
	return append(dst, "]\n\n"...)
}

// AppendInfoJSON appends "show info json".
func (in *Info) AppendInfoJSON(dst []byte) []byte {
	dst = append(dst, '[')
	first := true
	for i := range infoDefs {
		v := in.Values[i]
		if !v.set {
			continue
		}
		if !first {
			dst = append(dst, ',')
		}
		first = false
		d := &infoDefs[i]
		dst = append(dst, '{')
		dst = appendJSONField(dst, i, d.name, d.tags, d.typ, v)
	}
	return append(dst, "]\n\n"...)
}
