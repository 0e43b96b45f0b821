// Package stream runs the source pipeline: binlog reader -> converter -> producer -> checkpoint tracker ->
// position store, and restarts it from the last saved position after a lost connection.
package stream

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"time"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-sql-driver/mysql"
	"github.com/google/uuid"
	"github.com/segmentio/kafka-go"
	"golang.org/x/sync/errgroup"

	"github.com/tandemcdc/tandem/envelope"
	"github.com/tandemcdc/tandem/internal/buildinfo"
	"github.com/tandemcdc/tandem/source-connector/internal/binlog"
	"github.com/tandemcdc/tandem/source-connector/internal/checkpoint"
	"github.com/tandemcdc/tandem/source-connector/internal/config"
	"github.com/tandemcdc/tandem/source-connector/internal/convert"
	"github.com/tandemcdc/tandem/source-connector/internal/metrics"
	"github.com/tandemcdc/tandem/source-connector/internal/produce"
	"github.com/tandemcdc/tandem/source-connector/internal/snapshot"
)

// ErrPermanent marks errors a restart cannot fix: the daemon stops with them.
var ErrPermanent = errors.New("permanent error")

// Run streams until ctx is cancelled (then it flushes, saves the final position and returns nil) or a
// permanent error occurs. Lost connections to MySQL or Kafka restart the pipeline from the last saved
// position with capped exponential backoff.
func Run(ctx context.Context, cfg *config.Config, log *slog.Logger, m *metrics.Metrics) error {
	deps, err := Open(cfg, log)
	if err != nil {
		return err
	}
	defer deps.Close()

	backoff := time.Second
	for {
		started := time.Now()
		err := runOnce(ctx, cfg, deps, log, m)
		if ctx.Err() != nil || errors.Is(err, errSnapshotOnly) {
			return nil
		}
		if cfg.Snapshot.Mode == "when_needed" && positionGone(err) {
			log.Warn("the saved position is no longer on the server; taking a new snapshot (snapshot.mode=when_needed)", "err", err)
			if err := deps.Store.Reset(ctx); err != nil {
				return err
			}
			continue
		}
		if errors.Is(err, ErrPermanent) || !retryable(err) {
			return explain(err)
		}
		if time.Since(started) > time.Minute {
			backoff = time.Second
		}
		wait := backoff/2 + rand.N(backoff/2+1)
		log.Warn("stream interrupted; restarting from the last saved position", "err", err, "retry_in", wait.Round(time.Millisecond))
		m.Reconnects.Inc()
		m.SetHealthy(false)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
		backoff = min(backoff*2, 30*time.Second)
	}
}

// errSnapshotOnly ends a run of snapshot.mode=initial_only once the snapshot is saved.
var errSnapshotOnly = errors.New("snapshot done (snapshot.mode=initial_only)")

// Deps are the long-lived connections of the pipeline.
type Deps struct {
	DB         *sql.DB // information_schema and position queries, as the replication user
	SnapshotDB *sql.DB // the snapshot's reads: UTC session, column bytes in their own character set
	Store      checkpoint.Store
	Transport  *kafka.Transport
	Dialer     *kafka.Dialer
}

// Open prepares the connections described by cfg; nothing is dialled yet.
func Open(cfg *config.Config, log *slog.Logger) (*Deps, error) {
	mysqlTLS, err := cfg.MySQLTLS()
	if err != nil {
		return nil, err
	}
	dsn := mysql.NewConfig()
	dsn.Net, dsn.Addr, dsn.User, dsn.Passwd = "tcp", cfg.MySQL.Addr, cfg.MySQL.User, cfg.MySQL.Password
	dsn.Timeout, dsn.ReadTimeout, dsn.WriteTimeout = 10*time.Second, 30*time.Second, 30*time.Second
	if mysqlTLS != nil {
		if err := mysql.RegisterTLSConfig("tandem-source", mysqlTLS); err != nil {
			return nil, err
		}
		dsn.TLSConfig = "tandem-source"
	}
	connector, err := mysql.NewConnector(dsn)
	if err != nil {
		return nil, err
	}
	db := sql.OpenDB(connector)
	db.SetMaxOpenConns(2)
	db.SetConnMaxLifetime(5 * time.Minute)
	// Snapshot reads: TIMESTAMP values in UTC, text in the column's own character set (decoded as the
	// binlog's bytes are), prepared statements so numbers arrive in binary form.
	snapDSN := dsn.Clone()
	snapDSN.Params = map[string]string{"time_zone": "'+00:00'", "character_set_results": "NULL"}
	snapDSN.ReadTimeout = 5 * time.Minute
	snapConnector, err := mysql.NewConnector(snapDSN)
	if err != nil {
		db.Close()
		return nil, err
	}
	snapDB := sql.OpenDB(snapConnector)
	snapDB.SetMaxIdleConns(0)

	transport, dialer, err := cfg.KafkaClients()
	if err != nil {
		db.Close()
		snapDB.Close()
		return nil, err
	}
	var store checkpoint.Store = &checkpoint.FileStore{Path: cfg.Offsets.File}
	if cfg.Offsets.Store == "kafka" {
		store = &checkpoint.KafkaStore{Name: cfg.Name, Topic: cfg.Offsets.Topic, Brokers: cfg.Kafka.Brokers,
			Transport: transport, Dialer: dialer, Replicas: cfg.Kafka.ReplicationFactor}
	}
	return &Deps{DB: db, SnapshotDB: snapDB, Store: store, Transport: transport, Dialer: dialer}, nil
}

