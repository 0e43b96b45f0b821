package schemas

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/tandemcdc/tandem/envelope"
)

// FromBinlog converts a value decoded by go-mysql's replication package into the Connect value of the
// column's FieldSchema. It expects UseDecimal off and TimestampStringLocation UTC: DECIMAL, DATE and TIME
// arrive as strings, DATETIME and TIMESTAMP as strings or, with ParseTime, as time.Time (go-mysql still
// gives strings for zero dates and DATETIME before 1970), ENUM as a 1-based index, SET as a bitmask, BIT as
// an int64, TEXT and BLOB as []byte (copied here: go-mysql's slice aliases its event buffer).
//
// Zero dates ('0000-00-00', month or day 0) become null in a nullable column and the epoch otherwise, as
// Debezium does.
func (o Options) FromBinlog(c Column, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	out, err := o.fromBinlog(c, v)
	if err != nil {
		return nil, fmt.Errorf("column %s (%s): %w", c.Name, c.DataType, err)
	}
	return out, nil
}

func (o Options) fromBinlog(c Column, v any) (any, error) {
	switch c.DataType {
	case "tinyint", "smallint", "mediumint", "int", "integer", "bigint":
		return o.integer(c, v)
	case "float":
		if _, ok := v.(float32); ok {
			return v, nil // the interface as it is: no new allocation
		}
	case "double", "real":
		if _, ok := v.(float64); ok {
			return v, nil
		}
	case "decimal", "numeric":
		if s, ok := v.(string); ok {
			return o.decimal(s)
		}
	case "bit":
		if n, ok := toInt64(v); ok {
			return bits(c, uint64(n)), nil
		}
	case "year":
		if n, ok := toInt64(v); ok {
			return int32(n), nil
		}
	case "date":
		if s, ok := v.(string); ok {
			days, zero, err := parseDate(s)
			if err != nil || !zero {
				return days, err
			}
			return zeroDate(c, int32(0)), nil
		}
	case "time":
		if s, ok := v.(string); ok {
			return parseTime(s)
		}
	case "datetime":
		if t, ok := v.(time.Time); ok { // ParseTime: the wall clock, read as UTC
			if c.FSP <= 3 {
				return floorDiv(t.UnixMicro(), 1000), nil
			}
			return t.UnixMicro(), nil
		}
		if s, ok := v.(string); ok {
			micros, zero, err := parseDateTime(s)
			if err != nil {
				return nil, err
			}
			if zero {
				return zeroDate(c, int64(0)), nil
			}
			if c.FSP <= 3 {
				return floorDiv(micros, 1000), nil
			}
			return micros, nil
		}
	case "timestamp":
		if t, ok := v.(time.Time); ok { // ParseTime: an instant
			return formatZoned(t.UTC().Format("2006-01-02 15:04:05.000000"), c.FSP), nil
		}
		if s, ok := v.(string); ok {
			return zonedTimestamp(c, s)
		}
	case "char", "varchar", "tinytext", "text", "mediumtext", "longtext":
		if b, ok := toBytes(v); ok {
			return decodeText(c.Charset, b)
		}
	case "binary":
		if b, ok := toBytes(v); ok {
			out := make([]byte, max(len(b), c.Length))
			copy(out, b)
			return out, nil
		}
	case "varbinary", "tinyblob", "blob", "mediumblob", "longblob":
		if b, ok := toBytes(v); ok {
			return append([]byte{}, b...), nil
		}
	case "json":
		if b, ok := toBytes(v); ok {
			return string(b), nil
		}
	case "enum":
		if n, ok := toInt64(v); ok {
			if n == 0 {
				return "", nil // the invalid-value member ''
			}
			if n < 0 || int(n) > len(c.Values) {
				return nil, fmt.Errorf("enum index %d out of range 1..%d", n, len(c.Values))
			}
			return c.Values[n-1], nil
		}
	case "set":
		if n, ok := toInt64(v); ok {
			var members []string
			for i, m := range c.Values {
				if n&(1<<i) != 0 {
					members = append(members, m)
				}
			}
			return strings.Join(members, ","), nil
		}
	case "point":
		if b, ok := toBytes(v); ok {
			return point(b)
		}
	default:
		if isGeometry(c.DataType) {
			if b, ok := toBytes(v); ok {
				return geometry(b)
			}
		}
		return nil, fmt.Errorf("type is not supported")
	}
	return nil, fmt.Errorf("unexpected binlog value of Go type %T", v)
}

func (o Options) integer(c Column, v any) (any, error) {
	var n int64
	var u uint64
	unsigned := false
	switch x := v.(type) {
	case int8:
		n = int64(x)
	case int16:
		n = int64(x)
	case int32:
		n = int64(x)
	case int64:
		n = x
	case int:
		n = int64(x)
	case uint8:
		u, unsigned = uint64(x), true
	case uint16:
		u, unsigned = uint64(x), true
	case uint32:
		u, unsigned = uint64(x), true
	case uint64:
		u, unsigned = x, true
	default:
		return nil, fmt.Errorf("unexpected binlog value of Go type %T", v)
	}
	if unsigned {
		if c.DataType == "bigint" && o.unsignedBigintPrecise() {
			return envelope.ParseDecimal(fmt.Sprint(u))
		}
		n = int64(u) // bigint.unsigned.handling.mode=long wraps, as Debezium does
	}
	switch o.integerType(c) {
	case envelope.Int64:
		if _, ok := v.(int64); ok {
			return v, nil // the interface as it is: no new allocation
		}
	case envelope.Int16:
		if n < math.MinInt16 || n > math.MaxInt16 {
			return nil, fmt.Errorf("%d does not fit int16", n)
		}
		return int16(n), nil
	case envelope.Int32:
		if n < math.MinInt32 || n > math.MaxInt32 {
			return nil, fmt.Errorf("%d does not fit int32", n)
		}
		return int32(n), nil
	case envelope.Bytes: // precise unsigned bigint from a signed Go value (no signedness metadata)
		return envelope.ParseDecimal(fmt.Sprint(n))
	}
	return n, nil
}

