// Package metrics exposes the source connector's Prometheus metrics and health on an HTTP address.
package metrics

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tandemcdc/tandem/internal/opsserver"
)

// Metrics are the source's counters and gauges. All methods are safe for concurrent use.
type Metrics struct {
	Registry   *prometheus.Registry
	events     *prometheus.CounterVec
	bytes      *prometheus.CounterVec
	Batches    prometheus.Counter
	Reconnects prometheus.Counter
	lag        prometheus.Gauge
	savedAt    prometheus.Gauge
	position   *prometheus.GaugeVec
	snapRows   *prometheus.GaugeVec
	snapTotal  *prometheus.GaugeVec
	snapRate   *prometheus.GaugeVec
	snapETA    *prometheus.GaugeVec

	healthy atomic.Bool
	mu      sync.Mutex
	lastPos string
}

// New registers the metrics.
func New() *Metrics {
	m := &Metrics{Registry: prometheus.NewRegistry()}
	m.events = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tandem_source_events_total",
		Help: "Records written to Kafka, per captured table."}, []string{"table"})
	m.bytes = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tandem_source_bytes_total",
		Help: "Key and value bytes written to Kafka, per captured table."}, []string{"table"})
	m.Batches = prometheus.NewCounter(prometheus.CounterOpts{Name: "tandem_source_batches_total",
		Help: "Record batches acknowledged by Kafka."})
	m.Reconnects = prometheus.NewCounter(prometheus.CounterOpts{Name: "tandem_source_reconnects_total",
		Help: "Restarts of the stream after a lost MySQL or Kafka connection."})
	m.lag = prometheus.NewGauge(prometheus.GaugeOpts{Name: "tandem_source_lag_seconds",
		Help: "Now minus the time of the last committed transaction read from the binlog."})
	m.savedAt = prometheus.NewGauge(prometheus.GaugeOpts{Name: "tandem_source_position_saved_timestamp_seconds",
		Help: "When the position was last saved."})
	m.position = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "tandem_source_saved_position_info",
		Help: "The last saved position, as a label."}, []string{"position"})
	m.snapRows = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "tandem_source_snapshot_rows",
		Help: "Rows of the table read by the snapshot so far."}, []string{"table"})
	m.snapTotal = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "tandem_source_snapshot_rows_estimated",
		Help: "The server's estimate of the table's rows (exact once the table is done)."}, []string{"table"})
	m.snapRate = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "tandem_source_snapshot_rows_per_second",
		Help: "Snapshot read rate of the table."}, []string{"table"})
	m.snapETA = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "tandem_source_snapshot_eta_seconds",
		Help: "Estimated seconds until the table's snapshot is done."}, []string{"table"})
	m.Registry.MustRegister(m.events, m.bytes, m.Batches, m.Reconnects, m.lag, m.savedAt, m.position,
		m.snapRows, m.snapTotal, m.snapRate, m.snapETA,
		prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	return m
}

// Observe counts records of a table.
func (m *Metrics) Observe(db, table string, records, bytes int, _ time.Time) {
	name := db + "." + table
	m.events.WithLabelValues(name).Add(float64(records))
	m.bytes.WithLabelValues(name).Add(float64(bytes))
}

// ObserveLag records the time of the last transaction read.
func (m *Metrics) ObserveLag(t time.Time) { m.lag.Set(time.Since(t).Seconds()) }

// PositionSaved records a saved position.
func (m *Metrics) PositionSaved(pos string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.lastPos != "" {
		m.position.DeleteLabelValues(m.lastPos)
	}
	m.position.WithLabelValues(pos).Set(1)
	m.lastPos = pos
	m.savedAt.SetToCurrentTime()
}

// SnapshotProgress publishes the snapshot progress of a table.
func (m *Metrics) SnapshotProgress(table string, rows, estimate int64, rate, etaSeconds float64) {
	m.snapRows.WithLabelValues(table).Set(float64(rows))
	m.snapTotal.WithLabelValues(table).Set(float64(estimate))
	m.snapRate.WithLabelValues(table).Set(rate)
	m.snapETA.WithLabelValues(table).Set(etaSeconds)
}

// SetHealthy says whether the pipeline streams.
func (m *Metrics) SetHealthy(ok bool) { m.healthy.Store(ok) }

// Serve answers /metrics, /healthz and /debug/pprof/ on addr until ctx ends.
func (m *Metrics) Serve(ctx context.Context, addr string, log *slog.Logger) error {
	return opsserver.Serve(ctx, addr, m.Registry, m.healthy.Load, log)
}
