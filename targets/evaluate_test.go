package targets

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/trademon/trademon/internal/obs"
)

// endOf returns the end of month m of year y: "as of" that month.
func endOf(y, m int) time.Time { return obs.MonthPeriod(y, m).End() }

type obsOpt func(*obs.Observation)

func manual(o *obs.Observation) {
	o.SourceKind, o.Source, o.EnteredBy = obs.KindManual, obs.SourceManual, "staff"
}
func estimate(o *obs.Observation) { o.Estimate = true }
func published(y, m, d int) obsOpt {
	return func(o *obs.Observation) { o.PublishedAt = time.Date(y, time.Month(m), d, 9, 0, 0, 0, obs.Shanghai) }
}
func region(r string) obsOpt { return func(o *obs.Observation) { o.Region = r } }

// ob builds a collected observation; period "2024" with basis year, "2024-06" otherwise.
func ob(ind, period string, basis obs.Basis, v float64, opts ...obsOpt) obs.Observation {
	o := obs.Observation{
		Indicator: ind, Region: obs.RegionSZ, Period: obs.MustParsePeriod(period), Basis: basis, Value: v,
		Unit: obs.MustLookup(ind).BaseUnit, SourceKind: obs.KindCollector, Source: "test/" + ind,
		URL: "https://example.test/" + ind + "/" + period + "/" + string(basis), Quote: ind + " " + period,
	}
	for _, f := range opts {
		f(&o)
	}
	return o
}

func yr(ind, period string, v float64, opts ...obsOpt) obs.Observation {
	return ob(ind, period, obs.BasisYear, v, opts...)
}
func ytd(ind, period string, v float64, opts ...obsOpt) obs.Observation {
	return ob(ind, period, obs.BasisYTD, v, opts...)
}
func stock(ind, period string, v float64, opts ...obsOpt) obs.Observation {
	return ob(ind, period, obs.BasisStock, v, opts...)
}

type tgtOpt func(*Target)

// tgt builds a target; the default is retail sales, 1.25e12 CNY by 2025 from 2020, compound.
func tgt(opts ...tgtOpt) Target {
	t := Target{ID: "t", NameZH: "目标", NameEN: "Target", Indicator: "retail_sales", Goal: 1.25e12, GoalYear: 2025,
		Direction: AtLeast, BaselineYear: 2020, Path: Compound, Tolerance: 0.05, Mode: Level}
	for _, f := range opts {
		f(&t)
	}
	return t
}

func on(ind string, goal float64, path PathKind) tgtOpt {
	return func(t *Target) { t.Indicator, t.Goal, t.Path = ind, goal, path }
}
func atMost(t *Target)   { t.Direction = AtMost }
func increase(t *Target) { t.Mode, t.Path = Increase, Linear }
func baseline(v float64) tgtOpt {
	return func(t *Target) { t.Baseline = &v }
}

// want lists what a verdict must show. Numbers are compared with a relative tolerance
// of 1e-9; notes are substrings that must appear among the notes.
type want struct {
	status                                     Status
	period                                     string
	actual, expected, gap, projected, progress float64
	notes                                      []string
	source                                     string
	estimate                                   bool
}

// Schedule values used below, written out from DESIGN.md's formulas.
var (
	// Retail: compound from 8e11 (2020) to 1.25e12 (2025): factor 1.5625.
	retailE = func(y int) float64 { return 8e11 * math.Pow(1.5625, float64(y-2020)/5) }
	// Trade HQ: linear from 20 (end 2020) to 100 (2025): 16 a year.
	hqE = func(y int) float64 { return 20 + 16*float64(y-2020) }
	// Imports, at most: compound from 1e12 down to 8e11.
	impE = func(y int) float64 { return 1e12 * math.Pow(0.8, float64(y-2020)/5) }
)

// seasonal is three complete years of retail history with January–September shares of
// 0.70 (2021), 0.72 (2022) and 0.74 (2023), plus 2020 with a share of 0.50 that must not
// be used (only the three most recent complete years count).
func seasonal() []obs.Observation {
	return []obs.Observation{
		yr("retail_sales", "2020", 8e11), ytd("retail_sales", "2020-09", 4e11),
		yr("retail_sales", "2021", 9e11), ytd("retail_sales", "2021-09", 6.3e11),
		yr("retail_sales", "2022", 1e12), ytd("retail_sales", "2022-09", 7.2e11),
		yr("retail_sales", "2023", 1e12), ytd("retail_sales", "2023-09", 7.4e11),
	}
}

