package port_test

import (
	"context"
	"testing"

	"github.com/trademon/trademon/collectors"
	"github.com/trademon/trademon/collectors/internal/sitetest"
	"github.com/trademon/trademon/collectors/port"
	"github.com/trademon/trademon/collectors/safety"
	"github.com/trademon/trademon/internal/obs"
)

// siteYAML points the port collector at a fixture copy of a jtys.sz.gov.cn data
// column (the sz.gov.cn CMS: links to content/post_<id>.html, text in
// .news_cont_d_wrap), served as GBK with the charset in the header.
const siteYAML = `
store: {path: "{{DIR}}"}
fetch: {retries: 1}
collectors:
  port:
    enabled: true
    timeout: 1m
    sources:
      - name: jtys-news
        list_urls: ["{{BASE}}/zwgk/sjfb/yssj/index.html"]
        link_selector: "a[href*='/content/post_']"
        title_pattern: "集装箱|深圳港"
        body_selector: ".articleBox, .news_cont_d_wrap"
        page_pattern: "index_{n}.html"
        encoding: auto
        delay: 1ms
`

// TestSiteRun stores the whole-port figures only — not 外贸集装箱 sub-totals nor the
// 盐田/南山/大铲湾 port areas — and rejects, with a metric, a month printed ten times too
// large (2382.50万标箱: outside the typical range of a month, with nothing stored near
// it) and one printed without its 万 (253.60标箱: outside the plausible range of any
// figure), even though the slipped page is read before the good ones. The run is
// partial: it stored what passed.
func TestSiteRun(t *testing.T) {
	site := sitetest.New(t, "testdata/site", sitetest.Options{GBK: true, HeaderCharset: "GBK", Validators: true})
	cfg := sitetest.Config(t, siteYAML, site.URL)
	env := sitetest.Setup(t, cfg, map[string]collectors.Factory{port.Name: port.New}, nil)
	run, err := env.Runner.RunOnce(context.Background(), port.Name, collectors.RunOptions{})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	want := map[string]float64{
		"month 2025-01": 2.4117e6, "month 2025-02": 2.1113e6,
		"ytd 2025-02": 4.523e6, "ytd 2025-03": 6.9055e6,
	}
	for k, v := range want {
		var basis, period string
		for i := range k {
			if k[i] == ' ' {
				basis, period = k[:i], k[i+1:]
			}
		}
		if got := env.Find(t, port.Indicator, obs.Basis(basis), period); got.Value != v {
			t.Errorf("%s = %g TEU, want %g", k, got.Value, v)
		}
	}
	for _, o := range env.Stored(t) {
		switch o.Value {
		case 2.2665e6, 1.1936e6, 1.1352e6, 1.952e6, 3.0156e7:
			t.Errorf("a sub-total was stored: %s %s %s = %g (%s)", o.Indicator, o.Basis, o.Period, o.Value, o.Quote)
		}
		if o.Period.String() == "2025-03" && o.Basis == obs.BasisMonth || o.Period.String() == "2025-04" {
			t.Errorf("a figure in the wrong unit was stored: %s %s = %g", o.Basis, o.Period, o.Value)
		}
	}
	reasons := map[safety.Reason]int{}
	for _, d := range run.Rejected {
		reasons[d.Reason]++
		if d.Observation.Quote == "" || d.Observation.URL == "" {
			t.Errorf("a rejection lost its provenance: %+v", d.Observation)
		}
	}
	if reasons[safety.OutOfRange] != 2 || len(reasons) != 1 {
		t.Errorf("rejections %v, want two out_of_range", reasons)
	}
	if run.Result() != collectors.ResultPartial {
		t.Errorf("result %s, want partial", run.Result())
	}
	for reason, n := range map[string]float64{"unit_slip": 0, "out_of_range": 2, "invalid": 0} {
		if v := sitetest.Metric(t, env.Registry, "trademon_collector_rejected_total", map[string]string{"collector": "port", "reason": reason}); v != n {
			t.Errorf("rejected_total{reason=%s} = %v, want %v", reason, v, n)
		}
	}
	sitetest.Golden(t, "testdata/sitegolden/run.jsonl", site.URL, env.Stored(t))
}
