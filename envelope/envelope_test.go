package envelope

import (
	"bytes"
	"encoding/json"
	"flag"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// golden compares got with testdata/name, or rewrites the file with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, append(got, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	want = bytes.TrimSuffix(want, []byte("\n"))
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs:\n got: %s\nwant: %s", name, got, want)
	}
}

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(b, []byte("\n"))
}

// TestDebeziumMessage decodes the real Debezium 3.0.7.Final message of reference/debezium-wire.md §1.7 and
// re-encodes it to the identical bytes.
func TestDebeziumMessage(t *testing.T) {
	keyJSON := readTestdata(t, "debezium-3.0.7-key.json")
	valueJSON := readTestdata(t, "debezium-3.0.7-value.json")

	key, err := DecodeKeyJSON(keyJSON, nil)
	if err != nil {
		t.Fatalf("decode key: %v", err)
	}
	if !reflect.DeepEqual(key.Names, []string{"id"}) || !reflect.DeepEqual(key.Values, []any{int32(14)}) {
		t.Errorf("key = %v %v, want [id] [14]", key.Names, key.Values)
	}
	ev, err := DecodeEnvelopeJSON(valueJSON, nil)
	if err != nil {
		t.Fatalf("decode value: %v", err)
	}
	wantSource := Source{Version: "3.0.7.Final", Connector: "mysql", Name: "test", TsMs: 1741000296000,
		Snapshot: "false", DB: "test", TsUs: 1741000296000000, TsNs: 1741000296000000000, Table: "t_test",
		ServerID: 1, File: "binlog.000004", Pos: 3134, Row: 0, Thread: 12}
	if ev.Op != OpCreate || ev.Before != nil || !reflect.DeepEqual(ev.After, []any{int32(14)}) ||
		ev.Source != wantSource || ev.Transaction != nil || ev.TsMs != 1741000296823 ||
		ev.TsUs != 1741000296823752 || ev.TsNs != 1741000296823752600 {
		t.Errorf("decoded event = %+v", ev.Envelope)
	}

	table, err := NewTableFromSchemas(key.Schema, ev.Schema)
	if err != nil {
		t.Fatal(err)
	}
	gotKey, ok, err := table.AppendKeyJSON(nil, key.Values, JSONOptions{Schemas: true})
	if err != nil || !ok {
		t.Fatalf("encode key: %v", err)
	}
	if !bytes.Equal(gotKey, keyJSON) {
		t.Errorf("key re-encoded differently:\n got: %s\nwant: %s", gotKey, keyJSON)
	}
	gotValue, err := table.AppendEnvelopeJSON(nil, &ev.Envelope, JSONOptions{Schemas: true})
	if err != nil {
		t.Fatalf("encode value: %v", err)
	}
	if !bytes.Equal(gotValue, valueJSON) {
		t.Errorf("value re-encoded differently:\n got: %s\nwant: %s", gotValue, valueJSON)
	}
}

// TestTandemSchemaMatchesDebezium builds the same table with NewTable and checks that only the
// deliberate difference remains: the source schema version 1 of Debezium 3.1+.
func TestTandemSchemaMatchesDebezium(t *testing.T) {
	table, err := NewTable("test", "test", "t_test", []Field{{"id", &Schema{Type: Int32}}}, []string{"id"}, SourceSchema("mysql"))
	if err != nil {
		t.Fatal(err)
	}
	ours, err := AppendSchemaJSON(nil, table.Envelope)
	if err != nil {
		t.Fatal(err)
	}
	theirs := readTestdata(t, "debezium-3.0.7-value.json")
	theirs = theirs[len(`{"schema":`):bytes.Index(theirs, []byte(`,"payload":`))]
	want := strings.Replace(string(theirs), `"name":"io.debezium.connector.mysql.Source",`, `"name":"io.debezium.connector.mysql.Source","version":1,`, 1)
	if string(ours) != want {
		t.Errorf("envelope schema:\n got: %s\nwant: %s", ours, want)
	}
	key, _, _ := table.AppendKeyJSON(nil, []any{int32(14)}, JSONOptions{Schemas: true})
	if string(key) != string(readTestdata(t, "debezium-3.0.7-key.json")) {
		t.Errorf("key: %s", key)
	}
}

