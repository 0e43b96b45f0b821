//go:build integration

package itest

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/replication"

	"github.com/tandemcdc/tandem/envelope"
	"github.com/tandemcdc/tandem/schemas"
	"github.com/tandemcdc/tandem/schemas/tablemap"
)

// typesDDL has one column of every type tandem maps, all nullable so one row can be all NULL.
const typesDDL = `CREATE TABLE %s (
  id INT PRIMARY KEY,
  ti TINYINT, tiu TINYINT UNSIGNED, bool1 BOOLEAN, si SMALLINT, siu SMALLINT UNSIGNED,
  mi MEDIUMINT, miu MEDIUMINT UNSIGNED, i INT, iu INT UNSIGNED, bi BIGINT, biu BIGINT UNSIGNED,
  f FLOAT, d DOUBLE, dec10 DECIMAL(10,2), dec65 DECIMAL(65,30),
  b1 BIT(1), b3 BIT(3), b64 BIT(64), y YEAR, dt DATE, tm TIME, tm6 TIME(6),
  dtm DATETIME, dtm3 DATETIME(3), dtm6 DATETIME(6), ts TIMESTAMP NULL, ts3 TIMESTAMP(3) NULL, ts6 TIMESTAMP(6) NULL,
  ch CHAR(10), vc VARCHAR(100), vcl VARCHAR(20) CHARACTER SET latin1, tx TEXT, ltx LONGTEXT,
  bin BINARY(4), vbin VARBINARY(10), bl BLOB, mbl MEDIUMBLOB,
  j JSON, e ENUM('small','medium','large'), s SET('a','b','c'),
  pt POINT, g GEOMETRY
) CHARACTER SET utf8mb4`

// typesRows are edge values: maxima, minima, all NULL, and zero dates.
var typesRows = []string{
	`(1, 127, 255, TRUE, 32767, 65535, 8388607, 16777215, 2147483647, 4294967295, 9223372036854775807, 18446744073709551615,
	  3.40282e38, 1.7976931348623157e308, 99999999.99, 99999999999999999999999999999999999.999999999999999999999999999999,
	  1, 5, b'1111111111111111111111111111111111111111111111111111111111111111', 2155, '9999-12-31', '838:59:59', '838:59:59.000000',
	  '9999-12-31 23:59:59', '9999-12-31 23:59:59.999', '9999-12-31 23:59:59.999999', '2038-01-19 03:14:07', '2038-01-19 03:14:07.999', '2038-01-19 03:14:07.999999',
	  'abc', 'héllo 😀 wörld', 'café €', 'line1\nline2\t"q"', REPEAT('x', 70000),
	  x'0102', x'00ff', REPEAT(x'ff00', 32767), REPEAT('b', 65535),
	  '{"k": [1, 2.50, "x"], "n": null, "u": "😀"}', 'large', 'a,c',
	  ST_GeomFromText('POINT(1.5 -2.25)', 4326), ST_GeomFromText('LINESTRING(0 0, 1 1, 2 0)'))`,
	`(2, -128, 0, FALSE, -32768, 0, -8388608, 0, -2147483648, 0, -9223372036854775808, 0,
	  -1.17549e-38, -2.2250738585072014e-308, -99999999.99, -0.000000000000000000000000000001,
	  0, 0, 0, 1901, '1000-01-01', '-838:59:59', '-838:59:59.000000',
	  '1000-01-01 00:00:00', '1000-01-01 00:00:00.000', '1000-01-01 00:00:00.000001', '1970-01-01 00:00:01', '1970-01-01 00:00:01.001', '1970-01-01 00:00:01.000001',
	  '', '', '', '', '', x'', x'', x'', x'', '[]', 'small', '',
	  ST_GeomFromText('POINT(0 0)'), ST_GeomFromText('POLYGON((0 0, 4 0, 4 4, 0 4, 0 0))', 3857))`,
	`(3` + strings.Repeat(", NULL", 42) + `)`,
	`(4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.5, -0.25, 0.01, 1.5,
	  0, 2, 256, 0, '0000-00-00', '00:00:00', '-00:00:00.000001',
	  '0000-00-00 00:00:00', '1969-12-31 23:59:59.999', '1900-02-28 12:34:56.789012', '0000-00-00 00:00:00', NULL, NULL,
	  ' pad ', 'x', 'x', 'x', 'x', x'00', x'00', x'00', 'x', '{}', 'small', 'a,b,c', NULL, NULL)`,
}

