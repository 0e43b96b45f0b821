package envelope

import (
	"encoding/base64"
	"fmt"
	"math"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// AppendSchemaJSON appends s in Kafka Connect JsonConverter's schema form: for every schema the members
// type, fields|items|keys+values, optional, name, version, doc, parameters, default, in that order.
// Decimal defaults are written in base64, as JsonConverter's default decimal.format does.
func AppendSchemaJSON(dst []byte, s *Schema) ([]byte, error) {
	return appendSchema(dst, s, "", false)
}

// AppendSchemaJSONNumeric is AppendSchemaJSON with decimal.format=NUMERIC: Decimal defaults are numbers.
func AppendSchemaJSONNumeric(dst []byte, s *Schema) ([]byte, error) {
	return appendSchema(dst, s, "", true)
}

func appendSchema(dst []byte, s *Schema, field string, numeric bool) ([]byte, error) {
	var err error
	dst = append(dst, `{"type":`...)
	dst = appendString(dst, string(s.Type))
	switch s.Type {
	case Struct:
		dst = append(dst, `,"fields":[`...)
		for i, f := range s.Fields {
			if i > 0 {
				dst = append(dst, ',')
			}
			if dst, err = appendSchema(dst, f.Schema, f.Name, numeric); err != nil {
				return dst, err
			}
		}
		dst = append(dst, ']')
	case Array:
		dst = append(dst, `,"items":`...)
		if dst, err = appendSchema(dst, s.Items, "", numeric); err != nil {
			return dst, err
		}
	case Map:
		dst = append(dst, `,"keys":`...)
		if dst, err = appendSchema(dst, s.Keys, "", numeric); err != nil {
			return dst, err
		}
		dst = append(dst, `,"values":`...)
		if dst, err = appendSchema(dst, s.Values, "", numeric); err != nil {
			return dst, err
		}
	}
	dst = append(dst, `,"optional":`...)
	dst = strconv.AppendBool(dst, s.Optional)
	if s.Name != "" {
		dst = append(dst, `,"name":`...)
		dst = appendString(dst, s.Name)
	}
	if s.Version != 0 {
		dst = append(dst, `,"version":`...)
		dst = strconv.AppendInt(dst, int64(s.Version), 10)
	}
	if s.Doc != "" {
		dst = append(dst, `,"doc":`...)
		dst = appendString(dst, s.Doc)
	}
	if s.Parameters != nil {
		dst = append(dst, `,"parameters":{`...)
		for i, p := range s.Parameters {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, p.Key)
			dst = append(dst, ':')
			dst = appendString(dst, p.Value)
		}
		dst = append(dst, '}')
	}
	if s.Default != nil {
		dst = append(dst, `,"default":`...)
		if dst, err = appendValue(dst, s, s.Default, numeric); err != nil {
			return dst, fmt.Errorf("default of %s: %w", fieldOr(field, s), err)
		}
	}
	if field != "" {
		dst = append(dst, `,"field":`...)
		dst = appendString(dst, field)
	}
	return append(dst, '}'), nil
}

func fieldOr(field string, s *Schema) string {
	if field != "" {
		return field
	}
	if s.Name != "" {
		return s.Name
	}
	return string(s.Type)
}

// AppendValueJSON appends v, a value of schema s, in JsonConverter's payload form. A nil v is null when s is
// optional and s.Default otherwise (JsonConverter's replace.null.with.default); a required field without a
// default cannot be null. decimalNumeric writes Decimals as JSON numbers (decimal.format=NUMERIC) instead
// of base64.
func AppendValueJSON(dst []byte, s *Schema, v any, decimalNumeric bool) ([]byte, error) {
	return appendValue(dst, s, v, decimalNumeric)
}

