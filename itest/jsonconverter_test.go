//go:build integration

package itest

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
)

// Wire conformance, judged by an oracle that is not ours: Kafka Connect's own JsonConverter (connect-json
// of the broker's version), through testdata/ConverterOracle.java. See oracle.go.

// TestJsonConverterReadsSourceRecords: the source captures a table of every type (typesDDL) with
// events.schemas on and off: snapshot rows, inserts, an update, a key-changing update, a delete with its
// tombstone, rows after an ALTER TABLE adding a column with a DEFAULT, and heartbeats. Every key and value
// must be read by JsonConverter.toConnectData, and fromConnectData of the result must give back JSON equal to
// tandem's; every header must survive Connect's default header converter, and the __debezium.newkey/oldkey
// headers must be what that converter writes for the new/old key, as in Debezium's records.
func TestJsonConverterReadsSourceRecords(t *testing.T) {
	env := LoadEnv(t)
	oracleLibs(t, env)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	admin := OpenDBWith(t, env.MySQLA, env.AdminUser, env.AdminPassword, "", ZeroDates) // typesRows has zero dates
	db := NewDatabase(t, admin, "itest_wire")
	table := "`" + db + "`.types"
	mustExec(t, admin, fmt.Sprintf(typesDDL, table), "INSERT INTO "+table+" VALUES "+strings.Join(typesRows, ", "))

	// One source per converter setting the judge is run with (format): schemas on, off, and on with
	// numeric decimals and BIGINT UNSIGNED as decimals.
	type run struct {
		format, events string
		prefix, topic  string
		pos            string
		src            *Proc
	}
	runs := []*run{
		{format: "on", events: "schemas: true, transaction_metadata: true"},
		{format: "off", events: "schemas: false, transaction_metadata: true"},
		{format: "numeric", events: "schemas: true, decimal_format: numeric, bigint_unsigned_mode: precise"},
	}
	for _, r := range runs {
		r.prefix = UniqueName("wire_" + r.format)
		r.topic = r.prefix + "." + db + ".types"
		r.pos = filepath.Join(t.TempDir(), "position.json")
		r.src = snapshotSource(t, env, r.prefix, db, "types", r.pos, "events: {"+r.events+", heartbeat_interval: 500ms}\n")
	}
	for _, r := range runs {
		WaitFor(t, 60*time.Second, "the snapshot of "+r.topic, func() bool {
			if r.src.Exited() {
				t.Fatalf("source exited:\n%s", r.src.Log())
			}
			s := readState(t, r.pos)
			return s != nil && s.Snapshot == nil && TopicSize(ctx, env, r.topic) >= int64(len(typesRows))
		})
	}
	// Streamed changes: each typesRows row again under id+10, an update, a key change, a delete, then
	// columns with a DEFAULT of several types (their schemas carry the default, which JsonConverter reads
	// with the field's schema) and rows holding NULL and the defaults in them.
	for i, row := range typesRows {
		_, rest, _ := strings.Cut(row, ",")
		mustExec(t, admin, fmt.Sprintf("INSERT INTO %s VALUES (%d,%s", table, i+11, rest))
	}
	mustExec(t, admin,
		"UPDATE "+table+" SET vc = 'changed', f = 1.25, d = -0.125, j = '{\"changed\": true}' WHERE id = 11",
		"UPDATE "+table+" SET id = 100 WHERE id = 12",
		"DELETE FROM "+table+" WHERE id = 13",
		"ALTER TABLE "+table+" ADD COLUMN extra VARCHAR(20) DEFAULT 'dflt', ADD COLUMN xi INT DEFAULT -7,"+
			" ADD COLUMN xbi BIGINT UNSIGNED DEFAULT 18446744073709551615, ADD COLUMN xf FLOAT DEFAULT 2.5,"+
			" ADD COLUMN xd DOUBLE DEFAULT -0.125, ADD COLUMN xdec DECIMAL(5,2) DEFAULT 1.50, ADD COLUMN xdt DATE DEFAULT '2024-02-29',"+
			" ADD COLUMN xtm TIME(3) DEFAULT '12:34:56.789', ADD COLUMN xdtm DATETIME(3) DEFAULT '2024-02-29 12:00:00.500',"+
			" ADD COLUMN xts TIMESTAMP(6) NULL DEFAULT '2024-02-29 12:00:00.250000', ADD COLUMN xy YEAR DEFAULT 2024,"+
			" ADD COLUMN xe ENUM('a','b') DEFAULT 'b', ADD COLUMN xs SET('a','b') DEFAULT 'a,b', ADD COLUMN xbit BIT(3) DEFAULT b'101',"+
			" ADD COLUMN xb1 BIT(1) DEFAULT b'1', ADD COLUMN xbool BOOLEAN DEFAULT TRUE, ADD COLUMN xbin BINARY(2) DEFAULT 'ab'",
		"INSERT INTO "+table+" (id, extra) VALUES (20, NULL), (21, DEFAULT)")
	const want = 4 + 4 + 1 + 3 + 2 + 2 // r, c, u, d+tombstone+c, d+tombstone, c after ALTER
	for _, r := range runs {
		WaitFor(t, 60*time.Second, "the streamed changes in "+r.topic, func() bool {
			return TopicSize(ctx, env, r.topic) >= want && TopicSize(ctx, env, "__debezium-heartbeat."+r.prefix) > 0
		})
		r.src.Stop(30 * time.Second)
	}

	// Everything the sources wrote goes to the judge in one JVM.
	type check struct {
		what string
		req  judgeReq
		want []byte // what the converter must write back; nil for a null
	}
	var checks []check
	add := func(what string, req judgeReq, want []byte) { checks = append(checks, check{what, req, want}) }
	for _, r := range runs {
		var newKeys, oldKeys [][]byte // keys of the records holding oldkey (new keys) and newkey (old keys)
		type keyHeader struct {
			what, name string
			value      []byte
		}
		var keyHeaders []keyHeader
		topics := []string{r.topic, "__debezium-heartbeat." + r.prefix}
		if strings.Contains(r.events, "transaction_metadata: true") {
			topics = append(topics, r.prefix+".transaction")
		}
		for _, topic := range topics {
			msgs := rawTopic(ctx, t, env, topic)
			if topic == r.topic && len(msgs) != want {
				t.Errorf("%s holds %d records, want %d", topic, len(msgs), want)
			}
			for _, m := range msgs {
				what := fmt.Sprintf("%s[%d]@%d", topic, m.Partition, m.Offset)
				add(what+" key", judgeReq{topic, "key", r.format, m.Key}, m.Key)
				add(what+" value", judgeReq{topic, "value", r.format, m.Value}, m.Value)
				for _, h := range m.Headers {
					add(what+" header "+h.Key, judgeReq{topic, "header", r.format, h.Value}, h.Value)
					switch h.Key {
					case "__debezium.newkey":
						keyHeaders = append(keyHeaders, keyHeader{what, h.Key, h.Value})
						if m.Value != nil {
							oldKeys = append(oldKeys, m.Key)
						}
					case "__debezium.oldkey":
						keyHeaders = append(keyHeaders, keyHeader{what, h.Key, h.Value})
						newKeys = append(newKeys, m.Key)
					}
				}
			}
		}
		if len(newKeys) != 1 || len(oldKeys) != 1 {
			t.Fatalf("%s: %d records with __debezium.oldkey and %d deletes with __debezium.newkey, want 1 each",
				r.topic, len(newKeys), len(oldKeys))
		}
		// Debezium's key headers hold the key as Connect's default header converter writes it.
		for _, h := range keyHeaders {
			key := newKeys[0]
			if h.name == "__debezium.oldkey" {
				key = oldKeys[0]
			}
			add(h.what+" header "+h.name+" (Debezium's form of the key)", judgeReq{r.topic, "keyheader", r.format, key}, h.value)
		}
	}
	resps := judge(t, env, func() []judgeReq {
		reqs := make([]judgeReq, len(checks))
		for i, c := range checks {
			reqs[i] = c.req
		}
		return reqs
	}())
	var failures []string
	for i, c := range checks {
		res := resps[i]
		switch {
		case res.err != "":
			failures = append(failures, fmt.Sprintf("%s: Kafka Connect refuses it: %s\n    tandem wrote: %.300s", c.what, res.err, c.want))
		default:
			if d := jsonDiff(c.want, res.out); d != "" {
				failures = append(failures, fmt.Sprintf("%s: tandem's JSON vs Kafka Connect's: %s", c.what, d))
			} else if c.req.format != "off" && c.req.kind != "header" && !bytes.Equal(c.want, res.out) {
				// With schemas, Connect writes members in schema order and numbers as Java prints them:
				// tandem's bytes must be the same, not only an equal document.
				at := 0
				for at < len(c.want) && at < len(res.out) && c.want[at] == res.out[at] {
					at++
				}
				from := max(0, at-80)
				failures = append(failures, fmt.Sprintf("%s: same JSON, other bytes from byte %d:\n    tandem:  …%.200s\n    Connect: …%.200s",
					c.what, at, c.want[from:], res.out[from:]))
			}
		}
	}
	keepLog(t, "source-failures.txt", strings.Join(failures, "\n"))
	reportFailures(t, failures, len(checks))
}

