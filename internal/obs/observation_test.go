package obs

import (
	"math"
	"strings"
	"testing"
	"time"
)

// now is the entry time of the validation tests: 15 November 2025 in Shanghai.
var now = time.Date(2025, 11, 15, 10, 0, 0, 0, Shanghai)

// valid returns a valid manual retail_sales ytd observation to mutate in tables.
func valid() Observation {
	return Observation{
		Indicator:  "retail_sales",
		Period:     MustParsePeriod("2025-09"),
		Basis:      BasisYTD,
		Value:      7.2e11,
		SourceKind: KindManual,
		Source:     SourceManual,
		URL:        "https://tjj.sz.gov.cn/x.html",
		Quote:      "1—9月,全市社会消费品零售总额7200亿元",
		EnteredBy:  "cli:alice",
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct {
		name   string
		in     Observation
		period string
		region string
		unit   string
	}{
		{"defaults region and unit", Observation{Indicator: " retail_sales ", Period: MustParsePeriod("2025-09"), Basis: BasisYTD}, "2025-09", "shenzhen", "CNY"},
		{"ytd quarter becomes its last month", Observation{Indicator: "retail_sales", Period: MustParsePeriod("2025-Q3"), Basis: BasisYTD}, "2025-09", "shenzhen", "CNY"},
		{"ytd year becomes December", Observation{Indicator: "goods_trade_cny", Period: MustParsePeriod("2024"), Basis: BasisYTD}, "2024-12", "shenzhen", "CNY"},
		{"stock year becomes December", Observation{Indicator: "international_standards", Period: MustParsePeriod("2024"), Basis: BasisStock}, "2024-12", "shenzhen", "count"},
		{"stock quarter becomes its last month", Observation{Indicator: "trade_hq_enterprises", Period: MustParsePeriod("2025-Q2"), Basis: BasisStock}, "2025-06", "shenzhen", "count"},
		{"year basis keeps year period", Observation{Indicator: "services_trade", Period: MustParsePeriod("2024"), Basis: BasisYear}, "2024", "shenzhen", "USD"},
		{"month basis keeps a quarter (Validate rejects it)", Observation{Indicator: "retail_sales", Period: MustParsePeriod("2025-Q3"), Basis: BasisMonth}, "2025-Q3", "shenzhen", "CNY"},
		{"explicit region and unit are kept", Observation{Indicator: "retail_sales", Region: "guangdong", Unit: "亿元", Period: MustParsePeriod("2025-09"), Basis: BasisYTD}, "2025-09", "guangdong", "亿元"},
		{"unknown indicator keeps an empty unit", Observation{Indicator: "gdp", Period: MustParsePeriod("2025-09"), Basis: BasisYTD}, "2025-09", "shenzhen", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := tt.in
			o.Normalize()
			if o.Period.String() != tt.period || o.Region != tt.region || o.Unit != tt.unit {
				t.Errorf("got period %s region %q unit %q, want %s %q %q", o.Period, o.Region, o.Unit, tt.period, tt.region, tt.unit)
			}
			if strings.TrimSpace(o.Indicator) != o.Indicator {
				t.Errorf("indicator not trimmed: %q", o.Indicator)
			}
		})
	}
	o := valid()
	o.Source, o.URL, o.Quote, o.Note = " manual ", " https://x/ ", " q ", " n "
	o.Normalize()
	if o.Source != "manual" || o.URL != "https://x/" || o.Quote != "q" || o.Note != "n" {
		t.Errorf("text not trimmed: %+v", o)
	}
}

