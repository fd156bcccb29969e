package retail_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/trademon/trademon/collectors"
	"github.com/trademon/trademon/collectors/internal/sitetest"
	"github.com/trademon/trademon/collectors/retail"
	"github.com/trademon/trademon/internal/obs"
)

// siteYAML points the retail collector at a fixture copy of tjj.sz.gov.cn's 统计分析
// column: list items ".list-article ul.column-article li a" with the date in
// "p.article-time", articles at content/post_<id>.html with the text in ".articleBox",
// older pages index_2.html, index_3.html drawn by createPageHTML (page_pattern).
const siteYAML = `
store: {path: "{{DIR}}"}
fetch: {retries: 1}
collectors:
  retail:
    enabled: true
    schedule: "CRON_TZ=Asia/Shanghai 0 30 9 * * *"
    timeout: 1m
    sources:
      - name: tjj-monthly
        list_urls: ["{{BASE}}/zwgk/zfxxgkml/tjsj/tjfx/index.html"]
        link_selector: ".list-article ul.column-article li a"
        title_pattern: "经济运行"
        date_selector: "p.article-time"
        body_selector: ".articleBox"
        page_pattern: "index_{n}.html"
        encoding: auto
        delay: 1ms
        max_pages: 20
`

const listPath = "/zwgk/zfxxgkml/tjsj/tjfx/index.html"

func setup(t *testing.T, opts sitetest.Options) (*sitetest.Site, *sitetest.Env) {
	t.Helper()
	site := sitetest.New(t, sitetest.Shared("tjj"), opts)
	cfg := sitetest.Config(t, siteYAML, site.URL)
	return site, sitetest.Setup(t, cfg, map[string]collectors.Factory{retail.Name: retail.New}, nil)
}

// TestSiteRegularRun reads the first list page of a GBK site whose server names no
// charset (only the page's meta does), stores the year-to-date totals (not the 限额以上
// or 网上零售 sub-totals, nor the trade figures in the same articles), and on the next
// run costs a 304 for the list page and fetches no article.
func TestSiteRegularRun(t *testing.T) {
	site, env := setup(t, sitetest.Options{GBK: true, Validators: true})
	ctx := context.Background()
	run, err := env.Runner.RunOnce(ctx, retail.Name, collectors.RunOptions{})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if run.Created != 3 || run.Articles() != 3 {
		t.Errorf("first run: %d articles, %d created; want 3 and 3", run.Articles(), run.Created)
	}
	got := env.Find(t, retail.Indicator, obs.BasisYTD, "2025-08")
	if got.Value != 6.35123e11 || got.Source != "retail/tjj-monthly" ||
		got.URL != site.URL+"/zwgk/zfxxgkml/tjsj/tjfx/content/post_12008.html" || got.PublishedAt.In(obs.Shanghai).Format("2006-01-02") != "2025-09-26" {
		t.Errorf("2025-08 ytd = %+v", got)
	}
	sitetest.Golden(t, "testdata/sitegolden/regular.jsonl", site.URL, env.Stored(t))

	second, err := env.Runner.RunOnce(ctx, retail.Name, collectors.RunOptions{})
	if err != nil {
		t.Fatalf("second run: %v", err)
	}
	if second.Articles() != 0 || second.Created+second.Updated != 0 || second.Sources[0].Skipped != 3 {
		t.Errorf("second run fetched %d articles, wrote %d, skipped %d; want 0, 0, 3", second.Articles(), second.Created+second.Updated, second.Sources[0].Skipped)
	}
	if site.Count(listPath, http.StatusNotModified) != 1 || second.Sources[0].NotModified != 1 {
		t.Errorf("the unchanged list page was not answered 304 (%d), run saw %d", site.Count(listPath, http.StatusNotModified), second.Sources[0].NotModified)
	}
	if v := sitetest.Metric(t, env.Registry, "trademon_collector_runs_total", map[string]string{"collector": "retail", "result": "success"}); v != 2 {
		t.Errorf("runs_total{result=success} = %v, want 2", v)
	}
	if v := sitetest.Metric(t, env.Registry, "trademon_collector_observations_total", map[string]string{"collector": "retail"}); v != 3 {
		t.Errorf("observations_total = %v, want 3", v)
	}
}

// TestSiteBackfill walks index.html, index_2.html and index_3.html back to 2025-01
// (index_4.html answers 404 and ends the walk), then walks again and changes nothing.
func TestSiteBackfill(t *testing.T) {
	site, env := setup(t, sitetest.Options{GBK: true, HeaderCharset: "", Validators: true})
	ctx := context.Background()
	opts := collectors.RunOptions{Backfill: true, From: obs.MustParsePeriod("2025-01"), Trigger: collectors.TriggerBackfill}
	run, err := env.Runner.RunOnce(ctx, retail.Name, opts)
	if err != nil {
		t.Fatalf("backfill: %v", err)
	}
	if run.Sources[0].ListPages != 3 || run.Articles() != 9 {
		t.Errorf("backfill read %d list pages and %d articles, want 3 and 9", run.Sources[0].ListPages, run.Articles())
	}
	if site.Count("/zwgk/zfxxgkml/tjsj/tjfx/content/post_11980.html", 0) != 0 {
		t.Error("fetched an article listed before --from")
	}
	sitetest.Golden(t, "testdata/sitegolden/backfill.jsonl", site.URL, env.Stored(t))

	again, err := env.Runner.RunOnce(ctx, retail.Name, opts)
	if err != nil {
		t.Fatalf("second backfill: %v", err)
	}
	if again.Created != 0 || again.Updated != 0 || again.Unchanged != len(run.Records) {
		t.Errorf("second backfill: %d created, %d updated, %d unchanged; want 0, 0, %d", again.Created, again.Updated, again.Unchanged, len(run.Records))
	}
}
