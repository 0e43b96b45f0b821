package binlog

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strings"

	"github.com/tandemcdc/tandem/schemas"
)

// defaults reads the DEFAULT of each column of db.table from the catalog as it is now, by column name.
// The binlog's TABLE_MAP carries no defaults, so a streamed table gets them when its table id is first
// seen; like Debezium's, they describe the column, not the row.
// Without a catalog connection (the reader's unit tests), columns have no defaults.
func (t *tables) defaults(ctx context.Context, db, table string) (map[string]*schemas.ColumnDefault, error) {
	if t.db == nil {
		return nil, nil
	}
	rows, err := t.db.QueryContext(ctx, `SELECT COLUMN_NAME, COLUMN_DEFAULT, EXTRA, DATA_TYPE
		FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?`, db, table)
	if err != nil {
		return nil, fmt.Errorf("read column defaults of %s.%s from information_schema: %w", db, table, err)
	}
	defer rows.Close()
	out := map[string]*schemas.ColumnDefault{}
	for rows.Next() {
		var name, extra, dataType string
		var text sql.NullString
		if err := rows.Scan(&name, &text, &extra, &dataType); err != nil {
			return nil, err
		}
		if d := catalogDefault(t.flavor, text, extra, dataType); d != nil {
			out[name] = d
		}
	}
	return out, rows.Err()
}

// applyDefaults sets each column's Default from the catalog's.
func applyDefaults(cols []schemas.Column, defaults map[string]*schemas.ColumnDefault) {
	for i := range cols {
		cols[i].Default = defaults[cols[i].Name]
	}
}

var (
	numericDefault = regexp.MustCompile(`^-?[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?$|^b'[01]*'$`)
	currentTime    = regexp.MustCompile(`(?i)^(current_timestamp|now|localtime|localtimestamp)(\(\d*\))?$`)
)

// unescapeMariaDB undoes the escaping of a quoted default in MariaDB's catalog: a doubled quote, and a
// backslash before \, n, r, 0 and Z (the server writes these with its append_unescaped).
func unescapeMariaDB(s string) string {
	if !strings.ContainsAny(s, "'\\") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\'' && i+1 < len(s) && s[i+1] == '\'':
			i++
		case c == '\\' && i+1 < len(s):
			i++
			switch s[i] {
			case 'n':
				c = '\n'
			case 'r':
				c = '\r'
			case '0':
				c = 0
			case 'Z':
				c = 26
			default:
				c = s[i]
			}
		}
		b.WriteByte(c)
	}
	return b.String()
}

// catalogDefault reads information_schema.COLUMNS.COLUMN_DEFAULT, which the flavors write differently.
// MariaDB (10.2.7+) quotes literal strings ('dflt', a quote inside doubled), writes numbers, b'…' and
// expressions bare, and a NULL default as the word NULL. MySQL writes literals bare, NULL as SQL NULL,
// and marks expressions (CURRENT_TIMESTAMP among them) with DEFAULT_GENERATED in EXTRA, except the
// CURRENT_TIMESTAMP of TIMESTAMP and DATETIME columns, which is bare.
func catalogDefault(flavor string, text sql.NullString, extra, dataType string) *schemas.ColumnDefault {
	if !text.Valid {
		return nil
	}
	s := text.String
	if flavor == "mariadb" {
		switch {
		case s == "NULL":
			return nil
		case len(s) >= 2 && s[0] == '\'' && s[len(s)-1] == '\'':
			return &schemas.ColumnDefault{Literal: unescapeMariaDB(s[1 : len(s)-1])}
		case currentTime.MatchString(s):
			return &schemas.ColumnDefault{CurrentTimestamp: true}
		case numericDefault.MatchString(s):
			return &schemas.ColumnDefault{Literal: s}
		}
		return &schemas.ColumnDefault{Expression: true}
	}
	temporal := dataType == "timestamp" || dataType == "datetime"
	if temporal && currentTime.MatchString(s) {
		return &schemas.ColumnDefault{CurrentTimestamp: true}
	}
	if strings.Contains(strings.ToUpper(extra), "DEFAULT_GENERATED") {
		return &schemas.ColumnDefault{Expression: true}
	}
	return &schemas.ColumnDefault{Literal: s}
}
