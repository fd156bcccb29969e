// Package influx is the InfluxDB observation store. It speaks to InfluxDB only through
// influxdb-client-go/v2's blocking write, Flux query and ping, so it works on InfluxDB
// 2.x and on 1.8's /api/v2 compatibility endpoints (there the bucket is the database
// name and the org is ignored).
//
// Writes go through a durable local spool (package spool) under the configured
// directory: Put returns once the write is fsynced there and then waits, while
// InfluxDB is healthy, until it is delivered, so that reads see it. While InfluxDB is
// down, Put still acknowledges and the spool delivers later. Reads (Query, Revisions,
// Conflicts) go to InfluxDB and fail while it is unreachable.
//
// Schema (DESIGN.md, "Storage"):
//
//	observation  tags indicator, region, basis, period, source_kind
//	             fields value (float), unit, url, quote, source, entered_by,
//	             published_at, retrieved_at (RFC 3339, "" when unknown), estimate (bool),
//	             qualifier, note, yoy_stated (bool), yoy (float, only when stated),
//	             resolution (float, 0 when unknown); time = period start 00:00 Asia/Shanghai
//	revision     same tags; fields value, previous_value, previous_source,
//	             previous_estimate, source, url, quote, entered_by, note, estimate,
//	             unit, published_at, retrieved_at, qualifier, yoy_stated, yoy,
//	             resolution; time = when the change was acknowledged (unique)
//	conflict     observation tags + source (the alternative's); fields value,
//	             existing_value, existing_source, url, quote, existing_url,
//	             published_at, detected_at, retrieved_at, estimate, entered_by,
//	             qualifier, note, unit, yoy_stated, yoy, resolution; time = period start
//	evaluation, audit: the journal (see journal.go)
package influx

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	influxdb2 "github.com/influxdata/influxdb-client-go/v2"
	"github.com/influxdata/influxdb-client-go/v2/api"
	http2 "github.com/influxdata/influxdb-client-go/v2/api/http"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/store"
	"github.com/trademon/trademon/internal/store/spool"
)

// SpoolFile is the name of the spool file inside Config.Dir.
const SpoolFile = "spool.db"

// Config configures the InfluxDB store.
type Config struct {
	// URL, Org, Bucket and Token locate InfluxDB. On 1.8 the bucket is the database
	// (optionally "database/retention-policy"), the org is ignored and the token is
	// "user:password" or empty.
	URL, Org, Bucket, Token string
	// Timeout bounds one request to InfluxDB and the last delivery at Close (10s).
	Timeout time.Duration
	// Dir holds the spool file.
	Dir string
	// BatchSize, RetryMin and RetryMax tune the spool (see spool.Options).
	BatchSize          int
	RetryMin, RetryMax time.Duration
	// Logger receives the store's logs (slog.Default()).
	Logger *slog.Logger
}

// Store is the InfluxDB store. It is safe for concurrent use.
type Store struct {
	cfg    Config
	log    *slog.Logger
	client influxdb2.Client
	write  api.WriteAPIBlocking
	query  api.QueryAPI
	spool  *spool.Spool
	closed atomic.Bool

	writes *prometheus.CounterVec

	// afterWrite, set only by tests, sees the result of every write request and may
	// replace it, e.g. to lose the acknowledgement of a batch InfluxDB stored.
	afterWrite atomic.Pointer[func(error) error]
}

var _ store.Store = (*Store)(nil)

// Open opens the store: it opens (or creates) the spool under cfg.Dir and, if InfluxDB
// answers, loads the spool's ledger before returning, so that the first Put can tell
// created from updated. An unreachable InfluxDB is not an error: writes are spooled.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.URL == "" {
		return nil, errors.New("influx store: no InfluxDB URL configured")
	}
	if cfg.Bucket == "" {
		return nil, errors.New("influx store: no bucket configured")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if err := os.MkdirAll(cfg.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("influx store: create spool directory: %w", err)
	}
	opts := influxdb2.DefaultOptions().
		SetHTTPRequestTimeout(uint(math.Ceil(cfg.Timeout.Seconds()))).
		SetLogLevel(0).
		SetApplicationName("trademon")
	client := influxdb2.NewClientWithOptions(cfg.URL, cfg.Token, opts)
	s := &Store{
		cfg:    cfg,
		log:    cfg.Logger.With("component", "store", "kind", "influxdb", "url", cfg.URL, "bucket", cfg.Bucket),
		client: client,
		write:  client.WriteAPIBlocking(cfg.Org, cfg.Bucket),
		query:  client.QueryAPI(cfg.Org),
		writes: store.NewWritesCounter(),
	}
	sp, err := spool.Open(filepath.Join(cfg.Dir, SpoolFile), sink{s}, spool.Options{
		BatchSize: cfg.BatchSize, RetryMin: cfg.RetryMin, RetryMax: cfg.RetryMax, Logger: cfg.Logger,
	})
	if err != nil {
		client.Close()
		return nil, fmt.Errorf("influx store: %w", err)
	}
	s.spool = sp
	sctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	if err := sp.Sync(sctx); err != nil {
		s.log.Warn("InfluxDB is not reachable; writes are spooled until it is", "err", err)
	}
	return s, nil
}

