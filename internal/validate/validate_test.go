package validate

import (
	"strings"
	"testing"
	"time"

	"github.com/trademon/trademon/internal/obs"
)

var now = time.Date(2025, 12, 1, 10, 0, 0, 0, obs.Shanghai)

const src = "https://swj.sz.gov.cn/2024.html"

func TestFigureAccepts(t *testing.T) {
	tests := []struct {
		name   string
		in     Input
		period string
		basis  obs.Basis
		value  float64
		res    float64
	}{
		{"display unit with separators", Input{Indicator: "services_trade", Period: "2024", Value: "1,300.7", SourceURL: src}, "2024", obs.BasisYear, 1.3007e11, 1e7},
		{"full-width digits", Input{Indicator: "services_trade", Period: "2024", Basis: "year", Value: "１３００.７", SourceURL: src}, "2024", obs.BasisYear, 1.3007e11, 1e7},
		{"own magnitude replaces the unit's", Input{Indicator: "goods_trade_cny", Period: "2024", Value: "4.5万亿", SourceURL: src}, "2024", obs.BasisYear, 4.5e12, 1e11},
		{"unit typed after the number", Input{Indicator: "goods_trade_cny", Period: "2025-10", Basis: "ytd", Value: "38,000.5亿元", SourceURL: src}, "2025-10", obs.BasisYTD, 3.80005e12, 1e7},
		{"base unit", Input{Indicator: "services_trade", Period: "2024", Value: "130070000000", Unit: "USD", SourceURL: src}, "2024", obs.BasisYear, 1.3007e11, 1},
		{"percent", Input{Indicator: "digital_economy_share", Period: "2024", Value: "31.5", Quote: "深圳统计年鉴2025 表3-2"}, "2024", obs.BasisYear, 0.315, 0.001},
		{"percent sign typed", Input{Indicator: "digital_economy_share", Period: "2024年", Value: "31.5％", Quote: "年鉴"}, "2024", obs.BasisYear, 0.315, 0.001},
		{"stock defaults its basis, year is its December", Input{Indicator: "trade_hq_enterprises", Period: "2024", Value: "196", SourceURL: src}, "2024-12", obs.BasisStock, 196, 1},
		{"stock mid-year", Input{Indicator: "airport_international_routes", Period: "2025年6月", Value: "60", SourceURL: src}, "2025-06", obs.BasisStock, 60, 1},
		{"count with magnitude", Input{Indicator: "international_standards", Period: "2024", Value: "0.3万", SourceURL: src}, "2024-12", obs.BasisStock, 3000, 1000},
		{"quarter ytd is its last month", Input{Indicator: "retail_sales", Period: "2025年第三季度", Basis: "ytd", Value: "7,000", SourceURL: src}, "2025-09", obs.BasisYTD, 7e11, 1e8},
		{"rate monthly average", Input{Indicator: "usd_cny_rate", Period: "2025/10", Basis: "month", Value: "7.12", SourceURL: src}, "2025-10", obs.BasisMonth, 7.12, 0.01},
		{"scientific notation, as Excel shows large numbers", Input{Indicator: "goods_trade", Period: "2024", Value: "4.5E+11", Unit: "USD", SourceURL: src}, "2024", obs.BasisYear, 4.5e11, 1e10},
		{"scientific notation in the display unit", Input{Indicator: "goods_trade_cny", Period: "2024", Value: "4.5e4", SourceURL: src}, "2024", obs.BasisYear, 4.5e12, 1e11},
		{"the last complete month", Input{Indicator: "port_container_throughput", Period: "2025-11", Basis: "month", Value: "300", SourceURL: src}, "2025-11", obs.BasisMonth, 3e6, 1e4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, err := Figure(tc.in, now)
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			if o.Period.String() != tc.period || o.Basis != tc.basis || o.Value != tc.value || o.Resolution != tc.res {
				t.Errorf("got %s %s %v (resolution %v), want %s %s %v (%v)", o.Period, o.Basis, o.Value, o.Resolution, tc.period, tc.basis, tc.value, tc.res)
			}
			if o.Unit != obs.MustLookup(tc.in.Indicator).BaseUnit || o.Region != obs.RegionSZ {
				t.Errorf("unit %q region %q", o.Unit, o.Region)
			}
		})
	}
}

