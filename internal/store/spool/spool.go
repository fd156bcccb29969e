// Package spool is the durable local outbox in front of InfluxDB. Every write is first
// appended to a bbolt file and fsynced; only then is it acknowledged. A single delivery
// loop sends the spooled writes to a Sink (the InfluxDB writer) in order, in batches,
// and removes them only after the Sink acknowledged them. While the Sink fails, the
// loop retries on a timer with exponential backoff and jitter; a write the Sink rejects
// as malformed is isolated by bisecting its batch and moved to a quarantine bucket,
// where it is kept and counted. A restart or an outage of the database loses nothing.
//
// The file holds five buckets:
//
//   - outbox: write intents (observations, conflicts, audit and evaluation records)
//     under monotonically increasing sequence numbers;
//   - ledger: the latest record the database holds for every observation key, used
//     to tell created, updated and unchanged apart and to decide revisions;
//   - quarantine: rejected intents with the error text;
//   - meta: whether the ledger was loaded from the database, and the intent clock;
//   - audit_series: the latest time of every audit series, so that audit times stay
//     unique per series across restarts.
//
// Every point the Sink writes has a fixed series and timestamp decided before it is
// first sent (the revision time is taken when the write is acknowledged), so sending a
// batch again after a crash between the database's acknowledgement and the removal
// from the outbox is idempotent: the database ends up with one point per series and
// time. The spool assumes it is the only writer of observations to its database.
package spool

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	bolt "go.etcd.io/bbolt"

	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/store"
	"github.com/trademon/trademon/internal/store/groupcommit"
)

var (
	bucketOutbox     = []byte("outbox")
	bucketLedger     = []byte("ledger")
	bucketQuarantine = []byte("quarantine")
	bucketMeta       = []byte("meta")
	// bucketAuditSeries holds the latest time of every audit series (store.AuditSeries).
	bucketAuditSeries = []byte("audit_series")

	metaBootstrapped = []byte("bootstrapped")
	metaClock        = []byte("clock")
)

// ErrClosed is returned by operations on a closed spool.
var ErrClosed = errors.New("spool: closed")

// Item is one spooled write planned for delivery: an observation (with the revision it
// makes, if it changes a stored figure), a conflict, an audit record or an evaluation
// record. Exactly one of Observation, Conflict, Audit and Evaluation is set.
type Item struct {
	// Observation is the observation to store.
	Observation *obs.Observation
	// Revision is set when Observation changes the figure the database holds.
	Revision *obs.Revision
	// Conflict is the conflict to record.
	Conflict *obs.Conflict
	// Audit is the audit record to append, dated uniquely within its series.
	Audit *store.AuditRecord
	// Evaluation is the verdict to record.
	Evaluation *store.EvaluationRecord
	// At is when the write was acknowledged: unique and increasing within the spool.
	At time.Time
}

// Sink is the database behind the spool.
type Sink interface {
	// Latest returns the latest stored record of every observation key. The spool calls
	// it once, before its first delivery, to load its ledger.
	Latest(ctx context.Context) ([]obs.Observation, error)
	// AppendItem appends the encoded points of it (newline-terminated lines) to dst.
	// The encodings of consecutive items are concatenated into one request body, and
	// any run of consecutive items must form a valid body on its own.
	AppendItem(dst []byte, it *Item) []byte
	// Write sends body and returns nil only when the database acknowledged all of it.
	// It reports failures as *Error so that the spool can tell rejected content
	// (quarantined) from transient trouble (retried).
	Write(ctx context.Context, body []byte) error
}

// Reasons of delivery failures, the values of the reason label of
// trademon_store_spool_flush_errors_total.
const (
	ReasonUnreachable  = "unreachable"  // connection refused, timeout, DNS
	ReasonServer       = "server_error" // 5xx or 429
	ReasonUnauthorized = "unauthorized" // 401 or 403: a token problem
	ReasonNotFound     = "not_found"    // 404: the bucket or database does not exist
	ReasonRejected     = "rejected"     // the database refused a point; it was quarantined
	ReasonOther        = "other"        // anything else the database answered
	ReasonSpool        = "spool"        // the spool file itself failed
)

var reasons = []string{ReasonUnreachable, ReasonServer, ReasonUnauthorized, ReasonNotFound, ReasonRejected, ReasonOther, ReasonSpool}

