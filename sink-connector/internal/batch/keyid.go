package batch

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/tandemcdc/tandem/envelope"
)

// appendKeyIdentity appends to dst what identifies a key's row in the target: per column its name
// (lower case: MySQL column names are case-insensitive) and its decoded value, so the same logical key
// written with other bytes — spacing, field order within JSON, an INT column retyped to BIGINT, a
// schemaless and a schema'd writer — is one key of the plan. Integers are written as such whatever their
// type; other values keep a type tag and their exact text, so values that differ in the target never
// share an identity (two keys may still fail to match, never wrongly match). Columns are taken in name
// order.
func appendKeyIdentity(dst []byte, names []string, values []any) []byte {
	order := make([]int, len(names))
	for i := range order {
		order[i] = i
	}
	if len(order) > 1 {
		lower := make([]string, len(names))
		for i, n := range names {
			lower[i] = strings.ToLower(n)
		}
		sortBy(order, lower)
	}
	for _, i := range order {
		dst = appendLen(dst, strings.ToLower(names[i]))
		dst = appendValueIdentity(dst, values[i])
	}
	return dst
}

func sortBy(order []int, keys []string) {
	for i := 1; i < len(order); i++ { // keys are few: insertion sort
		for j := i; j > 0 && keys[order[j]] < keys[order[j-1]]; j-- {
			order[j], order[j-1] = order[j-1], order[j]
		}
	}
}

func appendLen(dst []byte, s string) []byte {
	dst = strconv.AppendInt(dst, int64(len(s)), 10)
	dst = append(dst, ':')
	return append(dst, s...)
}

func appendValueIdentity(dst []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(dst, 'N')
	case int8:
		return appendInt(dst, int64(x))
	case int16:
		return appendInt(dst, int64(x))
	case int32:
		return appendInt(dst, int64(x))
	case int64:
		return appendInt(dst, x)
	case int:
		return appendInt(dst, int64(x))
	case bool:
		if x {
			return appendInt(dst, 1)
		}
		return appendInt(dst, 0)
	case float32:
		return appendFloat(dst, float64(x))
	case float64:
		return appendFloat(dst, x)
	case json.Number:
		return appendNumber(dst, string(x))
	case envelope.Decimal:
		return appendNumber(dst, x.String())
	case string:
		return appendLen(append(dst, 's'), x)
	case []byte:
		return appendLen(append(dst, 'b'), string(x))
	}
	return appendLen(append(dst, 'o'), fmt.Sprintf("%T:%v", v, v))
}

func appendInt(dst []byte, n int64) []byte {
	dst = append(dst, 'i')
	dst = strconv.AppendInt(dst, n, 10)
	return append(dst, ';')
}

func appendFloat(dst []byte, f float64) []byte {
	if f == math.Trunc(f) && f >= -(1<<63) && f < 1<<63 {
		return appendInt(dst, int64(f))
	}
	dst = append(dst, 'f')
	dst = strconv.AppendFloat(dst, f, 'g', -1, 64)
	return append(dst, ';')
}

// appendNumber writes a decimal literal (a JSON number, a Connect decimal): as an integer when it is an
// integer's canonical text ("1", not "1.0", "-0" or "1e0", which a text column would keep apart), else as
// the literal itself.
func appendNumber(dst []byte, s string) []byte {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && strconv.FormatInt(n, 10) == s {
		return appendInt(dst, n)
	}
	return appendLen(append(dst, 'd'), s)
}
