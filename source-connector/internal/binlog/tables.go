package binlog

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/go-mysql-org/go-mysql/replication"

	"github.com/tandemcdc/tandem/envelope"
	"github.com/tandemcdc/tandem/schemas"
	"github.com/tandemcdc/tandem/schemas/tablemap"
)

// Table is a captured table as one TABLE_MAP event describes it. After an ALTER TABLE the server gives the
// table a new table id, so rows before and after the change decode with their own columns.
type Table struct {
	DB, Name string
	Columns  []schemas.Column // the captured columns, in table order
	Keep     []int            // positions of the captured columns in the binlog row
	Wire     *envelope.Table  // key and envelope schemas
}

// Filter decides what is captured. Patterns match whole names.
type Filter struct {
	includeDB, excludeDB, includeTable, excludeTable, excludeColumn []*regexp.Regexp
}

// NewFilter compiles the patterns of the filters section.
func NewFilter(includeDB, excludeDB, includeTable, excludeTable, excludeColumn []string) (*Filter, error) {
	f := &Filter{}
	for _, c := range []struct {
		dst  *[]*regexp.Regexp
		list []string
	}{{&f.includeDB, includeDB}, {&f.excludeDB, excludeDB}, {&f.includeTable, includeTable},
		{&f.excludeTable, excludeTable}, {&f.excludeColumn, excludeColumn}} {
		for _, p := range c.list {
			re, err := regexp.Compile(`^(?:` + p + `)$`)
			if err != nil {
				return nil, fmt.Errorf("filter %q: %w", p, err)
			}
			*c.dst = append(*c.dst, re)
		}
	}
	return f, nil
}

func matchAny(res []*regexp.Regexp, s string) bool {
	for _, re := range res {
		if re.MatchString(s) {
			return true
		}
	}
	return false
}

// systemDatabases are never captured.
var systemDatabases = map[string]bool{"mysql": true, "information_schema": true, "performance_schema": true, "sys": true}

// Captures reports whether rows of db.table are captured.
func (f *Filter) Captures(db, table string) bool {
	if systemDatabases[db] {
		return false
	}
	if len(f.includeDB) > 0 && !matchAny(f.includeDB, db) || matchAny(f.excludeDB, db) {
		return false
	}
	full := db + "." + table
	return (len(f.includeTable) == 0 || matchAny(f.includeTable, full)) && !matchAny(f.excludeTable, full)
}

func (f *Filter) excludesColumn(db, table, column string) bool {
	return matchAny(f.excludeColumn, db+"."+table+"."+column)
}

// tables resolves TABLE_MAP events into captured tables, asking information_schema for what the binlog
// lacks: JSON columns on MariaDB and the unique key of a table without a primary key.
type tables struct {
	db        *sql.DB // information_schema access with the replication user
	flavor    string
	prefix    string
	connector string
	opt       schemas.Options
	filter    *Filter
	byID      map[uint64]*cachedMap
	source    *envelope.Schema
}

// cachedMap is the TABLE_MAP a table id stood for when it was last seen, and what it resolved to. Table
// ids are reused (they restart with the server, and a binlog stretch may span a restart), so every
// TABLE_MAP is compared with it before it is used.
type cachedMap struct {
	ev    *replication.TableMapEvent
	table *Table // nil: not captured
}

// sameMap reports whether two TABLE_MAP events describe the same table with the same columns.
func sameMap(a, b *replication.TableMapEvent) bool {
	return bytes.Equal(a.Table, b.Table) && bytes.Equal(a.Schema, b.Schema) && a.ColumnCount == b.ColumnCount &&
		bytes.Equal(a.ColumnType, b.ColumnType) && slices.Equal(a.ColumnMeta, b.ColumnMeta) &&
		bytes.Equal(a.NullBitmap, b.NullBitmap) && bytes.Equal(a.SignednessBitmap, b.SignednessBitmap) &&
		slices.Equal(a.ColumnCharset, b.ColumnCharset) && slices.Equal(a.DefaultCharset, b.DefaultCharset) &&
		slices.Equal(a.EnumSetColumnCharset, b.EnumSetColumnCharset) && slices.Equal(a.EnumSetDefaultCharset, b.EnumSetDefaultCharset) &&
		slices.Equal(a.PrimaryKey, b.PrimaryKey) && slices.Equal(a.PrimaryKeyPrefix, b.PrimaryKeyPrefix) &&
		slices.Equal(a.GeometryType, b.GeometryType) &&
		slices.EqualFunc(a.ColumnName, b.ColumnName, bytes.Equal) &&
		slices.EqualFunc(a.EnumStrValue, b.EnumStrValue, sameValues) &&
		slices.EqualFunc(a.SetStrValue, b.SetStrValue, sameValues)
}

func sameValues(a, b [][]byte) bool { return slices.EqualFunc(a, b, bytes.Equal) }

func newTables(db *sql.DB, flavor, prefix, connector string, opt schemas.Options, filter *Filter) *tables {
	return &tables{db: db, flavor: flavor, prefix: prefix, connector: connector, opt: opt, filter: filter,
		byID: map[uint64]*cachedMap{}, source: envelope.SourceSchema(connector)}
}

