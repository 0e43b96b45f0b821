//go:build integration

package itest

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// example returns the path of a configuration file under examples/: the topology tests run the files
// users read, overriding only names, addresses and databases.
func example(name string) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "examples", name)
}

// runExample starts a connector from an example file with flag overrides.
func runExample(t *testing.T, env *Env, bin, file string, overrides ...string) *Proc {
	t.Helper()
	pw := env.CDCPassword
	if bin == "sink-connector" {
		pw = env.SinkPassword
	}
	args := append([]string{"run", "--config", example(file), "--kafka.brokers", strings.Join(env.KafkaBrokers, ","),
		"--mysql.flavor", env.Flavor, "--log.level", "info"}, overrides...)
	return Start(t, Binary(t, bin), []string{"TANDEM_MYSQL_PASSWORD=" + pw}, args...)
}

// metricsPort hands out ports for the connectors' metrics endpoints.
var metricsPort atomic.Int32

func nextMetricsAddr() string {
	metricsPort.CompareAndSwap(0, 19300)
	return "127.0.0.1:" + strconv.Itoa(int(metricsPort.Add(1)))
}

// counter reads a counter from a connector's /metrics.
func counter(t *testing.T, addr, name string) int64 {
	t.Helper()
	body, err := httpGet("http://" + addr + "/metrics")
	if err != nil {
		t.Fatalf("metrics %s: %v", addr, err)
	}
	for _, line := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return int64(f)
		}
	}
	return 0
}

// bidi is a running A <-> B pipeline built from examples/bidirectional.
type bidi struct {
	db                 string
	a, b               *sql.DB
	sinkAB, sinkBA     string // metrics addresses
	topicA, topicB     string
	consumerAB, consBA string
	procs              []*Proc
}

func startBidi(t *testing.T, env *Env, skipMarked, conflict bool) *bidi {
	t.Helper()
	return startBidiTable(t, env, skipMarked, conflict, "(id INT PRIMARY KEY, v INT NOT NULL, note VARCHAR(40), updated_at DATETIME(6) NOT NULL)")
}

// startBidiTable is startBidi with the columns of table t.
func startBidiTable(t *testing.T, env *Env, skipMarked, conflict bool, columns string) *bidi {
	t.Helper()
	p := &bidi{a: OpenDB(t, env.MySQLA, env.AdminUser, env.AdminPassword, ""),
		b: OpenDB(t, env.MySQLB, env.AdminUser, env.AdminPassword, "")}
	p.db = NewDatabase(t, p.a, "itest_bidi")
	mustExec(t, p.b, "CREATE DATABASE `"+p.db+"`")
	t.Cleanup(func() { p.b.Exec("DROP DATABASE IF EXISTS `" + p.db + "`") })
	for _, admin := range []*sql.DB{p.a, p.b} {
		mustExec(t, admin, "CREATE TABLE `"+p.db+"`.t "+columns)
	}
	pa, pb := UniqueName("bidia"), UniqueName("bidib")
	p.topicA, p.topicB = pa+"."+p.db+".t", pb+"."+p.db+".t"
	p.consumerAB, p.consBA = pa+"-sink", pb+"-sink"
	p.sinkAB, p.sinkBA = nextMetricsAddr(), nextMetricsAddr()
	source := func(file, prefix, addr string) *Proc {
		return runExample(t, env, "source-connector", file, "--name", prefix, "--topic_prefix", prefix,
			"--mysql.addr", addr, "--mysql.server_id", strconv.Itoa(int(nextServerID.Add(1))+13000),
			"--filters.include_databases", p.db, "--offsets.topic", prefix+".offsets", "--metrics.addr", "")
	}
	sink := func(file, name, prefix, addr, metrics string) *Proc {
		args := []string{"--name", name, "--mysql.addr", addr,
			"--kafka.topics_regex", strings.ReplaceAll(prefix, ".", `\.`) + `\.` + p.db + `\..*`,
			"--offsets.database", "tandem_itest", "--metrics.addr", metrics, "--apply.skip_marked=" + strconv.FormatBool(skipMarked),
			"--apply.batch_wait", "20ms"}
		if !conflict { // last applied wins: echoes are skipped by their marker alone
			args = append(args, "--apply.conflict.column=", "--apply.conflict.win_ties=false")
		}
		return runExample(t, env, "sink-connector", file, args...)
	}

	srcA := source("bidirectional/source-a.yaml", pa, env.MySQLA)
	srcB := source("bidirectional/source-b.yaml", pb, env.MySQLB)
	waitStreaming(t, env, srcA, pa)
	waitStreaming(t, env, srcB, pb)
	p.procs = append(p.procs, srcA, srcB,
		sink("bidirectional/sink-a-to-b.yaml", p.consumerAB, pa, env.MySQLB, p.sinkAB),
		sink("bidirectional/sink-b-to-a.yaml", p.consBA, pb, env.MySQLA, p.sinkBA))
	return p
}

