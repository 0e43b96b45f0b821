// Package consume runs the sink: a Kafka consumer group whose generations assign partitions; each
// assigned partition is read from the offset stored in the target database, in batches that are planned
// and applied in one database transaction with that offset.
package consume

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"regexp"
	"slices"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/segmentio/kafka-go"

	"github.com/tandemcdc/tandem/sink-connector/internal/apply"
	"github.com/tandemcdc/tandem/sink-connector/internal/batch"
	"github.com/tandemcdc/tandem/sink-connector/internal/config"
	"github.com/tandemcdc/tandem/sink-connector/internal/metrics"
)

// Sink is the running consumer.
type Sink struct {
	Cfg       *config.Config
	Applier   *apply.Applier
	Dialer    *kafka.Dialer
	Transport *kafka.Transport
	Log       *slog.Logger
	Metrics   *metrics.Metrics

	dlq     *kafka.Writer
	failMu  sync.Mutex
	failure error
}

// Run consumes until ctx is cancelled (the in-flight batches finish, then the group is left) or a record
// stops the sink.
func (s *Sink) Run(ctx context.Context) error {
	if s.Cfg.Apply.DeadLetter != "" {
		s.dlq = &kafka.Writer{Addr: kafka.TCP(s.Cfg.Kafka.Brokers...), Topic: s.Cfg.Apply.DeadLetter, Transport: s.Transport,
			RequiredAcks: kafka.RequireAll, BatchTimeout: time.Millisecond, AllowAutoTopicCreation: false}
		defer s.dlq.Close()
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	for {
		topics, err := s.Topics(ctx)
		if err != nil {
			return err
		}
		if len(topics) < len(s.Cfg.Kafka.Topics) || len(topics) == 0 {
			s.Log.Info("waiting for topics to appear", "have", topics, "want", s.Cfg.Kafka.Topics, "topics_regex", s.Cfg.Kafka.TopicsRegex)
		}
		if len(topics) > 0 {
			if err := s.runGroup(ctx, cancel, topics); err != nil {
				return err
			}
		}
		if err := s.failed(); err != nil {
			return err
		}
		if ctx.Err() != nil {
			return nil
		}
		if len(topics) == 0 {
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(min(s.Cfg.Kafka.Refresh, time.Second)):
			}
		}
	}
}

// Topics lists the configured topics that exist, or the cluster's topics matching topics_regex. A
// configured topic that does not exist yet (its source has not written to it) is joined when it appears.
func (s *Sink) Topics(ctx context.Context) ([]string, error) {
	client := &kafka.Client{Addr: kafka.TCP(s.Cfg.Kafka.Brokers...), Transport: s.Transport, Timeout: 10 * time.Second}
	md, err := client.Metadata(ctx, &kafka.MetadataRequest{})
	if err != nil {
		return nil, fmt.Errorf("list topics: %w", err)
	}
	match := func(name string) bool { return slices.Contains(s.Cfg.Kafka.Topics, name) }
	if s.Cfg.Kafka.TopicsRegex != "" {
		re := regexp.MustCompile("^(?:" + s.Cfg.Kafka.TopicsRegex + ")$")
		match = re.MatchString
	}
	var out []string
	for _, t := range md.Topics {
		if match(t.Name) && !t.Internal && t.Error == nil {
			out = append(out, t.Name)
		}
	}
	slices.Sort(out)
	return out, nil
}