// TestTypesRoundTrip writes edge values of every type to A, reads them from A's binlog with go-mysql,
// maps them to Connect values, encodes and decodes the Debezium JSON, and writes them to the same table on
// B. B's rows must equal A's, except zero dates, which Debezium's format carries as null.
func TestTypesRoundTrip(t *testing.T) {
	env := LoadEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	adminA := OpenDB(t, env.MySQLA, env.AdminUser, env.AdminPassword, "")
	adminB := OpenDB(t, env.MySQLB, env.AdminUser, env.AdminPassword, "")
	dbName := NewDatabase(t, adminA, "itest_types")
	if _, err := adminB.ExecContext(ctx, "CREATE DATABASE `"+dbName+"`"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { adminB.Exec("DROP DATABASE IF EXISTS `" + dbName + "`") })
	table := "`" + dbName + "`.t"
	for _, db := range []*sql.DB{adminA, adminB} {
		if _, err := db.ExecContext(ctx, fmt.Sprintf(typesDDL, table)); err != nil {
			t.Fatalf("create table: %v", err)
		}
	}
	jsonCols := jsonColumns(ctx, t, adminA, dbName, "t")
	start := binlogPosition(ctx, t, adminA, env.Flavor)
	if _, err := adminA.ExecContext(ctx, "SET SESSION sql_mode = 'STRICT_TRANS_TABLES'"); err != nil {
		t.Fatal(err)
	}
	for _, row := range typesRows {
		if _, err := adminA.ExecContext(ctx, "INSERT INTO "+table+" VALUES "+row); err != nil {
			t.Fatalf("insert into A: %v", err)
		}
	}

	// Read the rows back from A's binlog and carry them through the wire format.
	host, port := HostPort(t, env.MySQLA)
	syncer := replication.NewBinlogSyncer(replication.BinlogSyncerConfig{
		ServerID: uint32(time.Now().UnixNano()%100000) + 200000, Flavor: env.Flavor, Host: host, Port: port,
		User: env.CDCUser, Password: env.CDCPassword, TimestampStringLocation: time.UTC, DisableRetrySync: true,
		DumpCommandFlag: replication.BINLOG_SEND_ANNOTATE_ROWS_EVENT,
	})
	defer syncer.Close()
	streamer, err := syncer.StartSyncGTID(start)
	if err != nil {
		t.Fatal(err)
	}
	var opt schemas.Options
	writerB := OpenDB(t, env.MySQLB, env.SinkUser, env.SinkPassword, "")
	applied := 0
	for applied < len(typesRows) {
		ev, err := streamer.GetEvent(ctx)
		if err != nil {
			t.Fatalf("binlog after %d rows: %v", applied, err)
		}
		rows, ok := ev.Event.(*replication.RowsEvent)
		if !ok || string(rows.Table.Schema) != dbName {
			continue
		}
		cols, key, err := tablemap.Columns(rows.Table, jsonCols)
		if err != nil {
			t.Fatal(err)
		}
		fields, err := opt.Fields(cols)
		if err != nil {
			t.Fatal(err)
		}
		wire, err := envelope.NewTable("itest", dbName, "t", fields, key, envelope.SourceSchema("mariadb"))
		if err != nil {
			t.Fatal(err)
		}
		for _, binlogRow := range rows.Rows {
			after := make([]any, len(cols))
			for i, c := range cols {
				if after[i], err = opt.FromBinlog(c, binlogRow[i]); err != nil {
					t.Fatalf("row %v: %v", binlogRow[0], err)
				}
			}
			msg, err := wire.AppendEnvelopeJSON(nil, &envelope.Envelope{After: after, Op: envelope.OpCreate}, envelope.JSONOptions{Schemas: true})
			if err != nil {
				t.Fatal(err)
			}
			decoded, err := envelope.DecodeEnvelopeJSON(msg, nil)
			if err != nil {
				t.Fatalf("decode: %v\n%s", err, msg)
			}
			args := make([]any, len(cols))
			marks := make([]string, len(cols))
			for i, f := range decoded.Row.Fields {
				if args[i], err = schemas.ToSQL(f.Schema, decoded.After[i], schemas.Target{Unsigned: cols[i].Unsigned}); err != nil {
					t.Fatalf("column %s: %v", f.Name, err)
				}
				marks[i] = "?"
			}
			if _, err := writerB.ExecContext(ctx, "/* dts */ INSERT INTO "+table+" VALUES ("+strings.Join(marks, ",")+")", args...); err != nil {
				t.Fatalf("insert into B: %v\nmessage: %.2000s", err, msg)
			}
			applied++
		}
	}

	gotA, gotB := dumpRows(ctx, t, adminA, table), dumpRows(ctx, t, adminB, table)
	// Zero dates cannot travel in Debezium's format: a nullable column carries them as null.
	for _, col := range []string{"dt", "dtm", "ts"} {
		if gotA["4"][col] != "0000-00-00"+map[bool]string{true: "", false: " 00:00:00"}[col == "dt"] || gotB["4"][col] != "NULL" {
			t.Errorf("zero date in %s: A %q, B %q; want B NULL", col, gotA["4"][col], gotB["4"][col])
		}
		gotA["4"][col], gotB["4"][col] = "", ""
	}
	for id, rowA := range gotA {
		for col, va := range rowA {
			if vb := gotB[id][col]; va != vb {
				t.Errorf("row %s column %s: A %.80q, B %.80q", id, col, va, vb)
			}
		}
	}
	if len(gotB) != len(gotA) {
		t.Errorf("B has %d rows, A has %d", len(gotB), len(gotA))
	}
}

