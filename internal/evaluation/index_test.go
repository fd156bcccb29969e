package evaluation

import (
	"context"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/targets"
)

// TestLatestValueAgreesWithVerdict is defect 10 of issue 7: the indicator metrics and
// the verdicts read one index, so trademon_indicator_latest_value holds the derived
// full-year values and the USD goods trade, and equals the actual of the verdict
// resting on the same figure.
func TestLatestValueAgreesWithVerdict(t *testing.T) {
	st, ts, tasks := fixture(t)
	if _, err := st.Put(context.Background(), []obs.Observation{
		ob("goods_trade_cny", "2020", obs.BasisYear, 3.05e12, obs.KindReference),
		ob("goods_trade_cny", "2025-12", obs.BasisYTD, 4.55e12, obs.KindCollector),
		ob("usd_cny_rate", "2020", obs.BasisYear, 6.8974, obs.KindManual),
		ob("usd_cny_rate", "2025", obs.BasisYear, 7.18, obs.KindManual),
		ob("retail_sales", "2020", obs.BasisYear, 8.6645e11, obs.KindReference),
		func() obs.Observation {
			o := ob("retail_sales", "2024", obs.BasisYear, 1.06e12, obs.KindReference)
			o.Estimate = true
			return o
		}(),
		ob("retail_sales", "2024-12", obs.BasisYTD, 1.1e12, obs.KindCollector),
	}); err != nil {
		t.Fatal(err)
	}
	svc := newService(t, st, ts, tasks)
	if err := svc.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(svc.Collector())
	got := string(exposition(t, reg))
	latest := func(ind, basis string) (float64, bool) {
		return sampleValue(got, `trademon_indicator_latest_value{basis="`+basis+`",indicator="`+ind+`"}`)
	}
	for _, c := range []struct {
		ind, basis string
		want       float64
	}{
		{"goods_trade_cny", "year", 4.55e12}, // year from ytd(12)
		{"goods_trade", "year", 4.55e12 / 7.18},
		{"goods_trade", "ytd", 4.55e12 / 7.18},
		{"retail_sales", "year", 1.1e12}, // the final ytd(12), not the reference estimate
	} {
		if v, ok := latest(c.ind, c.basis); !ok || !closeTo(v, c.want) {
			t.Errorf("latest %s %s = %v (present %v), want %v", c.ind, c.basis, v, ok, c.want)
		}
	}
	for _, id := range []string{"goods_trade", "retail_sales"} {
		v := verdict(t, svc, id)
		if v.Status == targets.NoData || v.Basis != obs.BasisYear {
			t.Fatalf("%s: %s on %s %s", id, v.Status, v.Basis, v.Period)
		}
		if m, _ := latest(v.Indicator, string(v.Basis)); m != v.Actual {
			t.Errorf("%s: latest value %v, verdict actual %v: they must agree", id, m, v.Actual)
		}
	}
}

func closeTo(a, b float64) bool {
	d := a - b
	return d <= 1e-9*b && -d <= 1e-9*b
}
