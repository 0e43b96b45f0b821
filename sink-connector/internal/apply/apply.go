// Package apply writes a batch plan to the target database in one transaction together with the
// partition's next offset, so a crash at any point neither loses nor double-applies a batch. Every
// statement starts with the marker comment; identifiers are quoted; values are bound by the driver.
package apply

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/tandemcdc/tandem/envelope"
	"github.com/tandemcdc/tandem/schemas"
	"github.com/tandemcdc/tandem/sink-connector/internal/batch"
)

// Applier applies plans. Its table metadata cache is safe for concurrent use.
type Applier struct {
	DB          *sql.DB
	Consumer    string // connector name: the offsets' key
	Marker      string
	OffsetsDB   string
	RowsPerStmt int
	StmtBytes   int // bound on the values of one statement; 0 = none
	BatchLog    bool
	Evolve      bool // schema_evolution=basic
	// Conflict is the last-writer-wins column: upserts change a row only when their value of it is newer
	// (or equal, with WinTies), and deletes remove a row only when it is unchanged since the deleted image.
	Conflict string
	WinTies  bool
	Tables   *Catalog
}

// Result says what a transaction did.
type Result struct {
	Applied    int   // records at or after the stored offset
	NextOffset int64 // stored after the commit
}

// Setup creates the offsets database and tables when missing.
func (a *Applier) Setup(ctx context.Context) error {
	stmts := []string{
		"CREATE DATABASE IF NOT EXISTS " + quote(a.OffsetsDB),
		"CREATE TABLE IF NOT EXISTS " + a.offsetsTable() + ` (
  consumer VARCHAR(190) NOT NULL, topic VARCHAR(249) NOT NULL, kafka_partition INT NOT NULL,
  next_offset BIGINT NOT NULL, updated_at DATETIME(6) NOT NULL,
  PRIMARY KEY (consumer, topic, kafka_partition)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
		// The batch log: per committed transaction, the offsets it was asked to apply, the stored offset it
		// found, and the lowest and highest offset of the changes it actually ran (-1: none). Rows are
		// numbered in commit order (the partition's offset row serialises its transactions).
		"CREATE TABLE IF NOT EXISTS " + a.batchesTable() + ` (
  id BIGINT NOT NULL AUTO_INCREMENT, consumer VARCHAR(190) NOT NULL, topic VARCHAR(249) NOT NULL,
  kafka_partition INT NOT NULL, requested_first BIGINT NOT NULL, requested_last BIGINT NOT NULL,
  stored_before BIGINT NOT NULL, applied_first BIGINT NOT NULL, applied_last BIGINT NOT NULL,
  records INT NOT NULL, applied_at DATETIME(6) NOT NULL,
  PRIMARY KEY (id), KEY (consumer, topic, kafka_partition)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
	}
	for _, s := range stmts {
		if _, err := a.DB.ExecContext(ctx, a.Marker+" "+s); err != nil {
			return fmt.Errorf("create the offsets tables in %s (the sink user needs CREATE there): %w", a.OffsetsDB, err)
		}
	}
	return nil
}

func (a *Applier) offsetsTable() string { return quote(a.OffsetsDB) + ".`tandem_sink_offsets`" }
func (a *Applier) batchesTable() string { return quote(a.OffsetsDB) + ".`tandem_sink_batch_log`" }

// NextOffset reads the offset a partition resumes at; found is false when nothing was applied yet. It
// creates the partition's row (next_offset -1: nothing applied) so that batches lock an existing row.
func (a *Applier) NextOffset(ctx context.Context, topic string, partition int) (next int64, found bool, err error) {
	if _, err := a.DB.ExecContext(ctx, a.Marker+" INSERT IGNORE INTO "+a.offsetsTable()+
		" (consumer, topic, kafka_partition, next_offset, updated_at) VALUES (?, ?, ?, -1, UTC_TIMESTAMP(6))",
		a.Consumer, topic, partition); err != nil {
		return 0, false, fmt.Errorf("create the offset row of %s[%d]: %w", topic, partition, err)
	}
	err = a.DB.QueryRowContext(ctx, a.Marker+" SELECT next_offset FROM "+a.offsetsTable()+
		" WHERE consumer = ? AND topic = ? AND kafka_partition = ?", a.Consumer, topic, partition).Scan(&next)
	if err != nil {
		return 0, false, err
	}
	return next, next >= 0, nil
}

// OffsetRow is one stored offset.
type OffsetRow struct {
	Topic     string
	Partition int
	Next      int64
}

// Offsets lists this connector's stored offsets.
func (a *Applier) Offsets(ctx context.Context) ([]OffsetRow, error) {
	rows, err := a.DB.QueryContext(ctx, a.Marker+" SELECT topic, kafka_partition, next_offset FROM "+a.offsetsTable()+
		" WHERE consumer = ? AND next_offset >= 0 ORDER BY topic, kafka_partition", a.Consumer)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []OffsetRow
	for rows.Next() {
		var r OffsetRow
		if err := rows.Scan(&r.Topic, &r.Partition, &r.Next); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// SetOffset stores next as a partition's resume offset (operators' `offsets set`).
func (a *Applier) SetOffset(ctx context.Context, topic string, partition int, next int64) error {
	_, err := a.DB.ExecContext(ctx, a.Marker+" INSERT INTO "+a.offsetsTable()+
		" (consumer, topic, kafka_partition, next_offset, updated_at) VALUES (?, ?, ?, ?, UTC_TIMESTAMP(6))"+
		" ON DUPLICATE KEY UPDATE next_offset = VALUES(next_offset), updated_at = VALUES(updated_at)", a.Consumer, topic, partition, next)
	return err
}

// Apply runs plan in one transaction: it locks the partition's offset row, skips the whole plan when the
// stored offset is already past lastOffset (the batch was applied before), applies the actions, stores
// lastOffset+1 and commits. Actions and truncates below the stored offset are dropped: that fence is what
// makes a batch delivered twice (a retry after a commit whose reply was lost, two owners of a partition
// overlapping after a rebalance) apply once.
func (a *Applier) Apply(ctx context.Context, topic string, partition int, firstOffset, lastOffset int64, plan *batch.Plan) (Result, error) {
	var res Result
	// Table metadata, and any table or column schema evolution adds, before the transaction: DDL would
	// commit it, and a transaction must not wait for a second connection while it holds one.
	metas := make([]*TableMeta, len(plan.Tables))
	for i, tp := range plan.Tables {
		var err error
		if metas[i], err = a.prepare(ctx, tp); err != nil {
			return res, err
		}
	}
	// READ COMMITTED: no gap locks, so partitions applied in parallel do not block each other.
	tx, err := a.DB.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelReadCommitted})
	if err != nil {
		return res, err
	}
	defer tx.Rollback()
	var stored int64 = -1
	err = tx.QueryRowContext(ctx, a.Marker+" SELECT next_offset FROM "+a.offsetsTable()+
		" WHERE consumer = ? AND topic = ? AND kafka_partition = ? FOR UPDATE", a.Consumer, topic, partition).Scan(&stored)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return res, fmt.Errorf("read the offset of %s[%d]: %w", topic, partition, err)
	}
	if stored > lastOffset {
		res.NextOffset = stored
		return res, tx.Commit() // applied before
	}
	ran := offsetRange{lo: -1, hi: -1}
	for i, tp := range plan.Tables {
		n, err := a.applyTable(ctx, tx, metas[i], tp, stored, &ran)
		if err != nil {
			return res, err
		}
		res.Applied += n
	}
	res.NextOffset = lastOffset + 1
	if _, err := tx.ExecContext(ctx, a.Marker+" INSERT INTO "+a.offsetsTable()+
		" (consumer, topic, kafka_partition, next_offset, updated_at) VALUES (?, ?, ?, ?, UTC_TIMESTAMP(6))"+
		" ON DUPLICATE KEY UPDATE next_offset = VALUES(next_offset), updated_at = VALUES(updated_at)",
		a.Consumer, topic, partition, res.NextOffset); err != nil {
		return res, fmt.Errorf("store the offset of %s[%d]: %w", topic, partition, err)
	}
	if a.BatchLog {
		if _, err := tx.ExecContext(ctx, a.Marker+" INSERT INTO "+a.batchesTable()+
			" (consumer, topic, kafka_partition, requested_first, requested_last, stored_before, applied_first, applied_last, records, applied_at)"+
			" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, UTC_TIMESTAMP(6))",
			a.Consumer, topic, partition, firstOffset, lastOffset, stored, ran.lo, ran.hi, plan.Records); err != nil {
			return res, fmt.Errorf("log the batch of %s[%d]: %w", topic, partition, err)
		}
	}
	return res, tx.Commit()
}