func TestEvaluate(t *testing.T) {
	retailBase := yr("retail_sales", "2020", 8e11)
	hq := func(extra ...obs.Observation) []obs.Observation {
		return append([]obs.Observation{stock("trade_hq_enterprises", "2020-12", 20), stock("trade_hq_enterprises", "2022-12", 50)}, extra...)
	}
	hqT := tgt(on("trade_hq_enterprises", 100, Linear))
	// Stock in June 2023: expected = E(2022) + (E(2023) − E(2022))·6/12 = 52 + 8 = 60.
	hqExp := hqE(2022) + (hqE(2023)-hqE(2022))*6/12
	hqProj := func(v float64) float64 { return 50 + (v-50)*12/6 }

	tests := []struct {
		name   string
		target Target
		obs    []obs.Observation
		asOf   time.Time
		want   want
	}{
		// Stock, linear path: the three on-schedule statuses.
		{"stock linear on_track", hqT, hq(stock("trade_hq_enterprises", "2023-06", 62)), endOf(2023, 8),
			want{status: OnTrack, period: "2023-06", actual: 62, expected: hqExp, gap: (62 - hqExp) / hqExp, projected: hqProj(62), progress: 42.0 / 80}},
		{"stock linear at_risk", hqT, hq(stock("trade_hq_enterprises", "2023-06", 58)), endOf(2023, 8),
			want{status: AtRisk, period: "2023-06", actual: 58, expected: hqExp, gap: (58 - hqExp) / hqExp, projected: hqProj(58), progress: 38.0 / 80}},
		{"stock linear behind", hqT, hq(stock("trade_hq_enterprises", "2023-06", 50)), endOf(2023, 8),
			want{status: Behind, period: "2023-06", actual: 50, expected: hqExp, gap: (50 - hqExp) / hqExp, projected: hqProj(50), progress: 30.0 / 80}},
		{"stock met early", hqT, hq(stock("trade_hq_enterprises", "2024-03", 101)), endOf(2024, 5),
			want{status: Achieved, period: "2024-03", actual: 101,
				expected: hqE(2023) + (hqE(2024)-hqE(2023))*3/12, gap: 101/(hqE(2023)+(hqE(2024)-hqE(2023))*3/12) - 1,
				projected: 101, progress: 81.0 / 80, notes: []string{"met early: the 2024-03 figure already meets the 2025 goal"}},
		},
		{"stock decisive December missed", hqT, hq(stock("trade_hq_enterprises", "2025-12", 90)), endOf(2026, 1),
			want{status: Missed, period: "2025-12", actual: 90, expected: 100, gap: -0.1, projected: 90, progress: 70.0 / 80}},
		{"stock figures after the goal year are ignored", hqT, hq(stock("trade_hq_enterprises", "2025-12", 99), stock("trade_hq_enterprises", "2026-06", 120)), endOf(2026, 8),
			want{status: Missed, period: "2025-12", actual: 99, expected: 100, gap: -0.01, projected: 99, progress: 79.0 / 80}},

		// Flow, compound path, full-year values.
		{"flow compound full year on_track", tgt(), []obs.Observation{retailBase, yr("retail_sales", "2023", 1.06e12)}, endOf(2024, 2),
			want{status: OnTrack, period: "2023", actual: 1.06e12, expected: retailE(2023), gap: 1.06e12/retailE(2023) - 1, projected: 1.06e12, progress: (1.06e12 - 8e11) / 4.5e11}},
		{"flow goal year achieved", tgt(), []obs.Observation{retailBase, yr("retail_sales", "2025", 1.3e12)}, endOf(2026, 2),
			want{status: Achieved, period: "2025", actual: 1.3e12, expected: 1.25e12, gap: 0.04, projected: 1.3e12, progress: 5e11 / 4.5e11}},
		{"flow goal year missed", tgt(), []obs.Observation{retailBase, yr("retail_sales", "2025", 1.1e12)}, endOf(2026, 2),
			want{status: Missed, period: "2025", actual: 1.1e12, expected: 1.25e12, gap: -0.12, projected: 1.1e12, progress: 3e11 / 4.5e11}},
		{"flow full year met early", tgt(), []obs.Observation{retailBase, yr("retail_sales", "2024", 1.26e12), ytd("retail_sales", "2024-11", 1.1e12)}, endOf(2025, 1),
			want{status: Achieved, period: "2024", actual: 1.26e12, expected: retailE(2024), gap: 1.26e12/retailE(2024) - 1, projected: 1.26e12, progress: 4.6e11 / 4.5e11,
				notes: []string{"met early: the 2024 full-year figure already meets the 2025 goal; the 2025 figure will confirm it"}}},

		// Flow, year to date.
		{"ytd without history uses m/12", tgt(), []obs.Observation{retailBase, ytd("retail_sales", "2024-06", 5.8e11)}, endOf(2024, 7),
			want{status: OnTrack, period: "2024-06", actual: 5.8e11, expected: retailE(2024) * 6 / 12, gap: 5.8e11/(retailE(2024)*0.5) - 1,
				projected: 1.16e12, progress: (1.16e12 - 8e11) / 4.5e11, notes: []string{"seasonal share of January–June: 6/12"}}},
		{"ytd with a three-year seasonal profile", tgt(), append(seasonal(), ytd("retail_sales", "2024-09", 8.3e11)), endOf(2024, 10),
			want{status: OnTrack, period: "2024-09", actual: 8.3e11, expected: retailE(2024) * 0.72, gap: 8.3e11/(retailE(2024)*0.72) - 1,
				projected: 8.3e11 / 0.72, progress: (8.3e11/0.72 - 8e11) / 4.5e11, notes: []string{"seasonal share of January–September: 0.7200, the mean over 2023, 2022, 2021"}}},
		{"missing months: latest ytd and profile skip gaps", tgt(), []obs.Observation{
			yr("retail_sales", "2020", 8e11), ytd("retail_sales", "2020-09", 4e11),
			yr("retail_sales", "2021", 9e11), ytd("retail_sales", "2021-09", 6.3e11),
			yr("retail_sales", "2022", 1e12), // no 2022 January–September figure
			yr("retail_sales", "2023", 1e12), ytd("retail_sales", "2023-09", 7.4e11),
			ytd("retail_sales", "2024-07", 6e11), ytd("retail_sales", "2024-09", 7.6e11), // no 2024-08
		}, endOf(2024, 11),
			want{status: OnTrack, period: "2024-09", actual: 7.6e11, expected: retailE(2024) * (0.74 + 0.70 + 0.5) / 3, gap: 7.6e11/(retailE(2024)*(0.74+0.70+0.5)/3) - 1,
				projected: 7.6e11 / ((0.74 + 0.70 + 0.5) / 3), progress: (7.6e11/((0.74+0.70+0.5)/3) - 8e11) / 4.5e11,
				notes: []string{"the mean over 2023, 2021, 2020"}}},
		{"partial year is not a complete year", tgt(), []obs.Observation{
			retailBase, ytd("retail_sales", "2020-06", 3.5e11),
			ytd("retail_sales", "2023-03", 2e11), ytd("retail_sales", "2023-06", 4.5e11), // 2023: no full year
			ytd("retail_sales", "2024-06", 5.1e11),
		}, endOf(2024, 8),
			want{status: OnTrack, period: "2024-06", actual: 5.1e11, expected: retailE(2024) * 3.5 / 8, gap: 5.1e11/(retailE(2024)*3.5/8) - 1,
				projected: 5.1e11 / (3.5 / 8), progress: (5.1e11/(3.5/8) - 8e11) / 4.5e11, notes: []string{"the mean over 2020"}}},
		{"ytd already exceeds an at_least goal", tgt(), []obs.Observation{retailBase, ytd("retail_sales", "2025-11", 1.26e12)}, endOf(2025, 12),
			want{status: Achieved, period: "2025-11", actual: 1.26e12, expected: 1.25e12 * 11 / 12, gap: 1.26e12/(1.25e12*11/12) - 1,
				projected: 1.26e12 * 12 / 11, progress: (1.26e12*12/11 - 8e11) / 4.5e11, notes: []string{"the January–November figure already meets the 2025 goal"}}},
		{"goal year over, full-year figure not in yet", tgt(), []obs.Observation{retailBase, ytd("retail_sales", "2025-11", 1.1e12)}, endOf(2026, 10),
			want{status: AtRisk, period: "2025-11", actual: 1.1e12, expected: 1.25e12 * 11 / 12, gap: 1.1e12/(1.25e12*11/12) - 1,
				projected: 1.2e12, progress: 4e11 / 4.5e11, notes: []string{"2025 has ended but its full-year figure is not in yet; judged on 2025-11"}}},
		{"December ytd counts as the full year", tgt(), []obs.Observation{retailBase, ytd("retail_sales", "2025-11", 1.1e12), ytd("retail_sales", "2025-12", 1.24e12)}, endOf(2026, 1),
			want{status: Missed, period: "2025", actual: 1.24e12, expected: 1.25e12, gap: -0.008, projected: 1.24e12, progress: 4.4e11 / 4.5e11, source: obs.SourceDerived}},

		// Nothing to judge.
		{"as of before any data", tgt(), []obs.Observation{retailBase, yr("retail_sales", "2023", 1e12)}, endOf(2020, 11),
			want{status: NoData, notes: []string{"no retail_sales figures as of 2020-11-30"}}},
		{"only figures after the goal year", tgt(), []obs.Observation{yr("retail_sales", "2026", 1.4e12)}, endOf(2027, 2),
			want{status: NoData, notes: []string{"no retail_sales figure for 2020–2025 as of 2027-02-28"}}},
		{"no observations", tgt(), nil, endOf(2024, 1),
			want{status: NoData, notes: []string{"no retail_sales figures as of 2024-01-31"}}},
		{"other regions do not count", tgt(), []obs.Observation{yr("retail_sales", "2023", 1e12, region("guangzhou"))}, endOf(2024, 1),
			want{status: NoData}},
		{"no baseline", tgt(), []obs.Observation{yr("retail_sales", "2023", 1.05e12)}, endOf(2024, 2),
			want{status: NoData, period: "2023", actual: 1.05e12, projected: 1.05e12,
				notes: []string{"no baseline: set baseline in the targets file or enter the 2020 full-year figure"}}},
		{"configured baseline", tgt(baseline(8e11)), []obs.Observation{yr("retail_sales", "2023", 1.06e12)}, endOf(2024, 2),
			want{status: OnTrack, period: "2023", actual: 1.06e12, expected: retailE(2023), gap: 1.06e12/retailE(2023) - 1, projected: 1.06e12, progress: 2.6e11 / 4.5e11}},
		{"only figures before the baseline year", tgt(on("airport_international_routes", 100, Linear)),
			[]obs.Observation{stock("airport_international_routes", "2019-12", 50)}, endOf(2026, 1),
			want{status: NoData, period: "2019-12", notes: []string{"the latest airport_international_routes figure (50条, 2019-12) predates the baseline year 2020"}}},

		// at_most goals (a ceiling), compound path down.
		{"at_most on_track", tgt(on("goods_imports_cny", 8e11, Compound), atMost), []obs.Observation{yr("goods_imports_cny", "2020", 1e12), yr("goods_imports_cny", "2023", 8.5e11)}, endOf(2024, 2),
			want{status: OnTrack, period: "2023", actual: 8.5e11, expected: impE(2023), gap: -(8.5e11 - impE(2023)) / impE(2023), projected: 8.5e11, progress: 1.5e11 / 2e11}},
		{"at_most behind", tgt(on("goods_imports_cny", 8e11, Compound), atMost), []obs.Observation{yr("goods_imports_cny", "2020", 1e12), yr("goods_imports_cny", "2023", 9.5e11)}, endOf(2024, 2),
			want{status: Behind, period: "2023", actual: 9.5e11, expected: impE(2023), gap: -(9.5e11 - impE(2023)) / impE(2023), projected: 9.5e11, progress: 0.5e11 / 2e11}},
		{"at_most achieved", tgt(on("goods_imports_cny", 8e11, Compound), atMost), []obs.Observation{yr("goods_imports_cny", "2020", 1e12), yr("goods_imports_cny", "2025", 7.9e11)}, endOf(2026, 2),
			want{status: Achieved, period: "2025", actual: 7.9e11, expected: 8e11, gap: 0.0125, projected: 7.9e11, progress: 2.1e11 / 2e11}},
		{"at_most ytd already over the ceiling", tgt(on("goods_imports_cny", 8e11, Compound), atMost), []obs.Observation{yr("goods_imports_cny", "2020", 1e12), ytd("goods_imports_cny", "2025-10", 8.1e11)}, endOf(2025, 11),
			want{status: Missed, period: "2025-10", actual: 8.1e11, expected: 8e11 * 10 / 12, gap: -(8.1e11 - 8e11*10/12) / (8e11 * 10 / 12), projected: 8.1e11 * 12 / 10,
				progress: (8.1e11*12/10 - 1e12) / -2e11, notes: []string{"already exceeds the 2025 ceiling"}}},

		// Mode increase (cumulative count since the baseline), linear.
		{"increase on_track", tgt(on("international_standards", 1000, Linear), increase),
			[]obs.Observation{stock("international_standards", "2020-12", 2000), stock("international_standards", "2023-10", 2650)}, endOf(2023, 12),
			want{status: OnTrack, period: "2023-10", actual: 650, expected: 400 + 200*10.0/12, gap: 650/(400+200*10.0/12) - 1, projected: 650, progress: 0.65}},
		{"increase with configured baseline, achieved early", tgt(on("international_standards", 1000, Linear), increase, baseline(2000)),
			[]obs.Observation{stock("international_standards", "2024-12", 2700), stock("international_standards", "2025-10", 3050)}, endOf(2025, 12),
			want{status: Achieved, period: "2025-10", actual: 1050, expected: 800 + 200*10.0/12, gap: 1050/(800+200*10.0/12) - 1,
				projected: 700 + (1050-700)*12/10.0, progress: 1.05, notes: []string{"met early"}}},
		{"increase without a baseline", tgt(on("international_standards", 1000, Linear), increase),
			[]obs.Observation{stock("international_standards", "2017-12", 1655), stock("international_standards", "2021-10", 2363)}, endOf(2026, 11),
			want{status: NoData, period: "2021-10", notes: []string{"latest cumulative count: 2363项 (2021-10)", "needs the count at the end of 2020"}}},

		// Ratios: annual values only; a year-to-date share is ignored.
		{"ratio linear at_risk", tgt(on("digital_economy_share", 0.31, Linear)), []obs.Observation{
			yr("digital_economy_share", "2020", 0.305), yr("digital_economy_share", "2021", 0.305), ob("digital_economy_share", "2022-06", obs.BasisYTD, 0.35)}, endOf(2026, 11),
			want{status: AtRisk, period: "2021", actual: 0.305, expected: 0.306, gap: 0.305/0.306 - 1, projected: 0.305, progress: 0,
				notes: []string{"2025 has ended but its full-year figure is not in yet; judged on 2021"}}},

		// Leap years: February 2024 is judged exactly like February 2023.
		{"leap February stock", hqT, hq(stock("trade_hq_enterprises", "2024-02", 71)), endOf(2024, 2),
			want{status: OnTrack, period: "2024-02", actual: 71, expected: hqE(2023) + 16*2.0/12, gap: 71/(hqE(2023)+16*2.0/12) - 1, projected: 71, progress: 51.0 / 80}},
		{"leap February ytd", tgt(), []obs.Observation{retailBase, ytd("retail_sales", "2024-02", 2e11)}, endOf(2024, 2),
			want{status: OnTrack, period: "2024-02", actual: 2e11, expected: retailE(2024) * 2 / 12, gap: 2e11/(retailE(2024)*2/12) - 1, projected: 1.2e12, progress: 4e11 / 4.5e11}},
		// Issue 7: this pinned on_track from the baseline figure alone; a verdict never rests on it.
		{"February figure does not count before the month ends", tgt(), []obs.Observation{retailBase, ytd("retail_sales", "2024-02", 1.6e11)},
			time.Date(2024, 2, 29, 23, 59, 0, 0, obs.Shanghai),
			want{status: NoData, period: "2020", actual: 8e11, projected: 8e11, notes: []string{"nothing observed after the baseline year 2020"}}},

		// Precedence and revisions.
		{"revised figure: latest publication wins", tgt(), []obs.Observation{retailBase,
			yr("retail_sales", "2023", 1.02e12, published(2024, 1, 20)), yr("retail_sales", "2023", 1.06e12, published(2024, 9, 1))}, endOf(2024, 10),
			want{status: OnTrack, period: "2023", actual: 1.06e12, expected: retailE(2023), gap: 1.06e12/retailE(2023) - 1, projected: 1.06e12, progress: 2.6e11 / 4.5e11}},
		{"estimate replaced by final figure", tgt(), []obs.Observation{retailBase,
			yr("retail_sales", "2023", 1.1e12, estimate, published(2024, 3, 1)), yr("retail_sales", "2023", 1.0e12, published(2024, 2, 1))}, endOf(2024, 10),
			want{status: AtRisk, period: "2023", actual: 1e12, expected: retailE(2023), gap: 1e12/retailE(2023) - 1, projected: 1e12, progress: 2e11 / 4.5e11}},
		{"estimate stands until a final figure comes", tgt(), []obs.Observation{retailBase, yr("retail_sales", "2023", 1.1e12, estimate)}, endOf(2024, 1),
			want{status: OnTrack, period: "2023", actual: 1.1e12, expected: retailE(2023), gap: 1.1e12/retailE(2023) - 1, projected: 1.1e12, progress: 3e11 / 4.5e11,
				estimate: true, notes: []string{"is an estimate (预计)"}}},
		{"manual over collected", tgt(), []obs.Observation{retailBase,
			yr("retail_sales", "2023", 1.06e12, published(2024, 9, 1)), yr("retail_sales", "2023", 1.0e12, manual, published(2024, 2, 1))}, endOf(2024, 10),
			want{status: AtRisk, period: "2023", actual: 1e12, expected: retailE(2023), gap: 1e12/retailE(2023) - 1, projected: 1e12, progress: 2e11 / 4.5e11, source: obs.SourceManual}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := Evaluate([]Target{tc.target}, tc.obs, tc.asOf)[0]
			checkVerdict(t, v, tc.want)
			if v.AsOf != tc.asOf || v.Target != tc.target.ID || v.Indicator != tc.target.Indicator || v.Goal != tc.target.Goal {
				t.Errorf("identity: %s %s goal %g as of %s", v.Target, v.Indicator, v.Goal, v.AsOf)
			}
			if _, err := json.Marshal(v); err != nil {
				t.Errorf("verdict does not encode: %v", err)
			}
		})
	}
}

