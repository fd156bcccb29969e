// Package obs holds trademon's observation model: indicators, periods, bases, one
// observed figure with its provenance, and the Index, the one place where figures are
// chosen (final over estimate, then source precedence, then direct over derived) and
// derived (month and year from year-to-date, USD from CNY, implied from stated
// growth), as of a date and as known at a date. It does no I/O.
package obs

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// Basis says what span of time a value covers.
type Basis string

// The bases of an observation.
const (
	// BasisMonth is a single month (or a monthly average for a rate).
	BasisMonth Basis = "month"
	// BasisYTD runs from January through the end of the period.
	BasisYTD Basis = "ytd"
	// BasisYear is a full calendar year (or an annual average for a rate).
	BasisYear Basis = "year"
	// BasisStock is a level at the end of the period.
	BasisStock Basis = "stock"
)

// ParseBasis parses one of month, ytd, year, stock.
func ParseBasis(s string) (Basis, error) {
	switch b := Basis(s); b {
	case BasisMonth, BasisYTD, BasisYear, BasisStock:
		return b, nil
	}
	return "", fmt.Errorf("invalid basis %q (want month, ytd, year or stock)", s)
}

// SourceKind says where an observation came from. It is an InfluxDB tag, and it orders
// precedence when several kinds give a figure for the same indicator, period and basis.
type SourceKind string

// Source kinds, from highest to lowest precedence.
const (
	// KindManual is a figure entered by statistics staff (form, API or import).
	KindManual SourceKind = "manual"
	// KindCollector is a figure read from a public source by a collector.
	KindCollector SourceKind = "collector"
	// KindReference is bundled reference history (config/history), used until a
	// collector or a person supplies the figure.
	KindReference SourceKind = "reference"
)

// ParseSourceKind parses one of manual, collector, reference.
func ParseSourceKind(s string) (SourceKind, error) {
	switch k := SourceKind(s); k {
	case KindManual, KindCollector, KindReference:
		return k, nil
	}
	return "", fmt.Errorf("invalid source kind %q (want manual, collector or reference)", s)
}

// Precedence ranks source kinds: a higher number wins.
func (k SourceKind) Precedence() int {
	switch k {
	case KindManual:
		return 3
	case KindCollector:
		return 2
	case KindReference:
		return 1
	}
	return 0
}

// Observation is one figure with its provenance. Value is in the indicator's base unit.
type Observation struct {
	Indicator  string     `json:"indicator"`
	Region     string     `json:"region"`
	Period     Period     `json:"period"`
	Basis      Basis      `json:"basis"`
	Value      float64    `json:"value"`
	Unit       string     `json:"unit"`
	SourceKind SourceKind `json:"source_kind"`
	// Source names the collector and source ("retail/tjj-monthly"), or "manual".
	Source string `json:"source"`
	URL    string `json:"url"`
	// Quote is the sentence or cell the value was read from.
	Quote       string    `json:"quote"`
	PublishedAt time.Time `json:"published_at,omitzero"`
	// RetrievedAt is when a collector fetched the figure or, for a manual figure, when
	// staff entered it (the importer and the entry API set it); KnownAt reads it.
	RetrievedAt time.Time `json:"retrieved_at,omitzero"`
	// Estimate marks a preliminary figure (预计); a final figure replaces it.
	Estimate bool `json:"estimate,omitempty"`
	// Qualifier records the definition a figure was published under when it drifts,
	// e.g. "含国外先进标准" for international standards.
	Qualifier string `json:"qualifier,omitempty"`
	EnteredBy string `json:"entered_by,omitempty"`
	Note      string `json:"note,omitempty"`
	// YoY is the year-on-year growth the source states beside the figure, as a ratio
	// (0.096 for "同比增长9.6%"); nil when none is stated. It lets a missing figure of
	// the year before be implied as Value / (1 + YoY).
	YoY *float64 `json:"yoy,omitempty"`
	// Resolution is the rounding step of the figure as published, in the base unit
	// (1e6 for "9498.12亿元", 1e4 for "3338万标箱"); 0 when unknown. Two figures that
	// differ by less than the coarser resolution state the same value.
	Resolution float64 `json:"resolution,omitempty"`
}

