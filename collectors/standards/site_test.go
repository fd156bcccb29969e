package standards_test

import (
	"context"
	"slices"
	"testing"

	"github.com/trademon/trademon/collectors"
	"github.com/trademon/trademon/collectors/internal/sitetest"
	"github.com/trademon/trademon/collectors/standards"
	"github.com/trademon/trademon/internal/obs"
)

// siteYAML points the standards collector at a fixture copy of amr.sz.gov.cn's
// 工作动态 column: items "li > a > h3 + p(发布日期：…)" linking to absolute
// content/post_<id>.html URLs, text in .news_cont_d_wrap, UTF-8 declared only in the
// page's <meta charset>.
const siteYAML = `
store: {path: "{{DIR}}"}
fetch: {retries: 1}
collectors:
  standards:
    enabled: true
    timeout: 1m
    sources:
      - name: amr-news
        list_urls: ["{{BASE}}/xxgk/qt/gzdt/index.html"]
        link_selector: "a[href*='/content/post_']"
        title_pattern: "标准"
        date_selector: "p"
        body_selector: ".articleBox, .news_cont_d_wrap"
        page_pattern: "index_{n}.html"
        encoding: auto
        delay: 1ms
`

// TestSiteBackfill walks both list pages back to 2023 and stores each World Standards
// Day count with its qualifier, except the 2023 count that includes foreign advanced
// standards (含国外先进标准), a wider series than the plan's; a notice about local
// standards matches the title pattern but states no count, which is fine since other
// articles do.
func TestSiteBackfill(t *testing.T) {
	site := sitetest.New(t, "testdata/site", sitetest.Options{Validators: true})
	cfg := sitetest.Config(t, siteYAML, site.URL)
	env := sitetest.Setup(t, cfg, map[string]collectors.Factory{standards.Name: standards.New}, nil)
	ctx := context.Background()
	opts := collectors.RunOptions{Backfill: true, From: obs.MustParsePeriod("2023-01")}
	run, err := env.Runner.RunOnce(ctx, standards.Name, opts)
	if err != nil {
		t.Fatalf("backfill: %v", err)
	}
	if run.Sources[0].ListPages != 2 || run.Articles() != 4 {
		t.Errorf("read %d list pages, %d articles; want 2 and 4", run.Sources[0].ListPages, run.Articles())
	}
	var values []float64
	for _, o := range env.Stored(t) {
		values = append(values, o.Value)
	}
	sitetest.Golden(t, "testdata/sitegolden/backfill.jsonl", site.URL, env.Stored(t))
	if !slices.Equal(values, []float64{1850, 2000}) {
		t.Errorf("stored %v, want the two counts of the plan's series (not the 1780 含国外先进标准)", values)
	}
	again, err := env.Runner.RunOnce(ctx, standards.Name, opts)
	if err != nil || again.Created+again.Updated != 0 {
		t.Errorf("second backfill: %v, %d created, %d updated", err, again.Created, again.Updated)
	}
}
