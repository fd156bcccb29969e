package targets

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trademon/trademon/config"
	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/units"
)

// historyHeader is the import format (DESIGN.md, "Import CSV columns").
var historyHeader = []string{"indicator", "period", "basis", "value", "unit", "source_url", "note"}

// readHistory parses the bundled history into observations, checking every row.
func readHistory(t *testing.T) []obs.Observation {
	t.Helper()
	r := csv.NewReader(bytes.NewReader(config.HistoryCSV))
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatalf("config/history/shenzhen.csv: %v", err)
	}
	if len(rows) < 2 {
		t.Fatal("config/history/shenzhen.csv has no rows")
	}
	if strings.Join(rows[0], ",") != strings.Join(historyHeader, ",") {
		t.Fatalf("header %q, want %q", rows[0], historyHeader)
	}
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, obs.Shanghai)
	seen := map[string]int{}
	var out []obs.Observation
	for i, row := range rows[1:] {
		line := i + 2
		bad := func(format string, args ...any) {
			t.Errorf("config/history/shenzhen.csv:%d: %s", line, fmt.Sprintf(format, args...))
		}
		ind, ok := obs.Lookup(row[0])
		if !ok {
			bad("unknown indicator %q", row[0])
			continue
		}
		p, err := obs.ParsePeriod(row[1])
		if err != nil {
			bad("%v", err)
			continue
		}
		b, err := obs.ParseBasis(row[2])
		if err != nil {
			bad("%v", err)
			continue
		}
		n, err := strconv.ParseFloat(row[3], 64)
		if err != nil {
			bad("value %q: %v", row[3], err)
			continue
		}
		if _, err := units.ParseUnit(row[4]); err != nil {
			bad("unit: %v", err)
			continue
		}
		v, base, err := units.ToBase(n, row[4])
		if err != nil || base != ind.BaseUnit {
			bad("unit %q converts to %q, but %s is measured in %s", row[4], base, ind.ID, ind.BaseUnit)
			continue
		}
		note := strings.TrimSpace(row[6])
		switch u := strings.TrimSpace(row[5]); {
		case u == "":
			if !strings.Contains(note, "No URL") {
				bad("no source_url and no note saying why the figure is kept (want a note with \"No URL\")")
			}
		default:
			pu, err := url.Parse(u)
			if err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
				bad("source_url %q is not an absolute http(s) URL", u)
			}
		}
		if note == "" {
			bad("empty note")
		}
		key := row[0] + "/" + p.String() + "/" + string(b)
		if first, dup := seen[key]; dup {
			bad("duplicate %s (first at line %d)", key, first)
		}
		seen[key] = line
		o := obs.Observation{
			Indicator: ind.ID, Period: p, Basis: b, Value: v, Unit: base,
			SourceKind: obs.KindReference, Source: "history", URL: row[5], Note: note,
			Estimate: strings.Contains(note, "预计"),
		}
		o.Normalize()
		if err := o.Validate(now); err != nil {
			bad("%v", err)
			continue
		}
		if v < ind.Min || v > ind.Max {
			bad("value %g %s is outside the plausible range of %s [%g, %g]", v, base, ind.ID, ind.Min, ind.Max)
		}
		out = append(out, o)
	}
	return out
}

func TestBundledHistory(t *testing.T) {
	os := readHistory(t)
	// Spot checks of conversions from display units.
	want := map[string]float64{
		"goods_trade_cny/2025/year":                  4.55e12,
		"goods_trade_cny/2025-03/ytd":                9.901e11,
		"retail_sales/2022/year":                     9.7083e11,
		"port_container_throughput/2022/year":        3.00356e7,
		"port_container_throughput/2024/year":        3.338e7,
		"digital_economy_share/2020/year":            0.305,
		"international_standards/2021-10/stock":      2363,
		"airport_international_routes/2019-12/stock": 50,
		"services_trade/2023/year":                   1.3007e11,
	}
	got := map[string]float64{}
	for _, o := range os {
		got[o.Indicator+"/"+o.Period.String()+"/"+string(o.Basis)] = o.Value
	}
	for k, w := range want {
		if g, ok := got[k]; !ok || !approx(g, w, 1e-12) {
			t.Errorf("%s = %g (present %v), want %g", k, g, ok, w)
		}
	}
	if len(os) != 48 {
		t.Errorf("got %d rows, want 48", len(os))
	}
}

func approx(got, want, rel float64) bool {
	if want == 0 {
		return got == 0
	}
	d := (got - want) / want
	return d <= rel && d >= -rel
}
