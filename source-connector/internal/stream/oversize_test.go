package stream

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/segmentio/kafka-go"
)

func TestTooLarge(t *testing.T) {
	withSchema := kafka.Message{Topic: "p.shop.blobs", Value: []byte(`{"schema":{},"payload":{"after":{"b":"` + strings.Repeat("x", 100) +
		`"},"source":{"db":"shop","table":"blobs","file":"bin.000003","pos":4242,"gtid":"0-1-9"}}}`)}
	plain := kafka.Message{Topic: "p.shop.small", Value: []byte(`{"source":{"db":"shop","table":"small","file":"bin.000003","pos":1}}`)}
	other := errors.New("connection refused")
	for _, c := range []struct {
		name      string
		err       error
		msgs      []kafka.Message
		permanent bool
		says      []string
	}{
		{"nil", nil, nil, false, nil},
		{"other error", other, []kafka.Message{withSchema}, false, []string{"connection refused"}},
		{"client-side check", kafka.MessageTooLargeError{Message: withSchema}, nil, true,
			[]string{"shop.blobs", "bin.000003:4242", "0-1-9", "message.max.bytes", "max.message.bytes", "kafka.batch_bytes (now 1048576)"}},
		{"broker refusal, largest named", fmt.Errorf("write: %w", kafka.MessageSizeTooLarge), []kafka.Message{plain, withSchema}, true,
			[]string{"shop.blobs", "p.shop.blobs"}},
		{"no record to name", kafka.MessageSizeTooLarge, nil, true, []string{"message.max.bytes"}},
	} {
		got := tooLarge(c.err, c.msgs, 1<<20)
		if (got == nil) != (c.err == nil) || errors.Is(got, ErrPermanent) != c.permanent {
			t.Errorf("%s: %v (permanent %v, want %v)", c.name, got, errors.Is(got, ErrPermanent), c.permanent)
			continue
		}
		for _, s := range c.says {
			if !strings.Contains(got.Error(), s) {
				t.Errorf("%s: %q does not say %q", c.name, got, s)
			}
		}
		if c.permanent && retryable(got) {
			t.Errorf("%s: retryable", c.name)
		}
	}
}
