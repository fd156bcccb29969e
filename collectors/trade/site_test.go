package trade_test

import (
	"context"
	"strings"
	"testing"

	"github.com/trademon/trademon/collectors"
	"github.com/trademon/trademon/collectors/internal/sitetest"
	"github.com/trademon/trademon/collectors/trade"
	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/store"
)

// siteYAML points the trade collector at two fixture sites: a copy of
// shenzhen.customs.gov.cn's EasySite news column (ul.conList_ul, dates in span, the
// pager's next link in a tagname attribute, text in .easysite-news-text), served as
// UTF-8, and a copy of tjj.sz.gov.cn's 统计分析 column, served as GBK with no charset
// header. {{TJJ}} is the second site's URL.
const siteYAML = `
store: {path: "{{DIR}}"}
fetch: {retries: 1}
collectors:
  trade:
    enabled: true
    timeout: 1m
    sources:
      - name: customs-news
        list_urls: ["{{BASE}}/customs/302249/302266/302267/index.html"]
        link_selector: "ul.conList_ul li a"
        title_pattern: "深圳市.*进出口"
        date_selector: "span"
        body_selector: ".easysite-news-text"
        next_selector: ".easysite-page-wrap a[title='下一页']"
        encoding: utf-8
        delay: 1ms
      - name: tjj-monthly
        list_urls: ["{{TJJ}}/zwgk/zfxxgkml/tjsj/tjfx/index.html"]
        link_selector: ".list-article ul.column-article li a"
        title_pattern: "经济运行"
        date_selector: "p.article-time"
        body_selector: ".articleBox"
        page_pattern: "index_{n}.html"
        encoding: auto
        delay: 1ms
`

type sites struct{ customs, tjj *sitetest.Site }

func setup(t *testing.T) (sites, *sitetest.Env) {
	t.Helper()
	s := sites{
		customs: sitetest.New(t, "testdata/site/customs", sitetest.Options{HeaderCharset: "utf-8", Validators: true}),
		tjj:     sitetest.New(t, sitetest.Shared("tjj"), sitetest.Options{GBK: true, Validators: true}),
	}
	cfg := sitetest.Config(t, strings.ReplaceAll(siteYAML, "{{TJJ}}", s.tjj.URL), s.customs.URL)
	return s, sitetest.Setup(t, cfg, map[string]collectors.Factory{trade.Name: trade.New}, nil)
}

func normalize(s sites, os []obs.Observation) []obs.Observation {
	for i := range os {
		os[i].URL = strings.ReplaceAll(os[i].URL, s.tjj.URL, "http://tjj.fixture")
	}
	return os
}

// TestSiteRegularRun reads both sources' first list pages. The customs release comes
// first and is stored; the statistics bureau's figures for the same months either
// agree within the customs figures' rounding and state them more precisely (前8个月
// 2.9万亿元 vs 29012.34亿元: the precise one replaces the other) or conflict (前三季度
// 3.30万亿元 vs 32100.50亿元: both kept, flagged). The
// district figure (深圳关区 6.61万亿元) is not the city's, and exports are not the total.
func TestSiteRegularRun(t *testing.T) {
	s, env := setup(t)
	ctx := context.Background()
	run, err := env.Runner.RunOnce(ctx, trade.Name, collectors.RunOptions{})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	checks := []struct {
		ind    string
		basis  obs.Basis
		period string
		value  float64
		source string
	}{
		{trade.Total, obs.BasisYTD, "2025-09", 3.30e12, "trade/customs-news"},
		{trade.Exports, obs.BasisYTD, "2025-09", 2.02e12, "trade/customs-news"},
		{trade.Imports, obs.BasisYTD, "2025-09", 1.28e12, "trade/customs-news"},
		{trade.Total, obs.BasisMonth, "2025-09", 3.9958e11, "trade/customs-news"},
		{trade.Total, obs.BasisYTD, "2025-08", 2.901234e12, "trade/tjj-monthly"},
		{trade.Total, obs.BasisYTD, "2025-07", 2.58035e12, "trade/tjj-monthly"},
	}
	for _, c := range checks {
		got := env.Find(t, c.ind, c.basis, c.period)
		if got.Value != c.value || got.Source != c.source {
			t.Errorf("%s %s %s = %g from %s, want %g from %s", c.ind, c.basis, c.period, got.Value, got.Source, c.value, c.source)
		}
	}
	conflicts, err := env.Store.Conflicts(ctx, store.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(conflicts) != 3 || len(run.Conflicts) != 3 {
		t.Fatalf("%d conflicts stored, %d in the run; want 3 (total, exports, imports for 2025-09)", len(conflicts), len(run.Conflicts))
	}
	for _, c := range conflicts {
		if c.Alternative.Source != "trade/tjj-monthly" || c.ExistingSource != "trade/customs-news" || c.Alternative.Period.String() != "2025-09" {
			t.Errorf("conflict %s from %s against %s", c.Alternative.Key(), c.Alternative.Source, c.ExistingSource)
		}
	}
	if v := sitetest.Metric(t, env.Registry, "trademon_collector_conflicts_total", map[string]string{"collector": "trade"}); v != 3 {
		t.Errorf("conflicts_total = %v, want 3", v)
	}
	sitetest.Golden(t, "testdata/sitegolden/regular.jsonl", s.customs.URL, normalize(s, env.Stored(t)))
}

// TestSiteBackfill follows the customs pager (tagname, then the [NEXTPAGE]
// placeholder that ends it) and the bureau's numbered pages back to 2025-07; a second
// backfill writes nothing.
func TestSiteBackfill(t *testing.T) {
	s, env := setup(t)
	ctx := context.Background()
	opts := collectors.RunOptions{Backfill: true, From: obs.MustParsePeriod("2025-07"), Trigger: collectors.TriggerBackfill}
	run, err := env.Runner.RunOnce(ctx, trade.Name, opts)
	if err != nil {
		t.Fatalf("backfill: %v", err)
	}
	if run.Sources[0].ListPages != 2 {
		t.Errorf("customs: %d list pages, want 2", run.Sources[0].ListPages)
	}
	usd := env.Find(t, trade.TotalUSD, obs.BasisYTD, "2025-07")
	if usd.Value != 3.6215e11 || usd.Unit != "USD" {
		t.Errorf("USD total 2025-07 = %g %s, want 3.6215e11 USD", usd.Value, usd.Unit)
	}
	sitetest.Golden(t, "testdata/sitegolden/backfill.jsonl", s.customs.URL, normalize(s, env.Stored(t)))
	again, err := env.Runner.RunOnce(ctx, trade.Name, opts)
	if err != nil {
		t.Fatalf("second backfill: %v", err)
	}
	if again.Created != 0 || again.Updated != 0 {
		t.Errorf("second backfill: %d created, %d updated; want none", again.Created, again.Updated)
	}
}
