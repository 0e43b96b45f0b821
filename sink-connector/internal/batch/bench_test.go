package batch

import (
	"fmt"
	"testing"

	"github.com/segmentio/kafka-go"

	"github.com/tandemcdc/tandem/envelope"
)

// BenchmarkAdd measures planning one record of the sink benchmark's table (4 columns, a full source
// block), as Debezium's JSON with and without schemas.
func BenchmarkAdd(b *testing.B) {
	for _, schemas := range []bool{true, false} {
		b.Run(fmt.Sprintf("schemas=%t", schemas), func(b *testing.B) {
			fields := []envelope.Field{
				{Name: "id", Schema: &envelope.Schema{Type: envelope.Int64}},
				{Name: "a", Schema: &envelope.Schema{Type: envelope.Int32, Optional: true}},
				{Name: "b", Schema: &envelope.Schema{Type: envelope.String, Optional: true}},
				{Name: "c", Schema: &envelope.Schema{Type: envelope.Int64, Optional: true, Name: envelope.MicroTimestampName, Version: 1}},
			}
			wire, err := envelope.NewTable("bench", "benchdb", "t", fields, []string{"id"}, envelope.SourceSchema("mariadb"))
			if err != nil {
				b.Fatal(err)
			}
			opt := envelope.JSONOptions{Schemas: schemas}
			var msgs []kafka.Message
			for i := range 1000 {
				row := []any{int64(i), int32(i % 1000), fmt.Sprintf("row-%d-gen-1-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", i), int64(1700000000000000 + i)}
				ev := &envelope.Envelope{Before: row, After: row, Op: envelope.OpUpdate, Source: envelope.Source{Version: "bench",
					Connector: "mariadb", Name: "bench", DB: "benchdb", Table: "t", Snapshot: "false", File: "f", Pos: 4, ServerID: 1, TsMs: 1700000000000}}
				key, _, err := wire.AppendKeyJSON(nil, wire.KeyOf(row), opt)
				if err != nil {
					b.Fatal(err)
				}
				value, err := wire.AppendEnvelopeJSON(nil, ev, opt)
				if err != nil {
					b.Fatal(err)
				}
				msgs = append(msgs, kafka.Message{Topic: "bench.benchdb.t", Offset: int64(i), Key: key, Value: value})
			}
			bl := builder(b, nil)
			b.ReportAllocs()
			p, i := NewPlan(), 0
			for b.Loop() {
				if err := bl.Add(p, &msgs[i]); err != nil {
					b.Fatal(err)
				}
				if i++; i == len(msgs) {
					p, i = NewPlan(), 0
				}
			}
		})
	}
}
