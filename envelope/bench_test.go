package envelope

import "testing"

// benchTable is a typical 10-column row: integers, a decimal, strings, a timestamp, a date, bytes, JSON.
func benchTable(b testing.TB) (*Table, *Envelope) {
	price := &Schema{Type: Bytes, Name: DecimalName, Version: 1, Optional: true,
		Parameters: []Param{{"scale", "2"}, {"connect.decimal.precision", "10"}}}
	table, err := NewTable("bench", "shop", "orders", []Field{
		{"id", &Schema{Type: Int64}},
		{"customer_id", &Schema{Type: Int32}},
		{"status", &Schema{Type: String, Name: EnumName, Version: 1, Parameters: []Param{{"allowed", "new,paid,shipped"}}}},
		{"amount", price},
		{"note", &Schema{Type: String, Optional: true}},
		{"created_at", &Schema{Type: Int64, Name: MicroTimestampName, Version: 1}},
		{"updated_at", &Schema{Type: String, Name: ZonedTimestampName, Version: 1, Optional: true}},
		{"ship_date", &Schema{Type: Int32, Name: DateName, Version: 1, Optional: true}},
		{"payload", &Schema{Type: Bytes, Optional: true}},
		{"attrs", &Schema{Type: String, Name: JSONName, Version: 1, Optional: true}},
	}, []string{"id"}, SourceSchema("mysql"))
	if err != nil {
		b.Fatal(err)
	}
	amount, _ := ParseDecimal("1234.56")
	row := []any{int64(123456789), int32(42), "paid", amount, "leave at the door, ring twice",
		int64(1700000000123456), "2024-02-29T23:59:59.123Z", int32(19782), []byte("0123456789abcdef"), `{"gift":true,"tags":["a","b"]}`}
	ev := &Envelope{Before: row, After: row, Op: OpUpdate, TsMs: 1700000000124, TsUs: 1700000000124000, TsNs: 1700000000124000000,
		Source: Source{Version: "3.1.0", Connector: "mysql", Name: "bench", TsMs: 1700000000000, Snapshot: "false", DB: "shop",
			TsUs: 1700000000000000, TsNs: 1700000000000000000, Table: "orders", ServerID: 1, GTID: "0-1-12345",
			File: "mariadb-bin.000001", Pos: 123456, Thread: 77, Query: "/* dts */ UPDATE orders SET status='paid' WHERE id=123456789"}}
	return table, ev
}

func benchmarkEncode(b *testing.B, opt JSONOptions) {
	table, ev := benchTable(b)
	buf := make([]byte, 0, 16384)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		buf, _, err = table.AppendKeyJSON(buf[:0], table.KeyOf(ev.After), opt)
		if err != nil {
			b.Fatal(err)
		}
		if buf, err = table.AppendEnvelopeJSON(buf[:0], ev, opt); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(buf)))
}

// BenchmarkEncodeJSON measures key + value encoding of one update event (before and after images).
func BenchmarkEncodeJSON(b *testing.B)        { benchmarkEncode(b, JSONOptions{}) }
func BenchmarkEncodeJSONCached(b *testing.B)  { benchmarkEncode(b, JSONOptions{Cache: &SourceCache{}}) }
func BenchmarkEncodeJSONSchemas(b *testing.B) { benchmarkEncode(b, JSONOptions{Schemas: true}) }

func benchmarkDecode(b *testing.B, opt JSONOptions) {
	table, ev := benchTable(b)
	msg, err := table.AppendEnvelopeJSON(nil, ev, opt)
	if err != nil {
		b.Fatal(err)
	}
	cache := NewSchemaCache(16)
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeEnvelopeJSON(msg, cache); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeJSON(b *testing.B)        { benchmarkDecode(b, JSONOptions{}) }
func BenchmarkDecodeJSONSchemas(b *testing.B) { benchmarkDecode(b, JSONOptions{Schemas: true}) }