func (p *bidi) stop(t *testing.T) {
	for _, proc := range p.procs {
		proc.Stop(30 * time.Second)
	}
}

// write makes n random single-row changes on one side, keys drawn from [lo, hi), and returns how many
// changed a row (and so became one binlog row event). Every note carries, inside its string literal, the
// marker a sink writes for changes that originated at the other side: only a leading marker may make a
// sink skip a change, so these must all replicate.
func write(t *testing.T, db *sql.DB, table string, n, lo, hi int, side string) int64 {
	var changes int64
	other := map[string]string{"a": "B", "b": "A"}[side]
	forged := " /* dts origin=" + other + " from=" + other + " */"
	for i := 0; i < n; i++ {
		id := lo + rand.IntN(hi-lo)
		var q string
		var args []any
		switch rand.IntN(5) {
		case 0, 1:
			q, args = "INSERT INTO "+table+" VALUES (?, ?, ?, NOW(6)) ON DUPLICATE KEY UPDATE v = v + 1, note = VALUES(note), updated_at = NOW(6)",
				[]any{id, i, side + "-ins-" + strconv.Itoa(i) + forged}
		case 2, 3:
			q, args = "UPDATE "+table+" SET v = v + 1, note = ?, updated_at = NOW(6) WHERE id = ?", []any{side + "-upd-" + strconv.Itoa(i) + forged, id}
		default:
			q, args = "DELETE FROM "+table+" WHERE id = ?", []any{id}
		}
		res, err := db.Exec(q, args...)
		if err != nil {
			t.Errorf("%s: %v", side, err)
			return changes
		}
		if n, _ := res.RowsAffected(); n > 0 {
			changes++ // 1 insert/update/delete; 2 for an upsert that updated (still one row event)
		}
	}
	return changes
}

// TestBidirectional: random inserts, updates and deletes on both A and B (TANDEM_ITEST_BIDI_CHANGES in
// all, issue size 100,000) with the example configurations. Disjoint keys: both sides converge, and
// each sink applied exactly the changes made on the other side (no echo). Overlapping keys: both sides
// converge through the updated_at conflict column. Without the marker check the same run echoes.
func TestBidirectional(t *testing.T) {
	env := LoadEnv(t)
	n := EnvInt("TANDEM_ITEST_BIDI_CHANGES", 6000)

	run := func(t *testing.T, conflict bool, aLo, aHi, bLo, bHi int) (p *bidi, changesA, changesB int64) {
		p = startBidi(t, env, true, conflict)
		table := "`" + p.db + "`.t"
		var wg sync.WaitGroup
		wg.Add(2)
		start := time.Now()
		go func() { defer wg.Done(); changesA = write(t, p.a, table, n/2, aLo, aHi, "a") }()
		go func() { defer wg.Done(); changesB = write(t, p.b, table, n/2, bLo, bHi, "b") }()
		wg.Wait()
		t.Logf("%d writes in %s: %d changes on A, %d on B", n, time.Since(start).Round(time.Millisecond), changesA, changesB)
		waitApplied(t, env, p.b, p.consumerAB, p.topicA, 3*time.Minute)
		waitApplied(t, env, p.a, p.consBA, p.topicB, 3*time.Minute)
		return p, changesA, changesB
	}

	t.Run("disjoint keys", func(t *testing.T) {
		p, changesA, changesB := run(t, false, 1, 5000, 5000, 10000)
		sameTable(t, p.a, p.b, "`"+p.db+"`.t", dumpSimple, 30*time.Second)
		appliedAB := counter(t, p.sinkAB, "tandem_sink_changes_applied_total")
		appliedBA := counter(t, p.sinkBA, "tandem_sink_changes_applied_total")
		skippedAB := counter(t, p.sinkAB, "tandem_sink_skipped_marker_total")
		skippedBA := counter(t, p.sinkBA, "tandem_sink_skipped_marker_total")
		t.Logf("sink A->B applied %d, skipped %d; sink B->A applied %d, skipped %d", appliedAB, skippedAB, appliedBA, skippedBA)
		if appliedAB != changesA || appliedBA != changesB {
			t.Errorf("sink A->B applied %d records for %d changes on A; sink B->A %d for %d on B (echoes?)", appliedAB, changesA, appliedBA, changesB)
		}
		// What comes back is what a sink wrote: at most one row event per change (fewer when a batch
		// coalesced several changes of one key), and all of it is skipped, never applied.
		if skippedAB == 0 || skippedAB > changesB || skippedBA == 0 || skippedBA > changesA {
			t.Errorf("sink A->B skipped %d records for B's %d changes; sink B->A %d for A's %d", skippedAB, changesB, skippedBA, changesA)
		}
		p.stop(t)
	})
	t.Run("overlapping keys", func(t *testing.T) {
		p, _, _ := run(t, true, 1, 300, 1, 300)
		sameTable(t, p.a, p.b, "`"+p.db+"`.t", dumpSimple, 30*time.Second)
		p.stop(t)
	})
	t.Run("without the marker check", func(t *testing.T) {
		p := startBidi(t, env, false, false)
		table := "`" + p.db + "`.t"
		changesA := write(t, p.a, table, 200, 1, 1000, "a")
		waitApplied(t, env, p.b, p.consumerAB, p.topicA, time.Minute)
		waitApplied(t, env, p.a, p.consBA, p.topicB, time.Minute)
		appliedBA := counter(t, p.sinkBA, "tandem_sink_changes_applied_total")
		t.Logf("%d changes on A, none on B: sink B->A applied %d records (echoes of A's own changes)", changesA, appliedBA)
		if appliedBA == 0 {
			t.Errorf("without the marker check no change came back to A: the marker is not what prevents the loop")
		}
		p.stop(t)
	})
}

