//go:build integration

package itest

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/tandemcdc/tandem/envelope"
)

// The tests of this file write what the source must refuse or bound rather than lose or null: statements
// in a session's own binlog format, partial row images, records larger than Kafka takes; and what it must
// carry whole: every character set, a first broker that is down.
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
