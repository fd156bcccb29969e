package collectors

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/trademon/trademon/collectors/safety"
)

// Run results, the values of the result label of trademon_collector_runs_total.
const (
	// ResultSuccess: the run ended without a failure and rejected nothing.
	ResultSuccess = "success"
	// ResultPartial: the run ended without a failure but rejected some figures
	// (trademon_collector_rejected_total says why); what passed was stored.
	ResultPartial = "partial"
	// ResultError: a source, the store or the run itself failed.
	ResultError = "error"
)

// Results lists every run result, for initialising metrics.
func Results() []string { return []string{ResultSuccess, ResultPartial, ResultError} }

// metrics are the collector metrics DESIGN.md names, plus the safety and error counters.
type metrics struct {
	runs         *prometheus.CounterVec
	lastSuccess  *prometheus.GaugeVec
	duration     *prometheus.GaugeVec
	observations *prometheus.CounterVec
	rejected     *prometheus.CounterVec
	conflicts    *prometheus.CounterVec
	errors       *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "trademon_collector_runs_total",
			Help: "Collector runs, by collector and result (success; partial: figures rejected, the rest stored; error).",
		}, []string{"collector", "result"}),
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "trademon_collector_last_success_timestamp_seconds",
			Help: "When the collector's last run without a failure (success or partial) ended, in Unix seconds (0: never since start).",
		}, []string{"collector"}),
		duration: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "trademon_collector_duration_seconds",
			Help: "How long the collector's last run took, in seconds.",
		}, []string{"collector"}),
		observations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "trademon_collector_observations_total",
			Help: "Observations a collector extracted that passed the safety checks (written, or already stored).",
		}, []string{"collector"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "trademon_collector_rejected_total",
			Help: "Observations rejected before storing, by collector and reason (invalid, out_of_range, unit_slip).",
		}, []string{"collector", "reason"}),
		conflicts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "trademon_collector_conflicts_total",
			Help: "Observations that disagree beyond rounding with another source's stored figure for the same period (both kept).",
		}, []string{"collector"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "trademon_collector_errors_total",
			Help: "Collector failures, by collector and stage (list, article, extract, store, panic, timeout).",
		}, []string{"collector", "stage"}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.runs, m.lastSuccess, m.duration, m.observations, m.rejected, m.conflicts, m.errors} {
		if err := reg.Register(c); err != nil {
			var are prometheus.AlreadyRegisteredError
			if errors.As(err, &are) {
				return nil, fmt.Errorf("collector metrics: %w (one Runner per registry)", err)
			}
			return nil, fmt.Errorf("collector metrics: %w", err)
		}
	}
	return m, nil
}

// init creates every series of a collector at zero, so that rates and absent() work
// from the first scrape.
func (m *metrics) init(collector string) {
	for _, r := range Results() {
		m.runs.WithLabelValues(collector, r)
	}
	m.lastSuccess.WithLabelValues(collector)
	m.duration.WithLabelValues(collector)
	m.observations.WithLabelValues(collector)
	m.conflicts.WithLabelValues(collector)
	for _, r := range safety.Reasons() {
		m.rejected.WithLabelValues(collector, string(r))
	}
	for _, s := range []Stage{StageList, StageArticle, StageExtract, StageStore, StagePanic, StageTimeout} {
		m.errors.WithLabelValues(collector, string(s))
	}
}
