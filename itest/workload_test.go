//go:build integration

package itest

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"
)

// The tests of this file write what real applications and operators write (nested transactions with
// savepoints, XA, server restarts, DDL while the source is stopped) and check that the source neither
// loses nor invents a row. refusals_test.go holds what it must refuse or bound.

// idsIn reads a topic and counts the records of each id (the first column, an INT), deletes and
// tombstones left out.
func idsIn(ctx context.Context, t *testing.T, env *Env, topic string) map[int32]int {
	t.Helper()
	out := map[int32]int{}
	if TopicSize(ctx, env, topic) == 0 {
		return out
	}
	for _, r := range ReadTopic(ctx, t, env, topic) {
		if r.Event != nil && r.Event.After != nil {
			out[r.Event.After[0].(int32)]++
		}
	}
	return out
}

// idsOf returns the ids of a table on A.
func idsOf(t *testing.T, db *sql.DB, table string) map[int32]bool {
	t.Helper()
	rows, err := db.Query("SELECT id FROM " + table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[int32]bool{}
	for rows.Next() {
		var id int32
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		out[id] = true
	}
	return out
}

// until polls cond every 200ms up to timeout and reports whether it came to hold.
func until(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(200 * time.Millisecond)
	}
	return true
}

// session is one connection to A: transactions, savepoints, XA and SET SESSION need the same one.
func session(ctx context.Context, t *testing.T, db *sql.DB) func(stmts ...string) {
	t.Helper()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return func(stmts ...string) {
		t.Helper()
		for _, s := range stmts {
			if _, err := conn.ExecContext(ctx, s); err != nil {
				t.Fatalf("%s: %v", s, err)
			}
		}
	}
}

