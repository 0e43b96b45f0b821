// Package binlog reads a MySQL or MariaDB binlog as a replica (go-mysql's replication package) and hands
// the row changes of captured tables, and each transaction's commit position, to a Handler in binlog order.
package binlog

import (
	"context"
	"crypto/tls"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"
	"github.com/google/uuid"

	"github.com/tandemcdc/tandem/schemas"
)

// Position is where streaming resumes: after the transaction it was taken at. GTID is the executed GTID
// set (preferred); File and Pos locate the end of the transaction's commit event.
type Position struct {
	GTID string `json:"gtid,omitempty"`
	File string `json:"file,omitempty"`
	Pos  uint32 `json:"pos,omitempty"`
}

// IsZero reports an empty position: nothing was saved.
func (p Position) IsZero() bool { return p.GTID == "" && p.File == "" }

func (p Position) String() string {
	b, _ := json.Marshal(p)
	return string(b)
}

// Kind is the statement kind of a rows event.
type Kind byte

// Kinds of rows events.
const (
	Insert Kind = 'c'
	Update Kind = 'u'
	Delete Kind = 'd'
	Read   Kind = 'r' // a row copied by the snapshot
)

// Change is one rows event of a captured table.
type Change struct {
	Table    *Table
	Kind     Kind
	Rows     [][]any // binlog values of the captured columns; updates hold before, after pairs
	Query    string  // the statement text (ANNOTATE_ROWS / ROWS_QUERY), "" if the server did not log it
	GTID     string  // the transaction's GTID, "" without GTIDs
	File     string
	Pos      uint32 // start of the rows event
	ServerID uint32 // originating server
	Thread   uint32 // connection id of the writer, 0 when unknown (MariaDB logs no BEGIN with it)
	Time     time.Time
	Snapshot string // source.snapshot of Read rows: true, first, first_in_data_collection, …
}

// Handler receives the stream. Its methods are called from Run's goroutine in binlog order; an error
// stops Run and is returned by it.
type Handler interface {
	Rows(ctx context.Context, ch *Change) error
	// Commit ends a transaction (or a DDL statement); streaming resumes after pos.
	Commit(ctx context.Context, pos Position, eventTime time.Time) error
	// Pending reports work the handler holds back to batch it; Flush is then called as soon as the
	// binlog has been idle for a moment.
	Pending() bool
	Flush(ctx context.Context) error
}

// idleFlush is how long records may be held back: the reader asks the handler to flush that long after
// the first of them, or sooner when the handler fills its batch.
const idleFlush = 2 * time.Millisecond

// Config says how to reach the server.
type Config struct {
	Flavor      string
	Addr        string
	User        string
	Password    string
	ServerID    uint32
	TLS         *tls.Config
	Heartbeat   time.Duration
	ReadTimeout time.Duration
	// MaxQueryBytes bounds the statement text handed on with each change (0: no bound); see boundQuery.
	MaxQueryBytes int
	Logger        *slog.Logger // for go-mysql's own messages
	// SchemaChanges hands DDL statements that changed captured tables to the handler, which must then be
	// a SchemaHandler.
	SchemaChanges bool
}

// Reader streams one server's binlog.
type Reader struct {
	cfg    Config
	tables *tables
}

// NewReader returns a reader resolving tables with db (information_schema access) under the topic
// prefix and connector name.
func NewReader(cfg Config, db *sql.DB, prefix, connector string, opt schemas.Options, filter *Filter) *Reader {
	return &Reader{cfg: cfg, tables: newTables(db, cfg.Flavor, prefix, connector, opt, filter)}
}