func checkVerdict(t *testing.T, v Verdict, w want) {
	t.Helper()
	if v.Status != w.status || v.Period != w.period {
		t.Errorf("status %s period %q, want %s %q (notes %q)", v.Status, v.Period, w.status, w.period, v.Notes)
	}
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"actual", v.Actual, w.actual}, {"expected", v.Expected, w.expected}, {"gap", v.Gap, w.gap},
		{"projected", v.Projected, w.projected}, {"progress", v.Progress, w.progress},
	} {
		if !close(c.got, c.want) {
			t.Errorf("%s = %.12g, want %.12g", c.name, c.got, c.want)
		}
	}
	for _, n := range w.notes {
		if !strings.Contains(strings.Join(v.Notes, "\n"), n) {
			t.Errorf("notes %q lack %q", v.Notes, n)
		}
	}
	if w.source != "" && v.Source != w.source {
		t.Errorf("source %q, want %q", v.Source, w.source)
	}
	if v.Estimate != w.estimate {
		t.Errorf("estimate %v, want %v", v.Estimate, w.estimate)
	}
}

// close compares with a relative tolerance of 1e-9 (absolute near 0).
func close(got, want float64) bool {
	return math.Abs(got-want) <= 1e-9*math.Max(1, math.Abs(want))
}

