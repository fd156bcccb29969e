// Package embedded is trademon's default observation store: a single bbolt file,
// <dir>/trademon.db, needing no server. Every Put returns once its transaction is
// fsynced; concurrent Puts share a transaction and its fsync (package groupcommit).
//
// The file holds these buckets: observations (JSON records keyed by observation key),
// revisions (JSON records under increasing sequence numbers, so oldest first),
// conflicts (JSON records keyed by the alternative's key and source), the journal's
// audit, audit_series and evaluations (see journal.go) and meta (the format version).
package embedded

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	bolt "go.etcd.io/bbolt"

	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/store"
	"github.com/trademon/trademon/internal/store/groupcommit"
)

// FileName is the name of the store file inside its directory.
const FileName = "trademon.db"

const formatVersion = "1"

var (
	bucketObservations = []byte("observations")
	bucketRevisions    = []byte("revisions")
	bucketConflicts    = []byte("conflicts")
	bucketMeta         = []byte("meta")
	metaVersion        = []byte("format_version")
)

// Options tune an embedded store.
type Options struct {
	// Logger receives the store's logs (slog.Default()).
	Logger *slog.Logger
}

// Store is the embedded store. It is safe for concurrent use.
type Store struct {
	db   *bolt.DB
	dir  string
	log  *slog.Logger
	once sync.Once

	// lastRev is the time of the latest revision, kept so that revision times increase
	// strictly; it is touched only inside write transactions, which bbolt serializes.
	lastRev time.Time

	writes *prometheus.CounterVec
	// health is the outcome of the latest write transaction (see Ping).
	health store.WriteHealth
	// commits batches the write transactions of concurrent callers.
	commits *groupcommit.Committer
}

var _ store.Store = (*Store)(nil)

// metaProbe is the meta key Ping writes to find out whether the file is writable
// again after a write failed.
var metaProbe = []byte("probe")

// Open opens (creating if needed) the store in dir. Only one process may hold the
// file; Open fails after a few seconds if another does.
func Open(dir string, opts Options) (*Store, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("embedded store: create directory: %w", err)
	}
	path := filepath.Join(dir, FileName)
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 3 * time.Second, FreelistType: bolt.FreelistMapType})
	if err != nil {
		if errors.Is(err, bolt.ErrTimeout) {
			return nil, fmt.Errorf("embedded store: open %s: the file is held by another process: %w", path, err)
		}
		return nil, fmt.Errorf("embedded store: open %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketObservations, bucketRevisions, bucketConflicts, bucketMeta, bucketAudit, bucketAuditSeries, bucketEvaluations} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bucketMeta)
		switch v := meta.Get(metaVersion); {
		case v == nil:
			return meta.Put(metaVersion, []byte(formatVersion))
		case string(v) != formatVersion:
			return fmt.Errorf("unsupported format version %q (this trademon reads %s)", v, formatVersion)
		}
		return nil
	})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("embedded store: open %s: %w", path, err)
	}
	s := &Store{
		db:     db,
		dir:    dir,
		log:    opts.Logger.With("component", "store", "kind", "embedded", "path", path),
		writes: store.NewWritesCounter(),
		health: store.WriteHealth{Dir: dir},
	}
	s.commits = groupcommit.New(db, groupcommit.Hooks{End: s.commitEnded})
	return s, nil
}

// Dir returns the directory the store lives in.
func (s *Store) Dir() string { return s.dir }

// Put implements store.Store.
func (s *Store) Put(ctx context.Context, os []obs.Observation) ([]store.Outcome, error) {
	return s.PutWithAudit(ctx, os, nil)
}

// PutWithAudit implements store.Store: the observations and the audit records are
// written in one transaction (shared with concurrent writers), so one fsync makes
// both durable and a crash before it leaves neither.
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
	if err := ctx.Err(); err != nil {
		return fail(err)
	}
	outcomes := make([]store.Outcome, len(os))
	if len(os) == 0 && len(recs) == 0 {
		return outcomes, nil
	}
	err = s.update(ctx, func(tx *bolt.Tx) error {
		if err := s.putObservations(tx, os, outcomes); err != nil {
			return err
		}
		return appendAudit(tx, recs)
	})
	if err != nil {
		return fail(fmt.Errorf("embedded store: put: %w", err))
	}
	s.writes.WithLabelValues("ok").Add(float64(len(os)))
	return outcomes, nil
}