// Run streams from start until ctx is cancelled or an error occurs; it returns nil only when ctx was
// cancelled. It never reconnects by itself: the caller restarts it from its last saved position, so a
// partly delivered transaction is read again from its start.
func (r *Reader) Run(ctx context.Context, start Position, h Handler) error {
	host, portText, err := net.SplitHostPort(r.cfg.Addr)
	if err != nil {
		return fmt.Errorf("mysql.addr %q: %w", r.cfg.Addr, err)
	}
	port, _ := strconv.ParseUint(portText, 10, 16)
	var dumpFlag uint16
	if r.cfg.Flavor == mysql.MariaDBFlavor {
		dumpFlag = replication.BINLOG_SEND_ANNOTATE_ROWS_EVENT
	}
	syncer := replication.NewBinlogSyncer(replication.BinlogSyncerConfig{
		ServerID:                r.cfg.ServerID,
		Flavor:                  r.cfg.Flavor,
		Host:                    host,
		Port:                    uint16(port),
		User:                    r.cfg.User,
		Password:                r.cfg.Password,
		TLSConfig:               r.cfg.TLS,
		TimestampStringLocation: time.UTC,
		ParseTime:               true, // twice as fast as formatting DATETIME text (reference/mariadb-binlog.md §4b)
		HeartbeatPeriod:         r.cfg.Heartbeat,
		ReadTimeout:             r.cfg.ReadTimeout,
		DisableRetrySync:        true,
		DumpCommandFlag:         dumpFlag,
		EventCacheCount:         256, // decoded events buffered ahead of the handler: bounds memory
		Logger:                  r.cfg.Logger,
	})
	defer syncer.Close()

	var streamer *replication.BinlogStreamer
	if start.GTID != "" || start.File == "" { // an empty GTID set starts at the oldest binlog
		set, err := mysql.ParseGTIDSet(r.cfg.Flavor, start.GTID)
		if err != nil {
			return fmt.Errorf("saved GTID position %q: %w", start.GTID, err)
		}
		streamer, err = syncer.StartSyncGTID(set)
		if err != nil {
			return fmt.Errorf("start binlog stream at GTID %s: %w", start.GTID, err)
		}
	} else {
		streamer, err = syncer.StartSync(mysql.Position{Name: start.File, Pos: start.Pos})
		if err != nil {
			return fmt.Errorf("start binlog stream at %s:%d: %w", start.File, start.Pos, err)
		}
	}

	st := &state{file: start.File, resume: start, gset: start.GTID}
	// While the handler holds records back, reads wait on a context that expires idleFlush after the
	// first of them: one timer per flush, not per event.
	var flush flushTimer
	defer flush.disarm()
	for {
		evCtx := ctx
		if h.Pending() {
			evCtx = flush.arm(ctx)
		}
		ev, err := streamer.GetEvent(evCtx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if evCtx.Err() != nil { // time to hand over what is held back
				flush.disarm()
				if err := h.Flush(ctx); err != nil {
					return err
				}
				continue
			}
			return fmt.Errorf("read binlog after %s:%d: %w", st.file, st.lastPos, err)
		}
		if !h.Pending() { // the handler flushed by itself
			flush.disarm()
		}
		if err := r.handle(ctx, st, ev, h); err != nil {
			return err
		}
	}
}

// flushTimer is the deadline of records held back by the handler.
type flushTimer struct {
	ctx    context.Context
	cancel context.CancelFunc
}

func (f *flushTimer) arm(parent context.Context) context.Context {
	if f.ctx == nil {
		f.ctx, f.cancel = context.WithTimeout(parent, idleFlush)
	}
	return f.ctx
}

func (f *flushTimer) disarm() {
	if f.cancel != nil {
		f.cancel()
	}
	f.ctx, f.cancel = nil, nil
}

// state is what the reader knows of the transaction in progress.
type state struct {
	file    string
	lastPos uint32
	gtid    string
	query   string
	thread  uint32
	gset    string        // the executed GTID set at the last boundary (or the start)
	lastSet mysql.GTIDSet // the executed GTID set as of the last event that carried it, turned into text at boundaries
	// inTxn is set inside a transaction: after BEGIN, or after a MariaDB GTID event without the standalone
	// flag. There, only COMMIT, ROLLBACK and XID end it; SAVEPOINT and the like do not.
	inTxn bool
	// resume is where streaming would resume now: after the last transaction boundary.
	resume Position
	// xa is the XA transaction being prepared (rows held back until XA COMMIT), nil outside one.
	xa *xaTxn
	// prepared are the XA transactions prepared with captured rows and not yet committed or rolled back,
	// oldest first. While there are any, the position handed on stays before the oldest.
	prepared []*xaTxn
}

