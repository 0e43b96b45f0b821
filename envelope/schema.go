// Package envelope is the change-event model both tandem daemons share: the Debezium envelope
// (before/after/source/transaction/op/ts_*), the MySQL source block, keys, tombstones, the Kafka Connect
// schema model, and the JSON codec that matches Kafka Connect's JsonConverter byte for byte.
//
// It is pure code: no Kafka client and no database/sql.
//
// # Values
//
// A value travels in its Kafka Connect representation, keyed by the schema's type:
//
//	int8 int16 int32 int64       int8 int16 int32 int64
//	float double                 float32 float64
//	boolean                      bool
//	string                       string
//	bytes                        []byte, or Decimal when the schema is org.apache.kafka.connect.data.Decimal
//	struct                       []any, one value per field in schema order
//	array                        []any
//	map                          []MapEntry
//
// nil is null. Logical types (dates as days, DATETIME as epoch micros, …) keep their base type; the
// schema's name says how to read them.
//
// Values decoded from schemaless JSON have no schema: numbers are json.Number, objects map[string]any,
// arrays []any, and the reader interprets them with a schema of its own (see ConvertUntyped).
package envelope

import "fmt"

// Type is a Kafka Connect schema type, spelled as Kafka's JsonConverter spells it in a schema: Connect's
// FLOAT32 and FLOAT64 are "float" and "double" there (JsonConverter refuses "float32").
type Type string

// The Kafka Connect schema types.
const (
	Int8    Type = "int8"
	Int16   Type = "int16"
	Int32   Type = "int32"
	Int64   Type = "int64"
	Float32 Type = "float"
	Float64 Type = "double"
	Boolean Type = "boolean"
	String  Type = "string"
	Bytes   Type = "bytes"
	Struct  Type = "struct"
	Array   Type = "array"
	Map     Type = "map"
)

// parseType reads a schema's "type". The Connect enum names "float32" and "float64", which tandem wrote
// before it spelled them as JsonConverter does, are read as Float32 and Float64.
func parseType(name string) Type {
	switch name {
	case "float32":
		return Float32
	case "float64":
		return Float64
	}
	return Type(name)
}

func (t Type) valid() bool {
	switch t {
	case Int8, Int16, Int32, Int64, Float32, Float64, Boolean, String, Bytes, Struct, Array, Map:
		return true
	}
	return false
}

// Schema is a Kafka Connect schema. Parameters keep their order because the JSON form is compared byte for
// byte. A schema is immutable once built and safe to share between goroutines.
type Schema struct {
	Type       Type
	Optional   bool
	Name       string  // logical or record name; empty when absent
	Version    int     // 0 when absent
	Doc        string  // empty when absent
	Parameters []Param // nil when absent
	Default    any     // nil when absent; a value of this schema
	Fields     []Field // struct only
	Items      *Schema // array only
	Keys       *Schema // map only
	Values     *Schema // map only
}

// Field is a named member of a struct schema.
type Field struct {
	Name   string
	Schema *Schema
}

// Param is one schema parameter.
type Param struct {
	Key, Value string
}

// MapEntry is one entry of a map value.
type MapEntry struct {
	Key, Value any
}

// Param returns the value of the named parameter and whether it is present.
func (s *Schema) Param(key string) (string, bool) {
	for _, p := range s.Parameters {
		if p.Key == key {
			return p.Value, true
		}
	}
	return "", false
}

// FieldIndex returns the position of the named field in a struct schema, or -1.
func (s *Schema) FieldIndex(name string) int {
	for i, f := range s.Fields {
		if f.Name == name {
			return i
		}
	}
	return -1
}

// Field returns the schema of the named field, or nil.
func (s *Schema) Field(name string) *Schema {
	if i := s.FieldIndex(name); i >= 0 {
		return s.Fields[i].Schema
	}
	return nil
}

// Validate checks that the schema is well formed: known types, struct fields named and unique, array and
// map element schemas present. It does not check defaults.
func (s *Schema) Validate() error {
	if s == nil {
		return fmt.Errorf("schema is missing")
	}
	if !s.Type.valid() {
		return fmt.Errorf("unknown schema type %q", s.Type)
	}
	switch s.Type {
	case Struct:
		seen := make(map[string]bool, len(s.Fields))
		for i, f := range s.Fields {
			if f.Name == "" {
				return fmt.Errorf("struct %s: field %d has no name", s.Name, i)
			}
			if seen[f.Name] {
				return fmt.Errorf("struct %s: field %q appears twice", s.Name, f.Name)
			}
			seen[f.Name] = true
			if err := f.Schema.Validate(); err != nil {
				return fmt.Errorf("field %q: %w", f.Name, err)
			}
		}
	case Array:
		if err := s.Items.Validate(); err != nil {
			return fmt.Errorf("array items: %w", err)
		}
	case Map:
		if err := s.Keys.Validate(); err != nil {
			return fmt.Errorf("map keys: %w", err)
		}
		if err := s.Values.Validate(); err != nil {
			return fmt.Errorf("map values: %w", err)
		}
	}
	return nil
}

// Names of the logical and semantic types tandem reads and writes.
const (
	DecimalName        = "org.apache.kafka.connect.data.Decimal"
	ConnectDateName    = "org.apache.kafka.connect.data.Date"
	ConnectTimeName    = "org.apache.kafka.connect.data.Time"
	ConnectTimestamp   = "org.apache.kafka.connect.data.Timestamp"
	DateName           = "io.debezium.time.Date"
	TimeName           = "io.debezium.time.Time"
	MicroTimeName      = "io.debezium.time.MicroTime"
	NanoTimeName       = "io.debezium.time.NanoTime"
	TimestampName      = "io.debezium.time.Timestamp"
	MicroTimestampName = "io.debezium.time.MicroTimestamp"
	NanoTimestampName  = "io.debezium.time.NanoTimestamp"
	ZonedTimestampName = "io.debezium.time.ZonedTimestamp"
	YearName           = "io.debezium.time.Year"
	JSONName           = "io.debezium.data.Json"
	EnumName           = "io.debezium.data.Enum"
	EnumSetName        = "io.debezium.data.EnumSet"
	BitsName           = "io.debezium.data.Bits"
	GeometryName       = "io.debezium.data.geometry.Geometry"
	PointName          = "io.debezium.data.geometry.Point"
)