// opsTable is a small table with a composite key, a nullable column with a default and a decimal.
func opsTable(t *testing.T) *Table {
	t.Helper()
	price := &Schema{Type: Bytes, Name: DecimalName, Version: 1,
		Parameters: []Param{{"scale", "2"}, {"connect.decimal.precision", "10"}}}
	table, err := NewTable("shop", "inventory", "orders", []Field{
		{"tenant", &Schema{Type: Int32}},
		{"id", &Schema{Type: Int64}},
		{"note", &Schema{Type: String, Optional: true, Default: "n/a"}},
		{"price", price},
	}, []string{"tenant", "id"}, SourceSchema("mysql"))
	if err != nil {
		t.Fatal(err)
	}
	return table
}

func dec(t *testing.T, s string) Decimal {
	d, err := ParseDecimal(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestOpsGolden(t *testing.T) {
	table := opsTable(t)
	src := Source{Version: "tandem-test", Connector: "mysql", Name: "shop", TsMs: 1700000000000, Snapshot: "false",
		DB: "inventory", TsUs: 1700000000000000, TsNs: 1700000000000000000, Table: "orders", ServerID: 1,
		GTID: "0-1-42", File: "mariadb-bin.000001", Pos: 1234, Row: 1, Thread: 7,
		Query: "/* dts */ UPDATE orders SET note = 'x\"y'\n WHERE id = 5"}
	rowA := []any{int32(1), int64(5), nil, dec(t, "-12.30")}
	rowB := []any{int32(1), int64(5), "café ☕ \t tab", dec(t, "99999999.99")}
	snap := src
	snap.Snapshot, snap.GTID, snap.Thread, snap.Query, snap.ServerID, snap.Row = "first", "", 0, "", 0, 0
	cases := []struct {
		name string
		ev   Envelope
	}{
		{"create", Envelope{After: rowA, Source: src, Op: OpCreate}},
		{"update", Envelope{Before: rowA, After: rowB, Source: src, Op: OpUpdate,
			Transaction: &Transaction{ID: "0-1-42", TotalOrder: 2, DataCollectionOrder: 1}}},
		{"delete", Envelope{Before: rowB, Source: src, Op: OpDelete}},
		{"read", Envelope{After: rowA, Source: snap, Op: OpRead}},
		{"truncate", Envelope{Source: src, Op: OpTruncate}},
	}
	for _, c := range cases {
		c.ev.TsMs, c.ev.TsUs, c.ev.TsNs = 1700000000123, 1700000000123456, 1700000000123456789
		for _, schemas := range []bool{true, false} {
			opt := JSONOptions{Schemas: schemas}
			name := "ops/" + c.name + map[bool]string{true: ".schema.json", false: ".json"}[schemas]
			got, err := table.AppendEnvelopeJSON(nil, &c.ev, opt)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			golden(t, name, got)
			back, err := DecodeEnvelopeJSON(got, nil)
			if err != nil {
				t.Fatalf("%s: decode: %v", name, err)
			}
			if schemas && !reflect.DeepEqual(back.Envelope, c.ev) {
				t.Errorf("%s: decoded\n %+v\nwant\n %+v", name, back.Envelope, c.ev)
			}
			if !schemas {
				if back.Op != c.ev.Op || back.Source != c.ev.Source || len(back.After) != len(c.ev.After) {
					t.Errorf("%s: schemaless decode = %+v", name, back.Envelope)
				}
				// Typed again with the table's row schema, the values are the originals.
				for i, v := range back.After {
					typed, err := ConvertUntyped(table.Row().Fields[i].Schema, v)
					if err != nil || !reflect.DeepEqual(typed, c.ev.After[i]) {
						t.Errorf("%s: column %d: %#v (%v), want %#v", name, i, typed, err, c.ev.After[i])
					}
				}
			}
		}
	}
	key, _, err := table.AppendKeyJSON(nil, table.KeyOf(rowA), JSONOptions{Schemas: true})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "ops/key.schema.json", key)
	k, err := DecodeKeyJSON(key, nil)
	if err != nil || !reflect.DeepEqual(k.Values, []any{int32(1), int64(5)}) {
		t.Errorf("key decode = %+v, %v", k, err)
	}
}

func TestNumericDecimal(t *testing.T) {
	table := opsTable(t)
	ev := Envelope{After: []any{int32(1), int64(2), nil, dec(t, "-0.05")}, Op: OpCreate}
	got, err := table.AppendEnvelopeJSON(nil, &ev, JSONOptions{Schemas: true, DecimalNumeric: true})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(got, []byte(`"price":-0.05}`)) {
		t.Errorf("numeric decimal not written as a number: %s", got)
	}
	back, err := DecodeEnvelopeJSON(got, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d := back.After[3].(Decimal); d.String() != "-0.05" {
		t.Errorf("decoded %s", d)
	}
}

func TestDecimalBytes(t *testing.T) {
	for _, c := range []struct {
		text string
		b    []byte
	}{
		{"0", []byte{0}}, {"1", []byte{1}}, {"127", []byte{0x7f}}, {"128", []byte{0, 0x80}},
		{"-1", []byte{0xff}}, {"-128", []byte{0x80}}, {"-129", []byte{0xff, 0x7f}},
		{"1.20", []byte{0x78}}, {"-12345678.90", []byte{0xb6, 0x69, 0xfd, 0x2e}},
		{"256", []byte{1, 0}}, {"-256", []byte{0xff, 0}},
	} {
		d := dec(t, c.text)
		if got := d.twosComplement(); !bytes.Equal(got, c.b) {
			t.Errorf("%s: bytes % x, want % x", c.text, got, c.b)
		}
		back := decimalFromTwosComplement(c.b, d.Scale)
		if back.String() != c.text {
			t.Errorf("% x scale %d: %s, want %s", c.b, d.Scale, back, c.text)
		}
	}
	// Debezium's documented example: 1234.56 with scale 2 is "AeJA" in base64 (0x01E240 = 123456).
	d := Decimal{Unscaled: big.NewInt(123456), Scale: 2}
	if got := appendBase64(nil, d.twosComplement()); string(got) != `"AeJA"` {
		t.Errorf("1234.56 = %s", got)
	}
}

func TestJavaFloat(t *testing.T) {
	for _, c := range []struct {
		f    float64
		bits int
		want string
	}{
		{1, 64, "1.0"}, {-1.5, 64, "-1.5"}, {0.001, 64, "0.001"}, {0.0001, 64, "1.0E-4"},
		{1234567, 64, "1234567.0"}, {1e7, 64, "1.0E7"}, {12345678.9, 64, "1.23456789E7"},
		{1.7976931348623157e308, 64, "1.7976931348623157E308"}, {4.9e-324, 64, "4.9E-324"},
		{0.1, 64, "0.1"}, {100, 64, "100.0"}, {float64(float32(1.1)), 32, "1.1"},
		{float64(float32(3.4028235e38)), 32, "3.4028235E38"}, {0, 64, "0.0"},
	} {
		got, err := appendJavaFloat(nil, c.f, c.bits)
		if err != nil || string(got) != c.want {
			t.Errorf("%v (float%d) = %s, %v; want %s", c.f, c.bits, got, err, c.want)
		}
	}
}

func TestAppendStringEscapes(t *testing.T) {
	got := string(appendString(nil, "a\"b\\c/d\x01\x1f\b\f\n\r\t<>&é😀\xff"))
	want := `"a\"b\\c/d\u0001\u001F\b\f\n\r\t<>&é\uD83D\uDE00` + "\uFFFD" + `"`
	if got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	s := &scanner{data: []byte(got)}
	back, err := s.str()
	if err != nil || back != "a\"b\\c/d\x01\x1f\b\f\n\r\t<>&é😀\uFFFD" {
		t.Errorf("round trip: %q, %v", back, err)
	}
}

func TestDecodeErrors(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{``, "tombstone"},
		{`{`, "json at byte 1"},
		{`{"before":null}`, "no op"},
		{`{"op":"x"}`, `unknown op "x"`},
		{`{"schema":{"type":"struct","fields":[]},"payload":{"op":"c"}}`, `no struct field "after"`},
		{`{"schema":{"type":"nope"},"payload":{}}`, `unknown schema type "nope"`},
		{`{"op":"c","after":{"a":1,"a":2}}`, `column "a" appears twice`},
		{`{"op":"c"} x`, "after the document"},
		{`{"schema":{"type":"struct","fields":[{"type":"struct","fields":[{"type":"int8","optional":false,"field":"a"}],"optional":true,"field":"after"},{"type":"string","optional":false,"field":"op"}]},"payload":{"op":"c","after":{"a":300}}}`, "300 is not an int8"},
		{`{"schema":{"type":"struct","fields":[{"type":"struct","fields":[{"type":"bytes","optional":false,"field":"a"}],"optional":true,"field":"after"},{"type":"string","optional":false,"field":"op"}]},"payload":{"op":"c","after":{"a":"!!"}}}`, "not base64"},
		{`{"schema":{"type":"struct","fields":[{"type":"struct","fields":[{"type":"int8","optional":false,"field":"a"}],"optional":true,"field":"after"},{"type":"string","optional":false,"field":"op"}]},"payload":{"op":"c","after":{"b":1}}}`, `field "b" is not in schema`},
	} {
		_, err := DecodeEnvelopeJSON([]byte(c.in), nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want it to mention %q", c.in, err, c.want)
		}
	}
}

// TestDebeziumVariants reads what older and other Debezium versions write: envelope v1 with transaction
// last and no ts_us/ts_ns, TINYINT as int8, a boolean snapshot flag, decimals as numbers.
func TestDebeziumVariants(t *testing.T) {
	v1 := `{"schema":{"type":"struct","fields":[` +
		`{"type":"struct","fields":[{"type":"int8","optional":false,"field":"t"},{"type":"bytes","optional":true,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2","connect.decimal.precision":"5"},"field":"d"}],"optional":true,"name":"s.db.t.Value","field":"before"},` +
		`{"type":"struct","fields":[{"type":"int8","optional":false,"field":"t"},{"type":"bytes","optional":true,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2","connect.decimal.precision":"5"},"field":"d"}],"optional":true,"name":"s.db.t.Value","field":"after"},` +
		`{"type":"struct","fields":[{"type":"string","optional":false,"field":"connector"},{"type":"boolean","optional":true,"field":"snapshot"},{"type":"string","optional":false,"field":"db"}],"optional":false,"name":"io.debezium.connector.mysql.Source","field":"source"},` +
		`{"type":"string","optional":false,"field":"op"},{"type":"int64","optional":true,"field":"ts_ms"},` +
		`{"type":"struct","fields":[{"type":"string","optional":false,"field":"id"},{"type":"int64","optional":false,"field":"total_order"},{"type":"int64","optional":false,"field":"data_collection_order"}],"optional":true,"field":"transaction"}],` +
		`"optional":false,"name":"s.db.t.Envelope","version":1},` +
		`"payload":{"before":{"t":-128,"d":"MDk="},"after":{"t":127,"d":123.4},"source":{"connector":"mysql","snapshot":true,"db":"db"},"op":"u","ts_ms":5,"transaction":{"id":"file=a,pos=4","total_order":1,"data_collection_order":1}}}`
	ev, err := DecodeEnvelopeJSON([]byte(v1), nil)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Op != OpUpdate || ev.Before[0] != int8(-128) || ev.After[0] != int8(127) ||
		ev.Before[1].(Decimal).String() != "123.45" || ev.After[1].(Decimal).String() != "123.40" ||
		ev.Source.Snapshot != "true" || ev.Source.DB != "db" || ev.TsMs != 5 || ev.TsUs != 0 ||
		ev.Transaction == nil || ev.Transaction.ID != "file=a,pos=4" {
		t.Errorf("decoded %+v", ev.Envelope)
	}
}

// TestSourceCache: encoding with a source cache gives the same bytes as without, as rows and blocks change.
func TestSourceCache(t *testing.T) {
	table := opsTable(t)
	cache := &SourceCache{}
	ev := Envelope{After: []any{int32(1), int64(5), nil, dec(t, "1.00")}, Op: OpCreate,
		Source: Source{Version: "v", Connector: "mysql", Name: "shop", DB: "inventory", Table: "orders", File: "f", Query: "q"}}
	for i, change := range []func(){
		func() {}, func() { ev.Source.Row = 1 }, func() { ev.Source.Row = 2 }, func() { ev.Source.Query = "other" },
		func() { ev.Source.Row = 0 }, func() { ev.Source.GTID = "0-1-9" }, func() { ev.Source.Row = 7 },
	} {
		change()
		plain, err1 := table.AppendEnvelopeJSON(nil, &ev, JSONOptions{})
		cached, err2 := table.AppendEnvelopeJSON(nil, &ev, JSONOptions{Cache: cache})
		if err1 != nil || err2 != nil || !bytes.Equal(plain, cached) {
			t.Fatalf("step %d: %v %v\n%s\n%s", i, err1, err2, plain, cached)
		}
	}
}

// TestSkipBefore: with SkipBefore an update decodes to the same event without its before image, with
// and without schemas, and a malformed before image is still an error.
func TestSkipBefore(t *testing.T) {
	schema := `{"type":"struct","fields":[{"type":"struct","fields":[{"type":"int32","optional":false,"field":"a"}],"optional":true,"field":"before"},` +
		`{"type":"struct","fields":[{"type":"int32","optional":false,"field":"a"}],"optional":true,"field":"after"},{"type":"string","optional":false,"field":"op"}]}`
	for _, in := range []string{
		`{"schema":` + schema + `,"payload":{"before":{"a":1},"after":{"a":2},"op":"u"}}`,
		`{"before":{"a":1},"after":{"a":2},"op":"u"}`,
	} {
		full, err := DecodeEnvelopeJSON([]byte(in), NewSchemaCache(4))
		if err != nil {
			t.Fatal(err)
		}
		ev, err := DecodeEnvelopeJSONWith([]byte(in), NewSchemaCache(4), DecodeOptions{SkipBefore: true})
		if err != nil {
			t.Fatal(err)
		}
		if ev.Before != nil || full.Before == nil || !reflect.DeepEqual(ev.After, full.After) || ev.Op != OpUpdate {
			t.Errorf("%s: skipping before gave before=%v after=%v op=%s", in, ev.Before, ev.After, ev.Op)
		}
		bad := strings.Replace(in, `"before":{"a":1}`, `"before":{"a":1`, 1)
		if _, err := DecodeEnvelopeJSONWith([]byte(bad), nil, DecodeOptions{SkipBefore: true}); err == nil {
			t.Errorf("%s: a malformed before image decoded", bad)
		}
	}
}

// TestRoutingSource: with RoutingSource the source block gives db, table, ts_ms and query, and nothing
// else; a malformed member it skips is still an error.
func TestRoutingSource(t *testing.T) {
	in := `{"after":{"a":2},"op":"c","source":{"version":"3.0","connector":"mysql","name":"n","ts_ms":7,"db":"d",` +
		`"table":"t","server_id":1,"file":"f","pos":4,"row":0,"thread":null,"query":"/* dts */ x","extra":[1,{"b":null}]}}`
	ev, err := DecodeEnvelopeJSONWith([]byte(in), NewSchemaCache(4), DecodeOptions{RoutingSource: true})
	if err != nil {
		t.Fatal(err)
	}
	want := Source{TsMs: 7, DB: "d", Table: "t", Query: "/* dts */ x"}
	if ev.Source != want {
		t.Errorf("source %+v, want %+v", ev.Source, want)
	}
	for _, bad := range [][2]string{{`"pos":4`, `"pos":4x`}, {`"file":"f"`, `"file":"f`}, {`"row":0`, `"row":[`}} {
		broken := strings.Replace(in, bad[0], bad[1], 1)
		if _, err := DecodeEnvelopeJSONWith([]byte(broken), nil, DecodeOptions{RoutingSource: true}); err == nil {
			t.Errorf("%s: a malformed source member decoded", broken)
		}
	}
}

// TestSchemalessRowsShareColumns: schemaless rows of the same columns share one column list and row
// schema through the cache; other columns, another order or a duplicate column are read as such.
func TestSchemalessRowsShareColumns(t *testing.T) {
	cache := NewSchemaCache(4)
	decode := func(after string) *Event {
		t.Helper()
		ev, err := DecodeEnvelopeJSON([]byte(`{"before":null,"after":`+after+`,"op":"c"}`), cache)
		if err != nil {
			t.Fatalf("%s: %v", after, err)
		}
		return ev
	}
	first, second := decode(`{"a":1,"b":"x"}`), decode(`{"a":2,"b":"y"}`)
	if first.Row != second.Row || !reflect.DeepEqual(second.After, []any{json.Number("2"), "y"}) {
		t.Errorf("rows of the same columns: schemas %p %p, after %v", first.Row, second.Row, second.After)
	}
	for _, c := range []struct {
		after string
		names []string
	}{
		{`{"b":"z","a":3}`, []string{"b", "a"}}, {`{"a":4}`, []string{"a"}}, {`{"a":5,"b":"w","c":true}`, []string{"a", "b", "c"}},
		{`{"a":6,"b":"v","c":false}`, []string{"a", "b", "c"}}, {`{}`, nil},
	} {
		ev := decode(c.after)
		var names []string
		for _, f := range ev.Row.Fields {
			names = append(names, f.Name)
		}
		if !slices.Equal(names, c.names) || len(ev.After) != len(c.names) {
			t.Errorf("%s: columns %v, after %v; want %v", c.after, names, ev.After, c.names)
		}
	}
	for _, dup := range []string{`{"a":1,"a":2}`, `{"a":1,"b":2,"a":3}`} {
		if _, err := DecodeEnvelopeJSON([]byte(`{"after":`+dup+`,"op":"c"}`), cache); err == nil || !strings.Contains(err.Error(), `"a" appears twice`) {
			t.Errorf("%s: %v; want a duplicate column error", dup, err)
		}
	}
	// Before and after of an update: after is read in before's column order either way.
	ev, err := DecodeEnvelopeJSON([]byte(`{"before":{"a":1,"b":"x"},"after":{"b":"y","a":1},"op":"u"}`), cache)
	if err != nil || !reflect.DeepEqual(ev.After, []any{json.Number("1"), "y"}) {
		t.Errorf("update with reordered after: %v %v", ev, err)
	}
}

// TestConvertUntypedFastPath: the direct conversions of common scalars give exactly what re-encoding
// through the typed reader gives, errors included.
func TestConvertUntypedFastPath(t *testing.T) {
	for _, c := range []struct {
		typ Type
		v   any
	}{
		{Int8, json.Number("-128")}, {Int8, json.Number("300")}, {Int16, json.Number("-32768")}, {Int16, json.Number("40000")},
		{Int32, json.Number("2147483647")}, {Int32, json.Number("1.5")}, {Int32, json.Number("1e3")},
		{Int64, json.Number("-9223372036854775808")}, {Int64, json.Number("9223372036854775808")}, {Int64, json.Number("-0")},
		{String, "plain"}, {String, "quote \" and \u00e9 and \u2028"}, {String, ""}, {Boolean, true}, {Boolean, false},
		{Int32, "12"}, {String, json.Number("12")}, {Boolean, "true"},
	} {
		sc := &Schema{Type: c.typ}
		got, gotErr := ConvertUntyped(sc, c.v)
		want, wantErr := convertByReencoding(sc, c.v)
		if (gotErr == nil) != (wantErr == nil) || !reflect.DeepEqual(got, want) {
			t.Errorf("%s %#v: got %#v, %v; re-encoding gives %#v, %v", c.typ, c.v, got, gotErr, want, wantErr)
		}
	}
}

// TestFloatTypeNames: Kafka's JsonConverter names Connect's FLOAT32 and FLOAT64 "float" and "double" and
// refuses "float32" ("Unknown schema type"). tandem writes Connect's names and reads both spellings, since
// topics written by tandem before 2026-12 say "float32" / "float64".
func TestFloatTypeNames(t *testing.T) {
	s := &Schema{Type: Struct, Name: "r", Fields: []Field{
		{Name: "f", Schema: &Schema{Type: Float32}}, {Name: "d", Schema: &Schema{Type: Float64, Optional: true}}}}
	got, err := AppendSchemaJSON(nil, s)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"type":"struct","fields":[{"type":"float","optional":false,"field":"f"},{"type":"double","optional":true,"field":"d"}],"optional":false,"name":"r"}`
	if string(got) != want {
		t.Errorf("schema JSON\n got: %s\nwant: %s", got, want)
	}
	for _, names := range [][2]string{{"float", "double"}, {"float32", "float64"}} {
		key := `{"schema":{"type":"struct","fields":[{"type":"` + names[0] + `","optional":false,"field":"f"},{"type":"` +
			names[1] + `","optional":false,"field":"d"}],"optional":false,"name":"k"},"payload":{"f":1.5,"d":-2.25}}`
		k, err := DecodeKeyJSON([]byte(key), nil)
		if err != nil {
			t.Fatalf("%v: %v", names, err)
		}
		if k.Values[0] != float32(1.5) || k.Values[1] != float64(-2.25) || k.Schema.Fields[0].Schema.Type != Float32 ||
			k.Schema.Fields[1].Schema.Type != Float64 {
			t.Errorf("%v: decoded %#v", names, k.Values)
		}
	}
}

// TestJavaForms: Decimals with decimal.format=NUMERIC print as Java's BigDecimal.toString, and characters
// outside the BMP as Jackson's surrogate escapes, as Kafka's JsonConverter writes them (measured with it).
func TestJavaForms(t *testing.T) {
	for in, want := range map[string]string{"12.34": "12.34", "0.000001": "0.000001", "0.0000001": "1E-7",
		"0.00000012": "1.2E-7", "-0.000000000000000000000000000001": "-1E-30", "0.000000000000000000000000000000": "0E-30",
		"99999999.99": "99999999.99", "0": "0", "-5": "-5"} {
		d, err := ParseDecimal(in)
		if err != nil || d.JavaString() != want {
			t.Errorf("%s: %q, %v; want %q", in, d.JavaString(), err, want)
		}
	}
	got := string(appendString(nil, "héllo 😀 €\x01"))
	if want := `"héllo \uD83D\uDE00 €\u0001"`; got != want {
		t.Errorf("string %s, want %s", got, want)
	}
}
