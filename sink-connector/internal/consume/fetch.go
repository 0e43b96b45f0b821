package consume

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/protocol"
	fetchAPI "github.com/segmentio/kafka-go/protocol/fetch"
)

// controlAbort is the type of the control record that marks an aborted transaction (1 marks a commit).
const controlAbort = 0

// fetchMaxBytes bounds one fetch response; a partition holds at most about twice that in memory. Larger
// responses measured no faster.
const fetchMaxBytes = 1 << 20

// fetcher reads one partition with fetch requests of its own, one response ahead of the records it
// hands out. Keys and values are copied into a buffer that is used again once its records are
// consumed, so reading a record allocates nothing: kafka-go's Reader allocates every key and value,
// which was two thirds of the sink's allocated bytes and most of its garbage collection.
//
// It reads at read_committed, passing over transaction markers and aborted transactions. Transient
// errors (a broker restarting, a leader moving) are retried here; Next returns only an error of its
// context or a permanent one.
type fetcher struct {
	topic     string
	partition int
	chunks    chan *chunk // filled by run, in offset order
	free      chan *chunk // chunks consumed, for run to fill again
	stop      context.CancelFunc
	done      chan struct{}

	cur *chunk // the chunk Next hands out records from
	i   int
	err error // permanent: every later Next returns it
	msg kafka.Message
}

// chunk holds the records of one fetch response.
type chunk struct {
	data []byte
	recs []record
	err  error // a permanent error instead of records; no chunk follows
}

type record struct {
	offset     int64
	time       time.Time
	key, value span
	headers    []kafka.Header
}

// span locates bytes in chunk.data; null (-1) for a null key or value.
type span struct{ from, to int }

var null = span{-1, -1}

func (c *chunk) bytes(s span) []byte {
	if s.from < 0 {
		return nil
	}
	return c.data[s.from:s.to:s.to]
}

// newFetcher starts reading topic[partition] at offset from (kafka.FirstOffset: the earliest record)
// through client, whose Transport must be set.
func newFetcher(client *kafka.Client, topic string, partition int, from int64, maxWait time.Duration, log *slog.Logger) *fetcher {
	ctx, stop := context.WithCancel(context.Background())
	f := &fetcher{topic: topic, partition: partition, chunks: make(chan *chunk), free: make(chan *chunk, 2),
		stop: stop, done: make(chan struct{})}
	f.free <- &chunk{}
	f.free <- &chunk{}
	go f.run(ctx, client, from, maxWait, log)
	return f
}

// Close stops reading; no Next may follow.
func (f *fetcher) Close() {
	f.stop()
	<-f.done
}

