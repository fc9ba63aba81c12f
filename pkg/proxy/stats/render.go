package stats

import (
	"strconv"
)

var kindLetters = [3]byte{'F', 'B', 'S'}

// AppendCSVHeader appends "show stat"'s header line, "# pxname,...,\n".
func AppendCSVHeader(dst []byte) []byte {
	dst = append(dst, "# "...)
	for i := range fieldDefs {
		if i == NumBaseFields {
			dst = append(dst, "-,"...)
		}
		dst = append(dst, fieldDefs[i].name...)
		dst = append(dst, ',')
	}
	return append(dst, '\n')
}

// AppendCSVRow appends one CSV line.
func AppendCSVRow(dst []byte, r *Row) []byte {
	for i := range r.Fields {
		if i == NumBaseFields {
			dst = append(dst, "-,"...)
		}
		dst = appendCSVValue(dst, r.Fields[i], fieldDefs[i].types[r.Kind])
		dst = append(dst, ',')
	}
	return append(dst, '\n')
}

// appendCSVValue quotes strings holding a comma, quote or line break, as
// haproxy's CSV writer does.
func appendCSVValue(dst []byte, v Value, typ string) []byte {
	if typ == "str" && v.set {
		need := false
		for i := 0; i < len(v.str); i++ {
			if c := v.str[i]; c == ',' || c == '"' || c == '\n' || c == '\r' {
				need = true
				break
			}
		}
		if need {
			dst = append(dst, '"')
			for i := 0; i < len(v.str); i++ {
				if v.str[i] == '"' {
					dst = append(dst, '"')
				}
				dst = append(dst, v.str[i])
			}
			return append(dst, '"')
		}
	}
	return v.appendTo(dst, typ)
}

// AppendCSV appends the whole "show stat" answer: header, rows, and the
// empty line that ends a CLI answer.
func (s *Snapshot) AppendCSV(dst []byte) []byte {
	return append(s.AppendCSVPage(dst), '\n')
}

// AppendCSVPage appends the stats page's ";csv" export: the header and
// the rows, without the CLI's closing empty line.
func (s *Snapshot) AppendCSVPage(dst []byte) []byte {
	dst = AppendCSVHeader(dst)
	for _, r := range s.Rows() {
		dst = AppendCSVRow(dst, &r)
	}
	return dst
}

// AppendTyped appends "show stat typed": one "K.iid.sid.pos.name.1:TAG:type:value"
// line per filled field, and an empty line at the end.
func (s *Snapshot) AppendTyped(dst []byte) []byte {
	return appendTypedRows(dst, s.Rows())
}

func appendTypedRows(dst []byte, rows []Row) []byte {
	for _, r := range rows {
		for i := range r.Fields {
			v := r.Fields[i]
			if !v.set {
				continue
			}
			d := &fieldDefs[i]
			dst = append(dst, kindLetters[r.Kind], '.')
			dst = strconv.AppendInt(dst, int64(r.ProxyID), 10)
			dst = append(dst, '.')
			dst = strconv.AppendInt(dst, int64(r.ID), 10)
			dst = append(dst, '.')
			dst = strconv.AppendInt(dst, int64(i), 10)
			dst = append(dst, '.')
			dst = append(dst, d.name...)
			dst = append(dst, ".1:"...)
			dst = append(dst, d.tags[r.Kind]...)
			dst = append(dst, ':')
			dst = append(dst, d.types[r.Kind]...)
			dst = append(dst, ':')
			dst = v.appendTo(dst, d.types[r.Kind])
			dst = append(dst, '\n')
		}
	}
	return append(dst, '\n')
}
