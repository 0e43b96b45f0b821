package envelope

import (
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// maxDepth bounds the nesting of JSON values, so hostile input cannot exhaust the stack.
const maxDepth = 64

// scanner reads one JSON document strictly (RFC 8259), reporting errors with their byte offset.
type scanner struct {
	data  []byte
	pos   int
	depth int
	// strs interns the short strings that repeat from message to message (source db, table, file, …);
	// nil: no interning.
	strs map[string]string
}

// internedStr reads a string, returning the interned copy of a short one seen before.
func (s *scanner) internedStr() (string, error) {
	if s.strs == nil || s.peek() != '"' {
		return s.str()
	}
	start := s.pos + 1
	end := start
	for end < len(s.data) && s.data[end] != '"' && s.data[end] != '\\' && s.data[end] >= 0x20 {
		end++
	}
	if end < len(s.data) && s.data[end] == '"' {
		if v, ok := s.strs[string(s.data[start:end])]; ok {
			s.pos = end + 1
			return v, nil
		}
	}
	v, err := s.str()
	if err == nil && len(v) <= 64 && len(s.strs) < 256 {
		s.strs[v] = v
	}
	return v, err
}

func (s *scanner) errorf(format string, args ...any) error {
	return fmt.Errorf("json at byte %d: %s", s.pos, fmt.Sprintf(format, args...))
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func (s *scanner) ws() {
	if s.pos < len(s.data) && s.data[s.pos] > ' ' { // compact JSON: nothing to skip
		return
	}
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// peek returns the next significant byte, or 0 at the end.
func (s *scanner) peek() byte {
	s.ws()
	if s.pos >= len(s.data) {
		return 0
	}
	return s.data[s.pos]
}

func (s *scanner) expect(c byte) error {
	if s.peek() != c {
		return s.errorf("want %q, found %s", c, s.found())
	}
	s.pos++
	return nil
}

func (s *scanner) found() string {
	if s.pos >= len(s.data) {
		return "end of input"
	}
	return strconv.QuoteRune(rune(s.data[s.pos]))
}

// end checks that only white space follows the document.
func (s *scanner) end() error {
	if s.ws(); s.pos < len(s.data) {
		return s.errorf("unexpected %s after the document", s.found())
	}
	return nil
}

// null consumes a null literal if one comes next.
func (s *scanner) null() (bool, error) {
	if s.peek() != 'n' {
		return false, nil
	}
	return true, s.literal("null")
}

func (s *scanner) literal(lit string) error {
	if len(s.data)-s.pos < len(lit) || string(s.data[s.pos:s.pos+len(lit)]) != lit {
		return s.errorf("want %s, found %s", lit, s.found())
	}
	s.pos += len(lit)
	return nil
}

func (s *scanner) boolean() (bool, error) {
	switch s.peek() {
	case 't':
		return true, s.literal("true")
	case 'f':
		return false, s.literal("false")
	}
	return false, s.errorf("want true or false, found %s", s.found())
}

// str reads a string, decoding escapes. Invalid UTF-8 is an error.
func (s *scanner) str() (string, error) {
	if err := s.expect('"'); err != nil {
		return "", err
	}
	start := s.pos
	for s.pos < len(s.data) { // fast path: no escapes
		c := s.data[s.pos]
		if c == '"' {
			out := s.data[start:s.pos]
			s.pos++
			if !utf8.Valid(out) {
				return "", s.errorf("string is not valid UTF-8")
			}
			return string(out), nil
		}
		if c == '\\' || c < 0x20 {
			break
		}
		s.pos++
	}
	buf := append([]byte(nil), s.data[start:s.pos]...)
	for s.pos < len(s.data) {
		c := s.data[s.pos]
		switch {
		case c == '"':
			s.pos++
			if !utf8.Valid(buf) {
				return "", s.errorf("string is not valid UTF-8")
			}
			return string(buf), nil
		case c < 0x20:
			return "", s.errorf("control character in string")
		case c != '\\':
			buf = append(buf, c)
			s.pos++
			continue
		}
		s.pos++
		if s.pos >= len(s.data) {
			break
		}
		e := s.data[s.pos]
		s.pos++
		switch e {
		case '"', '\\', '/':
			buf = append(buf, e)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r, err := s.hex4()
			if err != nil {
				return "", err
			}
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if s.pos+1 < len(s.data) && s.data[s.pos] == '\\' && s.data[s.pos+1] == 'u' {
					s.pos += 2
					if r2, err = s.hex4(); err != nil {
						return "", err
					}
				}
				r = utf16.DecodeRune(r, r2)
			}
			buf = utf8.AppendRune(buf, r)
		default:
			return "", s.errorf("bad escape \\%c", e)
		}
	}
	return "", s.errorf("unterminated string")
}

func (s *scanner) hex4() (rune, error) {
	if len(s.data)-s.pos < 4 {
		return 0, s.errorf("short \\u escape")
	}
	var r rune
	for _, c := range s.data[s.pos : s.pos+4] {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			return 0, s.errorf("bad \\u escape")
		}
	}
	s.pos += 4
	return r, nil
}

// number reads a number and returns its text.
func (s *scanner) number() (string, error) {
	b, err := s.numberBytes()
	return string(b), err
}

// numberBytes reads a number and returns its bytes, which alias the input.
func (s *scanner) numberBytes() ([]byte, error) {
	s.ws()
	start := s.pos
	digits := func() int {
		n := 0
		for s.pos < len(s.data) && s.data[s.pos] >= '0' && s.data[s.pos] <= '9' {
			s.pos++
			n++
		}
		return n
	}
	if s.pos < len(s.data) && s.data[s.pos] == '-' {
		s.pos++
	}
	if s.pos < len(s.data) && s.data[s.pos] == '0' {
		s.pos++
	} else if digits() == 0 {
		return nil, s.errorf("want a number, found %s", s.found())
	}
	if s.pos < len(s.data) && s.data[s.pos] == '.' {
		s.pos++
		if digits() == 0 {
			return nil, s.errorf("digits must follow the decimal point")
		}
	}
	if s.pos < len(s.data) && (s.data[s.pos] == 'e' || s.data[s.pos] == 'E') {
		s.pos++
		if s.pos < len(s.data) && (s.data[s.pos] == '+' || s.data[s.pos] == '-') {
			s.pos++
		}
		if digits() == 0 {
			return nil, s.errorf("digits must follow the exponent")
		}
	}
	return s.data[start:s.pos], nil
}

func (s *scanner) integer(bits int) (int64, error) {
	at := s.pos
	text, err := s.numberBytes()
	if err != nil {
		return 0, err
	}
	n, ok := parseInt(text, bits)
	if !ok {
		s.pos = at
		return 0, s.errorf("%s is not an int%d", text, bits)
	}
	return n, nil
}

// parseInt parses a JSON integer that fits in bits, without allocating.
func parseInt(b []byte, bits int) (int64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 19 {
		return 0, false
	}
	var u uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		u = u*10 + uint64(c-'0')
	}
	limit := uint64(1) << (bits - 1)
	if neg {
		if u > limit {
			return 0, false
		}
		return -int64(u), true
	}
	if u >= limit {
		return 0, false
	}
	return int64(u), true
}