func TestEvaluateProvenance(t *testing.T) {
	o := yr("retail_sales", "2023", 1.06e12, manual, published(2024, 2, 1))
	o.Quote = "全年社会消费品零售总额10600亿元"
	v := Evaluate([]Target{tgt()}, []obs.Observation{yr("retail_sales", "2020", 8e11), o}, endOf(2024, 3))[0]
	if v.Source != obs.SourceManual || v.SourceKind != obs.KindManual || v.URL != o.URL || v.Quote != o.Quote || v.Basis != obs.BasisYear {
		t.Errorf("provenance: %q %q %q %q %q", v.Source, v.SourceKind, v.URL, v.Quote, v.Basis)
	}
}

func TestEvaluatePaces(t *testing.T) {
	// Trade HQ: 20 at the end of 2020, 62 in June 2023 (time 2022.5), goal 100 in 2025.
	obsv := []obs.Observation{stock("trade_hq_enterprises", "2020-12", 20), stock("trade_hq_enterprises", "2023-06", 62)}
	v := Evaluate([]Target{tgt(on("trade_hq_enterprises", 100, Linear))}, obsv, endOf(2023, 7))[0]
	if want := math.Pow(100.0/62, 1/2.5) - 1; !close(v.RequiredPace, want) {
		t.Errorf("required pace %g, want %g", v.RequiredPace, want)
	}
	observed := math.Pow(62.0/20, 1/2.5) - 1
	required := math.Pow(5, 0.2) - 1
	if want := observed / required; !close(v.GrowthRatio, want) {
		t.Errorf("growth ratio %g, want %g", v.GrowthRatio, want)
	}
	// Flows use the latest full-year value: 2023 with 1.06e12; goal 1.25e12 in 2025.
	v = Evaluate([]Target{tgt()}, []obs.Observation{yr("retail_sales", "2020", 8e11), yr("retail_sales", "2023", 1.06e12), ytd("retail_sales", "2024-06", 5.5e11)}, endOf(2024, 7))[0]
	if want := math.Sqrt(1.25e12/1.06e12) - 1; !close(v.RequiredPace, want) {
		t.Errorf("flow required pace %g, want %g", v.RequiredPace, want)
	}
	if want := (math.Cbrt(1.06e12/8e11) - 1) / (math.Pow(1.5625, 0.2) - 1); !close(v.GrowthRatio, want) {
		t.Errorf("flow growth ratio %g, want %g", v.GrowthRatio, want)
	}
	// Increase mode works on the cumulative levels: 2000 → 2650 (2022+10/12) toward 3000.
	v = Evaluate([]Target{tgt(on("international_standards", 1000, Linear), increase)},
		[]obs.Observation{stock("international_standards", "2020-12", 2000), stock("international_standards", "2023-10", 2650)}, endOf(2023, 11))[0]
	at := 2022 + 10.0/12
	if want := math.Pow(3000.0/2650, 1/(2025-at)) - 1; !close(v.RequiredPace, want) {
		t.Errorf("increase required pace %g, want %g", v.RequiredPace, want)
	}
	if want := (math.Pow(2650.0/2000, 1/(at-2020)) - 1) / (math.Pow(1.5, 0.2) - 1); !close(v.GrowthRatio, want) {
		t.Errorf("increase growth ratio %g, want %g", v.GrowthRatio, want)
	}
	if v.BaselineLevel != 2000 || v.Baseline != 0 {
		t.Errorf("increase baseline %g level %g, want 0 and 2000", v.Baseline, v.BaselineLevel)
	}
	// Past the goal year no pace is required.
	v = Evaluate([]Target{tgt()}, []obs.Observation{yr("retail_sales", "2020", 8e11), yr("retail_sales", "2025", 1.3e12)}, endOf(2026, 3))[0]
	if v.RequiredPace != 0 {
		t.Errorf("required pace after the goal year %g, want 0", v.RequiredPace)
	}
}

