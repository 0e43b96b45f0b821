package schemas

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// BinlogValue turns a value read with go-sql-driver/mysql over the binary protocol (a prepared statement,
// parseTime off, character_set_results NULL, time_zone +00:00) into the value go-mysql's replication
// package gives for the same column, so that FromBinlog converts snapshot rows and streamed rows alike:
// ENUM text becomes its 1-based index, SET text its bitmask, BIT bytes an integer, DECIMAL and temporal
// text a string, and an unsigned BIGINT above 2^63-1 (which the driver returns as text) a uint64.
func BinlogValue(c Column, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	b, isBytes := v.([]byte)
	if !isBytes {
		return v, nil // integers, YEAR, FLOAT and DOUBLE arrive as int64, float32, float64
	}
	switch c.DataType {
	case "tinyint", "smallint", "mediumint", "int", "integer", "bigint":
		u, err := strconv.ParseUint(string(b), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("column %s: integer %q: %w", c.Name, b, err)
		}
		return u, nil
	case "decimal", "numeric", "date", "time", "datetime", "timestamp":
		return string(b), nil
	case "bit":
		if len(b) > 8 {
			return nil, fmt.Errorf("column %s: BIT value of %d bytes", c.Name, len(b))
		}
		var n uint64
		for _, x := range b {
			n = n<<8 | uint64(x)
		}
		return int64(n), nil
	case "enum":
		if len(b) == 0 && !slices.Contains(c.Values, "") {
			return int64(0), nil // the invalid-value member
		}
		i := slices.Index(c.Values, string(b))
		if i < 0 {
			return nil, fmt.Errorf("column %s: %q is not a member of the enum", c.Name, b)
		}
		return int64(i + 1), nil
	case "set":
		var n int64
		if len(b) == 0 {
			return n, nil
		}
		for _, m := range strings.Split(string(b), ",") {
			i := slices.Index(c.Values, m)
			if i < 0 {
				return nil, fmt.Errorf("column %s: %q is not a member of the set", c.Name, m)
			}
			n |= 1 << i
		}
		return n, nil
	}
	return b, nil
}
