//go:build integration

package itest

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/tandemcdc/tandem/envelope"
)

// TestBenchSink measures Kafka -> MariaDB B apply throughput of the sink connector. It runs only with
// TANDEM_BENCH=1 (make bench-sink): a 4-partition topic is filled with TANDEM_BENCH_SINK_CHANGES changes
// (default 1,000,000: inserts of half as many keys, then an update of each) in Debezium's JSON with
// schemas, and another without, then sinks with 1 and with 4 connections apply it into fresh tables; the clock runs from the
// process start until the stored offsets reach the end of the topic.
func TestBenchSink(t *testing.T) {
	if os.Getenv("TANDEM_BENCH") == "" {
		t.Skip("benchmark: run with TANDEM_BENCH=1 (make bench-sink)")
	}
	env := LoadEnv(t)
	changes := EnvInt("TANDEM_BENCH_SINK_CHANGES", 1000000)
	adminB := OpenDB(t, env.MySQLB, env.AdminUser, env.AdminPassword, "")
	WarmGroupCoordinator(context.Background(), t, env)
	var b strings.Builder
	fmt.Fprintf(&b, "\n| sink: Kafka -> MariaDB B applied | changes | seconds | rows/s | applying rows/s (first commit to last) | sink CPU s | peak RSS MB |\n|---|---|---|---|---|---|---|\n")
	for _, withSchemas := range []bool{true, false} {
		benchSinkFormat(t, env, adminB, &b, changes, withSchemas)
	}
	t.Log(b.String())
	writeBenchResults(t, b.String())
}

// benchSinkFormat fills a topic with changes in JSON with or without schemas and applies it with 1 and
// with 4 connections, adding a row per run to b.
func benchSinkFormat(t *testing.T, env *Env, adminB *sql.DB, b *strings.Builder, changes int, withSchemas bool) {
	ctx := context.Background()
	topic := UniqueName("benchsink")
	CreateTopic(ctx, t, env, topic, 4)

	fields := []envelope.Field{
		{Name: "id", Schema: &envelope.Schema{Type: envelope.Int64}},
		{Name: "a", Schema: &envelope.Schema{Type: envelope.Int32, Optional: true}},
		{Name: "b", Schema: &envelope.Schema{Type: envelope.String, Optional: true}},
		{Name: "c", Schema: &envelope.Schema{Type: envelope.Int64, Optional: true, Name: envelope.MicroTimestampName, Version: 1}},
	}
	wire, err := envelope.NewTable("bench", "benchdb", "t", fields, []string{"id"}, envelope.SourceSchema("mariadb"))
	if err != nil {
		t.Fatal(err)
	}
	w := &kafka.Writer{Addr: kafka.TCP(env.KafkaBrokers...), Topic: topic, Balancer: &kafka.Murmur2Balancer{},
		RequiredAcks: kafka.RequireAll, BatchSize: 5000, BatchBytes: 1 << 20, BatchTimeout: 5 * time.Millisecond}
	keys := changes / 2
	opt := envelope.JSONOptions{Schemas: withSchemas, Cache: &envelope.SourceCache{}}
	var msgs []kafka.Message
	started := time.Now()
	for i := 0; i < changes; i++ {
		id := int64(i%keys + 1)
		row := []any{id, int32(i % 1000), fmt.Sprintf("row-%d-gen-%d-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", id, i/keys), int64(1700000000000000 + i)}
		ev := &envelope.Envelope{After: row, Op: envelope.OpCreate, Source: envelope.Source{Version: "bench", Connector: "mariadb",
			Name: "bench", DB: "benchdb", Table: "t", Snapshot: "false", File: "f", Pos: 4, ServerID: 1}}
		if i >= keys {
			ev.Op, ev.Before = envelope.OpUpdate, row
		}
		key, _, err := wire.AppendKeyJSON(nil, wire.KeyOf(row), opt)
		if err != nil {
			t.Fatal(err)
		}
		value, err := wire.AppendEnvelopeJSON(nil, ev, opt)
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, kafka.Message{Key: key, Value: value})
		if len(msgs) == 20000 || i == changes-1 {
			if err := w.WriteMessages(ctx, msgs...); err != nil {
				t.Fatalf("fill the topic: %.500s", err)
			}
			msgs = msgs[:0]
		}
	}
	w.Close()
	t.Logf("topic %s filled with %d changes in %s", topic, changes, time.Since(started).Round(time.Millisecond))

	format := "JSON with schemas"
	if !withSchemas {
		format = "JSON without schemas"
	}
	for _, conns := range []int{1, 4} {
		db := NewDatabase(t, adminB, "bench_sink")
		mustExec(t, adminB, "CREATE TABLE `"+db+"`.t (id BIGINT PRIMARY KEY, a INT, b VARCHAR(64), c DATETIME(6))")
		name := fmt.Sprintf("%s-%d", topic, conns)
		cfg := fmt.Sprintf(`name: %s
mysql: {flavor: %s, addr: %s, user: %s}
kafka: {brokers: [%s], topics: [%s]}
apply: {connections: %d}
routing: {database: %s}
offsets: {database: tandem_itest}
log: {level: warn}
`, name, env.Flavor, env.MySQLB, env.SinkUser, strings.Join(env.KafkaBrokers, ","), topic, conns, db)
		bin := Binary(t, "sink-connector") // built before the clock starts: the first call runs go build
		start := time.Now()
		p := Start(t, bin, []string{"TANDEM_MYSQL_PASSWORD=" + env.SinkPassword}, "run", "--config", WriteConfig(t, cfg))
		var first time.Time
		var firstApplied int64
		WaitFor(t, 20*time.Minute, fmt.Sprintf("%d changes applied with %d connections", changes, conns), func() bool {
			var applied int64
			adminB.QueryRow("SELECT COALESCE(SUM(GREATEST(next_offset, 0)), 0) FROM tandem_itest.tandem_sink_offsets WHERE consumer = ?", name).Scan(&applied)
			if applied > 0 && first.IsZero() {
				first, firstApplied = time.Now(), applied
			}
			return applied >= int64(changes)
		})
		took := time.Since(start)
		applying := float64(int64(changes)-firstApplied) / time.Since(first).Seconds()
		cpu := p.CPUSeconds()
		p.Stop(time.Minute)
		var rows int
		adminB.QueryRow("SELECT COUNT(*) FROM `" + db + "`.t WHERE b LIKE '%-gen-1-%'").Scan(&rows)
		if rows != keys {
			t.Errorf("%d connections: %d rows carry the update, want %d", conns, rows, keys)
		}
		fmt.Fprintf(b, "| %d inserts then %d updates, %s, %d connection(s) | %d | %.2f | %.0f | %.0f | %.1f | %.0f |\n",
			keys, changes-keys, format, conns, changes, took.Seconds(), float64(changes)/took.Seconds(), applying, cpu, p.PeakRSSMB())
	}
}