func TestEvaluatePath(t *testing.T) {
	v := Evaluate([]Target{tgt()}, append(seasonal(), ytd("retail_sales", "2024-09", 7.8e11)), endOf(2024, 10))[0]
	if len(v.Path) != 6 {
		t.Fatalf("path has %d points, want 2020–2025", len(v.Path))
	}
	actuals := map[int]float64{2020: 8e11, 2021: 9e11, 2022: 1e12, 2023: 1e12, 2024: 7.8e11 / 0.72}
	for i, p := range v.Path {
		if p.Year != 2020+i || !close(p.Expected, retailE(p.Year)) {
			t.Errorf("point %d: year %d expected %g, want %d %g", i, p.Year, p.Expected, 2020+i, retailE(2020+i))
		}
		a, ok := actuals[p.Year]
		switch {
		case ok && (p.Actual == nil || !close(*p.Actual, a)):
			t.Errorf("%d: actual %v, want %g", p.Year, p.Actual, a)
		case !ok && p.Actual != nil:
			t.Errorf("%d: actual %g, want none", p.Year, *p.Actual)
		}
	}
	// A linear path of an increase target runs from 0 to the goal.
	v = Evaluate([]Target{tgt(on("international_standards", 1000, Linear), increase)},
		[]obs.Observation{stock("international_standards", "2020-12", 2000), stock("international_standards", "2022-12", 2500)}, endOf(2023, 1))[0]
	for i, want := range []float64{0, 200, 400, 600, 800, 1000} {
		if !close(v.Path[i].Expected, want) {
			t.Errorf("increase path %d: %g, want %g", 2020+i, v.Path[i].Expected, want)
		}
	}
	if v.Path[2].Actual == nil || *v.Path[2].Actual != 500 || v.Path[3].Actual != nil {
		t.Errorf("increase path actuals: %v %v", v.Path[2].Actual, v.Path[3].Actual)
	}
}