// object calls member for each member of an object, with the scanner placed at the member's value. The
// key aliases the input (or a scratch buffer when it has escapes): copy it to keep it.
func (s *scanner) object(member func(key []byte) error) error {
	if err := s.expect('{'); err != nil {
		return err
	}
	if s.depth++; s.depth > maxDepth {
		return s.errorf("nested deeper than %d", maxDepth)
	}
	defer func() { s.depth-- }()
	if s.peek() == '}' {
		s.pos++
		return nil
	}
	for {
		key, err := s.key()
		if err != nil {
			return err
		}
		if err := s.expect(':'); err != nil {
			return err
		}
		if err := member(key); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.pos++
		case '}':
			s.pos++
			return nil
		default:
			return s.errorf("want ',' or '}', found %s", s.found())
		}
	}
}

// key reads an object key without allocating when it has no escapes.
func (s *scanner) key() ([]byte, error) {
	if s.peek() != '"' {
		return nil, s.errorf("want '\"', found %s", s.found())
	}
	ascii := true
	for i := s.pos + 1; i < len(s.data); i++ {
		c := s.data[i]
		if c == '"' {
			k := s.data[s.pos+1 : i]
			if !ascii && !utf8.Valid(k) {
				return nil, s.errorf("string is not valid UTF-8")
			}
			s.pos = i + 1
			return k, nil
		}
		if c == '\\' || c < 0x20 {
			break
		}
		ascii = ascii && c < utf8.RuneSelf
	}
	k, err := s.str()
	return []byte(k), err
}

