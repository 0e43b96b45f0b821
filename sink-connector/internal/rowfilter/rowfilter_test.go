package rowfilter

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/tandemcdc/tandem/envelope"
)

func row(m map[string]any) Row {
	return func(c string) (any, bool) { v, ok := m[c]; return v, ok }
}

func TestMatch(t *testing.T) {
	dec, _ := envelope.ParseDecimal("10.50")
	r := row(map[string]any{"id": int32(9), "big": int64(10), "name": "bob", "price": dec, "f": 2.5, "flag": true,
		"n": nil, "odd name": int16(3), "j": json.Number("12")})
	for expr, want := range map[string]bool{
		"id < 10":                         true,
		"id >= 10":                        false,
		"big >= 10 AND id < 10":           true,
		"id = 9 OR name = 'x'":            true,
		"NOT (id = 9)":                    false,
		"name IN ('al', 'bob')":           true,
		"name NOT IN ('al', 'bob')":       false,
		"n IS NULL AND name IS NOT NULL":  true,
		"n = 1":                           false, // unknown
		"NOT n = 1":                       false, // NOT unknown is unknown
		"n = 1 OR id = 9":                 true,
		"price > 10.4 AND price <= 10.50": true,
		"f = 2.5 and flag = TRUE":         true,
		"`odd name` <> 4":                 true,
		"j = 12 AND id IN (1, NULL, 9)":   true,
		"id NOT IN (1, NULL)":             false, // unknown
		"name > 'al' AND name < 'bobby'":  true,
		"-1 < id":                         true,
		"id != 9":                         false,
	} {
		f, err := Parse(expr)
		if err != nil {
			t.Errorf("%s: %v", expr, err)
			continue
		}
		got, err := f.Match(r)
		if err != nil || got != want {
			t.Errorf("%s = %v, %v; want %v", expr, got, err, want)
		}
	}
	f, _ := Parse("missing = 1")
	if _, err := f.Match(r); err == nil || !strings.Contains(err.Error(), "no column") {
		t.Errorf("missing column: %v", err)
	}
	f, _ = Parse("name > 1")
	if _, err := f.Match(r); err == nil {
		t.Error("comparing a non-numeric string with a number gave no error")
	}
}

func TestParseErrors(t *testing.T) {
	for expr, want := range map[string]string{
		"id <":          "position 5: expected a column or a value, found end of expression",
		"id < 10 AND":   "position 12: expected a column or a value",
		"(id < 10":      "position 9: expected ')' to close the '(' at position 1",
		"id ~ 3":        "position 4: unexpected character '~'",
		"name = 'x":     "position 8: unterminated string",
		"id IN (1, id)": "IN lists hold literals",
		"1 = 1":         "needs a column",
		"id IS 3":       "expected NULL after IS",
		"id 3":          "position 4: expected a comparison",
		"id < 10 10":    "position 9: unexpected \"10\"",
		"id = 1; DROP":  "position 7: unexpected character ';'",
		"":              "position 1: expected a column or a value",
	} {
		_, err := Parse(expr)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q) = %v; want an error containing %q", expr, err, want)
		}
	}
	f, err := Parse("a < 1 AND (b = 'x' OR a IS NULL)")
	if err != nil || strings.Join(f.Columns(), ",") != "a,b" {
		t.Errorf("columns %v %v", f.Columns(), err)
	}
}
