package targets

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/trademon/trademon/internal/obs"
)

// TestExplain: the explanation of a goods-trade verdict names every input with its
// provenance, what was set aside and why, S(m) and its years, the exchange rate, and
// formulas from which the verdict can be recomputed by hand.
func TestExplain(t *testing.T) {
	g := 0.1
	rate := func(p string, v float64) obs.Observation { return ob("usd_cny_rate", p, obs.BasisYear, v, reference) }
	in := []obs.Observation{
		yr("goods_trade_cny", "2020", 3.0e12, reference, estimate),                     // set aside for the implied? no: implied loses
		yr("goods_trade_cny", "2021", 3.3e12, func(o *obs.Observation) { o.YoY = &g }), // implies 2020 = 3e12
		yr("goods_trade_cny", "2022", 3.6e12), ytd("goods_trade_cny", "2022-09", 2.7e12),
		yr("goods_trade_cny", "2023", 3.8e12), ytd("goods_trade_cny", "2023-09", 2.85e12),
		ytd("goods_trade_cny", "2024-09", 3.0e12),
		ytd("goods_trade_cny", "2024-09", 2.9e12, reference),                       // lower precedence: set aside
		ytd("goods_trade_cny", "2024-09", 3.1e12, manual, published(2024, 11, 20)), // published after the known date
		rate("2020", 6.9), rate("2021", 6.45), rate("2022", 6.73), rate("2023", 7.05),
	}
	known := time.Date(2024, 11, 1, 0, 0, 0, 0, obs.Shanghai)
	ix := FromIndex(obs.NewIndex(in, obs.IndexOptions{AsOf: known, Known: known}))
	x := ix.Explain(tgt(on("goods_trade", 6e11, Compound)))
	v := x.Verdict
	if v.Period != "2024-09" || v.Basis != obs.BasisYTD || !v.Known.Equal(known) || !x.Known.Equal(known) {
		t.Fatalf("verdict %s %s %s known %s", v.Status, v.Period, v.Basis, v.Known)
	}
	inputs := map[string]Input{}
	for _, in := range x.Inputs {
		inputs[in.Role+": "+in.Slot] = in
	}
	actual, ok := inputs["actual: goods_trade ytd 2024-09"]
	if !ok || actual.Chosen == nil || actual.Chosen.Derivation != obs.Converted {
		t.Fatalf("no converted actual among %v", keys(inputs))
	}
	cny := actual.Chosen.From[0]
	if cny.Value != 3.0e12 || cny.SourceKind != obs.KindCollector || cny.URL == "" || cny.Quote == "" {
		t.Errorf("the CNY figure behind the actual: %+v", cny)
	}
	// The CNY slot's set-aside figures are in the obs index; the explanation lists them
	// under the CNY input.
	cnyIn, ok := inputs["actual (amount converted): goods_trade_cny ytd 2024-09"]
	if !ok {
		t.Fatalf("no CNY input among %v", keys(inputs))
	}
	reasons := []string{}
	for _, s := range cnyIn.SetAside {
		reasons = append(reasons, s.Reason)
	}
	if got := strings.Join(reasons, "; "); got != "source kind reference ranks below collector (manual > collector > reference); published 2024-11-20, after the known date 2024-10-31" {
		t.Errorf("set aside: %s", got)
	}
	base := inputs["baseline: goods_trade year 2020"]
	if base.Chosen == nil || base.Chosen.From[0].Derivation != obs.Published || base.Chosen.From[0].Value != 3.0e12 {
		t.Errorf("baseline %+v", base.Chosen)
	}
	// The rates of the baseline (2020), of the years behind S(m) (2022, 2023), and of
	// the actual (2023, the latest annual average in by then).
	if len(x.Rates) != 3 || x.Rates[0].Period != "2020" || x.Rates[1].Period != "2022" || x.Rates[2].Period != "2023" || x.Rates[2].Display != "7.05元/美元" {
		t.Errorf("rates %+v", x.Rates)
	}
	// S(9) from 2023 and 2022 (2021 has no January–September figure).
	s := x.Share
	if s == nil || len(s.Years) != 2 || s.Years[0].Year != 2023 || s.Years[1].Year != 2022 {
		t.Fatalf("share %+v", s)
	}
	// Recompute the verdict from the explanation alone.
	b := base.Chosen.Value
	rateUSD := x.Rates[2].Value
	share := (s.Years[0].YTD/s.Years[0].Full + s.Years[1].YTD/s.Years[1].Full) / 2
	expected := b * math.Pow(6e11/b, 4.0/5) * share
	actualUSD := cny.Value / rateUSD
	if !close(share, s.S) || !close(expected, v.Expected) || !close(actualUSD, v.Actual) || !close(actualUSD/expected-1, v.Gap) {
		t.Errorf("by hand: share %g expected %g actual %g; the verdict says %g %g %g gap %g", share, expected, actualUSD, s.S, v.Expected, v.Actual, v.Gap)
	}
	steps := map[string]Step{}
	for _, st := range x.Steps {
		steps[st.Name] = st
	}
	for name, want := range map[string]string{
		"expected 2024":         "4347.83亿美元 × (6000亿美元 / 4347.83亿美元)^((2024−2020)/(2025−2020))",
		"seasonal share":        "(4042.55亿美元/5390.07亿美元 + 4011.89亿美元/5349.18亿美元) / 2",
		"expected year-to-date": "× 0.7500",
		"gap":                   "(4255.32亿美元 − ",
		"status":                "gap",
	} {
		if !strings.Contains(steps[name].Numbers, want) {
			t.Errorf("step %s: %q lacks %q", name, steps[name].Numbers, want)
		}
	}
	if _, err := json.Marshal(x); err != nil {
		t.Fatal(err)
	}
}

func keys(m map[string]Input) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
