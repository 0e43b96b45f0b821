//go:build integration

package itest

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
)

// TestKafkaKeyedRoundTrip proves the broker is real: a topic is created, keyed records are produced with
// kafka-go (acks=all, murmur2 partitioning), and read back both with kafka-go and with kcat, a third-party
// client, with every key on the partition the Java client's partitioner would choose.
func TestKafkaKeyedRoundTrip(t *testing.T) {
	env := LoadEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	const partitions, records = 3, 300
	topic := UniqueName("itest.kafka")
	CreateTopic(ctx, t, env, topic, partitions)

	w := &kafka.Writer{
		Addr:         kafka.TCP(env.KafkaBrokers...),
		Topic:        topic,
		Balancer:     &kafka.Murmur2Balancer{},
		RequiredAcks: kafka.RequireAll,
		BatchTimeout: 5 * time.Millisecond,
		BatchSize:    1000,
	}
	defer w.Close()
	want := map[string]string{}
	msgs := make([]kafka.Message, records)
	for i := range msgs {
		k, v := fmt.Sprintf("key-%03d", i), fmt.Sprintf(`{"n":%d}`, i)
		msgs[i] = kafka.Message{Key: []byte(k), Value: []byte(v)}
		want[k] = v
	}
	if err := w.WriteMessages(ctx, msgs...); err != nil {
		t.Fatalf("produce: %v", err)
	}

	wantPartition := func(key string) int {
		return (&kafka.Murmur2Balancer{}).Balance(kafka.Message{Key: []byte(key)}, 0, 1, 2)
	}

	// kafka-go, one reader per partition.
	got := map[string]string{}
	for p := 0; p < partitions; p++ {
		for _, m := range readPartition(ctx, t, env, topic, p) {
			if wp := wantPartition(string(m.Key)); wp != p {
				t.Errorf("kafka-go: key %s on partition %d, murmur2 says %d", m.Key, p, wp)
			}
			got[string(m.Key)] = string(m.Value)
		}
	}
	compareRecords(t, "kafka-go", got, want)

	// kcat, as any third-party consumer would read the topic.
	out, err := exec.CommandContext(ctx, "kcat", "-b", strings.Join(env.KafkaBrokers, ","), "-C", "-t", topic,
		"-o", "beginning", "-e", "-q", "-f", "%p\t%k\t%s\n").CombinedOutput()
	if err != nil {
		t.Fatalf("kcat: %v\n%s", err, out)
	}
	got = map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.SplitN(line, "\t", 3)
		if len(f) != 3 {
			t.Fatalf("kcat line %q: want partition, key, value", line)
		}
		if wp := fmt.Sprint(wantPartition(f[1])); wp != f[0] {
			t.Errorf("kcat: key %s on partition %s, murmur2 says %s", f[1], f[0], wp)
		}
		got[f[1]] = f[2]
	}
	compareRecords(t, "kcat", got, want)
}

// readPartition reads every record of one partition, up to its high watermark.
func readPartition(ctx context.Context, t *testing.T, env *Env, topic string, partition int) []kafka.Message {
	t.Helper()
	conn, err := kafka.DialLeader(ctx, "tcp", env.KafkaBrokers[0], topic, partition)
	if err != nil {
		t.Fatalf("dial leader of %s[%d]: %v", topic, partition, err)
	}
	last, err := conn.ReadLastOffset()
	conn.Close()
	if err != nil {
		t.Fatalf("last offset of %s[%d]: %v", topic, partition, err)
	}
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: env.KafkaBrokers, Topic: topic, Partition: partition, MaxWait: 100 * time.Millisecond})
	defer r.Close()
	var msgs []kafka.Message
	for int64(len(msgs)) < last {
		m, err := r.ReadMessage(ctx)
		if err != nil {
			t.Fatalf("read %s[%d] after %d records: %v", topic, partition, len(msgs), err)
		}
		msgs = append(msgs, m)
	}
	return msgs
}

// CreateTopic creates a topic with the given partition count and replication factor 1.
func CreateTopic(ctx context.Context, t testing.TB, env *Env, topic string, partitions int) {
	t.Helper()
	client := &kafka.Client{Addr: kafka.TCP(env.KafkaBrokers...), Timeout: 10 * time.Second}
	resp, err := client.CreateTopics(ctx, &kafka.CreateTopicsRequest{Topics: []kafka.TopicConfig{
		{Topic: topic, NumPartitions: partitions, ReplicationFactor: 1},
	}})
	if err != nil {
		t.Fatalf("create topic %s: %v", topic, err)
	}
	if err := resp.Errors[topic]; err != nil {
		t.Fatalf("create topic %s: %v", topic, err)
	}
}

func compareRecords(t *testing.T, reader string, got, want map[string]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s read %d distinct keys, want %d", reader, len(got), len(want))
	}
	var diffs bytes.Buffer
	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if got[k] != want[k] {
			fmt.Fprintf(&diffs, "  %s: got %q, want %q\n", k, got[k], want[k])
		}
	}
	if diffs.Len() > 0 {
		t.Errorf("%s read different records:\n%s", reader, diffs.String())
	}
}

// WarmGroupCoordinator waits until the broker can coordinate consumer groups. On a new broker the first
// group makes it create __consumer_offsets (seconds of work): benchmarks wait for that
// before they start the clock, so it is not counted as the sink's start-up.
func WarmGroupCoordinator(ctx context.Context, t testing.TB, env *Env) {
	t.Helper()
	client := &kafka.Client{Addr: kafka.TCP(env.KafkaBrokers...), Timeout: 10 * time.Second}
	WaitFor(t, time.Minute, "the broker's group coordinator", func() bool {
		resp, err := client.FindCoordinator(ctx, &kafka.FindCoordinatorRequest{Key: "tandem-warm-up", KeyType: kafka.CoordinatorKeyTypeConsumer})
		return err == nil && resp.Error == nil
	})
}
