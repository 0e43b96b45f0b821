package binlog

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
	"unicode"
)

// DDL is a statement that changed the schema, as the binlog logged it, with the tables it changed as
// the catalog describes them when the reader meets the statement.
type DDL struct {
	Database  string // the statement's default database
	Statement string
	Tables    []TableChange
	GTID      string
	File      string
	Pos       uint32 // start of the statement's event
	ServerID  uint32
	Thread    uint32
	Time      time.Time
}

// TableChange is one table a DDL statement created, altered or dropped.
type TableChange struct {
	Type     string      // CREATE, ALTER or DROP
	DB, Name string      // for RENAME TABLE, the new name (the old one is in OldName)
	OldName  string      // RENAME TABLE / ALTER TABLE … RENAME: the name before
	Table    *TableShape // nil for DROP, or when the table no longer exists
}

// TableShape is a table's structure as the catalog shows it.
type TableShape struct {
	Charset    string
	Comment    string
	PrimaryKey []string
	Columns    []ColumnShape
}

// ColumnShape is a column as the catalog shows it.
type ColumnShape struct {
	Name, DataType, ColumnType, Charset, Comment string
	Position                                     int
	Length, Scale                                sql.NullInt64
	Nullable, AutoIncrement, Generated           bool
	Default                                      sql.NullString
	EnumValues                                   []string
}

// SchemaHandler is implemented by handlers that want the DDL statements of the stream (Debezium's schema
// change topic). Schema is called before the Commit that ends the statement.
type SchemaHandler interface {
	Schema(ctx context.Context, ddl *DDL) error
}

// ddlTables returns the tables a DDL statement changes, as (type, db, table, old name). It reads the
// statements that change tables (CREATE TABLE, ALTER TABLE, DROP TABLE, RENAME TABLE, CREATE/DROP INDEX,
// TRUNCATE is not one) and gives none for others (CREATE DATABASE, views, grants, …).
func ddlTables(defaultDB, stmt string) []TableChange {
	toks := ddlTokens(stmt)
	word := func(i int) string {
		if i < len(toks) && !toks[i].quoted {
			return strings.ToUpper(toks[i].text)
		}
		return ""
	}
	// name reads db.table or table at i and returns it and the index after it.
	name := func(i int) (string, string, int) {
		if i >= len(toks) {
			return "", "", i
		}
		if i+2 < len(toks) && toks[i+1].text == "." && !toks[i+1].quoted {
			return toks[i].text, toks[i+2].text, i + 3
		}
		return defaultDB, toks[i].text, i + 1
	}
	i := 0
	verb := word(i)
	i++
	for word(i) == "TEMPORARY" || word(i) == "ONLINE" || word(i) == "OFFLINE" || word(i) == "IGNORE" ||
		word(i) == "UNIQUE" || word(i) == "FULLTEXT" || word(i) == "SPATIAL" || word(i) == "OR" || word(i) == "REPLACE" {
		if word(i) == "TEMPORARY" {
			return nil // temporary tables are not logged as row changes of a table
		}
		i++
	}
	switch {
	case verb == "CREATE" && word(i) == "TABLE":
		i++
		if word(i) == "IF" {
			i += 3
		}
		db, tb, _ := name(i)
		return []TableChange{{Type: "CREATE", DB: db, Name: tb}}
	case verb == "ALTER" && word(i) == "TABLE":
		i++
		if word(i) == "IF" {
			i += 2
		}
		db, tb, next := name(i)
		// ALTER TABLE t RENAME [TO|AS] u (alone or among other changes)
		for j := next; j < len(toks); j++ {
			if word(j) == "RENAME" && word(j+1) != "COLUMN" && word(j+1) != "INDEX" && word(j+1) != "KEY" {
				k := j + 1
				if word(k) == "TO" || word(k) == "AS" {
					k++
				}
				ndb, ntb, _ := name(k)
				return []TableChange{{Type: "ALTER", DB: ndb, Name: ntb, OldName: db + "." + tb}}
			}
		}
		return []TableChange{{Type: "ALTER", DB: db, Name: tb}}
	case verb == "DROP" && word(i) == "TABLE":
		i++
		if word(i) == "IF" {
			i += 2
		}
		var out []TableChange
		for i < len(toks) {
			db, tb, next := name(i)
			out = append(out, TableChange{Type: "DROP", DB: db, Name: tb})
			i = next
			if i >= len(toks) || toks[i].text != "," {
				break
			}
			i++
		}
		return out
	case verb == "RENAME" && (word(i) == "TABLE" || word(i) == "TABLES"):
		i++
		if word(i) == "IF" { // MariaDB: RENAME TABLE IF EXISTS
			i += 2
		}
		var out []TableChange
		for i < len(toks) {
			odb, otb, next := name(i)
			if word(next) == "WAIT" { // MariaDB: RENAME TABLE t WAIT n TO u
				next += 2
			} else if word(next) == "NOWAIT" {
				next++
			}
			if word(next) != "TO" {
				break
			}
			ndb, ntb, after := name(next + 1)
			out = append(out, TableChange{Type: "ALTER", DB: ndb, Name: ntb, OldName: odb + "." + otb})
			i = after
			if i >= len(toks) || toks[i].text != "," {
				break
			}
			i++
		}
		return out
	case (verb == "CREATE" || verb == "DROP") && word(i) == "INDEX":
		for j := i; j < len(toks); j++ {
			if word(j) == "ON" {
				db, tb, _ := name(j + 1)
				return []TableChange{{Type: "ALTER", DB: db, Name: tb}}
			}
		}
	}
	return nil
}

