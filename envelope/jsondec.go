package envelope

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strconv"
)

// Event is a change event read from Kafka, from tandem or from Debezium.
type Event struct {
	Envelope
	// Schema is the envelope schema, nil when the message carried none (schemas.enable=false).
	Schema *Schema
	// Row describes Before and After. Without a message schema it is a struct whose fields have names
	// but nil schemas, and the values are untyped (see ConvertUntyped).
	Row *Schema
}

// Key is a record key read from Kafka.
type Key struct {
	Schema *Schema // nil when the message carried none
	Names  []string
	Values []any
}

// ParseSchemaJSON reads a schema in JsonConverter's form.
func ParseSchemaJSON(data []byte) (*Schema, error) {
	s := &scanner{data: data}
	schema, _, err := parseSchema(s)
	if err != nil {
		return nil, err
	}
	if err := s.end(); err != nil {
		return nil, err
	}
	return schema, schema.Validate()
}

func parseSchema(s *scanner) (*Schema, string, error) {
	sc := &Schema{}
	var field string
	var def []byte
	haveType := false
	err := s.object(func(k []byte) error {
		var err error
		switch string(k) {
		case "type":
			var t string
			if t, err = s.str(); err == nil {
				sc.Type, haveType = parseType(t), true
				if !sc.Type.valid() {
					return s.errorf("unknown schema type %q", t)
				}
			}
		case "fields":
			err = s.array(func(int) error {
				fs, name, err := parseSchema(s)
				if err == nil && name == "" {
					err = s.errorf("struct field without a \"field\" name")
				}
				sc.Fields = append(sc.Fields, Field{Name: name, Schema: fs})
				return err
			})
		case "items":
			sc.Items, _, err = parseSchema(s)
		case "keys":
			sc.Keys, _, err = parseSchema(s)
		case "values":
			sc.Values, _, err = parseSchema(s)
		case "optional":
			sc.Optional, err = s.boolean()
		case "name":
			sc.Name, err = s.str()
		case "version":
			var v int64
			if v, err = s.integer(32); err == nil {
				sc.Version = int(v)
			}
		case "doc":
			sc.Doc, err = s.str()
		case "parameters":
			sc.Parameters = []Param{}
			err = s.object(func(kb []byte) error {
				k := string(kb)
				v, err := s.str()
				sc.Parameters = append(sc.Parameters, Param{k, v})
				return err
			})
		case "default":
			def, err = s.raw()
		case "field":
			field, err = s.str()
		default:
			_, err = s.raw()
		}
		return err
	})
	if err != nil {
		return nil, "", err
	}
	if !haveType {
		return nil, "", s.errorf("schema without a type")
	}
	if def != nil && string(def) != "null" {
		ds := &scanner{data: def}
		if sc.Default, err = parseValue(ds, sc); err != nil {
			return nil, "", fmt.Errorf("default of %s: %w", fieldOr(field, sc), err)
		}
	}
	return sc, field, nil
}

// parseValue reads a payload value under its schema.
func parseValue(s *scanner, sc *Schema) (any, error) {
	if null, err := s.null(); null || err != nil {
		return nil, err
	}
	switch sc.Type {
	case Int8:
		n, err := s.integer(8)
		return int8(n), err
	case Int16:
		n, err := s.integer(16)
		return int16(n), err
	case Int32:
		n, err := s.integer(32)
		return int32(n), err
	case Int64:
		return s.integer(64)
	case Float32, Float64:
		text, err := s.number()
		if err != nil {
			return nil, err
		}
		bits := 64
		if sc.Type == Float32 {
			bits = 32
		}
		f, err := strconv.ParseFloat(text, bits)
		if err != nil {
			return nil, s.errorf("%s is not a %s", text, sc.Type)
		}
		if sc.Type == Float32 {
			return float32(f), nil
		}
		return f, nil
	case Boolean:
		return s.boolean()
	case String:
		return s.str()
	case Bytes:
		return parseBytes(s, sc)
	case Struct:
		row := make([]any, len(sc.Fields))
		err := s.object(func(k []byte) error {
			i := fieldIndexBytes(sc, k)
			if i < 0 {
				return s.errorf("field %q is not in schema %s", k, fieldOr("", sc))
			}
			v, err := parseValue(s, sc.Fields[i].Schema)
			if err != nil {
				return fmt.Errorf("field %s: %w", k, err)
			}
			row[i] = v
			return nil
		})
		return row, err
	case Array:
		items := []any{}
		err := s.array(func(int) error {
			v, err := parseValue(s, sc.Items)
			items = append(items, v)
			return err
		})
		return items, err
	case Map:
		return parseMap(s, sc)
	}
	return nil, s.errorf("unknown schema type %q", sc.Type)
}