// runGroup joins the group for topics and serves its generations. It returns nil to let Run re-read the
// topic list (topics_regex found new topics), after a stop or when ctx ends.
func (s *Sink) runGroup(ctx context.Context, stop context.CancelCauseFunc, topics []string) error {
	group, err := kafka.NewConsumerGroup(kafka.ConsumerGroupConfig{
		ID: s.Cfg.Name, Brokers: s.Cfg.Kafka.Brokers, Dialer: s.Dialer, Topics: topics,
		GroupBalancers:    []kafka.GroupBalancer{kafka.RangeGroupBalancer{}},
		HeartbeatInterval: s.Cfg.Kafka.Session / 5, SessionTimeout: s.Cfg.Kafka.Session, RebalanceTimeout: 30 * time.Second,
		WatchPartitionChanges: true, StartOffset: kafka.FirstOffset, Timeout: 10 * time.Second,
	})
	if err != nil {
		return fmt.Errorf("consumer group %s: %w", s.Cfg.Name, err)
	}
	defer group.Close()
	s.Log.Info("joining the consumer group", "group", s.Cfg.Name, "topics", topics)

	groupCtx, endGroup := context.WithCancel(ctx)
	defer endGroup()
	go s.watchTopics(groupCtx, endGroup, topics)
	backoff := time.Second
	for {
		gen, err := group.Next(groupCtx)
		if groupCtx.Err() != nil {
			return nil
		}
		if err != nil {
			s.Log.Warn("consumer group generation failed; retrying", "err", err, "retry_in", backoff)
			s.Metrics.Retries.Inc()
			select {
			case <-groupCtx.Done():
				return nil
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, 30*time.Second)
			continue
		}
		backoff = time.Second
		s.Metrics.SetHealthy(true)
		for topic, parts := range gen.Assignments {
			for _, p := range parts {
				s.Log.Info("partition assigned", "topic", topic, "partition", p.ID, "generation", gen.ID)
				gen.Start(func(pctx context.Context) {
					if err := s.partition(pctx, topic, p.ID); err != nil {
						s.fail(err)
						stop(err)
					}
				})
			}
		}
	}
}

// watchTopics ends the group when the topics to apply change, so it is joined again with them. It looks
// every second while configured topics are missing, else every topics_refresh.
func (s *Sink) watchTopics(ctx context.Context, end context.CancelFunc, current []string) {
	every := s.Cfg.Kafka.Refresh
	if len(current) < len(s.Cfg.Kafka.Topics) {
		every = min(every, time.Second)
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			now, err := s.Topics(ctx)
			if err == nil && !slices.Equal(now, current) {
				s.Log.Info("the topics to apply changed; rejoining", "topics", now)
				end()
				return
			}
		}
	}
}

func (s *Sink) fail(err error) {
	s.failMu.Lock()
	defer s.failMu.Unlock()
	if s.failure == nil {
		s.failure = err
	}
}

func (s *Sink) failed() error {
	s.failMu.Lock()
	defer s.failMu.Unlock()
	return s.failure
}

// partition applies one partition until its generation ends. It returns an error only for a record that
// must stop the sink.
func (s *Sink) partition(ctx context.Context, topic string, partition int) error {
	log := s.Log.With("topic", topic, "partition", partition)
	var next int64
	for {
		n, found, err := s.Applier.NextOffset(ctx, topic, partition)
		if err == nil {
			next = kafka.FirstOffset
			if found {
				next = n
			}
			break
		}
		if ctx.Err() != nil {
			return nil
		}
		log.Warn("cannot read the stored offset; retrying", "err", err)
		if !sleep(ctx, 2*time.Second) {
			return nil
		}
	}
	r := s.fetcher(topic, partition, next)
	defer r.Close()
	log.Info("applying", "from_offset", offsetText(next))
	builder, err := batch.NewBuilder(s.Cfg)
	if err != nil {
		return err
	}
	// Batches are read and planned here while the one before is applied: the sink's decoding overlaps
	// the target's work. The channel holds none, so at most two batches are in memory.
	batches := make(chan *pending)
	applied := make(chan error, 1)
	rctx, stopReading := context.WithCancel(ctx) // a batch that fails to apply ends the reading too
	defer stopReading()
	// A batch read is applied even when the generation ends meanwhile (a rebalance, SIGTERM): the offset
	// stored with it keeps the next owner from applying it again. But not forever: a target that stays
	// unreachable would keep a retrying batch, and the sink, from ever stopping. After
	// apply.shutdown_timeout the batch is given up; its offset is not stored, so it is applied again.
	actx, endApply := afterCancel(ctx, s.Cfg.Apply.ShutdownTimeout)
	defer endApply()
	go func() {
		for b := range batches {
			if err := s.applyBatch(actx, topic, partition, b); err != nil {
				stopReading()
				applied <- err
				return
			}
		}
		applied <- nil
	}()
	var readErr error
	for {
		b, err := s.collect(rctx, r, builder)
		if b.last >= b.first || b.stop != nil {
			select {
			case batches <- b:
			case aerr := <-applied:
				return s.givenUp(ctx, log, aerr)
			}
		}
		if b.stop != nil || rctx.Err() != nil {
			break
		}
		if err != nil {
			readErr = err // the fetcher retries what can be retried: this one stops the sink
			break
		}
	}
	close(batches)
	if err := <-applied; err != nil {
		return s.givenUp(ctx, log, err)
	}
	return readErr
}