// Close releases the connections.
func (d *Deps) Close() error {
	return errors.Join(d.Store.Close(), d.DB.Close(), d.SnapshotDB.Close())
}

// runOnce runs the pipeline once, from the saved state: the rest of an unfinished snapshot, then the
// binlog.
func runOnce(ctx context.Context, cfg *config.Config, deps *Deps, log *slog.Logger, m *metrics.Metrics) error {
	filter, err := binlog.NewFilter(cfg.Filters.IncludeDatabases, cfg.Filters.ExcludeDatabases,
		cfg.Filters.IncludeTables, cfg.Filters.ExcludeTables, cfg.Filters.ExcludeColumns)
	if err != nil {
		return err
	}
	copier := &snapshot.Copier{
		Describer: binlog.NewDescriber(deps.DB, cfg.MySQL.Flavor, cfg.TopicPrefix, cfg.ConnectorName(), cfg.SchemaOptions(), filter),
		ChunkSize: cfg.Snapshot.ChunkSize, Every: cfg.Snapshot.ProgressInterval, Log: log, Progress: m,
	}
	start, err := startState(ctx, cfg, deps, copier, log)
	if err != nil {
		return err
	}
	defer func() {
		if copier.View != nil {
			copier.View.Close()
		}
	}()

	tracker := checkpoint.NewTracker(start)
	producer, err := produce.New(produce.Config{
		Brokers: cfg.Kafka.Brokers, Transport: deps.Transport, Partitions: cfg.Kafka.Partitions,
		ReplicationFactor: cfg.Kafka.ReplicationFactor, CleanupPolicy: cfg.Kafka.CleanupPolicy,
		Compression: cfg.Kafka.Compression, BatchSize: cfg.Kafka.BatchSize, BatchBytes: cfg.Kafka.BatchBytes,
		Linger: cfg.Kafka.Linger, MaxInFlightBytes: int64(cfg.Kafka.MaxInFlightBytes), WriteTimeout: cfg.Kafka.WriteTimeout,
	}, func(msgs []kafka.Message, err error) {
		acknowledge(tracker, m, msgs, tooLarge(err, msgs, cfg.Kafka.BatchBytes))
	})
	if err != nil {
		return err
	}
	mysqlTLS, _ := cfg.MySQLTLS()
	reader := binlog.NewReader(binlog.Config{
		Flavor: cfg.MySQL.Flavor, Addr: cfg.MySQL.Addr, User: cfg.MySQL.User, Password: cfg.MySQL.Password,
		ServerID: cfg.MySQL.ServerID, TLS: mysqlTLS, Heartbeat: cfg.MySQL.Heartbeat, ReadTimeout: cfg.MySQL.ReadTimeout,
		MaxQueryBytes: cfg.Events.MaxQueryBytes, Logger: quiet(log), SchemaChanges: cfg.Events.SchemaChanges,
	}, deps.DB, cfg.TopicPrefix, cfg.ConnectorName(), cfg.SchemaOptions(), filter)
	h := &handler{
		conv: &convert.Converter{Prefix: cfg.TopicPrefix, Connector: cfg.ConnectorName(),
			Version: "tandem-" + buildinfo.Version, Tombstones: cfg.Events.Tombstones, Schemas: cfg.SchemaOptions(),
			JSON: envelope.JSONOptions{Schemas: cfg.Events.Schemas, DecimalNumeric: cfg.Events.DecimalFormat == "numeric",
				Cache: &envelope.SourceCache{}}, Headers: contextHeaders(cfg), Txn: txnMeta(cfg)},
		producer: producer, tracker: tracker, metrics: m, batchBytes: cfg.Kafka.BatchBytes,
	}
	if cfg.Events.SchemaChanges {
		// Debezium's schema change topic has one partition, so DDL keeps its order for every reader.
		client := &kafka.Client{Addr: kafka.TCP(cfg.Kafka.Brokers...), Transport: deps.Transport, Timeout: 10 * time.Second}
		if err := produce.EnsureTopic(ctx, client, cfg.TopicPrefix, 1, cfg.Kafka.ReplicationFactor, "delete"); err != nil {
			return err
		}
		h.schemaChanges = convert.NewSchemaChanges(cfg.TopicPrefix, cfg.ConnectorName())
	}
	if cfg.Events.TransactionMetadata {
		// BEGIN and END share a key: compaction would remove the BEGIN, so this topic is never compacted.
		client := &kafka.Client{Addr: kafka.TCP(cfg.Kafka.Brokers...), Transport: deps.Transport, Timeout: 10 * time.Second}
		if err := produce.EnsureTopic(ctx, client, h.conv.Txn.Topic, cfg.Kafka.Partitions, cfg.Kafka.ReplicationFactor, "delete"); err != nil {
			return err
		}
	}

	m.SetHealthy(true)
	g, gctx := errgroup.WithContext(ctx)
	readerDone := make(chan struct{})
	var readErr error
	g.Go(func() error {
		defer close(readerDone)
		if start.Snapshot != nil {
			readErr = copier.Copy(gctx, start, h)
			if err := copier.View.Close(); err != nil && readErr == nil {
				log.Warn("closing the snapshot's read view", "err", err)
			}
			copier.View = nil
			if readErr == nil && cfg.Snapshot.Mode == "initial_only" {
				readErr = errSnapshotOnly
			}
		}
		if readErr == nil {
			readErr = reader.Run(gctx, start.Position, h)
		}
		// Stop reading, then flush: every record gathered is sent and completes (acknowledged or failed).
		if err := h.Flush(context.WithoutCancel(gctx)); err != nil && readErr == nil {
			readErr = err
		}
		if err := producer.Close(); err != nil && readErr == nil {
			readErr = err
		}
		if readErr == nil {
			readErr = tracker.Err()
		}
		return readErr
	})
	g.Go(func() error {
		return saveLoop(gctx, readerDone, cfg.Offsets.FlushInterval, tracker, deps.Store, log, m)
	})
	if cfg.Events.HeartbeatInterval > 0 {
		g.Go(func() error { return heartbeats(gctx, readerDone, cfg, deps.Transport, log) })
	}
	err = g.Wait()
	if ctx.Err() != nil && errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// startState is where the pipeline starts: the saved state, else a new snapshot's (through a new read
// view, left in copier.View), else the configured or current binlog position. An unfinished snapshot
// continues through a new read view.
func startState(ctx context.Context, cfg *config.Config, deps *Deps, copier *snapshot.Copier, log *slog.Logger) (checkpoint.State, error) {
	st, found, err := deps.Store.Load(ctx)
	if err != nil {
		return st, fmt.Errorf("load saved position: %w", err)
	}
	switch {
	case found && st.Snapshot != nil:
		if copier.View, err = snapshot.Open(ctx, deps.SnapshotDB, cfg.MySQL.Flavor); err != nil {
			return st, err
		}
		next := "the first table"
		if len(st.Snapshot.Tables) > 0 {
			next = st.Snapshot.Tables[0].String()
		}
		log.Info("resuming the unfinished snapshot after its last acknowledged chunk", "table", next,
			"rows_done_in_table", st.Snapshot.Rows, "rows_done", st.Snapshot.Total, "tables_left", len(st.Snapshot.Tables),
			"view_position", copier.View.Pos.String(), "stream_from", st.Position.String())
		return st, nil
	case found && cfg.Snapshot.Mode == "initial_only":
		log.Info("the snapshot was already taken; nothing to do (snapshot.mode=initial_only)", "position", st.Position.String())
		return st, errSnapshotOnly
	case found:
		log.Info("resuming from the saved position", "position", st.Position.String())
		return st, nil
	case cfg.Snapshot.Mode == "never" || cfg.MySQL.StartGTID != "" || cfg.MySQL.StartFile != "":
		if st.Position, err = startPosition(ctx, cfg, deps.DB); err != nil {
			return st, err
		}
		log.Info("no saved position; streaming from the start position without a snapshot", "position", st.Position.String())
	default:
		if copier.View, err = snapshot.Open(ctx, deps.SnapshotDB, cfg.MySQL.Flavor); err != nil {
			return st, err
		}
		if st, err = copier.Plan(ctx); err != nil {
			return st, err
		}
		log.Info("no saved position; taking a snapshot", "mode", cfg.Snapshot.Mode, "tables", len(st.Snapshot.Tables),
			"position", st.Position.String())
	}
	// Saved at once: a crash before the first save must not make the next start skip ahead.
	return st, deps.Store.Save(ctx, st)
}

// acknowledge passes Kafka's verdict on a batch to the tracker.
func acknowledge(tracker *checkpoint.Tracker, m *metrics.Metrics, msgs []kafka.Message, err error) {
	if err != nil {
		tracker.Fail(fmt.Errorf("kafka did not acknowledge %d records (first for %s): %w", len(msgs), msgs[0].Topic, err))
		return
	}
	m.Batches.Inc()
	var last *checkpoint.Txn
	n := 0
	for i := range msgs {
		tx, _ := msgs[i].WriterData.(*checkpoint.Txn)
		if tx != last {
			if last != nil {
				tracker.Ack(last, n)
			}
			last, n = tx, 0
		}
		n++
	}
	if last != nil {
		tracker.Ack(last, n)
	}
}

// handler turns binlog changes into records and follows each transaction to its acknowledgement.
type handler struct {
	conv          *convert.Converter
	schemaChanges *convert.SchemaChanges // nil unless events.schema_changes
	producer      *produce.Producer
	tracker       *checkpoint.Tracker
	metrics       *metrics.Metrics
	tx            *checkpoint.Txn
	buf           []kafka.Message
	// batchBytes is kafka.batch_bytes, named when a record is too large.
	batchBytes int
}

// flushAt is how many records the handler gathers before it hands them to the producer at once.
const flushAt = 1000

func (h *handler) Rows(ctx context.Context, ch *binlog.Change) error {
	if err := h.tracker.Err(); err != nil {
		return err
	}
	from := len(h.buf)
	var err error
	if h.buf, err = h.conv.Append(h.buf, ch); err != nil {
		return fmt.Errorf("%w: %w", ErrPermanent, err)
	}
	bytes := h.track(from)
	h.metrics.Observe(ch.Table.DB, ch.Table.Name, len(h.buf)-from, bytes, ch.Time)
	if len(h.buf) >= flushAt {
		return h.Flush(ctx)
	}
	return nil
}

// track makes the records appended since from part of the open transaction and returns their bytes.
func (h *handler) track(from int) int {
	if h.tx == nil {
		h.tx = h.tracker.Open()
	}
	bytes := 0
	for i := from; i < len(h.buf); i++ {
		h.buf[i].WriterData = h.tx
		bytes += len(h.buf[i].Key) + len(h.buf[i].Value)
	}
	h.tracker.Add(h.tx, len(h.buf)-from)
	return bytes
}

var _ binlog.SchemaHandler = (*handler)(nil)

// Schema writes the schema change record of a DDL statement; it is part of the statement's transaction.
func (h *handler) Schema(_ context.Context, ddl *binlog.DDL) error {
	from := len(h.buf)
	var err error
	if h.buf, err = h.schemaChanges.Append(h.buf, h.conv, ddl); err != nil {
		return fmt.Errorf("%w: schema change at %s:%d: %w", ErrPermanent, ddl.File, ddl.Pos, err)
	}
	h.track(from)
	return nil
}

func (h *handler) Commit(ctx context.Context, pos binlog.Position, t time.Time) error {
	h.metrics.ObserveLag(t)
	from := len(h.buf)
	var err error
	if h.buf, err = h.conv.End(h.buf, t); err != nil {
		return fmt.Errorf("%w: %w", ErrPermanent, err)
	}
	if len(h.buf) > from {
		h.track(from)
	}
	return h.Checkpoint(ctx, checkpoint.State{Position: pos})
}

// Checkpoint ends the records handed over since the last one: once Kafka acknowledged them (and all
// before them), st may be saved.
func (h *handler) Checkpoint(_ context.Context, st checkpoint.State) error {
	if h.tx == nil {
		h.tx = h.tracker.Open()
	}
	h.tracker.Close(h.tx, st)
	h.tx = nil
	return h.tracker.Err()
}

func (h *handler) Pending() bool { return len(h.buf) > 0 }

// Flush hands the gathered records to the producer.
func (h *handler) Flush(ctx context.Context) error {
	if len(h.buf) == 0 {
		return nil
	}
	err := tooLarge(h.producer.Send(ctx, h.buf), nil, h.batchBytes)
	clear(h.buf) // the producer copied the records; drop the references
	h.buf = h.buf[:0]
	return err
}

// saveLoop saves the acknowledged position every interval, and once more after the reader stopped and the
// producer was flushed. It returns a delivery failure as soon as it sees one.
func saveLoop(ctx context.Context, readerDone <-chan struct{}, every time.Duration, tracker *checkpoint.Tracker,
	store checkpoint.Store, log *slog.Logger, m *metrics.Metrics) error {
	_, saved := tracker.Acked()
	save := func(ctx context.Context) error {
		pos, n := tracker.Acked()
		if n == saved {
			return nil
		}
		if err := store.Save(ctx, pos); err != nil {
			return err
		}
		saved = n
		m.PositionSaved(pos.Position.String())
		log.Debug("position saved", "state", pos.String())
		return nil
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-readerDone:
			// Final save with a fresh context: shutdown must not lose the acknowledged position.
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			defer cancel()
			err := save(fctx)
			if err == nil {
				pos, _ := tracker.Acked()
				log.Info("final position saved", "position", pos.String())
			}
			return err
		case <-tick.C:
			// A record Kafka refused stops the run now, even when the binlog is idle and the reader has no
			// event to notice it with.
			if err := tracker.Err(); err != nil {
				return err
			}
			if err := save(ctx); err != nil {
				return err
			}
		}
	}
}