func appendValue(dst []byte, s *Schema, v any, numeric bool) ([]byte, error) {
	if v == nil {
		if s.Optional {
			return append(dst, "null"...), nil
		}
		if s.Default != nil {
			v = s.Default
		} else {
			return dst, fmt.Errorf("null value for a required %s", fieldOr("", s))
		}
	}
	switch s.Type {
	case Int8:
		if x, ok := v.(int8); ok {
			return strconv.AppendInt(dst, int64(x), 10), nil
		}
	case Int16:
		if x, ok := v.(int16); ok {
			return strconv.AppendInt(dst, int64(x), 10), nil
		}
	case Int32:
		if x, ok := v.(int32); ok {
			return strconv.AppendInt(dst, int64(x), 10), nil
		}
	case Int64:
		if x, ok := v.(int64); ok {
			return strconv.AppendInt(dst, x, 10), nil
		}
	case Float32:
		if x, ok := v.(float32); ok {
			return appendJavaFloat(dst, float64(x), 32)
		}
	case Float64:
		if x, ok := v.(float64); ok {
			return appendJavaFloat(dst, x, 64)
		}
	case Boolean:
		if x, ok := v.(bool); ok {
			return strconv.AppendBool(dst, x), nil
		}
	case String:
		if x, ok := v.(string); ok {
			return appendString(dst, x), nil
		}
	case Bytes:
		switch x := v.(type) {
		case []byte:
			return appendBase64(dst, x), nil
		case Decimal:
			if s.Name != DecimalName {
				break
			}
			if numeric {
				return append(dst, x.JavaString()...), nil
			}
			return appendBase64(dst, x.twosComplement()), nil
		}
	case Struct:
		if row, ok := v.([]any); ok {
			if len(row) != len(s.Fields) {
				return dst, fmt.Errorf("struct %s has %d fields, value has %d", s.Name, len(s.Fields), len(row))
			}
			dst = append(dst, '{')
			var err error
			for i, f := range s.Fields {
				if i > 0 {
					dst = append(dst, ',')
				}
				dst = appendString(dst, f.Name)
				dst = append(dst, ':')
				if dst, err = appendValue(dst, f.Schema, row[i], numeric); err != nil {
					return dst, fmt.Errorf("field %s: %w", f.Name, err)
				}
			}
			return append(dst, '}'), nil
		}
	case Array:
		if items, ok := v.([]any); ok {
			dst = append(dst, '[')
			var err error
			for i, it := range items {
				if i > 0 {
					dst = append(dst, ',')
				}
				if dst, err = appendValue(dst, s.Items, it, numeric); err != nil {
					return dst, fmt.Errorf("item %d: %w", i, err)
				}
			}
			return append(dst, ']'), nil
		}
	case Map:
		if entries, ok := v.([]MapEntry); ok {
			return appendMap(dst, s, entries, numeric)
		}
	}
	return dst, fmt.Errorf("value of Go type %T does not fit schema type %s", v, fieldOr("", s))
}

// appendMap writes a map with string keys as a JSON object and any other map as an array of [key, value]
// pairs, as JsonConverter does.
func appendMap(dst []byte, s *Schema, entries []MapEntry, numeric bool) ([]byte, error) {
	var err error
	object := s.Keys.Type == String
	if object {
		dst = append(dst, '{')
	} else {
		dst = append(dst, '[')
	}
	for i, e := range entries {
		if i > 0 {
			dst = append(dst, ',')
		}
		if object {
			k, ok := e.Key.(string)
			if !ok {
				return dst, fmt.Errorf("map key of Go type %T, want string", e.Key)
			}
			dst = appendString(dst, k)
			dst = append(dst, ':')
		} else {
			dst = append(dst, '[')
			if dst, err = appendValue(dst, s.Keys, e.Key, numeric); err != nil {
				return dst, err
			}
			dst = append(dst, ',')
		}
		if dst, err = appendValue(dst, s.Values, e.Value, numeric); err != nil {
			return dst, err
		}
		if !object {
			dst = append(dst, ']')
		}
	}
	if object {
		return append(dst, '}'), nil
	}
	return append(dst, ']'), nil
}

func appendBase64(dst, b []byte) []byte {
	dst = append(dst, '"')
	dst = base64.StdEncoding.AppendEncode(dst, b)
	return append(dst, '"')
}

