// Package schemas maps MySQL and MariaDB columns to Kafka Connect schemas and values the way Debezium's
// MySQL connector does in its default modes, and maps Connect values back to values a MySQL driver binds.
//
// Debezium version choices: signed TINYINT is int16, as in every Debezium release up to 3.6 (3.7 changes it
// to int8; the sink reads both). TIME is MicroTime, DATETIME is Timestamp (fsp 0-3) or MicroTimestamp
// (fsp 4-6), TIMESTAMP is a UTC ZonedTimestamp with the column's fraction digits, DATE is days since the
// epoch (time.precision.mode=adaptive_time_microseconds).
package schemas

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/tandemcdc/tandem/envelope"
)

// Column describes one table column: what the binlog's FULL row metadata or information_schema.COLUMNS
// say about it.
type Column struct {
	Name string
	// DataType is information_schema's DATA_TYPE: tinyint, smallint, mediumint, int, bigint, float,
	// double, decimal, bit, year, date, time, datetime, timestamp, char, varchar, tinytext, text,
	// mediumtext, longtext, binary, varbinary, tinyblob, blob, mediumblob, longblob, json, enum, set,
	// geometry, point, linestring, polygon, multipoint, multilinestring, multipolygon, geometrycollection.
	DataType  string
	Unsigned  bool
	Nullable  bool
	Length    int      // BIT: bits; BINARY: bytes (values are right-padded with 0x00 to it)
	Precision int      // DECIMAL(M, D): M
	Scale     int      // DECIMAL(M, D): D
	FSP       int      // TIME, DATETIME, TIMESTAMP: fraction digits 0-6
	Charset   string   // character columns: utf8mb4, utf8mb3, latin1, ascii, binary, …
	Collation string   // character columns, from information_schema only (the snapshot's key ranges)
	Values    []string // ENUM and SET members in definition order
	// Default is the column's DEFAULT as the catalog showed it when the table was described; nil for
	// none, NULL, or when the table was not described from the catalog.
	Default *ColumnDefault
}

// Modes that change how some types are written, as Debezium's connector options do.
type Options struct {
	DecimalMode        string // decimal.handling.mode: precise (default), string, double
	BigIntUnsignedMode string // bigint.unsigned.handling.mode: long (default, wraps above 2^63-1), precise
	// PlainJSON writes JSON columns as a plain string, without the io.debezium.data.Json name, as
	// Debezium's MariaDB connector does (MariaDB's JSON is an alias of LONGTEXT); its MySQL connector
	// names them.
	PlainJSON bool
}

// Validate reports unknown modes.
func (o Options) Validate() error {
	switch o.DecimalMode {
	case "", "precise", "string", "double":
	default:
		return fmt.Errorf("decimal.handling.mode %q: want precise, string or double", o.DecimalMode)
	}
	switch o.BigIntUnsignedMode {
	case "", "long", "precise":
	default:
		return fmt.Errorf("bigint.unsigned.handling.mode %q: want long or precise", o.BigIntUnsignedMode)
	}
	return nil
}

func (o Options) decimalMode() string {
	if o.DecimalMode == "" {
		return "precise"
	}
	return o.DecimalMode
}

func (o Options) unsignedBigintPrecise() bool { return o.BigIntUnsignedMode == "precise" }

// isGeometry reports whether a DATA_TYPE is a spatial type other than POINT.
func isGeometry(dataType string) bool {
	switch dataType {
	case "geometry", "linestring", "polygon", "multipoint", "multilinestring", "multipolygon", "geometrycollection":
		return true
	}
	return false
}