// Error is a delivery failure reported by a Sink.
type Error struct {
	// Reason is one of the Reason constants.
	Reason string
	// Rejected means the database refused the content: sending it again cannot succeed.
	Rejected bool
	Err      error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// reasonOf returns the reason label of a delivery error.
func reasonOf(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Reason != "" {
		return e.Reason
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return ReasonUnreachable
	}
	return ReasonOther
}

func rejected(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Rejected
}

// Options tune a spool. Zero values take the defaults in parentheses.
type Options struct {
	// BatchSize is the most intents sent in one request (5000).
	BatchSize int
	// RetryMin and RetryMax bound the backoff between failed delivery rounds (1s, 5m).
	RetryMin, RetryMax time.Duration
	// Logger receives the spool's logs (slog.Default()).
	Logger *slog.Logger
	// Now is the clock (time.Now).
	Now func() time.Time
}

type pendingEntry struct {
	seq uint64
	o   obs.Observation
}

// Spool is a durable outbox with its delivery loop. It is safe for concurrent use.
type Spool struct {
	db   *bolt.DB
	path string
	sink Sink
	opts Options
	log  *slog.Logger

	// mu guards everything below it and serializes Enqueue with commits.
	mu           sync.Mutex
	closed       bool
	bootstrapped bool
	// ledger is the in-memory copy of the ledger bucket.
	ledger map[obs.Key]obs.Observation
	// pending is the latest observation intent per key still in the outbox.
	pending map[obs.Key]pendingEntry
	// queue mirrors the outbox in memory, oldest first, so that delivery does not read
	// back and decode what Enqueue just wrote.
	queue       []intent
	clock       int64 // UnixNano of the latest intent's acknowledgement
	quarantined int
	// tent holds what the append transaction in progress adds, until it commits.
	tent struct {
		clock   int64
		pending map[obs.Key]pendingEntry
		queue   []intent
	}
	// commits batches the append transactions of concurrent writers.
	commits *groupcommit.Committer

	failing  atomic.Bool
	requests chan chan error
	// wake is signalled (without blocking) by every successful append, so that the
	// loop delivers acknowledged writes without waiting for a Sync.
	wake     chan struct{}
	stop     chan struct{}
	loopDone chan struct{}
	ctx      context.Context
	cancel   context.CancelFunc

	// buf and offs are reused by the delivery loop for request bodies.
	buf  []byte
	offs []int

	flushErrors *prometheus.CounterVec
	// health is the outcome of the latest write to the file (see Health).
	health store.WriteHealth
}

// metaProbe is the meta key Health writes to find out whether the file is writable
// again after a write failed.
var metaProbe = []byte("probe")

// update runs fn in a write transaction and commits it to disk; its outcome is the
// spool's write health.
func (s *Spool) update(fn func(tx *bolt.Tx) error) error {
	err := s.db.Update(fn)
	if !errors.Is(err, bolt.ErrDatabaseNotOpen) {
		s.health.Record(err)
	}
	return err
}

// Health returns nil unless the latest write to the spool file failed (a full disk,
// an I/O error), and then an error saying when and why, until a write succeeds again
// and the filesystem has room (store.WriteHealth). While it fails it tries a small
// write itself, so that it recovers once the file is writable, with or without
// other writes. Writes are refused meanwhile; what was acknowledged stays spooled.
func (s *Spool) Health() error {
	if s.health.Err() == nil {
		return nil
	}
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if !closed {
		_ = s.update(func(tx *bolt.Tx) error {
			return tx.Bucket(bucketMeta).Put(metaProbe, []byte(s.opts.Now().UTC().Format(time.RFC3339Nano)))
		})
	}
	if err := s.health.Err(); err != nil {
		return fmt.Errorf("spool %s: %w", s.path, err)
	}
	return nil
}

// Open opens (creating if needed) the spool file at path and starts its delivery loop.
// Only one process may hold the file; Open fails after a few seconds if another does.
func Open(path string, sink Sink, opts Options) (*Spool, error) {
	if opts.BatchSize <= 0 {
		opts.BatchSize = 5000
	}
	if opts.RetryMin <= 0 {
		opts.RetryMin = time.Second
	}
	if opts.RetryMax <= 0 {
		opts.RetryMax = 5 * time.Minute
	}
	opts.RetryMax = max(opts.RetryMax, opts.RetryMin)
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout:        3 * time.Second,
		NoFreelistSync: true,
		FreelistType:   bolt.FreelistMapType,
	})
	if err != nil {
		if errors.Is(err, bolt.ErrTimeout) {
			return nil, fmt.Errorf("spool: open %s: the file is held by another process: %w", path, err)
		}
		return nil, fmt.Errorf("spool: open %s: %w", path, err)
	}
	s := &Spool{
		db:       db,
		path:     path,
		sink:     sink,
		opts:     opts,
		log:      opts.Logger.With("component", "spool", "path", path),
		ledger:   make(map[obs.Key]obs.Observation),
		pending:  make(map[obs.Key]pendingEntry),
		requests: make(chan chan error),
		wake:     make(chan struct{}, 1),
		stop:     make(chan struct{}),
		loopDone: make(chan struct{}),
		health:   store.WriteHealth{Dir: filepath.Dir(path)},
		flushErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "trademon_store_spool_flush_errors_total",
			Help: "Failed deliveries of spooled writes to InfluxDB, by reason (one per failed delivery round; rejected counts quarantined entries).",
		}, []string{"reason"}),
	}
	for _, r := range reasons {
		s.flushErrors.WithLabelValues(r)
	}
	s.tent.pending = make(map[obs.Key]pendingEntry)
	if err := s.load(); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("spool: open %s: %w", path, err)
	}
	s.commits = groupcommit.New(db, groupcommit.Hooks{Begin: s.beginAppend, End: s.endAppend})
	s.ctx, s.cancel = context.WithCancel(context.Background())
	go s.run()
	return s, nil
}

