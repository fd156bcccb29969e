package evaluation

import (
	"testing"

	"github.com/trademon/trademon/targets"
)

// BenchmarkVerdictHistory compares recomputing the verdict history (every month end
// since 2021, the built-in targets, the sample figures) with the single evaluation of
// a refresh, its baseline.
func BenchmarkVerdictHistory(b *testing.B) {
	ts, err := targets.Builtin()
	if err != nil {
		b.Fatal(err)
	}
	all := sample()
	b.Run("baseline=one-evaluation", func(b *testing.B) {
		for b.Loop() {
			_ = targets.Evaluate(ts, all, asOf)
		}
	})
	b.Run("backfill", func(b *testing.B) {
		var n int
		for b.Loop() {
			n = len(backfill(ts, all, asOf))
		}
		b.ReportMetric(float64(n), "records")
	})
}
