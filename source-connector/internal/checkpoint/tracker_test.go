package checkpoint

import (
	"context"
	"path/filepath"
	"sync"
	"testing"

	"github.com/tandemcdc/tandem/source-connector/internal/binlog"
)

func pos(n uint32) State { return State{Position: binlog.Position{File: "f", Pos: n}} }

// TestTrackerOrder: a position is acknowledged only when its transaction and every earlier one are.
func TestTrackerOrder(t *testing.T) {
	tr := NewTracker(pos(1))
	a, b, c := tr.Open(), tr.Open(), tr.Open()
	tr.Add(a, 2)
	tr.Add(b, 1)
	tr.Close(a, pos(10))
	tr.Close(b, pos(20))
	tr.Close(c, pos(30)) // no records: done as soon as a and b are

	tr.Ack(b, 1) // b done before a: nothing moves
	if p, _ := tr.Acked(); p.Position != pos(1).Position {
		t.Fatalf("acked %v before the first transaction was", p)
	}
	tr.Ack(a, 1)
	if p, _ := tr.Acked(); p.Position != pos(1).Position {
		t.Fatalf("acked %v with a record of a pending", p)
	}
	tr.Ack(a, 1)
	if p, _ := tr.Acked(); p.Position != pos(30).Position {
		t.Fatalf("acked %v, want all three transactions", p)
	}
	if tr.InFlight() != 0 {
		t.Errorf("%d transactions left", tr.InFlight())
	}
	d := tr.Open()
	tr.Add(d, 1)
	tr.Close(d, pos(40))
	if p, _ := tr.Acked(); p.Position != pos(30).Position {
		t.Fatalf("acked %v before the record of d", p)
	}
}

func TestTrackerConcurrentAcks(t *testing.T) {
	tr := NewTracker(pos(0))
	var wg sync.WaitGroup
	for i := uint32(1); i <= 1000; i++ {
		tx := tr.Open()
		tr.Add(tx, 3)
		tr.Close(tx, pos(i))
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 3; j++ {
				tr.Ack(tx, 1)
			}
		}()
	}
	wg.Wait()
	if p, _ := tr.Acked(); p.Position != pos(1000).Position {
		t.Fatalf("acked %v, want the last", p)
	}
}

func TestFileStore(t *testing.T) {
	ctx := context.Background()
	s := &FileStore{Path: filepath.Join(t.TempDir(), "pos.json")}
	if _, found, err := s.Load(ctx); found || err != nil {
		t.Fatalf("empty store: found=%v err=%v", found, err)
	}
	want := State{Position: binlog.Position{GTID: "0-1-42", File: "mariadb-bin.000003", Pos: 1234},
		Snapshot: &Progress{Tables: []TableName{{"db", "t2"}, {"db", "t3"}}, After: [][]byte{[]byte("17"), {0, 255}}, Rows: 17, Total: 40}}
	if err := s.Save(ctx, want); err != nil {
		t.Fatal(err)
	}
	got, found, err := s.Load(ctx)
	if err != nil || !found || got.String() != want.String() {
		t.Fatalf("loaded %v %v %v, want %v", got, found, err, want)
	}
	// An empty GTID position (a server whose binlog had no transaction yet) is a real position.
	if err := s.Save(ctx, State{}); err != nil {
		t.Fatal(err)
	}
	if _, found, _ := s.Load(ctx); !found {
		t.Error("saved empty position reads as nothing saved")
	}
	if err := s.Reset(ctx); err != nil {
		t.Fatal(err)
	}
	if _, found, _ := s.Load(ctx); found {
		t.Error("position still there after reset")
	}
}
