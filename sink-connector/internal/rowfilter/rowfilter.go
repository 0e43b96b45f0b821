// Package rowfilter is the sink's row filter language: a boolean expression over the columns of a row,
// parsed once at start-up and evaluated on every row image the sink would write.
//
//	expr    = or
//	or      = and { OR and }
//	and     = not { AND not }
//	not     = NOT not | primary
//	primary = "(" expr ")" | operand cmp operand | operand [NOT] IN "(" literal { "," literal } ")"
//	        | operand IS [NOT] NULL
//	cmp     = "=" | "!=" | "<>" | "<" | "<=" | ">" | ">="
//	operand = column | literal
//	column  = name | `quoted name`
//	literal = number | 'string' ('' inside is a quote) | TRUE | FALSE | NULL
//
// Keywords are case-insensitive. NULL follows SQL: a comparison with NULL is unknown, NOT unknown is
// unknown, and a row is kept only when the expression is true.
package rowfilter

import (
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
	"unicode"
)

// Filter is a parsed expression.
type Filter struct {
	text string
	root node
	cols []string
}

// Parse parses text; errors give the 1-based character position.
func Parse(text string) (*Filter, error) {
	p := &parser{text: text}
	if err := p.lex(); err != nil {
		return nil, err
	}
	root, err := p.or()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, p.errAt(t, "unexpected %s", t.describe())
	}
	f := &Filter{text: text, root: root}
	seen := map[string]bool{}
	walkColumns(root, func(c string) {
		if !seen[c] {
			seen[c] = true
			f.cols = append(f.cols, c)
		}
	})
	return f, nil
}

func (f *Filter) String() string { return f.text }

// Columns lists the columns the expression reads.
func (f *Filter) Columns() []string { return f.cols }

// Row gives the value of a column; ok is false when the row has no such column.
type Row func(column string) (value any, ok bool)

// Match evaluates the expression on a row: true keeps it. A column the row lacks, or values that cannot
// be compared, are errors.
func (f *Filter) Match(row Row) (bool, error) {
	v, err := f.root.eval(row)
	return v == yes, err
}

// tri is SQL's three-valued logic.
type tri int8

const (
	no tri = iota
	yes
	unknown
)

func triOf(b bool) tri {
	if b {
		return yes
	}
	return no
}

type node interface {
	eval(Row) (tri, error)
}

type (
	orNode  struct{ l, r node }
	andNode struct{ l, r node }
	notNode struct{ x node }
	cmpNode struct {
		op   string
		l, r operand
	}
	inNode struct {
		x    operand
		list []any
		not  bool
	}
	nullNode struct {
		x   operand
		not bool
	}
)

// operand is a column or a literal.
type operand struct {
	column string // "" for a literal
	value  any    // literal: *big.Rat, string, bool or nil
}

func (o operand) get(row Row) (any, error) {
	if o.column == "" {
		return o.value, nil
	}
	v, ok := row(o.column)
	if !ok {
		return nil, fmt.Errorf("row filter: the row has no column %q", o.column)
	}
	return normalize(v), nil
}

func (n orNode) eval(row Row) (tri, error) {
	l, err := n.l.eval(row)
	if err != nil || l == yes {
		return l, err
	}
	r, err := n.r.eval(row)
	if err != nil || r == yes {
		return r, err
	}
	if l == unknown || r == unknown {
		return unknown, nil
	}
	return no, nil
}

func (n andNode) eval(row Row) (tri, error) {
	l, err := n.l.eval(row)
	if err != nil || l == no {
		return l, err
	}
	r, err := n.r.eval(row)
	if err != nil || r == no {
		return r, err
	}
	if l == unknown || r == unknown {
		return unknown, nil
	}
	return yes, nil
}

func (n notNode) eval(row Row) (tri, error) {
	v, err := n.x.eval(row)
	switch v {
	case yes:
		return no, err
	case no:
		return yes, err
	}
	return unknown, err
}

