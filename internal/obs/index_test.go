package obs

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

// ob builds an observation for the index tables.
func ob(ind string, basis Basis, period string, value float64, kind SourceKind) Observation {
	o := Observation{
		Indicator: ind, Region: RegionSZ, Basis: basis, Period: MustParsePeriod(period),
		Value: value, Unit: MustLookup(ind).BaseUnit, SourceKind: kind, Source: string(kind),
		URL: "https://example.org/" + ind + "/" + period, Quote: ind + " " + period,
	}
	if kind == KindManual {
		o.EnteredBy = "staff"
	}
	return o
}

func with(o Observation, f func(*Observation)) Observation { f(&o); return o }
func est(o Observation) Observation                        { o.Estimate = true; return o }
func yoy(g float64) func(*Observation)                     { return func(o *Observation) { o.YoY = &g } }

// brief renders figures as "indicator basis period value source_kind source [estimate]" lines.
func brief(fs []*Figure) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "%s %s %s %g %s %s", f.Indicator, f.Basis, f.Period, f.Value, f.SourceKind, f.Source)
		if f.Estimate {
			b.WriteString(" estimate")
		}
		b.WriteString("\n")
	}
	return b.String()
}

// all returns every chosen figure of the index, sorted.
func all(ix *Index) []*Figure {
	var out []*Figure
	for _, id := range IndicatorIDs() {
		for _, b := range []Basis{BasisMonth, BasisStock, BasisYTD, BasisYear} {
			out = append(out, ix.Chosen(id, b)...)
		}
	}
	return out
}

// derived returns the chosen figures that were derived.
func derived(ix *Index) []*Figure {
	var out []*Figure
	for _, f := range all(ix) {
		if f.Derivation != Published {
			out = append(out, f)
		}
	}
	return out
}

// TestIndexChoice walks DESIGN.md's "Which figure": finality first, then source
// precedence, then direct over derived, then the latest publication — the same for a
// slot's published figures and the figures derived into it.
func TestIndexChoice(t *testing.T) {
	early := time.Date(2025, 1, 20, 0, 0, 0, 0, Shanghai)
	late := early.AddDate(0, 6, 0)
	at := func(tm time.Time) func(*Observation) { return func(o *Observation) { o.PublishedAt = tm } }
	tests := []struct {
		name   string
		in     []Observation
		slot   SlotKey
		want   string // the chosen figure, as brief prints it
		reason string // why the first set-aside figure lost
	}{
		{"manual beats collector beats reference", []Observation{
			ob("retail_sales", BasisYTD, "2025-09", 3, KindReference),
			ob("retail_sales", BasisYTD, "2025-09", 1, KindManual),
			ob("retail_sales", BasisYTD, "2025-09", 2, KindCollector),
		}, SlotKey{"retail_sales", BasisYTD, MustParsePeriod("2025-09")}, "retail_sales ytd 2025-09 1 manual manual\n",
			"source kind collector ranks below manual (manual > collector > reference)"},
		{"a final figure beats an estimate of a higher kind", []Observation{
			est(ob("retail_sales", BasisYear, "2024", 2, KindManual)),
			ob("retail_sales", BasisYear, "2024", 1, KindCollector),
		}, SlotKey{"retail_sales", BasisYear, MustParsePeriod("2024")}, "retail_sales year 2024 1 collector collector\n",
			"an estimate (预计): a final figure wins"},
		{"issue 7 defect 1: a final December ytd beats a reference year estimate", []Observation{
			est(ob("retail_sales", BasisYear, "2024", 1.06e12, KindReference)),
			ob("retail_sales", BasisYTD, "2024-12", 1.1e12, KindManual),
		}, SlotKey{"retail_sales", BasisYear, MustParsePeriod("2024")}, "retail_sales year 2024 1.1e+12 manual derived\n",
			"an estimate (预计): a final figure wins"},
		{"precedence before direct: a manual ytd(12) beats a collected year", []Observation{
			ob("port_container_throughput", BasisYear, "2024", 3.3e7, KindCollector),
			ob("port_container_throughput", BasisYTD, "2024-12", 3.34e7, KindManual),
		}, SlotKey{"port_container_throughput", BasisYear, MustParsePeriod("2024")}, "port_container_throughput year 2024 3.34e+07 manual derived\n",
			"source kind collector ranks below manual (manual > collector > reference)"},
		{"direct beats derived among equals", []Observation{
			ob("port_container_throughput", BasisYear, "2024", 3.3e7, KindCollector),
			ob("port_container_throughput", BasisYTD, "2024-12", 3.34e7, KindCollector),
		}, SlotKey{"port_container_throughput", BasisYear, MustParsePeriod("2024")}, "port_container_throughput year 2024 3.3e+07 collector collector\n",
			"derived: a direct figure wins"},
		{"the later publication wins among equals", []Observation{
			with(ob("port_container_throughput", BasisYear, "2024", 1, KindCollector), at(late)),
			with(ob("port_container_throughput", BasisYear, "2024", 2, KindCollector), at(early)),
		}, SlotKey{"port_container_throughput", BasisYear, MustParsePeriod("2024")}, "port_container_throughput year 2024 1 collector collector\n",
			"published earlier (2025-01-20) than the chosen figure (2025-07-20): the later publication wins"},
		{"an implied figure never overrides a published estimate", []Observation{
			est(ob("retail_sales", BasisYear, "2020", 8e11, KindReference)),
			with(ob("retail_sales", BasisYear, "2021", 9.9e11, KindManual), yoy(0.1)),
		}, SlotKey{"retail_sales", BasisYear, MustParsePeriod("2020")}, "retail_sales year 2020 8e+11 reference reference estimate\n",
			"implied by stated growth: the lowest precedence, never used over a published or derived figure"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, in := range [][]Observation{tc.in, reversed(tc.in)} {
				ix := NewIndex(in, IndexOptions{})
				s := ix.Slot(tc.slot)
				if s == nil || s.Chosen == nil {
					t.Fatalf("no figure chosen for %s", tc.slot)
				}
				if got := brief([]*Figure{s.Chosen}); got != tc.want {
					t.Errorf("chosen %s, want %s", got, tc.want)
				}
				if len(s.SetAside) == 0 || s.SetAside[0].Reason != tc.reason {
					t.Errorf("set aside %+v, want the first with reason %q", s.SetAside, tc.reason)
				}
			}
		})
	}
}

