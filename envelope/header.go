package envelope

import "fmt"

// AppendHeaderJSON appends v, a value of schema s, as Kafka Connect's default header converter
// (SimpleHeaderConverter, through Values.convertToString) writes a header, which is how Debezium's
// __debezium.newkey / oldkey headers hold a key: a struct as {"name":value,…}, a string quoted with only
// \ and " escaped (every other character as it is, unlike the JSON converter), decimals as
// BigDecimal.toString, other values as in JSON.
func AppendHeaderJSON(dst []byte, s *Schema, v any) ([]byte, error) {
	if v == nil {
		return appendValue(dst, s, v, true)
	}
	switch s.Type {
	case Struct:
		row, ok := v.([]any)
		if !ok || len(row) != len(s.Fields) {
			return dst, fmt.Errorf("struct %s: value %T does not match its %d fields", s.Name, v, len(s.Fields))
		}
		dst = append(dst, '{')
		for i, f := range s.Fields {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendHeaderString(dst, f.Name)
			dst = append(dst, ':')
			var err error
			if dst, err = AppendHeaderJSON(dst, f.Schema, row[i]); err != nil {
				return dst, fmt.Errorf("field %s: %w", f.Name, err)
			}
		}
		return append(dst, '}'), nil
	case String:
		if str, ok := v.(string); ok {
			return appendHeaderString(dst, str), nil
		}
	}
	return appendValue(dst, s, v, true)
}

func appendHeaderString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			dst = append(dst, '\\')
		}
		dst = append(dst, s[i])
	}
	return append(dst, '"')
}
