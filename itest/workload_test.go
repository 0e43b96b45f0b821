//go:build integration

package itest

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/tandemcdc/tandem/envelope"
)

// The tests of this file write what real applications and operators write (nested transactions with
// savepoints, XA, server restarts, dump restores, sessions with their own binlog settings) and check that
// the source neither loses nor invents a row.

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
	rows := EnvInt("TANDEM_ITEST_SAVEPOINT_ROWS", 200000)
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
		q := fmt.Sprintf("INSERT INTO %s SELECT seq, '%s', REPEAT('p', 80) FROM `%s`.seq_%d_to_%d", table, part, db, next, next+n-1)
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
		// Kill while the second half streams: a position saved at a savepoint would skip the rest.
		WaitFor(t, 2*time.Minute, "the second half to stream", func() bool {
			return TopicSize(ctx, env, topic) >= before+int64(rows/2)
		})
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
	var start string
	if err := admin.QueryRow("SELECT @@global.gtid_binlog_pos").Scan(&start); err != nil {
		t.Fatal(err)
	}
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

// waitStopped waits for the source to stop by itself with a non-zero status and a log that says why.
func waitStopped(t *testing.T, src *Proc, timeout time.Duration, says ...string) {
	t.Helper()
	if !until(timeout, src.Exited) {
		t.Fatalf("the source did not stop within %s; log:\n%s", timeout, tail(src.Log(), 4000))
	}
	if src.exitErr == nil {
		t.Errorf("the source exited with status 0")
	}
	for _, s := range says {
		if !strings.Contains(src.Log(), s) {
			t.Errorf("the source's log does not say %q:\n%s", s, tail(src.Log(), 4000))
		}
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// TestSourceStatementFormatStops: a session that sets binlog_format=STATEMENT (or MIXED) logs its DML as
// statements, which carry no rows. On a table left out the source goes on; on a captured table it stops,
// naming the setting, and stops again at the same place when restarted (nothing skipped).
func TestSourceStatementFormatStops(t *testing.T) {
	for _, format := range []string{"STATEMENT", "MIXED"} {
		t.Run(format, func(t *testing.T) {
			env := LoadEnv(t)
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			admin := OpenDB(t, env.MySQLA, env.AdminUser, env.AdminPassword, "")
			db := NewDatabase(t, admin, "itest_stmt")
			prefix := UniqueName("stmt")
			tbl := func(name string) string { return "`" + db + "`." + name }
			mustExec(t, admin, "CREATE TABLE "+tbl("t")+" (id INT PRIMARY KEY, v VARCHAR(20))",
				"CREATE TABLE "+tbl("skip")+" (id INT PRIMARY KEY)")
			src := startSource(t, env, prefix, db, db+`\.skip`)
			waitStreaming(t, env, src, prefix)
			stmt := session(ctx, t, admin)
			stmt("SET SESSION binlog_format = "+format, "INSERT INTO "+tbl("skip")+" VALUES (1)")
			mustExec(t, admin, "INSERT INTO "+tbl("t")+" VALUES (1, 'row format')")
			WaitFor(t, time.Minute, "the row-format insert", func() bool {
				if src.Exited() {
					t.Fatalf("source exited on a statement of a table left out:\n%s", src.Log())
				}
				return TopicSize(ctx, env, prefix+"."+db+".t") >= 1
			})
			stmt("INSERT INTO " + tbl("t") + " VALUES (2, 'statement format')")
			mustExec(t, admin, "INSERT INTO "+tbl("t")+" VALUES (3, 'row format')")
			waitStopped(t, src, time.Minute, "binlog_format", db+".t")
			src = startSource(t, env, prefix, db, db+`\.skip`)
			waitStopped(t, src, time.Minute, "binlog_format")
			if ids := idsIn(ctx, t, env, prefix+"."+db+".t"); ids[3] > 0 {
				t.Errorf("the row after the statement was published: the source went past it")
			}
		})
	}
}

// TestSourcePartialRowImageStops: a session with binlog_row_image=MINIMAL or NOBLOB logs rows without
// some of their columns; the source stops naming the setting instead of publishing NULLs.
func TestSourcePartialRowImageStops(t *testing.T) {
	for _, image := range []string{"MINIMAL", "NOBLOB"} {
		t.Run(image, func(t *testing.T) {
			env := LoadEnv(t)
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			admin := OpenDB(t, env.MySQLA, env.AdminUser, env.AdminPassword, "")
			db := NewDatabase(t, admin, "itest_img")
			prefix := UniqueName("img")
			table := "`" + db + "`.t"
			mustExec(t, admin, "CREATE TABLE "+table+" (id INT PRIMARY KEY, v VARCHAR(20), doc BLOB)",
				"INSERT INTO "+table+" VALUES (1, 'one', 'blob one')")
			src := startSource(t, env, prefix, db, "")
			waitStreaming(t, env, src, prefix)
			s := session(ctx, t, admin)
			s("SET SESSION binlog_row_image = "+image, "UPDATE "+table+" SET v = 'changed' WHERE id = 1")
			waitStopped(t, src, time.Minute, "binlog_row_image")
			for _, r := range ReadTopic(ctx, t, env, prefix+"."+db+".t") {
				if r.Event != nil && r.Event.Op != envelope.OpRead {
					t.Errorf("a record of a partial row was published: %s", rowSummary(r))
				}
			}
		})
	}
}

// TestSourceOversizedStatements: a 2 MB mysqldump-style INSERT streams (source.query is cut to
// events.max_query_bytes, its leading comment kept whole); a record still too large for Kafka (a big BLOB)
// stops the source at once, naming the table and the setting to raise, instead of retrying forever.
func TestSourceOversizedStatements(t *testing.T) {
	env := LoadEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	admin := OpenDB(t, env.MySQLA, env.AdminUser, env.AdminPassword, "")
	db := NewDatabase(t, admin, "itest_big_stmt")
	prefix := UniqueName("bigq")
	tbl := func(name string) string { return "`" + db + "`." + name }
	mustExec(t, admin, "CREATE TABLE "+tbl("t")+" (id INT PRIMARY KEY, v VARCHAR(255))",
		"CREATE TABLE "+tbl("blobs")+" (id INT PRIMARY KEY, b LONGBLOB)")
	src := startSource(t, env, prefix, db, "")
	waitStreaming(t, env, src, prefix)

	const rows = 10000
	var dump strings.Builder
	dump.WriteString("/* dts */ INSERT INTO " + tbl("t") + " VALUES ")
	for i := 1; i <= rows; i++ {
		if i > 1 {
			dump.WriteByte(',')
		}
		fmt.Fprintf(&dump, "(%d,'%s')", i, strings.Repeat("v", 200))
	}
	if dump.Len() < 2<<20 {
		t.Fatalf("the dump statement is %d bytes, want 2 MB", dump.Len())
	}
	mustExec(t, admin, dump.String())
	topic := prefix + "." + db + ".t"
	if !until(2*time.Minute, func() bool { return src.Exited() || TopicSize(ctx, env, topic) >= rows }) || src.Exited() {
		t.Fatalf("the %d rows of a %d-byte statement did not stream (%d records); log:\n%s", rows, dump.Len(),
			TopicSize(ctx, env, topic), tail(src.Log(), 4000))
	}
	for _, r := range ReadTopic(ctx, t, env, topic)[:10] {
		q := r.Event.Source.Query
		if !strings.HasPrefix(q, "/* dts */ INSERT INTO") || len(q) > 64<<10 {
			t.Errorf("source.query of %d bytes starting %.40q", len(q), q)
		}
	}

	mustExec(t, admin, "INSERT INTO "+tbl("blobs")+" VALUES (1, REPEAT('b', 3 << 20))")
	waitStopped(t, src, time.Minute, "blobs", "message.max.bytes")

	// With kafka.batch_bytes above the broker's limit, the broker refuses the record (here read by a new
	// source's snapshot): the same stop.
	src = startSourceAs(t, env, UniqueName("bigq"), db, db+`\.t`, sourceLogin{user: env.CDCUser, password: env.CDCPassword,
		kafkaYAML: "  batch_bytes: 8388608\n  max_in_flight_bytes: 16777216\n"})
	waitStopped(t, src, time.Minute, "did not acknowledge", "record of table "+db+".blobs", "message.max.bytes")
}

// deadAddr returns a loopback address where nothing listens.
func deadAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestSourceFirstBrokerDown: with the first broker of kafka.brokers down and the cluster serving, the
// source starts, streams, saves its position and resumes from it.
func TestSourceFirstBrokerDown(t *testing.T) {
	env := LoadEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	admin := OpenDB(t, env.MySQLA, env.AdminUser, env.AdminPassword, "")
	db := NewDatabase(t, admin, "itest_broker")
	prefix := UniqueName("broker")
	table := "`" + db + "`.t"
	mustExec(t, admin, "CREATE TABLE "+table+" (id INT PRIMARY KEY)")
	login := sourceLogin{user: env.CDCUser, password: env.CDCPassword, brokers: append([]string{deadAddr(t)}, env.KafkaBrokers...)}
	topic := prefix + "." + db + ".t"
	for i := int32(1); i <= 2; i++ { // the second start loads the position the first saved
		src := startSourceAs(t, env, prefix, db, "", login)
		waitStreaming(t, env, src, prefix)
		mustExec(t, admin, fmt.Sprintf("INSERT INTO %s VALUES (%d)", table, i))
		WaitFor(t, time.Minute, fmt.Sprintf("row %d in Kafka", i), func() bool {
			if src.Exited() {
				t.Fatalf("source exited:\n%s", src.Log())
			}
			return idsIn(ctx, t, env, topic)[i] > 0
		})
		src.Stop(30 * time.Second)
		if i == 2 && !strings.Contains(src.Log(), "resuming from the saved position") {
			t.Errorf("the second start did not resume from the saved position:\n%s", src.Log())
		}
	}
}

// charsetSamples is text for a column in each character set (what the set can hold).
var charsetSamples = map[string]string{
	"big5": "中文測試", "gbk": "中文测试", "gb2312": "中文测试", "gb18030": "中文测试 😀",
	"sjis": "日本語テスト", "cp932": "日本語テスト①", "ujis": "日本語テスト", "eucjpms": "日本語テスト①",
	"euckr": "한국어 시험", "cp1250": "Łódź žluťoučký", "latin2": "Łódź žluťoučký", "cp1251": "Привет мир",
	"koi8r": "Привет мир", "koi8u": "Привіт світ", "cp866": "Привет мир", "greek": "Καλημέρα κόσμε",
	"hebrew": "שלום עולם", "cp1256": "مرحبا بالعالم", "cp1257": "Ąžuolas ūsai", "latin7": "Ąžuolas ūsai",
	"latin5": "İstanbul ğüşö", "latin1": "café €", "cp850": "Ñandú ¿qué?", "cp852": "Łódź ŽŤ",
	"macroman": "café ™", "tis620": "สวัสดีครับ", "ucs2": "héllo ☃ Ω", "utf16": "héllo 😀",
	"utf16le": "héllo 😀", "utf32": "héllo 😀", "ascii": "plain", "utf8mb3": "héllo ☃", "utf8mb4": "héllo 😀",
}

// charsetsWithoutDecoder have no decoder in golang.org/x/text: the source refuses their columns.
var charsetsWithoutDecoder = map[string]bool{"armscii8": true, "dec8": true, "geostd8": true, "hp8": true,
	"keybcs2": true, "macce": true, "swe7": true, "binary": true}

// TestSourceCharsets: a table with a column in every character set the server offers (but those without
// a decoder) is snapshotted and streamed; every value reads back from Kafka as the same UTF-8 text.
func TestSourceCharsets(t *testing.T) {
	env := LoadEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	admin := OpenDB(t, env.MySQLA, env.AdminUser, env.AdminPassword, "")
	db := NewDatabase(t, admin, "itest_cs")
	prefix := UniqueName("cs")
	rows, err := admin.Query("SELECT CHARACTER_SET_NAME FROM information_schema.CHARACTER_SETS ORDER BY 1")
	if err != nil {
		t.Fatal(err)
	}
	var sets []string
	for rows.Next() {
		var name string
		rows.Scan(&name)
		if charsetsWithoutDecoder[name] {
			continue
		}
		if _, ok := charsetSamples[name]; !ok {
			t.Errorf("no sample text for character set %s", name)
			continue
		}
		sets = append(sets, name)
	}
	rows.Close()
	cols := []string{"id INT PRIMARY KEY", "fixed CHAR(12) CHARACTER SET utf32"}
	values := []string{"?", "?"}
	for _, cs := range sets {
		cols = append(cols, fmt.Sprintf("c_%s VARCHAR(40) CHARACTER SET %s", cs, cs))
		values = append(values, "?")
	}
	table := "`" + db + "`.t"
	mustExec(t, admin, "CREATE TABLE "+table+" ("+strings.Join(cols, ", ")+")")
	insert := func(id int) {
		args := []any{id, "fixed ☃"}
		for _, cs := range sets {
			args = append(args, charsetSamples[cs])
		}
		if _, err := admin.Exec("INSERT INTO "+table+" VALUES ("+strings.Join(values, ", ")+")", args...); err != nil {
			t.Fatal(err)
		}
	}
	insert(1) // copied by the snapshot
	src := startSource(t, env, prefix, db, "")
	waitStreaming(t, env, src, prefix)
	insert(2) // streamed
	topic := prefix + "." + db + ".t"
	if !until(time.Minute, func() bool { return src.Exited() || TopicSize(ctx, env, topic) >= 2 }) || src.Exited() {
		t.Fatalf("two records did not arrive; log:\n%s", tail(src.Log(), 4000))
	}
	for _, r := range ReadTopic(ctx, t, env, topic) {
		for i, f := range r.Event.Row.Fields {
			want := ""
			switch cs, ok := strings.CutPrefix(f.Name, "c_"); {
			case ok:
				want = charsetSamples[cs]
			case f.Name == "fixed":
				want = "fixed ☃"
			default:
				continue
			}
			if got, _ := r.Event.After[i].(string); got != want {
				t.Errorf("%s record, column %s: %q, want %q", r.Event.Op, f.Name, r.Event.After[i], want)
			}
		}
	}
	t.Logf("%d character sets read back", len(sets))
	src.Stop(30 * time.Second)
}

// TestBidirectionalWideRows: A <-> B with rows of 1 KB written in 1,000-row statements of literal values
// (1 MB, as a sink or a dump restore writes them) on both sides; the sinks write them on as multi-row
// statements again. Both sides converge: source.query is bounded, so no record exceeds Kafka's limit.
func TestBidirectionalWideRows(t *testing.T) {
	env := LoadEnv(t)
	p := startBidiTable(t, env, true, false, "(id INT PRIMARY KEY, v INT NOT NULL, note VARCHAR(40), "+
		"updated_at DATETIME(6) NOT NULL, pad VARCHAR(1100) NOT NULL)")
	table := "`" + p.db + "`.t"
	write := func(db *sql.DB, lo int, side string) {
		var q strings.Builder
		q.WriteString("INSERT INTO " + table + " VALUES ")
		for id := lo; id < lo+1000; id++ {
			if id > lo {
				q.WriteByte(',')
			}
			fmt.Fprintf(&q, "(%d, %d, '%s', NOW(6), '%s')", id, id, side, strings.Repeat(side, 1024))
		}
		mustExec(t, db, q.String())
	}
	for i := 0; i < 2; i++ {
		write(p.a, 1+i*1000, "a")
		write(p.b, 100001+i*1000, "b")
	}
	waitApplied(t, env, p.b, p.consumerAB, p.topicA, 3*time.Minute)
	waitApplied(t, env, p.a, p.consBA, p.topicB, 3*time.Minute)
	sameTable(t, p.a, p.b, table, dumpSimple, time.Minute)
	p.stop(t)
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