func TestEvaluateUSDDerivation(t *testing.T) {
	gt := tgt(on("goods_trade", 5e11, Compound))
	base := []obs.Observation{
		yr("goods_trade_cny", "2020", 3.05e12), ob("usd_cny_rate", "2020", obs.BasisYear, 6.9, manual),
	}
	t.Run("annual average of the same year", func(t *testing.T) {
		in := append(base, yr("goods_trade_cny", "2025", 4.55e12), ob("usd_cny_rate", "2025", obs.BasisYear, 7.18, manual))
		v := Evaluate([]Target{gt}, in, endOf(2026, 11))[0]
		b := 3.05e12 / 6.9
		checkVerdict(t, v, want{status: Achieved, period: "2025", actual: 4.55e12 / 7.18, expected: 5e11, gap: 4.55e12/7.18/5e11 - 1,
			projected: 4.55e12 / 7.18, progress: (4.55e12/7.18 - b) / (5e11 - b), source: obs.SourceDerived,
			notes: []string{"2025: converted from 4.55万亿元 at 7.18 元/美元 (2025 annual average)", "baseline 2020 converted from 3.05万亿元 at 6.9 元/美元 (2020 annual average)"}})
		if !close(v.Baseline, b) {
			t.Errorf("baseline %g, want %g", v.Baseline, b)
		}
	})
	t.Run("ytd of a year without an annual average uses the latest annual average", func(t *testing.T) {
		in := append(base, ytd("goods_trade_cny", "2025-09", 3.3e12),
			ob("usd_cny_rate", "2024", obs.BasisYear, 7.19, manual), ob("usd_cny_rate", "2025-08", obs.BasisMonth, 7.15, manual)) // monthly averages are not used
		v := Evaluate([]Target{gt}, in, endOf(2025, 11))[0]
		a := 3.3e12 / 7.19
		b := 3.05e12 / 6.9
		e := b * math.Pow(5e11/b, 5.0/5) * 9 / 12
		checkVerdict(t, v, want{status: OnTrack, period: "2025-09", actual: a, expected: e, gap: a/e - 1, projected: a * 12 / 9, progress: (a*12/9 - b) / (5e11 - b),
			source: obs.SourceDerived, estimate: true, notes: []string{"converted from 3.3万亿元 at 7.19 元/美元 (2024 annual average; the 2025 annual average is not in yet)",
				"goods_trade 2025-09 is an estimate: converted at the 2024 annual average rate, as the 2025 one is not in yet"}})
	})
	t.Run("a published USD figure wins", func(t *testing.T) {
		in := append(base, yr("goods_trade_cny", "2025", 4.55e12), ob("usd_cny_rate", "2025", obs.BasisYear, 7.18, manual), yr("goods_trade", "2025", 6.4e11, manual))
		v := Evaluate([]Target{gt}, in, endOf(2026, 3))[0]
		if v.Actual != 6.4e11 || v.Source != obs.SourceManual {
			t.Errorf("actual %g from %s, want the published 6.4e11", v.Actual, v.Source)
		}
		for _, n := range v.Notes {
			if strings.HasPrefix(n, "2025: converted") {
				t.Errorf("unexpected conversion note %q", n)
			}
		}
	})
	// Issue 7: this pinned on_track from the baseline alone; the 2025 figure now converts
	// at the latest annual average available, as an estimate that names the rate.
	t.Run("missing rate", func(t *testing.T) {
		in := append(base, yr("goods_trade_cny", "2025", 4.55e12))
		v := Evaluate([]Target{gt}, in, endOf(2026, 3))[0]
		a, b := 4.55e12/6.9, 3.05e12/6.9
		checkVerdict(t, v, want{status: Achieved, period: "2025", actual: a, expected: 5e11, gap: a/5e11 - 1, projected: a, progress: (a - b) / (5e11 - b),
			source: obs.SourceDerived, estimate: true, notes: []string{"2025: converted from 4.55万亿元 at 6.9 元/美元 (2020 annual average; the 2025 annual average is not in yet)"}})
	})
	t.Run("no rate at all", func(t *testing.T) {
		v := Evaluate([]Target{gt}, []obs.Observation{yr("goods_trade_cny", "2025", 4.55e12), ytd("goods_trade_cny", "2025-11", 4.12e12), yr("goods_trade_cny", "2024", 4.51e12)}, endOf(2026, 3))[0]
		checkVerdict(t, v, want{status: NoData, notes: []string{"no usd_cny_rate (USD/CNY average exchange rate) for 2024, 2025 or any earlier year: 3 goods_trade_cny figures not converted to USD (latest: year 2025, 4.55万亿元)"}})
	})
}

