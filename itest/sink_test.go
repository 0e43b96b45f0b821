//go:build integration

package itest

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
)

// startSink runs a sink connector writing to B, reading topics (a comma-separated list or a regex).
func startSink(t *testing.T, env *Env, name, topicsYAML, extra string) *Proc {
	t.Helper()
	cfg := fmt.Sprintf(`name: %s
mysql: {flavor: %s, addr: %s, user: %s}
kafka: {brokers: [%s], %s}
apply: {batch_wait: 20ms, connections: 2%s}
offsets: {database: tandem_itest}
log: {level: info}
`, name, env.Flavor, env.MySQLB, env.SinkUser, strings.Join(env.KafkaBrokers, ","), topicsYAML, extra)
	return Start(t, Binary(t, "sink-connector"), []string{"TANDEM_MYSQL_PASSWORD=" + env.SinkPassword},
		"run", "--config", WriteConfig(t, cfg))
}

// sameTable waits until table has the same rows on A and B (compared as text, geometry as WKT).
func sameTable(t *testing.T, a, b *sql.DB, table string, dump func(*testing.T, *sql.DB, string) map[string]map[string]string, timeout time.Duration) {
	t.Helper()
	var diff string
	deadline := time.Now().Add(timeout)
	for {
		ra, rb := dump(t, a, table), dump(t, b, table)
		diff = rowsDiff(ra, rb)
		if diff == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s differs between A and B after %s:\n%s", table, timeout, diff)
		}
		time.Sleep(time.Second) // each look dumps both tables
	}
}

func rowsDiff(a, b map[string]map[string]string) string {
	var out []string
	for id, ra := range a {
		rb, ok := b[id]
		if !ok {
			out = append(out, fmt.Sprintf("row %s missing on B", id))
			continue
		}
		for col, va := range ra {
			if rb[col] != va {
				out = append(out, fmt.Sprintf("row %s column %s: A %.60q, B %.60q", id, col, va, rb[col]))
			}
		}
	}
	for id := range b {
		if _, ok := a[id]; !ok {
			out = append(out, fmt.Sprintf("row %s only on B", id))
		}
	}
	if len(out) > 10 {
		out = append(out[:10], fmt.Sprintf("… and %d more", len(out)-10))
	}
	return strings.Join(out, "\n")
}

// dumpSimple reads a table as quoted text, keyed by its first column.
func dumpSimple(t *testing.T, db *sql.DB, table string) map[string]map[string]string {
	t.Helper()
	return queryRows(context.Background(), t, db, "SELECT * FROM "+table, true)
}

// pipeline creates database db on A and B with the given DDL, and starts a source on A.
func pipeline(t *testing.T, env *Env, prefix string, ddl ...string) (adminA, adminB *sql.DB, db string, src *Proc) {
	t.Helper()
	adminA = OpenDB(t, env.MySQLA, env.AdminUser, env.AdminPassword, "")
	adminB = OpenDB(t, env.MySQLB, env.AdminUser, env.AdminPassword, "")
	db = NewDatabase(t, adminA, "itest_sink")
	mustExec(t, adminB, "CREATE DATABASE `"+db+"`")
	t.Cleanup(func() { adminB.Exec("DROP DATABASE IF EXISTS `" + db + "`") })
	for _, d := range ddl {
		for _, admin := range []*sql.DB{adminA, adminB} {
			mustExec(t, admin, strings.ReplaceAll(d, "{db}", "`"+db+"`"))
		}
	}
	src = startSource(t, env, prefix, db, "")
	waitStreaming(t, env, src, prefix)
	return adminA, adminB, db, src
}

