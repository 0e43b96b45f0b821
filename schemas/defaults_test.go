package schemas

import (
	"reflect"
	"testing"

	"github.com/tandemcdc/tandem/envelope"
)

// TestColumnDefaults: a column's DEFAULT, as the catalog shows it, becomes the field schema's default in
// the field's Connect representation, as Debezium writes it; no default, a NULL default and expressions
// other than CURRENT_TIMESTAMP give none.
func TestColumnDefaults(t *testing.T) {
	dec, _ := envelope.ParseDecimal("12.50")
	for _, c := range []struct {
		col  Column
		def  *ColumnDefault
		want any
	}{
		{Column{DataType: "varchar"}, &ColumnDefault{Literal: "dflt"}, "dflt"},
		{Column{DataType: "varchar"}, &ColumnDefault{Literal: "it's"}, "it's"},
		{Column{DataType: "int"}, &ColumnDefault{Literal: "-7"}, int32(-7)},
		{Column{DataType: "tinyint", Unsigned: true}, &ColumnDefault{Literal: "200"}, int16(200)},
		{Column{DataType: "bigint", Unsigned: true}, &ColumnDefault{Literal: "18446744073709551615"}, int64(-1)},
		{Column{DataType: "float"}, &ColumnDefault{Literal: "1.5"}, float32(1.5)},
		{Column{DataType: "double"}, &ColumnDefault{Literal: "-2.25"}, float64(-2.25)},
		{Column{DataType: "decimal", Precision: 5, Scale: 2}, &ColumnDefault{Literal: "12.50"}, dec},
		{Column{DataType: "bit", Length: 1}, &ColumnDefault{Literal: "b'1'"}, true},
		{Column{DataType: "bit", Length: 10}, &ColumnDefault{Literal: "b'1000000001'"}, []byte{1, 2}},
		{Column{DataType: "year"}, &ColumnDefault{Literal: "2024"}, int32(2024)},
		{Column{DataType: "date"}, &ColumnDefault{Literal: "1970-01-02"}, int32(1)},
		{Column{DataType: "datetime"}, &ColumnDefault{Literal: "1970-01-01 00:00:01"}, int64(1000)},
		{Column{DataType: "timestamp", FSP: 3}, &ColumnDefault{Literal: "2024-02-29 23:59:59.120"}, "2024-02-29T23:59:59.120Z"},
		{Column{DataType: "timestamp"}, &ColumnDefault{CurrentTimestamp: true}, "1970-01-01T00:00:00Z"},
		{Column{DataType: "datetime"}, &ColumnDefault{CurrentTimestamp: true}, int64(0)},
		{Column{DataType: "time"}, &ColumnDefault{Literal: "01:00:00"}, int64(3600000000)},
		{Column{DataType: "enum", Values: []string{"a", "b"}}, &ColumnDefault{Literal: "b"}, "b"},
		{Column{DataType: "set", Values: []string{"a", "b", "c"}}, &ColumnDefault{Literal: "a,c"}, "a,c"},
		{Column{DataType: "varbinary"}, &ColumnDefault{Literal: "ab"}, []byte("ab")},
		{Column{DataType: "int"}, nil, nil},
		{Column{DataType: "int"}, &ColumnDefault{Literal: "not a number"}, nil},
		{Column{DataType: "varchar"}, &ColumnDefault{}, ""},
		{Column{DataType: "varchar"}, &ColumnDefault{Expression: true}, nil},
	} {
		c.col.Name, c.col.Default = "c", c.def
		s, err := Options{}.FieldSchema(c.col)
		if err != nil {
			t.Fatalf("%+v: %v", c.col, err)
		}
		if !reflect.DeepEqual(s.Default, c.want) {
			t.Errorf("%s default %+v: %#v, want %#v", c.col.DataType, c.def, s.Default, c.want)
		}
		if s.Default != nil {
			if _, err := envelope.AppendSchemaJSON(nil, s); err != nil {
				t.Errorf("%s: schema with default does not encode: %v", c.col.DataType, err)
			}
		}
	}
}
