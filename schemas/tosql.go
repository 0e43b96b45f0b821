package schemas

import (
	"encoding/binary"
	"fmt"
	"math"
	"time"

	"github.com/tandemcdc/tandem/envelope"
)

// Target says what the sink knows of the column a value is written to.
type Target struct {
	// Unsigned is set for an UNSIGNED integer column: a negative int64 is then a BIGINT UNSIGNED value
	// that Debezium's default bigint.unsigned.handling.mode=long wrapped, and is unwrapped.
	Unsigned bool
}

// ToSQL converts a Connect value of schema s into a value go-sql-driver/mysql binds so the column gets
// the source's value exactly: integers as int64, decimals as their exact digits, temporal values as
// MySQL literals ("2024-02-29", "23:59:59.000001", "2024-02-29 23:59:59.123456"; TIMESTAMP in UTC, so the
// session's time_zone must be '+00:00'), ENUM/SET/JSON as text, BIT as an integer, geometry in MySQL's
// internal form (SRID + WKB), bytes as bytes. Values from schemaless JSON must first be typed with
// envelope.ConvertUntyped.
func ToSQL(s *envelope.Schema, v any, target Target) (any, error) {
	if v == nil {
		return nil, nil
	}
	out, err := toSQL(s, v, target)
	if err != nil {
		return nil, fmt.Errorf("%s value %v: %w", schemaLabel(s), v, err)
	}
	return out, nil
}

func schemaLabel(s *envelope.Schema) string {
	if s.Name != "" {
		return s.Name
	}
	return string(s.Type)
}

func toSQL(s *envelope.Schema, v any, target Target) (any, error) {
	switch s.Name {
	case envelope.DateName, envelope.ConnectDateName:
		if n, ok := v.(int32); ok {
			return formatDate(int64(n)), nil
		}
	case envelope.TimestampName, envelope.ConnectTimestamp:
		if n, ok := v.(int64); ok {
			return formatDateTime(n * 1000), nil
		}
	case envelope.MicroTimestampName:
		if n, ok := v.(int64); ok {
			return formatDateTime(n), nil
		}
	case envelope.NanoTimestampName:
		if n, ok := v.(int64); ok {
			return formatDateTime(floorDiv(n, 1000)), nil
		}
	case envelope.MicroTimeName:
		if n, ok := v.(int64); ok {
			return formatDuration(n), nil
		}
	case envelope.NanoTimeName:
		if n, ok := v.(int64); ok {
			return formatDuration(n / 1000), nil
		}
	case envelope.TimeName, envelope.ConnectTimeName:
		if n, ok := v.(int32); ok {
			return formatDuration(int64(n) * 1000), nil
		}
	case envelope.ZonedTimestampName:
		if str, ok := v.(string); ok {
			t, err := time.Parse(time.RFC3339Nano, str)
			if err != nil {
				return nil, fmt.Errorf("not an ISO-8601 timestamp: %w", err)
			}
			return t.UTC().Format("2006-01-02 15:04:05.000000"), nil
		}
	case envelope.BitsName:
		if b, ok := v.([]byte); ok {
			if len(b) > 8 {
				return nil, fmt.Errorf("%d bytes is more than BIT(64)", len(b))
			}
			var n uint64
			for i, c := range b {
				n |= uint64(c) << (8 * i)
			}
			return n, nil
		}
	case envelope.DecimalName:
		if d, ok := v.(envelope.Decimal); ok {
			return d.String(), nil
		}
	case envelope.GeometryName:
		if row, ok := v.([]any); ok && len(row) == 2 {
			wkb, _ := row[0].([]byte)
			return internalGeometry(wkb, row[1])
		}
	case envelope.PointName:
		if row, ok := v.([]any); ok && len(row) == 4 {
			wkb, _ := row[2].([]byte)
			if wkb == nil {
				x, okx := row[0].(float64)
				y, oky := row[1].(float64)
				if !okx || !oky {
					return nil, fmt.Errorf("point without coordinates")
				}
				wkb = pointWKB(x, y)
			}
			return internalGeometry(wkb, row[3])
		}
	}
	switch x := v.(type) {
	case int8:
		return int64(x), nil
	case int16:
		return int64(x), nil
	case int32:
		return int64(x), nil
	case int64:
		if x < 0 && target.Unsigned {
			return uint64(x), nil
		}
		return x, nil
	case float32:
		return float64(x), nil
	case float64, bool, string, []byte:
		return x, nil
	}
	return nil, fmt.Errorf("cannot bind Go type %T", v)
}

// internalGeometry builds MySQL's internal geometry value: 4-byte little-endian SRID, then WKB.
func internalGeometry(wkb []byte, srid any) ([]byte, error) {
	if len(wkb) == 0 {
		return nil, fmt.Errorf("geometry without wkb")
	}
	var id uint32
	switch s := srid.(type) {
	case nil:
	case int32:
		id = uint32(s)
	default:
		return nil, fmt.Errorf("srid of Go type %T", srid)
	}
	out := binary.LittleEndian.AppendUint32(make([]byte, 0, 4+len(wkb)), id)
	return append(out, wkb...), nil
}

func pointWKB(x, y float64) []byte {
	b := []byte{1, 1, 0, 0, 0}
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(x))
	return binary.LittleEndian.AppendUint64(b, math.Float64bits(y))
}
