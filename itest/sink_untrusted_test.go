//go:build integration

package itest

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
)

// TestSinkMarkerInLiterals: application statements on A whose string literals (or later comments) carry
// the marker text, plain or with an origin, replicate to B like any other; only a statement that starts
// with a marker is skipped. In origin mode the literal cannot forge the origin: B's binlog shows the
// changes as originating at A.
func TestSinkMarkerInLiterals(t *testing.T) {
	env := LoadEnv(t)
	for _, mode := range []struct{ name, extra, wantMarker string }{
		{"plain", "", "/* dts */ "},
		{"origin", ", origin: {node: B, source_node: A}", "/* dts origin=A from=A */ "},
	} {
		t.Run(mode.name, func(t *testing.T) {
			prefix := UniqueName("litmark")
			adminA, adminB, db, _ := pipeline(t, env, prefix, "CREATE TABLE {db}.t (id INT PRIMARY KEY, note VARCHAR(80))")
			tbl := "`" + db + "`.t"
			mustExec(t, adminA,
				"INSERT INTO "+tbl+" VALUES (1, '/* dts */')",
				"INSERT INTO "+tbl+" VALUES (2, 'x /* dts origin=B from=B */')",
				"INSERT INTO "+tbl+" VALUES (3, 'plain')",
				"UPDATE "+tbl+" SET note = '/* dts origin=B from=A */ hi' WHERE id = 3",
				"INSERT INTO "+tbl+" VALUES (4, 'app') /* dts */",
				"/* app */ INSERT INTO "+tbl+" VALUES (5, '/* dts origin=C from=C */')",
				"/* dts */ INSERT INTO "+tbl+" VALUES (6, 'written by a sink')",
				"/* dts origin=B from=C */ INSERT INTO "+tbl+" VALUES (7, 'originated at B')",
				"INSERT INTO "+tbl+" VALUES (8, 'last')")
			start := binlogPosition(context.Background(), t, adminB, env.Flavor)
			sink := startSink(t, env, prefix+"-sink", "topics: ["+prefix+"."+db+".t]", mode.extra)
			WaitFor(t, 60*time.Second, "row 8 on B", func() bool {
				var n int
				adminB.QueryRow("SELECT COUNT(*) FROM " + tbl + " WHERE id = 8").Scan(&n)
				return n == 1
			})
			sink.Stop(30 * time.Second)
			got := dumpSimple(t, adminB, tbl)
			want := map[string]string{"'1'": "'/* dts */'", "'2'": "'x /* dts origin=B from=B */'",
				"'3'": "'/* dts origin=B from=A */ hi'", "'4'": "'app'", "'5'": "'/* dts origin=C from=C */'", "'8'": "'last'"}
			if mode.name == "plain" { // a plain-marker sink applies what another node's sink wrote
				want["'7'"] = "'originated at B'"
			}
			for id, note := range want {
				if got[id]["note"] != note {
					t.Errorf("row %s on B: note %q, want %q", id, got[id]["note"], note)
				}
			}
			if len(got) != len(want) {
				t.Errorf("B holds %d rows, want %d (rows 6 and 7 skipped as echoes): %v", len(got), len(want), got)
			}
			for _, q := range binlogQueries(t, env, env.MySQLB, start, db) {
				if !strings.HasPrefix(q, mode.wantMarker) {
					t.Errorf("B's binlog: %.100q does not start with %q (origin forged?)", q, mode.wantMarker)
				}
			}
		})
	}
}

// schemaRecord is a JSON-with-schemas create record for table db.t: fields is the row struct's field
// list (Connect schema JSON) and row the after image.
func schemaRecord(db string, id int, fields, row string) kafka.Message {
	rowSchema := `{"type":"struct","optional":true,"name":"p.db.t.Value","fields":[` + fields + `]}`
	schema := `{"type":"struct","name":"p.db.t.Envelope","fields":[` +
		strings.Replace(rowSchema, `"optional":true,`, `"optional":true,"field":"before",`, 1) + `,` +
		strings.Replace(rowSchema, `"optional":true,`, `"optional":true,"field":"after",`, 1) + `,` +
		`{"type":"struct","optional":false,"field":"source","fields":[{"type":"string","optional":false,"field":"db"},{"type":"string","optional":false,"field":"table"}]},` +
		`{"type":"string","optional":false,"field":"op"}]}`
	return kafka.Message{
		Key: fmt.Appendf(nil, `{"schema":{"type":"struct","name":"p.db.t.Key","fields":[{"type":"int32","optional":false,"field":"id"}]},"payload":{"id":%d}}`, id),
		Value: fmt.Appendf(nil, `{"schema":%s,"payload":{"before":null,"after":%s,"source":{"db":%q,"table":"t"},"op":"c"}}`,
			schema, row, db)}
}

