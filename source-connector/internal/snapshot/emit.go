package snapshot

import (
	"context"
	"time"

	"github.com/tandemcdc/tandem/source-connector/internal/binlog"
	"github.com/tandemcdc/tandem/source-connector/internal/checkpoint"
)

// Debezium's source.snapshot markers.
const (
	markFirst        = "first"
	markFirstInTable = "first_in_data_collection"
	markTrue         = "true"
	markLastInTable  = "last_in_data_collection"
	markLast         = "last"
)

// held is the row read last: its marker depends on what comes after it.
type held struct {
	ch           *chunk
	row          []any
	firstInTable bool
}

// emission turns chunks into changes with the right markers and checkpoints the progress after each.
type emission struct {
	c      *Copier
	em     Emitter
	st     checkpoint.State
	tables []checkpoint.TableName

	first      bool  // no row emitted yet in this snapshot
	resumedMid bool  // tables[0] resumes after a saved key: its first row here is not its first
	pending    *held // the row read last, held back to learn whether it ends its table
	heldTable  int
	group      [][]any // rows marked "true" gathered into one change
	groupOf    *chunk

	// Progress of the rows emitted: what may be saved.
	cur   int      // table of the last emitted row, or the next table after a finished one
	after [][]byte // key of the last emitted row of table cur
	rows  int64    // rows emitted of table cur
	total int64

	// Progress of the rows read: what is reported.
	started, tableStart, lastLog time.Time
	readTable                    int
	read, readAtStart            int64
}

func newEmission(c *Copier, em Emitter, st checkpoint.State) *emission {
	p := st.Snapshot
	now := time.Now()
	return &emission{c: c, em: em, st: st, tables: p.Tables, first: p.Total == 0 && p.After == nil,
		resumedMid: p.After != nil, heldTable: -1, after: p.After, rows: p.Rows, total: p.Total,
		started: now, tableStart: now, lastLog: now, read: p.Rows, readAtStart: p.Rows}
}

func (e *emission) chunk(ctx context.Context, ch chunk, estimate int64) error {
	if ch.table != e.readTable {
		e.readTable, e.tableStart, e.read, e.readAtStart = ch.table, time.Now(), 0, 0
	}
	e.read += int64(len(ch.rows))
	for _, row := range ch.rows {
		firstInTable := ch.table != e.heldTable && !(ch.table == 0 && e.resumedMid)
		if e.pending != nil {
			if err := e.emit(ctx, e.pending, e.pending.ch.table != ch.table, false); err != nil {
				return err
			}
		}
		e.pending, e.heldTable = &held{ch: &ch, row: row, firstInTable: firstInTable}, ch.table
	}
	if err := e.flushGroup(ctx); err != nil {
		return err
	}
	if ch.last || time.Since(e.lastLog) >= e.c.Every {
		e.report(ch, estimate)
	}
	if err := e.em.Checkpoint(ctx, e.state()); err != nil {
		return err
	}
	return e.em.Flush(ctx)
}

// report logs and publishes the progress of the table being read.
func (e *emission) report(ch chunk, estimate int64) {
	e.lastLog = time.Now()
	elapsed := time.Since(e.tableStart).Seconds()
	rate := 0.0
	if elapsed > 0 {
		rate = float64(e.read-e.readAtStart) / elapsed
	}
	estimate = max(estimate, e.read)
	eta := 0.0
	if rate > 0 && !ch.last {
		eta = float64(estimate-e.read) / rate
	}
	if ch.last {
		estimate = e.read
	}
	name := e.tables[ch.table].String()
	if e.c.Progress != nil {
		e.c.Progress.SnapshotProgress(name, e.read, estimate, rate, eta)
	}
	msg := "snapshot progress"
	if ch.last {
		msg = "snapshot of table done"
	}
	e.c.Log.Info(msg, "table", name, "rows", e.read, "estimated_total", estimate, "rows_per_second", int64(rate),
		"eta", (time.Duration(eta) * time.Second).String(), "table_number", ch.table+1, "tables", len(e.tables))
}

func (e *emission) finish(ctx context.Context) error {
	if e.pending != nil {
		if err := e.emit(ctx, e.pending, true, true); err != nil {
			return err
		}
	}
	return e.flushGroup(ctx)
}

// emit hands over a held row with its marker: the first of the snapshot, the last, the first or last of
// its table, or neither.
func (e *emission) emit(ctx context.Context, h *held, lastInTable, lastOfAll bool) error {
	mark := markTrue
	switch {
	case e.first:
		mark = markFirst
	case lastOfAll:
		mark = markLast
	case h.firstInTable:
		mark = markFirstInTable
	case lastInTable:
		mark = markLastInTable
	}
	e.first = false
	if mark != markTrue || e.groupOf != h.ch {
		if err := e.flushGroup(ctx); err != nil {
			return err
		}
	}
	if mark != markTrue {
		if err := e.send(ctx, h.ch, [][]any{h.row}, mark); err != nil {
			return err
		}
	} else {
		e.group, e.groupOf = append(e.group, h.row), h.ch
	}
	if h.ch.table != e.cur {
		e.cur, e.rows = h.ch.table, 0
	}
	e.rows++
	e.total++
	if h.ch.q.keyed() {
		e.after = h.ch.q.keyOf(h.row)
	}
	if lastInTable {
		e.cur, e.after, e.rows = h.ch.table+1, nil, 0
	}
	return nil
}

func (e *emission) flushGroup(ctx context.Context) error {
	if len(e.group) == 0 {
		return nil
	}
	err := e.send(ctx, e.groupOf, e.group, markTrue)
	e.group, e.groupOf = nil, nil
	return err
}

func (e *emission) send(ctx context.Context, ch *chunk, rows [][]any, mark string) error {
	pos := e.c.View.Pos
	return e.em.Rows(ctx, &binlog.Change{Table: ch.tb, Kind: binlog.Read, Rows: rows, File: pos.File, Pos: pos.Pos,
		Time: ch.read, Snapshot: mark})
}

// state is what may be saved once everything emitted so far is acknowledged.
func (e *emission) state() checkpoint.State {
	p := &checkpoint.Progress{Tables: e.tables[min(e.cur, len(e.tables)):], Rows: e.rows, Total: e.total}
	if e.cur < len(e.tables) {
		p.After = e.after
		if e.after == nil {
			p.Rows = 0 // a table without a key restarts from its beginning
		}
	}
	return checkpoint.State{Position: e.st.Position, Snapshot: p}
}