// TestSinkAppliesEveryTypeAndOp: A -> source -> Kafka (4 partitions) -> two sink processes in one group
// -> B, for inserts, updates, deletes, key changes and every column type: B's tables equal A's.
func TestSinkAppliesEveryTypeAndOp(t *testing.T) {
	env := LoadEnv(t)
	prefix := UniqueName("sink")
	adminA, adminB, db, _ := pipeline(t, env, prefix, fmt.Sprintf(typesDDL, "{db}.types"),
		"CREATE TABLE {db}.items (id INT PRIMARY KEY, name VARCHAR(40), qty INT)")
	mustExec(t, adminA, "SET SESSION sql_mode = 'STRICT_TRANS_TABLES'")
	for _, row := range typesRows[:3] { // the zero-date row cannot round-trip (see TestTypesRoundTrip)
		mustExec(t, adminA, "INSERT INTO `"+db+"`.types VALUES "+row)
	}
	for i := 1; i <= 200; i++ {
		mustExec(t, adminA, fmt.Sprintf("INSERT INTO `%s`.items VALUES (%d, 'item-%d', %d)", db, i, i, i))
	}
	mustExec(t, adminA,
		"UPDATE `"+db+"`.items SET qty = qty * 2 WHERE id % 3 = 0",
		"DELETE FROM `"+db+"`.items WHERE id % 7 = 0",
		"UPDATE `"+db+"`.items SET id = id + 1000 WHERE id % 11 = 0",
		"UPDATE `"+db+"`.types SET vc = 'changed', j = '{\"changed\": true}' WHERE id = 1",
		"DELETE FROM `"+db+"`.types WHERE id = 2")

	topics := fmt.Sprintf("topics: [%s.%s.types, %s.%s.items]", prefix, db, prefix, db)
	s1 := startSink(t, env, prefix+"-sink", topics, "")
	s2 := startSink(t, env, prefix+"-sink", topics, "")
	sameTable(t, adminA, adminB, "`"+db+"`.items", dumpSimple, 90*time.Second)
	sameTable(t, adminA, adminB, "`"+db+"`.types", func(t *testing.T, db *sql.DB, table string) map[string]map[string]string {
		return dumpRows(context.Background(), t, db, table)
	}, 30*time.Second)
	s1.Stop(30 * time.Second)
	s2.Stop(30 * time.Second)
	if !strings.Contains(s1.Log()+s2.Log(), "partition assigned") {
		t.Error("no partition was assigned")
	}
}

// TestSinkSurvivesKills: the sink is killed with SIGKILL at random moments (TANDEM_ITEST_SINK_KILLS,
// default 3; full run 10) while a stream of changes (TANDEM_ITEST_SINK_CHANGES, default 20,000; full run
// 1,000,000) is applied. B equals A at the end, and the batch log shows no offset applied twice.
func TestSinkSurvivesKills(t *testing.T) {
	env := LoadEnv(t)
	kills := EnvInt("TANDEM_ITEST_SINK_KILLS", 3)
	changes := EnvInt("TANDEM_ITEST_SINK_CHANGES", 20000)
	prefix := UniqueName("sinkkill")
	adminA, adminB, db, _ := pipeline(t, env, prefix, "CREATE TABLE {db}.t (id INT PRIMARY KEY, v BIGINT NOT NULL, note VARCHAR(40))")

	// Writer: transactions of 1000 changes over 20,000 keys, as multi-row upserts of 100 rows and deletes.
	// (Every event carries its statement's text in source.query: 1,000-row statements made the events
	// ten times larger and the stream ten times slower.)
	var stop atomic.Bool
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		rng := rand.New(rand.NewPCG(1, 2))
		for done := 0; done < changes && !stop.Load(); done += 1000 {
			var upserts, deletes []string
			for i := 0; i < 1000; i++ {
				id := rng.IntN(20000)
				if rng.IntN(10) == 0 {
					deletes = append(deletes, fmt.Sprint(id))
				} else {
					upserts = append(upserts, fmt.Sprintf("(%d, %d, 'n')", id, done+i))
				}
			}
			tx, err := adminA.Begin()
			for rows := upserts; err == nil && len(rows) > 0; rows = rows[min(100, len(rows)):] {
				_, err = tx.Exec(fmt.Sprintf("INSERT INTO `%s`.t VALUES %s ON DUPLICATE KEY UPDATE v = VALUES(v)", db, strings.Join(rows[:min(100, len(rows))], ",")))
			}
			if err == nil && len(deletes) > 0 {
				_, err = tx.Exec(fmt.Sprintf("DELETE FROM `%s`.t WHERE id IN (%s)", db, strings.Join(deletes, ",")))
			}
			if err == nil {
				err = tx.Commit()
			}
			if err != nil {
				t.Error(err)
				return
			}
		}
	}()

	topic := prefix + "." + db + ".t"
	name := prefix + "-sink"
	sink := startSink(t, env, name, "topics: ["+topic+"]", ", batch_log: true")
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < kills; i++ {
		time.Sleep(time.Duration(1000+rng.IntN(2000)) * time.Millisecond)
		sink.Kill()
		sink = startSink(t, env, name, "topics: ["+topic+"]", ", batch_log: true")
	}
	wg.Wait()
	waitApplied(t, env, adminB, name, topic, 10*time.Minute)
	// The topic's end can stand still for a moment while the source still streams a backlog (each event
	// of the writer's 1,000-row statements carries the statement's text): B must reach A in the end.
	sameTable(t, adminA, adminB, "`"+db+"`.t", dumpSimple, 10*time.Minute)

	batches := checkBatchLog(t, adminB, name)
	t.Logf("%d kills during %d changes; %d batches, no offset applied twice", kills, changes, batches)
	sink.Stop(30 * time.Second)
}

