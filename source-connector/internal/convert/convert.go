// Package convert turns binlog row changes into Kafka records in Debezium's format: one record per row, a
// tombstone after each delete, and delete + tombstone + create for an update that changes the key.
package convert

import (
	"fmt"
	"slices"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/tandemcdc/tandem/envelope"
	"github.com/tandemcdc/tandem/schemas"
	"github.com/tandemcdc/tandem/source-connector/internal/binlog"
)

// Debezium's headers on the records of a key-changing update.
const (
	HeaderNewKey = "__debezium.newkey"
	HeaderOldKey = "__debezium.oldkey"
)

// ContextHeaders returns the headers Debezium 3.3+ writes on every record (extended.headers.enabled): the
// topic prefix, the task (tandem has one, "0"), the connector's name, and 3.4's run id, which names this
// run of the connector. Values are plain UTF-8, as Connect's SimpleHeaderConverter writes strings.
func ContextHeaders(prefix, name, runID string) []kafka.Header {
	return []kafka.Header{
		{Key: "__debezium.context.connectorLogicalName", Value: []byte(prefix)},
		{Key: "__debezium.context.taskId", Value: []byte("0")},
		{Key: "__debezium.context.connectorName", Value: []byte(name)},
		{Key: "__debezium.context.runId", Value: []byte(runID)},
	}
}

// Converter builds records. It is not safe for concurrent use.
type Converter struct {
	Prefix     string // topic prefix (source.name)
	Connector  string // source.connector
	Version    string // source.version
	JSON       envelope.JSONOptions
	Tombstones bool
	Schemas    schemas.Options
	Now        func() time.Time // the connector's clock for ts_ms; time.Now when nil
	// Headers are added to every record (ContextHeaders); the slice is shared by the records and never
	// written to.
	Headers []kafka.Header
	// Txn, when set, adds Debezium's transaction metadata to streamed changes (see TxnMeta); the caller
	// calls End at each commit.
	Txn *TxnMeta

	slab []byte // record bytes are carved out of slabs to save allocations
	// Row images in Connect values, reused from row to row: records keep only their encoded bytes.
	before, after []any
}

// clock is the connector's time for ts_ms.
func (c *Converter) clock() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// Topic returns the topic of a table.
func (c *Converter) Topic(db, table string) string {
	return c.Prefix + "." + db + "." + table
}

// Append converts every row of ch and appends the records to dst.
func (c *Converter) Append(dst []kafka.Message, ch *binlog.Change) ([]kafka.Message, error) {
	t := c.clock()
	tb := ch.Table
	topic := c.Topic(tb.DB, tb.Name)
	snapshot := "false"
	if ch.Kind == binlog.Read {
		snapshot = ch.Snapshot
	}
	ev := envelope.Envelope{
		Source: envelope.Source{
			Version: c.Version, Connector: c.Connector, Name: c.Prefix, Snapshot: snapshot, DB: tb.DB, Table: tb.Name,
			TsMs: ch.Time.UnixMilli(), TsUs: ch.Time.UnixMicro(), TsNs: ch.Time.UnixNano(),
			ServerID: int64(ch.ServerID), GTID: ch.GTID, File: ch.File, Pos: int64(ch.Pos),
			Thread: int64(ch.Thread), Query: ch.Query,
		},
		TsMs: t.UnixMilli(), TsUs: t.UnixMicro(), TsNs: t.UnixNano(),
	}
	if c.Txn != nil && ch.Kind != binlog.Read && !c.Txn.open {
		var err error
		if dst, err = c.Txn.begin(dst, txnID(ch.GTID, ch.File, ch.Pos), ch.Time, c.JSON, c.Headers); err != nil {
			return dst, err
		}
	}
	step := 1
	if ch.Kind == binlog.Update {
		step = 2
	}
	for i := 0; i+step <= len(ch.Rows); i += step {
		ev.Source.Row = int32(i / step)
		var err error
		switch ch.Kind {
		case binlog.Insert, binlog.Read:
			ev.Op, ev.Before = envelope.OpCreate, nil
			if ch.Kind == binlog.Read {
				ev.Op = envelope.OpRead
			}
			if ev.After, err = c.values(&c.after, tb, ch.Rows[i], ch.Kind == binlog.Read); err == nil {
				dst, err = c.record(dst, topic, tb, &ev, ev.After, nil)
			}
		case binlog.Delete:
			ev.Op, ev.After = envelope.OpDelete, nil
			if ev.Before, err = c.values(&c.before, tb, ch.Rows[i], false); err == nil {
				dst, err = c.deleteRecords(dst, topic, tb, &ev, nil)
			}
		case binlog.Update:
			dst, err = c.update(dst, topic, tb, &ev, ch.Rows[i], ch.Rows[i+1])
		}
		if err != nil {
			return dst, fmt.Errorf("%s.%s at %s:%d row %d: %w", tb.DB, tb.Name, ch.File, ch.Pos, i/step, err)
		}
	}
	return dst, nil
}