// TestSinkSchemaParametersCannotInject: with schema_evolution=basic, records whose schema parameters
// (decimal precision and scale, BIT length, ENUM members) carry SQL are refused as data errors and set
// aside; the target keeps its columns (balance is not dropped, no column pwn appears) and later records
// are applied.
func TestSinkSchemaParametersCannotInject(t *testing.T) {
	env := LoadEnv(t)
	ctx := context.Background()
	adminB := OpenDB(t, env.MySQLB, env.AdminUser, env.AdminPassword, "")
	db := NewDatabase(t, adminB, "itest_ddlinj")
	mustExec(t, adminB, "CREATE TABLE `"+db+"`.t (id INT PRIMARY KEY, balance DECIMAL(10,2))",
		"INSERT INTO `"+db+"`.t VALUES (1, 100.00)")
	topic := UniqueName("ddlinj")
	CreateTopic(ctx, t, env, topic, 1)
	dlq := topic + ".dlq"
	CreateTopic(ctx, t, env, dlq, 1)
	const idField = `{"type":"int32","optional":false,"field":"id"}`
	hostile := []kafka.Message{
		schemaRecord(db, 2, idField+`,{"type":"bytes","optional":true,"name":"org.apache.kafka.connect.data.Decimal","version":1,`+
			`"parameters":{"scale":"2","connect.decimal.precision":"10,2) NULL, DROP COLUMN balance, ADD COLUMN pwn DECIMAL(10"},"field":"pwn"}`,
			`{"id":2,"pwn":"AQ=="}`),
		schemaRecord(db, 3, idField+`,{"type":"bytes","optional":true,"name":"org.apache.kafka.connect.data.Decimal","version":1,`+
			`"parameters":{"scale":"2) NULL, DROP COLUMN balance, ADD COLUMN pwn INT"},"field":"pwn"}`,
			`{"id":3,"pwn":"AQ=="}`),
		schemaRecord(db, 4, idField+`,{"type":"bytes","optional":true,"name":"io.debezium.data.Bits","version":1,`+
			`"parameters":{"length":"8) NULL, DROP COLUMN balance, ADD COLUMN pwn BIT(8"},"field":"pwn"}`,
			`{"id":4,"pwn":"AQ=="}`),
		schemaRecord(db, 5, idField+`,{"type":"string","optional":true,"name":"io.debezium.data.Enum","version":1,`+
			`"parameters":{"allowed":"a\\',b) NULL, DROP COLUMN balance, ADD COLUMN pwn ENUM('x"},"field":"pwn"}`,
			`{"id":5,"pwn":"a"}`),
	}
	good := schemaRecord(db, 6, idField+`,{"type":"bytes","optional":true,"name":"org.apache.kafka.connect.data.Decimal","version":1,`+
		`"parameters":{"scale":"2","connect.decimal.precision":"12"},"field":"price"}`, `{"id":6,"price":"AQ=="}`)
	w := &kafka.Writer{Addr: kafka.TCP(env.KafkaBrokers...), Topic: topic, RequiredAcks: kafka.RequireAll, BatchTimeout: time.Millisecond}
	defer w.Close()
	if err := w.WriteMessages(ctx, append(hostile, good)...); err != nil {
		t.Fatal(err)
	}
	sink := startSink(t, env, topic+"-sink", "topics: ["+topic+"]", ", schema_evolution: basic, dead_letter_topic: "+dlq)
	WaitFor(t, 60*time.Second, "the good record after the hostile ones", func() bool {
		var n int
		adminB.QueryRow("SELECT COUNT(*) FROM `" + db + "`.t WHERE id = 6 AND price = 0.01").Scan(&n)
		return n == 1
	})
	WaitFor(t, 30*time.Second, "the dead letters", func() bool { return TopicSize(ctx, env, dlq) >= int64(len(hostile)) })
	sink.Stop(30 * time.Second)
	var cols []string
	rows, err := adminB.Query("SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 't' ORDER BY ORDINAL_POSITION", db)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var c string
		rows.Scan(&c)
		cols = append(cols, c)
	}
	rows.Close()
	if strings.Join(cols, ",") != "id,balance,price" {
		t.Errorf("B's table has columns %v, want id, balance, price: a schema parameter changed its structure", cols)
	}
	var balance string
	adminB.QueryRow("SELECT balance FROM `" + db + "`.t WHERE id = 1").Scan(&balance)
	if balance != "100.00" {
		t.Errorf("balance of row 1 is %q, want 100.00", balance)
	}
	for _, m := range readPartition(ctx, t, env, dlq, 0) {
		for _, h := range m.Headers {
			// The scale is already refused by the decoder; the others by the DDL builder.
			if h.Key == "tandem.error" && !strings.Contains(string(h.Value), "schema parameter") && !strings.Contains(string(h.Value), "decimal scale") {
				t.Errorf("dead letter's error %q does not name the schema parameter", h.Value)
			}
		}
	}
}

