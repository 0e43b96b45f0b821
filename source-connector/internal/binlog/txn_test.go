package binlog

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"

	"github.com/tandemcdc/tandem/schemas"
)

// recorder is a Handler that writes down what it is handed.
type recorder struct{ log []string }

func (r *recorder) Rows(_ context.Context, ch *Change) error {
	r.log = append(r.log, fmt.Sprintf("rows %s %v", ch.Table.Name, ch.Rows))
	return nil
}

func (r *recorder) Commit(_ context.Context, pos Position, _ time.Time) error {
	r.log = append(r.log, fmt.Sprintf("commit %s:%d %s", pos.File, pos.Pos, pos.GTID))
	return nil
}
func (r *recorder) Pending() bool                 { return false }
func (r *recorder) Flush(_ context.Context) error { return nil }

// stream feeds MariaDB events to a reader (flavor mysql: no information_schema lookups); each event ends at the next multiple of 100.
type stream struct {
	t   *testing.T
	r   *Reader
	st  *state
	h   *recorder
	pos uint32
	err error
}

func newStream(t *testing.T) *stream {
	f, _ := NewFilter([]string{"shop"}, nil, nil, nil, nil)
	r := NewReader(Config{Flavor: "mysql"}, nil, "p", "mariadb", schemas.Options{}, f)
	return &stream{t: t, r: r, st: &state{file: "bin.1", resume: Position{GTID: "0-1-1", File: "bin.1", Pos: 4}}, h: &recorder{}}
}

func (s *stream) send(typ replication.EventType, e replication.Event) {
	s.pos += 100
	if s.err != nil {
		return
	}
	s.err = s.r.handle(context.Background(), s.st, &replication.BinlogEvent{
		Header: &replication.EventHeader{EventType: typ, LogPos: s.pos, EventSize: 100}, Event: e}, s.h)
}

func (s *stream) gtid(seq uint64, flags byte) {
	s.send(replication.MARIADB_GTID_EVENT, &replication.MariadbGTIDEvent{GTID: mysql.MariadbGTID{DomainID: 0, ServerID: 1, SequenceNumber: seq}, Flags: flags})
}

func (s *stream) query(q string, seq uint64) {
	set, _ := mysql.ParseMariadbGTIDSet(fmt.Sprintf("0-1-%d", seq))
	s.send(replication.QUERY_EVENT, &replication.QueryEvent{Schema: []byte("shop"), Query: []byte(q), GSet: set})
}

func (s *stream) xid(seq uint64) {
	set, _ := mysql.ParseMariadbGTIDSet(fmt.Sprintf("0-1-%d", seq))
	s.send(replication.XID_EVENT, &replication.XIDEvent{GSet: set})
}

// insert logs a one-row insert of (id) into shop.t, or into another table of shop.
func (s *stream) insert(table string, id int32) {
	tm := &replication.TableMapEvent{TableID: 7, Schema: []byte("shop"), Table: []byte(table), ColumnCount: 1,
		ColumnType: []byte{mysql.MYSQL_TYPE_LONG}, ColumnMeta: []uint16{0}, NullBitmap: []byte{0},
		ColumnName: [][]byte{[]byte("id")}, PrimaryKey: []uint64{0}, SignednessBitmap: []byte{0}}
	s.send(replication.TABLE_MAP_EVENT, tm)
	s.send(replication.WRITE_ROWS_EVENTv1, &replication.RowsEvent{Table: tm, TableID: 7, ColumnCount: 1,
		ColumnBitmap1: []byte{1}, Rows: [][]any{{id}}})
}

func (s *stream) xaPrepare(gtrid string) {
	data := make([]byte, 13, 13+len(gtrid))
	binary.LittleEndian.PutUint32(data[1:], 1)
	binary.LittleEndian.PutUint32(data[5:], uint32(len(gtrid)))
	s.send(replication.XA_PREPARE_LOG_EVENT, &replication.GenericEvent{Data: append(data, gtrid...)})
}

func (s *stream) want(lines ...string) {
	s.t.Helper()
	if s.err != nil {
		s.t.Fatal(s.err)
	}
	if got := strings.Join(s.h.log, "\n"); got != strings.Join(lines, "\n") {
		s.t.Errorf("handed on:\n%s\nwant:\n%s", got, strings.Join(lines, "\n"))
	}
	s.h.log = nil
}

const (
	transactional = 0x0c
	ddl           = 0x29
	preparedXA    = 0x4c
	completedXA   = 0x8d
)

func TestSavepointsAreNotBoundaries(t *testing.T) {
	s := newStream(t)
	s.gtid(2, transactional)
	s.insert("t", 1)
	s.query("SAVEPOINT `a`", 2)
	s.query("ROLLBACK TO `a`", 2)
	s.query("RELEASE SAVEPOINT `a`", 2)
	s.insert("t", 2)
	s.xid(2)
	s.gtid(3, 0x08) // non-transactional table: ends with a COMMIT query
	s.insert("t", 3)
	s.query("COMMIT", 3)
	s.gtid(4, ddl)
	s.query("ALTER TABLE t ADD COLUMN c INT", 4)
	s.want("rows t [[1]]", "rows t [[2]]", "commit bin.1:900 0-1-2",
		"rows t [[3]]", "commit bin.1:1300 0-1-3", "commit bin.1:1500 0-1-4")
}

