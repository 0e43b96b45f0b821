//go:build integration

package itest

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/tandemcdc/tandem/envelope"
)

// TestSourceColumnDefaults: a column's DEFAULT reaches its field schema's "default" as Debezium writes it,
// taken from the catalog when the table is described: in snapshot records, in streamed records, and for a
// column added by ALTER TABLE mid-stream. CURRENT_TIMESTAMP is the epoch, other expressions and NULL give
// no default.
func TestSourceColumnDefaults(t *testing.T) {
	env := LoadEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	admin := OpenDB(t, env.MySQLA, env.AdminUser, env.AdminPassword, "")
	db := NewDatabase(t, admin, "itest_dflt")
	prefix := UniqueName("dflt")
	tbl := "`" + db + "`.t"
	mustExec(t, admin, "CREATE TABLE "+tbl+` (id INT PRIMARY KEY, v VARCHAR(20) DEFAULT 'it''s', n INT NOT NULL DEFAULT -7,
		d DECIMAL(5,2) DEFAULT 12.50, f DOUBLE DEFAULT 1.5, e ENUM('a','b') DEFAULT 'b', b BIT(3) DEFAULT b'101',
		ts TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3), dt DATE DEFAULT '2024-02-29', u VARCHAR(40) DEFAULT (uuid()),
		nul INT DEFAULT NULL, plain INT)`,
		"INSERT INTO "+tbl+" (id) VALUES (1)")
	src := startSource(t, env, prefix, db, "")
	waitStreaming(t, env, src, prefix)
	mustExec(t, admin, "INSERT INTO "+tbl+" (id) VALUES (2)",
		"ALTER TABLE "+tbl+" ADD COLUMN extra VARCHAR(20) DEFAULT 'dflt'",
		"INSERT INTO "+tbl+" (id, extra) VALUES (3, NULL)")
	topic := prefix + "." + db + ".t"
	var records []Record
	WaitFor(t, time.Minute, "three records", func() bool { return TopicSize(ctx, env, topic) >= 3 })
	records = ReadTopic(ctx, t, env, topic)
	want := map[string]string{"v": "it's", "n": "-7", "d": "12.50", "f": "1.5", "e": "b", "b": "[5]",
		"ts": "1970-01-01T00:00:00.000Z", "dt": "19782", "u": "<nil>", "nul": "<nil>", "plain": "<nil>"}
	for _, r := range records {
		id := fmt.Sprint(r.KeyValues.Values[0])
		got := map[string]string{}
		for _, f := range r.Event.Row.Fields {
			if f.Name == "id" {
				continue
			}
			if dec, ok := f.Schema.Default.(envelope.Decimal); ok {
				got[f.Name] = dec.String()
			} else {
				got[f.Name] = fmt.Sprint(f.Schema.Default)
			}
		}
		w := maps(want)
		if id == "3" {
			w["extra"] = "dflt"
			if r.Event.After[len(r.Event.After)-1] != nil {
				t.Errorf("row 3: extra is %v, want NULL (the default is the schema's, not the value's)", r.Event.After[len(r.Event.After)-1])
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(w) {
			t.Errorf("row %s (%s) defaults:\n got %v\nwant %v", id, r.Event.Op, got, w)
		}
	}
}

func maps(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// TestSourceTransactionMetadata: with events.transaction_metadata, each streamed transaction is framed by
// BEGIN and END records on <prefix>.transaction, keyed by its id (the GTID), the END counting its change
// events per table; every change event carries its transaction block with 1-based orders. Snapshot rows
// carry none.
func TestSourceTransactionMetadata(t *testing.T) {
	env := LoadEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	admin := OpenDB(t, env.MySQLA, env.AdminUser, env.AdminPassword, "")
	db := NewDatabase(t, admin, "itest_txmeta")
	prefix := UniqueName("txmeta")
	a, b := "`"+db+"`.a", "`"+db+"`.b"
	mustExec(t, admin, "CREATE TABLE "+a+" (id INT PRIMARY KEY, v INT)", "CREATE TABLE "+b+" (id INT PRIMARY KEY, v INT)",
		"INSERT INTO "+a+" VALUES (100, 0)")
	src := startSourceAs(t, env, prefix, db, "", sourceLogin{user: env.CDCUser, password: env.CDCPassword,
		kafkaYAML: "events:\n  transaction_metadata: true\n"})
	waitStreaming(t, env, src, prefix)
	tx, err := admin.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"INSERT INTO " + a + " VALUES (1, 1), (2, 2)", "INSERT INTO " + b + " VALUES (1, 1)",
		"UPDATE " + a + " SET v = 3 WHERE id = 1"} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	mustExec(t, admin, "DELETE FROM "+b+" WHERE id = 1")
	txTopic := prefix + ".transaction"
	WaitFor(t, time.Minute, "four transaction records", func() bool { return TopicSize(ctx, env, txTopic) >= 4 })
	src.Stop(30 * time.Second)

	var got []string
	for _, m := range rawTopic(ctx, t, env, txTopic) {
		ev, err := parseJSON(m.Value)
		if err != nil {
			t.Fatal(err)
		}
		p := ev.(map[string]any)["payload"].(map[string]any)
		got = append(got, fmt.Sprintf("%s %v %v", p["status"], p["event_count"], p["data_collections"]))
	}
	want := []string{
		"BEGIN <nil> <nil>",
		fmt.Sprintf("END 4 [map[data_collection:%s.a event_count:3] map[data_collection:%s.b event_count:1]]", db, db),
		"BEGIN <nil> <nil>",
		fmt.Sprintf("END 1 [map[data_collection:%s.b event_count:1]]", db),
	}
	// BEGIN and END of one transaction share its key, hence a partition; transactions spread over them.
	sort.Strings(got)
	sort.Strings(want)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("transaction records:\n got %q\nwant %q", got, want)
	}
	var blocks []string
	for _, table := range []string{"a", "b"} {
		for _, r := range ReadTopic(ctx, t, env, prefix+"."+db+"."+table) {
			if r.Event == nil {
				continue
			}
			if r.Event.Transaction == nil {
				blocks = append(blocks, fmt.Sprintf("%s %s nil", table, r.Event.Op))
				continue
			}
			blocks = append(blocks, fmt.Sprintf("%s %s %d/%d", table, r.Event.Op, r.Event.Transaction.TotalOrder, r.Event.Transaction.DataCollectionOrder))
		}
	}
	wantBlocks := []string{"a r nil", "a c 1/1", "a c 2/2", "a u 4/3", "b c 3/1", "b d 1/1"}
	sort.Strings(blocks) // the records of a table spread over its partitions
	sort.Strings(wantBlocks)
	if fmt.Sprint(blocks) != fmt.Sprint(wantBlocks) {
		t.Errorf("transaction blocks:\n got %v\nwant %v", blocks, wantBlocks)
	}
}

// TestSourceSchemaChanges: with events.schema_changes, each DDL statement that changes a captured table is
// written to the topic named by the prefix (one partition), keyed by its database, with its text and the
// table's structure after it; DDL on tables that are not captured is not. Kafka's JsonConverter reads every
// record back to the same JSON.
func TestSourceSchemaChanges(t *testing.T) {
	env := LoadEnv(t)
	oracleLibs(t, env)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	admin := OpenDB(t, env.MySQLA, env.AdminUser, env.AdminPassword, "")
	db := NewDatabase(t, admin, "itest_ddl")
	prefix := UniqueName("ddl")
	tb := func(name string) string { return "`" + db + "`." + name }
	mustExec(t, admin, "CREATE TABLE "+tb("t")+" (id INT PRIMARY KEY, v VARCHAR(10))")
	src := startSourceAs(t, env, prefix, db, db+`\.skipped`, sourceLogin{user: env.CDCUser, password: env.CDCPassword,
		kafkaYAML: "events:\n  schema_changes: true\n"})
	waitStreaming(t, env, src, prefix)
	// The structure is the catalog's when the source reads the statement: each statement waits for the
	// source to have read the one before.
	n := int64(0)
	for _, stmt := range []string{
		"CREATE TABLE " + tb("t2") + " (a INT NOT NULL, b ENUM('x','y') DEFAULT 'y', PRIMARY KEY (a)) COMMENT 'second'",
		"CREATE TABLE " + tb("skipped") + " (id INT)",
		"ALTER TABLE " + tb("t") + " ADD COLUMN extra DECIMAL(5,2) UNSIGNED NOT NULL DEFAULT 1.50 COMMENT 'added'",
		"ALTER TABLE " + tb("skipped") + " ADD COLUMN x INT",
		"RENAME TABLE " + tb("t2") + " TO " + tb("t3"),
		"DROP TABLE " + tb("t3") + ", " + tb("skipped"),
	} {
		mustExec(t, admin, stmt)
		if strings.Contains(stmt, "skipped") && !strings.HasPrefix(stmt, "DROP") {
			continue // not captured: nothing to wait for
		}
		n++
		WaitFor(t, time.Minute, fmt.Sprintf("schema change %d", n), func() bool { return TopicSize(ctx, env, prefix) >= n })
	}
	src.Stop(30 * time.Second)

	msgs := rawTopic(ctx, t, env, prefix)
	var got []string
	var reqs []judgeReq
	for _, m := range msgs {
		if m.Partition != 0 {
			t.Errorf("a schema change in partition %d", m.Partition)
		}
		reqs = append(reqs, judgeReq{prefix, "key", "on", m.Key}, judgeReq{prefix, "value", "on", m.Value})
		v, err := parseJSON(m.Value)
		if err != nil {
			t.Fatal(err)
		}
		p := v.(map[string]any)["payload"].(map[string]any)
		line := fmt.Sprintf("%s | %s", p["databaseName"], p["ddl"])
		for _, c := range p["tableChanges"].([]any) {
			c := c.(map[string]any)
			line += fmt.Sprintf(" | %s %s", c["type"], c["id"])
			if table, ok := c["table"].(map[string]any); ok {
				line += fmt.Sprintf(" pk=%v comment=%v", table["primaryKeyColumnNames"], table["comment"])
				for _, col := range table["columns"].([]any) {
					col := col.(map[string]any)
					line += fmt.Sprintf(" %s:%s/%v/%v/%v/%v", col["name"], col["typeName"], col["jdbcType"], col["optional"],
						col["defaultValueExpression"], col["enumValues"])
				}
			}
		}
		got = append(got, line)
	}
	q := func(name string) string { return `"` + db + `"."` + name + `"` }
	want := []string{
		db + " | CREATE TABLE " + tb("t2") + " (a INT NOT NULL, b ENUM('x','y') DEFAULT 'y', PRIMARY KEY (a)) COMMENT 'second'" +
			" | CREATE " + q("t2") + " pk=[a] comment=second a:INT/4/false/<nil>/<nil> b:ENUM/1/true/y/[x y]",
		db + " | ALTER TABLE " + tb("t") + " ADD COLUMN extra DECIMAL(5,2) UNSIGNED NOT NULL DEFAULT 1.50 COMMENT 'added'" +
			" | ALTER " + q("t") + " pk=[id] comment=<nil> id:INT/4/false/<nil>/<nil> v:VARCHAR/12/true/<nil>/<nil> extra:DECIMAL UNSIGNED/3/false/1.50/<nil>",
		db + " | RENAME TABLE " + tb("t2") + " TO " + tb("t3") +
			" | ALTER " + q("t2") + "," + q("t3") + " pk=[a] comment=second a:INT/4/false/<nil>/<nil> b:ENUM/1/true/y/[x y]",
		db + " | DROP TABLE `" + db + "`.`t3`,`" + db + "`.`skipped` /* generated by server */ | DROP " + q("t3"),
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("schema changes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for i, res := range judge(t, env, reqs) {
		if res.err != "" {
			t.Errorf("Kafka Connect refuses schema change %s: %s", reqs[i].kind, res.err)
		} else if d := jsonDiff(reqs[i].data, res.out); d != "" {
			t.Errorf("schema change %s: tandem's JSON vs Kafka Connect's: %s", reqs[i].kind, d)
		}
	}
}

// TestJsonConverterKeyHeaders: the __debezium.newkey/oldkey headers of a key change on a composite key of
// a string (with a character outside the BMP and a quote), a small-scale DECIMAL and a DATETIME are what
// Connect's default header converter writes for the other record's key, as in Debezium's records; and
// every record part survives Kafka's JsonConverter.
func TestJsonConverterKeyHeaders(t *testing.T) {
	env := LoadEnv(t)
	oracleLibs(t, env)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	admin := OpenDB(t, env.MySQLA, env.AdminUser, env.AdminPassword, "")
	db := NewDatabase(t, admin, "itest_keyhdr")
	tb := "`" + db + "`.k"
	mustExec(t, admin, "CREATE TABLE "+tb+" (s VARCHAR(20) CHARACTER SET utf8mb4, d DECIMAL(20,12), t DATETIME(3), v INT, PRIMARY KEY (s, d, t))",
		"INSERT INTO "+tb+" VALUES ('a😀\"b', 0.000000000100, '2024-02-29 12:00:00.500', 1)")
	for _, format := range []string{"on", "numeric"} {
		prefix := UniqueName("keyhdr_" + format)
		events := "events: {schemas: true}\n"
		if format == "numeric" {
			events = "events: {schemas: true, decimal_format: numeric}\n"
		}
		pos := filepath.Join(t.TempDir(), "position.json")
		src := snapshotSource(t, env, prefix, db, "k", pos, events)
		topic := prefix + "." + db + ".k"
		WaitFor(t, time.Minute, "the snapshot of "+topic, func() bool {
			s := readState(t, pos)
			return s != nil && s.Snapshot == nil && TopicSize(ctx, env, topic) >= 1
		})
		mustExec(t, admin, "UPDATE "+tb+" SET s = 'x\\\\y', d = -12345678.000000000001, v = 2")
		WaitFor(t, time.Minute, "the key change in "+topic, func() bool { return TopicSize(ctx, env, topic) >= 4 })
		src.Stop(30 * time.Second)
		mustExec(t, admin, "UPDATE "+tb+" SET s = 'a😀\"b', d = 0.000000000100, v = 1")

		var reqs []judgeReq
		var want [][]byte
		var oldKey, newKey []byte
		var headers [][2][]byte // {name, value}
		for _, m := range rawTopic(ctx, t, env, topic) {
			reqs = append(reqs, judgeReq{topic, "key", format, m.Key}, judgeReq{topic, "value", format, m.Value})
			want = append(want, m.Key, m.Value)
			for _, h := range m.Headers {
				switch h.Key {
				case "__debezium.newkey":
					oldKey = m.Key
					headers = append(headers, [2][]byte{[]byte(h.Key), h.Value})
				case "__debezium.oldkey":
					newKey = m.Key
					headers = append(headers, [2][]byte{[]byte(h.Key), h.Value})
				}
			}
		}
		if oldKey == nil || newKey == nil {
			t.Fatalf("%s: no key change records", topic)
		}
		for _, h := range headers {
			key := newKey
			if string(h[0]) == "__debezium.oldkey" {
				key = oldKey
			}
			reqs = append(reqs, judgeReq{topic, "keyheader", format, key})
			want = append(want, h[1])
		}
		for i, res := range judge(t, env, reqs) {
			switch {
			case res.err != "":
				t.Errorf("%s %s: Kafka Connect refuses it: %s", format, reqs[i].kind, res.err)
			case reqs[i].kind == "keyheader" && !bytes.Equal(res.out, want[i]):
				t.Errorf("%s key header: tandem wrote %s, Connect writes %s", format, want[i], res.out)
			case reqs[i].kind != "keyheader" && !bytes.Equal(res.out, want[i]):
				t.Errorf("%s %s: tandem wrote %.300s\nConnect writes %.300s", format, reqs[i].kind, want[i], res.out)
			}
		}
	}
}