// putObservations upserts os in tx, recording revisions, and sets their outcomes. It
// derives everything from tx, so it may run again (package groupcommit).
func (s *Store) putObservations(tx *bolt.Tx, os []obs.Observation, outcomes []store.Outcome) error {
	ob, rb := tx.Bucket(bucketObservations), tx.Bucket(bucketRevisions)
	now := time.Now()
	for i := range os {
		o := os[i]
		k := store.KeyBytes(o.Key())
		var prev obs.Observation
		if v := ob.Get(k); v != nil {
			if err := json.Unmarshal(v, &prev); err != nil {
				return fmt.Errorf("decode stored %s: %w", o.Key(), err)
			}
			if !o.Supersedes(prev) {
				outcomes[i] = store.Unchanged
				continue
			}
			outcomes[i] = store.Updated
			if !o.SameFigure(prev) { // a revision is a changed figure, not provenance alone
				if err := s.putRevision(rb, o, prev, now); err != nil {
					return err
				}
			}
		} else {
			outcomes[i] = store.Created
		}
		if err := putJSON(ob, k, o); err != nil {
			return err
		}
	}
	return nil
}

// putRevision records that o replaced the figure of prev, dated now or 1 ns after the
// previous revision, so that revision times strictly increase.
func (s *Store) putRevision(rb *bolt.Bucket, o, prev obs.Observation, now time.Time) error {
	at := now.UTC()
	if !at.After(s.lastRev) {
		at = s.lastRev.Add(time.Nanosecond)
	}
	s.lastRev = at
	rev := obs.Revision{Observation: o, PreviousValue: prev.Value, PreviousSource: prev.Source, PreviousEstimate: prev.Estimate, At: at}
	seq, err := rb.NextSequence()
	if err != nil {
		return err
	}
	return putJSON(rb, seqKey(seq), rev)
}

// update runs fn in a write transaction shared with concurrent writers (package
// groupcommit) and returns once it is on disk. fn may run more than once (when
// another function of its batch fails), so it derives everything from tx. The
// outcome of each commit is the store's write health: a failure makes Ping fail
// until a write succeeds again.
func (s *Store) update(ctx context.Context, fn func(tx *bolt.Tx) error) error {
	err := s.commits.Update(ctx, fn)
	if errors.Is(err, groupcommit.ErrClosed) {
		return bolt.ErrDatabaseNotOpen
	}
	return err
}

// commitEnded records the outcome of a commit as the store's write health.
func (s *Store) commitEnded(err error) {
	if !errors.Is(err, groupcommit.ErrAborted) && !errors.Is(err, bolt.ErrDatabaseNotOpen) {
		s.health.Record(err)
	}
}

