package convert

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/tandemcdc/tandem/envelope"
	"github.com/tandemcdc/tandem/schemas"
	"github.com/tandemcdc/tandem/source-connector/internal/binlog"
)

func testTable(t *testing.T) *binlog.Table {
	cols := []schemas.Column{{Name: "id", DataType: "int"}, {Name: "v", DataType: "varchar", Nullable: true}}
	fields, err := schemas.Options{}.Fields(cols)
	if err != nil {
		t.Fatal(err)
	}
	wire, err := envelope.NewTable("p", "db", "t", fields, []string{"id"}, envelope.SourceSchema("mariadb"))
	if err != nil {
		t.Fatal(err)
	}
	return &binlog.Table{DB: "db", Name: "t", Columns: cols, Keep: []int{0, 1}, Wire: wire}
}

// TestConvert checks the records of each kind of change, with schemas off and on. The headers of a
// key-changing update carry the other key as its plain payload either way, as Debezium's records do
// (Connect's SimpleHeaderConverter writes a struct header as {"id":3}, never as a schema envelope).
func TestConvert(t *testing.T) {
	for _, withSchemas := range []bool{false, true} {
		testConvert(t, withSchemas)
	}
}

func testConvert(t *testing.T, withSchemas bool) {
	c := &Converter{Prefix: "p", Connector: "mariadb", Version: "test", Tombstones: true,
		Now: func() time.Time { return time.Unix(1700000000, 0) }, JSON: envelope.JSONOptions{Schemas: withSchemas, Cache: &envelope.SourceCache{}}}
	if withSchemas { // and the context headers on
		c.Headers = ContextHeaders("p", "conn", "run-1")
	}
	tb := testTable(t)
	ch := func(kind binlog.Kind, rows ...[]any) *binlog.Change {
		return &binlog.Change{Table: tb, Kind: kind, Rows: rows, Query: "/* dts */ q", GTID: "0-1-5", File: "bin.1", Pos: 100,
			ServerID: 1, Time: time.Unix(1699999999, 0)}
	}
	var out []string
	for _, change := range []*binlog.Change{
		ch(binlog.Insert, []any{int32(1), "a"}, []any{int32(2), nil}),
		ch(binlog.Update, []any{int32(1), "a"}, []any{int32(1), "b"}),
		ch(binlog.Update, []any{int32(2), nil}, []any{int32(3), nil}),
		ch(binlog.Delete, []any{int32(1), "b"}),
	} {
		msgs, err := c.Append(nil, change)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			if m.Topic != "p.db.t" {
				t.Errorf("topic %s", m.Topic)
			}
			key, err := envelope.DecodeKeyJSON(m.Key, nil)
			if err != nil {
				t.Fatal(err)
			}
			desc := fmt.Sprintf(`{"id":%v} `, key.Values[0])
			if m.Value == nil {
				desc += "tombstone"
			} else {
				ev, err := envelope.DecodeEnvelopeJSON(m.Value, nil)
				if err != nil {
					t.Fatal(err)
				}
				desc += ev.Op.String()
				if ev.Source.Query != "/* dts */ q" || ev.Source.GTID != "0-1-5" || ev.Source.TsMs != 1699999999000 || ev.TsMs != 1700000000000 {
					t.Errorf("source %+v ts %d", ev.Source, ev.TsMs)
				}
			}
			context := ""
			for _, h := range m.Headers {
				if strings.HasPrefix(h.Key, "__debezium.context.") {
					context += " " + h.Key + "=" + string(h.Value)
					continue
				}
				if context != "" {
					t.Errorf("header %s after the context headers", h.Key)
				}
				desc += " " + h.Key + "=" + string(h.Value)
			}
			wantContext := ""
			if withSchemas {
				wantContext = " __debezium.context.connectorLogicalName=p __debezium.context.taskId=0 __debezium.context.connectorName=conn __debezium.context.runId=run-1"
			}
			if context != wantContext {
				t.Errorf("%s: context headers %q, want %q", desc, context, wantContext)
			}
			out = append(out, desc)
		}
	}
	want := []string{
		`{"id":1} c`, `{"id":2} c`, `{"id":1} u`,
		`{"id":2} d __debezium.newkey={"id":3}`, `{"id":2} tombstone __debezium.newkey={"id":3}`, `{"id":3} c __debezium.oldkey={"id":2}`,
		`{"id":1} d`, `{"id":1} tombstone`,
	}
	if strings.Join(out, "\n") != strings.Join(want, "\n") {
		t.Errorf("schemas %v: records:\n%s\nwant:\n%s", withSchemas, strings.Join(out, "\n"), strings.Join(want, "\n"))
	}
}