func parseBytes(s *scanner, sc *Schema) (any, error) {
	if sc.Name == DecimalName {
		scale, err := decimalScale(sc)
		if err != nil {
			return nil, err
		}
		if s.peek() != '"' { // decimal.format=NUMERIC
			text, err := s.number()
			if err != nil {
				return nil, err
			}
			d, err := ParseDecimal(text)
			if err != nil {
				return nil, err
			}
			return d.Rescale(scale)
		}
		b, err := parseBase64(s)
		if err != nil {
			return nil, err
		}
		return decimalFromTwosComplement(b, scale), nil
	}
	return parseBase64(s)
}

func parseBase64(s *scanner) ([]byte, error) {
	text, err := s.str()
	if err != nil {
		return nil, err
	}
	b, err := base64.StdEncoding.DecodeString(text)
	if err != nil {
		return nil, fmt.Errorf("%w: bytes are not base64: %w", s.errorf("bad bytes"), err)
	}
	return b, nil
}

func decimalScale(sc *Schema) (int32, error) {
	p, ok := sc.Param("scale")
	if !ok {
		return 0, fmt.Errorf("decimal schema without a scale parameter")
	}
	n, err := strconv.ParseInt(p, 10, 32)
	if err != nil || n < 0 || n > 1000 {
		return 0, fmt.Errorf("decimal scale %q is not a small non-negative integer", p)
	}
	return int32(n), nil
}

func parseMap(s *scanner, sc *Schema) (any, error) {
	entries := []MapEntry{}
	if s.peek() == '{' {
		if sc.Keys.Type != String {
			return nil, s.errorf("map with %s keys written as an object", sc.Keys.Type)
		}
		err := s.object(func(kb []byte) error {
			k := string(kb)
			v, err := parseValue(s, sc.Values)
			entries = append(entries, MapEntry{k, v})
			return err
		})
		return entries, err
	}
	err := s.array(func(int) error {
		var e MapEntry
		err := s.array(func(j int) error {
			var err error
			switch j {
			case 0:
				e.Key, err = parseValue(s, sc.Keys)
			case 1:
				e.Value, err = parseValue(s, sc.Values)
			default:
				err = s.errorf("map entry with more than a key and a value")
			}
			return err
		})
		entries = append(entries, e)
		return err
	})
	return entries, err
}

// splitSchemaPayload recognises {"schema":…,"payload":…} and returns the two members' bytes, and the
// cache's entry for the schema when its text is one of the recent ones. ok is false when data is some
// other document (schemaless JSON).
//
// Members are delimited, not parsed: the schema is parsed strictly unless the cache knows its text, and
// the payload is parsed strictly by the caller.
func splitSchemaPayload(data []byte, cache *SchemaCache) (schema []byte, known *cachedSchema, payload []byte, ok bool, err error) {
	// Fast path: the JsonConverter's own layout with a schema the cache knows. The payload is the rest up
	// to the closing brace; the caller's strict parse of it must consume it all.
	const open, mid = `{"schema":`, `,"payload":`
	if bytes.HasPrefix(data, []byte(open)) {
		if n, e := cache.known(data[len(open):]); n > 0 && bytes.HasPrefix(data[len(open)+n:], []byte(mid)) {
			end := len(data)
			for end > 0 && isSpace(data[end-1]) {
				end--
			}
			if end > 0 && data[end-1] == '}' {
				return data[len(open) : len(open)+n], e, data[len(open)+n+len(mid) : end-1], true, nil
			}
		}
	}
	s := &scanner{data: data}
	if s.peek() != '{' {
		return nil, nil, nil, false, nil
	}
	members := 0
	err = s.object(func(k []byte) error {
		members++
		var err error
		switch string(k) {
		case "schema":
			if n, e := cache.known(s.data[s.pos:]); n > 0 && s.peek() == '{' {
				schema, known = s.data[s.pos:s.pos+n], e
				s.pos += n
			} else {
				schema, err = s.span()
			}
		case "payload":
			payload, err = s.span()
		default:
			_, err = s.span()
		}
		return err
	})
	if err != nil {
		return nil, nil, nil, false, err
	}
	if err := s.end(); err != nil {
		return nil, nil, nil, false, err
	}
	if members == 2 && schema != nil && payload != nil {
		return schema, known, payload, true, nil
	}
	return nil, nil, nil, false, nil
}