// prepare returns the metadata of a plan's table; with schema_evolution=basic it creates the table and
// adds the columns the plan's rows need.
func (a *Applier) prepare(ctx context.Context, tp *batch.TablePlan) (*TableMeta, error) {
	meta, err := a.Tables.Get(ctx, tp.Table)
	if errors.Is(err, ErrNoTable) && a.Evolve {
		meta, err = a.createTable(ctx, tp)
	}
	if err != nil || !a.Evolve {
		return meta, err
	}
	for _, act := range tp.Actions {
		if act.Row == nil {
			continue
		}
		for _, f := range act.Row.Fields {
			if _, err := meta.column(f.Name); err == nil || f.Schema == nil {
				continue
			}
			if _, err := a.Tables.AddColumn(ctx, meta, f, a.Marker); err != nil {
				return nil, err
			}
		}
	}
	return meta, nil
}

// offsetRange is the lowest and highest offset of the changes a transaction ran; -1 when none.
type offsetRange struct{ lo, hi int64 }

func (r *offsetRange) add(offset int64) {
	if r.lo < 0 || offset < r.lo {
		r.lo = offset
	}
	r.hi = max(r.hi, offset)
}

// applyTable writes one table's actions: deletes first, then upserts grouped by column list. Each key
// has exactly one final action, so this order keeps per-key order. Actions and a truncate from records
// below stored were applied before and are dropped; ran gets the offsets of what runs.
func (a *Applier) applyTable(ctx context.Context, tx *sql.Tx, meta *TableMeta, tp *batch.TablePlan, stored int64, ran *offsetRange) (int, error) {
	if tp.Truncate && tp.TruncateOffset >= stored {
		if _, err := tx.ExecContext(ctx, a.Marker+" DELETE FROM "+meta.quoted); err != nil {
			return 0, fmt.Errorf("truncate %s: %w", tp.Table, err)
		}
		ran.add(tp.TruncateOffset)
	}
	// Statements group actions by marker and by column list (an ALTER in the batch changes it); deletes
	// go first. Each key has exactly one final action, so the order keeps per-key order.
	type groupKey struct {
		delete          bool
		marker, columns string // columns: the column list of upserts and of conflict-guarded deletes
	}
	var order []groupKey
	groups := map[groupKey][]*batch.Action{}
	columns := map[*envelope.Schema]string{} // the rows of a table mostly share one schema
	signature := func(row *envelope.Schema) string {
		sig, ok := columns[row]
		if !ok {
			sig = columnsSignature(row)
			columns[row] = sig
		}
		return sig
	}
	applied := 0
	for _, act := range tp.Actions {
		if act.Offset < stored {
			continue
		}
		applied++
		ran.add(act.Offset)
		k := groupKey{delete: act.Delete, marker: act.Marker}
		if !act.Delete || act.Before != nil {
			k.columns = signature(act.Row)
		}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], act)
	}
	for _, deletes := range []bool{true, false} {
		for _, k := range order {
			if k.delete != deletes {
				continue
			}
			for acts := groups[k]; len(acts) > 0; {
				n := stmtRows(acts, a.RowsPerStmt, a.StmtBytes)
				var err error
				if deletes {
					err = a.delete(ctx, tx, meta, acts[:n])
				} else {
					err = a.upsert(ctx, tx, meta, acts[:n])
				}
				if err != nil {
					return 0, err
				}
				acts = acts[n:]
			}
		}
	}
	return applied, nil
}

