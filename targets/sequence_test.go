package targets

import (
	"fmt"
	"strings"
	"testing"

	"github.com/trademon/trademon/internal/obs"
)

// TestStatusSequences walks every scenario through successive as-of dates and asserts
// the whole sequence of statuses, so that a status flipping back and forth between two
// dates shows up (issue 7: "Statuses flip").
func TestStatusSequences(t *testing.T) {
	type point struct {
		y, m int
		want Status
	}
	rate := func(p string, v float64) obs.Observation { return ob("usd_cny_rate", p, obs.BasisYear, v, reference) }
	tests := []struct {
		name   string
		target Target
		obs    []obs.Observation
		seq    []point
	}{
		{"port: met early in 2024, kept through partial 2025 figures, missed by the 2025 full year",
			tgt(on("port_container_throughput", 3.3e7, Compound)), []obs.Observation{
				yr("port_container_throughput", "2020", 2.66e7, reference),
				yr("port_container_throughput", "2021", 2.877e7),   // E(2021) = 2.777e7: ahead
				yr("port_container_throughput", "2023", 2.988e7),   // E(2023) = 3.025e7: −1.2%
				ytd("port_container_throughput", "2024-06", 1.5e7), // S(6) = 6/12: 1.5e7 vs E(2024)/2 = 1.580e7: −5.1%
				yr("port_container_throughput", "2024", 3.338e7),   // meets 3.3e7 early
				ytd("port_container_throughput", "2025-03", 7e6),   // partial: does not revoke
				ytd("port_container_throughput", "2025-11", 2.9e7), // partial: does not revoke
				yr("port_container_throughput", "2025", 3.25e7),    // the goal-year value decides
			}, []point{{2020, 12, NoData}, {2021, 12, OnTrack}, {2022, 12, OnTrack}, {2023, 12, AtRisk}, {2024, 6, Behind},
				{2024, 11, Behind}, {2024, 12, Achieved}, {2025, 3, Achieved}, {2025, 11, Achieved}, {2025, 12, Missed}, {2026, 6, Missed}}},
		{"retail: a reference estimate is replaced by the final December ytd",
			tgt(), []obs.Observation{
				yr("retail_sales", "2020", 8e11, reference),
				yr("retail_sales", "2023", 9.6e11, reference),            // E(2023) = 1.0456e12: −8.2%
				yr("retail_sales", "2024", 1.06e12, reference, estimate), // E(2024) = 1.1433e12: −7.3%
				ytd("retail_sales", "2024-12", 1.1e12),                   // final: −3.8%
				ytd("retail_sales", "2025-06", 6.3e11),                   // S(6) = 6/12 (no earlier ytd(6)): 6.3e11 vs 6.25e11
			}, []point{{2021, 1, NoData}, {2023, 12, Behind}, {2024, 11, Behind}, {2024, 12, AtRisk}, {2025, 6, OnTrack}, {2026, 3, OnTrack}}},
		{"imports ceiling: under it before 2025 is on_track; a 2025 ytd over it misses",
			tgt(on("goods_imports_cny", 8e11, Compound), atMost), []obs.Observation{
				yr("goods_imports_cny", "2020", 1e12),
				yr("goods_imports_cny", "2021", 1.01e12), // E(2021) = 9.564e11: −5.6%, over the ceiling
				yr("goods_imports_cny", "2022", 7.9e11),  // under the ceiling
				yr("goods_imports_cny", "2024", 7.5e11),  // under the ceiling
				ytd("goods_imports_cny", "2025-10", 8.1e11),
			}, []point{{2020, 12, NoData}, {2021, 12, Behind}, {2022, 12, OnTrack}, {2024, 12, OnTrack}, {2025, 10, Missed}, {2026, 2, Missed}}},
		{"imports ceiling: achieved only by the 2025 value",
			tgt(on("goods_imports_cny", 8e11, Compound), atMost), []obs.Observation{
				yr("goods_imports_cny", "2020", 1e12), yr("goods_imports_cny", "2023", 7.8e11), yr("goods_imports_cny", "2025", 7.9e11),
			}, []point{{2023, 12, OnTrack}, {2025, 11, OnTrack}, {2025, 12, Achieved}}},
		{"standards increase: met early, revoked by a lower stock, achieved at the end",
			tgt(on("international_standards", 1000, Linear), increase), []obs.Observation{
				stock("international_standards", "2020-12", 2000),
				stock("international_standards", "2021-10", 2363), // +363 vs 200·10/12 = 167
				stock("international_standards", "2023-12", 2550), // +550 vs 600: −8.3%
				stock("international_standards", "2024-06", 3050), // +1050: met early
				stock("international_standards", "2025-03", 2990), // a recount below the goal revokes it: +990 vs 850
				stock("international_standards", "2025-12", 3100),
			}, []point{{2020, 12, NoData}, {2021, 10, OnTrack}, {2023, 12, Behind}, {2024, 6, Achieved}, {2025, 3, OnTrack}, {2025, 12, Achieved}}},
		{"goods trade in USD: judged at the latest rate before its own year's rate is in",
			tgt(on("goods_trade", 5e11, Compound)), []obs.Observation{
				yr("goods_trade_cny", "2020", 3.05e12), rate("2020", 6.9),
				ytd("goods_trade_cny", "2021-09", 2.5e12), // at 6.9: 3.623e11 vs E(2021)·9/12 = 3.398e11
				rate("2021", 7.5),                         // the 2021 average, in at 2022-01: 3.333e11, −1.9%
				yr("goods_trade_cny", "2025", 4.55e12),    // at 7.5 until the 2025 rate: 6.067e11
				rate("2025", 7.18),
			}, []point{{2021, 8, NoData}, {2021, 9, OnTrack}, {2021, 12, AtRisk}, {2025, 12, Achieved}, {2026, 2, Achieved}}},
		{"digital share: ratio judged on full years only",
			tgt(on("digital_economy_share", 0.31, Linear)), []obs.Observation{
				yr("digital_economy_share", "2020", 0.305), yr("digital_economy_share", "2021", 0.305),
				yr("digital_economy_share", "2023", 0.32), yr("digital_economy_share", "2025", 0.305),
			}, []point{{2021, 6, NoData}, {2021, 12, AtRisk}, {2023, 12, Achieved}, {2024, 12, Achieved}, {2025, 12, Missed}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got, want []string
			for _, p := range tc.seq {
				v := Evaluate([]Target{tc.target}, tc.obs, endOf(p.y, p.m))[0]
				got = append(got, fmt.Sprintf("%d-%02d %s", p.y, p.m, v.Status))
				want = append(want, fmt.Sprintf("%d-%02d %s", p.y, p.m, p.want))
				if v.Status == NoData && !strings.Contains(strings.Join(v.Notes, "\n"), "to judge this target, enter") {
					t.Errorf("%d-%02d: no_data without saying what is missing: %q", p.y, p.m, v.Notes)
				}
			}
			if g, w := strings.Join(got, ", "), strings.Join(want, ", "); g != w {
				t.Errorf("statuses\n got %s\nwant %s", g, w)
			}
		})
	}
}