// startPosition is where a connector without a saved position starts: the configured one, else the
// server's current position.
func startPosition(ctx context.Context, cfg *config.Config, db *sql.DB) (binlog.Position, error) {
	if cfg.MySQL.StartGTID != "" || cfg.MySQL.StartFile != "" {
		return binlog.Position{GTID: cfg.MySQL.StartGTID, File: cfg.MySQL.StartFile, Pos: cfg.MySQL.StartPos}, nil
	}
	return binlog.CurrentPosition(ctx, db, cfg.MySQL.Flavor)
}

// retryable says whether restarting the pipeline may help. Errors from the server that no retry fixes
// (purged binlog, unknown GTID, bad credentials, missing privileges, a statement the server does not
// know) are permanent.
func retryable(err error) bool {
	if errors.Is(err, ErrPermanent) || errors.Is(err, binlog.ErrUnsupported) {
		return false
	}
	var myErr *gomysql.MyError
	if errors.As(err, &myErr) {
		switch myErr.Code {
		case 1236, 1045, 1227, 1044, 1142, 1143, 1064:
			return false
		}
		return true
	}
	var drvErr *mysql.MySQLError
	if errors.As(err, &drvErr) {
		switch drvErr.Number {
		case 1045, 1044, 1142, 1143, 1227, 1064:
			return false
		}
		return true
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return true
	}
	return !errors.Is(err, ErrPermanent)
}

