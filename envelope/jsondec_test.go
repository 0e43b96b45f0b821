package envelope

import (
	"strings"
	"testing"
)

// TestDecodeFastPathStrict: once the cache knows a schema, messages take the fast path; a payload
// followed by anything but the closing brace is still refused.
func TestDecodeFastPathStrict(t *testing.T) {
	table, ev := benchTable(t)
	opt := JSONOptions{Schemas: true}
	msg, err := table.AppendEnvelopeJSON(nil, ev, opt)
	if err != nil {
		t.Fatal(err)
	}
	key, _, err := table.AppendKeyJSON(nil, table.KeyOf(ev.After), opt)
	if err != nil {
		t.Fatal(err)
	}
	cache := NewSchemaCache(4)
	for i := 0; i < 3; i++ { // keys and values in turn, as the sink reads them
		if _, err := DecodeKeyJSON(key, cache); err != nil {
			t.Fatal(err)
		}
		if _, err := DecodeEnvelopeJSON(msg, cache); err != nil {
			t.Fatal(err)
		}
	}
	body := msg[:len(msg)-1]
	for _, bad := range []string{`,"extra":1}`, `}}`, ` x}`, "\x00}"} {
		if _, err := DecodeEnvelopeJSON(append(append([]byte{}, body...), bad...), cache); err == nil {
			t.Errorf("payload followed by %q was accepted", bad)
		}
	}
	if _, err := DecodeEnvelopeJSON(append(append([]byte{}, msg...), " \n"...), cache); err != nil {
		t.Errorf("trailing white space: %v", err)
	}
}

// TestCachedSchemaCheckedPerUse: a schema text the cache knows as a key schema is still checked when a
// message uses it as its envelope schema, and refused there, from the map and from the recent texts.
func TestCachedSchemaCheckedPerUse(t *testing.T) {
	const schema = `{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"}],"optional":false,"name":"k"}`
	key := []byte(`{"schema":` + schema + `,"payload":{"id":1}}`)
	value := []byte(`{"schema":` + schema + `,"payload":{"id":1}}`)
	spaced := []byte(`{"schema": ` + schema + `, "payload": {"id":1}}`) // the slow path, through the map
	for _, msg := range [][]byte{value, spaced} {
		cache := NewSchemaCache(4)
		if _, err := DecodeKeyJSON(key, cache); err != nil {
			t.Fatal(err)
		}
		_, err := DecodeEnvelopeJSON(msg, cache)
		if err == nil || !strings.Contains(err.Error(), `no struct field "after"`) {
			t.Errorf("%s: a key schema served as an envelope schema: %v", msg, err)
		}
		if _, err := DecodeKeyJSON(key, cache); err != nil {
			t.Errorf("the key no longer decodes: %v", err)
		}
	}
}

// TestConvertUntypedBoolToInteger: Debezium writes a column it parsed as BOOLEAN (a TINYINT(1) created
// with BOOLEAN in its DDL) as true/false; without schemas the sink reads the target's TINYINT(1) as an
// integer type, so true and false are 1 and 0.
func TestConvertUntypedBoolToInteger(t *testing.T) {
	for _, c := range []struct {
		typ  Type
		in   bool
		want any
	}{{Int8, true, int8(1)}, {Int16, false, int16(0)}, {Int32, true, int32(1)}, {Int64, true, int64(1)}} {
		got, err := ConvertUntyped(&Schema{Type: c.typ}, c.in)
		if err != nil || got != c.want {
			t.Errorf("%s %v: %#v, %v; want %#v", c.typ, c.in, got, err, c.want)
		}
	}
	if _, err := ConvertUntyped(&Schema{Type: String}, true); err == nil {
		t.Error("a boolean converted to a string")
	}
}
