package consume

import (
	"testing"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/protocol"
)

// TestChunkFill: a fetch response's data records at or after the offset asked for are kept with their
// keys, values and headers (null apart from empty), transaction markers are passed over, and the last
// offset seen counts them all, so the next fetch starts after them.
func TestChunkFill(t *testing.T) {
	rec := func(offset int64, key, value []byte, h ...kafka.Header) kafka.Record {
		return kafka.Record{Offset: offset, Key: protocol.NewBytes(key), Value: protocol.NewBytes(value), Headers: h}
	}
	resp := &protocol.RecordStream{Records: []kafka.RecordReader{
		kafka.NewRecordReader(rec(4, []byte("k4"), []byte("v4")), rec(5, []byte("k5"), []byte("v5"))),
		kafka.NewRecordReader(rec(6, []byte("k6"), nil, kafka.Header{Key: "h", Value: []byte("x")}), rec(7, nil, []byte{})),
		&protocol.ControlBatch{Records: kafka.NewRecordReader(rec(8, []byte{0, 0, 0, 1}, []byte{0, 0}))},
	}}
	var c chunk
	last, err := c.fill(resp, 5)
	if err != nil {
		t.Fatal(err)
	}
	if last != 8 {
		t.Errorf("last offset %d, want 8 (the transaction marker counts)", last)
	}
	f := &fetcher{topic: "t", partition: 0, cur: &c}
	var got []kafka.Message
	for range 3 {
		m, err := f.Next(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, cloneMessage(m))
	}
	want := []struct {
		offset     int64
		key, value []byte
		headers    int
	}{{5, []byte("k5"), []byte("v5"), 0}, {6, []byte("k6"), nil, 1}, {7, nil, []byte{}, 0}}
	for i, w := range want {
		m := got[i]
		if m.Offset != w.offset || string(m.Key) != string(w.key) || (m.Key == nil) != (w.key == nil) ||
			string(m.Value) != string(w.value) || (m.Value == nil) != (w.value == nil) || len(m.Headers) != w.headers {
			t.Errorf("record %d: offset %d key %q (nil %t) value %q (nil %t) headers %v; want %+v",
				i, m.Offset, m.Key, m.Key == nil, m.Value, m.Value == nil, m.Headers, w)
		}
	}
	// The buffer is used again for the next response: records handed out before must have been copied.
	if _, err := c.fill(kafka.NewRecordReader(rec(9, []byte("xx"), []byte("yy"))), 9); err != nil {
		t.Fatal(err)
	}
	if string(got[0].Key) != "k5" || string(got[0].Value) != "v5" {
		t.Errorf("a cloned message changed with the buffer: %q %q", got[0].Key, got[0].Value)
	}
}