// TestSourceSavepointsAndXASurviveKills: transactions with savepoints (as Django's nested atomic(), Rails'
// requires_new and Spring's NESTED write them) whose second half is large, the source killed with SIGKILL
// while that half streams; then XA transactions, prepared, the source killed while they wait, one
// committed and one rolled back. Every row of A reaches Kafka, rows rolled back (to a savepoint or by XA
// ROLLBACK) never do, and XA rows appear only after XA COMMIT.
func TestSourceSavepointsAndXASurviveKills(t *testing.T) {
	env := LoadEnv(t)
	rows := EnvInt("TANDEM_ITEST_SAVEPOINT_ROWS", 20000) // make test-faults: 200,000
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	admin := OpenDB(t, env.MySQLA, env.AdminUser, env.AdminPassword, "")
	db := NewDatabase(t, admin, "itest_svp")
	prefix := UniqueName("svp")
	table := "`" + db + "`.t"
	mustExec(t, admin, "CREATE TABLE "+table+" (id INT PRIMARY KEY, part VARCHAR(20) NOT NULL, pad VARCHAR(100))")
	topic := prefix + "." + db + ".t"
	src := startSource(t, env, prefix, db, "")
	waitStreaming(t, env, src, prefix)

	never := map[int32]bool{} // rolled back: must not reach Kafka
	exec := session(ctx, t, admin)
	next := 1
	insert := func(n int, part string) string {
		q := fmt.Sprintf("INSERT INTO %s SELECT seq, '%s', REPEAT('p', 80) FROM %s", table, part, seqRange(next, next+n-1))
		next += n
		return q
	}
	caughtUp := func(what string, id int) { // the source has read up to id: later records are new ones
		t.Helper()
		if !until(3*time.Minute, func() bool {
			time.Sleep(time.Second) // each look reads the whole topic
			return idsIn(ctx, t, env, topic)[int32(id)] > 0
		}) {
			t.Fatalf("%s: row %d never reached Kafka; log:\n%s", what, id, tail(src.Log(), 4000))
		}
	}
	for round := 0; round < 3; round++ {
		if round > 0 {
			caughtUp(fmt.Sprintf("round %d", round), next-1)
		}
		before := TopicSize(ctx, env, topic)
		exec("BEGIN", insert(10, "first"), "SAVEPOINT a")
		for id := next; id < next+10; id++ {
			never[int32(id)] = true
		}
		exec(insert(10, "rolled back"), "ROLLBACK TO SAVEPOINT a", "SAVEPOINT b", insert(rows, "second"),
			"RELEASE SAVEPOINT b", "COMMIT")
		// Kill while the second half streams: a position saved at a savepoint would skip the rest. In the
		// second round Kafka stops first, mid-way, and comes back after the kill.
		WaitFor(t, 2*time.Minute, "the second half to stream", func() bool {
			return TopicSize(ctx, env, topic) >= before+int64(rows/2)
		})
		if round == 1 && os.Getenv("TANDEM_ENV_SCRIPT") != "" {
			envService(t, "stop", "kafka")
			src.Kill()
			envService(t, "start", "kafka")
		}
		src.Kill()
		src = startSource(t, env, prefix, db, "")
	}

	// XA: tx1 is prepared, then committed; tx2 prepared, then rolled back. The source is killed between.
	caughtUp("the savepoint rounds", next-1)
	x1, x2 := "'"+prefix+"-1'", "'"+prefix+"-2'"
	t.Cleanup(func() { // when the test stops half-way; runs after the sessions below are closed
		admin.Exec("XA ROLLBACK " + x1)
		admin.Exec("XA ROLLBACK " + x2)
	})
	xa1, xa2, other := session(ctx, t, admin), session(ctx, t, admin), session(ctx, t, admin)
	xaFirst := next
	xa1("XA START "+x1, insert(1000, "xa committed"), "XA END "+x1, "XA PREPARE "+x1)
	xa2("XA START " + x2)
	for id := next; id < next+1000; id++ {
		never[int32(id)] = true
	}
	xa2(insert(1000, "xa rolled back"), "XA END "+x2, "XA PREPARE "+x2)
	xaLast := next - 1
	prepared := func(when string) {
		marker := next
		other(insert(1, "after prepare"))
		caughtUp(when, marker)
		seen := idsIn(ctx, t, env, topic)
		early := 0
		for id := xaFirst; id <= xaLast; id++ {
			if seen[int32(id)] > 0 {
				early++
			}
		}
		if early > 0 {
			t.Errorf("%s: %d rows of prepared XA transactions are in Kafka before XA COMMIT", when, early)
		}
	}
	prepared("after XA PREPARE")
	time.Sleep(500 * time.Millisecond) // a save or two
	src.Kill()
	src = startSource(t, env, prefix, db, "")
	prepared("after a restart")
	xa1("XA COMMIT " + x1)
	xa2("XA ROLLBACK " + x2)
	other(insert(1, "last"))

	want := idsOf(t, admin, table)
	var seen map[int32]int
	complete := until(3*time.Minute, func() bool {
		if src.Exited() {
			t.Fatalf("source exited:\n%s", src.Log())
		}
		if TopicSize(ctx, env, topic) < int64(len(want)) {
			return false
		}
		time.Sleep(time.Second) // each look reads the whole topic
		seen = idsIn(ctx, t, env, topic)
		for id := range want {
			if seen[id] == 0 {
				return false
			}
		}
		return true
	})
	var missing, invented []int32
	for id := range want {
		if seen[id] == 0 {
			missing = append(missing, id)
		}
	}
	for id := range seen {
		if never[id] || !want[id] {
			invented = append(invented, id)
		}
	}
	if !complete || len(missing) > 0 {
		t.Errorf("%d of %d rows of A never reached Kafka, e.g. %v", len(missing), len(want), missing[:min(10, len(missing))])
	}
	if len(invented) > 0 {
		t.Errorf("%d rolled-back rows reached Kafka, e.g. %v", len(invented), invented[:min(10, len(invented))])
	}
	t.Logf("%d rows in A, %d distinct in Kafka", len(want), len(seen))
	src.Stop(30 * time.Second)
}