func TestFigureRefuses(t *testing.T) {
	ok := Input{Indicator: "services_trade", Period: "2024", Value: "1300.7", SourceURL: src}
	with := func(f func(*Input)) Input { in := ok; f(&in); return in }
	tests := []struct {
		name  string
		in    Input
		field string
		msg   string // the whole message, or its start when it ends with "…"
	}{
		{"no indicator", with(func(i *Input) { i.Indicator = "" }), "indicator", "missing: choose one of airport_international_routes, …"},
		{"unknown indicator", with(func(i *Input) { i.Indicator = "service_trade" }), "indicator", `unknown indicator "service_trade": use one of airport_international_routes, …`},
		{"no period", with(func(i *Input) { i.Period = "" }), "period", "missing: give a year (2024), a quarter (2024-Q3) or a month (2024-09)"},
		{"not a period", with(func(i *Input) { i.Period = "2024-13" }), "period", `"2024-13" is not a period (month must be 01 to 12): write a year (2024), a quarter (2024-Q3) or a month (2024-09), or 2024年9月`},
		{"period type the indicator lacks", with(func(i *Input) { i.Period = "2024-06"; i.Basis = "ytd" }), "period",
			"services_trade is published for whole years only, so a ytd figure for 2024-06 does not exist: enter the year (basis year, a period like 2024)"},
		{"basis the kind lacks", with(func(i *Input) { i.Basis = "stock" }), "basis", `"stock" is not a basis of services_trade (a flow indicator): use month, ytd, year`},
		{"month basis needs a month", Input{Indicator: "retail_sales", Period: "2024-Q2", Basis: "month", Value: "1", SourceURL: src}, "period", "basis month needs a month period like 2024-06, not 2024-Q2"},
		{"missing basis for a month", Input{Indicator: "retail_sales", Period: "2024-06", Value: "1000", SourceURL: src}, "basis", "missing: for a month period of retail_sales give one of month, ytd, year (month: that month alone; ytd: January through it)"},
		{"future period", with(func(i *Input) { i.Period = "2026" }), "period", "2026 is in the future: figures exist only for periods that have ended (the latest complete month is 2025-11)"},
		{"period not over", with(func(i *Input) { i.Period = "2025" }), "period", "2025 has not ended yet, so a year figure for it cannot exist: enter a period that has ended (the latest complete month is 2025-11)"},
		{"month not over", Input{Indicator: "retail_sales", Period: "2025-12", Basis: "month", Value: "1000", SourceURL: src}, "period", "2025-12 has not ended yet, so a month figure for it cannot exist: enter a period that has ended (the latest complete month is 2025-11)"},
		{"no value", with(func(i *Input) { i.Value = " " }), "value", "missing: type the figure, e.g. 1,300.7 (in 亿美元)"},
		{"not a number", with(func(i *Input) { i.Value = "about 1300" }), "value", `"about 1300" is not a number: type digits such as 1,300.7 or １３００.７, or with a magnitude such as 1.25万亿 (…`},
		{"misplaced separator", with(func(i *Input) { i.Value = "1,30.7" }), "value", `"1,30.7" is not a number: …`},
		{"negative", with(func(i *Input) { i.Value = "-5" }), "value", "-5亿美元 is negative; services_trade cannot be: check the sign"},
		{"unit of another dimension", with(func(i *Input) { i.Unit = "万标箱" }), "unit", "万标箱 measures TEU, but services_trade is measured in USD: use 亿美元"},
		{"unit of another currency", with(func(i *Input) { i.Unit = "亿元" }), "unit", "亿元 measures CNY, but services_trade is measured in USD: use 亿美元"},
		{"unknown unit", with(func(i *Input) { i.Unit = "bananas" }), "unit", `unknown unit "bananas": use 亿美元, the display unit of services_trade (or its base unit USD)`},
		{"value typed in another unit", with(func(i *Input) { i.Value = "1300.7亿元" }), "value", `"1300.7亿元" is in CNY, but services_trade is measured in USD: type it in 亿美元`},
		{"outside the plausible range", with(func(i *Input) { i.Value = "3万亿" }), "value",
			"30000亿美元 is outside the plausible range of services_trade (1亿美元 to 20000亿美元): check the unit and the magnitude (the value is read in 亿美元)"},
		{"slip of magnitude", with(func(i *Input) { i.Value = "0.5" }), "value", "0.5亿美元 is outside the plausible range of services_trade (1亿美元 to 20000亿美元): check the unit and the magnitude (the value is read in 亿美元)"},
		{"share above 100%", Input{Indicator: "digital_economy_share", Period: "2024", Value: "131", SourceURL: src}, "value", "131% is above 100%: type a share in % (31.5 for 31.5%)"},
		{"share with a magnitude", Input{Indicator: "digital_economy_share", Period: "2024", Value: "3万", SourceURL: src}, "value", `"3万" has a magnitude (万, 亿 …), which a share cannot have: type it in %, e.g. 31.5`},
		{"no provenance", with(func(i *Input) { i.SourceURL = "" }), "source_url", "missing: give the URL of the release, or name the document and table the figure comes from (quote)"},
		{"not a URL", with(func(i *Input) { i.SourceURL = "javascript:alert(1)" }), "source_url", `"javascript:alert(1)" is not an absolute http(s) URL: …`},
		{"note too long", with(func(i *Input) { i.Note = strings.Repeat("注", 700) }), "note", "2100 bytes long; at most 2000 are kept: shorten it (quote the sentence the figure is in, not the page)"},
		{"value too long", with(func(i *Input) { i.Value = strings.Repeat("9", 101) }), "value", "101 bytes long; a number has at most 100"},
		{"indicator too long, not echoed", with(func(i *Input) { i.Indicator = strings.Repeat("x", 1<<20) }), "indicator", "1048576 bytes long; at most 100 are kept: shorten it"},
		{"broken UTF-8", with(func(i *Input) { i.Quote = "\xff\xfe" }), "quote", "not valid UTF-8: save the text as UTF-8"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Figure(tc.in, now)
			if err == nil {
				t.Fatal("accepted")
			}
			if err.Field != tc.field {
				t.Errorf("field %q, want %q (%s)", err.Field, tc.field, err.Msg)
			}
			if prefix, ok := strings.CutSuffix(tc.msg, "…"); ok {
				if !strings.HasPrefix(err.Msg, prefix) {
					t.Errorf("message\n got  %s\n want %s", err.Msg, tc.msg)
				}
			} else if err.Msg != tc.msg {
				t.Errorf("message\n got  %s\n want %s", err.Msg, tc.msg)
			}
		})
	}
}

