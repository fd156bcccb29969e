package store

import (
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// WriteHealth remembers a store file's last failed write (a full disk, a file made
// read-only, an I/O error) until a write succeeds again, for Ping and so /readyz to
// report, and exports it as trademon_store_write_failing. It is safe for concurrent
// use; the zero value is healthy.
type WriteHealth struct {
	// Dir is the directory of the file. After a failure, a successful write makes the
	// health good again only if its filesystem has MinFreeBytes free: a small write
	// can succeed on a full disk (in pages the file already holds) where the next one
	// fails, and readiness should not flap.
	Dir string

	mu  sync.Mutex
	err error
	at  time.Time
}

// MinFreeBytes is the free space a store's filesystem needs for its health to
// recover after a failed write.
const MinFreeBytes = 1 << 20

// Record notes the outcome of a write of the file: an error makes the health
// failing, nil makes it healthy (see Dir).
func (h *WriteHealth) Record(err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case err != nil:
		h.err, h.at = err, time.Now()
	case h.err == nil:
	case h.Dir == "":
		h.err = nil
	default:
		if free, ok := freeBytes(h.Dir); !ok || free >= MinFreeBytes {
			h.err = nil
		}
	}
}

// Err returns nil while healthy, else an error saying when the last write failed and
// why (it wraps that write's error).
func (h *WriteHealth) Err() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.err == nil {
		return nil
	}
	return fmt.Errorf("last write failed (%s): %w", h.at.UTC().Format(time.RFC3339), h.err)
}

var descWriteFailing = prometheus.NewDesc("trademon_store_write_failing",
	"1 while the last write of the store's file (embedded store, or spool in InfluxDB mode) failed, until one succeeds again.", nil, nil)

// Describe implements prometheus.Collector.
func (h *WriteHealth) Describe(ch chan<- *prometheus.Desc) { ch <- descWriteFailing }

// Collect implements prometheus.Collector.
func (h *WriteHealth) Collect(ch chan<- prometheus.Metric) {
	v := 0.0
	if h.Err() != nil {
		v = 1
	}
	ch <- prometheus.MustNewConstMetric(descWriteFailing, prometheus.GaugeValue, v)
}