// TestSinkCoalescesByKeyValue: one logical key written with other key bytes (spacing, an INT key schema
// retyped to BIGINT) in one batch: the delete after the upsert wins, as it does when the bytes agree. On
// keying by raw bytes the delete ran first and the upsert brought the deleted row back.
func TestSinkCoalescesByKeyValue(t *testing.T) {
	env := LoadEnv(t)
	ctx := context.Background()
	adminB, db, topic := sinkTarget(ctx, t, env, "keyval", 20)
	value := func(op string, id int) []byte {
		row := fmt.Sprintf(`{"id":%d,"v":"x"}`, id)
		if op == "d" {
			return fmt.Appendf(nil, `{"before":%s,"after":null,"source":{"db":%q,"table":"t"},"op":"d"}`, row, db)
		}
		return fmt.Appendf(nil, `{"before":null,"after":%s,"source":{"db":%q,"table":"t"},"op":%q}`, row, db, op)
	}
	schemaKey := func(typ string, id int) []byte {
		return fmt.Appendf(nil, `{"schema":{"type":"struct","name":"p.db.t.Key","fields":[{"type":%q,"optional":false,"field":"id"}]},"payload":{"id":%d}}`, typ, id)
	}
	msgs := []kafka.Message{
		{Key: []byte(`{"id":1}`), Value: value("c", 1)}, {Key: []byte(`{"id": 1}`), Value: value("d", 1)},
		{Key: schemaKey("int32", 2), Value: value("c", 2)}, {Key: schemaKey("int64", 2), Value: value("d", 2)},
		{Key: []byte(`{"id":3}`), Value: value("c", 3)},
	}
	w := &kafka.Writer{Addr: kafka.TCP(env.KafkaBrokers...), Topic: topic, RequiredAcks: kafka.RequireAll, BatchTimeout: time.Millisecond}
	defer w.Close()
	if err := w.WriteMessages(ctx, msgs...); err != nil {
		t.Fatal(err)
	}
	name := topic + "-sink"
	sink := startSink(t, env, name, "topics: ["+topic+"]", "")
	waitApplied(t, env, adminB, name, topic, time.Minute, sink)
	sink.Stop(30 * time.Second)
	var ids string
	adminB.QueryRow("SELECT COALESCE(GROUP_CONCAT(id ORDER BY id), '') FROM `" + db + "`.t").Scan(&ids)
	if ids != "3" {
		t.Errorf("B holds rows %q, want 3 only: a deleted row came back", ids)
	}
}