// load creates the buckets and reads the ledger and the outbox into memory. Intents
// that cannot be decoded are moved to the quarantine.
func (s *Spool) load() error {
	var corrupt [][]byte
	err := s.db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketOutbox, bucketLedger, bucketQuarantine, bucketMeta, bucketAuditSeries} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("create bucket %s: %w", name, err)
			}
		}
		meta := tx.Bucket(bucketMeta)
		s.bootstrapped = meta.Get(metaBootstrapped) != nil
		if v := meta.Get(metaClock); len(v) == 8 {
			s.clock = int64(binary.BigEndian.Uint64(v))
		}
		err := tx.Bucket(bucketLedger).ForEach(func(k, v []byte) error {
			o, err := decodeRecord(v)
			if err != nil {
				return fmt.Errorf("ledger record %q: %w", k, err)
			}
			s.ledger[o.Key()] = o
			return nil
		})
		if err != nil {
			return err
		}
		c := tx.Bucket(bucketOutbox).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			it, err := decodeIntent(binary.BigEndian.Uint64(k), v)
			if err != nil {
				s.log.Error("corrupt spool entry moved to quarantine", "seq", binary.BigEndian.Uint64(k), "err", err)
				corrupt = append(corrupt, bytes.Clone(k))
				continue
			}
			s.queue = append(s.queue, it)
			if it.kind == kindObservation {
				s.pending[it.obs.Key()] = pendingEntry{seq: it.seq, o: it.obs}
			}
		}
		for _, k := range corrupt {
			if err := quarantine(tx, k, errors.New("corrupt spool entry"), s.opts.Now()); err != nil {
				return err
			}
		}
		s.quarantined = tx.Bucket(bucketQuarantine).Stats().KeyN
		return nil
	})
	return err
}

// quarantine moves the outbox entry under key k to the quarantine bucket.
func quarantine(tx *bolt.Tx, k []byte, cause error, now time.Time) error {
	ob := tx.Bucket(bucketOutbox)
	raw := ob.Get(k)
	rec := []byte{quarantineVersion}
	rec = binary.BigEndian.AppendUint64(rec, uint64(now.UnixNano()))
	rec = appendString(rec, cause.Error())
	rec = append(rec, raw...)
	if err := tx.Bucket(bucketQuarantine).Put(bytes.Clone(k), rec); err != nil {
		return fmt.Errorf("quarantine entry: %w", err)
	}
	if err := ob.Delete(k); err != nil {
		return fmt.Errorf("quarantine entry: %w", err)
	}
	return nil
}

func seqKey(seq uint64) []byte { return binary.BigEndian.AppendUint64(make([]byte, 0, 8), seq) }

// tick returns the acknowledgement time of a new intent: now, or 1ns after the
// previous one, so that times are unique and increasing within the spool.
func (s *Spool) tick(now time.Time) time.Time {
	at := now.UnixNano()
	if at <= s.clock {
		at = s.clock + 1
	}
	s.clock = at
	return time.Unix(0, at).UTC()
}

// Enqueue durably appends the observations that change what the database holds (or
// will hold once the outbox is delivered) and returns one outcome per observation: an
// observation stating the same figure as the latest stored or spooled one is
// Unchanged and not spooled. Until the ledger was loaded from the database, new
// observations are Queued. The observations must be valid; Enqueue does not check.
// When Enqueue returns nil, the spooled writes are on disk (fsynced); concurrent
// appends share a transaction and its fsync (package groupcommit).
func (s *Spool) Enqueue(os []obs.Observation) ([]store.Outcome, error) {
	outcomes, _, err := s.EnqueueWithAudit(os, nil)
	return outcomes, err
}

