package binlog

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/tandemcdc/tandem/schemas"
)

// Describer reads the definitions of captured tables from information_schema, for the snapshot, which
// has no TABLE_MAP events to read them from. A table described here gets the same columns, key and schemas
// as from its TABLE_MAP event.
type Describer struct{ t *tables }

// NewDescriber returns a describer with the reader's naming, type modes and filter.
func NewDescriber(db *sql.DB, flavor, prefix, connector string, opt schemas.Options, filter *Filter) *Describer {
	return &Describer{t: newTables(db, flavor, prefix, connector, opt, filter)}
}

// TableInfo is a captured base table and the server's estimate of its row count.
type TableInfo struct {
	DB, Name string
	Rows     int64
}

// Tables lists the captured base tables in name order.
func (d *Describer) Tables(ctx context.Context, q Querier) ([]TableInfo, error) {
	rows, err := q.QueryContext(ctx, `SELECT TABLE_SCHEMA, TABLE_NAME, COALESCE(TABLE_ROWS, 0) FROM information_schema.TABLES
		WHERE TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_SCHEMA, TABLE_NAME`)
	if err != nil {
		return nil, fmt.Errorf("list tables from information_schema: %w", err)
	}
	defer rows.Close()
	var out []TableInfo
	for rows.Next() {
		var ti TableInfo
		if err := rows.Scan(&ti.DB, &ti.Name, &ti.Rows); err != nil {
			return nil, err
		}
		if d.t.filter.Captures(ti.DB, ti.Name) {
			out = append(out, ti)
		}
	}
	return out, rows.Err()
}

// Describe returns a captured table; found is false when the table does not exist.
func (d *Describer) Describe(ctx context.Context, db, name string) (tb *Table, found bool, err error) {
	rows, err := d.t.db.QueryContext(ctx, `SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, IS_NULLABLE,
			COALESCE(NUMERIC_PRECISION, 0), COALESCE(NUMERIC_SCALE, 0), COALESCE(DATETIME_PRECISION, 0),
			COALESCE(CHARACTER_SET_NAME, ''), COALESCE(COLLATION_NAME, ''), COALESCE(CHARACTER_OCTET_LENGTH, 0)
		FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`, db, name)
	if err != nil {
		return nil, false, fmt.Errorf("read columns of %s.%s from information_schema: %w", db, name, err)
	}
	defer rows.Close()
	var cols []schemas.Column
	for rows.Next() {
		var c schemas.Column
		var columnType, nullable string
		var precision, scale, fsp, octets int64
		if err := rows.Scan(&c.Name, &c.DataType, &columnType, &nullable, &precision, &scale, &fsp, &c.Charset, &c.Collation, &octets); err != nil {
			return nil, false, err
		}
		c.Nullable = nullable == "YES"
		c.Unsigned = strings.Contains(columnType, "unsigned")
		switch c.DataType {
		case "decimal", "numeric":
			c.Precision, c.Scale = int(precision), int(scale)
		case "bit":
			c.Length = int(precision)
		case "time", "datetime", "timestamp":
			c.FSP = int(fsp)
		case "binary":
			c.Length = int(octets)
		case "enum", "set":
			if c.Values, err = members(columnType); err != nil {
				return nil, false, fmt.Errorf("%s.%s column %s: %w", db, name, c.Name, err)
			}
		}
		cols = append(cols, c)
	}
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	if len(cols) == 0 {
		return nil, false, nil
	}
	if d.t.flavor == "mariadb" {
		jsonCols, err := d.t.jsonColumns(ctx, db, name)
		if err != nil {
			return nil, false, err
		}
		for i := range cols {
			if jsonCols[cols[i].Name] {
				cols[i].DataType = "json"
			}
		}
	}
	defaults, err := d.t.defaults(ctx, db, name)
	if err != nil {
		return nil, false, err
	}
	applyDefaults(cols, defaults)
	key, err := d.t.uniqueKey(ctx, db, name, cols)
	if err != nil {
		return nil, false, err
	}
	tb, err = d.t.build(db, name, cols, key)
	return tb, err == nil, err
}

// members parses the members of enum('a','b”c') or set(…) as information_schema's COLUMN_TYPE shows them.
func members(columnType string) ([]string, error) {
	open := strings.IndexByte(columnType, '(')
	if open < 0 || !strings.HasSuffix(columnType, ")") {
		return nil, fmt.Errorf("cannot read members of %q", columnType)
	}
	s := columnType[open+1 : len(columnType)-1]
	var out []string
	for len(s) > 0 {
		if s[0] != '\'' {
			return nil, fmt.Errorf("cannot read members of %q", columnType)
		}
		var b strings.Builder
		i := 1
		for ; i < len(s); i++ {
			if s[i] == '\\' && i+1 < len(s) {
				i++
				b.WriteByte(s[i])
				continue
			}
			if s[i] == '\'' {
				if i+1 < len(s) && s[i+1] == '\'' {
					b.WriteByte('\'')
					i++
					continue
				}
				break
			}
			b.WriteByte(s[i])
		}
		if i >= len(s) {
			return nil, fmt.Errorf("unterminated member in %q", columnType)
		}
		out = append(out, b.String())
		s = s[i+1:]
		if len(s) > 0 {
			if s[0] != ',' {
				return nil, fmt.Errorf("cannot read members of %q", columnType)
			}
			s = s[1:]
		}
	}
	return out, nil
}
