//go:build integration

package itest

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestBenchSource measures binlog -> Kafka acknowledged throughput of the source connector, and the
// snapshot's table -> Kafka acknowledged rate. It runs only
// with TANDEM_BENCH=1 (make bench-source): the data is written to A first, then the source starts at the
// position before it, and the clock runs from the process start until the last record is in Kafka.
// Sizes: TANDEM_BENCH_BULK_ROWS (default 1,000,000) and TANDEM_BENCH_TXNS (default 200,000).
func TestBenchSource(t *testing.T) {
	if os.Getenv("TANDEM_BENCH") == "" {
		t.Skip("benchmark: run with TANDEM_BENCH=1 (make bench-source)")
	}
	env := LoadEnv(t)
	bulk := EnvInt("TANDEM_BENCH_BULK_ROWS", 1000000)
	txns := EnvInt("TANDEM_BENCH_TXNS", 200000)
	ctx := context.Background()
	admin := OpenDB(t, env.MySQLA, env.AdminUser, env.AdminPassword, "")
	db := NewDatabase(t, admin, "bench_src")
	mustExec(t, admin, "CREATE TABLE `"+db+"`.bulk (id BIGINT PRIMARY KEY, a INT, b VARCHAR(64), c DATETIME(6))",
		"CREATE TABLE `"+db+"`.small (id BIGINT PRIMARY KEY, a INT, b VARCHAR(64), c DATETIME(6))")

	type result struct {
		name   string
		events int
		took   time.Duration // process start to the last record acknowledged
		stream time.Duration // first record to last record in Kafka
		rssMB  float64
	}
	var results []result
	// run streams from startGTID, or snapshots the table when startGTID is "snapshot".
	run := func(name, table string, events int, schemas bool, startGTID string) {
		prefix := UniqueName("bench")
		start := fmt.Sprintf("start_gtid: %q", startGTID)
		if startGTID == "snapshot" {
			start = "heartbeat: 5s}\nsnapshot: {mode: initial_only"
		}
		cfg := fmt.Sprintf(`name: %s
topic_prefix: %s
mysql: {flavor: %s, addr: %s, user: %s, server_id: %d, %s}
kafka: {brokers: [%s], partitions: 1}
filters: {include_tables: ['%s\.%s']}
events: {schemas: %t}
offsets: {topic: %s.offsets}
log: {level: warn}
`, prefix, prefix, env.Flavor, env.MySQLA, env.CDCUser, nextServerID.Add(1)+7000, start,
			strings.Join(env.KafkaBrokers, ","), db, table, schemas, prefix)
		bin := Binary(t, "source-connector") // built before the clock starts: the first call runs go build
		started := time.Now()
		p := Start(t, bin, []string{"TANDEM_MYSQL_PASSWORD=" + env.CDCPassword}, "run", "--config", WriteConfig(t, cfg))
		topic := prefix + "." + db + "." + table
		var first time.Time
		WaitFor(t, 15*time.Minute, name, func() bool {
			n := TopicSize(ctx, env, topic)
			if n > 0 && first.IsZero() {
				first = time.Now()
			}
			return n >= int64(events)
		})
		took := time.Since(started)
		results = append(results, result{name, events, took, time.Since(first), p.PeakRSSMB()})
		p.Stop(time.Minute)
	}

	gtid := func() string { return ServerGTID(t, admin, env.Flavor) }

	before := gtid()
	for done := 0; done < bulk; done += 10000 {
		mustExec(t, admin, fmt.Sprintf("INSERT INTO `%s`.bulk SELECT seq, seq %% 1000, CONCAT('row-', seq, '-gen-', REPEAT('x', 30)), "+
			"'2024-01-01 00:00:00' + INTERVAL seq SECOND FROM %s", db, seqRange(done+1, min(done+10000, bulk))))
	}
	settle := func() { time.Sleep(5 * time.Second) } // let InnoDB flush what the generation dirtied
	settle()
	run(fmt.Sprintf("bulk insert, %d rows, JSON without schemas", bulk), "bulk", bulk, false, before)
	run(fmt.Sprintf("bulk insert, %d rows, JSON with schemas", bulk), "bulk", bulk, true, before)
	run(fmt.Sprintf("snapshot of a %d-row table, JSON without schemas", bulk), "bulk", bulk, false, "snapshot")
	run(fmt.Sprintf("snapshot of a %d-row table, JSON with schemas", bulk), "bulk", bulk, true, "snapshot")

	before = gtid()
	var wg sync.WaitGroup
	const writers = 8
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < txns; i += writers {
				if _, err := admin.Exec(fmt.Sprintf("INSERT INTO `%s`.small VALUES (?, ?, 'single-row transaction', NOW(6))", db), i, i%1000); err != nil {
					t.Error(err)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	settle()
	run(fmt.Sprintf("single-row transactions, %d, JSON without schemas", txns), "small", txns, false, before)
	run(fmt.Sprintf("single-row transactions, %d, JSON with schemas", txns), "small", txns, true, before)

	var b strings.Builder
	fmt.Fprintf(&b, "\n| source: binlog or snapshot -> Kafka acknowledged | events | seconds | events/s | streaming events/s (first to last record) | peak RSS MB |\n|---|---|---|---|---|---|\n")
	for _, r := range results {
		fmt.Fprintf(&b, "| %s | %d | %.2f | %.0f | %.0f | %.0f |\n", r.name, r.events, r.took.Seconds(),
			float64(r.events)/r.took.Seconds(), float64(r.events)/r.stream.Seconds(), r.rssMB)
	}
	t.Log(b.String())
	writeBenchResults(t, b.String())
}
