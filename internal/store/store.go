// Package store defines where observations live. Two implementations satisfy the
// Store interface and pass the same conformance suite (package storetest): the
// embedded bbolt store (package embedded), the default, and the InfluxDB store
// (package influx), which writes through a durable local spool.
package store

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/trademon/trademon/internal/obs"
)

// Outcome says what a Put did with one observation.
type Outcome string

// Outcomes of a Put.
const (
	// Created: nothing was stored under the observation's key before.
	Created Outcome = "created"
	// Updated: the stored figure changed (obs.Observation.Supersedes); a revision was recorded.
	Updated Outcome = "updated"
	// Unchanged: the same figure was already stored; nothing was written.
	Unchanged Outcome = "unchanged"
	// Queued: the observation is durably spooled, but whether it creates or updates
	// could not be told yet because the backing database is unreachable.
	Queued Outcome = "queued"
)

// Filter selects observations. Zero fields match everything.
type Filter struct {
	Indicators  []string
	Region      string
	Bases       []obs.Basis
	SourceKinds []obs.SourceKind
	// From and To bound the period start (inclusive From, exclusive To); zero means open.
	From, To time.Time
}

// Store keeps observations, their revisions and source conflicts. Implementations are
// safe for concurrent use.
type Store interface {
	// Put durably writes observations as idempotent upserts keyed by obs.Key and returns
	// one Outcome per observation, in order. Observations must be normalized and valid
	// (obs.Observation.Validate); if any is not, Put writes nothing and returns an error.
	// A changed figure records a Revision. When Put returns nil the write is acknowledged
	// and survives a crash.
	Put(ctx context.Context, os []obs.Observation) ([]Outcome, error)
	// Query returns the stored observations matching f, sorted as obs.Sort does.
	Query(ctx context.Context, f Filter) ([]obs.Observation, error)
	// Revisions returns the recorded changes of observations matching f, oldest first.
	Revisions(ctx context.Context, f Filter) ([]obs.Revision, error)
	// PutConflicts durably records disagreements between sources. A conflict is
	// identified by the alternative's key and source: recording it again replaces the
	// earlier record, so re-running a collector does not pile up duplicates.
	PutConflicts(ctx context.Context, cs []obs.Conflict) error
	// Conflicts returns recorded conflicts whose alternative matches f.
	Conflicts(ctx context.Context, f Filter) ([]obs.Conflict, error)
	// Ping reports whether the store can serve reads and writes now.
	Ping(ctx context.Context) error
	// Close flushes what the store holds and releases it.
	Close() error
}

// ErrInvalid wraps validation failures of Put: nothing was written.
var ErrInvalid = errors.New("invalid observation")

// Match reports whether o is selected by f.
func (f Filter) Match(o obs.Observation) bool {
	if len(f.Indicators) > 0 && !slices.Contains(f.Indicators, o.Indicator) {
		return false
	}
	if f.Region != "" && f.Region != o.Region {
		return false
	}
	if len(f.Bases) > 0 && !slices.Contains(f.Bases, o.Basis) {
		return false
	}
	if len(f.SourceKinds) > 0 && !slices.Contains(f.SourceKinds, o.SourceKind) {
		return false
	}
	start := o.Period.Start()
	if !f.From.IsZero() && start.Before(f.From) {
		return false
	}
	if !f.To.IsZero() && !start.Before(f.To) {
		return false
	}
	return true
}
