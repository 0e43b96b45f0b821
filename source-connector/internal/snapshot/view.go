// Package snapshot copies the captured tables' existing rows into Kafka as op=r records, all read as of
// one binlog position, in primary-key chunks whose progress is saved with the position, so that a source
// killed in the middle resumes from the last acknowledged chunk.
package snapshot

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/tandemcdc/tandem/source-connector/internal/binlog"
)

// View is a consistent read view of the server (a REPEATABLE READ transaction started WITH CONSISTENT
// SNAPSHOT on one connection) and the binlog position it corresponds to: every change committed before
// Pos is in the view, none after it.
type View struct {
	conn *sql.Conn
	Pos  binlog.Position
	// compactJSON: MySQL stores JSON as binary documents, which a SELECT renders with spaces and the
	// binlog reader compactly; the snapshot compacts them so both give the same text. MariaDB's JSON is
	// text, the same in both as written.
	compactJSON bool
}

// Open starts the view. On MariaDB the server reports the view's binlog position itself
// (binlog_snapshot_file/position), so no lock is taken; on MySQL a global read lock is held only while the
// view starts and the position is read.
func Open(ctx context.Context, db *sql.DB, flavor string) (*View, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("snapshot connection: %w", err)
	}
	v := &View{conn: conn, compactJSON: flavor == "mysql"}
	if err := v.start(ctx, flavor); err != nil {
		v.Close()
		return nil, err
	}
	return v, nil
}

func (v *View) start(ctx context.Context, flavor string) error {
	exec := func(q string) error {
		if _, err := v.conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("snapshot: %s: %w", q, err)
		}
		return nil
	}
	if err := exec("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ"); err != nil {
		return err
	}
	if flavor == "mariadb" {
		if err := exec("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY"); err != nil {
			return err
		}
		status := map[string]string{}
		rows, err := v.conn.QueryContext(ctx, "SHOW STATUS LIKE 'binlog_snapshot_%'")
		if err != nil {
			return fmt.Errorf("snapshot: read binlog_snapshot_file/position: %w", err)
		}
		for rows.Next() {
			var k, val string
			if err := rows.Scan(&k, &val); err != nil {
				rows.Close()
				return err
			}
			status[k] = val
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return err
		}
		var pos uint32
		if _, err := fmt.Sscan(status["Binlog_snapshot_position"], &pos); err != nil || status["Binlog_snapshot_file"] == "" {
			return fmt.Errorf("snapshot: the server reports no binlog snapshot position (%v): is log_bin on?", status)
		}
		v.Pos = binlog.Position{File: status["Binlog_snapshot_file"], Pos: pos}
		var gtid sql.NullString
		if err := v.conn.QueryRowContext(ctx, "SELECT BINLOG_GTID_POS(?, ?)", v.Pos.File, pos).Scan(&gtid); err != nil {
			return fmt.Errorf("snapshot: BINLOG_GTID_POS: %w", err)
		}
		if !gtid.Valid {
			return fmt.Errorf("snapshot: BINLOG_GTID_POS(%s, %d) is NULL", v.Pos.File, pos)
		}
		v.Pos.GTID = gtid.String
		return nil
	}
	// MySQL: FLUSH TABLES WITH READ LOCK needs RELOAD; the lock lasts only until the view has started.
	if err := exec("FLUSH TABLES WITH READ LOCK"); err != nil {
		return err
	}
	err := exec("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY")
	if err == nil {
		v.Pos, err = binlog.CurrentPosition(ctx, v.conn, flavor)
	}
	return errors.Join(err, exec("UNLOCK TABLES"))
}

// Close ends the view.
func (v *View) Close() error {
	_, err := v.conn.ExecContext(context.Background(), "ROLLBACK")
	return errors.Join(err, v.conn.Close())
}