func approx(a, b float64) bool { return math.Abs(a-b) <= 1e-12*math.Abs(b) }

func reversed(in []Observation) []Observation {
	out := make([]Observation, len(in))
	for i, o := range in {
		out[len(in)-1-i] = o
	}
	return out
}

func TestIndexDerive(t *testing.T) {
	tests := []struct {
		name string
		in   []Observation
		want string
	}{
		{"month from consecutive ytd, January from ytd(1)", []Observation{
			ob("goods_trade_cny", BasisYTD, "2025-01", 100, KindCollector),
			ob("goods_trade_cny", BasisYTD, "2025-02", 250, KindCollector),
			ob("goods_trade_cny", BasisYTD, "2025-03", 400, KindCollector),
		}, "goods_trade_cny month 2025-01 100 collector derived\n" +
			"goods_trade_cny month 2025-02 150 collector derived\n" +
			"goods_trade_cny month 2025-03 150 collector derived\n"},
		{"combined January–February release yields neither month, March still derived", []Observation{
			ob("retail_sales", BasisYTD, "2025-02", 1200, KindCollector),
			ob("retail_sales", BasisYTD, "2025-03", 1900, KindCollector),
		}, "retail_sales month 2025-03 700 collector derived\n"},
		{"missing month: no derivation across the gap", []Observation{
			ob("retail_sales", BasisYTD, "2025-05", 500, KindCollector),
			ob("retail_sales", BasisYTD, "2025-07", 700, KindCollector),
		}, ""},
		{"year from ytd(12) plus December month", []Observation{
			ob("port_container_throughput", BasisYTD, "2024-11", 3.0e7, KindCollector),
			ob("port_container_throughput", BasisYTD, "2024-12", 3.3e7, KindCollector),
		}, "port_container_throughput month 2024-12 3e+06 collector derived\n" +
			"port_container_throughput year 2024 3.3e+07 collector derived\n"},
		{"published month and year of the same rank are kept over derived ones", []Observation{
			ob("goods_trade_cny", BasisYTD, "2024-11", 4e12, KindCollector),
			ob("goods_trade_cny", BasisYTD, "2024-12", 4.5e12, KindCollector),
			ob("goods_trade_cny", BasisMonth, "2024-12", 5.1e11, KindCollector),
			ob("goods_trade_cny", BasisYear, "2024", 4.51e12, KindCollector),
		}, ""},
		{"a decreasing ytd (revised vintage) derives nothing", []Observation{
			ob("retail_sales", BasisYTD, "2025-05", 500, KindCollector),
			ob("retail_sales", BasisYTD, "2025-06", 490, KindCollector),
		}, ""},
		{"estimate operand makes an estimate; lower-precedence operand lowers the kind", []Observation{
			est(ob("retail_sales", BasisYTD, "2025-05", 500, KindReference)),
			ob("retail_sales", BasisYTD, "2025-06", 600, KindManual),
		}, "retail_sales month 2025-06 100 reference derived estimate\n"},
		{"stock, ratio and rate indicators are not derived", []Observation{
			ob("digital_economy_share", BasisYTD, "2025-01", 0.3, KindManual),
			ob("digital_economy_share", BasisYTD, "2025-12", 0.31, KindManual),
			ob("international_standards", BasisStock, "2025-12", 1900, KindCollector),
			ob("usd_cny_rate", BasisMonth, "2025-01", 7.1, KindManual),
		}, ""},
		{"series of different indicators do not mix", []Observation{
			ob("goods_exports_cny", BasisYTD, "2025-01", 60, KindCollector),
			ob("goods_imports_cny", BasisYTD, "2025-02", 90, KindCollector),
		}, "goods_exports_cny month 2025-01 60 collector derived\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := derived(NewIndex(tt.in, IndexOptions{}))
			if b := brief(got); b != tt.want {
				t.Errorf("derived:\n%s\nwant:\n%s", b, tt.want)
			}
			for _, d := range got {
				if d.Quote == "" || d.URL == "" || d.Detail == "" || len(d.From) == 0 {
					t.Errorf("derived %s %s lacks provenance: %+v", d.Basis, d.Period, d)
				}
				if err := d.Validate(time.Time{}); err != nil {
					t.Errorf("derived figure invalid: %v", err)
				}
			}
		})
	}
}