// EnqueueWithAudit is Enqueue and EnqueueAudit in one append: the observations'
// intents and the audit records' are written in one transaction, so a crash leaves
// all of them spooled or none. It returns the outcomes and the records as they will
// be stored.
func (s *Spool) EnqueueWithAudit(os []obs.Observation, rs []store.AuditRecord) ([]store.Outcome, []store.AuditRecord, error) {
	outcomes := make([]store.Outcome, len(os))
	recs := make([]store.AuditRecord, len(rs))
	if len(os) == 0 && len(rs) == 0 {
		return outcomes, recs, nil
	}
	err := s.commits.Update(context.Background(), func(tx *bolt.Tx) error {
		if s.closed {
			return ErrClosed
		}
		if err := s.addObservations(tx, os, outcomes); err != nil {
			return err
		}
		return s.addIntents(tx, len(rs), s.fillAudit(rs, recs))
	})
	if err != nil {
		return nil, nil, s.appendError(err)
	}
	return outcomes, recs, nil
}

// addObservations appends to tx the intents of the observations in os that change
// what the database holds and sets every outcome. It runs inside an append
// transaction (mu held, tent reset), so it may run again.
func (s *Spool) addObservations(tx *bolt.Tx, os []obs.Observation, outcomes []store.Outcome) error {
	now := s.opts.Now()
	ob := tx.Bucket(bucketOutbox)
	ob.FillPercent = 1
	buf := make([]byte, 0, 512*len(os))
	added := false
	for i := range os {
		o := &os[i]
		k := o.Key()
		prev, have := s.tent.pending[k]
		if !have {
			prev, have = s.pending[k]
		}
		if !have && s.bootstrapped {
			prev.o, have = s.ledger[k]
		}
		switch {
		case have && !o.Supersedes(prev.o):
			outcomes[i] = store.Unchanged
			continue
		case !s.bootstrapped:
			outcomes[i] = store.Queued
		case have:
			outcomes[i] = store.Updated
		default:
			outcomes[i] = store.Created
		}
		seq, err := ob.NextSequence()
		if err != nil {
			return err
		}
		it := intent{seq: seq, kind: kindObservation, at: s.tick(now), obs: *o}
		start := len(buf)
		buf = encodeIntent(buf, &it)
		if err := ob.Put(seqKey(seq), buf[start:len(buf):len(buf)]); err != nil {
			return err
		}
		s.tent.pending[k] = pendingEntry{seq: seq, o: *o}
		s.tent.queue = append(s.tent.queue, it)
		added = true
	}
	if !added {
		return nil
	}
	return tx.Bucket(bucketMeta).Put(metaClock, binary.BigEndian.AppendUint64(nil, uint64(s.clock)))
}

// appendError is the error of a failed append.
func (s *Spool) appendError(err error) error {
	if errors.Is(err, ErrClosed) || errors.Is(err, groupcommit.ErrClosed) {
		return ErrClosed
	}
	return fmt.Errorf("spool: append to %s: %w", s.path, err)
}

// The committer's hooks: every append transaction runs with mu held, its new
// intents kept in tent until the commit is on disk.

func (s *Spool) beginAppend() {
	s.mu.Lock()
	s.tent.clock = s.clock
	clear(s.tent.pending)
	s.tent.queue = s.tent.queue[:0]
}

func (s *Spool) endAppend(err error) {
	defer s.mu.Unlock()
	if !errors.Is(err, groupcommit.ErrAborted) {
		s.health.Record(err)
	}
	if err != nil {
		s.clock = s.tent.clock
		return
	}
	for _, it := range s.tent.queue {
		if it.kind == kindObservation {
			s.pending[it.obs.Key()] = pendingEntry{seq: it.seq, o: it.obs}
		}
	}
	if len(s.tent.queue) > 0 {
		s.queue = append(s.queue, s.tent.queue...)
		clear(s.tent.queue) // the queue holds copies; let these be collected
		s.signal()
	}
}

// signal wakes the delivery loop for newly appended intents.
func (s *Spool) signal() {
	select {
	case s.wake <- struct{}{}:
	default: // a wake-up is already pending
	}
}

// EnqueueConflicts durably appends conflicts. They are delivered as idempotent
// upserts (one point per alternative key and source).
func (s *Spool) EnqueueConflicts(cs []obs.Conflict) error {
	return s.appendIntents(len(cs), func(_ *bolt.Tx, i int, it *intent) error {
		it.kind, it.conflict = kindConflict, cs[i]
		return nil
	})
}

