package checkpoint

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/segmentio/kafka-go"
)

// Store keeps the saved state of one connector. Load reports found=false when nothing was saved.
type Store interface {
	Load(ctx context.Context) (state State, found bool, err error)
	Save(ctx context.Context, state State) error
	// Reset removes the saved position, so the next start begins afresh.
	Reset(ctx context.Context) error
	Close() error
}

// record is what a store holds.
type record struct {
	State
	SavedAt time.Time `json:"saved_at"`
}

func encodeRecord(s State) []byte {
	b, _ := json.Marshal(record{State: s, SavedAt: time.Now().UTC()})
	return b
}

func decodeRecord(b []byte) (State, error) {
	var r record
	if err := json.Unmarshal(b, &r); err != nil {
		return State{}, fmt.Errorf("saved position %q is not valid: %w", b, err)
	}
	return r.State, nil
}

// FileStore keeps the position in a file, replaced atomically on each save.
type FileStore struct{ Path string }

var _ Store = (*FileStore)(nil)

// Load reads the file.
func (f *FileStore) Load(context.Context) (State, bool, error) {
	b, err := os.ReadFile(f.Path)
	if errors.Is(err, os.ErrNotExist) {
		return State{}, false, nil
	}
	if err != nil {
		return State{}, false, err
	}
	pos, err := decodeRecord(b)
	return pos, err == nil, err
}

// Save writes a temporary file, syncs it and renames it over the old one.
func (f *FileStore) Save(_ context.Context, state State) error {
	b := encodeRecord(state)
	tmp, err := os.CreateTemp(filepath.Dir(f.Path), ".position-*")
	if err != nil {
		return fmt.Errorf("save position: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("save position: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("save position: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save position: %w", err)
	}
	if err := os.Rename(tmp.Name(), f.Path); err != nil {
		return fmt.Errorf("save position: %w", err)
	}
	return nil
}

// Reset deletes the file.
func (f *FileStore) Reset(context.Context) error {
	if err := os.Remove(f.Path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// Close does nothing.
func (f *FileStore) Close() error { return nil }

// KafkaStore keeps positions in a compacted single-partition topic, keyed by connector name, like Kafka
// Connect's offsets topic.
type KafkaStore struct {
	Name      string // connector name: the record key
	Topic     string
	Brokers   []string
	Transport *kafka.Transport
	Dialer    *kafka.Dialer
	Replicas  int

	writer *kafka.Writer
}

var _ Store = (*KafkaStore)(nil)

// ensureTopic creates the offsets topic when missing: one partition, compacted.
func (k *KafkaStore) ensureTopic(ctx context.Context) error {
	client := &kafka.Client{Addr: kafka.TCP(k.Brokers...), Transport: k.Transport, Timeout: 10 * time.Second}
	resp, err := client.CreateTopics(ctx, &kafka.CreateTopicsRequest{Topics: []kafka.TopicConfig{{
		Topic: k.Topic, NumPartitions: 1, ReplicationFactor: k.Replicas,
		ConfigEntries: []kafka.ConfigEntry{{ConfigName: "cleanup.policy", ConfigValue: "compact"}},
	}}})
	if err != nil {
		return fmt.Errorf("create offsets topic %s: %w", k.Topic, err)
	}
	if err := resp.Errors[k.Topic]; err != nil && !errors.Is(err, kafka.TopicAlreadyExists) {
		return fmt.Errorf("create offsets topic %s: %w", k.Topic, err)
	}
	return nil
}

// Load reads the topic to its end and returns the last state saved under the connector's name.
func (k *KafkaStore) Load(ctx context.Context) (State, bool, error) {
	if err := k.ensureTopic(ctx); err != nil {
		return State{}, false, err
	}
	conn, err := k.dialLeader(ctx)
	if err != nil {
		return State{}, false, err
	}
	first, last, err := conn.ReadOffsets()
	conn.Close()
	if err != nil {
		return State{}, false, fmt.Errorf("offsets topic %s: %w", k.Topic, err)
	}
	var pos State
	found := false
	if last <= first {
		return pos, false, nil
	}
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: k.Brokers, Topic: k.Topic, Partition: 0, Dialer: k.Dialer,
		MinBytes: 1, MaxBytes: 1 << 20, MaxWait: 200 * time.Millisecond})
	defer r.Close()
	if err := r.SetOffset(first); err != nil {
		return pos, false, err
	}
	for {
		m, err := r.ReadMessage(ctx)
		if err != nil {
			return pos, false, fmt.Errorf("read offsets topic %s: %w", k.Topic, err)
		}
		if string(m.Key) == k.Name {
			if m.Value == nil {
				pos, found = State{}, false
			} else if pos, err = decodeRecord(m.Value); err != nil {
				return pos, false, err
			} else {
				found = true
			}
		}
		if m.Offset >= last-1 {
			return pos, found, nil
		}
	}
}

// dialLeader connects to the leader of the topic's partition, asking each broker in turn for it: any
// live broker of the cluster will do.
func (k *KafkaStore) dialLeader(ctx context.Context) (*kafka.Conn, error) {
	var errs []error
	for _, broker := range k.Brokers {
		conn, err := k.Dialer.DialLeader(ctx, "tcp", broker, k.Topic, 0)
		if err == nil {
			return conn, nil
		}
		errs = append(errs, fmt.Errorf("through %s: %w", broker, err))
		if ctx.Err() != nil {
			break
		}
	}
	return nil, fmt.Errorf("offsets topic %s: no broker gave its leader: %w", k.Topic, errors.Join(errs...))
}

func (k *KafkaStore) write(ctx context.Context, value []byte) error {
	if k.writer == nil {
		if err := k.ensureTopic(ctx); err != nil {
			return err
		}
		k.writer = &kafka.Writer{Addr: kafka.TCP(k.Brokers...), Topic: k.Topic, Transport: k.Transport,
			RequiredAcks: kafka.RequireAll, BatchTimeout: time.Millisecond, MaxAttempts: 3}
	}
	return k.writer.WriteMessages(ctx, kafka.Message{Key: []byte(k.Name), Value: value})
}

// Save writes the position and waits for all in-sync replicas to have it.
func (k *KafkaStore) Save(ctx context.Context, state State) error {
	if err := k.write(ctx, encodeRecord(state)); err != nil {
		return fmt.Errorf("save position to %s: %w", k.Topic, err)
	}
	return nil
}

// Reset writes a tombstone for the connector's key.
func (k *KafkaStore) Reset(ctx context.Context) error {
	if err := k.write(ctx, nil); err != nil {
		return fmt.Errorf("reset position in %s: %w", k.Topic, err)
	}
	return nil
}

// Close closes the writer.
func (k *KafkaStore) Close() error {
	if k.writer != nil {
		return k.writer.Close()
	}
	return nil
}
