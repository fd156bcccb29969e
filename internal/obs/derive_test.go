package obs

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// ob builds an observation for derivation and resolution tables.
func ob(ind string, basis Basis, period string, value float64, kind SourceKind) Observation {
	return Observation{
		Indicator: ind, Region: RegionSZ, Basis: basis, Period: MustParsePeriod(period),
		Value: value, Unit: MustLookup(ind).BaseUnit, SourceKind: kind, Source: string(kind),
		URL: "https://example.org/" + period,
	}
}

// brief renders observations as "indicator basis period value source_kind source" lines.
func brief(os []Observation) string {
	var b strings.Builder
	for _, o := range os {
		fmt.Fprintf(&b, "%s %s %s %g %s %s", o.Indicator, o.Basis, o.Period, o.Value, o.SourceKind, o.Source)
		if o.Estimate {
			b.WriteString(" estimate")
		}
		b.WriteString("\n")
	}
	return b.String()
}

func TestResolve(t *testing.T) {
	early := time.Date(2025, 10, 20, 0, 0, 0, 0, Shanghai)
	late := early.AddDate(0, 0, 7)
	with := func(o Observation, f func(*Observation)) Observation { f(&o); return o }
	tests := []struct {
		name string
		in   []Observation
		want string
	}{
		{"manual beats collector beats reference", []Observation{
			ob("retail_sales", BasisYTD, "2025-09", 3, KindReference),
			ob("retail_sales", BasisYTD, "2025-09", 1, KindManual),
			ob("retail_sales", BasisYTD, "2025-09", 2, KindCollector),
		}, "retail_sales ytd 2025-09 1 manual manual\n"},
		{"collector beats reference", []Observation{
			ob("retail_sales", BasisYTD, "2025-09", 2, KindCollector),
			ob("retail_sales", BasisYTD, "2025-09", 3, KindReference),
		}, "retail_sales ytd 2025-09 2 collector collector\n"},
		{"final beats estimate of the same kind even if older", []Observation{
			with(ob("retail_sales", BasisYear, "2024", 2, KindCollector), func(o *Observation) { o.Estimate, o.PublishedAt = true, late }),
			with(ob("retail_sales", BasisYear, "2024", 1, KindCollector), func(o *Observation) { o.PublishedAt = early }),
		}, "retail_sales year 2024 1 collector collector\n"},
		{"manual estimate beats collector final", []Observation{
			with(ob("retail_sales", BasisYear, "2024", 2, KindManual), func(o *Observation) { o.Estimate = true }),
			ob("retail_sales", BasisYear, "2024", 1, KindCollector),
		}, "retail_sales year 2024 2 manual manual estimate\n"},
		{"latest publication wins among equals", []Observation{
			with(ob("port_container_throughput", BasisYear, "2024", 1, KindCollector), func(o *Observation) { o.PublishedAt = late }),
			with(ob("port_container_throughput", BasisYear, "2024", 2, KindCollector), func(o *Observation) { o.PublishedAt = early }),
		}, "port_container_throughput year 2024 1 collector collector\n"},
		{"different series are all kept, sorted", []Observation{
			ob("retail_sales", BasisYTD, "2025-09", 9, KindCollector),
			ob("retail_sales", BasisYTD, "2025-08", 8, KindCollector),
			ob("retail_sales", BasisMonth, "2025-09", 1, KindCollector),
			ob("goods_trade_cny", BasisYTD, "2025-09", 5, KindReference),
		}, "goods_trade_cny ytd 2025-09 5 reference reference\n" +
			"retail_sales month 2025-09 1 collector collector\n" +
			"retail_sales ytd 2025-08 8 collector collector\n" +
			"retail_sales ytd 2025-09 9 collector collector\n"},
		{"empty", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := brief(Resolve(tt.in)); got != tt.want {
				t.Errorf("Resolve:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

func TestDerive(t *testing.T) {
	est := func(o Observation) Observation { o.Estimate = true; return o }
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
		{"year from ytd(12) alone", []Observation{
			ob("goods_trade_cny", BasisYTD, "2024-12", 4.5e12, KindReference),
		}, "goods_trade_cny year 2024 4.5e+12 reference derived\n"},
		{"existing month and year are not derived again", []Observation{
			ob("goods_trade_cny", BasisYTD, "2024-11", 4e12, KindCollector),
			ob("goods_trade_cny", BasisYTD, "2024-12", 4.5e12, KindCollector),
			ob("goods_trade_cny", BasisMonth, "2024-12", 5.1e11, KindCollector),
			ob("goods_trade_cny", BasisYear, "2024", 4.51e12, KindManual),
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
			got := Derive(tt.in)
			if b := brief(got); b != tt.want {
				t.Errorf("Derive:\n%s\nwant:\n%s", b, tt.want)
			}
			for _, d := range got {
				if d.Quote == "" || d.URL == "" {
					t.Errorf("derived %s %s lacks provenance: %+v", d.Basis, d.Period, d)
				}
				if err := d.Validate(time.Time{}); err != nil {
					t.Errorf("derived observation invalid: %v", err)
				}
			}
		})
	}
}

func TestDeriveQuoteAndURL(t *testing.T) {
	a := ob("goods_trade_cny", BasisYTD, "2025-08", 2.1e12, KindCollector)
	b := ob("goods_trade_cny", BasisYTD, "2025-09", 2.4e12, KindCollector)
	got := Derive([]Observation{a, b})
	if len(got) != 1 {
		t.Fatalf("Derive returned %d observations, want 1", len(got))
	}
	d := got[0]
	if d.Quote != "ytd 2025-09 (2.4e+12) − ytd 2025-08 (2.1e+12)" {
		t.Errorf("Quote = %q", d.Quote)
	}
	if d.URL != b.URL {
		t.Errorf("URL = %q, want the later release %q", d.URL, b.URL)
	}
	if d.Value != 3e11 {
		t.Errorf("Value = %g, want 3e11", d.Value)
	}
}
