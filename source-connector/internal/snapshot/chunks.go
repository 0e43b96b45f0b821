package snapshot

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/tandemcdc/tandem/schemas"
	"github.com/tandemcdc/tandem/source-connector/internal/binlog"
)

// chunkQuery reads a table's rows in key order: the first chunk, or the chunk after a key.
type chunkQuery struct {
	first, after string
	key          []int // positions of the key columns among the table's columns
	cols         []schemas.Column
}

// newChunkQuery builds the queries of tb. A table without a key is read in one scan.
func newChunkQuery(tb *binlog.Table) (*chunkQuery, error) {
	q := &chunkQuery{cols: tb.Columns}
	names := make([]string, len(tb.Columns))
	for i, c := range tb.Columns {
		names[i] = quote(c.Name)
	}
	from := "SELECT " + strings.Join(names, ", ") + " FROM " + quote(tb.DB) + "." + quote(tb.Name)
	if tb.Wire.Key == nil {
		q.first = from + " LIMIT ?"
		return q, nil
	}
	var order []string
	for _, f := range tb.Wire.Key.Fields {
		i := -1
		for j, c := range tb.Columns {
			if c.Name == f.Name {
				i = j
			}
		}
		if i < 0 {
			return nil, fmt.Errorf("%s.%s: key column %s is not captured", tb.DB, tb.Name, f.Name)
		}
		q.key = append(q.key, i)
		order = append(order, quote(f.Name))
	}
	// (k1, k2, k3) > (a1, a2, a3) spelled out, which every server turns into index ranges:
	// k1 > a1 OR (k1 = a1 AND k2 > a2) OR (k1 = a1 AND k2 = a2 AND k3 > a3)
	var or []string
	for i := range q.key {
		var and []string
		for j := 0; j <= i; j++ {
			op := " = "
			if j == i {
				op = " > "
			}
			param, err := placeholder(tb.Columns[q.key[j]])
			if err != nil {
				return nil, fmt.Errorf("%s.%s: %w", tb.DB, tb.Name, err)
			}
			and = append(and, order[j]+op+param)
		}
		or = append(or, "("+strings.Join(and, " AND ")+")")
	}
	orderBy := " ORDER BY " + strings.Join(order, ", ") + " LIMIT ?"
	q.first = from + orderBy
	q.after = from + " WHERE " + strings.Join(or, " OR ") + orderBy
	return q, nil
}

// keyed reports whether the table is read in key chunks (and can resume within itself).
func (q *chunkQuery) keyed() bool { return q.key != nil }

// args are the parameters of the after query for a key, then the chunk size.
func (q *chunkQuery) args(after [][]byte, limit int) ([]any, error) {
	if after == nil {
		if !q.keyed() {
			limit = math.MaxInt64
		}
		return []any{limit}, nil
	}
	if len(after) != len(q.key) {
		return nil, fmt.Errorf("saved snapshot key has %d values, the table's key %d columns", len(after), len(q.key))
	}
	vals := make([]any, len(after))
	for i, b := range after {
		v, err := keyArg(q.cols[q.key[i]], b)
		if err != nil {
			return nil, err
		}
		vals[i] = v
	}
	var args []any
	for i := range q.key {
		args = append(args, vals[:i+1]...)
	}
	return append(args, limit), nil
}

// keyOf returns the key of a row (values as BinlogValue gives them) in the form progress saves.
func (q *chunkQuery) keyOf(row []any) [][]byte {
	out := make([][]byte, len(q.key))
	for i, k := range q.key {
		switch v := row[k].(type) {
		case int64:
			out[i] = strconv.AppendInt(nil, v, 10)
		case uint64:
			out[i] = strconv.AppendUint(nil, v, 10)
		case float32:
			out[i] = strconv.AppendFloat(nil, float64(v), 'g', -1, 32)
		case float64:
			out[i] = strconv.AppendFloat(nil, v, 'g', -1, 64)
		case string:
			out[i] = []byte(v)
		case []byte:
			out[i] = v
		default:
			out[i] = fmt.Append(nil, v)
		}
	}
	return out
}

// textual reports columns compared by collation: their key values are bound as bytes in the column's
// character set and collation, never reinterpreted in the connection's.
func textual(c schemas.Column) bool {
	switch c.DataType {
	case "char", "varchar", "tinytext", "text", "mediumtext", "longtext":
		return c.Charset != "" && c.Charset != "binary"
	}
	return false
}

var charsetName = regexp.MustCompile(`^[A-Za-z0-9_]+$`)

func placeholder(c schemas.Column) (string, error) {
	if !textual(c) {
		return "?", nil
	}
	if !charsetName.MatchString(c.Charset) || !charsetName.MatchString(c.Collation) {
		return "", fmt.Errorf("key column %s: unexpected character set %q / collation %q", c.Name, c.Charset, c.Collation)
	}
	return "CONVERT(? USING " + c.Charset + ") COLLATE " + c.Collation, nil
}

// keyArg turns a saved key value back into a bind value of the column's type.
func keyArg(c schemas.Column, b []byte) (any, error) {
	s := string(b)
	var v any
	var err error
	switch c.DataType {
	case "tinyint", "smallint", "mediumint", "int", "integer", "bigint", "year", "bit", "enum", "set":
		if strings.HasPrefix(s, "-") {
			v, err = strconv.ParseInt(s, 10, 64)
		} else {
			v, err = strconv.ParseUint(s, 10, 64)
		}
	case "float":
		var f float64
		f, err = strconv.ParseFloat(s, 32)
		v = float32(f)
	case "double", "real":
		v, err = strconv.ParseFloat(s, 64)
	case "decimal", "numeric", "date", "time", "datetime", "timestamp":
		v = s
	default:
		v = b // binary strings, and text bound through CONVERT
	}
	if err != nil {
		return nil, fmt.Errorf("saved snapshot key value %q of column %s: %w", b, c.Name, err)
	}
	return v, nil
}

func quote(name string) string { return "`" + strings.ReplaceAll(name, "`", "``") + "`" }
