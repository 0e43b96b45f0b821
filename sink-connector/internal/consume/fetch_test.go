package consume

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/protocol"
	fetchAPI "github.com/segmentio/kafka-go/protocol/fetch"
	"github.com/segmentio/kafka-go/protocol/listoffsets"
)

func rec(offset int64, key, value []byte, h ...kafka.Header) kafka.Record {
	return kafka.Record{Offset: offset, Key: protocol.NewBytes(key), Value: protocol.NewBytes(value), Headers: h}
}

// TestChunkFill: a fetch response's data records at or after the offset asked for are kept with their
// keys, values and headers (null apart from empty), transaction markers are passed over, and the last
// offset seen counts them all, so the next fetch starts after them.
func TestChunkFill(t *testing.T) {
	resp := &protocol.RecordStream{Records: []kafka.RecordReader{
		kafka.NewRecordReader(rec(4, []byte("k4"), []byte("v4")), rec(5, []byte("k5"), []byte("v5"))),
		kafka.NewRecordReader(rec(6, []byte("k6"), nil, kafka.Header{Key: "h", Value: []byte("x")}), rec(7, nil, []byte{})),
		&protocol.ControlBatch{Records: kafka.NewRecordReader(rec(8, []byte{0, 0, 0, 1}, []byte{0, 0, 0, 0, 0, 0}))},
	}}
	var c chunk
	last, err := c.fill(resp, 5, nil)
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
	// An empty response (a long poll that ended without records) has no record set.
	if last, err := c.fill(nil, 10, nil); err != nil || last != -1 || len(c.recs) != 0 {
		t.Errorf("empty response: last %d, %d records, %v", last, len(c.recs), err)
	}
	// The buffer is used again for the next response: records handed out before must have been copied.
	if _, err := c.fill(kafka.NewRecordReader(rec(9, []byte("xx"), []byte("yy"))), 9, nil); err != nil {
		t.Fatal(err)
	}
	if string(got[0].Key) != "k5" || string(got[0].Value) != "v5" {
		t.Errorf("a cloned message changed with the buffer: %q %q", got[0].Key, got[0].Value)
	}
}

// TestChunkFillSkipsAborted: at read_committed a response holds the records of aborted transactions too,
// listed by producer and first offset; they are passed over up to their abort marker, while committed
// transactions, other producers and plain records are kept.
func TestChunkFillSkipsAborted(t *testing.T) {
	data := func(producer, base int64, txn bool, offsets ...int64) kafka.RecordReader {
		var recs []kafka.Record
		for _, o := range offsets {
			recs = append(recs, rec(o, fmt.Appendf(nil, "k%d", o), fmt.Appendf(nil, "v%d", o)))
		}
		b := &protocol.RecordBatch{BaseOffset: base, ProducerID: producer, Records: kafka.NewRecordReader(recs...)}
		if txn {
			b.Attributes = protocol.Transactional
		}
		return b
	}
	marker := func(producer, offset int64, commit bool) kafka.RecordReader {
		key := []byte{0, 0, 0, 0}
		if commit {
			key[3] = 1
		}
		return &protocol.ControlBatch{Attributes: protocol.Transactional | protocol.Control, BaseOffset: offset, ProducerID: producer,
			Records: kafka.NewRecordReader(rec(offset, key, []byte{0, 0, 0, 0, 0, 0}))}
	}
	resp := &protocol.RecordStream{Records: []kafka.RecordReader{
		data(1, 0, true, 0, 1), // producer 1: aborted (from offset 0)
		data(2, 2, true, 2),    // producer 2: committed
		data(-1, 3, false, 3),  // no transaction
		data(1, 4, true, 4),    // still producer 1's aborted transaction
		marker(1, 5, false),    // its abort marker
		marker(2, 6, true),     // producer 2's commit
		data(1, 7, true, 7),    // producer 1's next transaction: committed
		data(3, 8, true, 8, 9), // producer 3: aborted from 8, marker in a later response
		marker(1, 10, true),
	}}
	aborted := []fetchAPI.ResponseTransaction{{ProducerID: 3, FirstOffset: 8}, {ProducerID: 1, FirstOffset: 0}}
	var c chunk
	last, err := c.fill(resp, 0, aborted)
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	for _, r := range c.recs {
		got = append(got, r.offset)
	}
	if want := []int64{2, 3, 7}; !slices.Equal(got, want) || last != 10 {
		t.Errorf("kept offsets %v, last %d; want %v, last 10", got, last, want)
	}
}

// retentionBroker answers a fetcher the way a broker does when retention deletes the earliest records
// between the fetcher's ListOffsets and its Fetch: the first listing says 0, the fetch from 0 is out of
// range, the second listing says 5, where the records are.
type retentionBroker struct {
	listings, fetches int
}

func (b *retentionBroker) RoundTrip(_ context.Context, _ net.Addr, m protocol.Message) (protocol.Message, error) {
	switch req := m.(type) {
	case *listoffsets.Request:
		first := int64(0)
		if b.listings++; b.listings > 1 {
			first = 5
		}
		return &listoffsets.Response{Topics: []listoffsets.ResponseTopic{{Topic: req.Topics[0].Topic,
			Partitions: []listoffsets.ResponsePartition{{Partition: 0, Offset: first, Timestamp: kafka.FirstOffset}}}}}, nil
	case *fetchAPI.Request:
		b.fetches++
		p := fetchAPI.ResponsePartition{Partition: 0, HighWatermark: 6, LogStartOffset: 5}
		if req.Topics[0].Partitions[0].FetchOffset < 5 {
			p.ErrorCode = int16(kafka.OffsetOutOfRange)
		} else {
			p.RecordSet = protocol.RecordSet{Version: 2, Records: kafka.NewRecordReader(rec(5, []byte("k5"), []byte("v5")))}
		}
		return &fetchAPI.Response{Topics: []fetchAPI.ResponseTopic{{Topic: req.Topics[0].Topic, Partitions: []fetchAPI.ResponsePartition{p}}}}, nil
	}
	return nil, fmt.Errorf("unexpected request %T", m)
}

// TestFetcherEarliestMoved: reading from the earliest record (nothing applied yet), an OffsetOutOfRange
// because retention moved the log start is not a stop: the fetcher lists the earliest offset again.
func TestFetcherEarliestMoved(t *testing.T) {
	b := &retentionBroker{}
	client := &kafka.Client{Addr: kafka.TCP("broker:9092"), Transport: b}
	f := newFetcher(client, "t", 0, kafka.FirstOffset, 10*time.Millisecond, slog.New(slog.DiscardHandler))
	defer f.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	m, err := f.Next(ctx)
	if err != nil {
		t.Fatalf("%v (after %d listings, %d fetches)", err, b.listings, b.fetches)
	}
	if m.Offset != 5 || string(m.Value) != "v5" {
		t.Errorf("read offset %d %q, want 5 v5", m.Offset, m.Value)
	}
}
