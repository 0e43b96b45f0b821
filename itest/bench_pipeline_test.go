//go:build integration

package itest

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
)

// TestBenchPipeline measures the whole pipeline and the machine's own limits. It runs only with
// TANDEM_BENCH=1 (make bench-pipeline):
//   - end-to-end latency from the write on A to the write on B at steady rates of 1,000 and 5,000 rows/s
//     for TANDEM_BENCH_LATENCY_SECONDS (default 60), measured from timestamps in the rows: created_at is
//     NOW(6) of the insert on A, applied_at the DEFAULT CURRENT_TIMESTAMP(6) of the sink's insert on B;
//   - CPU seconds and peak RSS of both daemons during those runs;
//   - raw multi-row upsert rows/s into B (1,000-row statements, one connection) and raw kafka-go produce
//     messages/s (acks=all) for TANDEM_BENCH_RAW_ROWS (default 1,000,000).
func TestBenchPipeline(t *testing.T) {
	if os.Getenv("TANDEM_BENCH") == "" {
		t.Skip("benchmark: run with TANDEM_BENCH=1 (make bench-pipeline)")
	}
	env := LoadEnv(t)
	seconds := EnvInt("TANDEM_BENCH_LATENCY_SECONDS", 60)
	raw := EnvInt("TANDEM_BENCH_RAW_ROWS", 1000000)
	var b strings.Builder
	fmt.Fprintf(&b, "\n| end to end (A commit -> B commit) | rows/s achieved | p50 ms | p95 ms | p99 ms | max ms | source CPU s / peak RSS MB | sink CPU s / peak RSS MB |\n|---|---|---|---|---|---|---|---|\n")
	for _, rate := range []int{1000, 5000} {
		latencyRun(t, env, &b, rate, time.Duration(seconds)*time.Second)
	}
	fmt.Fprintf(&b, "\n| machine limit | rows | seconds | rows/s |\n|---|---|---|---|\n")
	rawUpsert(t, env, &b, raw)
	rawProduce(t, env, &b, raw)
	t.Log(b.String())
	writeBenchResults(t, b.String())
}

func latencyRun(t *testing.T, env *Env, out *strings.Builder, rate int, d time.Duration) {
	prefix := UniqueName("lat")
	adminA, adminB, db, src := pipeline(t, env, prefix,
		"CREATE TABLE {db}.lat (id BIGINT PRIMARY KEY AUTO_INCREMENT, created_at DATETIME(6) NOT NULL, pad VARCHAR(40))")
	mustExec(t, adminB, "ALTER TABLE `"+db+"`.lat ADD COLUMN applied_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)")
	topic := prefix + "." + db + ".lat"
	name := prefix + "-sink"
	sink := startSink(t, env, name, "topics: ["+topic+"]", "")
	// Warm-up: the topic exists only after the first record, and the sink joins its group then; rows
	// written before that are not part of the steady state.
	mustExec(t, adminA, "INSERT INTO `"+db+"`.lat (created_at, pad) VALUES (NOW(6), 'warm-up')")
	WaitFor(t, time.Minute, "the warm-up row on B", func() bool {
		var n int
		adminB.QueryRow("SELECT COUNT(*) FROM `" + db + "`.lat").Scan(&n)
		return n == 1
	})
	// Every 10 ms one multi-row insert of rate/100 rows, from a small pool so a slow statement does not
	// hold back the next tick.
	per := rate / 100
	stmt := "INSERT INTO `" + db + "`.lat (created_at, pad) VALUES " + strings.TrimSuffix(strings.Repeat("(NOW(6), 'latency probe row'), ", per), ", ")
	tick := time.NewTicker(10 * time.Millisecond)
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	start := time.Now()
	for time.Since(start) < d {
		<-tick.C
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if _, err := adminA.Exec(stmt); err != nil {
				t.Error(err)
			}
		}()
	}
	tick.Stop()
	wg.Wait()
	wrote := time.Since(start)
	waitApplied(t, env, adminB, name, topic, 5*time.Minute, src, sink)
	rows, err := adminB.Query("SELECT TIMESTAMPDIFF(MICROSECOND, created_at, applied_at) FROM `" + db + "`.lat WHERE pad <> 'warm-up'")
	if err != nil {
		t.Fatal(err)
	}
	var lat []int64
	for rows.Next() {
		var us int64
		rows.Scan(&us)
		lat = append(lat, us)
	}
	rows.Close()
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))]) / 1000 }
	fmt.Fprintf(out, "| steady %d rows/s for %s | %.0f | %.1f | %.1f | %.1f | %.1f | %.1f / %.0f | %.1f / %.0f |\n", rate, d,
		float64(len(lat))/wrote.Seconds(), pct(0.50), pct(0.95), pct(0.99), pct(1), src.CPUSeconds(), src.PeakRSSMB(),
		sink.CPUSeconds(), sink.PeakRSSMB())
	if os.Getenv("TANDEM_BENCH_LOGS") != "" {
		t.Logf("source log:\n%s\nsink log:\n%s", src.Log(), sink.Log())
	}
	sink.Stop(30 * time.Second)
	src.Stop(30 * time.Second)
}

