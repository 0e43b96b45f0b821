package envelope

import (
	"fmt"
	"slices"
	"strconv"
)

// Op is the kind of change an envelope carries.
type Op byte

// The operations of Debezium's MySQL connector.
const (
	OpCreate   Op = 'c'
	OpUpdate   Op = 'u'
	OpDelete   Op = 'd'
	OpRead     Op = 'r' // a snapshot row
	OpTruncate Op = 't'
)

func (o Op) String() string { return string(o) }

// ParseOp reads the op field of an envelope.
func ParseOp(s string) (Op, error) {
	if len(s) == 1 {
		switch op := Op(s[0]); op {
		case OpCreate, OpUpdate, OpDelete, OpRead, OpTruncate:
			return op, nil
		}
	}
	return 0, fmt.Errorf("unknown op %q (want c, u, d, r or t)", s)
}

// Source is the MySQL source block: where and when a change happened. Empty strings and a zero Thread
// stand for null on the wire.
type Source struct {
	Version   string // the producing connector's version
	Connector string // "mysql" (or "mariadb" for Debezium's MariaDB connector)
	Name      string // the topic prefix (logical server name)
	TsMs      int64  // time of the change in the database
	Snapshot  string // "true", "first", "first_in_data_collection", "last_in_data_collection", "last", "false", "incremental"
	DB        string
	Sequence  string // always null for MySQL
	TsUs      int64
	TsNs      int64
	Table     string
	ServerID  int64 // server id of the originating server; 0 in snapshot records
	GTID      string
	File      string
	Pos       int64
	Row       int32 // index of the row inside its rows event
	Thread    int64 // connection id of the writing session; 0 = null
	Query     string
}

// Transaction is the transaction block of an envelope (provide.transaction.metadata=true).
type Transaction struct {
	ID                  string // GTID, or "file=<file>,pos=<pos>"
	TotalOrder          int64  // 1-based position of the event in its transaction
	DataCollectionOrder int64  // 1-based position among the events of the same table
}

// Envelope is one change event. Before and After are struct values of the table's Value schema: one
// value per column in schema order, or nil.
type Envelope struct {
	Before      []any
	After       []any
	Source      Source
	Transaction *Transaction
	Op          Op
	TsMs        int64 // when the connector processed the event
	TsUs        int64
	TsNs        int64
}

// SnapshotAllowed is the allowed list of source.snapshot since Debezium 3.0.5.
const SnapshotAllowed = "true,first,first_in_data_collection,last_in_data_collection,last,false,incremental"

// SourceSchema returns the source block schema of Debezium 3.1+ for the given connector ("mysql" or
// "mariadb"): 17 fields in Debezium's wire order, schema version 1.
func SourceSchema(connector string) *Schema {
	str := func(opt bool) *Schema { return &Schema{Type: String, Optional: opt} }
	i64 := func(opt bool) *Schema { return &Schema{Type: Int64, Optional: opt} }
	return &Schema{
		Type: Struct, Name: "io.debezium.connector." + connector + ".Source", Version: 1,
		Fields: []Field{
			{"version", str(false)},
			{"connector", str(false)},
			{"name", str(false)},
			{"ts_ms", i64(false)},
			{"snapshot", &Schema{Type: String, Optional: true, Name: EnumName, Version: 1,
				Parameters: []Param{{"allowed", SnapshotAllowed}}, Default: "false"}},
			{"db", str(false)},
			{"sequence", str(true)},
			{"ts_us", i64(true)},
			{"ts_ns", i64(true)},
			{"table", str(true)},
			{"server_id", i64(false)},
			{"gtid", str(true)},
			{"file", str(false)},
			{"pos", i64(false)},
			{"row", &Schema{Type: Int32}},
			{"thread", i64(true)},
			{"query", str(true)},
		},
	}
}

// TransactionSchema is the event.block schema of the transaction field.
func TransactionSchema() *Schema {
	return &Schema{
		Type: Struct, Optional: true, Name: "event.block", Version: 1,
		Fields: []Field{
			{"id", &Schema{Type: String}},
			{"total_order", &Schema{Type: Int64}},
			{"data_collection_order", &Schema{Type: Int64}},
		},
	}
}

// EnvelopeSchema returns the version 2 envelope schema <name> around the row schema value (whose Optional
// flag it sets), with fields before, after, source, transaction, op, ts_ms, ts_us, ts_ns.
func EnvelopeSchema(name string, value, source *Schema) *Schema {
	row := *value
	row.Optional = true
	return &Schema{
		Type: Struct, Name: name, Version: 2,
		Fields: []Field{
			{"before", &row},
			{"after", &row},
			{"source", source},
			{"transaction", TransactionSchema()},
			{"op", &Schema{Type: String}},
			{"ts_ms", &Schema{Type: Int64, Optional: true}},
			{"ts_us", &Schema{Type: Int64, Optional: true}},
			{"ts_ns", &Schema{Type: Int64, Optional: true}},
		},
	}
}