// stmtRows is how many of acts the next statement takes: at most maxRows, and no more than fit in
// maxBytes of values (at least one), so that the statement text, which the target's binlog records with
// its values and the target's own source publishes with every row event, stays small.
func stmtRows(acts []*batch.Action, maxRows, maxBytes int) int {
	n := min(len(acts), maxRows)
	if maxBytes <= 0 {
		return n
	}
	size := 0
	for i, act := range acts[:n] {
		size += valuesSize(act.Key) + valuesSize(act.Values)
		if size > maxBytes && i > 0 {
			return i
		}
	}
	return n
}

// valuesSize estimates the bytes values take in statement text.
func valuesSize(values []any) int {
	n := 0
	for _, v := range values {
		switch x := v.(type) {
		case string:
			n += len(x) + 3
		case []byte:
			n += 2*len(x) + 3 // hex
		default:
			n += 8
		}
	}
	return n
}

func columnsSignature(row *envelope.Schema) string {
	var b strings.Builder
	for _, f := range row.Fields {
		b.WriteString(f.Name)
		b.WriteByte(0)
	}
	return b.String()
}

func (a *Applier) marker(act *batch.Action) string {
	if act.Marker != "" {
		return act.Marker
	}
	return a.Marker
}

// delete runs DELETE … WHERE (k1, k2) IN ((?, ?), …), or under a conflict policy
// DELETE … WHERE (k1, k2) = (?, ?) AND (v IS NULL OR v <= ?) OR … with the deleted image's version.
func (a *Applier) delete(ctx context.Context, tx *sql.Tx, meta *TableMeta, acts []*batch.Action) error {
	build := a.deleteStmt
	if a.Conflict != "" && acts[0].Before != nil {
		build = a.deleteUnchangedStmt
	}
	q, args, err := build(meta, acts)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, q, args...); err != nil {
		return fmt.Errorf("delete from %s: %w", meta.Table, err)
	}
	return nil
}