// positionGone reports the server's refusal of a start position it no longer has.
func positionGone(err error) bool {
	var myErr *gomysql.MyError
	return errors.As(err, &myErr) && myErr.Code == 1236
}

// explain adds what to do to the permanent errors users meet.
func explain(err error) error {
	var myErr *gomysql.MyError
	if errors.As(err, &myErr) && myErr.Code == 1236 {
		return fmt.Errorf("%w\nthe saved position is no longer in the server's binlog (purged, or from another server); "+
			"set a new one with `source-connector offsets set` (changes in between are not captured)", err)
	}
	return err
}

// quiet passes on only warnings and errors of go-mysql, which logs every connect and close at info.
func quiet(log *slog.Logger) *slog.Logger {
	return slog.New(minLevel{log.Handler(), slog.LevelWarn})
}

type minLevel struct {
	slog.Handler
	min slog.Level
}

func (h minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h minLevel) WithAttrs(attrs []slog.Attr) slog.Handler {
	return minLevel{h.Handler.WithAttrs(attrs), h.min}
}

func (h minLevel) WithGroup(name string) slog.Handler {
	return minLevel{h.Handler.WithGroup(name), h.min}
}

// contextHeaders are Debezium's __debezium.context.* headers for this run, or none when turned off.
func contextHeaders(cfg *config.Config) []kafka.Header {
	if !cfg.Events.ContextHeaders {
		return nil
	}
	return convert.ContextHeaders(cfg.TopicPrefix, cfg.Name, runID)
}

// runID names this run of the connector (Debezium 3.4's __debezium.context.runId): made once per process,
// so restarts of the stream after a lost connection keep it.
var runID = uuid.NewString()

// txnMeta follows transactions for Debezium's transaction metadata, when asked for.
func txnMeta(cfg *config.Config) *convert.TxnMeta {
	if !cfg.Events.TransactionMetadata {
		return nil
	}
	return convert.NewTxnMeta(cfg.TopicPrefix)
}