// sinkTarget makes what a sink test writes records for by hand: a database on B with table t (id INT
// PRIMARY KEY, v VARCHAR(width)) and a one-partition topic, both named after name.
func sinkTarget(ctx context.Context, t *testing.T, env *Env, name string, width int) (adminB *sql.DB, db, topic string) {
	t.Helper()
	adminB = OpenDB(t, env.MySQLB, env.AdminUser, env.AdminPassword, "")
	db = NewDatabase(t, adminB, "itest_"+name)
	mustExec(t, adminB, fmt.Sprintf("CREATE TABLE `%s`.t (id INT PRIMARY KEY, v VARCHAR(%d))", db, width))
	topic = UniqueName(name)
	CreateTopic(ctx, t, env, topic, 1)
	return adminB, db, topic
}

// TestSinkDuplicatesAndBadRecords: duplicated records leave B correct; malformed JSON, a value too long
// for its column, an unknown table and an identifier crafted to inject SQL stop the sink with a message
// naming the record (nothing after it applied), or with a dead-letter topic go there with headers saying
// why, while the rest is applied. A stored offset beyond what Kafka holds stops the sink.
func TestSinkDuplicatesAndBadRecords(t *testing.T) {
	env := LoadEnv(t)
	ctx := context.Background()
	adminB, db, topic := sinkTarget(ctx, t, env, "bad", 20)

	rec := func(op string, id int, v string) kafka.Message {
		after := fmt.Sprintf(`{"id":%d,"v":%q}`, id, v)
		if op == "d" {
			return kafka.Message{Key: fmt.Appendf(nil, `{"id":%d}`, id),
				Value: fmt.Appendf(nil, `{"before":%s,"after":null,"source":{"db":%q,"table":"t"},"op":"d"}`, after, db)}
		}
		return kafka.Message{Key: fmt.Appendf(nil, `{"id":%d}`, id),
			Value: fmt.Appendf(nil, `{"before":null,"after":%s,"source":{"db":%q,"table":"t"},"op":%q}`, after, db, op)}
	}
	w := &kafka.Writer{Addr: kafka.TCP(env.KafkaBrokers...), Topic: topic, RequiredAcks: kafka.RequireAll, BatchTimeout: time.Millisecond}
	defer w.Close()
	write := func(msgs ...kafka.Message) {
		if err := w.WriteMessages(ctx, msgs...); err != nil {
			t.Fatal(err)
		}
	}
	// Duplicates, as after a source restart: the same changes twice.
	good := []kafka.Message{rec("c", 1, "one"), rec("c", 2, "two"), rec("u", 1, "uno"), rec("d", 2, "two")}
	write(good...)
	write(good...)
	write(rec("c", 3, "three"))
	name := topic + "-sink"
	sink := startSink(t, env, name, "topics: ["+topic+"]", "")
	WaitFor(t, 60*time.Second, "the good records applied", func() bool {
		var n int
		adminB.QueryRow("SELECT COUNT(*) FROM `" + db + "`.t WHERE (id, v) IN ((1, 'uno'), (3, 'three'))").Scan(&n)
		return n == 2
	})
	var n int
	adminB.QueryRow("SELECT COUNT(*) FROM `" + db + "`.t").Scan(&n)
	if n != 2 {
		t.Errorf("B has %d rows after duplicated records, want 2", n)
	}

	// Bad records stop the sink, naming the record; what follows is not applied.
	cases := []struct {
		name string
		msg  kafka.Message
		want string
	}{
		{"malformed JSON", kafka.Message{Key: []byte(`{"id":9}`), Value: []byte(`{"op":"c","after":{"id":9`)}, "undecodable value"},
		{"data too long", rec("c", 9, strings.Repeat("x", 30)), "Data too long"},
		{"unknown table", kafka.Message{Key: []byte(`{"id":9}`),
			Value: fmt.Appendf(nil, `{"after":{"id":9},"source":{"db":%q,"table":"nosuch"},"op":"c"}`, db)}, "does not exist"},
		{"injection in a column name", kafka.Message{Key: []byte(`{"id":9}`),
			Value: fmt.Appendf(nil, "{\"after\":{\"id\":9,\"v`) VALUES (1); DROP TABLE t; --\":1},\"source\":{\"db\":%q,\"table\":\"t\"},\"op\":\"c\"}", db)}, "not a valid column name"},
		{"injection in a table name", kafka.Message{Key: []byte(`{"id":9}`),
			Value: fmt.Appendf(nil, "{\"after\":{\"id\":9},\"source\":{\"db\":%q,\"table\":\"t` (id) VALUES (1); --\"},\"op\":\"c\"}", db)}, "not a valid name"},
	}
	sink.Stop(30 * time.Second)
	for i, c := range cases {
		write(c.msg, rec("c", 100+i, "after-bad"))
		sink = startSink(t, env, name, "topics: ["+topic+"]", "")
		WaitFor(t, 60*time.Second, c.name+": the sink to stop", sink.Exited)
		if sink.exitErr == nil || !strings.Contains(sink.Log(), c.want) || !strings.Contains(sink.Log(), topic+"[0]@") {
			t.Fatalf("%s: exit %v; want a message with %q and the record's topic, partition and offset:\n%s", c.name, sink.exitErr, c.want, sink.Log())
		}
		var after int
		adminB.QueryRow("SELECT COUNT(*) FROM `"+db+"`.t WHERE id = ?", 100+i).Scan(&after)
		if after != 0 {
			t.Errorf("%s: a record after the bad one was applied", c.name)
		}
		// Step over the bad record as an operator would, with `offsets set`, for the next case.
		out, err := runSinkCmd(t, env, name, topic, "offsets", "set", "--topic", topic, "--partition", "0", "--offset",
			fmt.Sprint(TopicSize(ctx, env, topic)-1))
		if err != nil {
			t.Fatalf("offsets set: %v\n%s", err, out)
		}
	}
	if _, err := adminB.Exec("SELECT 1 FROM `" + db + "`.t LIMIT 1"); err != nil {
		t.Fatalf("table t is gone: %v", err)
	}

	// With a dead-letter topic the bad records are set aside and the sink goes on.
	dlq := topic + ".dlq"
	CreateTopic(ctx, t, env, dlq, 1)
	mustExec(t, adminB, "DELETE FROM tandem_itest.tandem_sink_offsets WHERE consumer = '"+name+"'")
	sink = startSink(t, env, name, "topics: ["+topic+"]", ", dead_letter_topic: "+dlq)
	WaitFor(t, 60*time.Second, "all good records applied past the bad ones", func() bool {
		var n int
		adminB.QueryRow("SELECT COUNT(*) FROM `" + db + "`.t WHERE v = 'after-bad'").Scan(&n)
		return n == len(cases)
	})
	WaitFor(t, 30*time.Second, "the dead letters", func() bool { return TopicSize(ctx, env, dlq) >= int64(len(cases)) })
	for _, m := range readPartition(ctx, t, env, dlq, 0) {
		h := map[string]string{}
		for _, x := range m.Headers {
			h[x.Key] = string(x.Value)
		}
		if h["tandem.error"] == "" || h["tandem.topic"] != topic || h["tandem.offset"] == "" {
			t.Errorf("dead letter without the headers saying why: %v", h)
		}
	}
	sink.Stop(30 * time.Second)

	// A stored offset Kafka no longer holds (retention deleted the records, or the topic was recreated)
	// stops the sink, saying so: going on from elsewhere would skip records.
	beyond := TopicSize(ctx, env, topic) + 100
	if out, err := runSinkCmd(t, env, name, topic, "offsets", "set", "--topic", topic, "--partition", "0", "--offset", fmt.Sprint(beyond)); err != nil {
		t.Fatalf("offsets set: %v\n%s", err, out)
	}
	sink = startSink(t, env, name, "topics: ["+topic+"]", "")
	WaitFor(t, 60*time.Second, "the sink to stop at an offset Kafka does not hold", sink.Exited)
	if want := fmt.Sprintf("offset %d is not in Kafka", beyond); sink.exitErr == nil || !strings.Contains(sink.Log(), want) {
		t.Errorf("exit %v; want a message with %q:\n%s", sink.exitErr, want, sink.Log())
	}
}