// Query implements store.Store.
func (s *Store) Query(ctx context.Context, f store.Filter) ([]obs.Observation, error) {
	var out []obs.Observation
	err := s.db.View(func(tx *bolt.Tx) error {
		return scan(tx.Bucket(bucketObservations), f, func(v []byte) error {
			var o obs.Observation
			if err := json.Unmarshal(v, &o); err != nil {
				return err
			}
			if f.Match(o) {
				utc(&o)
				out = append(out, o)
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("embedded store: query: %w", err)
	}
	obs.Sort(out)
	return out, nil
}

// Revisions implements store.Store.
func (s *Store) Revisions(ctx context.Context, f store.Filter) ([]obs.Revision, error) {
	var out []obs.Revision
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketRevisions).ForEach(func(_, v []byte) error {
			var r obs.Revision
			if err := json.Unmarshal(v, &r); err != nil {
				return err
			}
			if f.Match(r.Observation) {
				utc(&r.Observation)
				r.Key = r.Observation.Key()
				r.At = r.At.UTC()
				out = append(out, r)
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("embedded store: revisions: %w", err)
	}
	return out, nil
}

// PutConflicts implements store.Store.
func (s *Store) PutConflicts(ctx context.Context, cs []obs.Conflict) error {
	if err := store.CheckConflicts(cs); err != nil {
		return err
	}
	if len(cs) == 0 {
		return nil
	}
	err := s.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketConflicts)
		for _, c := range cs {
			if err := putJSON(b, conflictKey(c), c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("embedded store: put conflicts: %w", err)
	}
	return nil
}

// Conflicts implements store.Store.
func (s *Store) Conflicts(ctx context.Context, f store.Filter) ([]obs.Conflict, error) {
	var out []obs.Conflict
	err := s.db.View(func(tx *bolt.Tx) error {
		return scan(tx.Bucket(bucketConflicts), f, func(v []byte) error {
			var c obs.Conflict
			if err := json.Unmarshal(v, &c); err != nil {
				return err
			}
			if f.Match(c.Alternative) {
				utc(&c.Alternative)
				c.DetectedAt = c.DetectedAt.UTC()
				out = append(out, c)
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("embedded store: conflicts: %w", err)
	}
	return out, nil
}

// Ping implements store.Store: it fails once the store is closed, and after a write
// failed (a full disk, an I/O error) until a write succeeds again. While it fails for
// that reason, Ping itself tries a small write (a probe in the meta bucket), so that
// readiness comes back once the file is writable, with or without other writes.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.View(func(*bolt.Tx) error { return nil }); err != nil {
		return fmt.Errorf("embedded store: %w", err)
	}
	if s.health.Err() == nil {
		return nil
	}
	_ = s.update(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(metaProbe, []byte(time.Now().UTC().Format(time.RFC3339Nano)))
	})
	if err := s.health.Err(); err != nil {
		return fmt.Errorf("embedded store: %w", err)
	}
	return nil
}

// Close implements store.Store. Every acknowledged write is already on disk; closing a
// closed store does nothing.
func (s *Store) Close() error {
	var err error
	s.once.Do(func() {
		s.commits.Close()
		if cerr := s.db.Close(); cerr != nil {
			err = fmt.Errorf("embedded store: close: %w", cerr)
		}
	})
	return err
}

// Describe implements prometheus.Collector.
func (s *Store) Describe(ch chan<- *prometheus.Desc) {
	s.writes.Describe(ch)
	s.health.Describe(ch)
}

// Collect implements prometheus.Collector.
func (s *Store) Collect(ch chan<- prometheus.Metric) {
	s.writes.Collect(ch)
	s.health.Collect(ch)
}

// scan calls fn with every value in b whose key may match f: when f names indicators,
// only their key ranges are read.
func scan(b *bolt.Bucket, f store.Filter, fn func(v []byte) error) error {
	c := b.Cursor()
	if len(f.Indicators) == 0 {
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if err := fn(v); err != nil {
				return fmt.Errorf("decode %q: %w", k, err)
			}
		}
		return nil
	}
	for _, ind := range f.Indicators {
		prefix := append([]byte(ind), 0)
		for k, v := c.Seek(prefix); k != nil && len(k) >= len(prefix) && string(k[:len(prefix)]) == string(prefix); k, v = c.Next() {
			if err := fn(v); err != nil {
				return fmt.Errorf("decode %q: %w", k, err)
			}
		}
	}
	return nil
}

func putJSON(b *bolt.Bucket, k []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(k, data)
}

func conflictKey(c obs.Conflict) []byte {
	k := store.KeyBytes(c.Alternative.Key())
	k = append(k, 0)
	return append(k, c.Alternative.Source...)
}

func seqKey(seq uint64) []byte { return binary.BigEndian.AppendUint64(make([]byte, 0, 8), seq) }

// utc returns the times of o in UTC, as every store does.
func utc(o *obs.Observation) {
	if !o.PublishedAt.IsZero() {
		o.PublishedAt = o.PublishedAt.UTC()
	}
	if !o.RetrievedAt.IsZero() {
		o.RetrievedAt = o.RetrievedAt.UTC()
	}
}