// EnqueueAudit durably appends audit records, which must be normalized and valid
// (store.NormalizeAudit, store.CheckAudit), and returns them as they will be stored:
// each dated by store.NextAuditTime against the latest time of its series, so that
// no two records of a series share a time in the database.
func (s *Spool) EnqueueAudit(rs []store.AuditRecord) ([]store.AuditRecord, error) {
	_, recs, err := s.EnqueueWithAudit(nil, rs)
	return recs, err
}

// fillAudit describes the intent of rs[i] for addIntents, dating it within its
// series (in tx's audit_series bucket) and keeping the record as stored in out[i].
func (s *Spool) fillAudit(rs, out []store.AuditRecord) func(tx *bolt.Tx, i int, it *intent) error {
	return func(tx *bolt.Tx, i int, it *intent) error {
		sb := tx.Bucket(bucketAuditSeries)
		r := rs[i] // from the input each time: the transaction may be attempted again
		series := store.AuditSeries(r)
		last, _ := store.ParseTimeKey(sb.Get(series))
		r.Time = store.NextAuditTime(r.Time, last)
		out[i] = r
		it.kind, it.audit = kindAudit, r
		return sb.Put(series, store.TimeKey(r.Time))
	}
}

// EnqueueEvaluations durably appends evaluation records, which must be valid
// (store.CheckEvaluations). Each is delivered with its acknowledgement time, by which
// readers tell the latest of several records for one target and time.
func (s *Spool) EnqueueEvaluations(es []store.EvaluationRecord) error {
	return s.appendIntents(len(es), func(_ *bolt.Tx, i int, it *intent) error {
		it.kind, it.evaluation = kindEvaluation, es[i]
		return nil
	})
}

// appendIntents durably appends n intents that fill describes, in one transaction
// (shared with concurrent appends).
func (s *Spool) appendIntents(n int, fill func(tx *bolt.Tx, i int, it *intent) error) error {
	if n == 0 {
		return nil
	}
	err := s.commits.Update(context.Background(), func(tx *bolt.Tx) error {
		if s.closed {
			return ErrClosed
		}
		return s.addIntents(tx, n, fill)
	})
	if err != nil {
		return s.appendError(err)
	}
	return nil
}

// addIntents appends to tx n intents that fill describes; fill may also write to
// other buckets of tx. It runs inside an append transaction, so it may run again.
func (s *Spool) addIntents(tx *bolt.Tx, n int, fill func(tx *bolt.Tx, i int, it *intent) error) error {
	if n == 0 {
		return nil
	}
	now := s.opts.Now()
	ob := tx.Bucket(bucketOutbox)
	ob.FillPercent = 1
	for i := range n {
		seq, err := ob.NextSequence()
		if err != nil {
			return err
		}
		it := intent{seq: seq, at: s.tick(now)}
		if err := fill(tx, i, &it); err != nil {
			return err
		}
		if err := ob.Put(seqKey(seq), encodeIntent(nil, &it)); err != nil {
			return err
		}
		s.tent.queue = append(s.tent.queue, it)
	}
	return tx.Bucket(bucketMeta).Put(metaClock, binary.BigEndian.AppendUint64(nil, uint64(s.clock)))
}

// Failing reports whether the last delivery round failed, i.e. the loop is waiting out
// a backoff delay. Writers then do not wait for delivery.
func (s *Spool) Failing() bool { return s.failing.Load() }

// Sync asks the delivery loop for a round and waits for its result: nil means every
// intent spooled before the call was delivered (or quarantined). If ctx ends first,
// Sync returns ctx.Err() and the round goes on.
func (s *Spool) Sync(ctx context.Context) error {
	w := make(chan error, 1)
	select {
	case s.requests <- w:
	case <-s.stop:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-w:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Stats is a snapshot of the spool's state.
type Stats struct {
	// Entries is the number of intents waiting in the outbox.
	Entries int
	// Oldest is when the oldest waiting intent was acknowledged (zero when none waits).
	Oldest time.Time
	// Quarantined is the number of rejected intents kept in the quarantine.
	Quarantined int
	// Bootstrapped says whether the ledger was loaded from the database.
	Bootstrapped bool
	// Failing says whether the last delivery round failed.
	Failing bool
}

// Stats returns a snapshot of the spool's state.
func (s *Spool) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Stats{Entries: len(s.queue), Quarantined: s.quarantined, Bootstrapped: s.bootstrapped, Failing: s.failing.Load()}
	if len(s.queue) > 0 {
		st.Oldest = s.queue[0].at
	}
	return st
}

// Close stops the delivery loop, makes a last delivery round bounded by ctx, and
// closes the file. What could not be delivered stays on disk for the next Open.
// Closing a closed spool does nothing.
func (s *Spool) Close(ctx context.Context) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	s.commits.Close() // appends waiting now fail with ErrClosed
	close(s.stop)
	select {
	case <-s.loopDone:
	case <-ctx.Done():
		s.cancel()
		<-s.loopDone
	}
	s.cancel()
	if st := s.Stats(); st.Entries > 0 || !st.Bootstrapped {
		if err := s.deliverAll(ctx); err != nil {
			s.log.Warn("spooled writes kept on disk for the next start", "entries", s.Stats().Entries, "err", err)
		}
	}
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("spool: close %s: %w", s.path, err)
	}
	return nil
}

