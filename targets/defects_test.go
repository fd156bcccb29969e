package targets

import (
	"math"
	"testing"

	"github.com/trademon/trademon/internal/obs"
)

func reference(o *obs.Observation) { o.SourceKind, o.Source = obs.KindReference, "reference" }

// TestIssue7Defects holds one case per defect of issue 7 that the evaluation owns;
// each failed before its fix.
func TestIssue7Defects(t *testing.T) {
	retailBase := yr("retail_sales", "2020", 8e11, reference)
	impBase := yr("goods_imports_cny", "2020", 1e12)
	imports := tgt(on("goods_imports_cny", 8e11, Compound), atMost)
	port := tgt(on("port_container_throughput", 3.3e7, Compound))
	portBase := yr("port_container_throughput", "2020", 2.66e7, reference)
	goods := tgt(on("goods_trade", 5e11, Compound))
	rate := func(period string, v float64) obs.Observation {
		return ob("usd_cny_rate", period, obs.BasisYear, v, reference)
	}

	tests := []struct {
		name   string
		target Target
		obs    []obs.Observation
		at     [2]int // as of the end of this year and month
		want   want
	}{
		// Defect 1: finality first, then precedence, then direct over derived.
		{"1: a final December ytd beats a reference year estimate", tgt(), []obs.Observation{retailBase,
			yr("retail_sales", "2024", 1.06e12, reference, estimate), ytd("retail_sales", "2024-12", 1.1e12)}, [2]int{2025, 2},
			want{status: AtRisk, period: "2024", actual: 1.1e12, expected: retailE(2024), gap: 1.1e12/retailE(2024) - 1,
				projected: 1.1e12, progress: 3e11 / 4.5e11, source: obs.SourceDerived}},
		{"1: a final December ytd beats a reference estimate of the baseline", tgt(), []obs.Observation{
			yr("retail_sales", "2020", 7e11, reference, estimate), ytd("retail_sales", "2020-12", 8e11),
			yr("retail_sales", "2023", 1.06e12)}, [2]int{2024, 2},
			want{status: OnTrack, period: "2023", actual: 1.06e12, expected: retailE(2023), gap: 1.06e12/retailE(2023) - 1,
				projected: 1.06e12, progress: 2.6e11 / 4.5e11}},
		{"1: a final December ytd beats a year estimate in the seasonal share", tgt(), []obs.Observation{retailBase,
			yr("retail_sales", "2023", 1.2e12, reference, estimate), ytd("retail_sales", "2023-12", 1e12), ytd("retail_sales", "2023-09", 7.4e11),
			ytd("retail_sales", "2024-09", 8.3e11)}, [2]int{2024, 10},
			want{status: AtRisk, period: "2024-09", actual: 8.3e11, expected: retailE(2024) * 0.74, gap: 8.3e11/(retailE(2024)*0.74) - 1,
				projected: 8.3e11 / 0.74, progress: (8.3e11/0.74 - 8e11) / 4.5e11, notes: []string{"0.7400, the mean over 2023"}}},

		// Defect 2: staying under a ceiling before the goal year is on_track, not achieved.
		{"2: at_most under the ceiling before the goal year", imports, []obs.Observation{impBase, yr("goods_imports_cny", "2023", 7.9e11)}, [2]int{2024, 2},
			want{status: OnTrack, period: "2023", actual: 7.9e11, expected: impE(2023), gap: -(7.9e11 - impE(2023)) / impE(2023),
				projected: 7.9e11, progress: 2.1e11 / 2e11}},

		// Defect 3: a verdict never rests on the baseline figure alone.
		{"3: only the baseline figure", tgt(), []obs.Observation{retailBase}, [2]int{2021, 6},
			want{status: NoData, period: "2020", actual: 8e11, projected: 8e11,
				notes: []string{"nothing observed after the baseline year 2020"}}},

		// Defect 4: a partial goal-year figure never revokes an early achievement.
		{"4: early achievement survives the first goal-year ytd", port, []obs.Observation{portBase,
			yr("port_container_throughput", "2024", 3.338e7, reference), ytd("port_container_throughput", "2025-03", 7e6)}, [2]int{2025, 5},
			want{status: Achieved, period: "2024", actual: 3.338e7, expected: 2.66e7 * pow(3.3/2.66, 0.8), gap: 3.338e7/(2.66e7*pow(3.3/2.66, 0.8)) - 1,
				projected: 3.338e7, progress: (3.338e7 - 2.66e7) / (3.3e7 - 2.66e7),
				notes: []string{"met early: the 2024 full-year figure already meets the 2025 goal", "the 2025-03 ytd figure does not revoke it"}}},

		// Defect 5: one USD rule for a December ytd and a full year.
		{"5: a full year converts at the latest annual average when its own is not in", goods, []obs.Observation{
			yr("goods_trade_cny", "2020", 3.05e12), rate("2020", 6.9), rate("2024", 7.2),
			yr("goods_trade_cny", "2025", 4.55e12)}, [2]int{2026, 3},
			want{status: Achieved, period: "2025", actual: 4.55e12 / 7.2, expected: 5e11, gap: 4.55e12/7.2/5e11 - 1, projected: 4.55e12 / 7.2,
				progress: (4.55e12/7.2 - 3.05e12/6.9) / (5e11 - 3.05e12/6.9), estimate: true, source: obs.SourceDerived,
				notes: []string{"converted from 4.55万亿元 at 7.2 元/美元 (2024 annual average; the 2025 annual average is not in yet)"}}},
		{"5: a December ytd converts at the same rule, not at another year's rate", goods, []obs.Observation{
			yr("goods_trade_cny", "2020", 3.05e12), rate("2020", 6.9), rate("2024", 7.2),
			ob("usd_cny_rate", "2025-11", obs.BasisMonth, 7.1, reference), ytd("goods_trade_cny", "2025-12", 4.55e12)}, [2]int{2026, 3},
			want{status: Achieved, period: "2025", actual: 4.55e12 / 7.2, expected: 5e11, gap: 4.55e12/7.2/5e11 - 1, projected: 4.55e12 / 7.2,
				progress: (4.55e12/7.2 - 3.05e12/6.9) / (5e11 - 3.05e12/6.9), estimate: true, source: obs.SourceDerived,
				notes: []string{"converted from 4.55万亿元 at 7.2 元/美元 (2024 annual average; the 2025 annual average is not in yet)"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := Evaluate([]Target{tc.target}, tc.obs, endOf(tc.at[0], tc.at[1]))[0]
			checkVerdict(t, v, tc.want)
		})
	}
}

// TestGapNegativeExpected is defect 6: a negative expected value (an increase target
// below its baseline level) must not flip the sign of the gap.
func TestGapNegativeExpected(t *testing.T) {
	for _, c := range []struct {
		dir              Direction
		actual, expected float64
		want             float64
	}{
		{AtLeast, -50, -100, 0.5},   // ahead of a path that is still below zero
		{AtLeast, -150, -100, -0.5}, // behind it
		{AtMost, -150, -100, 0.5},   // further under a ceiling: ahead
	} {
		if got := Gap(c.dir, c.actual, c.expected); !close(got, c.want) {
			t.Errorf("Gap(%s, %g, %g) = %g, want %g", c.dir, c.actual, c.expected, got, c.want)
		}
	}
}

func pow(x, y float64) float64 { return math.Pow(x, y) }