// deleteStmt is the DELETE of acts' keys, and its arguments.
func (a *Applier) deleteStmt(meta *TableMeta, acts []*batch.Action) (string, []any, error) {
	keyCols := acts[0].KeyCols
	cols := make([]string, len(keyCols))
	for i, c := range keyCols {
		col, err := meta.column(c)
		if err != nil {
			return "", nil, err
		}
		cols[i] = quote(col.Name)
	}
	tuple := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
	var q strings.Builder
	q.WriteString(a.marker(acts[0]) + " DELETE FROM " + meta.quoted + " WHERE (" + strings.Join(cols, ", ") + ") IN (")
	args := make([]any, 0, len(acts)*len(cols))
	for i, act := range acts {
		if len(act.KeyCols) != len(keyCols) {
			return "", nil, fmt.Errorf("%s: records with different key columns in one batch", meta.Table)
		}
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString(tuple)
		for j, c := range act.KeyCols {
			v, err := meta.bind(c, keySchema(act, j), act.Key[j])
			if err != nil {
				return "", nil, err
			}
			args = append(args, v)
		}
	}
	q.WriteString(")")
	// Text keys: the rows found by the key under the column's collation ('abc' finds 'ABC') are deleted
	// only when byte-equal to a deleted key, in the same tuple.
	if binCols, binTuple, ok := byteEqualKeys(meta, keyCols); ok {
		q.WriteString(" AND (" + binCols + ") IN (")
		n := len(args)
		for i := range acts {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString(binTuple)
		}
		q.WriteString(")")
		args = append(args, args[:n]...)
	}
	return q.String(), args, nil
}

// byteEqualKeys returns, when some key columns hold text, the key columns and a tuple of placeholders
// that compare them byte for byte: BINARY col against BINARY CONVERT(? USING the column's charset). A
// case-insensitive or accent-insensitive collation, or PAD SPACE, makes 'abc', 'ABC' and 'abc ' one key
// for the index; a delete of 'abc' (the old key of a key change 'abc' -> 'ABC', whose create may be
// applied first from another partition) must not remove the row that became 'ABC'. The plain key IN (…)
// still selects the rows through the index; this is a filter on them.
func byteEqualKeys(meta *TableMeta, keyCols []string) (cols, tuple string, ok bool) {
	var c, p []string
	for _, k := range keyCols {
		col, err := meta.column(k)
		if err != nil {
			return "", "", false
		}
		if col.Charset == "" || col.Charset == "binary" {
			c, p = append(c, quote(col.Name)), append(p, "?")
			continue
		}
		ok = true
		c = append(c, "BINARY "+quote(col.Name))
		p = append(p, "BINARY CONVERT(? USING "+col.Charset+")")
	}
	return strings.Join(c, ", "), "(" + strings.Join(p, ", ") + ")", ok
}

