//go:build integration

package itest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"
)

// TestBinlogCarriesMarker proves database A is a real CDC source: rows written with the /* dts */ marker
// comment appear in A's binlog through go-mysql, with the statement text (comment included) in the
// ANNOTATE_ROWS / ROWS_QUERY event before them and the values in the rows event.
func TestBinlogCarriesMarker(t *testing.T) {
	env := LoadEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	admin := OpenDB(t, env.MySQLA, env.AdminUser, env.AdminPassword, "")
	db := NewDatabase(t, admin, "itest_binlog")
	if _, err := admin.ExecContext(ctx, "CREATE TABLE `"+db+"`.t (id INT PRIMARY KEY, note VARCHAR(64) NOT NULL)"); err != nil {
		t.Fatalf("create table: %v", err)
	}
	start := binlogPosition(ctx, t, admin, env.Flavor)

	const stmt = "/* dts */ INSERT INTO `%s`.t (id, note) VALUES (?, ?), (?, ?)"
	writer := OpenDB(t, env.MySQLA, env.SinkUser, env.SinkPassword, "")
	if _, err := writer.ExecContext(ctx, fmt.Sprintf(stmt, db), 1, "héllo 😀", 2, "second"); err != nil {
		t.Fatalf("insert: %v", err)
	}

	host, port := HostPort(t, env.MySQLA)
	syncer := replication.NewBinlogSyncer(replication.BinlogSyncerConfig{
		ServerID:                uint32(time.Now().UnixNano()%100000) + 10000,
		Flavor:                  env.Flavor,
		Host:                    host,
		Port:                    port,
		User:                    env.CDCUser,
		Password:                env.CDCPassword,
		TimestampStringLocation: time.UTC,
		DisableRetrySync:        true,
		DumpCommandFlag:         replication.BINLOG_SEND_ANNOTATE_ROWS_EVENT,
	})
	defer syncer.Close()
	streamer, err := syncer.StartSyncGTID(start)
	if err != nil {
		t.Fatalf("start binlog stream at %s: %v", start, err)
	}

	var query string
	for {
		ev, err := streamer.GetEvent(ctx)
		if err != nil {
			t.Fatalf("read binlog (last statement text %q): %v", query, err)
		}
		switch e := ev.Event.(type) {
		case *replication.MariadbAnnotateRowsEvent:
			query = string(e.Query)
		case *replication.RowsQueryEvent:
			query = string(e.Query)
		case *replication.RowsEvent:
			if string(e.Table.Schema) != db {
				continue
			}
			if !strings.HasPrefix(query, "/* dts */ INSERT INTO") {
				t.Errorf("statement text before the rows event = %q, want it to start with the /* dts */ marker", query)
			}
			want := [][]any{{int32(1), "héllo 😀"}, {int32(2), "second"}}
			if fmt.Sprint(e.Rows) != fmt.Sprint(want) {
				t.Errorf("rows = %v, want %v", e.Rows, want)
			}
			if names := e.Table.ColumnNameString(); fmt.Sprint(names) != "[id note]" {
				t.Errorf("column names from TABLE_MAP = %v, want [id note] (binlog_row_metadata=FULL)", names)
			}
			return
		}
	}
}

// binlogPosition returns the server's current GTID position, from where a replica sees only what comes next.
func binlogPosition(ctx context.Context, t *testing.T, db *sql.DB, flavor string) gomysql.GTIDSet {
	t.Helper()
	q := "SELECT @@global.gtid_binlog_pos"
	if flavor == gomysql.MySQLFlavor {
		q = "SELECT @@global.gtid_executed"
	}
	var pos string
	if err := db.QueryRowContext(ctx, q).Scan(&pos); err != nil && !errors.Is(err, sql.ErrNoRows) {
		t.Fatalf("%s: %v", q, err)
	}
	set, err := gomysql.ParseGTIDSet(flavor, pos)
	if err != nil {
		t.Fatalf("parse GTID position %q: %v", pos, err)
	}
	return set
}

// binlogQueries reads the statement texts (ANNOTATE_ROWS / ROWS_QUERY) of rows events on database db from a
// server's binlog after start, up to its current end.
func binlogQueries(t *testing.T, env *Env, addr string, start gomysql.GTIDSet, db string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin := OpenDB(t, addr, env.AdminUser, env.AdminPassword, "")
	end := binlogPosition(ctx, t, admin, env.Flavor)
	host, port := HostPort(t, addr)
	syncer := replication.NewBinlogSyncer(replication.BinlogSyncerConfig{
		ServerID: uint32(time.Now().UnixNano()%100000) + 300000, Flavor: env.Flavor, Host: host, Port: port,
		User: env.CDCUser, Password: env.CDCPassword, TimestampStringLocation: time.UTC, DisableRetrySync: true,
		DumpCommandFlag: replication.BINLOG_SEND_ANNOTATE_ROWS_EVENT,
	})
	defer syncer.Close()
	streamer, err := syncer.StartSyncGTID(start)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	query := ""
	for {
		ev, err := streamer.GetEvent(ctx)
		if err != nil {
			t.Fatalf("read binlog of %s: %v", addr, err)
		}
		switch e := ev.Event.(type) {
		case *replication.MariadbAnnotateRowsEvent:
			query = string(e.Query)
		case *replication.RowsQueryEvent:
			query = string(e.Query)
		case *replication.RowsEvent:
			if string(e.Table.Schema) == db && query != "" {
				out = append(out, query)
				query = ""
			}
		case *replication.XIDEvent:
			if e.GSet != nil && e.GSet.Contain(end) {
				return out
			}
		}
	}
}