func TestIndexDeriveProvenance(t *testing.T) {
	a := ob("goods_trade_cny", BasisYTD, "2025-08", 2.1e12, KindCollector)
	b := ob("goods_trade_cny", BasisYTD, "2025-09", 2.4e12, KindCollector)
	got := derived(NewIndex([]Observation{a, b}, IndexOptions{}))
	if len(got) != 1 {
		t.Fatalf("%d derived figures, want 1", len(got))
	}
	d := got[0]
	if d.Detail != "month 2025-09 = ytd 2025-09 (2.4万亿元) − ytd 2025-08 (2.1万亿元) = 3000亿元" {
		t.Errorf("Detail = %q", d.Detail)
	}
	if d.URL != b.URL || d.Quote != b.Quote {
		t.Errorf("URL, quote = %q, %q; want the later release's %q, %q", d.URL, d.Quote, b.URL, b.Quote)
	}
	if d.Value != 3e11 || d.Derivation != MonthFromYTD || len(d.From) != 2 || d.From[0].Period != b.Period || d.From[1].Period != a.Period {
		t.Errorf("value %g, derivation %s, from %v", d.Value, d.Derivation, d.From)
	}
}

// TestIndexImplied: a figure that states its growth implies the year before,
// v / (1 + g), as an estimate that gives way to any other figure.
func TestIndexImplied(t *testing.T) {
	r2021 := with(ob("retail_sales", BasisYear, "2021", 9498.12e8, KindReference), yoy(0.096))
	r2021.Quote = "2021年,全市社会消费品零售总额9498.12亿元,同比增长9.6%"
	ix := NewIndex([]Observation{r2021}, IndexOptions{})
	f := ix.Figure(SlotKey{"retail_sales", BasisYear, YearPeriod(2020)})
	if f == nil {
		t.Fatal("no implied 2020 figure")
	}
	if want := 9498.12e8 / 1.096; f.Value != want || !f.Estimate || f.Derivation != Implied || f.Source != SourceDerived {
		t.Errorf("implied %g estimate %v %s %s, want %g, an estimate", f.Value, f.Estimate, f.Derivation, f.Source, want)
	}
	if f.Detail != "implied by 2021 and its stated growth: 9498.12亿元 / (1 + 9.6%) = 8666.17亿元" || f.Quote != r2021.Quote || f.URL != r2021.URL {
		t.Errorf("provenance: %q %q %q", f.Detail, f.Quote, f.URL)
	}
	// A published figure for 2020, even a reference estimate, is kept over it.
	ix = NewIndex([]Observation{r2021, est(ob("retail_sales", BasisYear, "2020", 8.6e11, KindReference))}, IndexOptions{})
	if s := ix.Slot(SlotKey{"retail_sales", BasisYear, YearPeriod(2020)}); s.Chosen.Value != 8.6e11 || len(s.SetAside) != 1 || s.SetAside[0].Figure.Derivation != Implied {
		t.Errorf("2020: chosen %g, set aside %+v", s.Chosen.Value, s.SetAside)
	}
	// A year derived from a December ytd implied by growth is implied too.
	dec := with(ob("port_container_throughput", BasisYTD, "2022-12", 3.3e7, KindCollector), yoy(0.1))
	ix = NewIndex([]Observation{dec}, IndexOptions{})
	if f := ix.Figure(SlotKey{"port_container_throughput", BasisYear, YearPeriod(2021)}); f == nil || !approx(f.Value, 3e7) || !f.implied || !f.Estimate {
		t.Errorf("2021 from the implied 2021-12 ytd: %+v", f)
	}
}

