//go:build integration

package apply

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/segmentio/kafka-go"

	"github.com/tandemcdc/tandem/itest/batchlog"
	"github.com/tandemcdc/tandem/sink-connector/internal/batch"
	"github.com/tandemcdc/tandem/sink-connector/internal/config"
)

// fenceTarget makes a database on B with table t (id INT PRIMARY KEY, v VARCHAR(20)), an applier that
// keeps its offsets and batch log there, and a builder that applies truncates.
func fenceTarget(t *testing.T) (*Applier, *batch.Builder, string) {
	t.Helper()
	admin := openB(t)
	db := fmt.Sprintf("itest_fence_%d", time.Now().UnixNano())
	for _, s := range []string{"CREATE DATABASE `" + db + "`", "CREATE TABLE `" + db + "`.t (id INT PRIMARY KEY, v VARCHAR(20))"} {
		if _, err := admin.Exec(s); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { admin.Exec("DROP DATABASE IF EXISTS `" + db + "`") })
	a := &Applier{DB: admin, Consumer: "fence", Marker: "/* dts */", OffsetsDB: db, RowsPerStmt: 100, BatchLog: true,
		Tables: &Catalog{DB: admin}}
	if err := a.Setup(context.Background()); err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.Apply.Truncate = true
	b, err := batch.NewBuilder(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return a, b, db
}

// records are the partition's records: offset i is ops[i], "t" a truncate, "c<id>" a create of id.
func records(db string, ops ...string) []kafka.Message {
	out := make([]kafka.Message, len(ops))
	for i, op := range ops {
		m := kafka.Message{Topic: "p." + db + ".t", Offset: int64(i)}
		if op == "t" {
			m.Value = fmt.Appendf(nil, `{"source":{"db":%q,"table":"t"},"op":"t"}`, db)
		} else {
			var id int
			fmt.Sscanf(op, "c%d", &id)
			m.Key = fmt.Appendf(nil, `{"id":%d}`, id)
			m.Value = fmt.Appendf(nil, `{"before":null,"after":{"id":%d,"v":"at %d"},"source":{"db":%q,"table":"t"},"op":"c"}`, id, i, db)
		}
		out[i] = m
	}
	return out
}

// TestApplyFencesRedelivery: two owners of a partition overlap (after a rebalance, or a retry after a
// commit whose reply was lost): the second delivers records the first already applied. The stored
// offset fences rows and truncates alike, so the truncate is not run again (it would wipe rows 3 and 4,
// which are not applied again), and the batch log shows what was asked for and what ran: nothing twice.
func TestApplyFencesRedelivery(t *testing.T) {
	ctx := context.Background()
	a, b, db := fenceTarget(t)
	const topic = "fence"
	if _, _, err := a.NextOffset(ctx, topic, 0); err != nil {
		t.Fatal(err)
	}
	recs := records(db, "c1", "c2", "t", "c3", "c4", "c5", "c6")
	apply := func(first, last int) {
		t.Helper()
		plan, bad := b.Build(recs[first : last+1])
		if len(bad) > 0 {
			t.Fatal(bad[0])
		}
		if _, err := a.Apply(ctx, topic, 0, int64(first), int64(last), plan); err != nil {
			t.Fatal(err)
		}
	}
	apply(0, 4) // owner 1: rows 1, 2, truncate, rows 3, 4
	apply(2, 6) // owner 2, from offset 2: truncate, 3, 4 again, then 5, 6
	apply(0, 4) // a late retry of owner 1's batch: all below the stored offset
	var ids string
	a.DB.QueryRow("SELECT GROUP_CONCAT(id ORDER BY id) FROM `" + db + "`.t").Scan(&ids)
	if ids != "3,4,5,6" {
		t.Errorf("B holds rows %s, want 3,4,5,6 (a truncate applied again wipes 3 and 4)", ids)
	}
	if n := batchlog.Check(t, a.DB, db, "fence"); n != 2 {
		t.Errorf("%d transactions in the batch log, want 2 (the late retry changes nothing)", n)
	}
}

// openB connects to database B of the integration environment (TANDEM_ENV_FILE, written by
// itest/env/tandem-env up) as its admin user.
func openB(t *testing.T) *sql.DB {
	t.Helper()
	path := os.Getenv("TANDEM_ENV_FILE")
	if path == "" {
		t.Skip("TANDEM_ENV_FILE is not set: no integration environment")
	}
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{}
	for _, line := range strings.Split(string(text), "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), "="); ok && !strings.HasPrefix(k, "#") {
			vars[k] = v
		}
	}
	cfg := mysql.NewConfig()
	cfg.Net, cfg.Addr, cfg.User, cfg.Passwd = "tcp", vars["TANDEM_MYSQL_B_ADDR"], vars["TANDEM_MYSQL_ADMIN_USER"], vars["TANDEM_MYSQL_ADMIN_PASSWORD"]
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
