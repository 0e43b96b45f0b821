package convert

import (
	"math"
	"strings"

	"github.com/segmentio/kafka-go"

	"github.com/tandemcdc/tandem/envelope"
	"github.com/tandemcdc/tandem/source-connector/internal/binlog"
)

// SchemaChanges writes Debezium's schema change topic (include.schema.changes): one record per DDL
// statement that changed captured tables, on the topic named by the prefix, keyed by the statement's
// database, with the statement's text and the tables' structure after it as the catalog shows it.
type SchemaChanges struct {
	Topic string // the topic prefix itself
	key   *envelope.Schema
	value *envelope.Schema
}

// NewSchemaChanges returns the schema change writer of a connector ("mysql" or "mariadb").
func NewSchemaChanges(prefix, connector string) *SchemaChanges {
	str := func(opt bool) *envelope.Schema { return &envelope.Schema{Type: envelope.String, Optional: opt} }
	i32 := func(opt bool) *envelope.Schema { return &envelope.Schema{Type: envelope.Int32, Optional: opt} }
	boolean := &envelope.Schema{Type: envelope.Boolean, Optional: true}
	strings := func(opt bool) *envelope.Schema {
		return &envelope.Schema{Type: envelope.Array, Optional: opt, Items: str(false)}
	}
	column := &envelope.Schema{Type: envelope.Struct, Name: "io.debezium.connector.schema.Column", Version: 1,
		Fields: []envelope.Field{
			{Name: "name", Schema: str(false)}, {Name: "jdbcType", Schema: i32(false)}, {Name: "nativeType", Schema: i32(true)},
			{Name: "typeName", Schema: str(false)}, {Name: "typeExpression", Schema: str(true)}, {Name: "charsetName", Schema: str(true)},
			{Name: "length", Schema: i32(true)}, {Name: "scale", Schema: i32(true)}, {Name: "position", Schema: i32(false)},
			{Name: "optional", Schema: boolean}, {Name: "autoIncremented", Schema: boolean}, {Name: "generated", Schema: boolean},
			{Name: "comment", Schema: str(true)}, {Name: "defaultValueExpression", Schema: str(true)}, {Name: "enumValues", Schema: strings(true)},
		}}
	table := &envelope.Schema{Type: envelope.Struct, Optional: true, Name: "io.debezium.connector.schema.Table", Version: 1,
		Fields: []envelope.Field{
			{Name: "defaultCharsetName", Schema: str(true)}, {Name: "primaryKeyColumnNames", Schema: strings(true)},
			{Name: "columns", Schema: &envelope.Schema{Type: envelope.Array, Items: column}}, {Name: "comment", Schema: str(true)},
		}}
	change := &envelope.Schema{Type: envelope.Struct, Name: "io.debezium.connector.schema.Change", Version: 1,
		Fields: []envelope.Field{{Name: "type", Schema: str(false)}, {Name: "id", Schema: str(false)}, {Name: "table", Schema: table}}}
	base := "io.debezium.connector." + connector
	return &SchemaChanges{
		Topic: prefix,
		key: &envelope.Schema{Type: envelope.Struct, Name: base + ".SchemaChangeKey", Version: 1,
			Fields: []envelope.Field{{Name: "databaseName", Schema: str(false)}}},
		value: &envelope.Schema{Type: envelope.Struct, Name: base + ".SchemaChangeValue", Version: 1,
			Fields: []envelope.Field{
				{Name: "source", Schema: envelope.SourceSchema(connector)},
				{Name: "ts_ms", Schema: &envelope.Schema{Type: envelope.Int64}},
				{Name: "databaseName", Schema: str(true)}, {Name: "schemaName", Schema: str(true)}, {Name: "ddl", Schema: str(true)},
				{Name: "tableChanges", Schema: &envelope.Schema{Type: envelope.Array, Items: change}},
			}},
	}
}

