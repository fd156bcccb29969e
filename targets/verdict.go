package targets

import (
	"time"

	"github.com/trademon/trademon/internal/obs"
)

// Status is the verdict on one target.
type Status string

// Statuses, as DESIGN.md defines them.
const (
	Achieved Status = "achieved"
	Missed   Status = "missed"
	OnTrack  Status = "on_track"
	AtRisk   Status = "at_risk"
	Behind   Status = "behind"
	NoData   Status = "no_data"
)

// Statuses lists every status, in the order metrics and pages show them.
var Statuses = []Status{Achieved, OnTrack, AtRisk, Behind, Missed, NoData}

// Verdict is the evaluation of one target as of a time. Values are in the indicator's
// base unit; ratios are plain ratios. JSON field names are a contract (DESIGN.md,
// `targets --format json`).
type Verdict struct {
	Target    string `json:"target"`
	Indicator string `json:"indicator"`
	Status    Status `json:"status"`
	// Period is the period the actual figure belongs to, e.g. "2025-09" (ytd) or "2024".
	Period string    `json:"period"`
	Basis  obs.Basis `json:"basis,omitempty"`
	// Actual is the observed value the verdict rests on (for mode increase: the
	// increase since the baseline).
	Actual float64 `json:"actual"`
	// Expected is where the path says Actual should be at Period.
	Expected float64 `json:"expected"`
	Goal     float64 `json:"goal"`
	GoalYear int     `json:"goal_year"`
	Baseline float64 `json:"baseline"`
	// Gap is (actual − expected)/expected, sign flipped for at_most.
	Gap float64 `json:"gap"`
	// Projected is the year-end value implied by Actual (ytd / S(m) for flows).
	Projected float64 `json:"projected"`
	// Progress is (actual − baseline)/(goal − baseline).
	Progress float64 `json:"progress"`
	// RequiredPace is the annual growth rate still needed from the latest annual level
	// to reach the goal in the goal year; NaN-free: 0 when not applicable.
	RequiredPace float64 `json:"required_pace"`
	// GrowthRatio is observed compound growth since the baseline divided by the compound
	// growth the goal requires (Open SDG style); 0 when not applicable.
	GrowthRatio float64 `json:"growth_ratio"`
	// Source, URL and Quote are the provenance of the actual figure.
	Source     string         `json:"source"`
	SourceKind obs.SourceKind `json:"source_kind,omitempty"`
	URL        string         `json:"url,omitempty"`
	Quote      string         `json:"quote,omitempty"`
	Estimate   bool           `json:"estimate,omitempty"`
	// Notes explain how the verdict was reached (a currency conversion, a missing
	// full-year figure).
	Notes []string `json:"notes,omitempty"`
	// Path holds points of the expected path and the observed annual values, for charts.
	Path []PathPoint `json:"path,omitempty"`
	// AsOf is the evaluation time.
	AsOf time.Time `json:"as_of"`
}

// PathPoint is one year on a target's chart: the expected annual value and, when
// observed, the actual annual (or latest year-to-date projected) value.
type PathPoint struct {
	Year     int      `json:"year"`
	Expected float64  `json:"expected"`
	Actual   *float64 `json:"actual,omitempty"`
}
