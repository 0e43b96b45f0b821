package envelope

import "fmt"

// Table is the wire schema of one captured table, whose topic is <prefix>.<db>.<table>: the key struct
// (nil when the table has no usable key, so the Kafka key is null) and the envelope around the row struct.
// The JSON form of both schemas is computed once. A Table is immutable and safe for concurrent use.
type Table struct {
	Key      *Schema
	Envelope *Schema
	keyIdx   []int // positions of the key fields in the row struct

	// The schemas' JSON forms, with Decimal defaults in base64 and, for decimal.format=NUMERIC, as numbers
	// (the same bytes when no Decimal field has a default).
	keySchemaJSON, keySchemaNumeric []byte
	envSchemaJSON, envSchemaNumeric []byte
}

// NewTable builds the schemas of table db.table under the topic prefix, as Debezium names them:
// <prefix>.<db>.<table>.Key, .Value and .Envelope. columns are the row's fields in table order; keyColumns
// name the key columns in key order (none for a table without a usable key).
func NewTable(prefix, db, table string, columns []Field, keyColumns []string, source *Schema) (*Table, error) {
	base := prefix + "." + db + "." + table
	value := &Schema{Type: Struct, Name: base + ".Value", Fields: columns}
	var key *Schema
	if len(keyColumns) > 0 {
		key = &Schema{Type: Struct, Name: base + ".Key"}
		for _, name := range keyColumns {
			fs := value.Field(name)
			if fs == nil {
				return nil, fmt.Errorf("table %s.%s: key column %q is not a column", db, table, name)
			}
			key.Fields = append(key.Fields, Field{Name: name, Schema: fs})
		}
	}
	return NewTableFromSchemas(key, EnvelopeSchema(base+".Envelope", value, source))
}

// NewTableFromSchemas wraps schemas read from the wire (a Debezium topic) or built by NewTable. Every key
// field must also be a field of the row struct.
func NewTableFromSchemas(key, envelope *Schema) (*Table, error) {
	if err := envelope.Validate(); err != nil {
		return nil, fmt.Errorf("envelope schema: %w", err)
	}
	if err := checkEnvelopeSchema(envelope); err != nil {
		return nil, err
	}
	row := envelope.Field("after")
	t := &Table{Key: key, Envelope: envelope}
	var err error
	if key != nil {
		if err := key.Validate(); err != nil {
			return nil, fmt.Errorf("key schema: %w", err)
		}
		for _, f := range key.Fields {
			i := row.FieldIndex(f.Name)
			if i < 0 {
				return nil, fmt.Errorf("key field %q is not a field of %s", f.Name, row.Name)
			}
			t.keyIdx = append(t.keyIdx, i)
		}
		if t.keySchemaJSON, t.keySchemaNumeric, err = schemaForms(key); err != nil {
			return nil, err
		}
	}
	if t.envSchemaJSON, t.envSchemaNumeric, err = schemaForms(envelope); err != nil {
		return nil, err
	}
	return t, nil
}

// schemaForms returns the JSON of s with Decimal defaults in base64 and as numbers.
func schemaForms(s *Schema) (base64, numeric []byte, err error) {
	if base64, err = AppendSchemaJSON(nil, s); err != nil {
		return nil, nil, err
	}
	if numeric, err = AppendSchemaJSONNumeric(nil, s); err != nil {
		return nil, nil, err
	}
	if string(numeric) == string(base64) {
		numeric = base64
	}
	return base64, numeric, nil
}

// Row returns the row struct schema (the type of before and after).
func (t *Table) Row() *Schema { return t.Envelope.Field("after") }

// KeyOf returns the key struct value of a row, or nil when the table has no key.
func (t *Table) KeyOf(row []any) []any {
	if t.Key == nil {
		return nil
	}
	key := make([]any, len(t.keyIdx))
	for i, j := range t.keyIdx {
		key[i] = row[j]
	}
	return key
}

// IsKeyField reports whether the row struct's field i is a key field.
func (t *Table) IsKeyField(i int) bool {
	for _, j := range t.keyIdx {
		if j == i {
			return true
		}
	}
	return false
}

// JSONOptions choose the JSON form, as Kafka Connect's JsonConverter options do.
type JSONOptions struct {
	Schemas        bool // schemas.enable: {"schema":…,"payload":…}
	DecimalNumeric bool // decimal.format=NUMERIC instead of BASE64
	// Cache, when set, keeps the encoded source block between calls: the rows of one binlog event differ
	// only in source.row, so the rest is encoded once. A cache is not safe for concurrent use.
	Cache *SourceCache
}

// AppendKeyJSON appends the JSON form of a key struct value. A table without a key has a null Kafka key:
// it returns dst unchanged and false.
func (t *Table) AppendKeyJSON(dst []byte, key []any, opt JSONOptions) ([]byte, bool, error) {
	if t.Key == nil {
		return dst, false, nil
	}
	var err error
	if opt.Schemas {
		dst = append(dst, `{"schema":`...)
		if opt.DecimalNumeric {
			dst = append(dst, t.keySchemaNumeric...)
		} else {
			dst = append(dst, t.keySchemaJSON...)
		}
		dst = append(dst, `,"payload":`...)
	}
	if dst, err = appendValue(dst, t.Key, key, opt.DecimalNumeric); err != nil {
		return dst, false, fmt.Errorf("key of %s: %w", t.Key.Name, err)
	}
	if opt.Schemas {
		dst = append(dst, '}')
	}
	return dst, true, nil
}

// AppendEnvelopeJSON appends the JSON form of a change event. A tombstone is not an envelope: it is a
// record with a null value, which the producer writes without calling this.
func (t *Table) AppendEnvelopeJSON(dst []byte, ev *Envelope, opt JSONOptions) ([]byte, error) {
	var err error
	if opt.Schemas {
		dst = append(dst, `{"schema":`...)
		if opt.DecimalNumeric {
			dst = append(dst, t.envSchemaNumeric...)
		} else {
			dst = append(dst, t.envSchemaJSON...)
		}
		dst = append(dst, `,"payload":`...)
	}
	if dst, err = appendEnvelopePayload(dst, t.Envelope, ev, opt); err != nil {
		return dst, fmt.Errorf("%s: %w", t.Envelope.Name, err)
	}
	if opt.Schemas {
		dst = append(dst, '}')
	}
	return dst, nil
}