// abandon releases the file as a crash would: no last delivery, nothing tidied up.
// Tests use it to reopen the file in the same process.
func (s *Spool) abandon() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.commits.Close()
	close(s.stop)
	s.cancel()
	<-s.loopDone
	_ = s.db.Close()
}

// run is the delivery loop: a round on request (Sync), when a write was appended
// (unless the database is failing: then the backoff timer decides, so that a stream
// of writes does not hammer a database that is down), on a timer after a failure with
// exponential backoff and jitter, and once at start when there is work.
func (s *Spool) run() {
	defer close(s.loopDone)
	bo := Backoff{Min: s.opts.RetryMin, Max: s.opts.RetryMax}
	timer := time.NewTimer(0)
	if st := s.Stats(); st.Entries == 0 && st.Bootstrapped {
		timer.Stop()
	}
	defer timer.Stop()
	for {
		var waiters []chan error
		select {
		case <-s.stop:
			return
		case w := <-s.requests:
			waiters = append(waiters, w)
		case <-s.wake:
			if s.failing.Load() {
				continue
			}
		case <-timer.C:
		}
	drain:
		for {
			select {
			case w := <-s.requests:
				waiters = append(waiters, w)
			case <-s.wake: // this round takes what was appended
			default:
				break drain
			}
		}
		err := s.deliverAll(s.ctx)
		if err != nil {
			s.failing.Store(true) // before a waiter hears of the failure
		}
		for _, w := range waiters {
			w <- err
		}
		if err != nil {
			d := bo.Failure()
			s.log.Warn("delivery to the database failed; retrying later",
				"err", err, "reason", reasonOf(err), "attempt", bo.Failures(), "retry_in", d, "entries", s.Stats().Entries)
			timer.Reset(d)
			continue
		}
		if s.failing.Swap(false) {
			s.log.Info("delivery to the database recovered", "attempts", bo.Failures()+1)
		}
		bo.Reset()
		// A writer that saw the loop failing did not ask for a round: look again.
		if s.Stats().Entries > 0 {
			timer.Reset(0)
		} else {
			timer.Stop()
		}
	}
}

// planned is an intent with the points decided for it.
type planned struct {
	it   intent
	item Item
}

// deliverAll loads the ledger if needed, then delivers the outbox in batches until it
// is empty or a round fails.
func (s *Spool) deliverAll(ctx context.Context) error {
	s.mu.Lock()
	boot := s.bootstrapped
	s.mu.Unlock()
	if !boot {
		recs, err := s.sink.Latest(ctx)
		if err != nil {
			s.flushErrors.WithLabelValues(reasonOf(err)).Inc()
			return fmt.Errorf("spool: load the latest records from the database: %w", err)
		}
		if err := s.bootstrap(recs); err != nil {
			s.flushErrors.WithLabelValues(ReasonSpool).Inc()
			return err
		}
	}
	for {
		its := s.head()
		if len(its) == 0 {
			return nil
		}
		plan := s.plan(its)
		s.buf, s.offs = s.buf[:0], append(s.offs[:0], 0)
		for i := range plan {
			s.buf = s.sink.AppendItem(s.buf, &plan[i].item)
			s.offs = append(s.offs, len(s.buf))
		}
		done, bad, badErr, err := s.deliver(ctx, 0, len(plan))
		var q *planned
		if bad >= 0 {
			q = &plan[bad]
		}
		if cerr := s.commit(plan[:done], q, badErr); cerr != nil {
			s.flushErrors.WithLabelValues(ReasonSpool).Inc()
			return cerr
		}
		if q != nil {
			s.flushErrors.WithLabelValues(ReasonRejected).Inc()
			s.log.Error("the database rejected a spooled write; it is kept in the quarantine",
				"seq", q.it.seq, "what", describe(q), "err", badErr)
		}
		if err != nil {
			s.flushErrors.WithLabelValues(reasonOf(err)).Inc()
			return err
		}
	}
}