// forget drops what is known of db's tables (after DDL on it), of every table when db is "" (where table
// ids may restart: a new binlog file, a format description).
func (t *tables) forget(db string) {
	if db == "" {
		clear(t.byID)
		return
	}
	for id, c := range t.byID {
		if c.table == nil || c.table.DB == db {
			delete(t.byID, id)
		}
	}
}

// resolve returns the table of a TABLE_MAP event, nil when it is not captured. The event is checked
// against the one its table id stood for before: a different table or other columns are resolved anew.
func (t *tables) resolve(ctx context.Context, ev *replication.TableMapEvent) (*Table, error) {
	if c, ok := t.byID[ev.TableID]; ok && (c.ev == ev || sameMap(c.ev, ev)) {
		c.ev = ev
		return c.table, nil
	}
	db, name := string(ev.Schema), string(ev.Table)
	if !t.filter.Captures(db, name) {
		t.byID[ev.TableID] = &cachedMap{ev: ev}
		return nil, nil
	}
	var jsonCols map[string]bool
	if t.flavor == "mariadb" {
		var err error
		if jsonCols, err = t.jsonColumns(ctx, db, name); err != nil {
			return nil, err
		}
	}
	cols, key, err := tablemap.Columns(ev, jsonCols)
	if err != nil {
		return nil, err
	}
	defaults, err := t.defaults(ctx, db, name)
	if err != nil {
		return nil, err
	}
	applyDefaults(cols, defaults)
	if len(key) == 0 {
		if key, err = t.uniqueKey(ctx, db, name, cols); err != nil {
			return nil, err
		}
	}
	tb, err := t.build(db, name, cols, key)
	if err != nil {
		return nil, err
	}
	t.byID[ev.TableID] = &cachedMap{ev: ev, table: tb}
	return tb, nil
}

// build makes the captured table out of all its columns and its key: excluded columns are left out.
func (t *tables) build(db, name string, cols []schemas.Column, key []string) (*Table, error) {
	tb := &Table{DB: db, Name: name}
	for i, c := range cols {
		if t.filter.excludesColumn(db, name, c.Name) {
			for _, k := range key {
				if k == c.Name {
					return nil, fmt.Errorf("table %s.%s: key column %s cannot be excluded (filters.exclude_columns)", db, name, c.Name)
				}
			}
			continue
		}
		tb.Columns = append(tb.Columns, c)
		tb.Keep = append(tb.Keep, i)
	}
	fields, err := t.opt.Fields(tb.Columns)
	if err != nil {
		return nil, fmt.Errorf("table %s.%s: %w", db, name, err)
	}
	if tb.Wire, err = envelope.NewTable(t.prefix, db, name, fields, key, t.source); err != nil {
		return nil, err
	}
	return tb, nil
}

// jsonColumns lists MariaDB JSON columns: LONGTEXT with a json_valid check.
func (t *tables) jsonColumns(ctx context.Context, db, table string) (map[string]bool, error) {
	rows, err := t.db.QueryContext(ctx, `SELECT CONSTRAINT_NAME, CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS
		WHERE CONSTRAINT_SCHEMA = ? AND TABLE_NAME = ?`, db, table)
	if err != nil {
		return nil, fmt.Errorf("read JSON columns of %s.%s from information_schema: %w", db, table, err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var name, clause string
		if err := rows.Scan(&name, &clause); err != nil {
			return nil, err
		}
		if clause == "json_valid(`"+strings.ReplaceAll(name, "`", "``")+"`)" {
			out[name] = true
		}
	}
	return out, rows.Err()
}

// uniqueKey returns the columns of the first unique index whose columns are all NOT NULL, as Debezium picks
// a key for a table without a primary key; none means the Kafka key is null.
func (t *tables) uniqueKey(ctx context.Context, db, table string, cols []schemas.Column) ([]string, error) {
	rows, err := t.db.QueryContext(ctx, `SELECT INDEX_NAME, COLUMN_NAME, NULLABLE FROM information_schema.STATISTICS
		WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND NON_UNIQUE = 0 ORDER BY INDEX_NAME = 'PRIMARY' DESC, INDEX_NAME, SEQ_IN_INDEX`, db, table)
	if err != nil {
		return nil, fmt.Errorf("read unique keys of %s.%s from information_schema: %w", db, table, err)
	}
	defer rows.Close()
	type index struct {
		cols     []string
		nullable bool
	}
	var order []string
	indexes := map[string]*index{}
	for rows.Next() {
		var name, col, nullable string
		if err := rows.Scan(&name, &col, &nullable); err != nil {
			return nil, err
		}
		ix := indexes[name]
		if ix == nil {
			ix = &index{}
			indexes[name] = ix
			order = append(order, name)
		}
		ix.cols = append(ix.cols, col)
		ix.nullable = ix.nullable || nullable == "YES"
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	known := map[string]bool{}
	for _, c := range cols {
		known[c.Name] = true
	}
	for _, name := range order {
		ix := indexes[name]
		ok := !ix.nullable
		for _, c := range ix.cols {
			ok = ok && known[c]
		}
		if ok {
			return ix.cols, nil
		}
	}
	return nil, nil
}