func runSinkCmd(t *testing.T, env *Env, name, topic string, args ...string) (string, error) {
	t.Helper()
	cfg := WriteConfig(t, fmt.Sprintf("name: %s\nmysql: {flavor: %s, addr: %s, user: %s}\nkafka: {brokers: [%s], topics: [%s]}\noffsets: {database: tandem_itest}\n",
		name, env.Flavor, env.MySQLB, env.SinkUser, strings.Join(env.KafkaBrokers, ","), topic))
	cmd := exec.Command(Binary(t, "sink-connector"), append(args, "--config", cfg)...)
	cmd.Env = append(os.Environ(), "TANDEM_MYSQL_PASSWORD="+env.SinkPassword)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestSinkSkipsMarked: changes written on A with the marker comment (as a sink writes them) are skipped;
// their offsets still advance, and the sink's own writes on B carry the marker in B's binlog.
func TestSinkSkipsMarked(t *testing.T) {
	env := LoadEnv(t)
	prefix := UniqueName("marker")
	adminA, adminB, db, _ := pipeline(t, env, prefix, "CREATE TABLE {db}.t (id INT PRIMARY KEY, origin VARCHAR(10))")
	mustExec(t, adminA,
		"/* dts */ INSERT INTO `"+db+"`.t VALUES (1, 'sink')",
		"INSERT INTO `"+db+"`.t VALUES (2, 'app')",
		"/* dts */ UPDATE `"+db+"`.t SET origin = 'sink2' WHERE id = 2",
		"INSERT INTO `"+db+"`.t VALUES (3, 'app')")
	start := binlogPosition(context.Background(), t, adminB, env.Flavor)
	topic := prefix + "." + db + ".t"
	sink := startSink(t, env, prefix+"-sink", "topics: ["+topic+"]", "")
	WaitFor(t, 60*time.Second, "row 3 on B", func() bool {
		var n int
		adminB.QueryRow("SELECT COUNT(*) FROM `" + db + "`.t WHERE id = 3").Scan(&n)
		return n == 1
	})
	got := dumpSimple(t, adminB, "`"+db+"`.t")
	if len(got) != 2 || got["'2'"]["origin"] != "'app'" || got["'3'"] == nil {
		t.Errorf("B holds %v; want rows 2 (origin app: the marked update skipped) and 3, not row 1", got)
	}
	sink.Stop(30 * time.Second)
	// B's binlog: the sink's statements start with the marker.
	marked := binlogQueries(t, env, env.MySQLB, start, db)
	if len(marked) == 0 {
		t.Fatal("no statement of the sink in B's binlog")
	}
	for _, q := range marked {
		if !strings.HasPrefix(q, "/* dts */ ") {
			t.Errorf("statement in B's binlog without the marker: %.100s", q)
		}
	}
}

// TestSinkSchemaEvolution: with schema_evolution=basic a missing target table is created from the
// records' schema, and a column added on A (ALTER TABLE in the stream) is added on B.
func TestSinkSchemaEvolution(t *testing.T) {
	env := LoadEnv(t)
	prefix := UniqueName("evolve")
	adminA, adminB, db, _ := pipeline(t, env, prefix)
	mustExec(t, adminA, "CREATE TABLE `"+db+"`.t (id INT PRIMARY KEY, name VARCHAR(20) NOT NULL, price DECIMAL(8,2), at DATETIME(6))",
		"INSERT INTO `"+db+"`.t VALUES (1, 'one', 1.50, '2024-02-29 12:00:00.123456')")
	topic := prefix + "." + db + ".t"
	sink := startSink(t, env, prefix+"-sink", "topics: ["+topic+"]", ", schema_evolution: basic")
	WaitFor(t, 60*time.Second, "the table created on B", func() bool {
		var n int
		adminB.QueryRow("SELECT COUNT(*) FROM `" + db + "`.t").Scan(&n)
		return n == 1
	})
	mustExec(t, adminA, "ALTER TABLE `"+db+"`.t ADD COLUMN tag VARCHAR(10) NULL",
		"INSERT INTO `"+db+"`.t VALUES (2, 'two', NULL, NULL, 'new')")
	sameTable(t, adminA, adminB, "`"+db+"`.t", dumpSimple, 60*time.Second)
	sink.Stop(30 * time.Second)
}

// waitApplied waits until the topic has stopped growing (the source caught up) and the sink's stored
// offsets reach its end, polling cheaply instead of comparing tables.
// Any of procs exiting fails the test at once.
func waitApplied(t *testing.T, env *Env, target *sql.DB, consumer, topic string, timeout time.Duration, procs ...*Proc) {
	t.Helper()
	ctx := context.Background()
	last, stable := int64(-1), 0
	WaitFor(t, timeout, "the sink to apply the whole topic", func() bool {
		for _, p := range procs {
			if p.Exited() {
				t.Fatalf("a connector exited:\n%s", p.Log())
			}
		}
		end := TopicSize(ctx, env, topic)
		if end == last {
			stable++
		} else {
			last, stable = end, 0
		}
		var applied int64
		target.QueryRow("SELECT COALESCE(SUM(next_offset), 0) FROM tandem_itest.tandem_sink_offsets WHERE consumer = ? AND next_offset >= 0", consumer).Scan(&applied)
		time.Sleep(400 * time.Millisecond)
		return stable >= 5 && applied >= end
	})
}

// TestSinkReadsCompressedBatches: producers compress batches (Kafka Connect and Debezium often do): the
// sink reads records compressed with each codec Kafka has.
func TestSinkReadsCompressedBatches(t *testing.T) {
	env := LoadEnv(t)
	ctx := context.Background()
	adminB, db, topic := sinkTarget(ctx, t, env, "codec", 40)
	codecs := []kafka.Compression{kafka.Gzip, kafka.Snappy, kafka.Lz4, kafka.Zstd}
	const each = 50
	for c, codec := range codecs {
		w := &kafka.Writer{Addr: kafka.TCP(env.KafkaBrokers...), Topic: topic, RequiredAcks: kafka.RequireAll,
			Compression: codec, BatchSize: each, BatchTimeout: 10 * time.Millisecond}
		var msgs []kafka.Message
		for i := range each {
			id := c*1000 + i
			msgs = append(msgs, kafka.Message{Key: fmt.Appendf(nil, `{"id":%d}`, id),
				Value: fmt.Appendf(nil, `{"before":null,"after":{"id":%d,"v":"%s %s"},"source":{"db":%q,"table":"t"},"op":"c"}`,
					id, codec, strings.Repeat("z", 20), db)})
		}
		if err := w.WriteMessages(ctx, msgs...); err != nil {
			t.Fatalf("%s: %v", codec, err)
		}
		w.Close()
	}
	sink := startSink(t, env, topic+"-sink", "topics: ["+topic+"]", "")
	WaitFor(t, time.Minute, "every compressed record applied", func() bool {
		var n int
		adminB.QueryRow("SELECT COUNT(*) FROM `" + db + "`.t").Scan(&n)
		return n == len(codecs)*each
	})
	for _, codec := range codecs {
		var n int
		adminB.QueryRow("SELECT COUNT(*) FROM `"+db+"`.t WHERE v LIKE ?", codec.String()+" %").Scan(&n)
		if n != each {
			t.Errorf("%s: %d rows, want %d", codec, n, each)
		}
	}
	sink.Stop(30 * time.Second)
}

// TestSinkReadsCommittedTransactions: records a producer wrote in Kafka transactions (as Kafka Connect
// does with exactly-once source support) are applied once their transaction commits, never when it
// aborts. The transactions are written by Kafka's own Java client.
func TestSinkReadsCommittedTransactions(t *testing.T) {
	env := LoadEnv(t)
	if env.KafkaClientLibs == "" {
		t.Skip("TANDEM_KAFKA_CLIENT_LIBS is not set: no Kafka Java client to write transactions with")
	}
	ctx := context.Background()
	adminB, db, topic := sinkTarget(ctx, t, env, "txn", 40)
	value := func(id int, v string) string {
		return fmt.Sprintf(`{"before":null,"after":{"id":%d,"v":%q},"source":{"db":%q,"table":"t"},"op":"c"}`, id, v, db)
	}
	send := func(id int, v string) string { return fmt.Sprintf("send\t{\"id\":%d}\t%s", id, value(id, v)) }
	script := strings.Join([]string{
		"begin", send(1, "one"), send(2, "two"), "commit",
		"begin", send(3, "aborted"), send(1, "aborted"), "abort",
		"begin", send(4, "four"), send(2, "two again"), "commit",
		"begin", send(5, "aborted"), "abort",
	}, "\n") + "\n"
	cmd := exec.Command("java", "-cp", filepath.Join(env.KafkaClientLibs, "*"), "testdata/TxnProducer.java",
		strings.Join(env.KafkaBrokers, ","), topic)
	cmd.Stdin = strings.NewReader(script)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("transactional producer: %v\n%s", err, out)
	}
	// A record without a transaction after them: once it is applied, everything before it was read.
	w := &kafka.Writer{Addr: kafka.TCP(env.KafkaBrokers...), Topic: topic, RequiredAcks: kafka.RequireAll, BatchTimeout: time.Millisecond}
	if err := w.WriteMessages(ctx, kafka.Message{Key: []byte(`{"id":6}`), Value: []byte(value(6, "plain"))}); err != nil {
		t.Fatal(err)
	}
	w.Close()
	sink := startSink(t, env, topic+"-sink", "topics: ["+topic+"]", "")
	WaitFor(t, time.Minute, "the record after the transactions applied", func() bool {
		var n int
		adminB.QueryRow("SELECT COUNT(*) FROM `" + db + "`.t WHERE id = 6").Scan(&n)
		return n == 1
	})
	rows, err := adminB.Query("SELECT id, v FROM `" + db + "`.t ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var id int
		var v string
		if err := rows.Scan(&id, &v); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%d=%s", id, v))
	}
	if want := "1=one 2=two again 4=four 6=plain"; strings.Join(got, " ") != want {
		t.Errorf("B holds %q, want %q: aborted transactions must not be applied", strings.Join(got, " "), want)
	}
	sink.Stop(30 * time.Second)
}