func (r *Reader) handle(ctx context.Context, st *state, ev *replication.BinlogEvent, h Handler) error {
	if ev.Header.LogPos != 0 {
		st.lastPos = ev.Header.LogPos
	}
	switch e := ev.Event.(type) {
	case *replication.RotateEvent:
		st.file = string(e.NextLogName)
		r.tables.forget("") // table ids may restart in a new file (a server restart)
	case *replication.FormatDescriptionEvent:
		r.tables.forget("")
	case *replication.MariadbGTIDEvent:
		st.gtid, st.query, st.thread = e.GTID.String(), "", 0
		st.inTxn = e.Flags&replication.BINLOG_MARIADB_FL_STANDALONE == 0
		if e.Flags&mariadbPreparedXA != 0 {
			st.xa = &xaTxn{before: st.resume}
		}
	case *replication.GTIDEvent:
		return mysqlGTID(st, e)
	case *replication.GtidTaggedLogEvent: // MySQL 8.3+: uuid:tag:gno
		return mysqlGTID(st, &e.GTIDEvent)
	case *replication.MariadbAnnotateRowsEvent:
		st.query = boundQuery(string(e.Query), r.cfg.MaxQueryBytes)
	case *replication.RowsQueryEvent:
		st.query = boundQuery(string(e.Query), r.cfg.MaxQueryBytes)
	case *replication.QueryEvent:
		if e.GSet != nil {
			st.lastSet = e.GSet
		}
		return r.query(ctx, st, ev, e, h)
	case *replication.XIDEvent:
		if e.GSet != nil {
			st.lastSet = e.GSet
		}
		if st.xa != nil { // an XA transaction committed in one phase
			if err := r.release(ctx, st.xa, h); err != nil {
				return err
			}
		}
		return r.commit(ctx, st, ev, h)
	case *replication.GenericEvent:
		if ev.Header.EventType == replication.XA_PREPARE_LOG_EVENT {
			return r.xaPrepare(ctx, st, ev, e.Data, h)
		}
	case *replication.ExecuteLoadQueryEvent:
		return fmt.Errorf("%w: LOAD DATA logged as a statement at %s:%d (GTID %s): %s", ErrUnsupported,
			st.file, st.lastPos, st.gtid, statementAdvice)
	case *replication.TableMapEvent:
		if _, err := r.tables.resolve(ctx, e); err != nil {
			return err
		}
	case *replication.RowsEvent:
		return r.rows(ctx, st, ev, e, h)
	case *replication.TransactionPayloadEvent:
		for _, inner := range e.Events {
			// The events of a compressed transaction (MySQL's binlog_transaction_compression) carry no
			// position of their own (0): they take the payload event's, for positions and source.pos.
			header := *inner.Header
			header.LogPos, header.EventSize = ev.Header.LogPos, ev.Header.EventSize
			inner.Header = &header
			if err := r.handle(ctx, st, inner, h); err != nil {
				return err
			}
		}
	}
	return nil
}

// mysqlGTID starts a MySQL transaction: its GTID (none for ANONYMOUS_GTID, a server with gtid_mode=OFF);
// a BEGIN follows unless it is a statement of its own.
func mysqlGTID(st *state, e *replication.GTIDEvent) error {
	st.gtid, st.query, st.thread, st.inTxn = "", "", 0, false
	if e.GNO == 0 {
		return nil
	}
	u, err := uuid.FromBytes(e.SID)
	if err != nil {
		return fmt.Errorf("GTID event: %w", err)
	}
	st.gtid = u.String() + ":"
	if tag := e.Tag.String(); tag != "" {
		st.gtid += tag + ":"
	}
	st.gtid += strconv.FormatInt(e.GNO, 10)
	return nil
}