func TestXAHeldUntilCommit(t *testing.T) {
	s := newStream(t)
	s.gtid(2, preparedXA)
	s.insert("t", 1)
	s.query("XA END X'7831',X'',1", 2)
	s.xaPrepare("x1")
	s.gtid(3, preparedXA)
	s.insert("t", 2)
	s.query("XA END X'7832',X'',1", 3)
	s.xaPrepare("x2")
	s.gtid(4, transactional)
	s.insert("t", 3)
	s.xid(4)
	// Both prepared: nothing of them handed on, and every position stays before the first.
	s.want("commit bin.1:4 0-1-1", "commit bin.1:4 0-1-1", "rows t [[3]]", "commit bin.1:4 0-1-1")
	s.gtid(5, completedXA)
	s.query("XA ROLLBACK X'7831',X'',1", 5)
	// x1 gone: the position may move up to before x2.
	s.want("commit bin.1:500 0-1-2")
	s.gtid(6, completedXA)
	s.query("XA COMMIT X'7832',X'',1", 6)
	s.want("rows t [[2]]", "commit bin.1:1800 0-1-6")
	// One phase: an ordinary transaction.
	s.gtid(7, transactional)
	s.insert("t", 4)
	s.xid(7)
	s.want("rows t [[4]]", "commit bin.1:2200 0-1-7")
}

func TestStatementDML(t *testing.T) {
	for _, c := range []struct {
		q       string
		refused bool
	}{
		{"INSERT INTO t VALUES (1)", true},
		{"/* dts */ insert ignore into `shop`.`t` (id) values (1)", true},
		{"INSERT INTO other.t VALUES (1)", false},
		{"REPLACE other.t SET id = 1", false},
		{"UPDATE other.t SET a = 1", false},
		{"UPDATE other.t JOIN shop.t USING (id) SET t.a = 1", true},
		{"UPDATE other.t, shop.t SET t.a = 1", true},
		{"DELETE FROM other.t WHERE id = 1", false},
		{"DELETE FROM other.t USING other.t JOIN shop.t", true},
		{"DELETE t1 FROM other.t t1", true},
		{"DELETE FROM t", true},
		{"SAVEPOINT `a`", false},
		{"CREATE TABLE x (id INT)", false},
		{"/*!40000 INSERT INTO shop.t VALUES (1) */", true},
		{"/*M!100100 DELETE FROM other.t */", false},
		{"WITH d AS (SELECT 1) UPDATE shop.t SET a = 1", true},
		{"SELECT shop.writes_rows()", true},
		{"DO shop.writes_rows()", true},
	} {
		s := newStream(t)
		s.gtid(2, transactional)
		s.query(c.q, 2)
		if refused := errors.Is(s.err, ErrUnsupported); refused != c.refused {
			t.Errorf("%q: refused %v, want %v (%v)", c.q, refused, c.refused, s.err)
		}
		if c.refused && !strings.Contains(fmt.Sprint(s.err), "binlog_format") {
			t.Errorf("%q: the error does not name binlog_format: %v", c.q, s.err)
		}
	}
}

func TestPartialRowImage(t *testing.T) {
	s := newStream(t)
	tm := &replication.TableMapEvent{TableID: 7, Schema: []byte("shop"), Table: []byte("t"), ColumnCount: 2,
		ColumnType: []byte{mysql.MYSQL_TYPE_LONG, mysql.MYSQL_TYPE_LONG}, ColumnMeta: []uint16{0, 0}, NullBitmap: []byte{2},
		ColumnName: [][]byte{[]byte("id"), []byte("n")}, PrimaryKey: []uint64{0}, SignednessBitmap: []byte{0}}
	s.gtid(2, transactional)
	s.send(replication.TABLE_MAP_EVENT, tm)
	s.send(replication.UPDATE_ROWS_EVENTv1, &replication.RowsEvent{Table: tm, TableID: 7, ColumnCount: 2,
		ColumnBitmap1: []byte{1}, ColumnBitmap2: []byte{3}, Rows: [][]any{{int32(1), nil}, {int32(1), int32(5)}}})
	if !errors.Is(s.err, ErrUnsupported) || !strings.Contains(s.err.Error(), "binlog_row_image") || !strings.Contains(s.err.Error(), "column n") {
		t.Errorf("partial before image: %v", s.err)
	}
}

func TestTableIDReused(t *testing.T) {
	s := newStream(t)
	s.gtid(2, transactional)
	s.insert("t", 1)
	s.xid(2)
	// Same id, another table (as after a server restart): resolved anew.
	s.gtid(3, transactional)
	s.insert("u", 2)
	s.xid(3)
	s.want("rows t [[1]]", "commit bin.1:400 0-1-2", "rows u [[2]]", "commit bin.1:800 0-1-3")
}

