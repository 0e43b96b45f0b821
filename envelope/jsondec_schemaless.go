package envelope

import (
	"encoding/json"
	"fmt"
	"slices"
)

// decodeSchemalessEnvelope reads an envelope written with schemas.enable=false. Row values stay untyped,
// with the columns in the order the message lists them.
func decodeSchemalessEnvelope(s *scanner, ev *Event, cache *SchemaCache, opt DecodeOptions) error {
	var prev []string
	if cache != nil {
		prev = cache.rowNames
	}
	sawOp, err := parsePayload(s, &ev.Envelope, opt, func(k []byte) error {
		names, row, err := parseUntypedRow(s, prev)
		if err == nil && row != nil {
			err = ev.setSchemalessRow(string(k), names, row, cache)
		}
		return err
	})
	if err == nil && !sawOp {
		err = fmt.Errorf("not a change event: no op (a JSON object without {\"schema\",\"payload\"} must be a schemaless envelope)")
	}
	return err
}

// setSchemalessRow stores before or after, making sure both list the same columns.
func (ev *Event) setSchemalessRow(key string, names []string, row []any, cache *SchemaCache) error {
	if ev.Row == nil {
		ev.Row = cache.schemalessRow(names)
	} else if !sameNames(ev.Row, names) {
		ordered := make([]any, len(ev.Row.Fields))
		if len(names) != len(ordered) {
			return fmt.Errorf("before and after list different columns")
		}
		for i, n := range names {
			j := ev.Row.FieldIndex(n)
			if j < 0 {
				return fmt.Errorf("column %q is in one image but not the other", n)
			}
			ordered[j] = row[i]
		}
		row = ordered
	}
	if key == "before" {
		ev.Before = row
	} else {
		ev.After = row
	}
	return nil
}

// schemalessRow returns the row schema (fields without schemas) for columns names, the last one made
// when names is the cache's list of the last row's columns.
func (c *SchemaCache) schemalessRow(names []string) *Schema {
	if c != nil && c.rowSchema != nil && sameSlice(names, c.rowNames) {
		return c.rowSchema
	}
	sc := &Schema{Type: Struct, Optional: true, Fields: make([]Field, len(names))}
	for i, n := range names {
		sc.Fields[i].Name = n
	}
	if c != nil {
		c.rowNames, c.rowSchema = names, sc
	}
	return sc
}

func sameNames(row *Schema, names []string) bool {
	if len(row.Fields) != len(names) {
		return false
	}
	for i := range names {
		if row.Fields[i].Name != names[i] {
			return false
		}
	}
	return true
}

// sameSlice: a and b are the same list, not merely equal.
func sameSlice(a, b []string) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

// parseUntypedRow reads an object as ordered column names and untyped values; null gives nil, nil.
// When the columns are prev's, in prev's order, the names returned are prev itself: the rows of one
// table share one list.
func parseUntypedRow(s *scanner, prev []string) ([]string, []any, error) {
	if null, err := s.null(); null || err != nil {
		return nil, nil, err
	}
	row := make([]any, 0, len(prev))
	var names []string // nil while the columns so far are prev's
	err := s.object(func(k []byte) error {
		n := len(row)
		if names != nil || n >= len(prev) || string(k) != prev[n] {
			if names == nil {
				names = append(make([]string, 0, n+8), prev[:n]...)
			}
			names = append(names, string(k))
		}
		v, err := s.untyped()
		row = append(row, v)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	if names == nil {
		if len(row) == len(prev) {
			return prev, row, nil
		}
		names = prev[:len(row):len(row)]
	}
	if dup, ok := duplicate(names); ok {
		return nil, nil, s.errorf("column %q appears twice", dup)
	}
	return names, row, nil
}

// duplicate returns a name that names holds twice.
func duplicate(names []string) (string, bool) {
	if len(names) <= 16 {
		for i, n := range names {
			if slices.Contains(names[:i], n) {
				return n, true
			}
		}
		return "", false
	}
	seen := make(map[string]bool, len(names))
	for _, n := range names {
		if seen[n] {
			return n, true
		}
		seen[n] = true
	}
	return "", false
}

// ConvertUntyped turns a value read from schemaless JSON into the Connect value of schema sc, as if the
// message had carried sc. A reader that knows its columns' types (the sink knows the target table) uses
// it to read schemaless topics.
func ConvertUntyped(sc *Schema, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	// The common scalars directly; they give what the typed reader gives.
	switch x := v.(type) {
	case string:
		if sc.Type == String {
			return x, nil
		}
	case bool:
		if sc.Type == Boolean {
			return x, nil
		}
		// A BOOLEAN column Debezium parsed from DDL is true/false; the target's TINYINT(1) is an integer.
		var n int64
		if x {
			n = 1
		}
		switch sc.Type {
		case Int8:
			return int8(n), nil
		case Int16:
			return int16(n), nil
		case Int32:
			return int32(n), nil
		case Int64:
			return n, nil
		}
	case json.Number:
		if bits := intBits(sc.Type); bits > 0 {
			if n, ok := parseInt([]byte(x), bits); ok {
				switch bits {
				case 8:
					return int8(n), nil
				case 16:
					return int16(n), nil
				case 32:
					return int32(n), nil
				}
				return n, nil
			}
		}
	}
	return convertByReencoding(sc, v)
}

// convertByReencoding is ConvertUntyped for every type: v is written as JSON again and read by the typed
// reader, which also words the errors.
func convertByReencoding(sc *Schema, v any) (any, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	s := &scanner{data: raw}
	out, err := parseValue(s, sc)
	if err != nil {
		return nil, err
	}
	return out, s.end()
}

// intBits is the width of an integer type, 0 for other types.
