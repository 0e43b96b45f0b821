package envelope

import "bytes"

// SchemaCache remembers parsed and checked schemas by their JSON text, so a stream of messages of one table
// parses its schemas once. It holds at most limit schemas. It is not safe for concurrent use.
type SchemaCache struct {
	limit   int
	schemas map[string]*cachedSchema
	strs    map[string]string // interned source names
	// The two schemas used last: most messages repeat them, and a reader decoding keys and values in turn
	// alternates between two. A message whose schema text starts with one of them is matched by one
	// comparison, without hashing its text.
	recent [2]recentSchema
	next   int
	// The columns of the last schemaless row and key read, and the row schema made for those columns: the
	// messages of one table share them instead of allocating their own.
	rowNames, keyNames []string
	rowSchema          *Schema
}

// cachedSchema is a parsed schema and the checks it passed: a text checked as a key schema is checked
// again before it serves as an envelope schema.
type cachedSchema struct {
	schema  *Schema
	checked [2]bool // by schemaKind
}

type recentSchema struct {
	text  []byte
	entry *cachedSchema
}

// schemaKind says what a schema is read as, and so how it is checked.
type schemaKind int

const (
	envelopeSchema schemaKind = iota
	keySchema
)

func (k schemaKind) check(sc *Schema) error {
	if k == keySchema {
		return checkKeySchema(sc)
	}
	return checkEnvelopeSchema(sc)
}

// known returns the length and entry of the recently used schema text data starts with, 0 if none.
func (c *SchemaCache) known(data []byte) (int, *cachedSchema) {
	if c == nil {
		return 0, nil
	}
	for _, r := range c.recent {
		if len(r.text) > 0 && bytes.HasPrefix(data, r.text) {
			return len(r.text), r.entry
		}
	}
	return 0, nil
}

func (c *SchemaCache) remember(data []byte, e *cachedSchema) {
	for _, r := range c.recent {
		if r.entry == e {
			return
		}
	}
	r := &c.recent[c.next]
	r.text, r.entry = append(r.text[:0], data...), e
	c.next = 1 - c.next
}

// NewSchemaCache returns a cache of at most limit schemas.
func NewSchemaCache(limit int) *SchemaCache {
	return &SchemaCache{limit: limit, schemas: map[string]*cachedSchema{}, strs: map[string]string{}}
}

// parse returns the schema of data read as kind, parsed and checked when not cached. known is the
// cache's entry for data when splitSchemaPayload found it among the recent ones.
func (c *SchemaCache) parse(data []byte, known *cachedSchema, kind schemaKind) (*Schema, error) {
	e := known
	if e == nil && c != nil {
		e = c.schemas[string(data)]
	}
	if e == nil {
		sc, err := ParseSchemaJSON(data)
		if err != nil {
			return nil, err
		}
		e = &cachedSchema{schema: sc}
		if c != nil {
			if len(c.schemas) >= c.limit {
				clear(c.schemas)
			}
			c.schemas[string(data)] = e
		}
	}
	if !e.checked[kind] {
		if err := kind.check(e.schema); err != nil {
			return nil, err
		}
		e.checked[kind] = true
	}
	if c != nil && known == nil {
		c.remember(data, e)
	}
	return e.schema, nil
}
