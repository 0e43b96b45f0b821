package binlog

import (
	"database/sql"
	"testing"
)

// TestCatalogDefault reads COLUMN_DEFAULT as each flavor writes it.
func TestCatalogDefault(t *testing.T) {
	text := func(s string) sql.NullString { return sql.NullString{String: s, Valid: true} }
	for _, c := range []struct {
		flavor       string
		text         sql.NullString
		extra, dtype string
		want         string
	}{
		{"mariadb", sql.NullString{}, "", "int", "<nil>"},
		{"mariadb", text("NULL"), "", "int", "<nil>"},
		{"mariadb", text("'dflt'"), "", "varchar", "literal dflt"},
		{"mariadb", text("'it''s'"), "", "varchar", "literal it's"},
		{"mariadb", text(`'C:\\path'`), "", "varchar", `literal C:\path`},
		{"mariadb", text(`'a\nb\0'`), "", "varchar", "literal a\nb\x00"},
		{"mariadb", text("''"), "", "varchar", "literal "},
		{"mariadb", text("'NULL'"), "", "varchar", "literal NULL"},
		{"mariadb", text("-7"), "", "int", "literal -7"},
		{"mariadb", text("1.50"), "", "decimal", "literal 1.50"},
		{"mariadb", text("b'101'"), "", "bit", "literal b'101'"},
		{"mariadb", text("current_timestamp()"), "", "timestamp", "now"},
		{"mariadb", text("current_timestamp(3)"), "", "datetime", "now"},
		{"mariadb", text("uuid()"), "", "varchar", "expression"},
		{"mysql", sql.NullString{}, "", "int", "<nil>"},
		{"mysql", text("dflt"), "", "varchar", "literal dflt"},
		{"mysql", text("NULL"), "", "varchar", "literal NULL"},
		{"mysql", text("CURRENT_TIMESTAMP"), "DEFAULT_GENERATED", "timestamp", "now"},
		{"mysql", text("CURRENT_TIMESTAMP(3)"), "DEFAULT_GENERATED on update CURRENT_TIMESTAMP(3)", "datetime", "now"},
		{"mysql", text("uuid()"), "DEFAULT_GENERATED", "varchar", "expression"},
		{"mysql", text("-7"), "", "int", "literal -7"},
	} {
		d := catalogDefault(c.flavor, c.text, c.extra, c.dtype)
		got := "<nil>"
		switch {
		case d == nil:
		case d.CurrentTimestamp:
			got = "now"
		case d.Expression:
			got = "expression"
		default:
			got = "literal " + d.Literal
		}
		if got != c.want {
			t.Errorf("%s %q %q: %q, want %q", c.flavor, c.text.String, c.extra, got, c.want)
		}
	}
}