// TestFanIn: sources on A and B (distinct prefixes) feed one sink that writes both into one database;
// the target holds exactly the union of both sites' rows, after inserts, updates and deletes.
func TestFanIn(t *testing.T) {
	env := LoadEnv(t)
	a := OpenDB(t, env.MySQLA, env.AdminUser, env.AdminPassword, "")
	b := OpenDB(t, env.MySQLB, env.AdminUser, env.AdminPassword, "")
	shop, central := UniqueName("itest_fanin_shop"), UniqueName("itest_fanin_central")
	for _, admin := range []*sql.DB{a, b} {
		mustExec(t, admin, "CREATE DATABASE `"+shop+"`", "CREATE TABLE `"+shop+"`.t2 (id INT PRIMARY KEY, site VARCHAR(8), v INT)")
		t.Cleanup(func() { admin.Exec("DROP DATABASE IF EXISTS `" + shop + "`") })
	}
	mustExec(t, b, "CREATE DATABASE `"+central+"`", "CREATE TABLE `"+central+"`.t2 (id INT PRIMARY KEY, site VARCHAR(8), v INT)")
	t.Cleanup(func() { b.Exec("DROP DATABASE IF EXISTS `" + central + "`") })
	// Rows before the sources start arrive through their snapshots.
	mustExec(t, a, "INSERT INTO `"+shop+"`.t2 VALUES (1, 'a', 1), (2, 'a', 2), (3, 'a', 3)")
	mustExec(t, b, "INSERT INTO `"+shop+"`.t2 VALUES (1001, 'b', 1), (1002, 'b', 2)")
	p1, p2 := UniqueName("site1"), UniqueName("site2")
	source := func(file, prefix, addr string) *Proc {
		return runExample(t, env, "source-connector", file, "--name", prefix, "--topic_prefix", prefix, "--mysql.addr", addr,
			"--mysql.server_id", strconv.Itoa(int(nextServerID.Add(1))+14000), "--filters.include_databases", shop,
			"--offsets.topic", prefix+".offsets")
	}
	srcA := source("fan-in/source-a.yaml", p1, env.MySQLA)
	srcB := source("fan-in/source-b.yaml", p2, env.MySQLB)
	sink := runExample(t, env, "sink-connector", "fan-in/sink.yaml", "--name", p1+"-fanin", "--mysql.addr", env.MySQLB,
		"--kafka.topics_regex", "("+p1+"|"+p2+`)\.`+shop+`\..*`, "--routing.database", central, "--offsets.database", "tandem_itest")
	waitStreaming(t, env, srcA, p1)
	waitStreaming(t, env, srcB, p2)
	mustExec(t, a, "INSERT INTO `"+shop+"`.t2 VALUES (4, 'a', 4)", "UPDATE `"+shop+"`.t2 SET v = 20 WHERE id = 2",
		"DELETE FROM `"+shop+"`.t2 WHERE id = 3", "UPDATE `"+shop+"`.t2 SET id = 5 WHERE id = 1")
	mustExec(t, b, "INSERT INTO `"+shop+"`.t2 VALUES (1003, 'b', 3)", "DELETE FROM `"+shop+"`.t2 WHERE id = 1001",
		"UPDATE `"+shop+"`.t2 SET v = 200 WHERE id = 1002")
	want := map[string]map[string]string{}
	for _, src := range []*sql.DB{a, b} {
		for k, v := range dumpSimple(t, src, "`"+shop+"`.t2") {
			want[k] = v
		}
	}
	var diff string
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		if diff = rowsDiff(want, dumpSimple(t, b, "`"+central+"`.t2")); diff == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the fan-in target differs from the union of both sites:\n%s", diff)
		}
	}
	if len(want) != 5 {
		t.Errorf("expected 5 rows in the union, have %d: %v", len(want), want)
	}
	for _, p := range []*Proc{sink, srcA, srcB} {
		p.Stop(30 * time.Second)
	}
}