// query handles a Query event: BEGIN, the end of a transaction (COMMIT, ROLLBACK), the end of an XA
// transaction, a statement inside a transaction (SAVEPOINT, ROLLBACK TO, RELEASE SAVEPOINT, XA END),
// a statement that is a transaction of its own (DDL), or DML logged as a statement, which is refused when
// it may change a captured table.
func (r *Reader) query(ctx context.Context, st *state, ev *replication.BinlogEvent, e *replication.QueryEvent, h Handler) error {
	q := strings.TrimSpace(string(e.Query))
	verb, rest := firstWord(q)
	switch verb {
	case "BEGIN":
		st.thread, st.inTxn = e.SlaveProxyID, true
		return nil
	case "COMMIT":
		if st.xa != nil {
			if err := r.release(ctx, st.xa, h); err != nil {
				return err
			}
		}
		return r.commit(ctx, st, ev, h)
	case "ROLLBACK":
		if word, _ := firstWord(rest); word == "" || word == "WORK" {
			// In row format only changes of non-transactional tables, which no rollback undoes, are
			// logged in a transaction that rolls back: what was published stands.
			return r.commit(ctx, st, ev, h)
		}
	case "XA":
		word, xid := firstWord(rest)
		switch word {
		case "START", "BEGIN": // MySQL logs it; MariaDB flags the GTID event instead
			st.xa, st.inTxn = &xaTxn{before: st.resume}, true
			return nil
		case "COMMIT":
			xid, onePhase := strings.CutSuffix(strings.TrimSpace(xid), " ONE PHASE")
			if onePhase && st.xa != nil {
				if err := r.release(ctx, st.xa, h); err != nil {
					return err
				}
			} else if x := st.resolveXA(strings.TrimSpace(xid)); x != nil {
				if err := r.release(ctx, x, h); err != nil {
					return err
				}
			}
			return r.commit(ctx, st, ev, h)
		case "ROLLBACK":
			st.resolveXA(strings.TrimSpace(xid))
			st.xa = nil
			return r.commit(ctx, st, ev, h)
		}
	}
	if err := r.statementDML(st, e, q); err != nil {
		return err
	}
	isDDL := ddlVerbs[verb]
	if st.inTxn && !isDDL {
		return nil // SAVEPOINT, ROLLBACK TO, RELEASE SAVEPOINT, XA END, DML of tables not captured, …
	}
	// DDL: the next TABLE_MAP of an altered table comes with a new table id and its new columns.
	r.tables.forget(string(e.Schema))
	for _, tc := range ddlTables(string(e.Schema), q) {
		r.tables.forget(tc.DB)
	}
	if sh, ok := h.(SchemaHandler); ok && r.cfg.SchemaChanges {
		if err := r.schemaChange(ctx, st, ev, e, sh); err != nil {
			return err
		}
	}
	// CREATE TABLE … SELECT is one transaction with its rows: MySQL logs the DDL ending in START
	// TRANSACTION, then the rows and an XID; MariaDB logs it inside a transactional group. The XID ends it.
	if st.inTxn || hasSuffixFold(q, "START TRANSACTION") {
		st.inTxn = true
		return nil
	}
	return r.commit(ctx, st, ev, h)
}

// ddlVerbs are the first words of the statements that change the schema.
var ddlVerbs = map[string]bool{"CREATE": true, "ALTER": true, "DROP": true, "RENAME": true, "TRUNCATE": true}

func hasSuffixFold(s, suffix string) bool {
	return len(s) >= len(suffix) && strings.EqualFold(s[len(s)-len(suffix):], suffix)
}

// schemaChange hands a DDL statement that changed captured tables to the handler, with the tables as the
// catalog shows them now.
func (r *Reader) schemaChange(ctx context.Context, st *state, ev *replication.BinlogEvent, e *replication.QueryEvent, h SchemaHandler) error {
	ddl := &DDL{Database: string(e.Schema), Statement: string(e.Query), GTID: st.gtid, File: st.file,
		Pos: ev.Header.LogPos - ev.Header.EventSize, ServerID: ev.Header.ServerID, Thread: e.SlaveProxyID,
		Time: time.Unix(int64(ev.Header.Timestamp), 0)}
	for _, tc := range ddlTables(ddl.Database, ddl.Statement) {
		if !r.tables.filter.Captures(tc.DB, tc.Name) {
			continue
		}
		if tc.Type != "DROP" {
			var err error
			if tc.Table, err = r.tables.describeShape(ctx, tc.DB, tc.Name); err != nil {
				return err
			}
		}
		ddl.Tables = append(ddl.Tables, tc)
	}
	if len(ddl.Tables) == 0 {
		return nil
	}
	return h.Schema(ctx, ddl)
}

// commit ends the transaction at ev: streaming may resume after it, unless an XA transaction prepared
// before it is still open, in which case the position handed on stays before that one.
func (r *Reader) commit(ctx context.Context, st *state, ev *replication.BinlogEvent, h Handler) error {
	if st.lastSet != nil {
		st.gset = st.lastSet.String()
	}
	st.resume = Position{GTID: st.gset, File: st.file, Pos: ev.Header.LogPos}
	st.gtid, st.query, st.thread, st.inTxn, st.xa = "", "", 0, false, nil
	pos := st.resume
	if len(st.prepared) > 0 {
		pos = st.prepared[0].before
	}
	return h.Commit(ctx, pos, time.Unix(int64(ev.Header.Timestamp), 0))
}