func TestIndexConvert(t *testing.T) {
	rate := func(p string, v float64) Observation { return ob("usd_cny_rate", BasisYear, p, v, KindManual) }
	in := []Observation{
		ob("goods_trade_cny", BasisYear, "2020", 3.05e12, KindReference), rate("2020", 6.9),
		ob("goods_trade_cny", BasisYear, "2023", 3.87e12, KindCollector), rate("2022", 6.7),
		ob("goods_trade_cny", BasisYTD, "2023-09", 2.8e12, KindCollector),
		ob("usd_cny_rate", BasisMonth, "2023-08", 7.2, KindManual), // monthly averages are not used
		ob("goods_trade_cny", BasisYear, "2019", 2.98e12, KindReference),
	}
	ix := NewIndex(in, IndexOptions{})
	for _, c := range []struct {
		slot     SlotKey
		value    float64
		estimate bool
		kind     SourceKind
		detail   string
	}{
		{SlotKey{"goods_trade", BasisYear, YearPeriod(2020)}, 3.05e12 / 6.9, false, KindReference, "converted from 3.05万亿元 at 6.9 元/美元 (2020 annual average)"},
		{SlotKey{"goods_trade", BasisYear, YearPeriod(2023)}, 3.87e12 / 6.7, true, KindCollector, "converted from 3.87万亿元 at 6.7 元/美元 (2022 annual average; the 2023 annual average is not in yet)"},
		{SlotKey{"goods_trade", BasisYTD, MonthPeriod(2023, 9)}, 2.8e12 / 6.7, true, KindCollector, "converted from 2.8万亿元 at 6.7 元/美元 (2022 annual average; the 2023 annual average is not in yet)"},
	} {
		f := ix.Figure(c.slot)
		if f == nil {
			t.Errorf("%s: not converted", c.slot)
			continue
		}
		if !approx(f.Value, c.value) || f.Estimate != c.estimate || f.SourceKind != c.kind || f.Detail != c.detail || f.Unit != USD || len(f.From) != 2 {
			t.Errorf("%s = %g estimate %v %s %q; want %g %v %s %q", c.slot, f.Value, f.Estimate, f.SourceKind, f.Detail, c.value, c.estimate, c.kind, c.detail)
		}
	}
	if got := brief(ix.Unconverted("goods_trade")); got != "goods_trade_cny year 2019 2.98e+12 reference reference\n" {
		t.Errorf("unconverted: %s", got)
	}
	// A published USD figure wins over a conversion of the same rank.
	ix = NewIndex(append(in, ob("goods_trade", BasisYear, "2020", 4.5e11, KindReference)), IndexOptions{})
	if s := ix.Slot(SlotKey{"goods_trade", BasisYear, YearPeriod(2020)}); s.Chosen.Value != 4.5e11 || s.SetAside[0].Reason != "derived: a direct figure wins" {
		t.Errorf("published USD: chosen %g, set aside %+v", s.Chosen.Value, s.SetAside)
	}
}