// keySchema is the schema of an action's key column j; nil when the key is untyped.
func keySchema(act *batch.Action, j int) *envelope.Schema {
	if act.KeyRow == nil || j >= len(act.KeyRow.Fields) {
		return nil
	}
	return act.KeyRow.Fields[j].Schema
}

// upsert runs INSERT … VALUES (…), … ON DUPLICATE KEY UPDATE c = VALUES(c), ….
func (a *Applier) upsert(ctx context.Context, tx *sql.Tx, meta *TableMeta, acts []*batch.Action) error {
	q, args, err := a.upsertStmt(meta, acts)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, q, args...); err != nil {
		return fmt.Errorf("upsert into %s: %w", meta.Table, err)
	}
	return nil
}

// upsertStmt is the INSERT … ON DUPLICATE KEY UPDATE of acts (which share one column list), and its
// arguments.
func (a *Applier) upsertStmt(meta *TableMeta, acts []*batch.Action) (string, []any, error) {
	row := acts[0].Row
	cols := make([]string, len(row.Fields))
	for i, f := range row.Fields {
		col, err := meta.column(f.Name)
		if err != nil {
			return "", nil, err
		}
		cols[i] = quote(col.Name)
	}
	tuple := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
	var q strings.Builder
	q.Grow(64 + len(acts)*len(tuple))
	q.WriteString(a.marker(acts[0]) + " INSERT INTO " + meta.quoted + " (" + strings.Join(cols, ", ") + ") VALUES ")
	args := make([]any, 0, len(acts)*len(cols))
	for i, act := range acts {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString(tuple)
		for j, f := range act.Row.Fields {
			if len(act.Row.Fields) != len(row.Fields) {
				return "", nil, fmt.Errorf("%s: rows with different columns in one statement", meta.Table)
			}
			v, err := meta.bind(f.Name, f.Schema, act.Values[j])
			if err != nil {
				return "", nil, err
			}
			args = append(args, v)
		}
	}
	q.WriteString(" ON DUPLICATE KEY UPDATE ")
	if err := a.updateList(&q, meta, cols); err != nil {
		return "", nil, err
	}
	return q.String(), args, nil
}

// updateList writes the ON DUPLICATE KEY UPDATE assignments. Under a conflict policy each is guarded by
// the version comparison, and the version column comes last: MySQL assigns left to right, so the guard
// sees the target's old version in every assignment.
func (a *Applier) updateList(q *strings.Builder, meta *TableMeta, cols []string) error {
	if a.Conflict == "" {
		for i, c := range cols {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString(c + " = VALUES(" + c + ")")
		}
		return nil
	}
	col, err := meta.column(a.Conflict)
	if err != nil {
		return fmt.Errorf("apply.conflict.column: %w", err)
	}
	v := quote(col.Name)
	if !slices.Contains(cols, v) {
		return fmt.Errorf("apply.conflict.column %s is not in the records of %s", col.Name, meta.Table)
	}
	cmp := " > "
	if a.WinTies {
		cmp = " >= "
	}
	guard := "(" + v + " IS NULL OR VALUES(" + v + ")" + cmp + v + ")"
	n := 0
	for _, c := range append(slices.DeleteFunc(slices.Clone(cols), func(c string) bool { return c == v }), v) {
		if n > 0 {
			q.WriteString(", ")
		}
		n++
		q.WriteString(c + " = IF(" + guard + ", VALUES(" + c + "), " + c + ")")
	}
	return nil
}