func (r *Reader) rows(ctx context.Context, st *state, ev *replication.BinlogEvent, e *replication.RowsEvent, h Handler) error {
	tb, err := r.tables.resolve(ctx, e.Table)
	if err != nil || tb == nil {
		return err
	}
	var kind Kind
	switch ev.Header.EventType {
	case replication.WRITE_ROWS_EVENTv0, replication.WRITE_ROWS_EVENTv1, replication.WRITE_ROWS_EVENTv2,
		replication.MARIADB_WRITE_ROWS_COMPRESSED_EVENT_V1:
		kind = Insert
	case replication.UPDATE_ROWS_EVENTv0, replication.UPDATE_ROWS_EVENTv1, replication.UPDATE_ROWS_EVENTv2,
		replication.MARIADB_UPDATE_ROWS_COMPRESSED_EVENT_V1:
		kind = Update
	case replication.DELETE_ROWS_EVENTv0, replication.DELETE_ROWS_EVENTv1, replication.DELETE_ROWS_EVENTv2,
		replication.MARIADB_DELETE_ROWS_COMPRESSED_EVENT_V1:
		kind = Delete
	case replication.PARTIAL_UPDATE_ROWS_EVENT:
		return fmt.Errorf("%w: %s.%s at %s:%d: a partial JSON update (binlog_row_value_options=PARTIAL_JSON in the "+
			"writing session) carries no whole row; set binlog_row_value_options='' globally and in the applications' sessions",
			ErrUnsupported, tb.DB, tb.Name, st.file, ev.Header.LogPos-ev.Header.EventSize)
	default:
		return fmt.Errorf("rows event type %s is not supported", ev.Header.EventType)
	}
	if err := wholeImage(tb, e, kind, st.file, ev.Header.LogPos-ev.Header.EventSize); err != nil {
		return err
	}
	rows := e.Rows
	if len(tb.Keep) != int(e.ColumnCount) {
		rows = make([][]any, len(e.Rows))
		for i, full := range e.Rows {
			row := make([]any, len(tb.Keep))
			for j, k := range tb.Keep {
				row[j] = full[k]
			}
			rows[i] = row
		}
	}
	ch := &Change{
		Table: tb, Kind: kind, Rows: rows, Query: st.query, GTID: st.gtid, File: st.file,
		Pos: ev.Header.LogPos - ev.Header.EventSize, ServerID: ev.Header.ServerID, Thread: st.thread,
		Time: time.Unix(int64(ev.Header.Timestamp), 0),
	}
	if st.xa != nil {
		return st.xa.hold(ch, ev.Header.EventSize)
	}
	return h.Rows(ctx, ch)
}

// Querier is a *sql.DB or a *sql.Conn.
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// CurrentPosition reads the server's current binlog position: the GTID position when the server has
// GTIDs (always on MariaDB, where an empty position means the binlog holds no transaction yet;
// gtid_mode=ON on MySQL), else the file and position of SHOW BINARY LOG STATUS (MySQL 8.2 and later;
// SHOW MASTER STATUS before, which 8.4 removed).
func CurrentPosition(ctx context.Context, db Querier, flavor string) (Position, error) {
	var p Position
	if flavor == mysql.MariaDBFlavor {
		if err := db.QueryRowContext(ctx, "SELECT @@global.gtid_binlog_pos").Scan(&p.GTID); err != nil {
			return p, fmt.Errorf("read @@gtid_binlog_pos: %w", err)
		}
		return p, nil
	}
	var mode, version string
	if err := db.QueryRowContext(ctx, "SELECT @@global.gtid_mode, @@global.gtid_executed, @@version").Scan(&mode, &p.GTID, &version); err != nil {
		return p, fmt.Errorf("read gtid_mode: %w", err)
	}
	if mode == "ON" {
		return p, nil
	}
	p.GTID = ""
	stmt := BinaryLogStatusStatement(version)
	rows, err := db.QueryContext(ctx, stmt)
	if err != nil {
		return p, fmt.Errorf("%s: %w", stmt, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	if !rows.Next() {
		return p, fmt.Errorf("%s returned nothing: binary logging is off (set log_bin)", stmt)
	}
	vals := make([]sql.RawBytes, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return p, err
	}
	p.File = string(vals[0])
	pos, _ := strconv.ParseUint(string(vals[1]), 10, 32)
	p.Pos = uint32(pos)
	return p, rows.Err()
}

// BinaryLogStatusStatement names the statement that shows a MySQL server's binlog file and position, by
// its version (@@version, e.g. "9.7.4" or "8.0.36-log"): SHOW BINARY LOG STATUS from 8.2 on, SHOW
// MASTER STATUS before. A version it cannot read gets the new statement.
func BinaryLogStatusStatement(version string) string {
	var major, minor int
	if n, _ := fmt.Sscanf(version, "%d.%d", &major, &minor); n == 2 && (major < 8 || major == 8 && minor < 2) {
		return "SHOW MASTER STATUS"
	}
	return "SHOW BINARY LOG STATUS"
}