type ddlToken struct {
	text   string
	quoted bool // a `quoted` identifier: never a keyword
}

// ddlTokens splits a statement into words, `quoted` identifiers (unquoted) and single punctuation
// characters, skipping comments and string literals.
func ddlTokens(s string) []ddlToken {
	var out []ddlToken
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case strings.HasPrefix(s[i:], "/*!") || strings.HasPrefix(s[i:], "/*M!"):
			// An executable comment (/*!40000 … */, MariaDB's /*M!100100 … */): its text is part of the
			// statement; only the version digits and the closing */ go.
			i += strings.IndexByte(s[i:], '!') + 1
			for i < len(s) && s[i] >= '0' && s[i] <= '9' {
				i++
			}
			if end := strings.Index(s[i:], "*/"); end >= 0 {
				s = s[:i+end] + "  " + s[i+end+2:]
			}
		case strings.HasPrefix(s[i:], "/*"):
			end := strings.Index(s[i+2:], "*/")
			if end < 0 {
				return out
			}
			i += end + 4
		case strings.HasPrefix(s[i:], "--") && (i+2 == len(s) || s[i+2] <= ' ') || c == '#':
			end := strings.IndexByte(s[i:], '\n')
			if end < 0 {
				return out
			}
			i += end
		case c == '`':
			var b strings.Builder
			j := i + 1
			for j < len(s) {
				if s[j] == '`' {
					if j+1 < len(s) && s[j+1] == '`' {
						b.WriteByte('`')
						j += 2
						continue
					}
					break
				}
				b.WriteByte(s[j])
				j++
			}
			out = append(out, ddlToken{text: b.String(), quoted: true})
			i = j + 1
		case c == '\'' || c == '"':
			j := i + 1
			for j < len(s) && s[j] != c {
				if s[j] == '\\' {
					j++
				}
				j++
			}
			i = j + 1
		case c == '_' || c == '$' || c >= 0x80 || unicode.IsLetter(rune(c)) || unicode.IsDigit(rune(c)):
			j := i
			for j < len(s) && (s[j] == '_' || s[j] == '$' || s[j] >= 0x80 || unicode.IsLetter(rune(s[j])) || unicode.IsDigit(rune(s[j]))) {
				j++
			}
			out = append(out, ddlToken{text: s[i:j]})
			i = j
		default:
			out = append(out, ddlToken{text: s[i : i+1]})
			i++
		}
	}
	return out
}

// describeShape reads a table's structure from the catalog; nil when the table does not exist.
func (t *tables) describeShape(ctx context.Context, db, name string) (*TableShape, error) {
	var shape TableShape
	var collation sql.NullString
	err := t.db.QueryRowContext(ctx, `SELECT TABLE_COLLATION, TABLE_COMMENT FROM information_schema.TABLES
		WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?`, db, name).Scan(&collation, &shape.Comment)
	if err == sql.ErrNoRows {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("describe %s.%s: %w", db, name, err)
	}
	if c, _, ok := strings.Cut(collation.String, "_"); ok {
		shape.Charset = c
	}
	rows, err := t.db.QueryContext(ctx, `SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, COALESCE(CHARACTER_SET_NAME, ''),
			COLUMN_COMMENT, ORDINAL_POSITION, COALESCE(CHARACTER_MAXIMUM_LENGTH, NUMERIC_PRECISION, DATETIME_PRECISION),
			NUMERIC_SCALE, IS_NULLABLE, EXTRA, COLUMN_DEFAULT, COLUMN_KEY
		FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`, db, name)
	if err != nil {
		return nil, fmt.Errorf("describe columns of %s.%s: %w", db, name, err)
	}
	defer rows.Close()
	for rows.Next() {
		var c ColumnShape
		var nullable, extra, key string
		if err := rows.Scan(&c.Name, &c.DataType, &c.ColumnType, &c.Charset, &c.Comment, &c.Position, &c.Length, &c.Scale,
			&nullable, &extra, &c.Default, &key); err != nil {
			return nil, err
		}
		extra = strings.ToLower(extra)
		c.Nullable = nullable == "YES"
		c.AutoIncrement = strings.Contains(extra, "auto_increment")
		c.Generated = strings.Contains(extra, "generated") && !strings.Contains(extra, "default_generated")
		if c.DataType == "enum" || c.DataType == "set" {
			if c.EnumValues, err = members(c.ColumnType); err != nil {
				return nil, fmt.Errorf("%s.%s column %s: %w", db, name, c.Name, err)
			}
		}
		if d := catalogDefault(t.flavor, c.Default, extra, c.DataType); d == nil || d.Expression || d.CurrentTimestamp {
			// keep the catalog's text for expressions: defaultValueExpression is the DDL's text
			if d == nil {
				c.Default = sql.NullString{}
			}
		} else {
			c.Default = sql.NullString{String: d.Literal, Valid: true}
		}
		shape.Columns = append(shape.Columns, c)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	krows, err := t.db.QueryContext(ctx, `SELECT COLUMN_NAME FROM information_schema.STATISTICS
		WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND INDEX_NAME = 'PRIMARY' ORDER BY SEQ_IN_INDEX`, db, name)
	if err != nil {
		return nil, fmt.Errorf("read the primary key of %s.%s: %w", db, name, err)
	}
	defer krows.Close()
	for krows.Next() {
		var col string
		if err := krows.Scan(&col); err != nil {
			return nil, err
		}
		shape.PrimaryKey = append(shape.PrimaryKey, col)
	}
	return &shape, krows.Err()
}