// checkEnvelopeSchema makes sure an envelope schema has what decoding and encoding rely on: a struct
// "after", the same struct as "before" when that is present, and a string "op".
func checkEnvelopeSchema(sc *Schema) error {
	if sc.Type != Struct {
		return fmt.Errorf("envelope schema is a %s, want a struct", sc.Type)
	}
	after := sc.Field("after")
	if after == nil || after.Type != Struct {
		return fmt.Errorf("envelope schema %s has no struct field \"after\"", sc.Name)
	}
	if op := sc.Field("op"); op == nil || op.Type != String {
		return fmt.Errorf("envelope schema %s has no string field \"op\"", sc.Name)
	}
	if before := sc.Field("before"); before != nil && before != after {
		b, err1 := AppendSchemaJSON(nil, before)
		a, err2 := AppendSchemaJSON(nil, after)
		if err1 != nil || err2 != nil || string(a) != string(b) {
			return fmt.Errorf("envelope schema %s: before and after have different schemas", sc.Name)
		}
	}
	return nil
}

func checkKeySchema(sc *Schema) error {
	if sc.Type != Struct {
		return fmt.Errorf("key schema is a %s, want a struct", sc.Type)
	}
	return nil
}

// DecodeOptions let a reader that needs less than the whole event decode less.
type DecodeOptions struct {
	// SkipBefore leaves Event.Before nil: the before image is only checked to be well-formed JSON.
	SkipBefore bool
	// RoutingSource reads only the source block's db, table, ts_ms and query, what a sink routes and
	// filters by; its other members are only checked to be well-formed JSON.
	RoutingSource bool
}

// DecodeEnvelopeJSON reads a change event written by tandem or by Debezium's JsonConverter: with or
// without schemas, envelope version 1 or 2, the transaction block anywhere or absent. cache may be nil.
// A tombstone (empty value) is not an event: check for it before calling.
func DecodeEnvelopeJSON(data []byte, cache *SchemaCache) (*Event, error) {
	return DecodeEnvelopeJSONWith(data, cache, DecodeOptions{})
}

// DecodeEnvelopeJSONWith is DecodeEnvelopeJSON with options.
func DecodeEnvelopeJSONWith(data []byte, cache *SchemaCache, opt DecodeOptions) (*Event, error) {
	ev := &Event{}
	if err := DecodeEnvelopeJSONTo(ev, data, cache, opt); err != nil {
		return nil, err
	}
	return ev, nil
}

