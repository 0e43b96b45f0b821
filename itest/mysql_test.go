//go:build integration

package itest

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// requireMySQL skips a test that only MySQL (not MariaDB) can run.
func requireMySQL(t *testing.T, env *Env, why string) {
	t.Helper()
	if env.Flavor != "mysql" {
		t.Skipf("MySQL only: %s", why)
	}
}

// setGTIDMode moves a MySQL server's gtid_mode to ON or OFF one allowed step at a time.
func setGTIDMode(t *testing.T, db *sql.DB, to string) {
	t.Helper()
	steps := []string{"ON_PERMISSIVE", "OFF_PERMISSIVE", "OFF"}
	if to == "ON" {
		steps = []string{"OFF_PERMISSIVE", "ON_PERMISSIVE", "ON"}
	}
	var mode string
	if err := db.QueryRow("SELECT @@global.gtid_mode").Scan(&mode); err != nil {
		t.Fatal(err)
	}
	for i, s := range steps {
		if s == mode {
			steps = steps[i+1:]
			break
		}
	}
	for _, s := range steps {
		if _, err := db.Exec("SET GLOBAL gtid_mode = " + s); err != nil {
			t.Fatalf("SET GLOBAL gtid_mode = %s: %v", s, err)
		}
	}
}

// TestSourceMySQLWithoutGTIDs: on a MySQL server with gtid_mode=OFF (B, switched off for the test and back
// on afterwards), the source starts at the file and position of SHOW BINARY LOG STATUS (SHOW MASTER
// STATUS is gone since 8.4), streams, and resumes from its saved file and position after a restart.
func TestSourceMySQLWithoutGTIDs(t *testing.T) {
	env := LoadEnv(t)
	requireMySQL(t, env, "MariaDB always has GTIDs")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	admin := OpenDB(t, env.MySQLB, env.AdminUser, env.AdminPassword, "")
	setGTIDMode(t, admin, "OFF")
	t.Cleanup(func() {
		setGTIDMode(t, admin, "ON")
		// A new binlog file, so that readers by GTID never meet this test's anonymous transactions.
		if _, err := admin.Exec("FLUSH BINARY LOGS"); err != nil {
			t.Errorf("FLUSH BINARY LOGS: %v", err)
		}
	})
	db := NewDatabase(t, admin, "itest_nogtid")
	mustExec(t, admin, "CREATE TABLE `"+db+"`.t (id INT PRIMARY KEY, v VARCHAR(20))")
	onB := *env
	onB.MySQLA = env.MySQLB
	prefix := UniqueName("nogtid")
	topic := prefix + "." + db + ".t"

	src := startSource(t, &onB, prefix, db, db+`\.none`)
	waitStreaming(t, &onB, src, prefix)
	mustExec(t, admin, "INSERT INTO `"+db+"`.t VALUES (1, 'one'), (2, 'two')")
	WaitFor(t, 30*time.Second, "2 records", func() bool { return TopicSize(ctx, env, topic) >= 2 })
	src.Stop(30 * time.Second)

	mustExec(t, admin, "UPDATE `"+db+"`.t SET v = 'uno' WHERE id = 1", "INSERT INTO `"+db+"`.t VALUES (3, 'three')")
	src = startSource(t, &onB, prefix, db, db+`\.none`)
	WaitFor(t, 30*time.Second, "4 records", func() bool {
		if src.Exited() {
			t.Fatalf("source exited:\n%s", src.Log())
		}
		return TopicSize(ctx, env, topic) >= 4
	})
	src.Stop(30 * time.Second)

	var got []string
	for _, r := range ReadTopic(ctx, t, env, topic) {
		s := r.Event.Source
		if s.GTID != "" || s.File == "" || s.Pos == 0 {
			t.Errorf("source block without GTIDs: gtid %q, file %q, pos %d", s.GTID, s.File, s.Pos)
		}
		got = append(got, rowSummary(r))
	}
	sort.Strings(got)
	want := []string{"c [1] {id=1 v=one}", "c [2] {id=2 v=two}", "c [3] {id=3 v=three}", "u [1] {id=1 v=uno}"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("records:\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(want, "\n     "))
	}
}

// TestSinkMySQLRowsQuerySession: on a MySQL target whose binlog_rows_query_log_events is OFF (MySQL's
// default), the sink turns it on for its own session (its user has SESSION_VARIABLES_ADMIN), so its
// statements reach B's binlog with the loop marker; a sink user without that privilege is refused at
// start with a message naming the privilege.
func TestSinkMySQLRowsQuerySession(t *testing.T) {
	env := LoadEnv(t)
	requireMySQL(t, env, "binlog_rows_query_log_events is MySQL's")
	prefix := UniqueName("rowsquery")
	adminA, adminB, db, _ := pipeline(t, env, prefix, "CREATE TABLE {db}.t (id INT PRIMARY KEY, v VARCHAR(10))")
	mustExec(t, adminB, "SET GLOBAL binlog_rows_query_log_events = OFF")
	t.Cleanup(func() { adminB.Exec("SET GLOBAL binlog_rows_query_log_events = ON") })
	mustExec(t, adminA, "INSERT INTO `"+db+"`.t VALUES (1, 'one')")
	start := binlogPosition(context.Background(), t, adminB, env.Flavor)
	topic := prefix + "." + db + ".t"
	sink := startSink(t, env, prefix+"-sink", "topics: ["+topic+"]", "")
	WaitFor(t, 60*time.Second, "row 1 on B", func() bool {
		var n int
		adminB.QueryRow("SELECT COUNT(*) FROM `" + db + "`.t").Scan(&n)
		return n == 1
	})
	sink.Stop(30 * time.Second)
	marked := binlogQueries(t, env, env.MySQLB, start, db)
	if len(marked) == 0 {
		t.Fatal("no statement text of the sink in B's binlog: binlog_rows_query_log_events was not on in its session")
	}
	for _, q := range marked {
		if !strings.HasPrefix(q, "/* dts */ ") {
			t.Errorf("statement in B's binlog without the marker: %.100s", q)
		}
	}

	// A sink user without SESSION_VARIABLES_ADMIN.
	user := "tandem_nosva_" + prefix[len(prefix)-6:]
	mustExec(t, adminB, "CREATE USER '"+user+"'@'127.0.0.1' IDENTIFIED BY 'nosva-pw'",
		"GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, DROP, INDEX ON *.* TO '"+user+"'@'127.0.0.1'")
	t.Cleanup(func() { adminB.Exec("DROP USER IF EXISTS '" + user + "'@'127.0.0.1'") })
	weak := *env
	weak.SinkUser, weak.SinkPassword = user, "nosva-pw"
	sink = startSink(t, &weak, prefix+"-weak", "topics: ["+topic+"]", "")
	WaitFor(t, 30*time.Second, "the sink without SESSION_VARIABLES_ADMIN to stop", sink.Exited)
	if log := sink.Log(); !strings.Contains(log, "SESSION_VARIABLES_ADMIN") || !strings.Contains(log, "binlog_rows_query_log_events") {
		t.Errorf("the sink's refusal does not name the variable and the privilege:\n%s", log)
	}
}

// TestSourceMySQLCompressedTransactions: transactions written with binlog_transaction_compression=ON reach
// the binlog as TRANSACTION_PAYLOAD events (zstd); the source reads the events inside them, statement
// text included.
func TestSourceMySQLCompressedTransactions(t *testing.T) {
	env := LoadEnv(t)
	requireMySQL(t, env, "binlog_transaction_compression is MySQL's")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	admin := OpenDB(t, env.MySQLA, env.AdminUser, env.AdminPassword, "")
	db := NewDatabase(t, admin, "itest_zstd")
	mustExec(t, admin, "CREATE TABLE `"+db+"`.t (id INT PRIMARY KEY, v VARCHAR(200))")
	prefix := UniqueName("zstd")
	src := startSource(t, env, prefix, db, db+`\.none`)
	waitStreaming(t, env, src, prefix)

	conn, err := admin.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	tbl := "`" + db + "`.t"
	for _, s := range []string{
		"SET SESSION binlog_transaction_compression = ON",
		"BEGIN",
		"INSERT INTO " + tbl + " VALUES (1, REPEAT('a', 200)), (2, REPEAT('b', 200))",
		"UPDATE " + tbl + " SET v = 'short' WHERE id = 1",
		"COMMIT",
		"DELETE FROM " + tbl + " WHERE id = 2",
	} {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	topic := prefix + "." + db + ".t"
	WaitFor(t, 30*time.Second, "4 records and a tombstone", func() bool { return TopicSize(ctx, env, topic) >= 5 })
	src.Stop(30 * time.Second)
	var got []string
	var positions []int64
	for _, r := range ReadTopic(ctx, t, env, topic) {
		if r.Event == nil {
			continue
		}
		got = append(got, rowSummary(r))
		if r.Event.Source.Query == "" {
			t.Errorf("no statement text for %s", rowSummary(r))
		}
		positions = append(positions, r.Event.Source.Pos)
	}
	// The events inside a payload have no place of their own in the file: each record's source.pos is where
	// its Transaction_payload event starts (both transactions were compressed).
	payloads := payloadEvents(t, admin)
	if len(payloads) == 0 {
		t.Fatal("no Transaction_payload event in A's current binlog: the server did not compress")
	}
	for _, p := range positions {
		if !payloads[p] {
			t.Errorf("source.pos %d is not the start of a Transaction_payload event (%v)", p, payloads)
		}
	}
	// The saved position is the payload event's end, never file:0.
	offsets := rawTopic(ctx, t, env, prefix+".offsets")
	if len(offsets) == 0 {
		t.Fatal("no saved position")
	}
	var saved struct {
		Position struct {
			File string `json:"file"`
			Pos  int64  `json:"pos"`
		} `json:"position"`
	}
	if err := json.Unmarshal(offsets[len(offsets)-1].Value, &saved); err != nil || saved.Position.File == "" || saved.Position.Pos <= 4 {
		t.Errorf("saved position %s (%v)", offsets[len(offsets)-1].Value, err)
	}
	sort.Strings(got)
	a, b := strings.Repeat("a", 200), strings.Repeat("b", 200)
	want := []string{"c [1] {id=1 v=" + a + "}", "c [2] {id=2 v=" + b + "}", "d [2] {id=2 v=" + b + "}", "u [1] {id=1 v=short}"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("records:\n got %s\nwant %s", got, want)
	}
}

// payloadEvents returns the start positions of the Transaction_payload events in the server's current
// binlog file.
func payloadEvents(t *testing.T, admin *sql.DB) map[int64]bool {
	t.Helper()
	rows, err := admin.Query("SHOW BINARY LOG STATUS")
	if err != nil {
		t.Fatal(err)
	}
	var file string
	for rows.Next() {
		cols, _ := rows.Columns()
		vals := make([]sql.RawBytes, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		file = string(vals[0])
	}
	rows.Close()
	events, err := admin.Query("SHOW BINLOG EVENTS IN '" + file + "'")
	if err != nil {
		t.Fatal(err)
	}
	defer events.Close()
	cols, _ := events.Columns()
	out := map[int64]bool{}
	for events.Next() {
		vals := make([]sql.RawBytes, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := events.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		if string(vals[2]) == "Transaction_payload" {
			pos, _ := strconv.ParseInt(string(vals[1]), 10, 64)
			out[pos] = true
		}
	}
	return out
}