// TestSourceTableIDsAfterRestart: table ids restart with the server, so a stretch of binlog that spans a
// restart of A gives the same id to different tables. Tables are written in one order before a restart
// and in another after it (one of them not captured); a source started from before both restarts
// publishes every row under its own table and columns.
func TestSourceTableIDsAfterRestart(t *testing.T) {
	env := LoadEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	admin := OpenDB(t, env.MySQLA, env.AdminUser, env.AdminPassword, "")
	db := NewDatabase(t, admin, "itest_tid")
	prefix := UniqueName("tid")
	tbl := func(name string) string { return "`" + db + "`." + name }
	mustExec(t, admin,
		"CREATE TABLE "+tbl("x")+" (id INT PRIMARY KEY, xname VARCHAR(20))",
		"CREATE TABLE "+tbl("y")+" (id INT PRIMARY KEY, a INT, b INT, c VARCHAR(10))",
		"CREATE TABLE "+tbl("z")+" (id INT PRIMARY KEY, zz INT)")
	start := ServerGTID(t, admin, env.Flavor)
	restart := func() {
		envService(t, "stop", "a")
		envService(t, "start", "a")
		admin.SetMaxIdleConns(0) // no connection of before the restart is reused
		admin.SetMaxIdleConns(2)
	}
	restart()
	mustExec(t, admin,
		"INSERT INTO "+tbl("x")+" VALUES (1, 'x-one')",
		"INSERT INTO "+tbl("y")+" VALUES (1, 11, 12, 'y-one')",
		"INSERT INTO "+tbl("z")+" VALUES (1, 100)")
	restart()
	mustExec(t, admin,
		"INSERT INTO "+tbl("z")+" VALUES (2, 200)",
		"INSERT INTO "+tbl("y")+" VALUES (2, 21, 22, 'y-two')",
		"INSERT INTO "+tbl("x")+" VALUES (2, 'x-two')")

	src := startSourceAs(t, env, prefix, db, db+`\.z`, sourceLogin{user: env.CDCUser, password: env.CDCPassword,
		mysqlYAML: "  start_gtid: " + start + "\n"})
	want := map[string][]string{
		"x": {"c [1] {id=1 xname=x-one}", "c [2] {id=2 xname=x-two}"},
		"y": {"c [1] {id=1 a=11 b=12 c=y-one}", "c [2] {id=2 a=21 b=22 c=y-two}"},
	}
	until(time.Minute, func() bool {
		return src.Exited() || TopicSize(ctx, env, prefix+"."+db+".x") >= 2 && TopicSize(ctx, env, prefix+"."+db+".y") >= 2
	})
	time.Sleep(time.Second) // anything more would show
	if src.Exited() {
		t.Fatalf("source exited:\n%s", src.Log())
	}
	for name, w := range want {
		var got []string
		if TopicSize(ctx, env, prefix+"."+db+"."+name) > 0 {
			for _, r := range ReadTopic(ctx, t, env, prefix+"."+db+"."+name) {
				got = append(got, rowSummary(r))
			}
		}
		sort.Strings(got) // partitions hold the keys in any order
		if strings.Join(got, "\n") != strings.Join(w, "\n") {
			t.Errorf("table %s:\n got: %q\nwant: %q", name, got, w)
		}
	}
	if n := TopicSize(ctx, env, prefix+"."+db+".z"); n != 0 {
		t.Errorf("the table left out has %d records", n)
	}
	src.Stop(30 * time.Second)
}

// TestSourceAlterWhileStopped: while the source is stopped a column is added, one dropped and one retyped,
// with rows written before and after each change; started again from before them, the source publishes
// every row with the columns it had when it was written (the binlog's own TABLE_MAP metadata: tandem keeps
// no schema history, and a catalog read now would give every row today's columns).
func TestSourceAlterWhileStopped(t *testing.T) {
	env := LoadEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	admin := OpenDB(t, env.MySQLA, env.AdminUser, env.AdminPassword, "")
	db := NewDatabase(t, admin, "itest_alter")
	prefix := UniqueName("alter")
	table := "`" + db + "`.t"
	mustExec(t, admin, "CREATE TABLE "+table+" (id INT PRIMARY KEY, a VARCHAR(10), b INT, c INT)")
	src := startSource(t, env, prefix, db, "")
	waitStreaming(t, env, src, prefix)
	mustExec(t, admin, "INSERT INTO "+table+" VALUES (1, 'one', 1, 1)")
	topic := prefix + "." + db + ".t"
	WaitFor(t, time.Minute, "the first row", func() bool { return TopicSize(ctx, env, topic) >= 1 })
	src.Stop(30 * time.Second)

	mustExec(t, admin,
		"INSERT INTO "+table+" VALUES (2, 'two', 2, 2)",
		"ALTER TABLE "+table+" ADD COLUMN d VARCHAR(10) AFTER a",
		"INSERT INTO "+table+" VALUES (3, 'three', 'd3', 3, 3)",
		"ALTER TABLE "+table+" DROP COLUMN b",
		"INSERT INTO "+table+" VALUES (4, 'four', 'd4', 4)",
		"ALTER TABLE "+table+" MODIFY COLUMN c VARCHAR(10)",
		"INSERT INTO "+table+" VALUES (5, 'five', 'd5', 'c5')",
		"UPDATE "+table+" SET c = 'c1' WHERE id = 1")
	src = startSource(t, env, prefix, db, "")
	want := []string{
		"c [1] {id=1 a=one b=1 c=1}",
		"c [2] {id=2 a=two b=2 c=2}",
		"c [3] {id=3 a=three d=d3 b=3 c=3}",
		"c [4] {id=4 a=four d=d4 c=4}",
		"c [5] {id=5 a=five d=d5 c=c5}",
		"u [1] {id=1 a=one d=<nil> c=c1}",
	}
	if !until(time.Minute, func() bool { return src.Exited() || TopicSize(ctx, env, topic) >= int64(len(want)) }) || src.Exited() {
		t.Fatalf("%d records; log:\n%s", TopicSize(ctx, env, topic), tail(src.Log(), 4000))
	}
	var got []string
	for _, r := range ReadTopic(ctx, t, env, topic) {
		got = append(got, rowSummary(r))
	}
	sort.Strings(got)
	sort.Strings(want)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("records:\n got: %q\nwant: %q", got, want)
	}
	src.Stop(30 * time.Second)
}