// DecodeEnvelopeJSONTo is DecodeEnvelopeJSONWith decoding into ev, which it resets first, so a reader
// that is done with one event before the next can use one Event for all. On error ev is undefined.
func DecodeEnvelopeJSONTo(ev *Event, data []byte, cache *SchemaCache, opt DecodeOptions) error {
	*ev = Event{}
	if len(data) == 0 {
		return fmt.Errorf("empty value: a tombstone is not a change event")
	}
	schemaJSON, known, payload, withSchema, err := splitSchemaPayload(data, cache)
	if err != nil {
		return err
	}
	if !withSchema {
		s := &scanner{data: data}
		if cache != nil {
			s.strs = cache.strs
		}
		return decodeSchemalessEnvelope(s, ev, cache, opt)
	}
	if ev.Schema, err = cache.parse(schemaJSON, known, envelopeSchema); err != nil {
		return fmt.Errorf("envelope schema: %w", err)
	}
	ev.Row = ev.Schema.Field("after")
	s := &scanner{data: payload}
	if cache != nil {
		s.strs = cache.strs
	}
	if null, err := s.null(); err != nil {
		return fmt.Errorf("envelope payload: %w", err)
	} else if null {
		return fmt.Errorf("envelope payload is null")
	}
	sawOp, err := parsePayload(s, &ev.Envelope, opt, func(k []byte) error {
		v, err := parseValue(s, ev.Row)
		if err == nil && v != nil {
			if string(k) == "before" {
				ev.Before = v.([]any)
			} else {
				ev.After = v.([]any)
			}
		}
		return err
	})
	if err == nil && !sawOp {
		err = fmt.Errorf("envelope has no op")
	}
	if err == nil {
		err = s.end()
	}
	return err
}

// parsePayload reads the members of an envelope payload up to the end of the document, by name, so any
// order and the older versions read alike; readRow reads "before" or "after". Unknown members are skipped,
// and so is "before" with opt.SkipBefore.
func parsePayload(s *scanner, ev *Envelope, opt DecodeOptions, readRow func(key []byte) error) (sawOp bool, err error) {
	err = s.object(func(k []byte) error {
		var err error
		switch string(k) {
		case "before":
			if opt.SkipBefore {
				_, err = s.raw()
			} else {
				err = readRow(k)
			}
		case "after":
			err = readRow(k)
		case "source":
			err = parseSource(s, &ev.Source, opt.RoutingSource)
		case "transaction":
			ev.Transaction, err = parseTransaction(s)
		case "op":
			sawOp = true
			err = parseOpField(s, &ev.Op)
		case "ts_ms", "ts_us", "ts_ns":
			err = parseOptInt(s, tsField(ev, k))
		default:
			_, err = s.raw()
		}
		if err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
		return nil
	})
	if err == nil {
		err = s.end()
	}
	return sawOp, err
}

// DecodeKeyJSON reads a record key: {"schema":…,"payload":{…}} or a schemaless object. A null key (empty
// bytes) gives nil: the table has no key.
func DecodeKeyJSON(data []byte, cache *SchemaCache) (*Key, error) {
	if len(data) == 0 {
		return nil, nil
	}
	schemaJSON, known, payload, withSchema, err := splitSchemaPayload(data, cache)
	if err != nil {
		return nil, err
	}
	k := &Key{}
	if !withSchema {
		s := &scanner{data: data}
		var prev []string
		if cache != nil {
			prev = cache.keyNames
		}
		if k.Names, k.Values, err = parseUntypedRow(s, prev); err == nil {
			err = s.end()
		}
		if err == nil && cache != nil && k.Names != nil {
			cache.keyNames = k.Names
		}
		if err == nil && k.Values == nil {
			return nil, nil
		}
		return k, err
	}
	if k.Schema, err = cache.parse(schemaJSON, known, keySchema); err != nil {
		return nil, fmt.Errorf("key schema: %w", err)
	}
	s := &scanner{data: payload}
	v, err := parseValue(s, k.Schema)
	if err == nil {
		err = s.end()
	}
	if err != nil {
		return nil, fmt.Errorf("key payload: %w", err)
	}
	if v == nil {
		return nil, nil
	}
	k.Values = v.([]any)
	for _, f := range k.Schema.Fields {
		k.Names = append(k.Names, f.Name)
	}
	return k, nil
}

func intBits(t Type) int {
	switch t {
	case Int8:
		return 8
	case Int16:
		return 16
	case Int32:
		return 32
	case Int64:
		return 64
	}
	return 0
}

// fieldIndexBytes is Schema.FieldIndex for a key that aliases the input, without allocating.
func fieldIndexBytes(sc *Schema, k []byte) int {
	for i, f := range sc.Fields {
		if f.Name == string(k) {
			return i
		}
	}
	return -1
}
