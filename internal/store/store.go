// Package store defines where observations live. Two implementations satisfy the
// Store interface and pass the same conformance suite (package storetest): the
// embedded bbolt store (package embedded), the default, and the InfluxDB store
// (package influx), which writes through a durable local spool.
package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/trademon/trademon/internal/obs"
)

// Outcome says what a Put did with one observation.
type Outcome string

// Outcomes of a Put.
const (
	// Created: nothing was stored under the observation's key before.
	Created Outcome = "created"
	// Updated: the stored record changed (obs.Observation.Supersedes). A revision was
	// recorded if its figure changed (value or estimate flag), not for provenance alone.
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

// Store keeps observations, their revisions and source conflicts, and the Journal
// (audit trail and verdict history). Implementations are safe for concurrent use.
type Store interface {
	Journal
	// Put durably writes observations as idempotent upserts keyed by obs.Key and returns
	// one Outcome per observation, in order. Observations must be normalized and valid
	// (obs.Observation.Validate); if any is not, Put writes nothing and returns an error.
	// A changed figure records a Revision. When Put returns nil the write is acknowledged
	// and survives a crash.
	Put(ctx context.Context, os []obs.Observation) ([]Outcome, error)
	// PutWithAudit is Put and Journal.AppendAudit in one durable step: the observations
	// and the audit records that account for them are written together or not at all,
	// and a crash at any moment leaves both or neither. The records are appended
	// whatever the outcomes (the caller decided what they say), each treated as
	// AppendAudit treats it. If an observation or a record is invalid, nothing is
	// written and the error wraps ErrInvalid. When it returns nil, both are
	// acknowledged and survive a crash.
	PutWithAudit(ctx context.Context, os []obs.Observation, rs []AuditRecord) ([]Outcome, error)
	// Query returns the stored observations matching f, sorted as obs.Sort does. They
	// equal what was Put field for field: values bit for bit, text byte for byte, and
	// times (here and in revisions and conflicts) to the nanosecond, returned in UTC.
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

// Syncer is implemented by stores whose reads can lag their acknowledged writes (the
// InfluxDB store, behind its spool): Sync returns nil once everything acknowledged
// before the call can be read, and an error when that cannot be done now.
type Syncer interface {
	Sync(ctx context.Context) error
}

// ErrInvalid wraps validation failures of Put: nothing was written.
var ErrInvalid = errors.New("invalid observation")

// NewWritesCounter returns trademon_store_writes_total, which every store exports: the
// observations passed to Put, by result (ok: acknowledged; error: refused or failed).
// Both results are present from the start.
func NewWritesCounter() *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "trademon_store_writes_total",
		Help: "Observations written to the store, by result (ok: acknowledged; error: refused or failed).",
	}, []string{"result"})
	c.WithLabelValues("ok")
	c.WithLabelValues("error")
	return c
}

// KeyBytes encodes an observation key for a bbolt bucket: indicator, region, basis,
// period and source kind separated by NUL, which no part contains (Check refuses
// control characters in the region; the other parts come from fixed vocabularies).
// The indicator followed by NUL is thus a prefix of every key of that indicator.
func KeyBytes(k obs.Key) []byte {
	b := make([]byte, 0, len(k.Indicator)+len(k.Region)+32)
	b = append(b, k.Indicator...)
	b = append(b, 0)
	b = append(b, k.Region...)
	b = append(b, 0)
	b = append(b, k.Basis...)
	b = append(b, 0)
	b = append(b, k.Period.String()...)
	b = append(b, 0)
	return append(b, k.SourceKind...)
}

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

// Check validates a batch for Put the same way in every store: each observation must
// pass obs.Observation.Validate (structure only: Put does not judge dates against the
// clock, callers do), its key text must be storable as InfluxDB tags, and its text
// must be valid UTF-8 without carriage returns (see obs.Observation.Normalize). The error
// wraps ErrInvalid and names the index, the key and the problem of the first bad one.
func Check(os []obs.Observation) error {
	for i := range os {
		if err := checkOne(&os[i]); err != nil {
			return fmt.Errorf("%w: observation %d (%s): %w", ErrInvalid, i, os[i].Key(), err)
		}
	}
	return nil
}

// CheckConflicts validates conflicts for PutConflicts: each alternative must pass the
// checks of Check. The error wraps ErrInvalid and names the index.
func CheckConflicts(cs []obs.Conflict) error {
	for i := range cs {
		if err := checkOne(&cs[i].Alternative); err != nil {
			return fmt.Errorf("%w: conflict %d (%s from %s): %w", ErrInvalid, i, cs[i].Alternative.Key(), cs[i].Alternative.Source, err)
		}
	}
	return nil
}

func checkOne(o *obs.Observation) error {
	if err := o.Validate(time.Time{}); err != nil {
		return err
	}
	for _, f := range []struct{ name, v string }{{"region", o.Region}, {"source", o.Source}} {
		if err := tagText(f.v); err != nil {
			return fmt.Errorf("%s: %q %w", f.name, f.v, err)
		}
	}
	for _, f := range []struct{ name, v string }{
		{"unit", o.Unit}, {"url", o.URL}, {"quote", o.Quote}, {"entered_by", o.EnteredBy}, {"qualifier", o.Qualifier}, {"note", o.Note},
	} {
		if !utf8.ValidString(f.v) {
			return fmt.Errorf("%s: not valid UTF-8", f.name)
		}
		if strings.ContainsRune(f.v, '\r') {
			return fmt.Errorf("%s: contains a carriage return, which InfluxDB cannot return intact (obs.Observation.Normalize turns it into a newline)", f.name)
		}
	}
	return nil
}

// tagText reports why s cannot be an InfluxDB tag value: line protocol has no escape
// for control characters, a trailing backslash, or a backslash before a character it
// escapes.
func tagText(s string) error {
	if !utf8.ValidString(s) {
		return errors.New("is not valid UTF-8")
	}
	if strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return errors.New("contains a control character")
	}
	if strings.HasSuffix(s, `\`) {
		return errors.New("ends with a backslash")
	}
	if i := badBackslash(s); i >= 0 {
		return fmt.Errorf("has a backslash before %q, which line protocol cannot keep", s[i+1])
	}
	return nil
}

// badBackslash returns the index of the first backslash in s that precedes a comma,
// an equals sign or a space, or −1. Line protocol escapes those with a backslash and
// has no escape for a backslash itself, so such a tag value cannot be written intact.
func badBackslash(s string) int {
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '\\' {
			switch s[i+1] {
			case ',', '=', ' ':
				return i
			}
		}
	}
	return -1
}
