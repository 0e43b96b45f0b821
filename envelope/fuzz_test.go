package envelope

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// seedFiles adds every golden message as a fuzz seed.
func seedFiles(f *testing.F) {
	paths, _ := filepath.Glob("testdata/*.json")
	more, _ := filepath.Glob("testdata/ops/*.json")
	for _, p := range append(paths, more...) {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(bytes.TrimSpace(b))
	}
	f.Add([]byte(`{"op":"c","after":{"a":1,"b":"x","c":[1,{"d":null}]}}`))
	f.Add([]byte(`{"schema":{"type":"map","keys":{"type":"int32","optional":false},"values":{"type":"string","optional":true},"optional":false},"payload":[[1,"a"]]}`))
}

// FuzzDecodeEnvelopeJSON: any input either fails with an error or decodes to an event that encodes, and
// whose encoding decodes and encodes to the same bytes.
func FuzzDecodeEnvelopeJSON(f *testing.F) {
	seedFiles(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		ev, err := DecodeEnvelopeJSON(data, nil)
		// With a warm cache (the fast path) the verdict is the same.
		cache := NewSchemaCache(4)
		for i := 0; i < 2; i++ {
			if _, cerr := DecodeEnvelopeJSON(data, cache); (cerr == nil) != (err == nil) {
				t.Fatalf("cached decode #%d: %v, uncached: %v", i+1, cerr, err)
			}
		}
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		if ev.Schema == nil {
			return
		}
		table, err := NewTableFromSchemas(nil, ev.Schema)
		if err != nil {
			return
		}
		first, err := table.AppendEnvelopeJSON(nil, &ev.Envelope, JSONOptions{Schemas: true})
		if err != nil {
			return // e.g. a required field that the input left null
		}
		again, err := DecodeEnvelopeJSON(first, nil)
		if err != nil {
			t.Fatalf("our own output does not decode: %v\n%s", err, first)
		}
		second, err := table.AppendEnvelopeJSON(nil, &again.Envelope, JSONOptions{Schemas: true})
		if err != nil || !bytes.Equal(first, second) {
			t.Fatalf("re-encoding is not stable (%v):\n%s\n%s", err, first, second)
		}
	})
}

func FuzzDecodeKeyJSON(f *testing.F) {
	seedFiles(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := DecodeKeyJSON(data, nil)
		if err != nil || k == nil || k.Schema == nil {
			return
		}
		if len(k.Names) != len(k.Values) {
			t.Fatalf("%d names for %d values", len(k.Names), len(k.Values))
		}
	})
}

func FuzzParseSchemaJSON(f *testing.F) {
	seedFiles(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseSchemaJSON(data)
		if err != nil {
			return
		}
		out, err := AppendSchemaJSON(nil, s)
		if err != nil {
			return
		}
		s2, err := ParseSchemaJSON(out)
		if err != nil {
			t.Fatalf("our own schema JSON does not parse: %v\n%s", err, out)
		}
		out2, _ := AppendSchemaJSON(nil, s2)
		if !bytes.Equal(out, out2) {
			t.Fatalf("schema JSON not stable:\n%s\n%s", out, out2)
		}
	})
}

func FuzzParseDecimal(f *testing.F) {
	for _, s := range []string{"0", "-12345678.90", "1E+3", "1.5e-2", ".5", "-", "1e999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDecimal(s)
		if err != nil {
			return
		}
		back, err := ParseDecimal(d.String())
		if err != nil || back.String() != d.String() {
			t.Fatalf("%q -> %s -> %v %v", s, d, back, err)
		}
		if got := decimalFromTwosComplement(d.twosComplement(), d.Scale); got.String() != d.String() {
			t.Fatalf("%q: two's complement round trip gives %s", s, got)
		}
	})
}