// givenUp is nil for a batch given up after its generation ended (its records are applied again by the
// next owner or after a restart), else err.
func (s *Sink) givenUp(ctx context.Context, log *slog.Logger, err error) error {
	if err != nil && ctx.Err() != nil && errors.Is(err, context.Canceled) {
		log.Warn("gave up the batch in flight after apply.shutdown_timeout; its records are applied again on the next start",
			"shutdown_timeout", s.Cfg.Apply.ShutdownTimeout)
		return nil
	}
	return err
}

// afterCancel returns a context that is cancelled grace after ctx is, or when end is called.
func afterCancel(ctx context.Context, grace time.Duration) (context.Context, context.CancelFunc) {
	actx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, func() { time.AfterFunc(grace, cancel) })
	return actx, func() { stop(); cancel() }
}

// fetcher reads one partition from offset from.
func (s *Sink) fetcher(topic string, partition int, from int64) *fetcher {
	client := &kafka.Client{Addr: kafka.TCP(s.Cfg.Kafka.Brokers...), Transport: s.Transport}
	return newFetcher(client, topic, partition, from, max(s.Cfg.Apply.BatchWait, time.Second), s.Log)
}

// pending is a batch read and planned, not yet applied: the records at offsets first..last.
type pending struct {
	plan        *batch.Plan
	first, last int64
	bad         []*batch.Bad // records for the dead-letter topic, within first..last
	stop        *batch.Bad   // without a dead-letter topic: the record after last, which stops the sink
}

// collect reads and plans up to batch_size records, waiting at most batch_wait after the first. It
// stops early at a record that cannot be planned when there is no dead-letter topic.
func (s *Sink) collect(ctx context.Context, r *fetcher, b *batch.Builder) (*pending, error) {
	p := &pending{plan: batch.NewPlan(), first: 0, last: -1}
	add := func(m *kafka.Message) bool {
		if p.last < p.first {
			p.first = m.Offset
		}
		if err := b.Add(p.plan, m); err != nil {
			bad := &batch.Bad{Msg: cloneMessage(m), Err: err}
			if s.dlq == nil {
				p.stop = bad
				return false
			}
			p.bad = append(p.bad, bad)
			p.plan.Records++
		}
		p.last = m.Offset
		return true
	}
	m, err := r.Next(ctx)
	if err != nil || !add(m) {
		return p, err
	}
	wctx, cancel := context.WithTimeout(ctx, s.Cfg.Apply.BatchWait)
	defer cancel()
	for n := 1; n < s.Cfg.Apply.BatchSize; n++ {
		m, err := r.Next(wctx)
		if err != nil {
			if wctx.Err() != nil && ctx.Err() == nil {
				return p, nil // the wait is over
			}
			return p, err
		}
		if !add(m) {
			return p, nil
		}
	}
	return p, nil
}

// applyBatch applies a planned batch, retrying transient failures. Records that cannot be applied go to
// the dead-letter topic, or stop the sink after everything before them is applied.
func (s *Sink) applyBatch(ctx context.Context, topic string, partition int, p *pending) error {
	if len(p.bad) > 0 {
		if err := s.deadLetter(ctx, p.bad); err != nil {
			return err
		}
	}
	if p.last >= p.first {
		err := s.apply(ctx, topic, partition, p.first, p.last, p.plan)
		if err != nil && isDataError(err) {
			// A data error in a multi-row statement: find the records at fault one by one.
			err = s.isolate(ctx, topic, partition, p.first, p.last)
		}
		if err != nil {
			return err
		}
	}
	if p.stop != nil {
		return stopAt(p.stop)
	}
	return nil
}

