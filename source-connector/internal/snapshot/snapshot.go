package snapshot

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/tandemcdc/tandem/schemas"
	"github.com/tandemcdc/tandem/source-connector/internal/binlog"
	"github.com/tandemcdc/tandem/source-connector/internal/checkpoint"
)

// Emitter takes the snapshot's rows, and the state to save once every row handed over before it is
// acknowledged by Kafka.
type Emitter interface {
	Rows(ctx context.Context, ch *binlog.Change) error
	Checkpoint(ctx context.Context, st checkpoint.State) error
	// Flush sends what the emitter holds back to batch it.
	Flush(ctx context.Context) error
}

// Progress receives the figures of the table being copied, for the operator.
type Progress interface {
	SnapshotProgress(table string, rows, estimate int64, rate, etaSeconds float64)
}

// Copier copies tables through a view.
type Copier struct {
	View      *View
	Describer *binlog.Describer
	ChunkSize int
	Every     time.Duration // how often progress is logged
	Log       *slog.Logger
	Progress  Progress
}

// Plan returns the state of a new snapshot taken through the view: every captured table to copy, and
// streaming to start at the view's position afterwards.
func (c *Copier) Plan(ctx context.Context) (checkpoint.State, error) {
	infos, err := c.Describer.Tables(ctx, c.View.conn)
	if err != nil {
		return checkpoint.State{}, err
	}
	p := &checkpoint.Progress{Tables: []checkpoint.TableName{}}
	for _, ti := range infos {
		p.Tables = append(p.Tables, checkpoint.TableName{DB: ti.DB, Table: ti.Name})
	}
	return checkpoint.State{Position: c.View.Pos, Snapshot: p}, nil
}

// chunk is a run of rows of one table read in one query; last marks the table's final chunk.
type chunk struct {
	table int // index in the progress's Tables
	tb    *binlog.Table
	q     *chunkQuery
	rows  [][]any
	read  time.Time
	last  bool
	err   error
}

// Copy copies what st.Snapshot has left, handing rows to em, and finally checkpoints st without snapshot
// progress: streaming then starts at st.Position.
func (c *Copier) Copy(ctx context.Context, st checkpoint.State, em Emitter) error {
	prog := *st.Snapshot
	estimates := map[checkpoint.TableName]int64{}
	if infos, err := c.Describer.Tables(ctx, c.View.conn); err == nil {
		for _, ti := range infos {
			estimates[checkpoint.TableName{DB: ti.DB, Table: ti.Name}] = ti.Rows
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	chunks := make(chan chunk, 2) // the next chunks are read while this one is converted and sent
	go c.read(ctx, prog, chunks)

	e := newEmission(c, em, st)
	for ch := range chunks {
		if ch.err != nil {
			return ch.err
		}
		if err := e.chunk(ctx, ch, estimates[prog.Tables[ch.table]]); err != nil {
			return err
		}
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err := e.finish(ctx); err != nil {
		return err
	}
	c.Log.Info("snapshot complete; streaming starts at the snapshot's position", "rows", e.total,
		"seconds", time.Since(e.started).Round(time.Millisecond).Seconds(), "position", st.Position.String())
	if err := em.Checkpoint(ctx, checkpoint.State{Position: st.Position}); err != nil {
		return err
	}
	return em.Flush(ctx)
}

// read runs the chunk queries and sends their rows, in order, until every table is read or ctx ends.
func (c *Copier) read(ctx context.Context, prog checkpoint.Progress, out chan<- chunk) {
	defer close(out)
	send := func(ch chunk) bool {
		select {
		case out <- ch:
			return ch.err == nil
		case <-ctx.Done():
			return false
		}
	}
	after := prog.After
	for i, name := range prog.Tables {
		tb, found, err := c.Describer.Describe(ctx, name.DB, name.Table)
		if err == nil && !found {
			c.Log.Warn("snapshot: table no longer exists; its rows come from the binlog", "table", name.String())
			after = nil
			continue
		}
		var q *chunkQuery
		if err == nil {
			q, err = newChunkQuery(tb)
		}
		if err != nil {
			send(chunk{err: fmt.Errorf("snapshot of %s: %w", name, err)})
			return
		}
		if !q.keyed() {
			c.Log.Warn("snapshot: table has no primary or NOT NULL unique key: read in one scan, restarted from its beginning after a crash",
				"table", name.String())
			after = nil
		}
		for {
			n := 0
			ok := true
			err := c.fetch(ctx, q, after, func(rows [][]any, more bool) bool {
				n = len(rows)
				last := !more && (!q.keyed() || len(rows) < c.ChunkSize)
				ok = send(chunk{table: i, tb: tb, q: q, rows: rows, read: time.Now(), last: last})
				if ok && q.keyed() && len(rows) > 0 {
					after = q.keyOf(rows[len(rows)-1])
				}
				return ok
			})
			if err != nil {
				send(chunk{err: fmt.Errorf("snapshot of %s: %w", name, err)})
				return
			}
			if !ok {
				return
			}
			if !q.keyed() || n < c.ChunkSize {
				break
			}
		}
		after = nil
	}
}

// fetch runs one chunk query: the rows with keys after the given one, at most ChunkSize of them, or the
// whole table when it has no key. Rows go to fn ChunkSize at a time; more says another batch of this
// query follows. fn returns false to stop.
func (c *Copier) fetch(ctx context.Context, q *chunkQuery, after [][]byte, fn func(rows [][]any, more bool) bool) error {
	args, err := q.args(after, c.ChunkSize)
	if err != nil {
		return err
	}
	query := q.first
	if after != nil {
		query = q.after
	}
	rs, err := c.View.conn.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rs.Close()
	raw := make([]any, len(q.cols))
	ptrs := make([]any, len(q.cols))
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	var batch [][]any
	for rs.Next() {
		if len(batch) == c.ChunkSize {
			if !fn(batch, true) {
				return nil
			}
			batch = nil
		}
		if err := rs.Scan(ptrs...); err != nil {
			return err
		}
		row := make([]any, len(q.cols))
		for i, col := range q.cols {
			if row[i], err = schemas.BinlogValue(col, raw[i]); err != nil {
				return err
			}
			if b, ok := row[i].([]byte); ok && col.DataType == "json" && c.View.compactJSON {
				var out bytes.Buffer
				if err := json.Compact(&out, b); err != nil {
					return fmt.Errorf("column %s: JSON %w", col.Name, err)
				}
				row[i] = out.Bytes()
			}
		}
		batch = append(batch, row)
	}
	if err := rs.Err(); err != nil {
		return err
	}
	fn(batch, false)
	return nil
}