func (o Options) decimal(s string) (any, error) {
	switch o.decimalMode() {
	case "string":
		return s, nil
	case "double":
		var f float64
		_, err := fmt.Sscan(s, &f)
		return f, err
	}
	return envelope.ParseDecimal(s)
}

func toInt64(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case int:
		return int64(x), true
	case int32:
		return int64(x), true
	case uint64:
		return int64(x), true
	}
	return 0, false
}

func toBytes(v any) ([]byte, bool) {
	switch x := v.(type) {
	case []byte:
		return x, true
	case string:
		return []byte(x), true
	}
	return nil, false
}

// bits returns BIT(1) as a boolean and BIT(n) as ceil(n/8) little-endian bytes (Debezium's Bits).
func bits(c Column, n uint64) any {
	if c.Length <= 1 {
		return n != 0
	}
	out := make([]byte, (c.Length+7)/8)
	for i := range out {
		out[i] = byte(n >> (8 * i))
	}
	return out
}

func zeroDate[T int32 | int64](c Column, epoch T) any {
	if c.Nullable {
		return nil
	}
	return epoch
}

// zonedTimestamp turns go-mysql's TIMESTAMP text (UTC) into Debezium's ZonedTimestamp: ISO-8601 with 'T',
// exactly FSP fraction digits and 'Z'.
func zonedTimestamp(c Column, s string) (any, error) {
	_, zero, err := parseDateTime(s)
	if err != nil {
		return nil, err
	}
	if zero {
		if c.Nullable {
			return nil, nil
		}
		return formatZoned("1970-01-01 00:00:00", c.FSP), nil
	}
	return formatZoned(s, c.FSP), nil
}

// FromSnapshot is FromBinlog for a value the snapshot read. The values are the same but for TIMESTAMP
// text: Debezium formats a snapshot's TIMESTAMP (read through JDBC) with Java's ISO_OFFSET_DATE_TIME,
// which drops trailing zero fraction digits ("2024-02-29T23:59:59.12Z", "1970-01-01T00:00:01Z"), while
// its streamed records keep the column's fraction digits.
func (o Options) FromSnapshot(c Column, v any) (any, error) {
	out, err := o.FromBinlog(c, v)
	if s, ok := out.(string); ok && c.DataType == "timestamp" && err == nil {
		return trimZonedFraction(s), nil
	}
	return out, err
}

// trimZonedFraction drops the trailing zero digits of a ZonedTimestamp's fraction, and the point when no
// digit is left: "…:01.120Z" is "…:01.12Z", "…:01.000Z" is "…:01Z".
func trimZonedFraction(s string) string {
	dot := strings.LastIndexByte(s, '.')
	if dot < 0 || !strings.HasSuffix(s, "Z") {
		return s
	}
	frac := strings.TrimRight(s[dot+1:len(s)-1], "0")
	if frac == "" {
		return s[:dot] + "Z"
	}
	return s[:dot+1] + frac + "Z"
}

func formatZoned(s string, fsp int) string {
	date, clock, _ := strings.Cut(s, " ")
	whole, frac, _ := strings.Cut(clock, ".")
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(date)
	b.WriteByte('T')
	b.WriteString(whole)
	if fsp > 0 {
		b.WriteByte('.')
		frac += "000000"
		b.WriteString(frac[:fsp])
	}
	b.WriteByte('Z')
	return b.String()
}

// geometry splits MySQL's internal geometry value (4-byte little-endian SRID, then WKB) into Debezium's
// Geometry struct {wkb, srid}; SRID 0 is null.
func geometry(b []byte) (any, error) {
	if len(b) < 4+5 {
		return nil, fmt.Errorf("geometry value of %d bytes is too short", len(b))
	}
	var srid any
	if id := binary.LittleEndian.Uint32(b[:4]); id != 0 {
		srid = int32(id)
	}
	return []any{append([]byte{}, b[4:]...), srid}, nil
}

// point reads a POINT into Debezium's Point struct {x, y, wkb, srid}.
func point(b []byte) (any, error) {
	g, err := geometry(b)
	if err != nil {
		return nil, err
	}
	wkb := g.([]any)[0].([]byte)
	if len(wkb) != 21 {
		return nil, fmt.Errorf("point WKB of %d bytes, want 21", len(wkb))
	}
	order := binary.ByteOrder(binary.LittleEndian)
	if wkb[0] == 0 {
		order = binary.BigEndian
	}
	if order.Uint32(wkb[1:5]) != 1 {
		return nil, fmt.Errorf("WKB geometry type %d is not a point", order.Uint32(wkb[1:5]))
	}
	x := math.Float64frombits(order.Uint64(wkb[5:13]))
	y := math.Float64frombits(order.Uint64(wkb[13:21]))
	return []any{x, y, wkb, g.([]any)[1]}, nil
}