// FieldSchema returns the Connect schema Debezium gives the column; Optional follows the column's
// nullability.
func (o Options) FieldSchema(c Column) (*envelope.Schema, error) {
	s := &envelope.Schema{Optional: c.Nullable}
	named := func(t envelope.Type, name string) {
		s.Type, s.Name, s.Version = t, name, 1
	}
	switch c.DataType {
	case "tinyint", "smallint", "mediumint", "int", "integer":
		s.Type = o.integerType(c)
	case "bigint":
		s.Type = envelope.Int64
		if c.Unsigned && o.unsignedBigintPrecise() {
			named(envelope.Bytes, envelope.DecimalName)
			s.Parameters = []envelope.Param{{Key: "scale", Value: "0"}, {Key: "connect.decimal.precision", Value: "20"}}
		}
	case "float":
		s.Type = envelope.Float32
	case "double", "real":
		s.Type = envelope.Float64
	case "decimal", "numeric":
		switch o.decimalMode() {
		case "precise":
			named(envelope.Bytes, envelope.DecimalName)
			s.Parameters = []envelope.Param{{Key: "scale", Value: strconv.Itoa(c.Scale)},
				{Key: "connect.decimal.precision", Value: strconv.Itoa(c.Precision)}}
		case "string":
			s.Type = envelope.String
		case "double":
			s.Type = envelope.Float64
		}
	case "bit":
		if c.Length <= 1 {
			s.Type = envelope.Boolean
		} else {
			named(envelope.Bytes, envelope.BitsName)
			s.Parameters = []envelope.Param{{Key: "length", Value: strconv.Itoa(c.Length)}}
		}
	case "year":
		named(envelope.Int32, envelope.YearName)
	case "date":
		named(envelope.Int32, envelope.DateName)
	case "time":
		named(envelope.Int64, envelope.MicroTimeName)
	case "datetime":
		if c.FSP <= 3 {
			named(envelope.Int64, envelope.TimestampName)
		} else {
			named(envelope.Int64, envelope.MicroTimestampName)
		}
	case "timestamp":
		named(envelope.String, envelope.ZonedTimestampName)
	case "char", "varchar", "tinytext", "text", "mediumtext", "longtext":
		s.Type = envelope.String
	case "binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob":
		s.Type = envelope.Bytes
	case "json":
		if o.PlainJSON {
			s.Type = envelope.String
		} else {
			named(envelope.String, envelope.JSONName)
		}
	case "enum":
		named(envelope.String, envelope.EnumName)
		s.Parameters = []envelope.Param{{Key: "allowed", Value: strings.Join(c.Values, ",")}}
	case "set":
		named(envelope.String, envelope.EnumSetName)
		s.Parameters = []envelope.Param{{Key: "allowed", Value: strings.Join(c.Values, ",")}}
	case "point":
		named(envelope.Struct, envelope.PointName)
		s.Doc = "Geometry (POINT)"
		s.Fields = []envelope.Field{
			{Name: "x", Schema: &envelope.Schema{Type: envelope.Float64}},
			{Name: "y", Schema: &envelope.Schema{Type: envelope.Float64}},
			{Name: "wkb", Schema: &envelope.Schema{Type: envelope.Bytes, Optional: true}},
			{Name: "srid", Schema: &envelope.Schema{Type: envelope.Int32, Optional: true}},
		}
	default:
		if !isGeometry(c.DataType) {
			return nil, fmt.Errorf("column %s: type %q is not supported", c.Name, c.DataType)
		}
		named(envelope.Struct, envelope.GeometryName)
		s.Doc = "Geometry"
		s.Fields = []envelope.Field{
			{Name: "wkb", Schema: &envelope.Schema{Type: envelope.Bytes}},
			{Name: "srid", Schema: &envelope.Schema{Type: envelope.Int32, Optional: true}},
		}
	}
	s.Default = o.fieldDefault(c)
	return s, nil
}

// integerType is the Connect type of an integer column: Bytes for a precise unsigned BIGINT (a Decimal).
func (o Options) integerType(c Column) envelope.Type {
	switch c.DataType {
	case "tinyint":
		return envelope.Int16
	case "smallint":
		return pick(c.Unsigned, envelope.Int32, envelope.Int16)
	case "mediumint":
		return envelope.Int32
	case "int", "integer":
		return pick(c.Unsigned, envelope.Int64, envelope.Int32)
	}
	if c.Unsigned && o.unsignedBigintPrecise() {
		return envelope.Bytes
	}
	return envelope.Int64
}

func pick(cond bool, yes, no envelope.Type) envelope.Type {
	if cond {
		return yes
	}
	return no
}

// Fields returns the row struct fields of a table's columns.
func (o Options) Fields(cols []Column) ([]envelope.Field, error) {
	fields := make([]envelope.Field, len(cols))
	for i, c := range cols {
		s, err := o.FieldSchema(c)
		if err != nil {
			return nil, err
		}
		fields[i] = envelope.Field{Name: c.Name, Schema: s}
	}
	return fields, nil
}