// Append appends the schema change records of ddl: one per database whose tables it changed, as
// Debezium groups them, keyed by that database.
func (s *SchemaChanges) Append(dst []kafka.Message, c *Converter, ddl *binlog.DDL) ([]kafka.Message, error) {
	now := c.clock()
	var dbs []string
	byDB := map[string][]any{}
	for _, tc := range ddl.Tables {
		id := quoteID(tc.DB, tc.Name)
		if tc.OldName != "" {
			odb, otb, _ := strings.Cut(tc.OldName, ".")
			id = quoteID(odb, otb) + "," + id
		}
		if _, seen := byDB[tc.DB]; !seen {
			dbs = append(dbs, tc.DB)
		}
		byDB[tc.DB] = append(byDB[tc.DB], []any{tc.Type, id, tableValue(tc.Table)})
	}
	for _, db := range dbs {
		src := []any{c.Version, c.Connector, c.Prefix, ddl.Time.UnixMilli(), "false", db, nil, ddl.Time.UnixMicro(),
			ddl.Time.UnixNano(), nil, int64(ddl.ServerID), optional(ddl.GTID), ddl.File, int64(ddl.Pos), int32(0),
			optionalInt(int64(ddl.Thread)), nil}
		value := []any{src, now.UnixMilli(), db, nil, ddl.Statement, byDB[db]}
		key, err := appendJSON(nil, s.key, nil, []any{db}, c.JSON.Schemas)
		if err != nil {
			return dst, err
		}
		val, err := appendJSON(nil, s.value, nil, value, c.JSON.Schemas)
		if err != nil {
			return dst, err
		}
		dst = append(dst, kafka.Message{Topic: s.Topic, Key: key, Value: val, Headers: c.Headers})
	}
	return dst, nil
}

// quoteID is Debezium's table id: "db"."table", a double quote inside doubled.
func quoteID(db, table string) string {
	q := func(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
	return q(db) + "." + q(table)
}

func tableValue(t *binlog.TableShape) any {
	if t == nil {
		return nil
	}
	cols := make([]any, len(t.Columns))
	for i, c := range t.Columns {
		typeName := strings.ToUpper(c.DataType)
		if strings.Contains(c.ColumnType, "unsigned") {
			typeName += " UNSIGNED"
		}
		var length, scale any
		if c.Length.Valid && c.Length.Int64 <= math.MaxInt32 { // LONGTEXT's 4294967295 has no int32: null
			length = int32(c.Length.Int64)
		}
		if c.Scale.Valid {
			scale = int32(c.Scale.Int64)
		}
		var enum any
		if c.EnumValues != nil {
			vals := make([]any, len(c.EnumValues))
			for j, v := range c.EnumValues {
				vals[j] = v
			}
			enum = vals
		}
		var def any
		if c.Default.Valid {
			def = c.Default.String
		}
		cols[i] = []any{c.Name, jdbcType(c.DataType), nil, typeName, typeName, optional(c.Charset), length, scale,
			int32(c.Position), c.Nullable, c.AutoIncrement, c.Generated, optional(c.Comment), def, enum}
	}
	pk := make([]any, len(t.PrimaryKey))
	for i, k := range t.PrimaryKey {
		pk[i] = k
	}
	return []any{optional(t.Charset), pk, cols, optional(t.Comment)}
}

// jdbcType is the java.sql.Types code Debezium's MySQL DDL parser gives a column type.
func jdbcType(dataType string) int32 {
	switch dataType {
	case "bit":
		return -7 // BIT
	case "tinyint", "smallint":
		return 5 // SMALLINT
	case "mediumint", "int", "integer", "year":
		return 4 // INTEGER
	case "bigint":
		return -5 // BIGINT
	case "float":
		return 6 // FLOAT
	case "double", "real":
		return 8 // DOUBLE
	case "decimal", "numeric":
		return 3 // DECIMAL
	case "char", "enum", "set":
		return 1 // CHAR
	case "varchar", "tinytext", "text", "mediumtext", "longtext":
		return 12 // VARCHAR
	case "binary":
		return -2 // BINARY
	case "varbinary":
		return -3 // VARBINARY
	case "tinyblob", "blob", "mediumblob", "longblob":
		return 2004 // BLOB
	case "date":
		return 91 // DATE
	case "time":
		return 92 // TIME
	case "datetime":
		return 93 // TIMESTAMP
	case "timestamp":
		return 2014 // TIMESTAMP_WITH_TIMEZONE
	}
	return 1111 // OTHER: json, geometry
}

func optional(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func optionalInt(n int64) any {
	if n == 0 {
		return nil
	}
	return n
}
