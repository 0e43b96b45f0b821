package stream

import (
	"context"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/tandemcdc/tandem/envelope"
	"github.com/tandemcdc/tandem/schemas"
	"github.com/tandemcdc/tandem/source-connector/internal/binlog"
	"github.com/tandemcdc/tandem/source-connector/internal/checkpoint"
	"github.com/tandemcdc/tandem/source-connector/internal/convert"
	"github.com/tandemcdc/tandem/source-connector/internal/metrics"
)

// TestHandlerTracksEveryRecord: the BEGIN and END of transaction metadata and a schema change record are
// part of their transaction like its change events: the position after it is acknowledged only when
// Kafka has acknowledged every one of them.
func TestHandlerTracksEveryRecord(t *testing.T) {
	ctx := context.Background()
	cols := []schemas.Column{{Name: "id", DataType: "int"}}
	fields, err := schemas.Options{}.Fields(cols)
	if err != nil {
		t.Fatal(err)
	}
	wire, err := envelope.NewTable("p", "db", "t", fields, []string{"id"}, envelope.SourceSchema("mariadb"))
	if err != nil {
		t.Fatal(err)
	}
	tb := &binlog.Table{DB: "db", Name: "t", Columns: cols, Keep: []int{0}, Wire: wire}
	start := checkpoint.State{Position: binlog.Position{GTID: "0-1-1"}}
	tracker := checkpoint.NewTracker(start)
	h := &handler{
		conv:          &convert.Converter{Prefix: "p", Connector: "mariadb", Version: "test", Txn: convert.NewTxnMeta("p")},
		schemaChanges: convert.NewSchemaChanges("p", "mariadb"),
		tracker:       tracker, metrics: metrics.New(),
	}
	if err := h.Rows(ctx, &binlog.Change{Table: tb, Kind: binlog.Insert, Rows: [][]any{{int32(1)}}, GTID: "0-1-2", Time: time.Unix(1, 0)}); err != nil {
		t.Fatal(err)
	}
	if err := h.Commit(ctx, binlog.Position{GTID: "0-1-2"}, time.Unix(1, 0)); err != nil {
		t.Fatal(err)
	}
	ddl := &binlog.DDL{Database: "db", Statement: "ALTER TABLE t ADD c INT", GTID: "0-1-3",
		Tables: []binlog.TableChange{{Type: "ALTER", DB: "db", Name: "t"}}}
	if err := h.Schema(ctx, ddl); err != nil {
		t.Fatal(err)
	}
	if err := h.Commit(ctx, binlog.Position{GTID: "0-1-3"}, time.Unix(2, 0)); err != nil {
		t.Fatal(err)
	}
	msgs := append([]kafka.Message(nil), h.buf...)
	var topics []string
	for _, m := range msgs {
		topics = append(topics, m.Topic)
		if m.WriterData == nil {
			t.Errorf("record for %s belongs to no transaction", m.Topic)
		}
	}
	if want := "[p.transaction p.db.t p.transaction p]"; want != fmtList(topics) {
		t.Fatalf("records %v, want %s", topics, want)
	}
	m := metrics.New()
	for i := range msgs { // acknowledged one by one: the position moves only past complete transactions
		acknowledge(tracker, m, msgs[i:i+1], nil)
		st, _ := tracker.Acked()
		want := "0-1-1"
		switch {
		case i >= 3:
			want = "0-1-3"
		case i >= 2:
			want = "0-1-2"
		}
		if st.Position.GTID != want {
			t.Errorf("after acknowledging %d records the position is %s, want %s", i+1, st.Position.GTID, want)
		}
	}
}

func fmtList(s []string) string {
	out := "["
	for i, x := range s {
		if i > 0 {
			out += " "
		}
		out += x
	}
	return out + "]"
}