func hist(ind, period string, basis obs.Basis, v float64, kind obs.SourceKind) obs.Observation {
	o := obs.Observation{Indicator: ind, Period: obs.MustParsePeriod(period), Basis: basis, Value: v, SourceKind: kind, Source: string(kind)}
	o.Normalize()
	return o
}

func TestCheckOutlier(t *testing.T) {
	history := []obs.Observation{
		hist("services_trade", "2023", obs.BasisYear, 1.2e11, obs.KindReference),
		hist("services_trade", "2022", obs.BasisYear, 1.1e11, obs.KindReference),
		hist("retail_sales", "2024-02", obs.BasisMonth, 6e10, obs.KindCollector),
		hist("retail_sales", "2025-03", obs.BasisMonth, 9e10, obs.KindCollector),
		hist("retail_sales", "2024-10", obs.BasisYTD, 8e11, obs.KindCollector),
		hist("trade_hq_enterprises", "2022", obs.BasisStock, 150, obs.KindReference),
		hist("trade_hq_enterprises", "2023", obs.BasisStock, 180, obs.KindReference),
		// A manual figure beats the reference one of the same slot.
		hist("new_trade_formats_share", "2023", obs.BasisYear, 0.10, obs.KindReference),
		hist("new_trade_formats_share", "2023", obs.BasisYear, 0.20, obs.KindManual),
	}
	tests := []struct {
		name     string
		o        obs.Observation
		flagged  bool
		compared string
	}{
		{"small change", hist("services_trade", "2024", obs.BasisYear, 1.3e11, obs.KindManual), false, "2023"},
		{"ten times: a typo of magnitude", hist("services_trade", "2024", obs.BasisYear, 1.2e12, obs.KindManual), true, "2023"},
		{"a third: a drop", hist("services_trade", "2024", obs.BasisYear, 0.4e11, obs.KindManual), true, "2023"},
		{"nothing to compare with", hist("services_trade", "2030", obs.BasisYear, 9e11, obs.KindManual), false, ""},
		{"month against the same month a year earlier, not January", hist("retail_sales", "2025-02", obs.BasisMonth, 6.5e10, obs.KindManual), false, "2024-02"},
		{"month far from its season", hist("retail_sales", "2025-02", obs.BasisMonth, 1.5e11, obs.KindManual), true, "2024-02"},
		{"month without last year's: the month before", hist("retail_sales", "2025-04", obs.BasisMonth, 2e11, obs.KindManual), true, "2025-03"},
		{"ytd against the same month a year earlier", hist("retail_sales", "2025-10", obs.BasisYTD, 8.6e11, obs.KindManual), false, "2024-10"},
		{"stock against the latest earlier level", hist("trade_hq_enterprises", "2024", obs.BasisStock, 400, obs.KindManual), true, "2023-12"},
		{"share against the figure that counts", hist("new_trade_formats_share", "2024", obs.BasisYear, 0.22, obs.KindManual), false, "2023"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := CheckOutlier(tc.o, history, 0)
			if (out != nil) != tc.flagged {
				t.Fatalf("flagged = %v (%+v), want %v", out != nil, out, tc.flagged)
			}
			c, ok := Comparable(tc.o, history)
			if got := ""; ok {
				got = c.Period.String()
				if got != tc.compared {
					t.Errorf("compared with %s, want %s", got, tc.compared)
				}
			} else if tc.compared != "" {
				t.Errorf("nothing compared, want %s", tc.compared)
			}
		})
	}
	out := CheckOutlier(hist("services_trade", "2024", obs.BasisYear, 1.2e12, obs.KindManual), history, 0)
	want := "12000亿美元 is 10 times the 2023 year figure (1200亿美元, reference): a change of more than 50% from the comparable period is unusual. " +
		"If the figure is right, confirm it with a comment saying why; otherwise check the magnitude and the unit."
	if out.Msg != want {
		t.Errorf("message\n got  %s\n want %s", out.Msg, want)
	}
}

