package influx

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The store asks the client for the raw annotated CSV (QueryRaw) and reads it here:
// one pass over the text, no per-record maps of the client's reader. Flux writes CSV
// with "\r\n" line ends and turns a "\n" inside a value into "\r\n" (dropping any
// lone "\r"), so the reader turns "\r\n" inside quoted values back into "\n". Text
// with carriage returns therefore cannot round-trip through InfluxDB; obs.Normalize
// removes them and store.Check refuses them.

// csvReader splits annotated CSV (RFC 4180, "\r\n" or "\n" line ends) into records.
type csvReader struct {
	s   string
	pos int
}

// next returns the next record's fields, reusing buf; ok is false at the end.
// An empty line comes back as a single empty field.
func (r *csvReader) next(buf []string) (fields []string, ok bool, err error) {
	if r.pos >= len(r.s) {
		return nil, false, nil
	}
	fields = buf[:0]
	for {
		var f string
		if r.pos < len(r.s) && r.s[r.pos] == '"' {
			r.pos++
			var b strings.Builder
			for {
				i := strings.IndexByte(r.s[r.pos:], '"')
				if i < 0 {
					return nil, false, errors.New("flux csv: unterminated quoted value")
				}
				b.WriteString(r.s[r.pos : r.pos+i])
				r.pos += i + 1
				if r.pos < len(r.s) && r.s[r.pos] == '"' {
					b.WriteByte('"')
					r.pos++
					continue
				}
				break
			}
			f = strings.ReplaceAll(b.String(), "\r\n", "\n")
		} else {
			end := r.pos
			for end < len(r.s) && r.s[end] != ',' && r.s[end] != '\n' && r.s[end] != '\r' {
				end++
			}
			f = r.s[r.pos:end]
			r.pos = end
		}
		fields = append(fields, f)
		switch {
		case r.pos >= len(r.s):
			return fields, true, nil
		case r.s[r.pos] == ',':
			r.pos++
		case r.s[r.pos] == '\r' && r.pos+1 < len(r.s) && r.s[r.pos+1] == '\n':
			r.pos += 2
			return fields, true, nil
		case r.s[r.pos] == '\n':
			r.pos++
			return fields, true, nil
		default:
			return nil, false, fmt.Errorf("flux csv: unexpected %q after a value at byte %d", r.s[r.pos], r.pos)
		}
	}
}

// readAnnotatedCSV calls fn with every data record of a Flux answer in annotated CSV,
// its values typed by the #datatype annotation, and the record's _time.
func readAnnotatedCSV(data string, fn func(r row, t time.Time) error) error {
	rd := csvReader{s: data}
	var types, header, buf []string
	for {
		rec, ok, err := rd.next(buf)
		if err != nil {
			return err
		}
		if !ok {
			return nil
		}
		buf = rec
		switch {
		case len(rec) == 1 && rec[0] == "":
			types, header = nil, nil // a blank line ends a table
		case strings.HasPrefix(rec[0], "#"):
			if rec[0] == "#datatype" {
				types = append([]string(nil), rec...)
			}
			header = nil
		case header == nil:
			header = append([]string(nil), rec...)
		default:
			if len(header) > 1 && header[1] == "error" {
				msg := ""
				if len(rec) > 1 {
					msg = rec[1]
				}
				return fmt.Errorf("flux query failed: %s", msg)
			}
			r := make(row, len(header))
			var t time.Time
			for i, name := range header {
				if name == "" || i >= len(rec) || rec[i] == "" {
					continue
				}
				typ := ""
				if i < len(types) {
					typ = types[i]
				}
				v, err := typedValue(rec[i], typ)
				if err != nil {
					return fmt.Errorf("flux csv: column %s: %w", name, err)
				}
				r[name] = v
				if name == "_time" {
					t, _ = v.(time.Time)
				}
			}
			if err := fn(r, t); err != nil {
				return err
			}
		}
	}
}

func typedValue(s, typ string) (any, error) {
	switch typ {
	case "double":
		return strconv.ParseFloat(s, 64)
	case "boolean":
		return s == "true", nil
	case "long":
		return strconv.ParseInt(s, 10, 64)
	case "unsignedLong":
		return strconv.ParseUint(s, 10, 64)
	case "dateTime:RFC3339", "dateTime:RFC3339Nano":
		return time.Parse(time.RFC3339Nano, s)
	default:
		return s, nil
	}
}
