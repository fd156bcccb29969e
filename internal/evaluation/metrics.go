package evaluation

import (
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/targets"
)

// Metric descriptors. Names are contracts (DESIGN.md "Metrics"); values in base units.
var (
	descStatus = prometheus.NewDesc("trademon_target_status",
		"1 for the target's current status, 0 for the others (achieved, on_track, at_risk, behind, missed, no_data).",
		[]string{"target", "status"}, nil)
	descActual = prometheus.NewDesc("trademon_target_actual_value",
		"Observed value the target's verdict rests on, in the indicator's base unit (for mode increase: the increase since the baseline).",
		[]string{"target"}, nil)
	descExpected = prometheus.NewDesc("trademon_target_expected_value",
		"Value the schedule expects at the period of the actual value, in base units.",
		[]string{"target"}, nil)
	descGoal = prometheus.NewDesc("trademon_target_goal_value",
		"Goal value of the target in its goal year, in base units.",
		[]string{"target"}, nil)
	descProjected = prometheus.NewDesc("trademon_target_projected_value",
		"Year-end value implied by the latest actual value, in base units.",
		[]string{"target"}, nil)
	descProgress = prometheus.NewDesc("trademon_target_progress_ratio",
		"Progress from the baseline to the goal: (actual − baseline)/(goal − baseline).",
		[]string{"target"}, nil)
	descGap = prometheus.NewDesc("trademon_target_gap_ratio",
		"Relative gap between actual and expected: (actual − expected)/expected, sign flipped for at_most targets.",
		[]string{"target"}, nil)
	descRequiredPace = prometheus.NewDesc("trademon_target_required_growth_ratio",
		"Annual growth rate still required from the latest annual level to reach the goal in the goal year.",
		[]string{"target"}, nil)
	descGrowthRatio = prometheus.NewDesc("trademon_target_growth_vs_required_ratio",
		"Observed compound growth since the baseline divided by the growth the goal requires (Open SDG style).",
		[]string{"target"}, nil)
	descInfo = prometheus.NewDesc("trademon_target_info",
		"Static facts about a target; always 1.",
		[]string{"target", "indicator", "goal_year", "baseline_year", "direction", "path", "mode", "name_zh", "name_en", "display_unit"}, nil)
	descLatest = prometheus.NewDesc("trademon_indicator_latest_value",
		"Newest value of an indicator per basis, in base units, after source precedence.",
		[]string{"indicator", "basis"}, nil)
	descLatestEnd = prometheus.NewDesc("trademon_indicator_latest_period_end_timestamp_seconds",
		"End of the newest period for which the indicator has a figure (Unix seconds).",
		[]string{"indicator"}, nil)
	descNextDue = prometheus.NewDesc("trademon_indicator_next_release_due_timestamp_seconds",
		"When the indicator's next figure is due to be published; past this time it is overdue (Unix seconds).",
		[]string{"indicator"}, nil)
	descTaskStatus = prometheus.NewDesc("trademon_task_status",
		"1 for the current status of a plan measure (task), 0 for the others.",
		[]string{"task", "status"}, nil)
	descLastSuccess = prometheus.NewDesc("trademon_evaluation_last_success_timestamp_seconds",
		"When the targets were last evaluated successfully (Unix seconds).",
		nil, nil)
)

type metrics struct {
	svc       *Service
	refreshes *prometheus.CounterVec
	duration  prometheus.Gauge

	// cache holds the metrics built from one snapshot, rebuilt on the first scrape
	// after a refresh.
	mu      sync.Mutex
	builtAt time.Time
	built   []prometheus.Metric
}

func newMetrics(s *Service) *metrics {
	return &metrics{
		svc: s,
		refreshes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "trademon_evaluation_refreshes_total",
			Help: "Target evaluations by result (ok, error: the store could not be read).",
		}, []string{"result"}),
		duration: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "trademon_evaluation_duration_seconds",
			Help: "How long the latest successful evaluation took, reading the store included.",
		}),
	}
}

// Collector returns the Prometheus collector of the target, indicator, task and
// evaluation metrics. Register it once.
func (s *Service) Collector() prometheus.Collector { return s.m }

// Describe implements prometheus.Collector.
func (m *metrics) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descStatus, descActual, descExpected, descGoal, descProjected,
		descProgress, descGap, descRequiredPace, descGrowthRatio, descInfo, descLatest, descLatestEnd,
		descNextDue, descTaskStatus, descLastSuccess} {
		ch <- d
	}
	m.refreshes.Describe(ch)
	m.duration.Describe(ch)
	m.svc.hist.writes.Describe(ch)
}

// Collect implements prometheus.Collector from the cached snapshot; it never reads the store.
func (m *metrics) Collect(ch chan<- prometheus.Metric) {
	m.refreshes.Collect(ch)
	m.duration.Collect(ch)
	m.svc.hist.writes.Collect(ch)
	snap, ok := m.svc.Snapshot()
	if !ok {
		return
	}
	m.mu.Lock()
	if !m.builtAt.Equal(snap.At) || m.built == nil {
		m.built = build(snap)
		m.builtAt = snap.At
	}
	built := m.built
	m.mu.Unlock()
	for _, metric := range built {
		ch <- metric
	}
}

// build turns a snapshot into const metrics.
func build(snap Snapshot) []prometheus.Metric {
	out := make([]prometheus.Metric, 0, len(snap.Verdicts)*(len(targets.Statuses)+8)+len(snap.Latest)*3+1)
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return
		}
		out = append(out, prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...))
	}
	for i, v := range snap.Verdicts {
		id := v.Target
		for _, st := range targets.Statuses {
			gauge(descStatus, b2f(v.Status == st), id, string(st))
		}
		gauge(descGoal, v.Goal, id)
		if v.Status != targets.NoData {
			gauge(descActual, v.Actual, id)
			gauge(descExpected, v.Expected, id)
			gauge(descProjected, v.Projected, id)
			gauge(descProgress, v.Progress, id)
			gauge(descGap, v.Gap, id)
			gauge(descRequiredPace, v.RequiredPace, id)
			gauge(descGrowthRatio, v.GrowthRatio, id)
		}
		if i < len(snap.Targets) {
			t := snap.Targets[i]
			unit := ""
			if ind, ok := obs.Lookup(t.Indicator); ok {
				unit = ind.DisplayUnit
			}
			gauge(descInfo, 1, id, t.Indicator, strconv.Itoa(t.GoalYear), strconv.Itoa(t.BaselineYear),
				string(t.Direction), string(t.Path), string(t.Mode), t.NameZH, t.NameEN, unit)
		}
	}
	newest := map[string]obs.Period{}
	for _, o := range snap.Latest {
		gauge(descLatest, o.Value, o.Indicator, string(o.Basis))
		if p, ok := newest[o.Indicator]; !ok || o.Period.End().After(p.End()) {
			newest[o.Indicator] = o.Period
		}
	}
	for _, ind := range obs.Indicators() {
		p, ok := newest[ind.ID]
		if !ok {
			continue
		}
		gauge(descLatestEnd, float64(p.End().Unix()), ind.ID)
		if due, _, ok := ind.Release.NextDue(p); ok {
			gauge(descNextDue, float64(due.Unix()), ind.ID)
		}
	}
	for _, t := range snap.Tasks {
		for _, st := range targets.TaskStatuses {
			gauge(descTaskStatus, b2f(t.Status == st), strconv.Itoa(t.Number), string(st))
		}
	}
	gauge(descLastSuccess, float64(snap.At.Unix()))
	return out
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