func TestIndexAsOfAndRegion(t *testing.T) {
	in := []Observation{
		ob("retail_sales", BasisYTD, "2025-09", 9e11, KindCollector),
		ob("retail_sales", BasisYTD, "2025-10", 1e12, KindCollector),
		with(ob("retail_sales", BasisYTD, "2025-08", 8e11, KindCollector), func(o *Observation) { o.Region = "guangzhou" }),
	}
	ix := NewIndex(in, IndexOptions{AsOf: MonthPeriod(2025, 10).End().Add(-time.Second)})
	if got := brief(ix.Chosen("retail_sales", BasisYTD)); got != "retail_sales ytd 2025-09 9e+11 collector collector\n" {
		t.Errorf("as of the last second of October: %s", got)
	}
	latest := NewIndex(in, IndexOptions{}).Latest()
	if len(latest) != 2 || latest[0].Basis != BasisMonth || latest[1].Basis != BasisYTD || latest[1].Value != 1e12 {
		t.Errorf("latest: %+v", latest)
	}
}

// TestIndexKnown: with a known date, each stored figure counts in the version in force
// then, reconstructed from its revisions; figures published later are set aside.
func TestIndexKnown(t *testing.T) {
	day := func(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 0, 0, 0, 0, Shanghai) }
	cur := ob("retail_sales", BasisYear, "2023", 1.06e12, KindCollector)
	cur.PublishedAt = day(2024, 9, 1)
	rev := Revision{Observation: cur, PreviousValue: 1.02e12, PreviousSource: "collector", At: day(2024, 9, 2)}
	other := ob("retail_sales", BasisYTD, "2024-06", 5e11, KindCollector) // no publication date: due 35 days after June
	slot := SlotKey{"retail_sales", BasisYear, YearPeriod(2023)}
	for _, c := range []struct {
		known    time.Time
		want     float64 // 0: no figure
		setAside string
		ytd      bool
	}{
		{day(2024, 1, 31), 0, "published 2024-02-05, after the known date 2024-01-30; revised to this value 2024-09-01, after the known date 2024-01-30", false},
		{day(2024, 7, 1), 1.02e12, "revised to this value 2024-09-01, after the known date 2024-06-30", false},
		{day(2024, 8, 5), 1.02e12, "revised to this value 2024-09-01, after the known date 2024-08-04", true},
		{day(2024, 9, 1), 1.06e12, "", true},
	} {
		ix := NewIndex([]Observation{cur, other}, IndexOptions{Known: c.known, Revisions: []Revision{rev}})
		s := ix.Slot(slot)
		switch {
		case c.want == 0 && s.Chosen != nil:
			t.Errorf("known %s: chose %g, want nothing", c.known, s.Chosen.Value)
		case c.want != 0 && (s.Chosen == nil || s.Chosen.Value != c.want):
			t.Errorf("known %s: chose %+v, want %g", c.known, s.Chosen, c.want)
		}
		var reasons []string
		for _, a := range s.SetAside {
			reasons = append(reasons, a.Reason)
		}
		if got := strings.Join(reasons, "; "); got != c.setAside {
			t.Errorf("known %s: set aside %q, want %q", c.known, got, c.setAside)
		}
		if got := len(ix.Chosen("retail_sales", BasisYTD)) == 1; got != c.ytd {
			t.Errorf("known %s: June ytd present %v, want %v", c.known, got, c.ytd)
		}
	}
	// A manual figure is known from its entry time.
	m := ob("services_trade", BasisYear, "2023", 1.3e11, KindManual)
	m.RetrievedAt = day(2024, 3, 15)
	if got := m.KnownAt(); !got.Equal(m.RetrievedAt) {
		t.Errorf("manual KnownAt %s, want the entry time", got)
	}
}

func TestParseDate(t *testing.T) {
	for in, want := range map[string]time.Time{
		"2024-07":    time.Date(2024, 8, 1, 0, 0, 0, 0, Shanghai),
		"2024-12":    time.Date(2025, 1, 1, 0, 0, 0, 0, Shanghai),
		"2024-07-15": time.Date(2024, 7, 16, 0, 0, 0, 0, Shanghai),
		"2024-02-29": time.Date(2024, 3, 1, 0, 0, 0, 0, Shanghai),
	} {
		if got, err := ParseDate(in); err != nil || !got.Equal(want) {
			t.Errorf("ParseDate(%q) = %s, %v; want %s", in, got, err, want)
		}
	}
	for _, in := range []string{"2024", "2024-13", "2023-02-29", "July", ""} {
		if _, err := ParseDate(in); err == nil || !strings.Contains(err.Error(), "want YYYY-MM (the end of that month) or YYYY-MM-DD") {
			t.Errorf("ParseDate(%q) error %v", in, err)
		}
	}
}
