//go:build integration

package itest

import (
	"database/sql"
	"fmt"
	"github.com/tandemcdc/tandem/itest/batchlog"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// steadyWriter changes random rows of table on A, one transaction of 20 upserts and a few deletes every
// few milliseconds, until stop is called; failed transactions (while A restarts) are retried later.
func steadyWriter(t *testing.T, a *sql.DB, table string) (stop func() int64) {
	var halt atomic.Bool
	var txns atomic.Int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		rng := rand.New(rand.NewPCG(5, 6))
		for n := 0; !halt.Load(); n++ {
			var ups []string
			for i := 0; i < 20; i++ {
				ups = append(ups, fmt.Sprintf("(%d, %d, 'w%d')", rng.IntN(20000), n, n))
			}
			tx, err := a.Begin()
			if err == nil {
				_, err = tx.Exec("INSERT INTO " + table + " VALUES " + strings.Join(ups, ",") + " ON DUPLICATE KEY UPDATE v = VALUES(v), note = VALUES(note)")
				if err == nil && n%3 == 0 {
					_, err = tx.Exec(fmt.Sprintf("DELETE FROM %s WHERE id IN (%d, %d)", table, rng.IntN(20000), rng.IntN(20000)))
				}
				if err == nil {
					err = tx.Commit()
				} else {
					tx.Rollback()
				}
			}
			if err == nil {
				txns.Add(1)
			} else {
				time.Sleep(50 * time.Millisecond)
			}
			time.Sleep(3 * time.Millisecond)
		}
	}()
	return func() int64 {
		halt.Store(true)
		wg.Wait()
		return txns.Load()
	}
}

// checkBatchLog verifies, from the sink's batch log, that it applied no offset twice and skipped none:
// per partition, in commit order, each transaction starts from the offset the one before stored (or
// asked for less: a re-delivery), never asks to start past it (a gap), and runs only changes of records
// above every offset applied before. The log records what was asked for and what ran, so a re-delivered
// batch that the stored-offset fence did not stop shows as an overlap.
func checkBatchLog(t *testing.T, b *sql.DB, consumer string) int {
	t.Helper()
	return batchlog.Check(t, b, "tandem_itest", consumer)
}

// TestPipelineFaults: A -> source -> Kafka -> sink -> B under a steady write load, through each fault in
// turn (TANDEM_ITEST_FAULT_ROUNDS times): SIGKILL of the source, SIGKILL of the sink, the sink's database
// connections cut in the middle of batches (a TCP proxy), a Kafka broker restart, MariaDB B restarted,
// MariaDB A restarted. Afterwards B equals A and no offset was applied twice.
func TestPipelineFaults(t *testing.T) {
	if os.Getenv("TANDEM_ENV_SCRIPT") == "" {
		t.Skip("fault tests need the local environment (make test sets TANDEM_ENV_SCRIPT)")
	}
	env := LoadEnv(t)
	rounds := EnvInt("TANDEM_ITEST_FAULT_ROUNDS", 1)
	prefix := UniqueName("faults")
	adminA, adminB, db, src := pipeline(t, env, prefix, "CREATE TABLE {db}.t (id INT PRIMARY KEY, v BIGINT NOT NULL, note VARCHAR(40))")
	proxy := StartProxy(t, env.MySQLB)
	viaProxy := *env
	viaProxy.MySQLB = proxy.Addr()
	topic := prefix + "." + db + ".t"
	name := prefix + "-sink"
	startSinkP := func() *Proc { return startSink(t, &viaProxy, name, "topics: ["+topic+"]", ", batch_log: true") }
	sink := startSinkP()
	stop := steadyWriter(t, adminA, "`"+db+"`.t")
	started := time.Now()
	pause := func() { time.Sleep(time.Duration(1500+rand.IntN(1500)) * time.Millisecond) }
	for r := 0; r < rounds; r++ {
		pause()
		src.Kill()
		src = startSource(t, env, prefix, db, "")
		pause()
		sink.Kill()
		sink = startSinkP()
		pause()
		t.Logf("round %d: cut %d database connections of the sink", r+1, proxy.DropAll())
		pause()
		envService(t, "stop", "kafka")
		time.Sleep(3 * time.Second)
		envService(t, "start", "kafka")
		pause()
		envService(t, "stop", "b")
		time.Sleep(2 * time.Second)
		envService(t, "start", "b")
		pause()
		envService(t, "stop", "a")
		time.Sleep(2 * time.Second)
		envService(t, "start", "a")
		pause()
	}
	txns := stop()
	for _, p := range []*Proc{src, sink} {
		if p.Exited() {
			t.Fatalf("a connector exited instead of recovering:\n%s", p.Log())
		}
	}
	waitApplied(t, env, adminB, name, topic, 5*time.Minute, src, sink)
	// The topic's end can stand still for a moment while a slowed source still streams a backlog: B must
	// reach A in the end.
	sameTable(t, adminA, adminB, "`"+db+"`.t", dumpSimple, 10*time.Minute)
	batches := checkBatchLog(t, adminB, name)
	t.Logf("%d rounds of 6 faults in %s under %d write transactions: B equals A; %d batches, none applied twice",
		rounds, time.Since(started).Round(time.Second), txns, batches)
	sink.Stop(30 * time.Second)
	src.Stop(30 * time.Second)
}

// TestPipelineBurst: TANDEM_ITEST_BURST_ROWS rows (issue size 1,000,000) inserted into A by 50 concurrent
// writers as fast as they go, one row per transaction, while the pipeline runs; B must equal A, and the
// time to converge is reported.
func TestPipelineBurst(t *testing.T) {
	env := LoadEnv(t)
	rows := EnvInt("TANDEM_ITEST_BURST_ROWS", 20000)
	const writers = 50
	prefix := UniqueName("burst")
	adminA, adminB, db, src := pipeline(t, env, prefix, "CREATE TABLE {db}.t (id INT PRIMARY KEY, v BIGINT NOT NULL, note VARCHAR(40))")
	topic := prefix + "." + db + ".t"
	name := prefix + "-sink"
	sink := startSink(t, env, name, "topics: ["+topic+"]", "")
	a := OpenDB(t, env.MySQLA, env.AdminUser, env.AdminPassword, db)
	a.SetMaxOpenConns(writers)
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for id := w; id < rows; id += writers {
				if _, err := a.Exec("INSERT INTO t VALUES (?, ?, 'burst')", id, id); err != nil {
					t.Error(err)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	wrote := time.Since(start)
	waitApplied(t, env, adminB, name, topic, 15*time.Minute, src, sink)
	sameTable(t, adminA, adminB, "`"+db+"`.t", dumpSimple, 10*time.Minute) // as in TestPipelineFaults
	total := time.Since(start)
	t.Logf("burst: %d rows by %d writers in %s (%.0f rows/s on A); B equal to A %s after the first write, %s after the last",
		rows, writers, wrote.Round(time.Millisecond), float64(rows)/wrote.Seconds(), total.Round(time.Millisecond),
		(total - wrote).Round(time.Millisecond))
	sink.Stop(30 * time.Second)
	src.Stop(30 * time.Second)
}