func describe(p *planned) string {
	switch {
	case p.item.Observation != nil:
		return "observation " + p.item.Observation.Key().String()
	case p.item.Conflict != nil:
		return "conflict " + p.item.Conflict.Alternative.Key().String() + " from " + p.item.Conflict.Alternative.Source
	case p.item.Audit != nil:
		return "audit record " + string(p.item.Audit.Action) + " by " + p.item.Audit.User + " at " + p.item.Audit.Time.Format(time.RFC3339Nano)
	case p.item.Evaluation != nil:
		return "evaluation of " + p.item.Evaluation.Target + " at " + p.item.Evaluation.Time.Format(time.RFC3339Nano)
	}
	return "unchanged observation " + p.it.obs.Key().String()
}

// deliver sends the items [lo, hi) and returns how many leading items were delivered.
// When the database rejects the content, it bisects to find the first rejected item,
// delivering those before it, and returns its index as bad (else bad is −1) with the
// rejection. It stops at the first rejected item: the items after it are planned again
// against the ledger without it. A transient failure is returned as err.
func (s *Spool) deliver(ctx context.Context, lo, hi int) (done, bad int, badErr, err error) {
	if lo == hi || s.offs[lo] == s.offs[hi] {
		return hi - lo, -1, nil, nil
	}
	werr := s.sink.Write(ctx, s.buf[s.offs[lo]:s.offs[hi]])
	switch {
	case werr == nil:
		return hi - lo, -1, nil, nil
	case !rejected(werr):
		return 0, -1, nil, werr
	case hi-lo == 1:
		return 0, lo, werr, nil
	}
	mid := (lo + hi) / 2
	d, bad, badErr, err := s.deliver(ctx, lo, mid)
	if bad >= 0 || err != nil {
		return d, bad, badErr, err
	}
	d2, bad, badErr, err := s.deliver(ctx, mid, hi)
	return d + d2, bad, badErr, err
}

// head returns up to BatchSize intents from the head of the queue.
func (s *Spool) head() []intent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.queue[:min(len(s.queue), s.opts.BatchSize)])
}

// plan decides the points of each intent in order against the ledger: a new key is
// written, a superseding figure is written with a revision point dated at its
// acknowledgement (without one when only its provenance changed), and anything else
// is dropped as unchanged.
func (s *Spool) plan(its []intent) []planned {
	out := make([]planned, len(its))
	work := make(map[obs.Key]obs.Observation)
	for i := range its {
		p := &out[i]
		p.it = its[i]
		p.item.At = p.it.at
		switch p.it.kind {
		case kindConflict:
			p.item.Conflict = &p.it.conflict
		case kindAudit:
			p.item.Audit = &p.it.audit
		case kindEvaluation:
			p.item.Evaluation = &p.it.evaluation
		case kindObservation:
			o := &p.it.obs
			k := o.Key()
			prev, have := work[k]
			if !have {
				prev, have = s.ledger[k] // written only by this goroutine
			}
			switch {
			case !have:
				p.item.Observation = o
			case o.Supersedes(prev) && o.SameFigure(prev):
				p.item.Observation = o // provenance only: an upsert without a revision
			case o.Supersedes(prev):
				p.item.Observation = o
				p.item.Revision = &obs.Revision{
					Key:              k,
					Observation:      *o,
					PreviousValue:    prev.Value,
					PreviousSource:   prev.Source,
					PreviousEstimate: prev.Estimate,
					At:               p.it.at,
				}
			default:
				continue
			}
			work[k] = *o
		}
	}
	return out
}