func TestCheckRevision(t *testing.T) {
	prev := hist("services_trade", "2024", obs.BasisYear, 1.3007e11, obs.KindManual)
	prev.EnteredBy = "zhang.wei"
	prev.RetrievedAt = time.Date(2025, 3, 1, 9, 0, 0, 0, obs.Shanghai)
	same := prev
	same.Note = "a corrected note"
	changed := prev
	changed.Value = 1.31e11
	if err := CheckRevision(same, &prev, ""); err != nil {
		t.Errorf("a provenance change needs no reason: %v", err)
	}
	if err := CheckRevision(changed, nil, ""); err != nil {
		t.Errorf("a new figure needs no reason: %v", err)
	}
	if err := CheckRevision(changed, &prev, "yearbook"); err != nil {
		t.Errorf("with a reason: %v", err)
	}
	err := CheckRevision(changed, &prev, "")
	want := `this changes the stored services_trade 2024 year figure 1300.7亿美元 (entered by zhang.wei on 2025-03-01) to 1310亿美元: a revision needs a reason; give one, e.g. "revised in the 2025 statistical yearbook"`
	if err == nil || err.Field != "reason" || err.Msg != want {
		t.Errorf("CheckRevision = %v\nwant reason: %s", err, want)
	}
}

func TestParsePeriod(t *testing.T) {
	for in, want := range map[string]string{
		"2025": "2025", "2025-Q3": "2025-Q3", "2025-09": "2025-09", "2025/9": "2025-09", "2025.09": "2025-09",
		"2025年9月": "2025-09", "2025年9月份": "2025-09", "2025年": "2025", "2025年度": "2025", "2025年第三季度": "2025-Q3", "2025年3季度": "2025-Q3",
	} {
		p, err := ParsePeriod(in)
		if err != nil || p.String() != want {
			t.Errorf("ParsePeriod(%q) = %v, %v; want %s", in, p, err, want)
		}
	}
	for _, bad := range []string{"", "2025-13", "25年", "2025年13月", "Q3 2025"} {
		if _, err := ParsePeriod(bad); err == nil {
			t.Errorf("ParsePeriod(%q) accepted", bad)
		}
	}
}

// TestProblems: an import lists every problem of a row; a check that needs a refused
// field is skipped, and a field too long stops the rest.
func TestProblems(t *testing.T) {
	tests := []struct {
		name string
		in   Input
		want []string
	}{
		{"independent fields", Input{Indicator: "retail_sales", Period: "2024-13", Basis: "ytd", Value: "abc", SourceURL: "ftp://x"},
			[]string{"period", "value", "source_url"}},
		{"no indicator: no basis or value checks", Input{Period: "2024", Basis: "nonsense", Value: "abc", Quote: "q"},
			[]string{"indicator"}},
		{"a bad basis skips the period type", Input{Indicator: "retail_sales", Period: "2024-06", Basis: "weekly", Value: "7200", Quote: "q"},
			[]string{"basis"}},
		{"too long stops the rest", Input{Indicator: "gdp", Period: "x", Value: "abc", Note: strings.Repeat("n", MaxNoteBytes+1)},
			[]string{"note"}},
		{"all good", Input{Indicator: "retail_sales", Period: "2024", Value: "10500", Quote: "q"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, errs := Problems(tc.in, now)
			var got []string
			for _, e := range errs {
				got = append(got, e.Field)
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("fields %v, want %v (%v)", got, tc.want, errs)
			}
			_, first := Figure(tc.in, now)
			if (first == nil) != (len(errs) == 0) || first != nil && *first != *errs[0] {
				t.Errorf("Figure = %v, want the first of Problems %v", first, errs)
			}
		})
	}
}