func (c *Converter) update(dst []kafka.Message, topic string, tb *binlog.Table, ev *envelope.Envelope, before, after []any) ([]kafka.Message, error) {
	var err error
	if ev.Before, err = c.values(&c.before, tb, before, false); err != nil {
		return dst, err
	}
	if ev.After, err = c.values(&c.after, tb, after, false); err != nil {
		return dst, err
	}
	oldKey, newKey := tb.Wire.KeyOf(ev.Before), tb.Wire.KeyOf(ev.After)
	if sameKey(oldKey, newKey) {
		ev.Op = envelope.OpUpdate
		return c.record(dst, topic, tb, ev, ev.After, nil)
	}
	// The key changed: delete the old row (and tombstone it), then create the new one. The headers carry
	// the other key as Connect's SimpleHeaderConverter writes a struct header in Debezium's records.
	newKeyJSON, err := envelope.AppendHeaderJSON(nil, tb.Wire.Key, newKey)
	if err != nil {
		return dst, err
	}
	oldKeyJSON, err := envelope.AppendHeaderJSON(nil, tb.Wire.Key, oldKey)
	if err != nil {
		return dst, err
	}
	afterRow := ev.After
	ev.Op, ev.After = envelope.OpDelete, nil
	if dst, err = c.deleteRecords(dst, topic, tb, ev, []kafka.Header{{Key: HeaderNewKey, Value: newKeyJSON}}); err != nil {
		return dst, err
	}
	ev.Op, ev.Before, ev.After = envelope.OpCreate, nil, afterRow
	return c.record(dst, topic, tb, ev, afterRow, []kafka.Header{{Key: HeaderOldKey, Value: oldKeyJSON}})
}

// End closes the transaction converted since the last End: with transaction metadata on and change
// events written, it appends the END record; otherwise it appends nothing.
func (c *Converter) End(dst []kafka.Message, commitTime time.Time) ([]kafka.Message, error) {
	if c.Txn == nil {
		return dst, nil
	}
	return c.Txn.end(dst, commitTime, c.JSON, c.Headers)
}

// deleteRecords appends a delete event and, when enabled, its tombstone, which carries the same headers.
func (c *Converter) deleteRecords(dst []kafka.Message, topic string, tb *binlog.Table, ev *envelope.Envelope, headers []kafka.Header) ([]kafka.Message, error) {
	dst, err := c.record(dst, topic, tb, ev, ev.Before, headers)
	if err != nil || !c.Tombstones || tb.Wire.Key == nil {
		return dst, err
	}
	last := dst[len(dst)-1]
	return append(dst, kafka.Message{Topic: topic, Key: last.Key, Headers: last.Headers}), nil
}

// headers returns a record's own headers followed by the converter's.
func (c *Converter) headers(own []kafka.Header) []kafka.Header {
	if len(own) == 0 {
		return c.Headers
	}
	return append(own[:len(own):len(own)], c.Headers...)
}

// record appends one record whose key comes from row.
func (c *Converter) record(dst []kafka.Message, topic string, tb *binlog.Table, ev *envelope.Envelope, row []any, headers []kafka.Header) ([]kafka.Message, error) {
	start := len(c.slab)
	slab, hasKey, err := tb.Wire.AppendKeyJSON(c.slab, tb.Wire.KeyOf(row), c.JSON)
	if err != nil {
		return dst, err
	}
	keyEnd := len(slab)
	ev.Transaction = nil
	if c.Txn != nil && ev.Op != envelope.OpRead {
		ev.Transaction = c.Txn.next(tb.DB, tb.Name)
	}
	if slab, err = tb.Wire.AppendEnvelopeJSON(slab, ev, c.JSON); err != nil {
		return dst, err
	}
	msg := kafka.Message{Topic: topic, Value: slab[keyEnd:len(slab):len(slab)], Headers: c.headers(headers)}
	if hasKey {
		msg.Key = slab[start:keyEnd:keyEnd]
	}
	c.slab = slab
	if cap(c.slab)-len(c.slab) < 4096 {
		// A slab stays alive while any record cut from it waits for Kafka, so slabs are kept small.
		c.slab = make([]byte, 0, slabSize)
	}
	return append(dst, msg), nil
}

// slabSize is the size of the buffers record bytes are carved from.
const slabSize = 256 << 10

// values converts the binlog values of one row into Connect values, in *buf. A snapshot row's values are
// written as Debezium writes what it read through JDBC (schemas.Options.FromSnapshot), but for its key.
func (c *Converter) values(buf *[]any, tb *binlog.Table, row []any, snapshot bool) ([]any, error) {
	if cap(*buf) < len(tb.Columns) {
		*buf = make([]any, len(tb.Columns))
	}
	out := (*buf)[:len(tb.Columns)]
	for i, col := range tb.Columns {
		convert := c.Schemas.FromBinlog
		// Key columns keep the streamed form: the same row must have the same key bytes, hence the same
		// partition, in snapshot and streamed records (Debezium's snapshot keys differ there).
		if snapshot && !tb.Wire.IsKeyField(i) {
			convert = c.Schemas.FromSnapshot
		}
		v, err := convert(col, row[i])
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

func sameKey(a, b []any) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		switch x := a[i].(type) {
		case []byte:
			y, ok := b[i].([]byte)
			if !ok || !slices.Equal(x, y) {
				return false
			}
		case envelope.Decimal:
			y, ok := b[i].(envelope.Decimal)
			if !ok || x.String() != y.String() {
				return false
			}
		case []any: // geometry keys are rare; compare their parts
			y, ok := b[i].([]any)
			if !ok || !sameKey(x, y) {
				return false
			}
		default:
			if a[i] != b[i] {
				return false
			}
		}
	}
	return true
}