// reportFailures fails the test with the failures, grouped by message so one bug does not hide the others.
func reportFailures(t *testing.T, failures []string, total int) {
	t.Helper()
	if len(failures) == 0 {
		t.Logf("%d record parts judged by Kafka Connect's converters: all conform", total)
		return
	}
	groups := map[string][]string{}
	for _, f := range failures {
		// The message without the record's place names the kind of failure.
		_, msg, _ := strings.Cut(f, ": ")
		if i := strings.Index(msg, "\n"); i >= 0 {
			msg = msg[:i]
		}
		groups[msg] = append(groups[msg], f)
	}
	msgs := make([]string, 0, len(groups))
	for m := range groups {
		msgs = append(msgs, m)
	}
	sort.Strings(msgs)
	for _, m := range msgs {
		g := groups[m]
		t.Errorf("%d of %d record parts: %s", len(g), total, g[0])
	}
}

// wireTableDDL is the table the oracle's records are applied to: one column per Connect type and per
// Debezium semantic type (testdata/ConverterOracle.java, columns()).
const wireTableDDL = `CREATE TABLE %s (
  id INT PRIMARY KEY, i8 TINYINT, i16 SMALLINT, i32 INT, i64 BIGINT, f32 FLOAT, f64 DOUBLE, b BOOLEAN, bit1 BIT(1),
  s VARCHAR(100) NOT NULL, bs VARBINARY(20), opt VARCHAR(20), dec1 DECIMAL(10,3), dt DATE, tm TIME(3), tmu TIME(6),
  dtm DATETIME(3), dtmu DATETIME(6), zts TIMESTAMP(6) NULL, yr YEAR, bits BIT(10), en ENUM('small','medium','large'),
  es SET('a','b','c'), js JSON, pt POINT, g GEOMETRY, cd DATE, ct TIME(3), cts DATETIME(3)
) CHARACTER SET utf8mb4`