// apply applies plan, the records first..last, in one transaction with their offset, retrying transient
// failures, and counts it. A duplicate unique key (error 1062) is retried for apply.unique_conflict_wait
// before it is a data error: rows that exchange a unique value (two emails swapped through a temporary
// one) are ordered per primary key only, so when they sit on different partitions one partition's upsert
// can meet the value before the other partition has moved it away.
func (s *Sink) apply(ctx context.Context, topic string, partition int, first, last int64, plan *batch.Plan) error {
	var since time.Time
	backoff := 100 * time.Millisecond
	for {
		err := s.retry(ctx, topic, partition, func() error {
			start := time.Now()
			res, err := s.Applier.Apply(ctx, topic, partition, first, last, plan)
			if err == nil {
				s.Metrics.Applied(topic, plan, res.Applied, time.Since(start))
			}
			return err
		})
		if !isDuplicateKey(err) || s.Cfg.Apply.UniqueWait <= 0 {
			return err
		}
		if since.IsZero() {
			since = time.Now()
		}
		if time.Since(since) >= s.Cfg.Apply.UniqueWait {
			return fmt.Errorf("still a duplicate unique key after %s (apply.unique_conflict_wait): %w", s.Cfg.Apply.UniqueWait, err)
		}
		s.Metrics.Retries.Inc()
		wait := backoff/2 + rand.N(backoff/2+1)
		s.Log.Warn("duplicate unique key; retrying the batch while other partitions move on", "topic", topic, "partition", partition,
			"first_offset", first, "err", err, "retry_in", wait, "waited", time.Since(since).Round(time.Millisecond))
		if !sleep(ctx, wait) {
			return ctx.Err()
		}
		backoff = min(backoff*2, 2*time.Second)
	}
}

// isDuplicateKey: error 1062, a unique key another row holds.
func isDuplicateKey(err error) bool {
	var my *mysql.MySQLError
	return errors.As(err, &my) && my.Number == 1062
}

func stopAt(bad *batch.Bad) error {
	return fmt.Errorf("stopping at a record that cannot be applied (configure apply.dead_letter_topic to set such records aside): %w", bad)
}

// isolate reads the records first..last again, with a reader and builder of its own, and applies them
// one record per transaction, so the record a data error belongs to is known: it goes to the
// dead-letter topic, or stops the sink.
func (s *Sink) isolate(ctx context.Context, topic string, partition int, first, last int64) error {
	b, err := batch.NewBuilder(s.Cfg)
	if err != nil {
		return err
	}
	r := s.fetcher(topic, partition, first)
	defer r.Close()
	for {
		rctx, cancel := context.WithTimeout(ctx, time.Minute)
		m, err := r.Next(rctx)
		cancel()
		if err != nil {
			return fmt.Errorf("%s[%d]: read offsets %d-%d again: %w", topic, partition, first, last, err)
		}
		if m.Offset > last {
			return nil
		}
		if err := s.applyOne(ctx, b, topic, partition, m); err != nil {
			return err
		}
		if m.Offset == last {
			return nil
		}
	}
}

// applyOne applies one record in its own transaction. A record that cannot be applied goes to the
// dead-letter topic (one that cannot be planned went there with its batch) and its offset is stored, so
// it is not tried again; without a dead-letter topic it stops the sink.
func (s *Sink) applyOne(ctx context.Context, b *batch.Builder, topic string, partition int, m *kafka.Message) error {
	plan := batch.NewPlan()
	if err := b.Add(plan, m); err == nil {
		err = s.apply(ctx, topic, partition, m.Offset, m.Offset, plan)
		if err == nil || !isDataError(err) {
			return err
		}
		bad := &batch.Bad{Msg: cloneMessage(m), Err: err}
		if s.dlq == nil {
			return stopAt(bad)
		}
		if err := s.deadLetter(ctx, []*batch.Bad{bad}); err != nil {
			return err
		}
	}
	return s.retry(ctx, topic, partition, func() error { // the offset only: nothing applied, nothing counted
		_, err := s.Applier.Apply(ctx, topic, partition, m.Offset, m.Offset, &batch.Plan{Records: 1})
		return err
	})
}