// Next returns the next record. Its key and value are valid until the next call.
func (f *fetcher) Next(ctx context.Context) (*kafka.Message, error) {
	for f.cur == nil || f.i >= len(f.cur.recs) {
		if f.err != nil {
			return nil, f.err
		}
		if f.cur != nil {
			f.free <- f.cur // never blocks: free holds every chunk run is not filling
			f.cur = nil
		}
		select {
		case c := <-f.chunks:
			if c.err != nil {
				f.err = c.err
				return nil, c.err
			}
			f.cur, f.i = c, 0
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	r := &f.cur.recs[f.i]
	f.i++
	f.msg = kafka.Message{Topic: f.topic, Partition: f.partition, Offset: r.offset, Time: r.time,
		Key: f.cur.bytes(r.key), Value: f.cur.bytes(r.value), Headers: r.headers}
	return &f.msg, nil
}

// run fetches from offset next on, filling free chunks, until ctx ends or an error no retry fixes.
func (f *fetcher) run(ctx context.Context, client *kafka.Client, next int64, maxWait time.Duration, log *slog.Logger) {
	defer close(f.done)
	backoff := time.Second
	for {
		var c *chunk
		select {
		case c = <-f.free:
		case <-ctx.Done():
			return
		}
		for {
			rctx, cancel := context.WithTimeout(ctx, maxWait+30*time.Second)
			resp, err := f.fetch(rctx, client, next, maxWait)
			cancel()
			if ctx.Err() != nil {
				return
			}
			if err == nil && resp.ErrorCode != 0 {
				err = kafka.Error(resp.ErrorCode)
			}
			var last int64
			if err == nil {
				last, err = c.fill(resp.RecordSet.Records, next, resp.AbortedTransactions)
			}
			if errors.Is(err, kafka.OffsetOutOfRange) && next == kafka.FirstOffset {
				// Reading from the earliest record, nothing applied yet: retention moved the log start between
				// listing it and fetching from it. List it again; nothing is skipped.
				log.Info("the earliest offset moved while it was read; listing it again", "topic", f.topic, "partition", f.partition)
				if !sleep(ctx, 100*time.Millisecond) {
					return
				}
				continue
			}
			if errors.Is(err, kafka.OffsetOutOfRange) && resp != nil {
				c.err = fmt.Errorf("%s[%d]: offset %d is not in Kafka (log start %d, end %d): the records from it were deleted "+
					"before they were applied, or the topic was recreated; check the target and move the offset with `sink-connector offsets set`: %w",
					f.topic, f.partition, next, resp.LogStartOffset, resp.HighWatermark, err)
				select {
				case f.chunks <- c:
				case <-ctx.Done():
				}
				return
			}
			if err != nil {
				log.Warn("fetching records failed; retrying", "topic", f.topic, "partition", f.partition, "offset", offsetText(next),
					"err", err, "retry_in", backoff)
				if !sleep(ctx, backoff) {
					return
				}
				backoff = min(backoff*2, 5*time.Second) // a fetch from a broker that is down fails at once: retrying is cheap
				continue
			}
			backoff = time.Second
			if last >= 0 && last >= next { // (next may be kafka.FirstOffset, which is negative)
				next = last + 1
			}
			if len(c.recs) > 0 {
				break
			}
		}
		select {
		case f.chunks <- c:
		case <-ctx.Done():
			return
		}
	}
}

// fetch asks the partition's leader for records from offset next (kafka.FirstOffset: the earliest),
// reading committed records only: records of a transaction still open are not returned yet, and the
// response lists the aborted transactions among those it returns.
func (f *fetcher) fetch(ctx context.Context, client *kafka.Client, next int64, maxWait time.Duration) (*fetchAPI.ResponsePartition, error) {
	if next == kafka.FirstOffset {
		res, err := client.ListOffsets(ctx, &kafka.ListOffsetsRequest{
			Topics: map[string][]kafka.OffsetRequest{f.topic: {kafka.FirstOffsetOf(f.partition)}}})
		if err != nil {
			return nil, fmt.Errorf("list offsets: %w", err)
		}
		for _, p := range res.Topics[f.topic] {
			if p.Partition == f.partition {
				if p.Error != nil {
					return nil, fmt.Errorf("list offsets: %w", p.Error)
				}
				next = p.FirstOffset
			}
		}
		if next == kafka.FirstOffset {
			return nil, fmt.Errorf("list offsets: no answer for %s[%d]", f.topic, f.partition)
		}
	}
	m, err := client.Transport.RoundTrip(ctx, client.Addr, &fetchAPI.Request{
		ReplicaID: -1, MaxWaitTime: int32(maxWait.Milliseconds()), MinBytes: 1, MaxBytes: fetchMaxBytes,
		IsolationLevel: int8(kafka.ReadCommitted), SessionID: -1, SessionEpoch: -1,
		Topics: []fetchAPI.RequestTopic{{Topic: f.topic, Partitions: []fetchAPI.RequestPartition{{
			Partition: int32(f.partition), CurrentLeaderEpoch: -1, FetchOffset: next, LogStartOffset: -1, PartitionMaxBytes: fetchMaxBytes}}}},
	})
	if err != nil {
		return nil, err
	}
	res, ok := m.(*fetchAPI.Response)
	if !ok || len(res.Topics) != 1 || len(res.Topics[0].Partitions) != 1 {
		return nil, fmt.Errorf("fetch %s[%d]: unexpected response %T", f.topic, f.partition, m)
	}
	if res.ErrorCode != 0 {
		return nil, kafka.Error(res.ErrorCode)
	}
	return &res.Topics[0].Partitions[0], nil
}

// fill copies the data records at offset from or later out of a fetch response and returns the last
// offset the response holds (-1: none). Control records (transaction markers) and the records of
// aborted transactions are passed over, the way Kafka's own consumer does it at read_committed: a
// transactional batch is aborted when its producer has an aborted transaction that starts at or before
// it and has not yet seen that transaction's abort marker.
func (c *chunk) fill(rr kafka.RecordReader, from int64, abortedTxns []fetchAPI.ResponseTransaction) (last int64, err error) {
	c.data, c.recs, last = c.data[:0], c.recs[:0], -1
	var batches []kafka.RecordReader // none when the response is empty (the long poll ended without records)
	if st, ok := rr.(*protocol.RecordStream); ok {
		batches = st.Records
	} else if rr != nil {
		batches = []kafka.RecordReader{rr}
	}
	pending := slices.SortedFunc(slices.Values(abortedTxns), func(a, b fetchAPI.ResponseTransaction) int {
		return cmp.Compare(a.FirstOffset, b.FirstOffset)
	})
	aborting := map[int64]bool{} // producers inside an aborted transaction
	for _, b := range batches {
		var producer, base int64 = -1, -1 // v2 batches; older message sets have no producer
		control, transactional := false, false
		switch b := b.(type) {
		case *protocol.ControlBatch:
			producer, base, control = b.ProducerID, b.BaseOffset, true
		case *protocol.RecordBatch:
			producer, base, transactional = b.ProducerID, b.BaseOffset, b.Attributes.Transactional()
		}
		for base >= 0 && len(pending) > 0 && pending[0].FirstOffset <= base {
			aborting[pending[0].ProducerID], pending = true, pending[1:]
		}
		skip := transactional && aborting[producer]
		for {
			r, err := b.ReadRecord()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return last, err
			}
			last = max(last, r.Offset)
			if control { // a transaction marker: an abort ends its producer's aborted transaction
				cr, err := protocol.ReadControlRecord(r) // closes the record's key and value
				if err != nil {
					return last, err
				}
				if cr.Type == controlAbort {
					delete(aborting, producer)
				}
				continue
			}
			if skip || r.Offset < from { // a response starts at its batch's first record
				closeBytes(r.Key)
				closeBytes(r.Value)
				continue
			}
			rec := record{offset: r.Offset, time: r.Time, headers: r.Headers}
			if rec.key, err = c.add(r.Key); err == nil {
				rec.value, err = c.add(r.Value)
			}
			if err != nil {
				return last, err
			}
			c.recs = append(c.recs, rec)
		}
	}
	return last, nil
}

// add copies b to the chunk's data and closes it.
func (c *chunk) add(b kafka.Bytes) (span, error) {
	if b == nil {
		return null, nil
	}
	defer b.Close()
	from := len(c.data)
	c.data = slices.Grow(c.data, b.Len())[:from+b.Len()]
	if _, err := io.ReadFull(b, c.data[from:]); err != nil {
		return null, fmt.Errorf("read a record: %w", err)
	}
	return span{from, len(c.data)}, nil
}

func closeBytes(b kafka.Bytes) {
	if b != nil {
		b.Close()
	}
}

// cloneMessage copies a message handed out by Next, to keep it past the next call.
func cloneMessage(m *kafka.Message) kafka.Message {
	out := *m
	out.Key, out.Value = bytes.Clone(m.Key), bytes.Clone(m.Value) // nil stays nil: a null key is not an empty one
	return out
}