func TestBoundQuery(t *testing.T) {
	long := "/* dts origin=a */ INSERT INTO t VALUES " + strings.Repeat("('é'),", 1000)
	for _, c := range []struct {
		q    string
		max  int
		keep string
	}{
		{"short", 1024, "short"},
		{long, 0, long},
		{long, 1024, "/* dts origin=a */ INSERT INTO t VALUES ('é'),"},
		{"/* " + strings.Repeat("c", 2000) + " */ INSERT", 1024, "/* " + strings.Repeat("c", 2000) + " */"},
	} {
		got := boundQuery(c.q, c.max)
		if !strings.HasPrefix(got, c.keep) {
			t.Errorf("boundQuery(%.30q, %d) = %.60q, want it to start with %.60q", c.q, c.max, got, c.keep)
		}
		if c.max > 0 && len(c.q) > c.max && len(c.keep) < c.max && (len(got) > c.max || !strings.HasSuffix(got, "(events.max_query_bytes) */")) {
			t.Errorf("boundQuery(%.30q, %d): %d bytes ending %q", c.q, c.max, len(got), got[len(got)-40:])
		}
		if !strings.ContainsRune(got, 0xfffd) && !utf8Valid(got) {
			t.Errorf("boundQuery cut a character: %q", got)
		}
	}
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "\ufffd") == s }

// mysqlGTID logs a MySQL GTID event (a transaction then starts with BEGIN or XA START).
func (s *stream) mysqlGTID(gno int64) {
	s.send(replication.GTID_EVENT, &replication.GTIDEvent{SID: make([]byte, 16), GNO: gno})
}

func TestXAOnMySQL(t *testing.T) {
	s := newStream(t)
	s.mysqlGTID(2)
	s.query("XA START X'7831',X'',1", 2)
	s.insert("t", 1)
	s.query("XA END X'7831',X'',1", 2)
	s.xaPrepare("x1")
	s.want("commit bin.1:4 0-1-1")
	s.mysqlGTID(3)
	s.query("XA COMMIT X'7831',X'',1", 3)
	s.want("rows t [[1]]", "commit bin.1:800 0-1-3")
	// XA COMMIT … ONE PHASE: MySQL ends the group with an XA_PREPARE event flagged one-phase.
	s.mysqlGTID(4)
	s.query("XA START X'7832',X'',1", 4)
	s.insert("t", 2)
	s.query("XA END X'7832',X'',1", 4)
	data := make([]byte, 13, 15)
	data[0] = 1
	binary.LittleEndian.PutUint32(data[1:], 1)
	binary.LittleEndian.PutUint32(data[5:], 2)
	s.send(replication.XA_PREPARE_LOG_EVENT, &replication.GenericEvent{Data: append(data, "x2"...)})
	s.want("rows t [[2]]", "commit bin.1:1400 0-1-4")
}

// TestCreateTableSelectIsOneTransaction: MySQL logs CREATE TABLE … SELECT as a DDL query ending in START
// TRANSACTION, then the rows and an XID; MariaDB as a DDL query inside a transactional group. Either way
// the position is saved once, after the rows: a position saved at the CREATE would make a restart skip them.
func TestCreateTableSelectIsOneTransaction(t *testing.T) {
	s := newStream(t)
	s.gtid(5, ddl)
	s.query("CREATE TABLE shop.t2 (id INT) START TRANSACTION", 5)
	s.insert("t2", 1)
	s.xid(5)
	s.gtid(6, transactional)
	s.query("CREATE TABLE shop.t3 SELECT 1 AS id", 6)
	s.insert("t3", 1)
	s.xid(6)
	s.want("rows t2 [[1]]", "commit bin.1:500 0-1-5", "rows t3 [[1]]", "commit bin.1:1000 0-1-6")
}

// TestMySQLGTIDs: a GTID event gives uuid:gno, a tagged one (MySQL 8.3+) uuid:tag:gno, an anonymous one
// (gtid_mode=OFF) none; each starts a transaction outside any before it.
func TestMySQLGTIDs(t *testing.T) {
	sid := []byte{0x3e, 0x11, 0xfa, 0x47, 0x71, 0xca, 0x11, 0xe1, 0x9e, 0x33, 0xc8, 0x0a, 0xa9, 0x42, 0x95, 0x62}
	for _, c := range []struct {
		ev   replication.GTIDEvent
		want string
	}{
		{replication.GTIDEvent{SID: sid, GNO: 23}, "3e11fa47-71ca-11e1-9e33-c80aa9429562:23"},
		{replication.GTIDEvent{SID: sid, GNO: 23, Tag: mysql.NewTag("Batch")}, "3e11fa47-71ca-11e1-9e33-c80aa9429562:batch:23"},
		{replication.GTIDEvent{SID: make([]byte, 16), GNO: 0}, ""},
	} {
		st := &state{gtid: "old", inTxn: true}
		if err := mysqlGTID(st, &c.ev); err != nil || st.gtid != c.want || st.inTxn {
			t.Errorf("%+v: gtid %q inTxn %v err %v; want %q", c.ev, st.gtid, st.inTxn, err, c.want)
		}
	}
}
