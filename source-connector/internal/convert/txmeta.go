package convert

import (
	"fmt"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/tandemcdc/tandem/envelope"
)

// Debezium's transaction metadata schemas (provide.transaction.metadata=true): the key and value of the
// BEGIN and END records on <prefix>.transaction.
var (
	txnKeySchema = &envelope.Schema{Type: envelope.Struct, Name: "io.debezium.connector.common.TransactionMetadataKey",
		Fields: []envelope.Field{{Name: "id", Schema: &envelope.Schema{Type: envelope.String}}}}
	txnCollectionSchema = &envelope.Schema{Type: envelope.Struct, Name: "event.collection", Version: 1,
		Fields: []envelope.Field{
			{Name: "data_collection", Schema: &envelope.Schema{Type: envelope.String}},
			{Name: "event_count", Schema: &envelope.Schema{Type: envelope.Int64}},
		}}
	txnValueSchema = &envelope.Schema{Type: envelope.Struct, Name: "io.debezium.connector.common.TransactionMetadataValue",
		Fields: []envelope.Field{
			{Name: "status", Schema: &envelope.Schema{Type: envelope.String}},
			{Name: "id", Schema: &envelope.Schema{Type: envelope.String}},
			{Name: "event_count", Schema: &envelope.Schema{Type: envelope.Int64, Optional: true}},
			{Name: "data_collections", Schema: &envelope.Schema{Type: envelope.Array, Optional: true, Items: txnCollectionSchema}},
			{Name: "ts_ms", Schema: &envelope.Schema{Type: envelope.Int64}},
		}}
)

// TxnMeta follows the transaction being converted, for Debezium's transaction metadata: a BEGIN record
// before its first change event, the transaction block (id, total_order, data_collection_order) in each
// of its change events, and an END record with the event counts per table at its commit. Snapshot rows
// and tombstones are not counted, as in Debezium. The id is the transaction's GTID, or
// "file=<file>,pos=<pos>" of its first rows event without GTIDs.
//
// Orders count from the transaction's start: the source always resumes at a transaction boundary, so a
// transaction read again after a restart is written again whole, with the same orders.
type TxnMeta struct {
	Topic       string // <prefix>.transaction
	id          string
	open        bool
	total       int64
	collections [][2]string // db, table in the order first seen
	counts      map[[2]string]int64
	block       envelope.Transaction // the block of the event being written, reused
	keySchema   []byte               // the schemas' JSON, written once
	valueSchema []byte
}

// NewTxnMeta returns the transaction metadata of a connector writing under the topic prefix.
func NewTxnMeta(prefix string) *TxnMeta {
	key, _ := envelope.AppendSchemaJSON(nil, txnKeySchema)
	value, _ := envelope.AppendSchemaJSON(nil, txnValueSchema)
	return &TxnMeta{Topic: prefix + ".transaction", counts: map[[2]string]int64{}, keySchema: key, valueSchema: value}
}

// next counts one change event of the table db.table and returns its transaction block, valid until the
// next call.
func (m *TxnMeta) next(db, table string) *envelope.Transaction {
	coll := [2]string{db, table}
	n, seen := m.counts[coll]
	if !seen {
		m.collections = append(m.collections, coll)
	}
	m.counts[coll] = n + 1
	m.total++
	m.block = envelope.Transaction{ID: m.id, TotalOrder: m.total, DataCollectionOrder: n + 1}
	return &m.block
}

// begin opens a transaction and appends its BEGIN record.
func (m *TxnMeta) begin(dst []kafka.Message, id string, t time.Time, opt envelope.JSONOptions, headers []kafka.Header) ([]kafka.Message, error) {
	m.id, m.open, m.total = id, true, 0
	m.collections = m.collections[:0]
	clear(m.counts)
	return m.record(dst, []any{"BEGIN", id, nil, nil, t.UnixMilli()}, opt, headers)
}

// end closes the open transaction, if any, and appends its END record.
func (m *TxnMeta) end(dst []kafka.Message, t time.Time, opt envelope.JSONOptions, headers []kafka.Header) ([]kafka.Message, error) {
	if !m.open {
		return dst, nil
	}
	m.open = false
	colls := make([]any, len(m.collections))
	for i, c := range m.collections {
		colls[i] = []any{c[0] + "." + c[1], m.counts[c]}
	}
	return m.record(dst, []any{"END", m.id, m.total, colls, t.UnixMilli()}, opt, headers)
}

func (m *TxnMeta) record(dst []kafka.Message, value []any, opt envelope.JSONOptions, headers []kafka.Header) ([]kafka.Message, error) {
	key, err := appendJSON(nil, txnKeySchema, m.keySchema, []any{m.id}, opt.Schemas)
	if err != nil {
		return dst, err
	}
	val, err := appendJSON(nil, txnValueSchema, m.valueSchema, value, opt.Schemas)
	if err != nil {
		return dst, err
	}
	return append(dst, kafka.Message{Topic: m.Topic, Key: key, Value: val, Headers: headers}), nil
}

// appendJSON appends v of schema s as JsonConverter writes it, with or without the schema, whose JSON
// is schemaJSON (computed here when nil).
func appendJSON(dst []byte, s *envelope.Schema, schemaJSON []byte, v any, withSchema bool) ([]byte, error) {
	var err error
	if withSchema {
		dst = append(dst, `{"schema":`...)
		if schemaJSON != nil {
			dst = append(dst, schemaJSON...)
		} else if dst, err = envelope.AppendSchemaJSON(dst, s); err != nil {
			return dst, err
		}
		dst = append(dst, `,"payload":`...)
	}
	if dst, err = envelope.AppendValueJSON(dst, s, v, false); err != nil {
		return dst, fmt.Errorf("%s: %w", s.Name, err)
	}
	if withSchema {
		dst = append(dst, '}')
	}
	return dst, nil
}

// txnID is a transaction's id: its GTID, else the binlog position of its first rows event.
func txnID(gtid, file string, pos uint32) string {
	if gtid != "" {
		return gtid
	}
	return fmt.Sprintf("file=%s,pos=%d", file, pos)
}