// deadLetter writes records to the dead-letter topic with headers saying where they came from and why.
func (s *Sink) deadLetter(ctx context.Context, bad []*batch.Bad) error {
	out := make([]kafka.Message, len(bad))
	for i, b := range bad {
		s.Log.Warn("record set aside in the dead-letter topic", "topic", b.Msg.Topic, "partition", b.Msg.Partition,
			"offset", b.Msg.Offset, "err", b.Err, "dead_letter_topic", s.Cfg.Apply.DeadLetter)
		out[i] = kafka.Message{Key: b.Msg.Key, Value: b.Msg.Value, Headers: append(slices.Clone(b.Msg.Headers),
			kafka.Header{Key: "tandem.error", Value: []byte(b.Err.Error())},
			kafka.Header{Key: "tandem.topic", Value: []byte(b.Msg.Topic)},
			kafka.Header{Key: "tandem.partition", Value: fmt.Appendf(nil, "%d", b.Msg.Partition)},
			kafka.Header{Key: "tandem.offset", Value: fmt.Appendf(nil, "%d", b.Msg.Offset)})}
	}
	if err := s.dlq.WriteMessages(ctx, out...); err != nil {
		return fmt.Errorf("write %d records to the dead-letter topic %s: %w", len(out), s.Cfg.Apply.DeadLetter, err)
	}
	s.Metrics.DeadLettered.Add(float64(len(out)))
	return nil
}

// retry runs fn until it succeeds, fails with a non-transient error, or max_retries is spent, with capped
// exponential backoff and jitter.
func (s *Sink) retry(ctx context.Context, topic string, partition int, fn func() error) error {
	backoff := 100 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := fn()
		if err == nil || !retryable(err) || (s.Cfg.Apply.MaxRetries > 0 && attempt > s.Cfg.Apply.MaxRetries) {
			return err
		}
		s.Metrics.Retries.Inc()
		wait := backoff/2 + rand.N(backoff/2+1)
		s.Log.Warn("batch failed; retrying the transaction", "topic", topic, "partition", partition, "attempt", attempt, "err", err, "retry_in", wait)
		if !sleep(ctx, wait) {
			return ctx.Err()
		}
		backoff = min(backoff*2, 10*time.Second)
	}
}

// retryable: deadlocks, lock wait timeouts, lost connections and timeouts retry the whole transaction.
func retryable(err error) bool {
	var my *mysql.MySQLError
	if errors.As(err, &my) {
		switch my.Number {
		case 1205, 1213, 1040, 1053, 2006, 2013, 1927, 4031:
			return true
		}
		return false
	}
	var netErr net.Error
	return errors.Is(err, driver.ErrBadConn) || errors.Is(err, mysql.ErrInvalidConn) || errors.As(err, &netErr) ||
		errors.Is(err, context.DeadlineExceeded)
}

// dataErrors are the server errors a record's values or target cause: NOT NULL, duplicate, out of range,
// truncation, bad value, data too long, bad date, unknown table or column, foreign key, bad JSON, bad
// geometry, check constraint.
var dataErrors = map[uint16]bool{1048: true, 1062: true, 1264: true, 1265: true, 1366: true, 1406: true, 1292: true,
	1146: true, 1054: true, 1451: true, 1452: true, 3140: true, 1416: true, 4025: true, 3819: true, 1690: true, 1367: true}

// isDataError: errors that one record causes and no retry fixes. Other permanent errors (privileges, a
// read-only server) stop the sink without setting records aside.
func isDataError(err error) bool {
	if errors.Is(err, apply.ErrNoTable) {
		return true
	}
	var my *mysql.MySQLError
	if errors.As(err, &my) {
		return dataErrors[my.Number]
	}
	return !retryable(err) && !errors.Is(err, context.Canceled)
}

func sleep(ctx context.Context, d time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}

func offsetText(next int64) string {
	if next == kafka.FirstOffset {
		return "earliest"
	}
	return fmt.Sprint(next)
}
