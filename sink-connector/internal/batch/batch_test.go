package batch

import (
	"fmt"
	"strings"
	"testing"

	"github.com/segmentio/kafka-go"

	"github.com/tandemcdc/tandem/sink-connector/internal/config"
)

func msg(offset int64, op string, id int, v string, query string) kafka.Message {
	row := fmt.Sprintf(`{"id":%d,"v":%q}`, id, v)
	before, after := "null", row
	if op == "d" {
		before, after = row, "null"
	}
	return kafka.Message{Topic: "p.db.t", Offset: offset, Key: fmt.Appendf(nil, `{"id":%d}`, id),
		Value: fmt.Appendf(nil, `{"before":%s,"after":%s,"source":{"db":"db","table":"t","query":%q},"op":%q}`, before, after, query, op)}
}

func builder(t testing.TB, mutate func(*config.Config)) *Builder {
	cfg := config.Default()
	if mutate != nil {
		mutate(cfg)
	}
	b, err := NewBuilder(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func describe(p *Plan) string {
	var out []string
	for _, tp := range p.Tables {
		for _, a := range tp.Actions {
			if a.Delete {
				out = append(out, fmt.Sprintf("%s delete %v @%d", tp.Table, a.Key, a.Offset))
			} else {
				out = append(out, fmt.Sprintf("%s upsert %v %v @%d", tp.Table, a.Key, a.Values, a.Offset))
			}
		}
	}
	return strings.Join(out, "\n")
}

// TestCoalesce: per key the last image wins, a delete after an upsert wins, an upsert after a delete
// wins, a key change deletes the old key and upserts the new, tombstones and marked records are skipped.
func TestCoalesce(t *testing.T) {
	b := builder(t, nil)
	msgs := []kafka.Message{
		msg(0, "c", 1, "a", ""), msg(1, "u", 1, "b", ""),
		msg(2, "c", 2, "x", ""), msg(3, "d", 2, "x", ""),
		{Topic: "p.db.t", Offset: 4, Key: []byte(`{"id":2}`)}, // tombstone
		msg(5, "d", 3, "y", ""), msg(6, "c", 3, "z", ""),
		msg(7, "d", 4, "k", ""), msg(8, "c", 5, "k", ""), // key change 4 -> 5
		msg(9, "c", 6, "loop", "/* dts */ INSERT ..."),
	}
	p, bad := b.Build(msgs)
	if len(bad) > 0 {
		t.Fatal(bad[0])
	}
	want := strings.Join([]string{
		"db.t upsert [1] [1 b] @1", "db.t delete [2] @3", "db.t upsert [3] [3 z] @6", "db.t delete [4] @7", "db.t upsert [5] [5 k] @8",
	}, "\n")
	if got := describe(p); got != want {
		t.Errorf("plan:\n%s\nwant:\n%s", got, want)
	}
	if p.Records != 10 || p.Skipped != 1 || p.Tombstones != 1 {
		t.Errorf("counts: records %d skipped %d tombstones %d", p.Records, p.Skipped, p.Tombstones)
	}
}

func TestRoutingAndBadRecords(t *testing.T) {
	b := builder(t, func(c *config.Config) { c.Routing.Tables = []string{`db\.(.*)=replica.copy_$1`} })
	p, bad := b.Build([]kafka.Message{
		msg(0, "c", 1, "a", ""),
		{Topic: "p.db.t", Offset: 1, Key: []byte(`{"id":1}`), Value: []byte(`{"op":"c","after":`)},
		{Topic: "p.db.t", Offset: 2, Value: []byte(`{"op":"c","after":{"id":1},"source":{"db":"db","table":"t"}}`)},
		{Topic: "p.db.t", Offset: 3, Key: []byte(`{"id":1}`), Value: []byte("{\"op\":\"c\",\"after\":{\"id`;\":1},\"source\":{\"db\":\"db\",\"table\":\"t\"}}")},
	})
	if got := describe(p); got != "replica.copy_t upsert [1] [1 a] @0" {
		t.Errorf("plan: %s", got)
	}
	if len(bad) != 3 || !strings.Contains(bad[0].Error(), "p.db.t[0]@1") || !strings.Contains(bad[1].Error(), "no key") ||
		!strings.Contains(bad[2].Error(), "not a valid column name") {
		t.Errorf("bad records: %v", bad)
	}
	b = builder(t, func(c *config.Config) { c.Apply.SkipMarked = false; c.Routing.Database = "fanin" })
	p, _ = b.Build([]kafka.Message{msg(0, "c", 1, "a", "/* dts */ x")})
	if got := describe(p); got != "fanin.t upsert [1] [1 a] @0" {
		t.Errorf("with skip_marked off and routing.database: %s", got)
	}
}

// TestTruncate: op=t is skipped unless enabled; enabled, it drops what the batch planned before it.
func TestTruncate(t *testing.T) {
	trunc := kafka.Message{Topic: "p.db.t", Offset: 1, Value: []byte(`{"op":"t","source":{"db":"db","table":"t"}}`)}
	p, bad := builder(t, nil).Build([]kafka.Message{msg(0, "c", 1, "a", ""), trunc, msg(2, "c", 2, "b", "")})
	if len(bad) > 0 || p.Tables[0].Truncate || len(p.Tables[0].Actions) != 2 || p.Skipped != 1 {
		t.Errorf("truncate off: %s, truncate=%v skipped=%d %v", describe(p), p.Tables[0].Truncate, p.Skipped, bad)
	}
	p, _ = builder(t, func(c *config.Config) { c.Apply.Truncate = true }).Build([]kafka.Message{msg(0, "c", 1, "a", ""), trunc, msg(2, "c", 2, "b", "")})
	if !p.Tables[0].Truncate || describe(p) != "db.t upsert [2] [2 b] @2" {
		t.Errorf("truncate on: %s, truncate=%v", describe(p), p.Tables[0].Truncate)
	}
}

// TestBadRecordAddsNothing: a record that fails after routing (here: an undecodable key) leaves no empty
// table plan behind, so the batch does not look up a table no record of it touches.
func TestBadRecordAddsNothing(t *testing.T) {
	m := msg(0, "c", 1, "a", "")
	m.Key = []byte(`{"id":`)
	p, bad := builder(t, nil).Build([]kafka.Message{m})
	if len(bad) != 1 || len(p.Tables) != 0 || p.Records != 0 {
		t.Errorf("bad = %v, tables = %d, records = %d; want 1 bad record, no table, no record", bad, len(p.Tables), p.Records)
	}
}

// TestCoalesceByKeyValue: the same logical key written with other bytes (spacing, an INT key retyped to
// BIGINT, a schemaless and a schema'd writer, name case) is one key of the plan, so a delete after an
// upsert still wins; keys that differ in the target (1 and "1", "1.0" and "1.00") stay apart.
func TestCoalesceByKeyValue(t *testing.T) {
	keyed := func(offset int64, op string, key string, id int) kafka.Message {
		m := msg(offset, op, id, "v", "")
		m.Key = []byte(key)
		return m
	}
	schemaKey := func(typ string, id int) string {
		return fmt.Sprintf(`{"schema":{"type":"struct","name":"p.db.t.Key","fields":[{"type":%q,"optional":false,"field":"id"}]},"payload":{"id":%d}}`, typ, id)
	}
	for _, tc := range []struct {
		name   string
		a, b   string
		merged bool
	}{
		{"spacing", `{"id":1}`, `{ "id" : 1 }`, true},
		{"int32 then int64", schemaKey("int32", 1), schemaKey("int64", 1), true},
		{"schemaless then schema", `{"id":1}`, schemaKey("int64", 1), true},
		{"name case", `{"id":1}`, `{"ID":1}`, true},
		{"number and string", `{"id":1}`, `{"id":"1"}`, false},
		{"decimal texts", `{"id":1.0}`, `{"id":1.00}`, false},
		{"different ids", `{"id":1}`, `{"id":2}`, false},
	} {
		p, bad := builder(t, nil).Build([]kafka.Message{keyed(0, "c", tc.a, 1), keyed(1, "d", tc.b, 1)})
		if len(bad) > 0 {
			t.Fatalf("%s: %v", tc.name, bad[0])
		}
		n := len(p.Tables[0].Actions)
		if tc.merged && (n != 1 || !p.Tables[0].Actions[0].Delete) {
			t.Errorf("%s: %d actions (%s), want the one delete", tc.name, n, describe(p))
		}
		if !tc.merged && n != 2 {
			t.Errorf("%s: %d actions (%s), want 2", tc.name, n, describe(p))
		}
	}
}

// TestDebeziumMetadataSkipped: schema change, transaction and heartbeat records (written by Debezium and by
// tandem's source beside change events) are set aside when a topics_regex also matches their topics, with
// schemas and without; a record that only resembles them is still a bad record.
func TestDebeziumMetadataSkipped(t *testing.T) {
	b := builder(t, nil)
	values := []string{
		`{"schema":{"type":"struct","fields":[],"optional":false,"name":"io.debezium.connector.mysql.SchemaChangeValue","version":1},"payload":{}}`,
		`{"schema":{"type":"struct","fields":[],"optional":false,"name":"io.debezium.connector.common.TransactionMetadataValue"},"payload":{}}`,
		`{"schema":{"type":"struct","fields":[],"optional":false,"name":"io.debezium.connector.common.Heartbeat","version":1},"payload":{}}`,
		`{"source":{},"ts_ms":1,"databaseName":"db","schemaName":null,"ddl":"ALTER TABLE t ADD c INT","tableChanges":[]}`,
		`{"status":"BEGIN","id":"0-1-5","event_count":null,"data_collections":null,"ts_ms":1}`,
		`{"ts_ms":1}`,
	}
	var msgs []kafka.Message
	for i, v := range values {
		msgs = append(msgs, kafka.Message{Topic: "p", Offset: int64(i), Key: []byte(`{"databaseName":"db"}`), Value: []byte(v)})
	}
	p, bad := b.Build(msgs)
	if len(bad) > 0 || p.Skipped != len(values) {
		t.Errorf("skipped %d of %d, bad %v", p.Skipped, len(values), bad)
	}
	_, bad = b.Build([]kafka.Message{{Topic: "p", Offset: 9, Key: []byte(`{"id":1}`), Value: []byte(`{"status":"BEGIN","ts_ms":1}`)}})
	if len(bad) != 1 {
		t.Errorf("a record that only resembles a transaction record was not refused")
	}
}