func rawUpsert(t *testing.T, env *Env, out *strings.Builder, n int) {
	adminB := OpenDB(t, env.MySQLB, env.AdminUser, env.AdminPassword, "")
	db := NewDatabase(t, adminB, "bench_raw")
	mustExec(t, adminB, "CREATE TABLE `"+db+"`.t (id BIGINT PRIMARY KEY, a INT, b VARCHAR(64), c DATETIME(6))")
	conn := OpenDB(t, env.MySQLB, env.AdminUser, env.AdminPassword, db)
	const per = 1000
	stmt := "INSERT INTO t VALUES " + strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?), ", per), ", ") +
		" ON DUPLICATE KEY UPDATE a = VALUES(a), b = VALUES(b), c = VALUES(c)"
	args := make([]any, 0, per*4)
	start := time.Now()
	for done := 0; done < n; done += per * 5 {
		tx, err := conn.Begin()
		if err != nil {
			t.Fatal(err)
		}
		for s := 0; s < 5; s++ {
			args = args[:0]
			for i := 0; i < per; i++ {
				id := done + s*per + i
				args = append(args, id, id%1000, fmt.Sprintf("row-%d-gen-0-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", id), "2024-01-01 00:00:00.123456")
			}
			if _, err := tx.Exec(stmt, args...); err != nil {
				t.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	took := time.Since(start)
	fmt.Fprintf(out, "| raw multi-row upsert into B (1 connection, 1,000 rows per statement, 5 per transaction) | %d | %.2f | %.0f |\n",
		n, took.Seconds(), float64(n)/took.Seconds())
}

func rawProduce(t *testing.T, env *Env, out *strings.Builder, n int) {
	ctx := context.Background()
	topic := UniqueName("benchraw")
	CreateTopic(ctx, t, env, topic, 1)
	w := &kafka.Writer{Addr: kafka.TCP(env.KafkaBrokers...), Topic: topic, RequiredAcks: kafka.RequireAll,
		BatchSize: 5000, BatchBytes: 1 << 20, BatchTimeout: 5 * time.Millisecond}
	defer w.Close()
	value := []byte(strings.Repeat("v", 200))
	msgs := make([]kafka.Message, 10000)
	start := time.Now()
	for done := 0; done < n; done += len(msgs) {
		for i := range msgs {
			msgs[i] = kafka.Message{Key: fmt.Appendf(nil, `{"id":%d}`, done+i), Value: value}
		}
		if err := w.WriteMessages(ctx, msgs...); err != nil {
			t.Fatal(err)
		}
	}
	took := time.Since(start)
	fmt.Fprintf(out, "| raw kafka-go produce, 200-byte values, acks=all, 1 partition | %d | %.2f | %.0f |\n", n, took.Seconds(), float64(n)/took.Seconds())
}
