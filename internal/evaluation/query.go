package evaluation

import (
	"context"
	"fmt"
	"time"

	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/store"
	"github.com/trademon/trademon/targets"
)

// Query says which evaluation a reader wants. The zero Query is the latest snapshot.
type Query struct {
	// At judges the periods up to this time (DESIGN.md, --at); zero means now, or
	// Known when that is set.
	At time.Time
	// Known keeps only what had been published by this time, each figure in the
	// revision in force then (--known).
	Known time.Time
}

// IsZero reports whether q asks for the latest snapshot.
func (q Query) IsZero() bool { return q.At.IsZero() && q.Known.IsZero() }

// Targets returns the targets the service evaluates, in the order of the targets file.
func (s *Service) Targets() []targets.Target { ts, _ := s.plan(); return ts }

// Index returns the evaluation index for q: the cached snapshot's for the zero query
// (an error before the first evaluation), otherwise one built now from the store.
func (s *Service) Index(ctx context.Context, q Query) (*targets.Index, error) {
	if q.IsZero() {
		snap, ok := s.Snapshot()
		if !ok {
			msg := "targets not evaluated yet"
			if err := s.LastError(); err != nil {
				msg += ": " + err.Error()
			}
			return nil, fmt.Errorf("%s", msg)
		}
		return snap.Index, nil
	}
	all, err := s.store.Query(ctx, store.Filter{})
	if err != nil {
		return nil, fmt.Errorf("read observations: %w", err)
	}
	var revs []obs.Revision
	if !q.Known.IsZero() {
		if revs, err = s.store.Revisions(ctx, store.Filter{}); err != nil {
			return nil, fmt.Errorf("read revisions: %w", err)
		}
	}
	return BuildIndex(all, revs, q, s.now()), nil
}

// BuildIndex prepares observations (and, for a known date, the revisions) for
// evaluation as q asks, now being the current time: --known alone implies --at the
// same date.
func BuildIndex(all []obs.Observation, revs []obs.Revision, q Query, now time.Time) *targets.Index {
	at := q.At
	switch {
	case at.IsZero() && !q.Known.IsZero():
		at = q.Known
	case at.IsZero():
		at = now
	}
	opts := obs.IndexOptions{AsOf: at}
	if !q.Known.IsZero() {
		opts.Known, opts.Revisions = q.Known, revs
	}
	return targets.FromIndex(obs.NewIndex(all, opts))
}
