package rowfilter

import (
	"fmt"
	"math/big"
	"strings"
	"unicode/utf8"
)

type tokenKind int

const (
	tEOF tokenKind = iota
	tIdent
	tQuotedIdent
	tNumber
	tString
	tOp
	tLParen
	tRParen
	tComma
)

type token struct {
	kind tokenKind
	text string // identifiers, operators, the number's digits, the string's value
	pos  int    // 1-based character position
}

func (t token) describe() string {
	switch t.kind {
	case tEOF:
		return "end of expression"
	case tString:
		return fmt.Sprintf("string '%s'", t.text)
	}
	return fmt.Sprintf("%q", t.text)
}

// keyword reports whether t is the keyword kw (case-insensitive, unquoted).
func (t token) keyword(kw string) bool { return t.kind == tIdent && strings.EqualFold(t.text, kw) }

type parser struct {
	text string
	toks []token
	i    int
}

func (p *parser) errAt(t token, format string, args ...any) error {
	return fmt.Errorf("row filter %q: position %d: %s", p.text, t.pos, fmt.Sprintf(format, args...))
}

func (p *parser) lex() error {
	s := p.text
	i := 0
	pos := func(byteIdx int) int { return utf8.RuneCountInString(s[:byteIdx]) + 1 }
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		start := i
		switch {
		case r == ' ' || r == '\t' || r == '\n' || r == '\r':
			i += size
			continue
		case r == '(':
			p.toks = append(p.toks, token{tLParen, "(", pos(start)})
			i++
		case r == ')':
			p.toks = append(p.toks, token{tRParen, ")", pos(start)})
			i++
		case r == ',':
			p.toks = append(p.toks, token{tComma, ",", pos(start)})
			i++
		case strings.ContainsRune("=<>!", r):
			op := string(r)
			if i+1 < len(s) && (s[i:i+2] == "<=" || s[i:i+2] == ">=" || s[i:i+2] == "!=" || s[i:i+2] == "<>") {
				op = s[i : i+2]
			}
			if op == "!" {
				return fmt.Errorf("row filter %q: position %d: '!' must be followed by '='", p.text, pos(start))
			}
			p.toks = append(p.toks, token{tOp, op, pos(start)})
			i += len(op)
		case r == '\'':
			var b strings.Builder
			i++
			for {
				if i >= len(s) {
					return fmt.Errorf("row filter %q: position %d: unterminated string", p.text, pos(start))
				}
				if s[i] == '\'' {
					if i+1 < len(s) && s[i+1] == '\'' {
						b.WriteByte('\'')
						i += 2
						continue
					}
					i++
					break
				}
				b.WriteByte(s[i])
				i++
			}
			p.toks = append(p.toks, token{tString, b.String(), pos(start)})
		case r == '`':
			end := strings.IndexByte(s[i+1:], '`')
			if end < 0 {
				return fmt.Errorf("row filter %q: position %d: unterminated `name`", p.text, pos(start))
			}
			p.toks = append(p.toks, token{tQuotedIdent, s[i+1 : i+1+end], pos(start)})
			i += end + 2
		case r == '-' || r == '.' || (r >= '0' && r <= '9'):
			j := i + 1
			for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == '.' || s[j] == 'e' || s[j] == 'E' ||
				(s[j] == '-' || s[j] == '+') && (s[j-1] == 'e' || s[j-1] == 'E')) {
				j++
			}
			p.toks = append(p.toks, token{tNumber, s[i:j], pos(start)})
			i = j
		case isIdentStart(r):
			j := i + size
			for j < len(s) {
				r2, n := utf8.DecodeRuneInString(s[j:])
				if !isIdentPart(r2) {
					break
				}
				j += n
			}
			p.toks = append(p.toks, token{tIdent, s[i:j], pos(start)})
			i = j
		default:
			return fmt.Errorf("row filter %q: position %d: unexpected character %q", p.text, pos(start), r)
		}
	}
	p.toks = append(p.toks, token{tEOF, "", utf8.RuneCountInString(s) + 1})
	return nil
}

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func (p *parser) or() (node, error) {
	l, err := p.and()
	for err == nil && p.peek().keyword("OR") {
		p.next()
		var r node
		if r, err = p.and(); err == nil {
			l = orNode{l, r}
		}
	}
	return l, err
}

