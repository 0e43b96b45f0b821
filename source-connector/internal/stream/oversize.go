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
	what := fmt.Sprintf("%s for topic %s is %d bytes", where, largest.Topic, recordSize(largest))
	if len(msgs) > 1 {
		total := 0
		for i := range msgs {
			total += recordSize(&msgs[i])
		}
		what = fmt.Sprintf("a batch of %d records is %d bytes (the largest, %s for topic %s, %d bytes)",
			len(msgs), total, where, largest.Topic, recordSize(largest))
	}
	return fmt.Errorf("%w: %s, more than Kafka accepts (%w): raise the broker's message.max.bytes or the topic's "+
		"max.message.bytes above the largest record, and keep the source's kafka.batch_bytes (now %d) between the two, "+
		"or leave the large column out (filters.exclude_columns); the source resumes at that change when restarted",
		ErrPermanent, what, err, batchBytes)
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