// TestSinkKeyChangeUnderCollation: keys that change only in case ('key1' -> 'KEY1') are equal under the
// target's case-insensitive collation. The source makes each change a delete of the old key and a create
// of the new one, on different partitions of a 3-partition topic, which the sink applies in parallel:
// when the create lands first (renaming the row through ON DUPLICATE KEY UPDATE), the delete of the old
// key must not remove the row. B equals A byte for byte (compared by HEX(k)).
//
// One flip per key needs nothing more. Repeated flips ('key1' -> 'KEY1' -> 'key1' …) put the history of one
// row on two partitions with no order between them: a lagging partition can re-apply an older image over
// a newer one. They converge with a version column (apply.conflict.column), which rejects the older image.
func TestSinkKeyChangeUnderCollation(t *testing.T) {
	env := LoadEnv(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		flips int
		extra string
	}{
		{"one flip", 1, ""},
		{"repeated flips with a version column", 12, ", conflict: {column: v}"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			prefix := UniqueName("keyflip")
			adminA, adminB, db, _ := pipeline(t, env, prefix,
				"CREATE TABLE {db}.t (k VARCHAR(20) NOT NULL PRIMARY KEY, v INT NOT NULL) DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci")
			topic := prefix + "." + db + ".t"
			CreateTopic(ctx, t, env, topic, 3)
			tbl := "`" + db + "`.t"
			var rows []string
			for i := 0; i < 40; i++ {
				rows = append(rows, fmt.Sprintf("('key%d', 0)", i))
			}
			mustExec(t, adminA, "INSERT INTO "+tbl+" VALUES "+strings.Join(rows, ","))
			name := prefix + "-sink"
			sink := startSink(t, env, name, "topics: ["+topic+"]", tc.extra)
			WaitFor(t, 60*time.Second, "the rows on B", func() bool {
				var n int
				adminB.QueryRow("SELECT COUNT(*) FROM " + tbl).Scan(&n)
				return n == 40
			})
			for flip := 0; flip < tc.flips; flip++ {
				f := "UPPER"
				if flip%2 == 1 {
					f = "LOWER"
				}
				// One statement per key, so each key change is its own delete + create.
				for i := 0; i < 40; i++ {
					mustExec(t, adminA, fmt.Sprintf("UPDATE %s SET k = %s(k), v = v + 1 WHERE k = 'key%d'", tbl, f, i))
				}
			}
			waitApplied(t, env, adminB, name, topic, 2*time.Minute, sink)
			sink.Stop(30 * time.Second)
			dump := func(t *testing.T, db *sql.DB, table string) map[string]map[string]string {
				return queryRows(ctx, t, db, "SELECT HEX(k) AS hk, k, v FROM "+table, true)
			}
			sameTable(t, adminA, adminB, tbl, dump, 30*time.Second)
		})
	}
}

