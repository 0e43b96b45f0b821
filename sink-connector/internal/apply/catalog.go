package apply

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"

	"github.com/go-sql-driver/mysql"
	"github.com/tandemcdc/tandem/envelope"
	"github.com/tandemcdc/tandem/schemas"
	"github.com/tandemcdc/tandem/sink-connector/internal/batch"
)

// ErrNoTable is returned for a target table that does not exist (and is not created).
var ErrNoTable = errors.New("target table does not exist")

// TableMeta is what the sink knows of a target table.
type TableMeta struct {
	Table   batch.Table
	quoted  string
	columns map[string]*Column // by lower-case name: MySQL column names are case-insensitive
}

// Column is one target column.
type Column struct {
	Name     string
	DataType string
	Unsigned bool
	// Charset is the character set of a text column ("" for other columns): deletes compare its key
	// values byte for byte in it (see byteEqualKeys).
	Charset string
	schema  *envelope.Schema // how schemaless values for it are read; nil when not readable
}

func (m *TableMeta) column(name string) (*Column, error) {
	c := m.columns[strings.ToLower(name)]
	if c == nil {
		return nil, fmt.Errorf("%s has no column %q (set apply.schema_evolution=basic to add it)", m.Table, name)
	}
	return c, nil
}

// Catalog caches target table metadata from information_schema. It is safe for concurrent use.
type Catalog struct {
	DB *sql.DB

	mu     sync.Mutex
	tables map[batch.Table]*TableMeta
}

// Get returns a table's metadata, reading it on first use.
func (c *Catalog) Get(ctx context.Context, t batch.Table) (*TableMeta, error) {
	c.mu.Lock()
	m := c.tables[t]
	c.mu.Unlock()
	if m != nil {
		return m, nil
	}
	m, err := c.load(ctx, t)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.tables == nil {
		c.tables = map[batch.Table]*TableMeta{}
	}
	c.tables[t] = m
	c.mu.Unlock()
	return m, nil
}

// Forget drops a table's metadata (after a schema change).
func (c *Catalog) Forget(t batch.Table) {
	c.mu.Lock()
	delete(c.tables, t)
	c.mu.Unlock()
}

func (c *Catalog) load(ctx context.Context, t batch.Table) (*TableMeta, error) {
	rows, err := c.DB.QueryContext(ctx, `SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, IS_NULLABLE,
		COALESCE(NUMERIC_PRECISION, 0), COALESCE(NUMERIC_SCALE, 0), COALESCE(DATETIME_PRECISION, 0),
		COALESCE(CHARACTER_MAXIMUM_LENGTH, 0), COALESCE(CHARACTER_SET_NAME, '')
		FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`, t.DB, t.Name)
	if err != nil {
		return nil, fmt.Errorf("read the columns of %s: %w", t, err)
	}
	defer rows.Close()
	m := &TableMeta{Table: t, quoted: quote(t.DB) + "." + quote(t.Name), columns: map[string]*Column{}}
	for rows.Next() {
		var name, dataType, colType, nullable, charset string
		var precision, scale, fsp, length int64
		if err := rows.Scan(&name, &dataType, &colType, &nullable, &precision, &scale, &fsp, &length, &charset); err != nil {
			return nil, err
		}
		if !charsetName.MatchString(charset) {
			return nil, fmt.Errorf("%s.%s: unexpected character set name %q", t, name, charset)
		}
		col := &Column{Name: name, DataType: dataType, Unsigned: strings.Contains(colType, "unsigned"), Charset: charset}
		sc := schemas.Column{Name: name, DataType: dataType, Unsigned: col.Unsigned, Nullable: nullable == "YES",
			Precision: int(precision), Scale: int(scale), FSP: int(fsp), Length: int(length)}
		if dataType == "bit" {
			sc.Length = int(precision)
		}
		if dataType == "enum" || dataType == "set" {
			sc.Values = enumValues(colType)
		}
		col.schema, _ = schemas.Options{}.FieldSchema(sc)
		m.columns[strings.ToLower(name)] = col
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(m.columns) == 0 {
		return nil, fmt.Errorf("%s: %w", t, ErrNoTable)
	}
	return m, nil
}

// charsetName is what a character set name from information_schema may look like: it is written into
// CONVERT(… USING name).
var charsetName = regexp.MustCompile(`^[A-Za-z0-9_]*$`)

// enumValues reads the members of enum('a','b') or set('a','b').
func enumValues(colType string) []string {
	open, close := strings.IndexByte(colType, '('), strings.LastIndexByte(colType, ')')
	if open < 0 || close <= open {
		return nil
	}
	var out []string
	for _, part := range strings.Split(colType[open+1:close], "','") {
		out = append(out, strings.ReplaceAll(strings.Trim(part, "'"), "''", "'"))
	}
	return out
}

// AddColumn adds a column for a new field (schema_evolution=basic) and returns it.
func (c *Catalog) AddColumn(ctx context.Context, m *TableMeta, f envelope.Field, marker string) (*Column, error) {
	stmt, err := addColumnStmt(marker, m.quoted, f)
	if err != nil {
		return nil, fmt.Errorf("%s: add column %s: %w", m.Table, f.Name, err)
	}
	// MySQL has no ADD COLUMN IF NOT EXISTS (MariaDB's): a column another sink added meanwhile is error 1060.
	var dup *mysql.MySQLError
	if _, err := c.DB.ExecContext(ctx, stmt); err != nil && !(errors.As(err, &dup) && dup.Number == 1060) {
		return nil, fmt.Errorf("%s: add column %s: %w", m.Table, f.Name, err)
	}
	c.Forget(m.Table)
	fresh, err := c.Get(ctx, m.Table)
	if err != nil {
		return nil, err
	}
	*m = *fresh
	return m.column(f.Name)
}