// Config returns the configuration the store was opened with.
func (s *Store) Config() Config { return s.cfg }

// SpoolStats returns the state of the spool.
func (s *Store) SpoolStats() spool.Stats { return s.spool.Stats() }

// Quarantined lists the writes InfluxDB rejected.
func (s *Store) Quarantined() ([]spool.QuarantinedEntry, error) { return s.spool.Quarantined() }

// Put implements store.Store. The outcomes are decided against what InfluxDB holds
// plus what is still spooled; before the spool ever reached InfluxDB they are Queued.
func (s *Store) Put(ctx context.Context, os []obs.Observation) ([]store.Outcome, error) {
	return s.PutWithAudit(ctx, os, nil)
}

// PutWithAudit implements store.Store: the observations and the audit records are
// one spool append (one transaction, one fsync), delivered to InfluxDB in order.
func (s *Store) PutWithAudit(ctx context.Context, os []obs.Observation, rs []store.AuditRecord) ([]store.Outcome, error) {
	fail := func(err error) ([]store.Outcome, error) {
		s.writes.WithLabelValues("error").Add(float64(len(os)))
		return nil, err
	}
	if err := store.Check(os); err != nil {
		return fail(err)
	}
	recs, err := store.PrepareAudit(rs, time.Now())
	if err != nil {
		return fail(err)
	}
	out, _, err := s.spool.EnqueueWithAudit(os, recs)
	if err != nil {
		return fail(fmt.Errorf("influx store: put: %w", err))
	}
	s.writes.WithLabelValues("ok").Add(float64(len(os)))
	if len(recs) > 0 || slices.ContainsFunc(out, func(o store.Outcome) bool { return o != store.Unchanged }) {
		s.deliver(ctx)
	}
	return out, nil
}

// deliver waits for the spool to deliver what was just acknowledged, unless InfluxDB
// is known to be failing; a failure here only delays delivery.
func (s *Store) deliver(ctx context.Context) {
	if s.spool.Failing() {
		return
	}
	if err := s.spool.Sync(ctx); err != nil {
		s.log.Warn("write spooled; delivery to InfluxDB deferred", "err", err)
	}
}

// Sync implements store.Syncer: it waits for a delivery round of the spool and
// fails when anything acknowledged before the call is still waiting in it.
func (s *Store) Sync(ctx context.Context) error {
	if err := s.open(); err != nil {
		return err
	}
	if err := s.spool.Sync(ctx); err != nil {
		return fmt.Errorf("influx store: deliver the spool: %w", err)
	}
	if n := s.spool.Stats().Entries; n > 0 {
		return fmt.Errorf("influx store: %d spooled writes not delivered yet", n)
	}
	return nil
}

// PutConflicts implements store.Store.
func (s *Store) PutConflicts(ctx context.Context, cs []obs.Conflict) error {
	if err := store.CheckConflicts(cs); err != nil {
		return err
	}
	if len(cs) == 0 {
		return nil
	}
	if err := s.spool.EnqueueConflicts(cs); err != nil {
		return fmt.Errorf("influx store: put conflicts: %w", err)
	}
	s.deliver(ctx)
	return nil
}

// Query implements store.Store.
func (s *Store) Query(ctx context.Context, f store.Filter) ([]obs.Observation, error) {
	if err := s.open(); err != nil {
		return nil, err
	}
	out, err := s.observations(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("influx store: query: %w", err)
	}
	obs.Sort(out)
	return out, nil
}

