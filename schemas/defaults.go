package schemas

import (
	"strconv"
	"strings"
)

// ColumnDefault is a column's DEFAULT as the server's catalog shows it when the table is described
// (information_schema.COLUMNS), read the same way on MySQL and MariaDB. A NULL default is no
// ColumnDefault at all.
type ColumnDefault struct {
	Literal          string // the value's text, unquoted: 'dflt' is dflt, b'101' stays b'101'
	CurrentTimestamp bool   // CURRENT_TIMESTAMP[(fsp)] or NOW(): Debezium writes the epoch
	Expression       bool   // another expression (DEFAULT (uuid()), …): the field gets no default
}

// fieldDefault converts a column's DEFAULT into its Connect representation for the field schema's
// "default", as Debezium does: CURRENT_TIMESTAMP is the epoch, a literal is converted as a value of the
// column would be. It returns nil when the column has no default that converts; a default is a
// description of the column, so one that does not convert is left out rather than failing the table.
func (o Options) fieldDefault(c Column) any {
	d := c.Default
	if d == nil || d.Expression {
		return nil
	}
	var raw any
	switch {
	case d.CurrentTimestamp:
		switch c.DataType {
		case "timestamp", "datetime":
			raw = "1970-01-01 00:00:00"
		default:
			return nil
		}
	case d.Literal == "" && !isText(c.DataType):
		return nil
	default:
		raw = defaultRaw(c, d.Literal)
	}
	if raw == nil {
		return nil
	}
	v, err := o.FromBinlog(c, raw)
	if err != nil {
		return nil
	}
	return v
}

// defaultRaw turns a default's text into the value go-mysql would give for the column, or nil.
func defaultRaw(c Column, text string) any {
	switch c.DataType {
	case "tinyint", "smallint", "mediumint", "int", "integer", "bigint":
		if c.Unsigned {
			if u, err := strconv.ParseUint(text, 10, 64); err == nil {
				return u
			}
			return nil
		}
		if n, err := strconv.ParseInt(text, 10, 64); err == nil {
			return n
		}
	case "float":
		if f, err := strconv.ParseFloat(text, 32); err == nil {
			return float32(f)
		}
	case "double", "real":
		if f, err := strconv.ParseFloat(text, 64); err == nil {
			return f
		}
	case "year":
		if n, err := strconv.ParseInt(text, 10, 64); err == nil {
			return n
		}
	case "bit":
		digits, ok := strings.CutPrefix(text, "b'")
		if digits, ok = strings.CutSuffix(digits, "'"); ok {
			if n, err := strconv.ParseUint(digits, 2, 64); err == nil {
				return int64(n)
			}
		}
		if n, err := strconv.ParseUint(text, 10, 64); err == nil {
			return int64(n)
		}
	case "enum":
		for i, m := range c.Values {
			if m == text {
				return int64(i + 1)
			}
		}
	case "set":
		var mask int64
		if text == "" {
			return mask
		}
		for _, part := range strings.Split(text, ",") {
			i := indexOf(c.Values, part)
			if i < 0 {
				return nil
			}
			mask |= 1 << i
		}
		return mask
	case "point", "geometry", "linestring", "polygon", "multipoint", "multilinestring", "multipolygon", "geometrycollection":
		return nil
	default: // decimals, temporal text, strings, binary strings, JSON
		return text
	}
	return nil
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

func isText(dataType string) bool {
	switch dataType {
	case "char", "varchar", "tinytext", "text", "mediumtext", "longtext", "binary", "varbinary",
		"tinyblob", "blob", "mediumblob", "longblob", "json", "enum", "set":
		return true
	}
	return false
}