func TestValidate(t *testing.T) {
	known := strings.Join(IndicatorIDs(), ", ")
	tests := []struct {
		name   string
		mutate func(*Observation)
		msg    string // "" means valid
	}{
		{"valid", func(*Observation) {}, ""},
		{"unknown indicator", func(o *Observation) { o.Indicator = "gdp" }, `indicator: unknown indicator "gdp" (known: ` + known + `)`},
		{"empty region", func(o *Observation) { o.Region = "" }, "region: empty"},
		{"empty period", func(o *Observation) { o.Period = Period{} }, "period: empty"},
		{"stock basis for a flow", func(o *Observation) { o.Basis = BasisStock }, `basis: "stock" is not valid for flow indicator retail_sales (want month, ytd, year)`},
		{"empty basis", func(o *Observation) { o.Basis = "" }, `basis: "" is not valid for flow indicator retail_sales (want month, ytd, year)`},
		{"ytd for a stock", func(o *Observation) {
			o.Indicator, o.Unit, o.Value = "international_standards", Count, 1800
		}, `basis: "ytd" is not valid for stock indicator international_standards (want stock)`},
		{"month for a ratio", func(o *Observation) {
			o.Indicator, o.Unit, o.Value, o.Basis = "digital_economy_share", RatioUnit, 0.31, BasisMonth
		}, `basis: "month" is not valid for ratio indicator digital_economy_share (want year, ytd)`},
		{"ytd for a rate", func(o *Observation) {
			o.Indicator, o.Unit, o.Value = "usd_cny_rate", CNYPerUSD, 7.1
		}, `basis: "ytd" is not valid for rate indicator usd_cny_rate (want year, month)`},
		{"year basis with a month", func(o *Observation) { o.Basis = BasisYear }, "period: basis year needs a year period like 2025, got 2025-09"},
		{"month basis with a quarter", func(o *Observation) { o.Basis, o.Period = BasisMonth, MustParsePeriod("2025-Q3") }, "period: basis month needs a month period like 2025-10, got 2025-Q3"},
		{"ytd basis with a year (not normalized)", func(o *Observation) { o.Period = MustParsePeriod("2024") }, "period: basis ytd needs a month period like 2025-10, got 2024"},
		{"future month", func(o *Observation) { o.Period = MustParsePeriod("2025-12") }, "period: 2025-12 is in the future"},
		{"future year", func(o *Observation) { o.Basis, o.Period = BasisYear, MustParsePeriod("2026") }, "period: 2026 is in the future"},
		{"flow for the current month", func(o *Observation) { o.Period = MustParsePeriod("2025-11") }, "period: 2025-11 has not ended yet, so a ytd figure for it cannot exist"},
		{"flow for the current year", func(o *Observation) { o.Basis, o.Period = BasisYear, MustParsePeriod("2025") }, "period: 2025 has not ended yet, so a year figure for it cannot exist"},
		{"stock for the current month is fine", func(o *Observation) {
			o.Indicator, o.Unit, o.Value, o.Basis, o.Period = "international_standards", Count, 1800, BasisStock, MustParsePeriod("2025-11")
		}, ""},
		{"NaN", func(o *Observation) { o.Value = math.NaN() }, "value: NaN is not a finite number"},
		{"Inf", func(o *Observation) { o.Value = math.Inf(1) }, "value: +Inf is not a finite number"},
		{"negative", func(o *Observation) { o.Value = -1 }, "value: -1 is negative"},
		{"ratio above 1", func(o *Observation) {
			o.Indicator, o.Unit, o.Value, o.Basis, o.Period = "digital_economy_share", RatioUnit, 31, BasisYear, MustParsePeriod("2024")
		}, "value: 31 is a ratio above 1 (enter % values with unit %, e.g. 31 %)"},
		{"ratio of exactly 1", func(o *Observation) {
			o.Indicator, o.Unit, o.Value, o.Basis, o.Period = "digital_economy_share", RatioUnit, 1, BasisYear, MustParsePeriod("2024")
		}, ""},
		{"display unit", func(o *Observation) { o.Unit = "亿元" }, `unit: "亿元" is not the base unit of retail_sales (CNY)`},
		{"wrong currency", func(o *Observation) { o.Unit = USD }, `unit: "USD" is not the base unit of retail_sales (CNY)`},
		{"bad source kind", func(o *Observation) { o.SourceKind = "derived" }, `source_kind: invalid source kind "derived" (want manual, collector or reference)`},
		{"empty source", func(o *Observation) { o.Source = "" }, "source: empty"},
		{"manual without entered_by", func(o *Observation) { o.EnteredBy = "" }, "entered_by: a manual figure must name who entered it"},
		{"collector without entered_by", func(o *Observation) { o.EnteredBy, o.SourceKind, o.Source = "", KindCollector, "retail/tjj-monthly" }, ""},
		{"reference without entered_by", func(o *Observation) { o.EnteredBy, o.SourceKind, o.Source = "", KindReference, "reference" }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := valid()
			o.Normalize()
			tt.mutate(&o)
			err := o.Validate(now)
			switch {
			case tt.msg == "" && err != nil:
				t.Fatalf("Validate: %v", err)
			case tt.msg != "" && err == nil:
				t.Fatalf("Validate accepted %+v, want %q", o, tt.msg)
			case tt.msg != "" && err.Error() != tt.msg:
				t.Errorf("error = %q\n  want %q", err, tt.msg)
			}
		})
	}
}

func TestValidateZeroNowSkipsClock(t *testing.T) {
	o := valid()
	o.Normalize()
	o.Period = MustParsePeriod("2099-01")
	if err := o.Validate(time.Time{}); err != nil {
		t.Errorf("Validate with zero now: %v", err)
	}
	// The boundary: a month figure is valid from the first instant after the month.
	o.Period = MustParsePeriod("2025-10")
	if err := o.Validate(o.Period.End()); err != nil {
		t.Errorf("Validate at the period end: %v", err)
	}
	if err := o.Validate(o.Period.End().Add(-time.Nanosecond)); err == nil {
		t.Error("Validate just before the period end accepted a flow figure")
	}
}

