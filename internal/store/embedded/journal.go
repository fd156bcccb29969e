package embedded

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/trademon/trademon/internal/store"
)

// The journal buckets:
//
//   - audit: JSON audit records under their time (store.TimeKey) and a sequence
//     number, so oldest first;
//   - audit_series: the latest time of every audit series (action NUL user), which
//     keeps times unique per series as the InfluxDB store must (store.NextAuditTime);
//   - evaluations: JSON evaluation records under target NUL time, so that recording
//     the same target and time again replaces the record.
var (
	bucketAudit       = []byte("audit")
	bucketAuditSeries = []byte("audit_series")
	bucketEvaluations = []byte("evaluations")
)

var _ store.Journal = (*Store)(nil)

// AppendAudit implements store.Journal.
func (s *Store) AppendAudit(ctx context.Context, rs []store.AuditRecord) error {
	if len(rs) == 0 {
		return nil
	}
	recs, err := store.PrepareAudit(rs, time.Now())
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.update(ctx, func(tx *bolt.Tx) error { return appendAudit(tx, recs) }); err != nil {
		return fmt.Errorf("embedded store: append audit: %w", err)
	}
	return nil
}

// appendAudit writes prepared audit records (store.PrepareAudit) in tx, each dated
// uniquely within its series. It derives everything from tx, so it may run again.
func appendAudit(tx *bolt.Tx, recs []store.AuditRecord) error {
	ab, sb := tx.Bucket(bucketAudit), tx.Bucket(bucketAuditSeries)
	for _, r := range recs {
		series := store.AuditSeries(r)
		last, _ := store.ParseTimeKey(sb.Get(series))
		r.Time = store.NextAuditTime(r.Time, last)
		tk := store.TimeKey(r.Time)
		if err := sb.Put(series, tk); err != nil {
			return err
		}
		seq, err := ab.NextSequence()
		if err != nil {
			return err
		}
		if err := putJSON(ab, append(tk, seqKey(seq)...), r); err != nil {
			return err
		}
	}
	return nil
}

// Audit implements store.Journal. It reads the bucket from the end of f's time range
// backwards, so that a Limit reads no more than it returns.
func (s *Store) Audit(ctx context.Context, f store.AuditFilter) ([]store.AuditRecord, error) {
	var out []store.AuditRecord
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketAudit).Cursor()
		var k, v []byte
		if f.To.IsZero() {
			k, v = c.Last()
		} else {
			end := store.TimeKey(f.To)
			if k, v = c.Seek(end); k == nil {
				k, v = c.Last()
			} else {
				k, v = c.Prev()
			}
		}
		var from []byte
		if !f.From.IsZero() {
			from = store.TimeKey(f.From)
		}
		for ; k != nil; k, v = c.Prev() {
			if from != nil && bytes.Compare(k[:8], from) < 0 {
				break
			}
			var r store.AuditRecord
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("decode audit record %x: %w", k, err)
			}
			r.Time = r.Time.UTC()
			if f.Match(r) {
				out = append(out, r)
				if f.Limit > 0 && len(out) == f.Limit {
					break
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("embedded store: audit: %w", err)
	}
	slices.Reverse(out)
	store.SortAudit(out)
	return out, nil
}

// AppendEvaluations implements store.Journal.
func (s *Store) AppendEvaluations(ctx context.Context, es []store.EvaluationRecord) error {
	if len(es) == 0 {
		return nil
	}
	if err := store.CheckEvaluations(es); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	err := s.update(ctx, func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketEvaluations)
		for _, e := range es {
			e.Time = e.Time.UTC()
			if err := putJSON(b, evaluationKey(e.Target, e.Time), e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("embedded store: append evaluations: %w", err)
	}
	return nil
}

// Evaluations implements store.Journal.
func (s *Store) Evaluations(ctx context.Context, f store.EvaluationFilter) ([]store.EvaluationRecord, error) {
	var out []store.EvaluationRecord
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketEvaluations).Cursor()
		read := func(k, v []byte) error {
			var e store.EvaluationRecord
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("decode evaluation record %q: %w", k, err)
			}
			e.Time = e.Time.UTC()
			if f.Match(e) {
				out = append(out, e)
			}
			return nil
		}
		if len(f.Targets) == 0 {
			for k, v := c.First(); k != nil; k, v = c.Next() {
				if err := read(k, v); err != nil {
					return err
				}
			}
			return nil
		}
		targets := slices.Clone(f.Targets)
		slices.Sort(targets)
		for _, target := range slices.Compact(targets) {
			prefix := append([]byte(target), 0)
			start := prefix
			if !f.From.IsZero() {
				start = evaluationKey(target, f.From)
			}
			for k, v := c.Seek(start); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
				if err := read(k, v); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("embedded store: evaluations: %w", err)
	}
	store.SortEvaluations(out)
	return out, nil
}

// evaluationKey is target NUL time: store.CheckEvaluations keeps NUL out of targets.
func evaluationKey(target string, t time.Time) []byte {
	k := make([]byte, 0, len(target)+9)
	k = append(k, target...)
	k = append(k, 0)
	return append(k, store.TimeKey(t)...)
}
