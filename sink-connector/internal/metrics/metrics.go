// Package metrics holds the sink connector's Prometheus metrics.
package metrics

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tandemcdc/tandem/internal/opsserver"
	"github.com/tandemcdc/tandem/sink-connector/internal/batch"
)

// Metrics are the sink's counters, gauges and histograms. All methods are safe for concurrent use.
type Metrics struct {
	Registry      *prometheus.Registry
	records       *prometheus.CounterVec
	batches       prometheus.Counter
	batchSize     prometheus.Histogram
	applySeconds  prometheus.Histogram
	lag           prometheus.Gauge
	skippedMarker prometheus.Counter
	changes       prometheus.Counter
	filtered      prometheus.Counter
	Retries       prometheus.Counter
	DeadLettered  prometheus.Counter

	healthy atomic.Bool
}

// New registers the metrics.
func New() *Metrics {
	m := &Metrics{Registry: prometheus.NewRegistry()}
	m.records = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tandem_sink_records_total",
		Help: "Records applied (rows written or deleted after coalescing count once per record read), per topic."}, []string{"topic"})
	m.batches = prometheus.NewCounter(prometheus.CounterOpts{Name: "tandem_sink_batches_total", Help: "Batches committed."})
	m.batchSize = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "tandem_sink_batch_records",
		Help: "Records per committed batch.", Buckets: prometheus.ExponentialBuckets(1, 4, 8)})
	m.applySeconds = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "tandem_sink_apply_seconds",
		Help: "Time to apply and commit one batch.", Buckets: prometheus.ExponentialBuckets(0.001, 2, 14)})
	m.lag = prometheus.NewGauge(prometheus.GaugeOpts{Name: "tandem_sink_lag_seconds",
		Help: "Now minus source.ts_ms of the last record applied."})
	m.skippedMarker = prometheus.NewCounter(prometheus.CounterOpts{Name: "tandem_sink_skipped_marker_total",
		Help: "Records skipped because source.query carries the loop marker."})
	m.changes = prometheus.NewCounter(prometheus.CounterOpts{Name: "tandem_sink_changes_applied_total",
		Help: "Change events (not tombstones, not skipped) in committed batches."})
	m.filtered = prometheus.NewCounter(prometheus.CounterOpts{Name: "tandem_sink_filtered_total",
		Help: "Row images outside filter.where, applied as deletes."})
	m.Retries = prometheus.NewCounter(prometheus.CounterOpts{Name: "tandem_sink_retries_total",
		Help: "Transactions retried after deadlocks, lock timeouts or lost connections."})
	m.DeadLettered = prometheus.NewCounter(prometheus.CounterOpts{Name: "tandem_sink_dead_lettered_total",
		Help: "Records written to the dead-letter topic."})
	m.Registry.MustRegister(m.records, m.batches, m.batchSize, m.applySeconds, m.lag, m.skippedMarker, m.changes, m.filtered, m.Retries,
		m.DeadLettered, prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	return m
}

// Applied records a committed batch.
func (m *Metrics) Applied(topic string, plan *batch.Plan, _ int, took time.Duration) {
	m.records.WithLabelValues(topic).Add(float64(plan.Records))
	m.batches.Inc()
	m.batchSize.Observe(float64(plan.Records))
	if took > 0 {
		m.applySeconds.Observe(took.Seconds())
	}
	m.skippedMarker.Add(float64(plan.Skipped))
	m.changes.Add(float64(plan.Records - plan.Skipped - plan.Tombstones))
	m.filtered.Add(float64(plan.Filtered))
	if !plan.LastSourceTime.IsZero() {
		m.lag.Set(time.Since(plan.LastSourceTime).Seconds())
	}
}

// SetHealthy says whether the sink is consuming.
func (m *Metrics) SetHealthy(ok bool) { m.healthy.Store(ok) }

// Serve answers /metrics, /healthz and /debug/pprof/ on addr until ctx ends.
func (m *Metrics) Serve(ctx context.Context, addr string, log *slog.Logger) error {
	return opsserver.Serve(ctx, addr, m.Registry, m.healthy.Load, log)
}