func TestKey(t *testing.T) {
	o := valid()
	o.Normalize()
	if got := o.Key().String(); got != "retail_sales/shenzhen/ytd/2025-09/manual" {
		t.Errorf("Key().String() = %q", got)
	}
	p := o
	p.Value, p.URL, p.Quote = 1, "other", "other"
	if o.Key() != p.Key() {
		t.Error("value and provenance changed the key")
	}
	p.SourceKind = KindCollector
	if o.Key() == p.Key() {
		t.Error("source kind did not change the key")
	}
}

func TestSupersedes(t *testing.T) {
	pub := time.Date(2025, 10, 20, 0, 0, 0, 0, Shanghai)
	base := func(kind SourceKind) Observation {
		o := valid()
		o.SourceKind = kind
		o.PublishedAt = pub
		return o
	}
	tests := []struct {
		name   string
		kind   SourceKind
		mutate func(*Observation)
		want   bool
	}{
		{"identical manual", KindManual, func(*Observation) {}, false},
		{"identical collector", KindCollector, func(*Observation) {}, false},
		{"changed value manual", KindManual, func(o *Observation) { o.Value++ }, true},
		{"changed value collector", KindCollector, func(o *Observation) { o.Value++ }, true},
		{"changed value reference", KindReference, func(o *Observation) { o.Value++ }, true},
		{"estimate becomes final", KindCollector, func(o *Observation) { o.Estimate = true }, true},
		{"corrected URL manual", KindManual, func(o *Observation) { o.URL = "https://other/" }, true},
		{"corrected note manual", KindManual, func(o *Observation) { o.Note = "per 统计公报" }, true},
		{"other editor manual", KindManual, func(o *Observation) { o.EnteredBy = "web:bob" }, true},
		{"republished elsewhere collector", KindCollector, func(o *Observation) { o.URL, o.Quote = "https://mirror/", "other words" }, false},
		{"stated growth found for a collected figure", KindCollector, func(o *Observation) { g := 0.096; o.YoY = &g; o.URL = "https://mirror/" }, true},
		{"growth not restated by a second outlet", KindCollector, func(o *Observation) { o.URL = "https://mirror/" }, false},
		{"a better page for a reference figure", KindReference, func(o *Observation) { o.URL = "https://mirror/" }, true},
		{"stated growth added to a reference figure", KindReference, func(o *Observation) { g := 0.096; o.YoY = &g }, true},
		{"new retrieval time only reference", KindReference, func(o *Observation) { o.RetrievedAt = pub.Add(time.Hour) }, false},
		{"new retrieval time only manual", KindManual, func(o *Observation) { o.RetrievedAt = pub.Add(time.Hour) }, false},
		{"new publication date manual", KindManual, func(o *Observation) { o.PublishedAt = pub.Add(time.Hour) }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prev := base(tt.kind)
			o := base(tt.kind)
			tt.mutate(&o)
			if tt.name == "growth not restated by a second outlet" {
				g := 0.096
				prev.YoY = &g
			}
			if tt.name == "estimate becomes final" {
				prev, o = o, prev // prev is the estimate, o the final figure
			}
			if got := o.Supersedes(prev); got != tt.want {
				t.Errorf("Supersedes = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestIndicatorCatalogue(t *testing.T) {
	// The ids are contracts (DESIGN.md): this list changes only deliberately.
	want := []string{
		"airport_international_routes", "digital_economy_share", "goods_exports_cny", "goods_imports_cny",
		"goods_trade", "goods_trade_cny", "international_standards", "new_trade_formats_share",
		"port_container_throughput", "retail_sales", "services_trade", "trade_hq_enterprises", "usd_cny_rate",
	}
	if got := IndicatorIDs(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("IndicatorIDs() = %v\nwant %v", got, want)
	}
	units := map[string][2]string{
		"goods_trade_cny": {CNY, "亿元"}, "goods_trade": {USD, "亿美元"}, "retail_sales": {CNY, "亿元"},
		"port_container_throughput": {TEU, "万标箱"}, "international_standards": {Count, "项"},
		"services_trade": {USD, "亿美元"}, "digital_economy_share": {RatioUnit, "%"},
		"trade_hq_enterprises": {Count, "家"}, "airport_international_routes": {Count, "条"},
		"usd_cny_rate": {CNYPerUSD, "元/美元"},
	}
	for id, u := range units {
		ind := MustLookup(id)
		if ind.BaseUnit != u[0] || ind.DisplayUnit != u[1] {
			t.Errorf("%s: units %s/%s, want %s/%s", id, ind.BaseUnit, ind.DisplayUnit, u[0], u[1])
		}
	}
	for _, ind := range Indicators() {
		if ind.Min >= ind.Max || ind.NameZH == "" || ind.NameEN == "" || len(ind.Bases()) == 0 {
			t.Errorf("%s: incomplete catalogue entry %+v", ind.ID, ind)
		}
	}
	if _, ok := Lookup("gdp"); ok {
		t.Error("Lookup(gdp) found something")
	}
	defer func() {
		if recover() == nil {
			t.Error("MustLookup(gdp) did not panic")
		}
	}()
	MustLookup("gdp")
}
