// Package batchlog checks a sink's batch log (apply.batch_log): the integration tests in itest and the
// sink's own database-backed tests share it.
package batchlog

import (
	"database/sql"
	"testing"
)

// Check reads the batch log (tandem_sink_batch_log) of consumer in database offsetsDB and fails
// t when, per partition in commit order, a transaction ran a change of a record at or below an offset an
// earlier transaction already applied (applied twice), or asked to start past the offset stored before it
// (records skipped), or found a stored offset other than the one the transaction before it stored. It
// returns the number of transactions.
func Check(t testing.TB, b *sql.DB, offsetsDB, consumer string) int {
	t.Helper()
	rows, err := b.Query("SELECT topic, kafka_partition, requested_first, requested_last, stored_before, applied_first, applied_last FROM `"+
		offsetsDB+"`.tandem_sink_batch_log WHERE consumer = ? ORDER BY id", consumer)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	type partition struct {
		topic string
		p     int
	}
	type state struct{ next, appliedUpTo int64 }
	seen := map[partition]*state{}
	n := 0
	for rows.Next() {
		var k partition
		var first, last, stored, ranFirst, ranLast int64
		if err := rows.Scan(&k.topic, &k.p, &first, &last, &stored, &ranFirst, &ranLast); err != nil {
			t.Fatal(err)
		}
		n++
		st := seen[k]
		if st == nil {
			st = &state{next: stored, appliedUpTo: -1}
			seen[k] = st
		}
		if stored != st.next {
			t.Errorf("%s[%d]: batch %d-%d found stored offset %d, but the batch before stored %d", k.topic, k.p, first, last, stored, st.next)
		}
		if stored >= 0 && first > stored {
			t.Errorf("%s[%d]: batch %d-%d starts past the stored offset %d: records skipped", k.topic, k.p, first, last, stored)
		}
		if ranFirst >= 0 && ranFirst <= st.appliedUpTo {
			t.Errorf("%s[%d]: batch %d-%d (stored %d) ran changes from offset %d, already applied up to %d: applied twice",
				k.topic, k.p, first, last, stored, ranFirst, st.appliedUpTo)
		}
		if ranLast > last || (ranFirst >= 0 && ranFirst < first) {
			t.Errorf("%s[%d]: batch %d-%d ran changes of offsets %d-%d", k.topic, k.p, first, last, ranFirst, ranLast)
		}
		st.next = last + 1
		if last > st.appliedUpTo {
			st.appliedUpTo = last
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return n
}
