package snapshot

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/tandemcdc/tandem/envelope"
	"github.com/tandemcdc/tandem/schemas"
	"github.com/tandemcdc/tandem/source-connector/internal/binlog"
	"github.com/tandemcdc/tandem/source-connector/internal/checkpoint"
)

func table(t *testing.T, name string, key ...string) *binlog.Table {
	t.Helper()
	cols := []schemas.Column{{Name: "id", DataType: "int"}, {Name: "code", DataType: "varchar", Charset: "latin1", Collation: "latin1_swedish_ci"}, {Name: "v", DataType: "int", Nullable: true}}
	fields, err := schemas.Options{}.Fields(cols)
	if err != nil {
		t.Fatal(err)
	}
	wire, err := envelope.NewTable("p", "db", name, fields, key, envelope.SourceSchema("mariadb"))
	if err != nil {
		t.Fatal(err)
	}
	return &binlog.Table{DB: "db", Name: name, Columns: cols, Wire: wire}
}

func TestChunkQuery(t *testing.T) {
	q, err := newChunkQuery(table(t, "t", "id", "code"))
	if err != nil {
		t.Fatal(err)
	}
	want := "SELECT `id`, `code`, `v` FROM `db`.`t` WHERE (`id` > ?) OR (`id` = ? AND `code` > CONVERT(? USING latin1) COLLATE latin1_swedish_ci) ORDER BY `id`, `code` LIMIT ?"
	if q.after != want {
		t.Errorf("after query\n%s\nwant\n%s", q.after, want)
	}
	key := q.keyOf([]any{int64(-7), []byte("caf\xe9"), nil})
	args, err := q.args(key, 100)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprintf("%#v", args); got != `[]interface {}{-7, -7, []uint8{0x63, 0x61, 0x66, 0xe9}, 100}` {
		t.Errorf("args %s", got)
	}
	if _, err := q.args([][]byte{[]byte("x")}, 1); err == nil {
		t.Error("a saved key of the wrong width was accepted")
	}
	keyless, err := newChunkQuery(table(t, "n"))
	if err != nil || keyless.keyed() || keyless.first != "SELECT `id`, `code`, `v` FROM `db`.`n` LIMIT ?" {
		t.Errorf("keyless query %q %v", keyless.first, err)
	}
}

type fakeEmitter struct {
	records []string
	states  []checkpoint.State
}

func (f *fakeEmitter) Rows(_ context.Context, ch *binlog.Change) error {
	for _, r := range ch.Rows {
		f.records = append(f.records, fmt.Sprintf("%s:%v:%s", ch.Table.Name, r[0], ch.Snapshot))
	}
	return nil
}

func (f *fakeEmitter) Checkpoint(_ context.Context, st checkpoint.State) error {
	f.states = append(f.states, st)
	return nil
}

func (f *fakeEmitter) Flush(context.Context) error { return nil }

// TestMarkers: the first and last rows of the snapshot and of each table get Debezium's markers, empty
// tables are skipped over, and the saved progress names the last emitted row.
func TestMarkers(t *testing.T) {
	a, b, c := table(t, "a", "id"), table(t, "b", "id"), table(t, "c")
	qa, _ := newChunkQuery(a)
	qb, _ := newChunkQuery(b)
	qc, _ := newChunkQuery(c)
	row := func(id int64) []any { return []any{id, []byte("x"), nil} }
	names := []checkpoint.TableName{{DB: "db", Table: "a"}, {DB: "db", Table: "b"}, {DB: "db", Table: "c"}}
	em := &fakeEmitter{}
	cp := &Copier{Every: time.Hour, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), View: &View{}}
	e := newEmission(cp, em, checkpoint.State{Snapshot: &checkpoint.Progress{Tables: names}})
	ctx := context.Background()
	for _, ch := range []chunk{
		{table: 0, tb: a, q: qa, rows: [][]any{row(1), row(2)}},
		{table: 0, tb: a, q: qa, rows: [][]any{row(3)}, last: true},
		{table: 1, tb: b, q: qb, last: true},
		{table: 2, tb: c, q: qc, rows: [][]any{row(7), row(8)}, last: true},
	} {
		if err := e.chunk(ctx, ch, 0); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.finish(ctx); err != nil {
		t.Fatal(err)
	}
	want := "a:1:first a:2:true a:3:last_in_data_collection c:7:first_in_data_collection c:8:last"
	if got := strings.Join(em.records, " "); got != want {
		t.Errorf("records\n%s\nwant\n%s", got, want)
	}
	// After the first chunk, row 2 is held back (it might end its table): resume after key 1 of table a.
	if p := em.states[0].Snapshot; len(p.Tables) != 3 || string(p.After[0]) != "1" || p.Rows != 1 {
		t.Errorf("first checkpoint %s", em.states[0])
	}
	// After table b: row 3 is still held back, so table a resumes after key 2.
	if p := em.states[2].Snapshot; p.Tables[0].Table != "a" || string(p.After[0]) != "2" {
		t.Errorf("third checkpoint %s", em.states[2])
	}
	// Table c has no key: a crash inside it restarts it from its beginning.
	if p := em.states[3].Snapshot; p.Tables[0].Table != "c" || p.After != nil || p.Total != 4 {
		t.Errorf("last checkpoint %s", em.states[3])
	}
}

func TestResumedMarkers(t *testing.T) {
	a := table(t, "a", "id")
	qa, _ := newChunkQuery(a)
	em := &fakeEmitter{}
	cp := &Copier{Every: time.Hour, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), View: &View{}}
	e := newEmission(cp, em, checkpoint.State{Snapshot: &checkpoint.Progress{Tables: []checkpoint.TableName{{DB: "db", Table: "a"}},
		After: [][]byte{[]byte("5")}, Rows: 5, Total: 5}})
	if err := e.chunk(context.Background(), chunk{table: 0, tb: a, q: qa, rows: [][]any{{int64(6), []byte("x"), nil}, {int64(7), []byte("y"), nil}}, last: true}, 0); err != nil {
		t.Fatal(err)
	}
	if err := e.finish(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(em.records, " "); got != "a:6:true a:7:last" {
		t.Errorf("resumed records %s", got)
	}
}