// observations reads the observation points matching f, unsorted.
func (s *Store) observations(ctx context.Context, f store.Filter) ([]obs.Observation, error) {
	q, ok := fluxSelect(s.cfg.Bucket, MeasurementObservation, f, true)
	if !ok {
		return nil, nil
	}
	var out []obs.Observation
	err := s.rows(ctx, q, func(r row, _ time.Time) error {
		o, err := r.observation()
		if err != nil {
			return err
		}
		if f.Match(o) {
			out = append(out, o)
		}
		return nil
	})
	return out, err
}

// Revisions implements store.Store.
func (s *Store) Revisions(ctx context.Context, f store.Filter) ([]obs.Revision, error) {
	if err := s.open(); err != nil {
		return nil, err
	}
	q, _ := fluxSelect(s.cfg.Bucket, MeasurementRevision, f, false)
	var out []obs.Revision
	err := s.rows(ctx, q, func(r row, t time.Time) error {
		o, err := r.observation()
		if err != nil {
			return err
		}
		if !f.Match(o) {
			return nil
		}
		prev, err := r.float("previous_value")
		if err != nil {
			return err
		}
		out = append(out, obs.Revision{
			Key: o.Key(), Observation: o, At: t.UTC(),
			PreviousValue: prev, PreviousSource: r.str("previous_source"), PreviousEstimate: r.bool("previous_estimate"),
		})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("influx store: revisions: %w", err)
	}
	slices.SortStableFunc(out, func(a, b obs.Revision) int {
		return cmp.Or(a.At.Compare(b.At), strings.Compare(a.Key.String(), b.Key.String()))
	})
	return out, nil
}

// Conflicts implements store.Store.
func (s *Store) Conflicts(ctx context.Context, f store.Filter) ([]obs.Conflict, error) {
	if err := s.open(); err != nil {
		return nil, err
	}
	q, ok := fluxSelect(s.cfg.Bucket, MeasurementConflict, f, true)
	if !ok {
		return nil, nil
	}
	var out []obs.Conflict
	err := s.rows(ctx, q, func(r row, _ time.Time) error {
		o, err := r.observation()
		if err != nil {
			return err
		}
		if !f.Match(o) {
			return nil
		}
		c := obs.Conflict{Alternative: o, ExistingSource: r.str("existing_source"), ExistingURL: r.str("existing_url")}
		if c.ExistingValue, err = r.float("existing_value"); err != nil {
			return err
		}
		if c.DetectedAt, err = r.time("detected_at"); err != nil {
			return err
		}
		out = append(out, c)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("influx store: conflicts: %w", err)
	}
	slices.SortStableFunc(out, func(a, b obs.Conflict) int {
		return cmp.Or(strings.Compare(a.Alternative.Key().String(), b.Alternative.Key().String()),
			strings.Compare(a.Alternative.Source, b.Alternative.Source))
	})
	return out, nil
}

// open fails once Close began. Reads check it; the spool's own reads (loading its
// ledger during the last delivery at Close) do not, so that Close can deliver.
func (s *Store) open() error {
	if s.closed.Load() {
		return errors.New("influx store: closed")
	}
	return nil
}

// rows runs a Flux query and calls fn with every record. A record that does not decode
// (a point someone else wrote with other types) is skipped with a warning rather than
// failing the whole read.
func (s *Store) rows(ctx context.Context, q string, fn func(r row, t time.Time) error) error {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	data, err := s.query.QueryRaw(ctx, q, api.DefaultDialect())
	if err != nil {
		return wrapHTTP("flux query", err)
	}
	return readAnnotatedCSV(data, func(r row, t time.Time) error {
		if err := fn(r, t); err != nil {
			s.log.Warn("skipping a point that is not in trademon's schema", "measurement", r.str("_measurement"), "time", t, "err", err)
		}
		return nil
	})
}

// Ping implements store.Store: the spool file must be writable (spool.Spool.Health),
// and InfluxDB must answer /ping and a query on the bucket.
func (s *Store) Ping(ctx context.Context) error {
	if s.closed.Load() {
		return errors.New("influx store: closed")
	}
	if err := s.spool.Health(); err != nil {
		return fmt.Errorf("influx store: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	if _, err := s.client.Ping(ctx); err != nil {
		return fmt.Errorf("influx store: ping %s: %w", s.cfg.URL, err)
	}
	q := fmt.Sprintf("from(bucket: %s) |> range(start: -1m) |> limit(n: 1)", fluxString(s.cfg.Bucket))
	if _, err := s.query.QueryRaw(ctx, q, api.DefaultDialect()); err != nil {
		return fmt.Errorf("influx store: bucket %s: %w", s.cfg.Bucket, wrapHTTP("query", err))
	}
	return nil
}

// Close implements store.Store: it delivers what it can within the configured timeout
// and keeps the rest in the spool for the next start. Closing twice does nothing.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.Timeout)
	defer cancel()
	err := s.spool.Close(ctx)
	s.client.Close()
	if err != nil {
		return fmt.Errorf("influx store: %w", err)
	}
	return nil
}

// Describe implements prometheus.Collector.
func (s *Store) Describe(ch chan<- *prometheus.Desc) {
	s.writes.Describe(ch)
	s.spool.Describe(ch)
}

// Collect implements prometheus.Collector.
func (s *Store) Collect(ch chan<- prometheus.Metric) {
	s.writes.Collect(ch)
	s.spool.Collect(ch)
}

// sink connects the spool to InfluxDB.
type sink struct{ s *Store }

// Latest loads the latest observation records for the spool's ledger.
func (k sink) Latest(ctx context.Context) ([]obs.Observation, error) {
	out, err := k.s.observations(ctx, store.Filter{})
	if err = classify(err); err != nil {
		var se *spool.Error
		if errors.As(err, &se) && se.Rejected {
			se.Reason, se.Rejected = spool.ReasonOther, false // a refused query rejects no point
		}
		return nil, err
	}
	return out, nil
}

// AppendItem implements spool.Sink.
func (sink) AppendItem(dst []byte, it *spool.Item) []byte { return appendItem(dst, it) }

// Write sends line protocol with the blocking write API: no client-side batching or
// retries, which the spool does itself.
func (k sink) Write(ctx context.Context, body []byte) error {
	err := k.s.write.WriteRecord(ctx, string(body))
	if h := k.s.afterWrite.Load(); h != nil {
		err = (*h)(err)
	}
	if err != nil {
		return classify(wrapHTTP("write", err))
	}
	return nil
}

// httpError is an InfluxDB answer with its status and message.
type httpError struct {
	op      string
	status  int
	message string
	err     error
}

func (e *httpError) Error() string {
	if e.status == 0 {
		return fmt.Sprintf("influxdb %s: %v", e.op, e.err)
	}
	return fmt.Sprintf("influxdb %s: HTTP %d: %s", e.op, e.status, e.message)
}

func (e *httpError) Unwrap() error { return e.err }

// wrapHTTP turns the client's error into an httpError with a readable message: 1.8
// answers {"error": "..."}, which the client cannot decode, so the message is taken
// from the X-Influxdb-Error header when the body gave none.
func wrapHTTP(op string, err error) error {
	if err == nil {
		return nil
	}
	var he *http2.Error
	if !errors.As(err, &he) {
		return &httpError{op: op, err: err}
	}
	msg := he.Header.Get("X-Influxdb-Error")
	if msg == "" {
		msg = strings.TrimSpace(strings.Trim(he.Code+": "+he.Message, ": "))
	}
	if msg == "" && he.Err != nil {
		msg = he.Err.Error()
	}
	return &httpError{op: op, status: he.StatusCode, message: msg, err: err}
}

// classify wraps err as a *spool.Error with the reason and whether the content was
// rejected (400 bad request, 413 too large, 422 unprocessable: partial writes, field
// type conflicts, unparsable points), which the spool quarantines; everything else
// is retried.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var he *httpError
	status := 0
	if errors.As(err, &he) {
		status = he.status
	}
	e := &spool.Error{Err: err}
	switch {
	case status == 0:
		e.Reason = spool.ReasonUnreachable
	case status == 400 || status == 413 || status == 422:
		e.Reason, e.Rejected = spool.ReasonRejected, true
	case status == 401 || status == 403:
		e.Reason = spool.ReasonUnauthorized
	case status == 404:
		e.Reason = spool.ReasonNotFound
	case status == 429 || status >= 500:
		e.Reason = spool.ReasonServer
	default:
		e.Reason = spool.ReasonOther
	}
	return e
}