// TestTransactionMetadata: with transaction metadata on, a transaction's change events are framed by
// BEGIN and END records on <prefix>.transaction and carry their transaction block; tombstones and
// snapshot rows carry none and are not counted.
func TestTransactionMetadata(t *testing.T) {
	c := &Converter{Prefix: "p", Connector: "mariadb", Version: "test", Tombstones: true, Txn: NewTxnMeta("p"),
		Now: func() time.Time { return time.Unix(1700000000, 0) }, JSON: envelope.JSONOptions{Cache: &envelope.SourceCache{}}}
	tb := testTable(t)
	other := testTable(t)
	other.Name = "u"
	at := time.Unix(1699999999, 0)
	ch := func(tb *binlog.Table, kind binlog.Kind, rows ...[]any) *binlog.Change {
		return &binlog.Change{Table: tb, Kind: kind, Rows: rows, GTID: "0-1-5", File: "bin.1", Pos: 100, Time: at}
	}
	var msgs []kafka.Message
	for _, change := range []*binlog.Change{
		ch(tb, binlog.Read, []any{int32(9), "s"}),
		ch(tb, binlog.Insert, []any{int32(1), "a"}, []any{int32(2), nil}),
		ch(other, binlog.Update, []any{int32(1), "a"}, []any{int32(1), "b"}),
		ch(tb, binlog.Update, []any{int32(2), nil}, []any{int32(3), nil}),
	} {
		out, err := c.Append(nil, change)
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, out...)
	}
	end, err := c.End(nil, time.Unix(1700000001, 0))
	if err != nil {
		t.Fatal(err)
	}
	msgs = append(msgs, end...)
	if again, _ := c.End(nil, time.Unix(1700000001, 0)); len(again) != 0 {
		t.Errorf("a second End wrote %d records", len(again))
	}
	var got []string
	for _, m := range msgs {
		switch {
		case m.Topic == "p.transaction":
			got = append(got, string(m.Key)+" "+string(m.Value))
		case m.Value == nil:
			got = append(got, m.Topic+" tombstone")
		default:
			ev, err := envelope.DecodeEnvelopeJSON(m.Value, nil)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, fmt.Sprintf("%s %s %+v", m.Topic, ev.Op, ev.Transaction))
		}
	}
	want := []string{
		"p.db.t r <nil>",
		`{"id":"0-1-5"} {"status":"BEGIN","id":"0-1-5","event_count":null,"data_collections":null,"ts_ms":1699999999000}`,
		"p.db.t c &{ID:0-1-5 TotalOrder:1 DataCollectionOrder:1}",
		"p.db.t c &{ID:0-1-5 TotalOrder:2 DataCollectionOrder:2}",
		"p.db.u u &{ID:0-1-5 TotalOrder:3 DataCollectionOrder:1}",
		"p.db.t d &{ID:0-1-5 TotalOrder:4 DataCollectionOrder:3}",
		"p.db.t tombstone",
		"p.db.t c &{ID:0-1-5 TotalOrder:5 DataCollectionOrder:4}",
		`{"id":"0-1-5"} {"status":"END","id":"0-1-5","event_count":5,"data_collections":[{"data_collection":"db.t","event_count":4},{"data_collection":"db.u","event_count":1}],"ts_ms":1700000001000}`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("records:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestSnapshotKeyMatchesStream: a snapshot row's TIMESTAMP values lose their trailing zero digits as in
// Debezium's snapshot, except in the key: the snapshot record and a streamed record of the same row must
// have the same key bytes, or they would land in different partitions.
func TestSnapshotKeyMatchesStream(t *testing.T) {
	cols := []schemas.Column{{Name: "ts", DataType: "timestamp", FSP: 3}, {Name: "v", DataType: "timestamp", FSP: 3, Nullable: true}}
	fields, err := schemas.Options{}.Fields(cols)
	if err != nil {
		t.Fatal(err)
	}
	wire, err := envelope.NewTable("p", "db", "t", fields, []string{"ts"}, envelope.SourceSchema("mariadb"))
	if err != nil {
		t.Fatal(err)
	}
	tb := &binlog.Table{DB: "db", Name: "t", Columns: cols, Keep: []int{0, 1}, Wire: wire}
	c := &Converter{Prefix: "p", Connector: "mariadb", Version: "test"}
	row := []any{"2024-02-29 23:59:59.100", "2024-02-29 23:59:59.100"}
	snap, err := c.Append(nil, &binlog.Change{Table: tb, Kind: binlog.Read, Rows: [][]any{row}, Snapshot: "true"})
	if err != nil {
		t.Fatal(err)
	}
	stream, err := c.Append(nil, &binlog.Change{Table: tb, Kind: binlog.Insert, Rows: [][]any{row}})
	if err != nil {
		t.Fatal(err)
	}
	if string(snap[0].Key) != string(stream[0].Key) || string(snap[0].Key) != `{"ts":"2024-02-29T23:59:59.100Z"}` {
		t.Errorf("snapshot key %s, streamed key %s", snap[0].Key, stream[0].Key)
	}
	ev, err := envelope.DecodeEnvelopeJSON(snap[0].Value, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ev.After[1] != "2024-02-29T23:59:59.1Z" {
		t.Errorf("snapshot value %v, want the trimmed form", ev.After[1])
	}
}
