package stream

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/tandemcdc/tandem/source-connector/internal/config"
	"github.com/tandemcdc/tandem/source-connector/internal/produce"
)

// heartbeats writes Debezium's heartbeat record to __debezium-heartbeat.<prefix> every interval, so
// consumers see the connector alive while captured tables are idle.
func heartbeats(ctx context.Context, readerDone <-chan struct{}, cfg *config.Config, transport *kafka.Transport, log *slog.Logger) error {
	topic := "__debezium-heartbeat." + cfg.TopicPrefix
	client := &kafka.Client{Addr: kafka.TCP(cfg.Kafka.Brokers...), Transport: transport, Timeout: 10 * time.Second}
	if err := produce.EnsureTopic(ctx, client, topic, 1, cfg.Kafka.ReplicationFactor, "delete"); err != nil {
		return err
	}
	w := &kafka.Writer{Addr: kafka.TCP(cfg.Kafka.Brokers...), Topic: topic, Transport: transport,
		RequiredAcks: kafka.RequireAll, BatchTimeout: time.Millisecond}
	defer w.Close()
	key := []byte(`{"serverName":"` + cfg.TopicPrefix + `"}`)
	if cfg.Events.Schemas {
		key = []byte(`{"schema":{"type":"struct","fields":[{"type":"string","optional":false,"field":"serverName"}],` +
			`"optional":false,"name":"io.debezium.connector.common.ServerNameKey","version":1},"payload":` + string(key) + `}`)
	}
	tick := time.NewTicker(cfg.Events.HeartbeatInterval)
	defer tick.Stop()
	for {
		select {
		case <-readerDone:
			return nil
		case <-ctx.Done():
			return nil
		case now := <-tick.C:
			value := fmt.Sprintf(`{"ts_ms":%d}`, now.UnixMilli())
			if cfg.Events.Schemas {
				value = `{"schema":{"type":"struct","fields":[{"type":"int64","optional":false,"field":"ts_ms"}],` +
					`"optional":false,"name":"io.debezium.connector.common.Heartbeat","version":1},"payload":` + value + `}`
			}
			if err := w.WriteMessages(ctx, kafka.Message{Key: key, Value: []byte(value)}); err != nil && ctx.Err() == nil {
				log.Warn("heartbeat not written", "topic", topic, "err", err)
			}
		}
	}
}