// wireRows are the rows B must hold after the oracle's records (see ConverterOracle.write): row 1's values,
// row 2's updated, row 3 all NULL, row 55 (moved from 5) with row 1's values.
func wireRows(schemas bool) map[string]map[string]string {
	row1 := map[string]string{"i8": "127", "i16": "32767", "i32": "2147483647", "i64": "9223372036854775807",
		"f32": "3.25", "f64": "1.5e+300", "b": "1", "bit1": "1", "bs": "00FF10", "opt": "NULL", "dec1": "1234567.891",
		"dt": "2024-02-29", "tm": "13:45:12.345", "tmu": "838:59:59.000000", "dtm": "2024-02-29 23:59:59.123",
		"dtmu": "9999-12-31 23:59:59.999999", "zts": "2038-01-19 03:14:07.999999", "yr": "2155", "bits": "513",
		"en": "large", "es": "a,c", "js": `{"k":[1,2.5,"x"],"u":"😀"}`, "pt": "4326:POINT(1.5 -2.25)",
		"g": "0:LINESTRING(0 0,1 1,2 0)", "cd": "2024-02-29", "ct": "13:45:12.345", "cts": "2024-02-29 23:59:59.123"}
	row2 := map[string]string{"i8": "-128", "i16": "-32768", "i32": "7", "i64": "-9223372036854775808",
		"f32": "-0.5", "f64": "-2.5e-300", "b": "0", "bit1": "0", "bs": "", "opt": "x", "dec1": "-0.001",
		"dt": "1000-01-01", "tm": "00:00:00.000", "tmu": "-838:59:59.000000", "dtm": "1969-12-31 23:59:59.999",
		"dtmu": "1000-01-01 00:00:00.000001", "zts": "1970-01-01 00:00:01.000000", "yr": "1901", "bits": "0",
		"en": "small", "es": "", "js": "[]", "pt": "0:POINT(0 0)", "g": "3857:LINESTRING(0 0,1 1,2 0)",
		"cd": "1000-01-01", "ct": "00:00:00.000", "cts": "1969-12-31 23:59:59.999"}
	rows := map[string]map[string]string{}
	for id, r := range map[string]map[string]string{"1": row1, "2": row2, "3": nil, "55": row1} {
		row := map[string]string{"id": id, "s": map[string]string{"1": "héllo 😀 \"q\"\nz", "2": "updated", "3": "nulls", "55": "moved"}[id]}
		for col := range row1 {
			row[col] = "NULL"
			if r != nil {
				row[col] = r[col]
			}
		}
		if !schemas { // a millisecond TIME cannot travel schemaless: the oracle leaves tm and ct out
			row["tm"], row["ct"] = "NULL", "NULL"
		}
		rows[id] = row
	}
	return rows
}

