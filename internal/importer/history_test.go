package importer_test

import (
	"context"
	"math"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/trademon/trademon/config"
	"github.com/trademon/trademon/internal/importer"
	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/store"
	"github.com/trademon/trademon/internal/store/embedded"
)

// TestBundledHistory reads config/history/shenzhen.csv with the importer, the way serve
// loads it, and holds every row to the rules of the bundled history: each row imports
// cleanly (known indicator, valid period and basis, a unit that converts to the
// indicator's base unit, a plausible value, no duplicate key), keeps its source URL or
// says in its note why it has none, and has a note.
func TestBundledHistory(t *testing.T) {
	const name = "config/history/shenzhen.csv"
	rows, rejects, err := importer.Prepare(name, config.HistoryCSV, importer.Options{
		Kind: obs.KindReference,
		Now:  time.Date(2026, 11, 26, 12, 0, 0, 0, obs.Shanghai),
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rejects {
		t.Errorf("%s:%d: rejected: %s", name, r.Line, r.Reason)
	}
	if len(rows) != 52 {
		t.Errorf("%d rows, want 52", len(rows))
	}
	got := map[string]obs.Observation{}
	for _, r := range rows {
		o := r.Observation
		switch {
		case o.URL == "":
			if !strings.Contains(o.Note, "No URL") {
				t.Errorf("%s:%d: no source_url and no note saying why the figure is kept (want \"No URL\" in the note)", name, r.Line)
			}
		default:
			if u, err := url.Parse(o.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				t.Errorf("%s:%d: source_url %q is not an absolute http(s) URL", name, r.Line, o.URL)
			}
		}
		if o.Note == "" {
			t.Errorf("%s:%d: empty note", name, r.Line)
		}
		got[o.Indicator+"/"+o.Period.String()+"/"+string(o.Basis)] = o
	}
	// Spot checks of the conversions from display units, and of the one estimate.
	for key, want := range map[string]float64{
		"goods_trade_cny/2025/year":                  4.55e12,
		"goods_trade_cny/2025-03/ytd":                9.901e11,
		"retail_sales/2021/year":                     9.49812e11,
		"retail_sales/2022/year":                     9.70828e11,
		"goods_trade_cny/2023/year":                  3.87107e12,
		"goods_trade_cny/2024/year":                  4.5e12,
		"usd_cny_rate/2020/year":                     6.8974,
		"usd_cny_rate/2023/year":                     7.0467,
		"retail_sales/2024/year":                     1.06e12,
		"port_container_throughput/2022/year":        3.00356e7,
		"port_container_throughput/2024/year":        3.338e7,
		"digital_economy_share/2020/year":            0.305,
		"international_standards/2021-10/stock":      2363,
		"airport_international_routes/2019-12/stock": 50,
		"services_trade/2023/year":                   1.3007e11,
	} {
		if o, ok := got[key]; !ok || o.Value != want {
			t.Errorf("%s = %g (present %v), want %g", key, o.Value, ok, want)
		}
	}
	for key, o := range got {
		if want := key == "retail_sales/2024/year"; o.Estimate != want {
			t.Errorf("%s: estimate %v, want %v", key, o.Estimate, want)
		}
	}
	// The growth stated in a quote is kept, so that the year before can be implied
	// (the 2020 retail baseline from the 2021 release).
	for key, want := range map[string]float64{"retail_sales/2021/year": 0.096, "goods_trade_cny/2023/year": 0.059, "goods_trade_cny/2025/year": 0.014} {
		if o := got[key]; o.YoY == nil || math.Abs(*o.YoY-want) > 1e-12 || !strings.Contains(o.Quote, "%") {
			t.Errorf("%s: yoy %v quote %q, want %v stated in the quote", key, o.YoY, o.Quote, want)
		}
	}
}

// TestHistoryProvenanceReachesStores: a new release's history that only adds provenance
// to a reference row (a better page, its quote, the stated growth) updates the stored
// row, without a revision, so existing stores get the implied baseline too.
func TestHistoryProvenanceReachesStores(t *testing.T) {
	st, err := embedded.Open(t.TempDir(), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, obs.Shanghai)
	opts := importer.Options{Kind: obs.KindReference, Now: now}
	old := "indicator,period,basis,value,unit,source_url,note\nretail_sales,2021,year,9498.12,亿元,http://snjygy.com/a.html,third-party page\n"
	if _, err := importer.Import(ctx, st, "h.csv", []byte(old), opts); err != nil {
		t.Fatal(err)
	}
	updated := "indicator,period,basis,value,unit,source_url,note,quote,yoy\n" +
		"retail_sales,2021,year,9498.12,亿元,http://www.360doc.com/b.shtml,repost of the bureau's release,\"全市社会消费品零售总额9498.12亿元,同比增长9.6%\",9.6%\n"
	res, err := importer.Import(ctx, st, "h.csv", []byte(updated), opts)
	if err != nil || res.Updated != 1 {
		t.Fatalf("second import: %+v, %v; want one update", res, err)
	}
	got, err := st.Query(ctx, store.Filter{Indicators: []string{"retail_sales"}})
	if err != nil || len(got) != 1 {
		t.Fatalf("query: %v %v", got, err)
	}
	if o := got[0]; o.YoY == nil || *o.YoY != 0.096 || o.URL != "http://www.360doc.com/b.shtml" {
		t.Errorf("stored %+v", o)
	}
	if revs, err := st.Revisions(ctx, store.Filter{}); err != nil || len(revs) != 0 {
		t.Errorf("revisions %v %v, want none: the value did not change", revs, err)
	}
	// The same file again changes nothing.
	if res, err := importer.Import(ctx, st, "h.csv", []byte(updated), opts); err != nil || res.Unchanged != 1 {
		t.Errorf("third import: %+v %v", res, err)
	}
}