// deleteUnchangedStmt deletes rows only where the target's version is not newer than the deleted image's:
// a row changed on the target since then survives (an update wins over a concurrent delete).
func (a *Applier) deleteUnchangedStmt(meta *TableMeta, acts []*batch.Action) (string, []any, error) {
	col, err := meta.column(a.Conflict)
	if err != nil {
		return "", nil, fmt.Errorf("apply.conflict.column: %w", err)
	}
	v := quote(col.Name)
	var q strings.Builder
	q.WriteString(a.marker(acts[0]) + " DELETE FROM " + meta.quoted + " WHERE ")
	var args []any
	for i, act := range acts {
		vi := act.Row.FieldIndex(a.Conflict)
		if vi < 0 {
			return "", nil, fmt.Errorf("apply.conflict.column %s is not in the records of %s", a.Conflict, meta.Table)
		}
		if i > 0 {
			q.WriteString(" OR ")
		}
		q.WriteString("(")
		for j, c := range act.KeyCols {
			kc, err := meta.column(c)
			if err != nil {
				return "", nil, err
			}
			val, err := meta.bind(c, keySchema(act, j), act.Key[j])
			if err != nil {
				return "", nil, err
			}
			q.WriteString(quote(kc.Name) + " = ? AND ")
			args = append(args, val)
			if kc.Charset != "" && kc.Charset != "binary" { // byte for byte, as in delete
				q.WriteString("BINARY " + quote(kc.Name) + " = BINARY CONVERT(? USING " + kc.Charset + ") AND ")
				args = append(args, val)
			}
		}
		ver, err := meta.bind(col.Name, act.Row.Fields[vi].Schema, act.Before[vi])
		if err != nil {
			return "", nil, err
		}
		q.WriteString("(" + v + " IS NULL OR " + v + " <= ?))")
		args = append(args, ver)
	}
	return q.String(), args, nil
}

// bind converts one value for the column it goes to; untyped values (schemaless JSON) are typed by the
// target column first.
func (m *TableMeta) bind(name string, s *envelope.Schema, v any) (any, error) {
	col, err := m.column(name)
	if err != nil {
		return nil, err
	}
	if s == nil {
		if s = col.schema; s == nil {
			return nil, fmt.Errorf("%s.%s: column type %s cannot be read from schemaless JSON", m.Table, name, col.DataType)
		}
		if v, err = envelope.ConvertUntyped(s, v); err != nil {
			return nil, fmt.Errorf("%s.%s: %w", m.Table, name, err)
		}
	}
	out, err := schemas.ToSQL(s, v, schemas.Target{Unsigned: col.Unsigned})
	if err != nil {
		return nil, fmt.Errorf("%s.%s: %w", m.Table, name, err)
	}
	if col.DataType == "timestamp" && out == epochTimestamp {
		// A zero TIMESTAMP arrives as the epoch (Debezium's rule for NOT NULL zero dates), which no
		// TIMESTAMP can hold (its range starts one second later): it was the zero date on the source.
		return zeroTimestamp, nil
	}
	return out, nil
}

// epochTimestamp is how schemas.ToSQL binds the epoch of a ZonedTimestamp; zeroTimestamp what it stands
// for in a TIMESTAMP column.
const (
	epochTimestamp = "1970-01-01 00:00:00.000000"
	zeroTimestamp  = "0000-00-00 00:00:00"
)

// quote quotes an identifier; names were validated (no backticks) before they get here.
func quote(name string) string { return "`" + strings.ReplaceAll(name, "`", "``") + "`" }

// createTable creates a missing target table from the first upsert's row schema, keyed by its key
// columns (schema_evolution=basic).
func (a *Applier) createTable(ctx context.Context, tp *batch.TablePlan) (*TableMeta, error) {
	var first *batch.Action
	for _, act := range tp.Actions {
		if !act.Delete && act.Row != nil && (len(act.Row.Fields) == 0 || act.Row.Fields[0].Schema != nil) {
			first = act
			break
		}
	}
	if first == nil {
		return nil, fmt.Errorf("%s: %w, and no record of the batch has a schema to create it from", tp.Table, ErrNoTable)
	}
	stmt, err := createTableStmt(a.Marker, tp.Table, first.Row, first.KeyCols)
	if err != nil {
		return nil, err
	}
	if _, err := a.DB.ExecContext(ctx, stmt); err != nil {
		return nil, fmt.Errorf("create %s: %w", tp.Table, err)
	}
	return a.Tables.Get(ctx, tp.Table)
}