// TestJsonConverterRecordsApplied: records that Kafka Connect's JsonConverter.fromConnectData writes for
// every Connect type and every Debezium semantic type, in Debezium's envelope with schemas on, off, and
// with decimal.format=numeric, are applied by the sink to the right column values on B: inserts, an update,
// a delete and its tombstone, a snapshot read, a key change with Debezium's key headers, and a record
// carrying the loop marker, which is skipped.
func TestJsonConverterRecordsApplied(t *testing.T) {
	env := LoadEnv(t)
	oracleLibs(t, env)
	ctx := context.Background()
	adminB := OpenDB(t, env.MySQLB, env.AdminUser, env.AdminPassword, "")
	db := NewDatabase(t, adminB, "itest_wirein")
	records := oracleRecords(t, env, db)
	variants := []struct{ name, table string }{{"on", "won"}, {"off", "woff"}, {"numeric", "wnum"}}
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			mustExec(t, adminB, fmt.Sprintf(wireTableDDL, "`"+db+"`."+v.table))
			topic := UniqueName("wirein_" + v.name)
			CreateTopic(ctx, t, env, topic, 1)
			var msgs []kafka.Message
			for _, r := range records {
				if r.variant == v.name {
					msgs = append(msgs, r.msg)
				}
			}
			if len(msgs) != 12 {
				t.Fatalf("the oracle wrote %d records of variant %s, want 12", len(msgs), v.name)
			}
			w := &kafka.Writer{Addr: kafka.TCP(env.KafkaBrokers...), Topic: topic, RequiredAcks: kafka.RequireAll, BatchTimeout: time.Millisecond}
			if err := w.WriteMessages(ctx, msgs...); err != nil {
				t.Fatal(err)
			}
			w.Close()
			name := topic + "-sink"
			sink := startSink(t, env, name, "topics: ["+topic+"]", "")
			waitApplied(t, env, adminB, name, topic, time.Minute, sink)
			sink.Stop(30 * time.Second)

			// MySQL prints a geographic SRS's points latitude first unless asked, and renders its binary JSON
			// with spaces: ask for x y order, and compare JSON compacted.
			asText, js := "ST_AsText(pt)", "js"
			if env.Flavor == "mysql" {
				asText, js = "ST_AsText(pt, 'axis-order=long-lat')", "REPLACE(REPLACE(CAST(js AS CHAR), ': ', ':'), ', ', ',') js"
			}
			got := queryRows(ctx, t, adminB, `SELECT id, i8, i16, i32, i64, f32, f64, b, bit1+0 bit1, s, HEX(bs) bs, opt, dec1,
			  CAST(dt AS CHAR) dt, CAST(tm AS CHAR) tm, CAST(tmu AS CHAR) tmu, CAST(dtm AS CHAR) dtm, CAST(dtmu AS CHAR) dtmu,
			  CAST(zts AS CHAR) zts, yr, bits+0 bits, en, es, `+js+`, CONCAT(ST_SRID(pt), ':', `+asText+`) pt,
			  CONCAT(ST_SRID(g), ':', ST_AsText(g)) g, CAST(cd AS CHAR) cd, CAST(ct AS CHAR) ct, CAST(cts AS CHAR) cts
			  FROM `+"`"+db+"`."+v.table, false)
			if d := rowsDiff(wireRows(v.name != "off"), got); d != "" {
				t.Errorf("B's table %s (A = what the records carry):\n%s", v.table, d)
			}
		})
	}
}
