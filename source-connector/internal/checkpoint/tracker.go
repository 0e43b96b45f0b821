// Package checkpoint decides which binlog position may be saved and saves it. A position is saveable only
// when Kafka has acknowledged every record of its transaction and of every transaction before it.
package checkpoint

import "sync"

// Txn counts the records of one transaction that Kafka has not acknowledged yet.
type Txn struct {
	pending int
	closed  bool
	state   State
}

// Tracker follows transactions from the reader to Kafka's acknowledgements. Open, Add and Close are called
// by the reader; Ack and Fail by the producer's completion callbacks; Acked by the saver. It is safe for
// concurrent use; no lock is held across I/O.
type Tracker struct {
	mu      sync.Mutex
	queue   []*Txn // open and unacknowledged transactions, oldest first
	acked   State
	advance uint64 // counts advances of acked
	err     error
}

// NewTracker starts from the state the pipeline starts at.
func NewTracker(start State) *Tracker { return &Tracker{acked: start} }

// Open starts tracking the next transaction.
func (t *Tracker) Open() *Txn {
	tx := &Txn{}
	t.mu.Lock()
	t.queue = append(t.queue, tx)
	t.mu.Unlock()
	return tx
}

// Add counts n more records of tx sent to Kafka.
func (t *Tracker) Add(tx *Txn, n int) {
	t.mu.Lock()
	tx.pending += n
	t.mu.Unlock()
}

// Close marks the end of tx: after its records are acknowledged, the pipeline may resume at state.
func (t *Tracker) Close(tx *Txn, state State) {
	t.mu.Lock()
	tx.closed, tx.state = true, state
	t.settle()
	t.mu.Unlock()
}

// Ack counts n records of tx acknowledged by Kafka.
func (t *Tracker) Ack(tx *Txn, n int) {
	t.mu.Lock()
	tx.pending -= n
	t.settle()
	t.mu.Unlock()
}

// settle moves the acknowledged position past every finished transaction at the head of the queue.
func (t *Tracker) settle() {
	n := 0
	for _, tx := range t.queue {
		if !tx.closed || tx.pending > 0 {
			break
		}
		t.acked = tx.state
		t.advance++
		n++
	}
	if n > 0 {
		clear(t.queue[:n])
		t.queue = t.queue[n:]
	}
}

// Fail records that a record could not be delivered: nothing after it may be saved, and the stream must
// restart from the last saved position.
func (t *Tracker) Fail(err error) {
	t.mu.Lock()
	if t.err == nil {
		t.err = err
	}
	t.mu.Unlock()
}

// Err returns the first delivery failure.
func (t *Tracker) Err() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.err
}

// Acked returns the state after the last transaction fully acknowledged, and a counter that changes
// whenever that state moves.
func (t *Tracker) Acked() (State, uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.acked, t.advance
}

// InFlight returns how many transactions wait for acknowledgements.
func (t *Tracker) InFlight() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.queue)
}
