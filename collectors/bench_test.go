package collectors_test

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trademon/trademon/collectors"
	"github.com/trademon/trademon/collectors/internal/sitetest"
	"github.com/trademon/trademon/collectors/retail"
	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/settings"
)

// benchArticles is the size of the benchmark archive; 20 articles per list page.
const (
	benchArticles = 500
	benchPerPage  = 20
)

// benchSite serves a tjj.sz.gov.cn-shaped archive of benchArticles monthly releases,
// newest first, each a realistic page (navigation, several paragraphs of figures, a
// footer) of about 6 KB, with older list pages at index_<n>.html.
func benchSite(b *testing.B) *httptest.Server {
	b.Helper()
	newest := obs.MustParsePeriod("2025-09")
	period := func(i int) obs.Period { // article i reports the ytd of this month
		p := newest
		for range i {
			p = p.Prev()
		}
		return p
	}
	filler := strings.Repeat("<p>工业生产平稳运行。规模以上工业增加值同比增长5.1%，其中先进制造业增加值增长6.2%，高技术制造业增加值增长5.8%。固定资产投资结构持续优化。</p>\n", 18)
	article := func(i int) string {
		p := period(i)
		yearly := 10000 * math.Pow(0.97, float64(2025-p.Year()))
		ytd := yearly * float64(p.Month()) / 12
		title := fmt.Sprintf("%d年1-%d月深圳经济运行情况", p.Year(), p.Month())
		return `<!DOCTYPE html><html><head><meta charset="utf-8"><meta name="PubDate" content="` + publish(p) + ` 16:30"><title>` + title + `</title></head><body>
<div class="header"><ul class="nav"><li><a href="/">首页</a></li><li><a href="/zwgk/">政务公开</a></li></ul></div>
<div class="article"><h1>` + title + `</h1><div class="articleBox">
<p>根据广东省地区生产总值统一核算结果，全市经济运行总体平稳。</p>
<p>消费品市场稳步增长。1-` + strconv.Itoa(p.Month()) + `月，全市社会消费品零售总额` + strconv.FormatFloat(ytd, 'f', 2, 64) + `亿元，同比增长5.0%。其中，限额以上单位消费品零售额` + strconv.FormatFloat(ytd*0.45, 'f', 2, 64) + `亿元，增长6.1%。</p>
` + filler + `</div></div><div class="footer">主办单位：深圳市统计局</div></body></html>`
	}
	list := func(page int) string {
		var sb strings.Builder
		sb.WriteString(`<!DOCTYPE html><html><head><meta charset="utf-8"><title>统计分析</title></head><body><div class="list-article"><ul class="column-article">`)
		for i := (page - 1) * benchPerPage; i < min(page*benchPerPage, benchArticles); i++ {
			p := period(i)
			fmt.Fprintf(&sb, `<li><a href="./content/post_%d.html" title="%d年1-%d月深圳经济运行情况"><p class="text-title">%d年1-%d月深圳经济运行情况</p><p class="article-time">%s</p></a></li>`,
				i, p.Year(), p.Month(), p.Year(), p.Month(), publish(p))
		}
		sb.WriteString(`</ul></div><script>createPageHTML(25, 0, "index", "html");</script></body></html>`)
		return sb.String()
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		name := r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:]
		switch {
		case name == "index.html":
			fmt.Fprint(w, list(1))
		case strings.HasPrefix(name, "index_"):
			n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(name, "index_"), ".html"))
			if err != nil || (n-1)*benchPerPage >= benchArticles {
				http.NotFound(w, r)
				return
			}
			fmt.Fprint(w, list(n))
		case strings.HasPrefix(name, "post_"):
			i, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(name, "post_"), ".html"))
			if err != nil || i >= benchArticles {
				http.NotFound(w, r)
				return
			}
			fmt.Fprint(w, article(i))
		default:
			http.NotFound(w, r)
		}
	}))
	b.Cleanup(srv.Close)
	return srv
}

// publish is the release date of a period's figures: the 27th of the next month.
func publish(p obs.Period) string {
	n := p.Next()
	return fmt.Sprintf("%04d-%02d-27", n.Year(), n.Month())
}

func benchConfig(b *testing.B, base string) *settings.Config {
	cfg := sitetest.Config(b, `
store: {path: "{{DIR}}"}
fetch: {retries: 0}
collectors:
  retail:
    enabled: true
    timeout: 1h
    sources:
      - name: tjj-monthly
        list_urls: ["{{BASE}}/zwgk/zfxxgkml/tjsj/tjfx/index.html"]
        link_selector: ".list-article ul.column-article li a"
        title_pattern: "经济运行"
        date_selector: "p.article-time"
        body_selector: ".articleBox"
        page_pattern: "index_{n}.html"
        delay: 1ms
`, base)
	// Politeness is configuration; the benchmark measures the machinery.
	cfg.Collectors["retail"].Sources[0].Delay = 0
	return cfg
}

// BenchmarkBackfill500 backfills benchArticles fixture articles end to end —
// httptest site, colly fetching with the HTTP cache, retail.Extract, the safety
// checks and an embedded store in a fresh temporary directory per iteration — and
// reports where the time goes: fetch_% (fetching, decoding and parsing pages),
// extract_% (Extract), store_% (safety checks and writes), plus articles/s. The
// baseline sub-benchmark crawls the same site with no extraction and no store.
func BenchmarkBackfill500(b *testing.B) {
	srv := benchSite(b)
	from := obs.MustParsePeriod("1900-01")
	b.Run("baseline-crawl-only", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			cfg := benchConfig(b, srv.URL)
			env := sitetest.Setup(b, cfg, map[string]collectors.Factory{retail.Name: retail.New}, nil)
			src := &cfg.Collectors["retail"].Sources[0]
			b.StartTimer()
			n := 0
			st, err := env.Fetcher.Crawl(context.Background(), src, collectors.CrawlOptions{Backfill: true, MaxPages: 10000},
				func(collectors.Article) error { n++; return nil })
			if err != nil || n != benchArticles || len(st.ArticleErrors) > 0 {
				b.Fatalf("crawl: %v, %d articles, %v", err, n, st.ArticleErrors)
			}
		}
		b.ReportMetric(float64(benchArticles*b.N)/b.Elapsed().Seconds(), "articles/s")
	})
	b.Run("end-to-end", func(b *testing.B) {
		var fetchT, extractT, storeT time.Duration
		for b.Loop() {
			b.StopTimer()
			cfg := benchConfig(b, srv.URL)
			env := sitetest.Setup(b, cfg, map[string]collectors.Factory{retail.Name: retail.New}, nil)
			b.StartTimer()
			run, err := env.Runner.RunOnce(context.Background(), retail.Name,
				collectors.RunOptions{Backfill: true, From: from, MaxPages: 10000})
			if err != nil || run.Articles() != benchArticles || run.Created != benchArticles {
				b.Fatalf("backfill: %v, %d articles, %d created, %d rejected", err, run.Articles(), run.Created, len(run.Rejected))
			}
			fetchT += run.FetchTime
			extractT += run.ExtractTime
			storeT += run.StoreTime
		}
		// The three clocks are disjoint: the crawl's stops before it hands an
		// article over, Extract's before the observations are emitted.
		total := float64(fetchT + extractT + storeT)
		b.ReportMetric(100*float64(fetchT)/total, "fetch_%")
		b.ReportMetric(100*float64(extractT)/total, "extract_%")
		b.ReportMetric(100*float64(storeT)/total, "store_%")
		b.ReportMetric(float64(benchArticles*b.N)/b.Elapsed().Seconds(), "articles/s")
	})
}