func (p *parser) and() (node, error) {
	l, err := p.not()
	for err == nil && p.peek().keyword("AND") {
		p.next()
		var r node
		if r, err = p.not(); err == nil {
			l = andNode{l, r}
		}
	}
	return l, err
}

func (p *parser) not() (node, error) {
	if p.peek().keyword("NOT") {
		p.next()
		x, err := p.not()
		return notNode{x}, err
	}
	return p.primary()
}

func (p *parser) primary() (node, error) {
	if p.peek().kind == tLParen {
		open := p.next()
		x, err := p.or()
		if err != nil {
			return nil, err
		}
		if t := p.next(); t.kind != tRParen {
			return nil, p.errAt(t, "expected ')' to close the '(' at position %d, found %s", open.pos, t.describe())
		}
		return x, nil
	}
	l, err := p.operand()
	if err != nil {
		return nil, err
	}
	t := p.next()
	switch {
	case t.kind == tOp:
		r, err := p.operand()
		if err != nil {
			return nil, err
		}
		if l.column == "" && r.column == "" {
			return nil, p.errAt(t, "a comparison needs a column on one side")
		}
		return cmpNode{t.text, l, r}, nil
	case t.keyword("IS"):
		not := false
		if p.peek().keyword("NOT") {
			p.next()
			not = true
		}
		if n := p.next(); !n.keyword("NULL") {
			return nil, p.errAt(n, "expected NULL after IS, found %s", n.describe())
		}
		return nullNode{l, not}, nil
	case t.keyword("IN"), t.keyword("NOT") && p.peek().keyword("IN"):
		not := t.keyword("NOT")
		if not {
			p.next()
		}
		if open := p.next(); open.kind != tLParen {
			return nil, p.errAt(open, "expected '(' after IN, found %s", open.describe())
		}
		var list []any
		for {
			v, err := p.operand()
			if err != nil {
				return nil, err
			}
			if v.column != "" {
				return nil, p.errAt(p.toks[p.i-1], "IN lists hold literals, not the column %q", v.column)
			}
			list = append(list, v.value)
			sep := p.next()
			if sep.kind == tRParen {
				break
			}
			if sep.kind != tComma {
				return nil, p.errAt(sep, "expected ',' or ')' in the IN list, found %s", sep.describe())
			}
		}
		return inNode{l, list, not}, nil
	}
	return nil, p.errAt(t, "expected a comparison (=, !=, <>, <, <=, >, >=), IN or IS after the operand, found %s", t.describe())
}

func (p *parser) operand() (operand, error) {
	t := p.next()
	switch t.kind {
	case tQuotedIdent:
		return operand{column: t.text}, nil
	case tString:
		return operand{value: t.text}, nil
	case tNumber:
		r, ok := new(big.Rat).SetString(t.text)
		if !ok {
			return operand{}, p.errAt(t, "%q is not a number", t.text)
		}
		return operand{value: r}, nil
	case tIdent:
		switch strings.ToUpper(t.text) {
		case "NULL":
			return operand{}, nil
		case "TRUE":
			return operand{value: true}, nil
		case "FALSE":
			return operand{value: false}, nil
		case "AND", "OR", "NOT", "IN", "IS":
			return operand{}, p.errAt(t, "expected a column or a value, found the keyword %s", strings.ToUpper(t.text))
		}
		return operand{column: t.text}, nil
	}
	return operand{}, p.errAt(t, "expected a column or a value, found %s", t.describe())
}
