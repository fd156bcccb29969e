package evaluation

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/trademon/trademon/targets"
)

// benchSnapshot returns a snapshot of n targets (the plan's nine, repeated under new
// ids) with verdicts in every status, and the plan's tasks.
func benchSnapshot(b *testing.B, n int) Snapshot {
	plan, err := targets.Builtin()
	if err != nil {
		b.Fatal(err)
	}
	tasks, err := targets.BuiltinTasks()
	if err != nil {
		b.Fatal(err)
	}
	snap := Snapshot{Tasks: tasks, At: asOf}
	for i := range n {
		t := plan[i%len(plan)]
		t.ID = fmt.Sprintf("%s_%d", t.ID, i)
		snap.Targets = append(snap.Targets, t)
		snap.Verdicts = append(snap.Verdicts, targets.Verdict{
			Target: t.ID, Indicator: t.Indicator, Status: targets.Statuses[i%len(targets.Statuses)],
			Actual: t.Goal * 0.9, Expected: t.Goal * 0.95, Goal: t.Goal, GoalYear: t.GoalYear,
			Gap: -0.05, Projected: t.Goal, Progress: 0.8, RequiredPace: 0.04, GrowthRatio: 0.9,
		})
	}
	return snap
}

// staticGauges is the floor: a registry of plain gauges, set once, with as many series
// as the target metrics have.
func staticGauges(b *testing.B, series int) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "static_value", Help: "A static gauge."}, []string{"target", "status"})
	reg.MustRegister(g)
	for i := range series {
		g.WithLabelValues(fmt.Sprintf("target_%d", i/6), string(targets.Statuses[i%6])).Set(float64(i))
	}
	return reg
}

func scrape(b *testing.B, h http.Handler) int {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != 200 {
		b.Fatalf("scrape: %d", rec.Code)
	}
	n, _ := io.Copy(io.Discard, rec.Body)
	return int(n)
}

func countSeries(b *testing.B, g prometheus.Gatherer) int {
	mfs, err := g.Gather()
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	for _, mf := range mfs {
		n += len(mf.GetMetric())
	}
	return n
}

// BenchmarkScrape compares a /metrics scrape of 10,000 targets with promhttp serving
// the same number of static gauges, side by side. "cached" is the usual scrape (the
// metrics built from the snapshot are reused until the next refresh); "rebuilt" builds
// them from the snapshot on every scrape, the cost of the first scrape after a refresh.
func BenchmarkScrape(b *testing.B) {
	const n = 10_000
	svc := New(Options{})
	svc.snap, svc.ok = benchSnapshot(b, n), true
	reg := prometheus.NewRegistry()
	reg.MustRegister(svc.Collector())
	series := countSeries(b, reg)
	h := promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	floor := promhttp.HandlerFor(staticGauges(b, series), promhttp.HandlerOpts{})

	b.Run("static-gauges", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			scrape(b, floor)
		}
		b.ReportMetric(float64(series), "series")
	})
	b.Run("targets-cached", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			scrape(b, h)
		}
		b.ReportMetric(float64(series), "series")
	})
	b.Run("targets-rebuilt", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			svc.m.mu.Lock()
			svc.m.built = nil
			svc.m.mu.Unlock()
			scrape(b, h)
		}
		b.ReportMetric(float64(series), "series")
	})
}