// commit removes the delivered intents from the outbox, records their observations in
// the ledger and moves the rejected one (if any) to the quarantine, in one transaction.
func (s *Spool) commit(done []planned, bad *planned, badErr error) error {
	if len(done) == 0 && bad == nil {
		return nil
	}
	err := s.update(func(tx *bolt.Tx) error {
		ob, led := tx.Bucket(bucketOutbox), tx.Bucket(bucketLedger)
		var rec []byte
		for i := range done {
			p := &done[i]
			if err := ob.Delete(seqKey(p.it.seq)); err != nil {
				return err
			}
			if o := p.item.Observation; o != nil {
				start := len(rec)
				rec = encodeRecord(rec, o)
				if err := led.Put(store.KeyBytes(o.Key()), rec[start:len(rec):len(rec)]); err != nil {
					return err
				}
			}
		}
		if bad != nil {
			if err := quarantine(tx, seqKey(bad.it.seq), badErr, s.opts.Now()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("spool: commit delivered entries to %s: %w", s.path, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	drop := func(p *planned) {
		if p.it.kind != kindObservation {
			return
		}
		k := p.it.obs.Key()
		if e, ok := s.pending[k]; ok && e.seq == p.it.seq {
			delete(s.pending, k)
		}
	}
	for i := range done {
		p := &done[i]
		if o := p.item.Observation; o != nil {
			s.ledger[o.Key()] = *o
		}
		drop(p)
	}
	n := len(done)
	if bad != nil {
		drop(bad)
		n++
		s.quarantined++
	}
	// The delivered and the quarantined intents are the head of the queue, in order.
	clear(s.queue[:n]) // let the delivered records be collected
	s.queue = s.queue[n:]
	return nil
}

// bootstrap stores the latest records read from the database as the ledger and marks
// the ledger loaded.
func (s *Spool) bootstrap(recs []obs.Observation) error {
	err := s.update(func(tx *bolt.Tx) error {
		led := tx.Bucket(bucketLedger)
		for i := range recs {
			if err := led.Put(store.KeyBytes(recs[i].Key()), encodeRecord(nil, &recs[i])); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketMeta).Put(metaBootstrapped, []byte{1})
	})
	if err != nil {
		return fmt.Errorf("spool: store the ledger in %s: %w", s.path, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, o := range recs {
		s.ledger[o.Key()] = o
	}
	s.bootstrapped = true
	s.log.Info("ledger loaded from the database", "records", len(recs))
	return nil
}

// QuarantinedEntry is a spooled write the database rejected.
type QuarantinedEntry struct {
	Seq uint64
	// At is when it was quarantined; Err is the database's answer.
	At  time.Time
	Err string
	// Observation, Conflict, Audit or Evaluation is the write (one of them is set,
	// unless the entry was quarantined because it could not be decoded).
	Observation *obs.Observation
	Conflict    *obs.Conflict
	Audit       *store.AuditRecord
	Evaluation  *store.EvaluationRecord
	// Acknowledged is when the write was acknowledged.
	Acknowledged time.Time
}

// Quarantined lists the quarantined writes, oldest first.
func (s *Spool) Quarantined() ([]QuarantinedEntry, error) {
	var out []QuarantinedEntry
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketQuarantine).ForEach(func(k, v []byte) error {
			seq := binary.BigEndian.Uint64(k)
			if len(v) < 9 || v[0] != quarantineVersion {
				return fmt.Errorf("quarantine entry %d: corrupt", seq)
			}
			e := QuarantinedEntry{Seq: seq, At: time.Unix(0, int64(binary.BigEndian.Uint64(v[1:9]))).UTC()}
			d := decoder{b: v[9:]}
			e.Err = d.string()
			if d.err != nil {
				return fmt.Errorf("quarantine entry %d: %w", seq, d.err)
			}
			if it, err := decodeIntent(seq, d.b); err == nil {
				e.Acknowledged = it.at
				switch it.kind {
				case kindObservation:
					e.Observation = &it.obs
				case kindConflict:
					e.Conflict = &it.conflict
				case kindAudit:
					e.Audit = &it.audit
				case kindEvaluation:
					e.Evaluation = &it.evaluation
				}
			}
			out = append(out, e)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("spool: read the quarantine of %s: %w", s.path, err)
	}
	return out, nil
}

var (
	descEntries = prometheus.NewDesc("trademon_store_spool_entries",
		"Writes acknowledged but not yet delivered to InfluxDB.", nil, nil)
	descOldest = prometheus.NewDesc("trademon_store_spool_oldest_age_seconds",
		"Age of the oldest undelivered write in the spool (0 when it is empty).", nil, nil)
	descQuarantined = prometheus.NewDesc("trademon_store_spool_quarantined_entries",
		"Writes InfluxDB rejected as malformed, kept in the spool's quarantine.", nil, nil)
)

// Describe implements prometheus.Collector.
func (s *Spool) Describe(ch chan<- *prometheus.Desc) {
	ch <- descEntries
	ch <- descOldest
	ch <- descQuarantined
	s.flushErrors.Describe(ch)
	s.health.Describe(ch)
}

// Collect implements prometheus.Collector.
func (s *Spool) Collect(ch chan<- prometheus.Metric) {
	st := s.Stats()
	age := 0.0
	if !st.Oldest.IsZero() {
		age = max(s.opts.Now().Sub(st.Oldest).Seconds(), 0)
	}
	ch <- prometheus.MustNewConstMetric(descEntries, prometheus.GaugeValue, float64(st.Entries))
	ch <- prometheus.MustNewConstMetric(descOldest, prometheus.GaugeValue, age)
	ch <- prometheus.MustNewConstMetric(descQuarantined, prometheus.GaugeValue, float64(st.Quarantined))
	s.flushErrors.Collect(ch)
	s.health.Collect(ch)
}