// TestEvaluateIsPure checks that evaluation neither depends on the order of its input
// nor changes it, and that one index serves many targets alike.
func TestEvaluateIsPure(t *testing.T) {
	in := append(seasonal(), ytd("retail_sales", "2024-09", 8.3e11), stock("trade_hq_enterprises", "2020-12", 20), stock("trade_hq_enterprises", "2023-06", 62))
	rev := make([]obs.Observation, len(in))
	for i := range in {
		rev[len(in)-1-i] = in[i]
	}
	snapshot := append([]obs.Observation(nil), in...)
	ts := []Target{tgt(func(t *Target) { t.ID = "a" }), tgt(on("trade_hq_enterprises", 100, Linear), func(t *Target) { t.ID = "b" })}
	a := Evaluate(ts, in, endOf(2024, 10))
	b := Evaluate(ts, rev, endOf(2024, 10))
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if string(ja) != string(jb) {
		t.Errorf("order of observations changes the verdicts:\n%s\n%s", ja, jb)
	}
	for i := range in {
		if in[i] != snapshot[i] {
			t.Fatalf("input observation %d was modified", i)
		}
	}
	if a[0].Target != "a" || a[1].Target != "b" || a[0].Status != OnTrack || a[1].Status != OnTrack {
		t.Errorf("verdicts %s/%s %s/%s", a[0].Target, a[0].Status, a[1].Target, a[1].Status)
	}
}

