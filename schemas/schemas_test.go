package schemas

import (
	"bytes"
	"flag"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/tandemcdc/tandem/envelope"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// typeCases are binlog values as go-mysql v1.16.0 produces them (reference/mariadb-binlog.md §3(c)), with
// the value ToSQL must give back for the target column.
var typeCases = []struct {
	name   string
	col    Column
	binlog any
	sql    any
	target Target
}{
	{"tinyint", Column{DataType: "tinyint"}, int8(-128), int64(-128), Target{}},
	{"tinyint_unsigned", Column{DataType: "tinyint", Unsigned: true}, uint8(255), int64(255), Target{}},
	{"tinyint1", Column{DataType: "tinyint", Length: 1}, int8(1), int64(1), Target{}},
	{"smallint", Column{DataType: "smallint"}, int16(-32768), int64(-32768), Target{}},
	{"smallint_unsigned", Column{DataType: "smallint", Unsigned: true}, uint16(65535), int64(65535), Target{}},
	{"mediumint", Column{DataType: "mediumint"}, int32(-8388608), int64(-8388608), Target{}},
	{"mediumint_unsigned", Column{DataType: "mediumint", Unsigned: true}, uint32(16777215), int64(16777215), Target{}},
	{"int", Column{DataType: "int"}, int32(math.MinInt32), int64(math.MinInt32), Target{}},
	{"int_unsigned", Column{DataType: "int", Unsigned: true}, uint32(math.MaxUint32), int64(math.MaxUint32), Target{}},
	{"bigint", Column{DataType: "bigint"}, int64(math.MinInt64), int64(math.MinInt64), Target{}},
	{"bigint_unsigned_max", Column{DataType: "bigint", Unsigned: true}, uint64(math.MaxUint64), uint64(math.MaxUint64), Target{Unsigned: true}},
	{"float", Column{DataType: "float"}, float32(1.1), float64(float32(1.1)), Target{}},
	{"double", Column{DataType: "double"}, float64(-1.7976931348623157e308), float64(-1.7976931348623157e308), Target{}},
	{"decimal", Column{DataType: "decimal", Precision: 10, Scale: 2}, "-12345678.90", "-12345678.90", Target{}},
	{"decimal_zero", Column{DataType: "decimal", Precision: 65, Scale: 30}, "0.000000000000000000000000000000", "0.000000000000000000000000000000", Target{}},
	{"bit1", Column{DataType: "bit", Length: 1}, int64(1), true, Target{}},
	{"bit3", Column{DataType: "bit", Length: 3}, int64(5), uint64(5), Target{}},
	{"bit64", Column{DataType: "bit", Length: 64}, int64(-1), uint64(math.MaxUint64), Target{}},
	{"year", Column{DataType: "year"}, 2155, int64(2155), Target{}},
	{"date", Column{DataType: "date"}, "2024-02-29", "2024-02-29", Target{}},
	{"date_min", Column{DataType: "date"}, "1000-01-01", "1000-01-01", Target{}},
	{"date_zero_nullable", Column{DataType: "date", Nullable: true}, "0000-00-00", nil, Target{}},
	{"date_zero_required", Column{DataType: "date"}, "0000-00-00", "1970-01-01", Target{}},
	{"time_negative", Column{DataType: "time"}, "-838:59:59", "-838:59:59.000000", Target{}},
	{"time6", Column{DataType: "time", FSP: 6}, "00:00:00.000001", "0:00:00.000001", Target{}},
	{"datetime0", Column{DataType: "datetime"}, "2018-06-20 06:37:03", "2018-06-20 06:37:03.000000", Target{}},
	{"datetime3_pre1970", Column{DataType: "datetime", FSP: 3}, "1969-12-31 23:59:59.999", "1969-12-31 23:59:59.999000", Target{}},
	{"datetime6", Column{DataType: "datetime", FSP: 6}, "9999-12-31 23:59:59.999999", "9999-12-31 23:59:59.999999", Target{}},
	{"datetime_zero_nullable", Column{DataType: "datetime", Nullable: true}, "0000-00-00 00:00:00", nil, Target{}},
	{"timestamp0", Column{DataType: "timestamp"}, "2018-06-20 13:37:03", "2018-06-20 13:37:03.000000", Target{}},
	{"timestamp3_parsed", Column{DataType: "timestamp", FSP: 3}, time.Date(2024, 3, 1, 5, 29, 59, 120000000, time.FixedZone("IST", 19800)), "2024-02-29 23:59:59.120000", Target{}},
	{"datetime6_parsed", Column{DataType: "datetime", FSP: 6}, time.Date(2024, 2, 29, 23, 59, 59, 123456000, time.UTC), "2024-02-29 23:59:59.123456", Target{}},
	{"datetime0_parsed", Column{DataType: "datetime"}, time.Date(2018, 6, 20, 6, 37, 3, 0, time.UTC), "2018-06-20 06:37:03.000000", Target{}},
	{"timestamp3", Column{DataType: "timestamp", FSP: 3}, "2024-02-29 23:59:59.120", "2024-02-29 23:59:59.120000", Target{}},
	{"timestamp6", Column{DataType: "timestamp", FSP: 6}, "2038-01-19 03:14:07.999999", "2038-01-19 03:14:07.999999", Target{}},
	{"timestamp_zero_required", Column{DataType: "timestamp"}, "0000-00-00 00:00:00", "1970-01-01 00:00:00.000000", Target{}},
	{"varchar_emoji", Column{DataType: "varchar", Charset: "utf8mb4"}, "héllo 😀 wörld", "héllo 😀 wörld", Target{}},
	{"char_latin1", Column{DataType: "char", Charset: "latin1"}, "caf\xe9 \x80", "café €", Target{}},
	{"text", Column{DataType: "text", Charset: "utf8mb4", Nullable: true}, []byte("line1\nline2\t\"q\""), "line1\nline2\t\"q\"", Target{}},
	{"binary_padded", Column{DataType: "binary", Length: 4}, "\x01\x02", []byte{1, 2, 0, 0}, Target{}},
	{"varbinary", Column{DataType: "varbinary"}, "\x00\xff", []byte{0, 0xff}, Target{}},
	{"blob_empty", Column{DataType: "blob"}, []byte{}, []byte{}, Target{}},
	{"json", Column{DataType: "json", Nullable: true}, []byte(`{"k": [1, 2.50, "x"], "n": null}`), `{"k": [1, 2.50, "x"], "n": null}`, Target{}},
	{"enum", Column{DataType: "enum", Values: []string{"small", "medium", "large"}}, int64(2), "medium", Target{}},
	{"set", Column{DataType: "set", Values: []string{"a", "b", "c"}}, int64(5), "a,c", Target{}},
	{"set_empty", Column{DataType: "set", Values: []string{"a", "b", "c"}}, int64(0), "", Target{}},
	{"point", Column{DataType: "point", Nullable: true},
		"\xe6\x10\x00\x00\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\xf0\x3f\x00\x00\x00\x00\x00\x00\x00\x40",
		[]byte("\xe6\x10\x00\x00\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\xf0\x3f\x00\x00\x00\x00\x00\x00\x00\x40"), Target{}},
	{"geometry_srid0", Column{DataType: "geometry"},
		[]byte("\x00\x00\x00\x00\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"),
		[]byte("\x00\x00\x00\x00\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"), Target{}},
	{"null", Column{DataType: "int", Nullable: true}, nil, nil, Target{}},
}

// TestTypesGolden: for every type, the field schema and the encoded value equal the golden file, the value
// decodes back to the same Connect value, and ToSQL gives the value that restores the column.
func TestTypesGolden(t *testing.T) {
	var opt Options
	for _, c := range typeCases {
		t.Run(c.name, func(t *testing.T) {
			c.col.Name = "c"
			fs, err := opt.FieldSchema(c.col)
			if err != nil {
				t.Fatal(err)
			}
			v, err := opt.FromBinlog(c.col, c.binlog)
			if err != nil {
				t.Fatal(err)
			}
			row := &envelope.Schema{Type: envelope.Struct, Name: "t.Value", Fields: []envelope.Field{{Name: "c", Schema: fs}}}
			got := []byte(`{"schema":`)
			if got, err = envelope.AppendSchemaJSON(got, row); err != nil {
				t.Fatal(err)
			}
			got = append(got, `,"payload":`...)
			if got, err = envelope.AppendValueJSON(got, row, []any{v}, false); err != nil {
				t.Fatal(err)
			}
			got = append(got, '}')
			path := filepath.Join("testdata", "types", c.name+".json")
			if *update {
				os.MkdirAll(filepath.Dir(path), 0o755)
				if err := os.WriteFile(path, append(got, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
			} else if want, err := os.ReadFile(path); err != nil {
				t.Fatalf("%v (go test -update creates it)", err)
			} else if !bytes.Equal(got, bytes.TrimSuffix(want, []byte("\n"))) {
				t.Errorf("golden differs:\n got: %s\nwant: %s", got, want)
			}

			// Decode as a sink would: wrap the row in an envelope and read it back.
			table, err := envelope.NewTable("p", "d", "t", row.Fields, nil, envelope.SourceSchema("mysql"))
			if err != nil {
				t.Fatal(err)
			}
			msg, err := table.AppendEnvelopeJSON(nil, &envelope.Envelope{After: []any{v}, Op: envelope.OpCreate}, envelope.JSONOptions{Schemas: true})
			if err != nil {
				t.Fatal(err)
			}
			ev, err := envelope.DecodeEnvelopeJSON(msg, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !sameValue(ev.After[0], v) {
				t.Errorf("decoded %#v, want %#v", ev.After[0], v)
			}
			bound, err := ToSQL(ev.Row.Fields[0].Schema, ev.After[0], c.target)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(bound, c.sql) {
				t.Errorf("ToSQL = %#v, want %#v", bound, c.sql)
			}
		})
	}
}

func TestModes(t *testing.T) {
	dec := Column{Name: "d", DataType: "decimal", Precision: 5, Scale: 2}
	for mode, want := range map[string]any{"string": "123.40", "double": 123.4} {
		opt := Options{DecimalMode: mode}
		v, err := opt.FromBinlog(dec, "123.40")
		if err != nil || v != want {
			t.Errorf("%s: %#v, %v", mode, v, err)
		}
	}
	opt := Options{BigIntUnsignedMode: "precise"}
	u := Column{Name: "u", DataType: "bigint", Unsigned: true}
	v, err := opt.FromBinlog(u, uint64(math.MaxUint64))
	if err != nil || v.(envelope.Decimal).String() != "18446744073709551615" {
		t.Errorf("precise unsigned bigint: %v, %v", v, err)
	}
	if err := (Options{DecimalMode: "exact"}).Validate(); err == nil {
		t.Error("unknown decimal mode accepted")
	}
}

func TestFromBinlogErrors(t *testing.T) {
	var opt Options
	for _, c := range []struct {
		col Column
		v   any
	}{
		{Column{Name: "e", DataType: "enum", Values: []string{"a"}}, int64(3)},
		{Column{Name: "d", DataType: "date"}, "2024-13-01"},
		{Column{Name: "i", DataType: "int"}, "not a number"},
		{Column{Name: "s", DataType: "tinyint"}, int32(40000)},
		{Column{Name: "c", DataType: "varchar", Charset: "swe7"}, "x"},
		{Column{Name: "g", DataType: "geometry"}, []byte{1}},
		{Column{Name: "x", DataType: "vector"}, []byte{1}},
	} {
		if _, err := opt.FromBinlog(c.col, c.v); err == nil {
			t.Errorf("%s %v: no error", c.col.DataType, c.v)
		}
	}
}

// sameValue is reflect.DeepEqual, except that Decimals compare by their exact text (big.Int zero has
// several internal forms).
func sameValue(a, b any) bool {
	da, ok1 := a.(envelope.Decimal)
	db, ok2 := b.(envelope.Decimal)
	if ok1 && ok2 {
		return da.String() == db.String()
	}
	return reflect.DeepEqual(a, b)
}

// TestPlainJSON: Debezium's MariaDB connector writes a JSON column as a plain string; its MySQL connector
// names it io.debezium.data.Json.
func TestPlainJSON(t *testing.T) {
	c := Column{Name: "j", DataType: "json", Nullable: true}
	for _, o := range []struct {
		opt  Options
		name string
	}{{Options{}, envelope.JSONName}, {Options{PlainJSON: true}, ""}} {
		s, err := o.opt.FieldSchema(c)
		if err != nil || s.Type != envelope.String || s.Name != o.name || s.Version != 0 && o.name == "" {
			t.Errorf("PlainJSON %v: %+v, %v", o.opt.PlainJSON, s, err)
		}
	}
}

// TestSnapshotTimestamps: snapshot TIMESTAMP strings drop trailing zero fraction digits (Java's
// ISO_OFFSET_DATE_TIME, as Debezium formats JDBC values); streamed ones keep the column's digits.
func TestSnapshotTimestamps(t *testing.T) {
	for _, c := range []struct {
		fsp              int
		in               string
		stream, snapshot string
	}{
		{2, "2024-02-29 23:59:59.12", "2024-02-29T23:59:59.12Z", "2024-02-29T23:59:59.12Z"},
		{3, "2024-02-29 23:59:59.120", "2024-02-29T23:59:59.120Z", "2024-02-29T23:59:59.12Z"},
		{6, "1970-01-01 00:00:01.000000", "1970-01-01T00:00:01.000000Z", "1970-01-01T00:00:01Z"},
		{6, "2038-01-19 03:14:07.999999", "2038-01-19T03:14:07.999999Z", "2038-01-19T03:14:07.999999Z"},
		{0, "2000-01-01 00:00:00", "2000-01-01T00:00:00Z", "2000-01-01T00:00:00Z"},
		{3, "0000-00-00 00:00:00.000", "1970-01-01T00:00:00.000Z", "1970-01-01T00:00:00Z"},
	} {
		col := Column{Name: "ts", DataType: "timestamp", FSP: c.fsp}
		stream, err1 := Options{}.FromBinlog(col, c.in)
		snap, err2 := Options{}.FromSnapshot(col, c.in)
		if err1 != nil || err2 != nil || stream != c.stream || snap != c.snapshot {
			t.Errorf("%q fsp %d: stream %v (%v), snapshot %v (%v); want %s, %s", c.in, c.fsp, stream, err1, snap, err2, c.stream, c.snapshot)
		}
	}
}