// Key identifies an observation in a store: rewriting the same key is an upsert.
type Key struct {
	Indicator  string
	Region     string
	Basis      Basis
	Period     Period
	SourceKind SourceKind
}

// String formats the key as indicator/region/basis/period/source_kind.
func (k Key) String() string {
	return k.Indicator + "/" + k.Region + "/" + string(k.Basis) + "/" + k.Period.String() + "/" + string(k.SourceKind)
}

// Key returns the store identity of o.
func (o Observation) Key() Key {
	return Key{Indicator: o.Indicator, Region: o.Region, Basis: o.Basis, Period: o.Period, SourceKind: o.SourceKind}
}

// Time returns the InfluxDB timestamp of o: the period start at 00:00 Asia/Shanghai.
func (o Observation) Time() time.Time { return o.Period.Start() }

// Normalize fills defaults and canonical forms in place: region defaults to shenzhen,
// unit to the indicator's base unit, a quarter or year period of a ytd or stock value
// becomes its last month ("2025-Q3" ytd is "2025-09" ytd), text is trimmed, and
// carriage returns in quote, note and qualifier become plain newlines.
// Call it before Validate.
func (o *Observation) Normalize() {
	o.Indicator = strings.TrimSpace(o.Indicator)
	o.Region = strings.TrimSpace(o.Region)
	if o.Region == "" {
		o.Region = RegionSZ
	}
	if ind, ok := Lookup(o.Indicator); ok && o.Unit == "" {
		o.Unit = ind.BaseUnit
	}
	if (o.Basis == BasisYTD || o.Basis == BasisStock) && !o.Period.IsZero() && o.Period.Granularity() != Month {
		o.Period = o.Period.EndMonth()
	}
	o.Source = strings.TrimSpace(o.Source)
	o.URL = strings.TrimSpace(o.URL)
	o.Quote = strings.TrimSpace(unixNewlines(o.Quote))
	o.Note = strings.TrimSpace(unixNewlines(o.Note))
	o.Qualifier = unixNewlines(o.Qualifier)
}