// TestFanOut: one source, two sinks with row filters id < 10 and id >= 10 into two databases; each holds
// exactly its subset of A's rows, also after updates that move rows across the boundary.
func TestFanOut(t *testing.T) {
	env := LoadEnv(t)
	ctx := context.Background()
	a := OpenDB(t, env.MySQLA, env.AdminUser, env.AdminPassword, "")
	b := OpenDB(t, env.MySQLB, env.AdminUser, env.AdminPassword, "")
	shop := NewDatabase(t, a, "itest_fanout")
	low, high := UniqueName("itest_low"), UniqueName("itest_high")
	mustExec(t, a, "CREATE TABLE `"+shop+"`.t (id INT PRIMARY KEY, region VARCHAR(8), v INT)")
	for _, d := range []string{low, high} {
		mustExec(t, b, "CREATE DATABASE `"+d+"`", "CREATE TABLE `"+d+"`.t (id INT PRIMARY KEY, region VARCHAR(8), v INT)")
		t.Cleanup(func() { b.Exec("DROP DATABASE IF EXISTS `" + d + "`") })
	}
	for i := 1; i <= 20; i++ {
		mustExec(t, a, fmt.Sprintf("INSERT INTO `%s`.t VALUES (%d, 'r%d', %d)", shop, i, i%3, i))
	}
	prefix := UniqueName("hub")
	src := runExample(t, env, "source-connector", "fan-out/source-a.yaml", "--name", prefix, "--topic_prefix", prefix,
		"--mysql.addr", env.MySQLA, "--mysql.server_id", strconv.Itoa(int(nextServerID.Add(1))+15000),
		"--filters.include_databases", shop, "--offsets.topic", prefix+".offsets")
	topics := prefix + `\.` + shop + `\..*`
	sinkLow := runExample(t, env, "sink-connector", "fan-out/sink-low.yaml", "--name", prefix+"-low", "--mysql.addr", env.MySQLB,
		"--kafka.topics_regex", topics, "--routing.database", low, "--offsets.database", "tandem_itest")
	sinkHigh := runExample(t, env, "sink-connector", "fan-out/sink-high.yaml", "--name", prefix+"-high", "--mysql.addr", env.MySQLB,
		"--kafka.topics_regex", topics, "--routing.database", high, "--offsets.database", "tandem_itest")
	waitStreaming(t, env, src, prefix)
	table := "`" + shop + "`.t"
	mustExec(t, a,
		"UPDATE "+table+" SET id = 25 WHERE id = 5", // low -> high
		"DELETE FROM "+table+" WHERE id IN (3, 17)",
		"UPDATE "+table+" SET id = 3 WHERE id = 13", // high -> low
		"UPDATE "+table+" SET v = v * 10 WHERE id IN (2, 12)",
		"INSERT INTO "+table+" VALUES (0, 'new', 0), (30, 'new', 30)")
	check := func(db, cond string) {
		want := queryRows(ctx, t, a, "SELECT * FROM "+table+" WHERE "+cond, true)
		var diff string
		for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(200 * time.Millisecond) {
			if diff = rowsDiff(want, dumpSimple(t, b, "`"+db+"`.t")); diff == "" {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s differs from A's rows with %s:\n%s", db, cond, diff)
			}
		}
	}
	check(low, "id < 10")
	check(high, "id >= 10")
	for _, p := range []*Proc{sinkLow, sinkHigh, src} {
		p.Stop(30 * time.Second)
	}
}