// appendEnvelopePayload writes ev under the envelope schema s. Fields are written in the schema's order, so
// the older v1 order (transaction last, no ts_us/ts_ns) is written back as it was read.
func appendEnvelopePayload(dst []byte, s *Schema, ev *Envelope, opt JSONOptions) ([]byte, error) {
	var err error
	numeric := opt.DecimalNumeric
	dst = append(dst, '{')
	for i, f := range s.Fields {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, f.Name)
		dst = append(dst, ':')
		switch f.Name {
		case "before":
			dst, err = appendRow(dst, f.Schema, ev.Before, numeric)
		case "after":
			dst, err = appendRow(dst, f.Schema, ev.After, numeric)
		case "source":
			if opt.Cache != nil {
				dst, err = opt.Cache.append(dst, f.Schema, &ev.Source)
			} else {
				dst, _, _, err = appendSource(dst, f.Schema, &ev.Source)
			}
		case "transaction":
			dst, err = appendTransaction(dst, f.Schema, ev.Transaction)
		case "op":
			dst = append(dst, '"', byte(ev.Op), '"')
		case "ts_ms":
			dst = strconv.AppendInt(dst, ev.TsMs, 10)
		case "ts_us":
			dst = strconv.AppendInt(dst, ev.TsUs, 10)
		case "ts_ns":
			dst = strconv.AppendInt(dst, ev.TsNs, 10)
		default:
			return dst, fmt.Errorf("envelope field %q is not known", f.Name)
		}
		if err != nil {
			return dst, fmt.Errorf("%s: %w", f.Name, err)
		}
	}
	return append(dst, '}'), nil
}

func appendRow(dst []byte, s *Schema, row []any, numeric bool) ([]byte, error) {
	if row == nil {
		return append(dst, "null"...), nil
	}
	return appendValue(dst, s, row, numeric)
}

// SourceCache holds the JSON of the last source block written, split around source.row.
type SourceCache struct {
	schema    *Schema
	key       Source // the block with Row 0
	pre, post []byte
}

// append writes src, reusing the cached JSON when only Row differs from the last block.
func (c *SourceCache) append(dst []byte, s *Schema, src *Source) ([]byte, error) {
	key := *src
	key.Row = 0
	if c.schema == s && c.key == key && c.pre != nil {
		// One allocation for a block that may be large (source.query holds the whole statement, which
		// every event of a multi-row statement repeats) and the few members after it: growing by appends
		// would copy it several times.
		dst = slices.Grow(dst, len(c.pre)+len(c.post)+256)
		dst = append(dst, c.pre...)
		dst = strconv.AppendInt(dst, int64(src.Row), 10)
		return append(dst, c.post...), nil
	}
	start := len(dst)
	dst, rowStart, rowEnd, err := appendSource(dst, s, src)
	if err != nil || rowStart < 0 {
		c.schema = nil
		return dst, err
	}
	c.schema, c.key = s, key
	c.pre = append(c.pre[:0], dst[start:rowStart]...)
	c.post = append(c.post[:0], dst[rowEnd:]...)
	return dst, nil
}

// appendSource writes the source block under its schema, field by field in the schema's order. It returns
// where the row value was written (-1 when the schema has no row field).
func appendSource(dst []byte, s *Schema, src *Source) (out []byte, rowStart, rowEnd int, err error) {
	rowStart, rowEnd = -1, -1
	optString := func(dst []byte, v string) []byte {
		if v == "" {
			return append(dst, "null"...)
		}
		return appendString(dst, v)
	}
	dst = append(dst, '{')
	for i, f := range s.Fields {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, f.Name)
		dst = append(dst, ':')
		switch f.Name {
		case "version":
			dst = appendString(dst, src.Version)
		case "connector":
			dst = appendString(dst, src.Connector)
		case "name":
			dst = appendString(dst, src.Name)
		case "ts_ms":
			dst = strconv.AppendInt(dst, src.TsMs, 10)
		case "snapshot":
			dst = optString(dst, src.Snapshot)
		case "db":
			dst = appendString(dst, src.DB)
		case "sequence":
			dst = optString(dst, src.Sequence)
		case "ts_us":
			dst = strconv.AppendInt(dst, src.TsUs, 10)
		case "ts_ns":
			dst = strconv.AppendInt(dst, src.TsNs, 10)
		case "table":
			dst = optString(dst, src.Table)
		case "server_id":
			dst = strconv.AppendInt(dst, src.ServerID, 10)
		case "gtid":
			dst = optString(dst, src.GTID)
		case "file":
			dst = appendString(dst, src.File)
		case "pos":
			dst = strconv.AppendInt(dst, src.Pos, 10)
		case "row":
			rowStart = len(dst)
			dst = strconv.AppendInt(dst, int64(src.Row), 10)
			rowEnd = len(dst)
		case "thread":
			if src.Thread == 0 {
				dst = append(dst, "null"...)
			} else {
				dst = strconv.AppendInt(dst, src.Thread, 10)
			}
		case "query":
			dst = optString(dst, src.Query)
		default:
			return dst, -1, -1, fmt.Errorf("source field %q is not known", f.Name)
		}
	}
	return append(dst, '}'), rowStart, rowEnd, nil
}

// appendTransaction writes the transaction block field by field in its schema's order.
func appendTransaction(dst []byte, s *Schema, t *Transaction) ([]byte, error) {
	if t == nil {
		return append(dst, "null"...), nil
	}
	dst = append(dst, '{')
	for i, f := range s.Fields {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, f.Name)
		dst = append(dst, ':')
		switch f.Name {
		case "id":
			dst = appendString(dst, t.ID)
		case "total_order":
			dst = strconv.AppendInt(dst, t.TotalOrder, 10)
		case "data_collection_order":
			dst = strconv.AppendInt(dst, t.DataCollectionOrder, 10)
		default:
			return dst, fmt.Errorf("transaction field %q is not known", f.Name)
		}
	}
	return append(dst, '}'), nil
}
