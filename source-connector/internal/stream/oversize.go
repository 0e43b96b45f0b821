package stream

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/segmentio/kafka-go"
)

// tooLarge turns Kafka's refusal of an oversized record (kafka-go's own check against kafka.batch_bytes, or
// the broker's MESSAGE_TOO_LARGE) into a permanent error naming the table, the binlog position and the
// settings to raise: sending the same record again cannot succeed, and retrying it would stall every table.
// Other errors are returned as they are.
func tooLarge(err error, msgs []kafka.Message, batchBytes int) error {
	if !errors.Is(err, kafka.MessageSizeTooLarge) {
		return err
	}
	var one kafka.MessageTooLargeError
	var largest *kafka.Message
	if errors.As(err, &one) {
		largest = &one.Message
	}
	for i := range msgs {
		if largest == nil || recordSize(&msgs[i]) > recordSize(largest) {
			largest = &msgs[i]
		}
	}
	if largest == nil {
		return fmt.Errorf("%w: %w: raise the broker's message.max.bytes or the topic's max.message.bytes, and kafka.batch_bytes (%d)",
			ErrPermanent, err, batchBytes)
	}
	where := "a record"
	if src, ok := recordSource(largest.Value); ok {
		where = fmt.Sprintf("a record of table %s.%s (binlog %s:%d, GTID %s)", src.DB, src.Table, src.File, src.Pos, src.GTID)
	}
	return fmt.Errorf("%w: %s for topic %s is %d bytes, more than Kafka accepts (%w): raise the broker's "+
		"message.max.bytes or the topic's max.message.bytes and the source's kafka.batch_bytes (now %d) above it, or "+
		"leave the large column out (filters.exclude_columns); the source resumes at that change when restarted",
		ErrPermanent, where, largest.Topic, recordSize(largest), err, batchBytes)
}

func recordSize(m *kafka.Message) int {
	n := len(m.Key) + len(m.Value)
	for _, h := range m.Headers {
		n += len(h.Key) + len(h.Value)
	}
	return n
}

// recordSource reads the source block of a change record, with or without the JSON schema.
func recordSource(value []byte) (src recordSourceBlock, ok bool) {
	var v struct {
		Payload *struct {
			Source *recordSourceBlock `json:"source"`
		} `json:"payload"`
		Source *recordSourceBlock `json:"source"`
	}
	if json.Unmarshal(value, &v) != nil {
		return src, false
	}
	switch {
	case v.Payload != nil && v.Payload.Source != nil:
		return *v.Payload.Source, true
	case v.Source != nil:
		return *v.Source, true
	}
	return src, false
}

type recordSourceBlock struct {
	DB    string `json:"db"`
	Table string `json:"table"`
	File  string `json:"file"`
	Pos   int64  `json:"pos"`
	GTID  string `json:"gtid"`
}