const hexDigits = "0123456789ABCDEF"

// safeASCII marks the bytes a JSON string holds as they are.
var safeASCII = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// appendString writes s as a JSON string the way Jackson does: '"' and '\\' escaped, \b \t \n \f \r as
// short escapes, other control characters as \u00XX, everything else (including '/' and non-ASCII) raw.
// Invalid UTF-8 becomes U+FFFD.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if safeASCII[c] {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				dst = append(dst, s[start:i]...)
				dst = append(dst, "\uFFFD"...)
				i++
				start = i
				continue
			}
			if r > 0xFFFF {
				// Jackson, which writes Connect's JSON, escapes a character outside the BMP as its
				// UTF-16 surrogate pair ("\uD83D\uDE00"); the same bytes keep keys co-partitioned.
				dst = append(dst, s[start:i]...)
				r1, r2 := utf16.EncodeRune(r)
				dst = appendU4(appendU4(dst, r1), r2)
				i += size
				start = i
				continue
			}
			i += size
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\t':
			dst = append(dst, '\\', 't')
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\f':
			dst = append(dst, '\\', 'f')
		case '\r':
			dst = append(dst, '\\', 'r')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		i++
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

func appendU4(dst []byte, r rune) []byte {
	return append(dst, '\\', 'u', hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
}

// appendJavaFloat writes f as Java's Double.toString / Float.toString do (Jackson's number form):
// shortest round-trip digits, "1.0" rather than "1", and scientific notation ("1.0E7", "1.0E-4") outside
// [1e-3, 1e7). NaN and infinities are not JSON numbers and are rejected.
func appendJavaFloat(dst []byte, f float64, bits int) ([]byte, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return dst, fmt.Errorf("float value %v cannot be written as JSON", f)
	}
	if f == 0 {
		if math.Signbit(f) {
			return append(dst, "-0.0"...), nil
		}
		return append(dst, "0.0"...), nil
	}
	var buf [32]byte
	e := strconv.AppendFloat(buf[:0], f, 'e', -1, bits) // e.g. "-1.2345e+07"
	neg := e[0] == '-'
	if neg {
		e = e[1:]
		dst = append(dst, '-')
	}
	mant, expPart, _ := cutByte(e, 'e')
	exp, _ := strconv.Atoi(string(expPart))
	digits := make([]byte, 0, len(mant))
	for _, c := range mant {
		if c != '.' {
			digits = append(digits, c)
		}
	}
	if len(digits) == 1 {
		// Java picks, among the two-digit decimals that round to f, the closest (JDK 19+ Double.toString).
		e2 := strconv.AppendFloat(buf[:0], math.Abs(f), 'e', 1, bits)
		m2, _, _ := cutByte(e2, 'e')
		digits = append(digits[:0], m2[0])
		if m2[2] != '0' {
			digits = append(digits, m2[2])
		}
	}
	abs := math.Abs(f)
	if abs >= 1e-3 && abs < 1e7 {
		if exp >= 0 {
			intLen := exp + 1
			for len(digits) < intLen {
				digits = append(digits, '0')
			}
			dst = append(dst, digits[:intLen]...)
			dst = append(dst, '.')
			if len(digits) == intLen {
				return append(dst, '0'), nil
			}
			return append(dst, digits[intLen:]...), nil
		}
		dst = append(dst, '0', '.')
		for i := 0; i < -exp-1; i++ {
			dst = append(dst, '0')
		}
		return append(dst, digits...), nil
	}
	dst = append(dst, digits[0], '.')
	if len(digits) == 1 {
		dst = append(dst, '0')
	} else {
		dst = append(dst, digits[1:]...)
	}
	dst = append(dst, 'E')
	return strconv.AppendInt(dst, int64(exp), 10), nil
}

func cutByte(b []byte, sep byte) (before, after []byte, found bool) {
	for i, c := range b {
		if c == sep {
			return b[:i], b[i+1:], true
		}
	}
	return b, nil, false
}
