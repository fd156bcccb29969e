package safety_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/trademon/trademon/collectors/safety"
	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/store/embedded"
)

var now = time.Date(2025, 11, 15, 12, 0, 0, 0, obs.Shanghai)

func ob(ind, period string, basis obs.Basis, value float64, source, quote string) obs.Observation {
	o := obs.Observation{
		Indicator: ind, Period: obs.MustParsePeriod(period), Basis: basis, Value: value,
		SourceKind: obs.KindCollector, Source: source, URL: "https://example.gov.cn/" + period, Quote: quote,
	}
	o.Normalize()
	return o
}

func port(period string, basis obs.Basis, wanTEU float64) obs.Observation {
	return ob("port_container_throughput", period, basis, wanTEU*1e4, "port/jtys-news", "")
}

func openStore(t *testing.T, stored ...obs.Observation) *embedded.Store {
	t.Helper()
	st, err := embedded.Open(t.TempDir(), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if len(stored) > 0 {
		if _, err := st.Put(context.Background(), stored); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

func TestCheck(t *testing.T) {
	history := []obs.Observation{
		port("2025-01", obs.BasisMonth, 241.17), port("2025-02", obs.BasisMonth, 211.13),
		port("2025-03", obs.BasisMonth, 238.25), port("2025-03", obs.BasisYTD, 690.55),
	}
	customsQ3 := ob("goods_trade_cny", "2025-09", obs.BasisYTD, 3.30e12, "trade/customs-news", "前三季度,深圳市进出口3.30万亿元,同比增长4.1%。")
	customsAug := ob("goods_trade_cny", "2025-08", obs.BasisYTD, 2.9e12, "trade/customs-news", "前8个月,深圳市进出口2.9万亿元。")
	estimate := ob("retail_sales", "2024-12", obs.BasisYTD, 1.1e12, "retail/tjj-monthly", "预计全年社会消费品零售总额1.1万亿元。")
	estimate.Estimate = true
	final := ob("retail_sales", "2024-12", obs.BasisYTD, 1.053099e12, "retail/tjj-gb", "全年社会消费品零售总额10530.99亿元。")

	tests := []struct {
		name   string
		stored []obs.Observation
		in     []obs.Observation
		want   []safety.Action
		reason []safety.Reason
	}{
		{
			name: "future period is invalid",
			in:   []obs.Observation{port("2025-11", obs.BasisMonth, 240)},
			want: []safety.Action{safety.Reject}, reason: []safety.Reason{safety.Invalid},
		},
		{
			name: "below the plausible range (万元 read for 亿元)",
			in:   []obs.Observation{ob("goods_trade_cny", "2025-07", obs.BasisYTD, 258003500, "trade/customs-news", "深圳市进出口25800.35万元")},
			want: []safety.Action{safety.Reject}, reason: []safety.Reason{safety.OutOfRange},
		},
		{
			name:   "ten times the stored neighbours is a unit slip; a plausible value is new",
			stored: history,
			in:     []obs.Observation{port("2025-04", obs.BasisMonth, 2411.7), port("2025-05", obs.BasisMonth, 245.3)},
			want:   []safety.Action{safety.Reject, safety.Write}, reason: []safety.Reason{safety.UnitSlip, ""},
		},
		{
			name:   "a tenth of the stored neighbours is a unit slip",
			stored: history,
			in:     []obs.Observation{port("2025-04", obs.BasisYTD, 93.1)},
			want:   []safety.Action{safety.Reject}, reason: []safety.Reason{safety.UnitSlip},
		},
		{
			name: "first batch: the slipped page is rejected (out of the typical range) even when it comes first",
			in: []obs.Observation{
				port("2025-03", obs.BasisMonth, 2382.5), port("2025-03", obs.BasisYTD, 690.55),
				port("2025-02", obs.BasisMonth, 211.13), port("2025-02", obs.BasisYTD, 452.30), port("2025-01", obs.BasisMonth, 241.17),
			},
			want:   []safety.Action{safety.Reject, safety.Write, safety.Write, safety.Write, safety.Write},
			reason: []safety.Reason{safety.OutOfRange, "", "", "", ""},
		},
		{
			name:   "another source beyond rounding is a conflict",
			stored: []obs.Observation{customsQ3},
			in:     []obs.Observation{ob("goods_trade_cny", "2025-09", obs.BasisYTD, 3.21005e12, "trade/tjj-monthly", "1-9月,全市进出口总额32100.50亿元。")},
			want:   []safety.Action{safety.Conflict},
		},
		{
			name:   "a less precise figure from another source that agrees within its rounding is kept out",
			stored: []obs.Observation{ob("goods_trade_cny", "2025-08", obs.BasisYTD, 2.901234e12, "trade/tjj-monthly", "1-8月,全市进出口总额29012.34亿元。")},
			in:     []obs.Observation{customsAug},
			want:   []safety.Action{safety.Keep},
		},
		{
			name:   "the same source again is unchanged; a changed figure from it is a revision",
			stored: []obs.Observation{customsQ3},
			in: []obs.Observation{customsQ3,
				ob("goods_trade_cny", "2025-09", obs.BasisYTD, 3.31e12, "trade/customs-news", "前三季度,深圳市进出口3.31万亿元。")},
			want: []safety.Action{safety.Keep, safety.Write},
		},
		{
			name:   "a final figure replaces an estimate",
			stored: []obs.Observation{estimate},
			in:     []obs.Observation{final},
			want:   []safety.Action{safety.Write},
		},
		{
			name:   "an estimate does not replace a final figure",
			stored: []obs.Observation{final},
			in:     []obs.Observation{estimate},
			want:   []safety.Action{safety.Keep},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := safety.New(openStore(t, tt.stored...), safety.Options{Now: func() time.Time { return now }})
			got, err := g.Check(context.Background(), tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d decisions, want %d", len(got), len(tt.want))
			}
			for i, d := range got {
				if d.Action != tt.want[i] {
					t.Errorf("decision %d: action %s (%s), want %s", i, d.Action, d.Detail, tt.want[i])
				}
				if tt.reason != nil && d.Reason != tt.reason[i] {
					t.Errorf("decision %d: reason %q, want %q", i, d.Reason, tt.reason[i])
				}
				if d.Detail == "" {
					t.Errorf("decision %d: no detail", i)
				}
				if d.Action == safety.Conflict {
					if d.Conflict == nil || d.Conflict.ExistingValue != tt.stored[0].Value || d.Conflict.ExistingSource != tt.stored[0].Source ||
						d.Conflict.Alternative.Value != tt.in[i].Value || !d.Conflict.DetectedAt.Equal(now) {
						t.Errorf("decision %d: conflict %+v does not record both figures", i, d.Conflict)
					}
				}
			}
		})
	}
}

// TestCheckRemembersAcceptedFigures checks that a figure written earlier in the run is
// a reference for later batches, and that its key is known (the same figure again is
// kept, not written twice).
func TestCheckRemembersAcceptedFigures(t *testing.T) {
	g := safety.New(openStore(t), safety.Options{Now: func() time.Time { return now }})
	ctx := context.Background()
	first, err := g.Check(ctx, []obs.Observation{port("2025-01", obs.BasisMonth, 241.17)})
	if err != nil || first[0].Action != safety.Write {
		t.Fatalf("first: %+v, %v", first, err)
	}
	second, err := g.Check(ctx, []obs.Observation{port("2025-01", obs.BasisMonth, 241.17), port("2025-02", obs.BasisMonth, 2111.3)})
	if err != nil {
		t.Fatal(err)
	}
	if second[0].Action != safety.Keep || second[1].Action != safety.Reject || second[1].Reason != safety.UnitSlip {
		t.Fatalf("second: %s/%s, %s/%s", second[0].Action, second[0].Detail, second[1].Action, second[1].Reason)
	}
	if second[1].Reference == nil || second[1].Reference.Period.String() != "2025-01" {
		t.Errorf("reference = %+v, want the 2025-01 figure", second[1].Reference)
	}
}

func TestResolution(t *testing.T) {
	tests := []struct {
		ind        string
		value, res float64
		want       float64
	}{
		// Set when the figure was read ("7731亿6200万元", "2000项").
		{"goods_trade_cny", 7.7316200e11, 1e4, 1e4},
		{"international_standards", 2000, 1, 1},
		{"port_container_throughput", 2.4117e6, 100, 100},
		// Not set (a figure stored before resolutions were kept): read from trailing
		// zeros in the display unit (亿元).
		{"goods_trade_cny", 2.1e12, 0, 1e11},
		{"goods_trade_cny", 2.800012e12, 0, 1e6},
		{"goods_trade_cny", 3.1005e11, 0, 1e7},
	}
	for _, tt := range tests {
		o := obs.Observation{Indicator: tt.ind, Value: tt.value, Resolution: tt.res}
		if got := safety.Resolution(o); got != tt.want {
			t.Errorf("Resolution(%g, resolution %g) = %g, want %g", tt.value, tt.res, got, tt.want)
		}
	}
}

func TestSameWithinRounding(t *testing.T) {
	a := obs.Observation{Indicator: "goods_trade_cny", Value: 2.1e12, Resolution: 1e11, Quote: "进出口2.1万亿元"}
	tests := []struct {
		value, res float64
		quote      string
		want       bool
	}{
		{2.1034e12, 1e8, "进出口21034亿元", true},
		{2.149e12, 1e8, "进出口21490亿元", true},
		{2.151e12, 1e8, "进出口21510亿元", false},
		{2.3e12, 1e11, "进出口2.3万亿元", false},
	}
	for _, tt := range tests {
		b := obs.Observation{Indicator: "goods_trade_cny", Value: tt.value, Resolution: tt.res, Quote: tt.quote}
		if got := safety.SameWithinRounding(a, b); got != tt.want {
			t.Errorf("SameWithinRounding(2.1万亿, %s) = %v, want %v", tt.quote, got, tt.want)
		}
	}
}

// guardRun checks in with a fresh Guard over st, as one collector run does, and writes
// what it decides Write, as the runner does.
func guardRun(t *testing.T, st *embedded.Store, in ...obs.Observation) []safety.Decision {
	t.Helper()
	ds, err := safety.New(st, safety.Options{Now: func() time.Time { return now }}).Check(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	var puts []obs.Observation
	for _, d := range ds {
		if d.Action == safety.Write {
			puts = append(puts, d.Observation)
		}
	}
	if len(puts) > 0 {
		if _, err := st.Put(context.Background(), puts); err != nil {
			t.Fatal(err)
		}
	}
	return ds
}

func actions(ds []safety.Decision) string {
	s := make([]string, len(ds))
	for i, d := range ds {
		s[i] = string(d.Action)
		if d.Reason != "" {
			s[i] += "/" + string(d.Reason)
		}
	}
	return strings.Join(s, " ")
}

// TestUnitSlipGuard walks the unit-slip scenarios of issue 7 (defect 8) run by run:
// each step is one collector run over the store the earlier steps left.
func TestUnitSlipGuard(t *testing.T) {
	const src = "port/jtys-news"
	trade := func(period string, yi float64, source string, res float64) obs.Observation {
		o := ob("goods_trade_cny", period, obs.BasisYTD, yi*1e8, source, "")
		o.Resolution = res
		return o
	}
	std := func(period string, n float64) obs.Observation {
		return ob("international_standards", period, obs.BasisStock, n, "standards/amr-news", "")
	}
	type step struct {
		in   []obs.Observation
		want string
	}
	tests := []struct {
		name   string
		stored []obs.Observation
		steps  []step
	}{
		{
			// The example: the 10× January figure came first, was stored
			// unchecked, and then rejected the three right figures after it.
			name: "a lone 10x January figure is out of range and does not block the right ones",
			steps: []step{
				{[]obs.Observation{port("2025-01", obs.BasisMonth, 2411.7)}, "reject/out_of_range"},
				{[]obs.Observation{port("2025-02", obs.BasisMonth, 211.13), port("2025-03", obs.BasisMonth, 238.25), port("2025-04", obs.BasisMonth, 245.3)},
					"write write write"},
			},
		},
		{
			name: "a lone tenth of a figure is out of range too",
			steps: []step{
				{[]obs.Observation{ob("retail_sales", "2025-09", obs.BasisYTD, 711.066e8, "retail/tjj-monthly", "")}, "reject/out_of_range"},
				{[]obs.Observation{ob("retail_sales", "2025-09", obs.BasisYTD, 7110.66e8, "retail/tjj-monthly", "")}, "write"},
			},
		},
		{
			name:   "a source's own earlier figure for the same key never blocks its correction",
			stored: []obs.Observation{port("2025-01", obs.BasisMonth, 2411.7)},
			steps: []step{
				{[]obs.Observation{port("2025-01", obs.BasisMonth, 241.17)}, "write"},
				{[]obs.Observation{port("2025-02", obs.BasisMonth, 211.13)}, "write"},
			},
		},
		{
			name: "in a batch of two where one slips, only that one is rejected",
			steps: []step{
				{[]obs.Observation{port("2025-01", obs.BasisMonth, 241.17), port("2025-02", obs.BasisMonth, 2111.3)}, "write reject/out_of_range"},
				{[]obs.Observation{std("2025-09", 20000), std("2025-10", 2000)}, "reject/unit_slip write"},
				{[]obs.Observation{port("2025-02", obs.BasisMonth, 211.13)}, "write"},
			},
		},
		{
			name: "a median of two stored figures, one of them slipped, does not reject the right one",
			stored: []obs.Observation{port("2025-01", obs.BasisMonth, 241.17),
				ob("port_container_throughput", "2025-02", obs.BasisMonth, 2111.3e4, "port/other-news", "")},
			steps: []step{
				{[]obs.Observation{port("2025-03", obs.BasisMonth, 230)}, "write"},
				{[]obs.Observation{port("2025-04", obs.BasisMonth, 2300)}, "reject/unit_slip"},
			},
		},
		{
			name:   "a more precise figure that agrees within rounding replaces the less precise one",
			stored: []obs.Observation{trade("2025-08", 29000, "trade/customs-news", 1e11)},
			steps: []step{
				{[]obs.Observation{trade("2025-08", 29012.34, "trade/tjj-monthly", 1e6)}, "write"},
				// Back again, the coarse figure agrees and does not replace the precise one.
				{[]obs.Observation{trade("2025-08", 29000, "trade/customs-news", 1e11)}, "keep"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := openStore(t, tt.stored...)
			for i, s := range tt.steps {
				ds := guardRun(t, st, s.in...)
				if got := actions(ds); got != s.want {
					for _, d := range ds {
						t.Logf("  %s %s: %s %s", d.Observation.Period, d.Observation.Basis, d.Action, d.Detail)
					}
					t.Errorf("run %d: %s, want %s", i+1, got, s.want)
				}
			}
		})
	}
}
