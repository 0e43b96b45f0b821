// Package produce writes records to Kafka asynchronously, with acknowledgements from all in-sync replicas,
// Java-compatible murmur2 partitioning and a bound on the records in flight, and creates topics on demand.
package produce

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/segmentio/kafka-go"
	"golang.org/x/sync/semaphore"
)

// Config shapes the producer.
type Config struct {
	Brokers           []string
	Transport         *kafka.Transport
	Partitions        int
	ReplicationFactor int
	CleanupPolicy     string
	Compression       string
	BatchSize         int
	BatchBytes        int
	Linger            time.Duration
	MaxInFlightBytes  int64 // key and value bytes sent but not yet acknowledged, at most
	WriteTimeout      time.Duration
}

// Producer sends records; the done callback is called once per delivered or failed batch, from kafka-go's
// goroutines, with the records of the batch (their WriterData identifies them to the caller). Send blocks
// while MaxInFlightBytes wait for acknowledgement, which bounds memory whatever the transaction size.
// Send may be called from one goroutine at a time; Close waits for every record sent to complete.
type Producer struct {
	cfg    Config
	writer *kafka.Writer
	client *kafka.Client
	slots  *semaphore.Weighted // one unit per byte in flight

	mu      sync.Mutex
	created map[string]bool // topics known to exist
}

// New returns a producer that reports completions to done.
func New(cfg Config, done func(msgs []kafka.Message, err error)) (*Producer, error) {
	var codec kafka.Compression
	switch cfg.Compression {
	case "none", "":
	case "gzip":
		codec = kafka.Gzip
	case "snappy":
		codec = kafka.Snappy
	case "lz4":
		codec = kafka.Lz4
	case "zstd":
		codec = kafka.Zstd
	default:
		return nil, fmt.Errorf("kafka.compression %q is not known", cfg.Compression)
	}
	p := &Producer{cfg: cfg, slots: semaphore.NewWeighted(cfg.MaxInFlightBytes), created: map[string]bool{}}
	p.client = &kafka.Client{Addr: kafka.TCP(cfg.Brokers...), Transport: cfg.Transport, Timeout: 10 * time.Second}
	p.writer = &kafka.Writer{
		Addr:         kafka.TCP(cfg.Brokers...),
		Balancer:     &kafka.Murmur2Balancer{},
		RequiredAcks: kafka.RequireAll,
		Async:        true,
		BatchSize:    cfg.BatchSize,
		BatchBytes:   int64(cfg.BatchBytes),
		BatchTimeout: cfg.Linger,
		WriteTimeout: cfg.WriteTimeout,
		Compression:  codec,
		Transport:    cfg.Transport,
		MaxAttempts:  5,
		Completion: func(msgs []kafka.Message, err error) {
			// Give back exactly what each record took, once, and restore the caller's WriterData.
			var release int64
			for i := range msgs {
				if t, ok := msgs[i].WriterData.(*tracked); ok {
					if t.done.CompareAndSwap(false, true) {
						release += t.weight
					}
					msgs[i].WriterData = t.data
				}
			}
			done(msgs, err)
			p.slots.Release(release)
		},
	}
	return p, nil
}

// Send queues msgs, blocking while too many bytes wait for acknowledgement. It creates the topics it has
// not seen yet.
func (p *Producer) Send(ctx context.Context, msgs []kafka.Message) error {
	for i := range msgs {
		if i > 0 && msgs[i].Topic == msgs[i-1].Topic {
			continue
		}
		if err := p.ensureTopic(ctx, msgs[i].Topic); err != nil {
			return err
		}
	}
	// Each record takes its size from the budget; when the budget is spent, what was taken so far is handed
	// to the writer (so it can complete) before waiting for more.
	start := 0
	for i := range msgs {
		w := min(int64(len(msgs[i].Key)+len(msgs[i].Value))+64, p.cfg.MaxInFlightBytes)
		if !p.slots.TryAcquire(w) {
			if err := p.write(ctx, msgs[start:i]); err != nil {
				return err
			}
			start = i
			if err := p.slots.Acquire(ctx, w); err != nil {
				return err
			}
		}
		msgs[i].WriterData = &tracked{data: msgs[i].WriterData, weight: w}
	}
	return p.write(ctx, msgs[start:])
}

// tracked is what the producer attaches to a record in flight.
type tracked struct {
	data   any   // the caller's WriterData
	weight int64 // taken from the in-flight budget
	done   atomic.Bool
}

// write hands records whose budget is taken to the writer, giving the budget back if it refuses them.
func (p *Producer) write(ctx context.Context, msgs []kafka.Message) error {
	if len(msgs) == 0 {
		return nil
	}
	if err := p.writer.WriteMessages(ctx, msgs...); err != nil {
		var w int64
		for i := range msgs {
			t := msgs[i].WriterData.(*tracked)
			w += t.weight
			msgs[i].WriterData = t.data
		}
		p.slots.Release(w)
		return fmt.Errorf("queue %d records: %w", len(msgs), err)
	}
	return nil
}

// ensureTopic creates topic with the configured partitions, replication and cleanup policy if it does not
// exist yet.
func (p *Producer) ensureTopic(ctx context.Context, topic string) error {
	p.mu.Lock()
	known := p.created[topic]
	p.mu.Unlock()
	if known {
		return nil
	}
	if err := EnsureTopic(ctx, p.client, topic, p.cfg.Partitions, p.cfg.ReplicationFactor, p.cfg.CleanupPolicy); err != nil {
		return err
	}
	p.mu.Lock()
	p.created[topic] = true
	p.mu.Unlock()
	return nil
}

// EnsureTopic creates a topic unless it exists, and waits until the cluster's metadata lists it.
func EnsureTopic(ctx context.Context, client *kafka.Client, topic string, partitions, replicas int, cleanup string) error {
	resp, err := client.CreateTopics(ctx, &kafka.CreateTopicsRequest{Topics: []kafka.TopicConfig{{
		Topic: topic, NumPartitions: partitions, ReplicationFactor: replicas,
		ConfigEntries: []kafka.ConfigEntry{{ConfigName: "cleanup.policy", ConfigValue: cleanup}},
	}}})
	if err != nil {
		return fmt.Errorf("create topic %s: %w", topic, err)
	}
	if err := resp.Errors[topic]; err != nil && !errors.Is(err, kafka.TopicAlreadyExists) {
		return fmt.Errorf("create topic %s: %w", topic, err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		md, err := client.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{topic}})
		if err == nil && len(md.Topics) == 1 && md.Topics[0].Error == nil && len(md.Topics[0].Partitions) > 0 {
			return nil
		}
		if time.Now().After(deadline) {
			if cause := errors.Join(err, topicErr(md)); cause != nil {
				return fmt.Errorf("topic %s not ready after 30s: %w", topic, cause)
			}
			return fmt.Errorf("topic %s not ready after 30s", topic)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func topicErr(md *kafka.MetadataResponse) error {
	if md != nil && len(md.Topics) == 1 {
		return md.Topics[0].Error
	}
	return nil
}

// Close flushes every queued record and waits for its completion.
func (p *Producer) Close() error {
	return p.writer.Close()
}

// Stats returns kafka-go's writer statistics since the last call.
func (p *Producer) Stats() kafka.WriterStats { return p.writer.Stats() }