func TestScheduleFunctions(t *testing.T) {
	tests := []struct {
		name      string
		got, want float64
	}{
		{"linear start", ExpectedAnnual(Linear, 20, 100, 2020, 2025, 2020), 20},
		{"linear middle", ExpectedAnnual(Linear, 20, 100, 2020, 2025, 2023), 68},
		{"linear end", ExpectedAnnual(Linear, 20, 100, 2020, 2025, 2025), 100},
		{"compound end", ExpectedAnnual(Compound, 8, 12.5, 2020, 2025, 2025), 12.5},
		{"compound middle", ExpectedAnnual(Compound, 100, 200, 2020, 2030, 2025), 100 * math.Sqrt2},
		{"stock December", ExpectedStock(Linear, 20, 100, 2020, 2025, 2023, 12), 68},
		{"stock March", ExpectedStock(Linear, 20, 100, 2020, 2025, 2023, 3), 52 + 4},
		{"gap at_least", Gap(AtLeast, 90, 100), -0.1},
		{"gap at_most", Gap(AtMost, 90, 100), 0.1},
		{"gap expected 0", Gap(AtLeast, 5, 0), 0},
		{"pace", RequiredPace(100, 2023, 121, 2025), 0.1},
		{"pace past goal year", RequiredPace(100, 2025, 121, 2025), 0},
		{"growth ratio on pace", GrowthRatio(100, 2020, 121, 2022, 161.051, 2025), 1},
		{"growth ratio at baseline", GrowthRatio(100, 2020, 100, 2020, 200, 2025), 0},
	}
	for _, tc := range tests {
		if !close(tc.got, tc.want) {
			t.Errorf("%s = %.12g, want %.12g", tc.name, tc.got, tc.want)
		}
	}
	if !math.IsNaN(ExpectedAnnual(Compound, 0, 100, 2020, 2025, 2023)) {
		t.Error("compound from 0 should be NaN")
	}
	for _, tc := range []struct {
		gap  float64
		want Status
	}{{0, OnTrack}, {0.2, OnTrack}, {-0.05, AtRisk}, {-0.01, AtRisk}, {-0.0500001, Behind}} {
		if got := StatusOf(tc.gap, 0.05); got != tc.want {
			t.Errorf("StatusOf(%g) = %s, want %s", tc.gap, got, tc.want)
		}
	}
}

func TestStatusZH(t *testing.T) {
	for _, s := range Statuses {
		if s.ZH() == string(s) {
			t.Errorf("status %s has no Chinese name", s)
		}
	}
	if OnTrack.ZH() != "正常推进" || Status("x").ZH() != "x" {
		t.Errorf("ZH: %s %s", OnTrack.ZH(), Status("x").ZH())
	}
}