// jsonColumns lists the JSON columns of a MariaDB table: LONGTEXT columns with a json_valid check. MySQL's
// JSON is a type of its own in the binlog: none are listed.
func jsonColumns(ctx context.Context, t *testing.T, db *sql.DB, schema, table string) map[string]bool {
	t.Helper()
	var version string
	if err := db.QueryRowContext(ctx, "SELECT VERSION()").Scan(&version); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(version, "MariaDB") {
		return map[string]bool{}
	}
	rows, err := db.QueryContext(ctx, `SELECT CONSTRAINT_NAME, CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS
		WHERE CONSTRAINT_SCHEMA = ? AND TABLE_NAME = ?`, schema, table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var name, clause string
		if err := rows.Scan(&name, &clause); err != nil {
			t.Fatal(err)
		}
		if clause == "json_valid(`"+name+"`)" {
			out[name] = true
		}
	}
	return out
}

// dumpRows reads a table as text, keyed by id then column; geometry as WKT with SRID, binary as hex.
func dumpRows(ctx context.Context, t *testing.T, db *sql.DB, table string) map[string]map[string]string {
	t.Helper()
	q := `SELECT id, ti, tiu, bool1, si, siu, mi, miu, i, iu, bi, biu, f, d, dec10, dec65, b1+0, b3+0, b64+0, y,
	  CAST(dt AS CHAR) dt, CAST(tm AS CHAR) tm, CAST(tm6 AS CHAR) tm6, CAST(dtm AS CHAR) dtm, CAST(dtm3 AS CHAR) dtm3,
	  CAST(dtm6 AS CHAR) dtm6, CAST(ts AS CHAR) ts, CAST(ts3 AS CHAR) ts3, CAST(ts6 AS CHAR) ts6, HEX(ch), HEX(vc), HEX(vcl), HEX(tx), SHA2(ltx, 256), HEX(bin), HEX(vbin), SHA2(bl, 256), SHA2(mbl, 256),
	  j, e, s, CONCAT(ST_SRID(pt), ':', ST_AsText(pt)), CONCAT(ST_SRID(g), ':', ST_AsText(g)) FROM ` + table
	return queryRows(ctx, t, db, q, false)
}

// queryRows runs q and returns its rows as text keyed by the first column, NULL as "NULL"; with quote,
// values are wrapped in single quotes so that the text 'NULL' and a NULL differ.
func queryRows(ctx context.Context, t *testing.T, db *sql.DB, q string, quote bool) map[string]map[string]string {
	t.Helper()
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	names, _ := rows.Columns()
	out := map[string]map[string]string{}
	for rows.Next() {
		vals := make([]sql.NullString, len(names))
		ptrs := make([]any, len(names))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		row := map[string]string{}
		for i, n := range names {
			row[n] = "NULL"
			if vals[i].Valid {
				row[n] = vals[i].String
				if quote {
					row[n] = "'" + row[n] + "'"
				}
			}
		}
		out[row[names[0]]] = row
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