func (n cmpNode) eval(row Row) (tri, error) {
	l, err := n.l.get(row)
	if err != nil {
		return no, err
	}
	r, err := n.r.get(row)
	if err != nil {
		return no, err
	}
	if l == nil || r == nil {
		return unknown, nil
	}
	c, err := compare(l, r)
	if err != nil {
		return no, err
	}
	switch n.op {
	case "=":
		return triOf(c == 0), nil
	case "!=", "<>":
		return triOf(c != 0), nil
	case "<":
		return triOf(c < 0), nil
	case "<=":
		return triOf(c <= 0), nil
	case ">":
		return triOf(c > 0), nil
	}
	return triOf(c >= 0), nil
}

func (n inNode) eval(row Row) (tri, error) {
	x, err := n.x.get(row)
	if err != nil || x == nil {
		return unknown, err
	}
	result := no
	for _, v := range n.list {
		if v == nil {
			result = unknown
			continue
		}
		c, err := compare(x, v)
		if err != nil {
			return no, err
		}
		if c == 0 {
			result = yes
			break
		}
	}
	if n.not {
		return notNode{constNode(result)}.eval(row)
	}
	return result, nil
}

type constNode tri

func (c constNode) eval(Row) (tri, error) { return tri(c), nil }

func (n nullNode) eval(row Row) (tri, error) {
	x, err := n.x.get(row)
	return triOf((x == nil) != n.not), err
}

// normalize turns a Connect value into *big.Rat (numbers), string, bool or nil.
func normalize(v any) any {
	switch x := v.(type) {
	case nil, string, bool:
		return x
	case []byte:
		return string(x)
	case int8:
		return big.NewRat(int64(x), 1)
	case int16:
		return big.NewRat(int64(x), 1)
	case int32:
		return big.NewRat(int64(x), 1)
	case int64:
		return big.NewRat(x, 1)
	case int:
		return big.NewRat(int64(x), 1)
	case float32:
		return new(big.Rat).SetFloat64(float64(x))
	case float64:
		return new(big.Rat).SetFloat64(x)
	case json.Number:
		if r, ok := new(big.Rat).SetString(string(x)); ok {
			return r
		}
		return string(x)
	case fmt.Stringer: // envelope.Decimal
		if r, ok := new(big.Rat).SetString(x.String()); ok {
			return r
		}
		return x.String()
	}
	return fmt.Sprint(v)
}

// compare orders two non-null values: numbers numerically (a string that is a number counts as one),
// strings bytewise, booleans false < true.
func compare(a, b any) (int, error) {
	switch x := a.(type) {
	case *big.Rat:
		switch y := b.(type) {
		case *big.Rat:
			return x.Cmp(y), nil
		case string:
			if r, ok := new(big.Rat).SetString(strings.TrimSpace(y)); ok {
				return x.Cmp(r), nil
			}
		case bool:
			return x.Cmp(boolRat(y)), nil
		}
	case string:
		switch y := b.(type) {
		case string:
			return strings.Compare(x, y), nil
		case *big.Rat:
			c, err := compare(y, x)
			return -c, err
		}
	case bool:
		switch y := b.(type) {
		case bool:
			return boolRat(x).Cmp(boolRat(y)), nil
		case *big.Rat:
			return boolRat(x).Cmp(y), nil
		}
	}
	return 0, fmt.Errorf("row filter: cannot compare %v with %v", describe(a), describe(b))
}

func boolRat(b bool) *big.Rat {
	if b {
		return big.NewRat(1, 1)
	}
	return new(big.Rat)
}

func describe(v any) string {
	switch x := v.(type) {
	case *big.Rat:
		return "number " + x.RatString()
	case string:
		return fmt.Sprintf("string %q", x)
	}
	return fmt.Sprintf("%T %v", v, v)
}

func walkColumns(n node, fn func(string)) {
	op := func(o operand) {
		if o.column != "" {
			fn(o.column)
		}
	}
	switch x := n.(type) {
	case orNode:
		walkColumns(x.l, fn)
		walkColumns(x.r, fn)
	case andNode:
		walkColumns(x.l, fn)
		walkColumns(x.r, fn)
	case notNode:
		walkColumns(x.x, fn)
	case cmpNode:
		op(x.l)
		op(x.r)
	case inNode:
		op(x.x)
	case nullNode:
		op(x.x)
	}
}

func isIdentStart(r rune) bool { return r == '_' || unicode.IsLetter(r) }
func isIdentPart(r rune) bool {
	return r == '_' || r == '$' || unicode.IsLetter(r) || unicode.IsDigit(r)
}