// unixNewlines turns "\r\n" and lone "\r" into "\n": stores cannot keep carriage
// returns (InfluxDB's CSV answers turn "\n" into "\r\n" and drop a lone "\r").
func unixNewlines(s string) string {
	if !strings.ContainsRune(s, '\r') {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}

// Validate checks o against the indicator catalogue and the clock. now is the time of
// entry: flow figures for a period that has not ended, and any figure for a period that
// has not begun, are rejected. The error names the offending field.
func (o Observation) Validate(now time.Time) error {
	ind, ok := Lookup(o.Indicator)
	if !ok {
		return fmt.Errorf("indicator: %w", UnknownIndicatorError(o.Indicator))
	}
	if o.Region == "" {
		return errors.New("region: empty")
	}
	if o.Period.IsZero() {
		return errors.New("period: empty")
	}
	if !ind.AllowsBasis(o.Basis) {
		return fmt.Errorf("basis: %q is not valid for %s indicator %s (want %s)", o.Basis, ind.Kind, ind.ID, basisList(ind.Bases()))
	}
	switch g := o.Period.Granularity(); {
	case o.Basis == BasisYear && g != Year:
		return fmt.Errorf("period: basis year needs a year period like 2025, got %s", o.Period)
	case o.Basis == BasisMonth && g != Month:
		return fmt.Errorf("period: basis month needs a month period like 2025-10, got %s", o.Period)
	case (o.Basis == BasisYTD || o.Basis == BasisStock) && g != Month:
		return fmt.Errorf("period: basis %s needs a month period like 2025-10, got %s", o.Basis, o.Period)
	}
	if !now.IsZero() {
		if o.Period.Start().After(now) {
			return fmt.Errorf("period: %s is in the future", o.Period)
		}
		if ind.Kind == Flow && o.Period.End().After(now) {
			return fmt.Errorf("period: %s has not ended yet, so a %s figure for it cannot exist", o.Period, o.Basis)
		}
	}
	if math.IsNaN(o.Value) || math.IsInf(o.Value, 0) {
		return fmt.Errorf("value: %v is not a finite number", o.Value)
	}
	if o.Value < 0 {
		return fmt.Errorf("value: %v is negative", o.Value)
	}
	if ind.Kind == Ratio && o.Value > 1 {
		return fmt.Errorf("value: %v is a ratio above 1 (enter %% values with unit %%, e.g. 31 %%)", o.Value)
	}
	if ind.BaseUnit == Count && o.Value != math.Trunc(o.Value) {
		return fmt.Errorf("value: %v is not a whole number, but %s counts %s", o.Value, ind.ID, ind.DisplayUnit)
	}
	if o.Unit != ind.BaseUnit {
		return fmt.Errorf("unit: %q is not the base unit of %s (%s)", o.Unit, ind.ID, ind.BaseUnit)
	}
	if _, err := ParseSourceKind(string(o.SourceKind)); err != nil {
		return fmt.Errorf("source_kind: %w", err)
	}
	if o.Source == "" {
		return errors.New("source: empty")
	}
	if o.SourceKind == KindManual && o.EnteredBy == "" {
		return errors.New("entered_by: a manual figure must name who entered it")
	}
	return nil
}

func basisList(bs []Basis) string {
	s := make([]string, len(bs))
	for i, b := range bs {
		s[i] = string(b)
	}
	return strings.Join(s, ", ")
}

// SameFigure reports whether o and p state the same figure: equal value and estimate
// flag. Provenance may differ (the same figure republished elsewhere).
func (o Observation) SameFigure(p Observation) bool {
	return o.Value == p.Value && o.Estimate == p.Estimate
}

// SameRecord reports whether o and p are the same in every stored field except the
// retrieval time, which changes on every fetch.
func (o Observation) SameRecord(p Observation) bool {
	return o.SameFigure(p) && o.Unit == p.Unit && o.Source == p.Source && o.URL == p.URL &&
		o.Quote == p.Quote && o.PublishedAt.Equal(p.PublishedAt) && o.Qualifier == p.Qualifier &&
		o.EnteredBy == p.EnteredBy && o.Note == p.Note && sameYoY(o.YoY, p.YoY) && o.Resolution == p.Resolution
}

func sameYoY(a, b *float64) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

// Supersedes reports whether writing o over the stored prev is an update rather than a
// no-op. A changed figure always is. For manual and reference figures a changed
// provenance (a corrected URL or note, a quote, the stated growth) is too: staff and the
// bundled history are each one source, so a new release's better page for a reference
// figure reaches stores that hold the old one. For collected figures it is not, so that
// the same figure republished by a second outlet does not flip the record back and forth,
// with one exception that only adds: a stated growth the stored record lacks (the
// verdicts imply missing figures from it; a later outlet not restating it keeps it).
func (o Observation) Supersedes(prev Observation) bool {
	if !o.SameFigure(prev) {
		return true
	}
	if o.SourceKind == KindManual || o.SourceKind == KindReference {
		return !o.SameRecord(prev)
	}
	return prev.YoY == nil && o.YoY != nil
}

// Revision records that the stored figure for a key changed.
type Revision struct {
	Key              Key         `json:"-"`
	Observation      Observation `json:"observation"`
	PreviousValue    float64     `json:"previous_value"`
	PreviousSource   string      `json:"previous_source"`
	PreviousEstimate bool        `json:"previous_estimate,omitempty"`
	// At is when the change was acknowledged.
	At time.Time `json:"at"`
}

// Conflict records that a source gave a figure disagreeing with the stored one for the
// same key. The stored figure is kept; the alternative is kept here with its provenance.
type Conflict struct {
	// Alternative is the figure that was not stored as the observation.
	Alternative Observation `json:"alternative"`
	// Existing is the stored figure it disagrees with.
	ExistingValue  float64   `json:"existing_value"`
	ExistingSource string    `json:"existing_source"`
	ExistingURL    string    `json:"existing_url"`
	DetectedAt     time.Time `json:"detected_at"`
}