// span returns the bytes of the next object or array by matching brackets outside strings, without
// checking the syntax inside: for text that is parsed strictly later or was already (a cached schema).
func (s *scanner) span() ([]byte, error) {
	c := s.peek()
	if c != '{' && c != '[' {
		return s.raw()
	}
	start, depth := s.pos, 0
	for i := s.pos; i < len(s.data); i++ {
		switch s.data[i] {
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				s.pos = i + 1
				return s.data[start:s.pos], nil
			}
		case '"':
			for i++; i < len(s.data) && s.data[i] != '"'; i++ {
				if s.data[i] == '\\' {
					i++
				}
			}
		}
	}
	return nil, s.errorf("unterminated %c", c)
}

// skip passes over one value, checking its syntax, without building it.
func (s *scanner) skip() error {
	switch c := s.peek(); c {
	case '{':
		return s.object(func([]byte) error { return s.skip() })
	case '[':
		return s.array(func(int) error { return s.skip() })
	case '"':
		_, err := s.key()
		return err
	case 't', 'f':
		_, err := s.boolean()
		return err
	case 'n':
		return s.literal("null")
	}
	_, err := s.numberBytes()
	return err
}

// array calls item for each element of an array.
func (s *scanner) array(item func(i int) error) error {
	if err := s.expect('['); err != nil {
		return err
	}
	if s.depth++; s.depth > maxDepth {
		return s.errorf("nested deeper than %d", maxDepth)
	}
	defer func() { s.depth-- }()
	if s.peek() == ']' {
		s.pos++
		return nil
	}
	for i := 0; ; i++ {
		if err := item(i); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.pos++
		case ']':
			s.pos++
			return nil
		default:
			return s.errorf("want ',' or ']', found %s", s.found())
		}
	}
}

// raw skips one value and returns its bytes.
func (s *scanner) raw() ([]byte, error) {
	s.ws()
	start := s.pos
	if err := s.skip(); err != nil {
		return nil, err
	}
	return s.data[start:s.pos], nil
}

// untyped reads any value: nil, bool, string, json.Number, []any or map[string]any (keys in a
// separate order slice are not kept; see untypedObject for ordered members).
func (s *scanner) untyped() (any, error) {
	switch c := s.peek(); {
	case c == '{':
		m := map[string]any{}
		err := s.object(func(k []byte) error {
			v, err := s.untyped()
			m[string(k)] = v
			return err
		})
		return m, err
	case c == '[':
		var a []any
		err := s.array(func(int) error {
			v, err := s.untyped()
			a = append(a, v)
			return err
		})
		if a == nil && err == nil {
			a = []any{}
		}
		return a, err
	case c == '"':
		return s.str()
	case c == 't' || c == 'f':
		return s.boolean()
	case c == 'n':
		return nil, s.literal("null")
	default:
		n, err := s.number()
		return json.Number(n), err
	}
}
