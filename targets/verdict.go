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
	// NameZH and NameEN are the target's names for people.
	NameZH string `json:"name_zh,omitempty"`
	NameEN string `json:"name_en,omitempty"`
	// Unit is the indicator's base unit, the unit of every value here; DisplayUnit the
	// unit people read (units.Format(value, DisplayUnit)).
	Unit        string    `json:"unit,omitempty"`
	DisplayUnit string    `json:"display_unit,omitempty"`
	Direction   Direction `json:"direction,omitempty"`
	Mode        Mode      `json:"mode,omitempty"`
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
	// Baseline is where the path starts, in the same terms as Actual (0 for mode
	// increase); BaselineYear is its year.
	Baseline     float64 `json:"baseline"`
	BaselineYear int     `json:"baseline_year,omitempty"`
	// BaselineLevel is, for mode increase, the cumulative count at the end of the
	// baseline year that the increase is measured from.
	BaselineLevel float64 `json:"baseline_level,omitempty"`
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
	// AsOf is the evaluation time: figures count when their period ended by then.
	AsOf time.Time `json:"as_of"`
	// Known, when set, is the --known date: only figures published by then count, each
	// in the revision in force then.
	Known time.Time `json:"known,omitzero"`
}

// PathPoint is one year on a target's chart: the expected annual value and, when
// observed, the actual annual value in the same terms as Verdict.Actual. For a flow
// whose latest year has only a year-to-date figure, Actual is that year's projection;
// for a stock it is the December value or else the latest value of that year.
type PathPoint struct {
	Year     int      `json:"year"`
	Expected float64  `json:"expected"`
	Actual   *float64 `json:"actual,omitempty"`
}

// statusZH holds the Chinese name of every status.
var statusZH = map[Status]string{
	Achieved: "已达成",
	OnTrack:  "正常推进",
	AtRisk:   "存在风险",
	Behind:   "进度落后",
	Missed:   "未达成",
	NoData:   "暂无数据",
}

// ZH returns the Chinese name of the status, e.g. "正常推进" for on_track (the names
// the overview page uses).
func (s Status) ZH() string {
	if n, ok := statusZH[s]; ok {
		return n
	}
	return string(s)
}