// TestSinkUniqueSwapAcrossPartitions: two rows exchange a unique value through a temporary one (id 1:
// a -> tmp -> b, id 2: b -> a); their records sit on different partitions. When id 1's move to 'b' comes
// before id 2's move away from it, the upsert meets error 1062: the sink retries that batch (for
// apply.unique_conflict_wait) while the other partition moves on, instead of stopping.
func TestSinkUniqueSwapAcrossPartitions(t *testing.T) {
	env := LoadEnv(t)
	ctx := context.Background()
	adminB := OpenDB(t, env.MySQLB, env.AdminUser, env.AdminPassword, "")
	db := NewDatabase(t, adminB, "itest_uniqswap")
	mustExec(t, adminB, "CREATE TABLE `"+db+"`.t (id INT PRIMARY KEY, email VARCHAR(20) NOT NULL, UNIQUE KEY (email))",
		"INSERT INTO `"+db+"`.t VALUES (1, 'a'), (2, 'b')")
	topic := UniqueName("uniqswap")
	CreateTopic(ctx, t, env, topic, 2)
	rec := func(partition, id int, email string) kafka.Message {
		return kafka.Message{Partition: partition, Key: fmt.Appendf(nil, `{"id":%d}`, id),
			Value: fmt.Appendf(nil, `{"before":null,"after":{"id":%d,"email":%q},"source":{"db":%q,"table":"t"},"op":"u"}`, id, email, db)}
	}
	w := &kafka.Writer{Addr: kafka.TCP(env.KafkaBrokers...), Topic: topic, RequiredAcks: kafka.RequireAll, BatchTimeout: time.Millisecond,
		Balancer: kafka.BalancerFunc(func(m kafka.Message, _ ...int) int { return m.Partition })}
	defer w.Close()
	write := func(m kafka.Message) {
		if err := w.WriteMessages(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	email := func(id int) string {
		var e string
		adminB.QueryRow("SELECT email FROM `"+db+"`.t WHERE id = ?", id).Scan(&e)
		return e
	}
	write(rec(0, 1, "tmp"))
	sink := startSink(t, env, topic+"-sink", "topics: ["+topic+"]", ", unique_conflict_wait: 60s")
	WaitFor(t, 60*time.Second, "id 1 at tmp", func() bool { return email(1) == "tmp" })
	write(rec(0, 1, "b")) // meets id 2, still at b
	WaitFor(t, 30*time.Second, "the duplicate key retried", func() bool { return strings.Contains(sink.Log(), "duplicate unique key") })
	write(rec(1, 2, "a"))
	WaitFor(t, 60*time.Second, "the swap applied", func() bool { return email(1) == "b" && email(2) == "a" })
	if sink.Exited() {
		t.Fatalf("the sink stopped:\n%s", sink.Log())
	}
	sink.Stop(30 * time.Second)
}

// TestSinkZeroDates: NOT NULL TIMESTAMP and DATETIME columns holding zero dates arrive as the epoch. On a
// target whose sql_mode is strict with NO_ZERO_DATE, the TIMESTAMP's epoch (below TIMESTAMP's range) is
// written as the zero date it stood for, so B equals A; the DATETIME's epoch is a valid DATETIME and is
// written as 1970-01-01 00:00:00 (the documented difference). The pipeline does not stop.
func TestSinkZeroDates(t *testing.T) {
	env := LoadEnv(t)
	prefix := UniqueName("zerodate")
	adminA, adminB, db, _ := pipeline(t, env, prefix,
		"CREATE TABLE {db}.t (id INT PRIMARY KEY, ts TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, dt DATETIME NOT NULL)")
	var global string
	adminB.QueryRow("SELECT @@global.sql_mode").Scan(&global)
	mustExec(t, adminB, "SET GLOBAL sql_mode = 'STRICT_TRANS_TABLES,NO_ZERO_DATE,NO_ZERO_IN_DATE,ERROR_FOR_DIVISION_BY_ZERO'")
	t.Cleanup(func() { adminB.Exec("SET GLOBAL sql_mode = ?", global) })
	conn, err := adminA.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, q := range []string{"SET SESSION sql_mode = ''",
		"INSERT INTO `" + db + "`.t VALUES (1, '0000-00-00 00:00:00', '0000-00-00 00:00:00'), (2, '2024-02-29 12:00:00', '2024-02-29 12:00:00')",
		"INSERT INTO `" + db + "`.t VALUES (3, '2024-03-01 00:00:00', '2024-03-01 00:00:00')"} {
		if _, err := conn.ExecContext(context.Background(), q); err != nil {
			t.Fatal(err)
		}
	}
	name := prefix + "-sink"
	topic := prefix + "." + db + ".t"
	sink := startSink(t, env, name, "topics: ["+topic+"]", "")
	waitApplied(t, env, adminB, name, topic, time.Minute, sink)
	sink.Stop(30 * time.Second)
	q := "SELECT id, CAST(ts AS CHAR) AS ts, CAST(dt AS CHAR) AS dt FROM `" + db + "`.t"
	a, b := queryRows(context.Background(), t, adminA, q, false), queryRows(context.Background(), t, adminB, q, false)
	if len(b) != 3 {
		t.Fatalf("B holds %v, want 3 rows", b)
	}
	for id, ra := range a {
		want := map[string]string{"ts": ra["ts"], "dt": ra["dt"]}
		if id == "1" {
			want["dt"] = "1970-01-01 00:00:00"
		}
		if b[id]["ts"] != want["ts"] || b[id]["dt"] != want["dt"] {
			t.Errorf("row %s: B has ts %q dt %q, want %q %q", id, b[id]["ts"], b[id]["dt"], want["ts"], want["dt"])
		}
	}
}

// TestSinkStopsWhileTargetDown: with apply.max_retries 0 (retry forever) and the target unreachable, a
// SIGTERM still ends the sink: the batch in flight is given up after apply.shutdown_timeout (its offset
// is not stored, so it is applied after the next start).
func TestSinkStopsWhileTargetDown(t *testing.T) {
	env := LoadEnv(t)
	ctx := context.Background()
	adminB, db, topic := sinkTarget(ctx, t, env, "downstop", 20)
	proxy := StartProxy(t, env.MySQLB)
	viaProxy := *env
	viaProxy.MySQLB = proxy.Addr()
	rec := func(id int) kafka.Message {
		return kafka.Message{Key: fmt.Appendf(nil, `{"id":%d}`, id),
			Value: fmt.Appendf(nil, `{"before":null,"after":{"id":%d,"v":"x"},"source":{"db":%q,"table":"t"},"op":"c"}`, id, db)}
	}
	w := &kafka.Writer{Addr: kafka.TCP(env.KafkaBrokers...), Topic: topic, RequiredAcks: kafka.RequireAll, BatchTimeout: time.Millisecond}
	defer w.Close()
	if err := w.WriteMessages(ctx, rec(1)); err != nil {
		t.Fatal(err)
	}
	name := topic + "-sink"
	extra := ", max_retries: 0, shutdown_timeout: 3s"
	sink := startSink(t, &viaProxy, name, "topics: ["+topic+"]", extra)
	count := func() (n int) {
		adminB.QueryRow("SELECT COUNT(*) FROM `" + db + "`.t").Scan(&n)
		return n
	}
	WaitFor(t, 60*time.Second, "row 1", func() bool { return count() == 1 })
	proxy.SetDown(true)
	if err := w.WriteMessages(ctx, rec(2)); err != nil {
		t.Fatal(err)
	}
	WaitFor(t, 30*time.Second, "the batch retried", func() bool { return strings.Contains(sink.Log(), "retrying the transaction") })
	sink.Stop(20 * time.Second)
	if !strings.Contains(sink.Log(), "gave up the batch in flight") {
		t.Errorf("no word of the batch given up:\n%s", sink.Log())
	}
	proxy.SetDown(false)
	sink = startSink(t, &viaProxy, name, "topics: ["+topic+"]", extra)
	WaitFor(t, 60*time.Second, "row 2 after the restart", func() bool { return count() == 2 })
	sink.Stop(30 * time.Second)
}

// TestSinkStatementBytes: the sink's statements are bounded by apply.statement_bytes as well as by rows:
// B's binlog records each with its values (and B's source would publish that text with every row event).
func TestSinkStatementBytes(t *testing.T) {
	env := LoadEnv(t)
	ctx := context.Background()
	adminB, db, topic := sinkTarget(ctx, t, env, "stmtbytes", 6000)
	var msgs []kafka.Message
	for id := 1; id <= 40; id++ {
		msgs = append(msgs, kafka.Message{Key: fmt.Appendf(nil, `{"id":%d}`, id),
			Value: fmt.Appendf(nil, `{"before":null,"after":{"id":%d,"v":%q},"source":{"db":%q,"table":"t"},"op":"c"}`, id, strings.Repeat("v", 5000), db)})
	}
	w := &kafka.Writer{Addr: kafka.TCP(env.KafkaBrokers...), Topic: topic, RequiredAcks: kafka.RequireAll, BatchTimeout: time.Millisecond}
	defer w.Close()
	if err := w.WriteMessages(ctx, msgs...); err != nil {
		t.Fatal(err)
	}
	start := binlogPosition(ctx, t, adminB, env.Flavor)
	name := topic + "-sink"
	sink := startSink(t, env, name, "topics: ["+topic+"]", ", statement_bytes: 20000")
	waitApplied(t, env, adminB, name, topic, time.Minute, sink)
	sink.Stop(30 * time.Second)
	queries := binlogQueries(t, env, env.MySQLB, start, db)
	if len(queries) < 10 {
		t.Errorf("%d statements for 40 rows of 5 KB with statement_bytes 20000, want at least 10", len(queries))
	}
	for _, q := range queries {
		if len(q) > 25000 {
			t.Errorf("a statement of %d bytes in B's binlog (statement_bytes 20000)", len(q))
		}
	}
}
