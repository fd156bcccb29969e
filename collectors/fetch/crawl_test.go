package fetch_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trademon/trademon/collectors"
	"github.com/trademon/trademon/collectors/fetch"
	"github.com/trademon/trademon/collectors/internal/sitetest"
	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/settings"
)

// pages is a small site: path → HTML, or path → the URL it redirects to (302).
// Missing paths answer 404.
type pages struct {
	mu        sync.Mutex
	html      map[string]string
	redirects map[string]string
	asked     []string
}

func (p *pages) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.asked = append(p.asked, r.URL.Path)
	body, ok := p.html[r.URL.Path]
	to, redirect := p.redirects[r.URL.Path]
	p.mu.Unlock()
	if redirect {
		http.Redirect(w, r, to, http.StatusFound)
		return
	}
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write([]byte(body))
}

func (p *pages) requested() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.asked...)
}

func li(href, title, date string) string {
	return `<li><a href="` + href + `" title="` + title + `"><p class="text-title">` + title + `</p><p class="article-time">` + date + `</p></a></li>`
}

func listPage(items ...string) string {
	return `<html><body><div class="nav"><a href="/">首页</a></div><div class="list-article"><ul class="column-article">` +
		strings.Join(items, "") + `</ul></div><script>createPageHTML(3, 0, "index", "html");</script></body></html>`
}

func articlePage(meta, body string) string {
	return `<html><head>` + meta + `<title>page title</title></head><body><div class="articleBox"><p>` + body + `</p></div></body></html>`
}

const crawlYAML = `
store: {path: "{{DIR}}"}
fetch: {retries: 0}
collectors:
  retail:
    enabled: true
    sources:
      - name: tjj
        list_urls: ["{{BASE}}/tjfx/index.html"]
        link_selector: ".list-article ul.column-article li a"
        title_pattern: "经济运行"
        date_selector: "p.article-time"
        body_selector: ".articleBox"
        page_pattern: "index_{n}.html"
        delay: 1ms
        max_pages: %MAX%
`

func crawlSource(t *testing.T, base string, maxPages string, edit func(string) string) *settings.Source {
	t.Helper()
	y := strings.ReplaceAll(crawlYAML, "%MAX%", maxPages)
	if edit != nil {
		y = edit(y)
	}
	cfg := sitetest.Config(t, y, base)
	return &cfg.Collectors["retail"].Sources[0]
}

func newSite() *pages {
	return &pages{html: map[string]string{
		"/tjfx/index.html": listPage(
			li("./content/post_9.html", "2025年1-9月深圳经济运行情况", "2025-10-28"),
			li("./content/post_8.html", "2025年1-8月深圳经济运行情况", "2025-09-26"),
			li("/tjgb/content/post_7.html", "深圳市2024年国民经济和社会发展统计公报", "2025-04-30"),
		),
		"/tjfx/index_2.html": listPage(
			li("./content/post_6.html", "2025年上半年深圳经济运行情况", "2025-07-25"),
			li("./content/post_3.html", "2025年一季度深圳经济运行情况", "2025-04-28"),
		),
		"/tjfx/index_3.html": listPage(
			li("./content/post_2.html", "2024年深圳经济运行情况", "2025-01-24"),
			li("./content/post_1.html", "2024年1-11月深圳经济运行情况", "2024-12-27"),
		),
		"/tjfx/content/post_9.html": articlePage("", "1-9月，全市社会消费品零售总额7110.66亿元。"),
		"/tjfx/content/post_8.html": articlePage("", "1-8月，全市社会消费品零售总额6351.23亿元。"),
		"/tjfx/content/post_6.html": articlePage("", "上半年，全市社会消费品零售总额5010.08亿元。"),
		"/tjfx/content/post_3.html": articlePage("", "一季度，全市社会消费品零售总额2480.11亿元。"),
		"/tjfx/content/post_2.html": articlePage("", "全年，全市社会消费品零售总额10530.99亿元。"),
		"/tjfx/content/post_1.html": articlePage("", "1-11月，全市社会消费品零售总额9600.50亿元。"),
		"/tjgb/content/post_7.html": articlePage("", "统计公报"),
	}}
}

func crawl(t *testing.T, f *fetch.Fetcher, src *settings.Source, opts collectors.CrawlOptions) (collectors.CrawlStats, []collectors.Article) {
	t.Helper()
	var got []collectors.Article
	st, err := f.Crawl(context.Background(), src, opts, func(a collectors.Article) error {
		got = append(got, a)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return st, got
}

func urls(as []collectors.Article, base string) []string {
	var out []string
	for _, a := range as {
		out = append(out, strings.TrimPrefix(a.URL, base))
	}
	return out
}

func TestCrawlRegularRunReadsTheListPagesOnly(t *testing.T) {
	site := newSite()
	srv := httptest.NewServer(site)
	defer srv.Close()
	src := crawlSource(t, srv.URL, "20", nil)
	f := newFetcher(t, fetchConfig(), nil, false)
	st, got := crawl(t, f, src, collectors.CrawlOptions{Source: "retail/tjj"})
	if want := "[/tjfx/content/post_9.html /tjfx/content/post_8.html]"; strings.Join(urls(got, srv.URL), " ") != strings.Trim(want, "[]") {
		t.Errorf("articles %v, want %s", urls(got, srv.URL), want)
	}
	if st.ListPages != 1 || st.Links != 3 || st.Matched != 2 || st.Fetched != 2 || len(st.ListErrors)+len(st.ArticleErrors) != 0 {
		t.Errorf("stats %+v", st)
	}
	a := got[0]
	wantDate := time.Date(2025, 10, 28, 0, 0, 0, 0, obs.Shanghai)
	if a.Source != "retail/tjj" || a.Title != "2025年1-9月深圳经济运行情况" || !a.Published.Equal(wantDate) ||
		a.Text != "1-9月，全市社会消费品零售总额7110.66亿元。" || a.Retrieved.IsZero() {
		t.Errorf("article %+v", a)
	}
}

func TestCrawlBackfillWalksPagesUntilFrom(t *testing.T) {
	tests := []struct {
		name     string
		from     time.Time
		maxPages string
		want     []string
		lists    int
		trunc    bool
	}{
		{"to 2025-01: page 3 holds older items, page 4 is a 404 that ends the walk", time.Date(2025, 1, 1, 0, 0, 0, 0, obs.Shanghai), "50",
			[]string{"post_9", "post_8", "post_6", "post_3", "post_2"}, 3, false},
		{"to 2025-05: page 2 is all older than From except one; page 3 all older stops", time.Date(2025, 5, 1, 0, 0, 0, 0, obs.Shanghai), "50",
			[]string{"post_9", "post_8", "post_6"}, 3, false},
		{"max_pages caps list and article pages", time.Time{}, "4",
			[]string{"post_9", "post_8"}, 2, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			site := newSite()
			srv := httptest.NewServer(site)
			defer srv.Close()
			src := crawlSource(t, srv.URL, tt.maxPages, nil)
			f := newFetcher(t, fetchConfig(), nil, false)
			st, got := crawl(t, f, src, collectors.CrawlOptions{Source: "retail/tjj", Backfill: true, From: tt.from})
			var names []string
			for _, u := range urls(got, srv.URL) {
				names = append(names, strings.TrimSuffix(u[strings.LastIndex(u, "/")+1:], ".html"))
			}
			if strings.Join(names, ",") != strings.Join(tt.want, ",") {
				t.Errorf("articles %v, want %v", names, tt.want)
			}
			if st.ListPages != tt.lists || st.Truncated != tt.trunc || len(st.ListErrors) != 0 {
				t.Errorf("stats %+v: want %d list pages, truncated %v, no list errors", st, tt.lists, tt.trunc)
			}
		})
	}
}

func TestCrawlNextSelector(t *testing.T) {
	// An EasySite pager: the next link's target is in tagname; on the last page it is
	// the placeholder [NEXTPAGE].
	pager := func(next string) string {
		return `<div class="easysite-page-wrap"><a href="javascript:void(0)" title="下一页" tagname="` + next + `">下一页</a></div>`
	}
	site := &pages{html: map[string]string{
		"/list/index.html": `<html><body><ul class="conList_ul">` +
			`<li><a href="/c/1.html" title="2025年前9个月深圳市进出口情况">2025年前9个月深圳市...</a><span>2025-10-20</span></li>` +
			`</ul>` + pager("/list/b1d3-2.html") + `</body></html>`,
		"/list/b1d3-2.html": `<html><body><ul class="conList_ul">` +
			`<li><a href="/c/0.html" title="2025年前8个月深圳市进出口情况">2025年前8个月深圳市...</a><span>2025-09-19</span></li>` +
			`</ul>` + pager("[NEXTPAGE]") + `</body></html>`,
		"/c/1.html": `<html><body><div class="easysite-news-text">前9个月，深圳市进出口3.3万亿元。</div></body></html>`,
		"/c/0.html": `<html><head><meta name="PubDate" content="2025-09-19 10:00"></head><body><div class="easysite-news-text">前8个月。</div></body></html>`,
	}}
	srv := httptest.NewServer(site)
	defer srv.Close()
	src := crawlSource(t, srv.URL, "20", func(y string) string {
		return strings.NewReplacer(
			`"{{BASE}}/tjfx/index.html"`, `"{{BASE}}/list/index.html"`,
			`".list-article ul.column-article li a"`, `"ul.conList_ul li a"`,
			`"经济运行"`, `"深圳.*进出口"`,
			`"p.article-time"`, `"span"`,
			`".articleBox"`, `".easysite-news-text"`,
			`page_pattern: "index_{n}.html"`, `next_selector: ".easysite-page-wrap a[title='下一页']"`,
		).Replace(y)
	})
	f := newFetcher(t, fetchConfig(), nil, false)
	st, got := crawl(t, f, src, collectors.CrawlOptions{Source: "trade/customs", Backfill: true})
	if strings.Join(urls(got, srv.URL), " ") != "/c/1.html /c/0.html" {
		t.Errorf("articles %v", urls(got, srv.URL))
	}
	if st.ListPages != 2 || len(st.ListErrors) != 0 {
		t.Errorf("stats %+v", st)
	}
	if got[0].Title != "2025年前9个月深圳市进出口情况" {
		t.Errorf("title %q: want the title attribute, not the cut link text", got[0].Title)
	}
	for _, p := range site.requested() {
		if strings.Contains(p, "NEXTPAGE") {
			t.Errorf("requested the placeholder %s", p)
		}
	}
}

func TestCrawlFailuresLandInStats(t *testing.T) {
	t.Run("changed layout: the link selector matches nothing", func(t *testing.T) {
		site := newSite()
		site.html["/tjfx/index.html"] = strings.ReplaceAll(site.html["/tjfx/index.html"], "column-article", "news-list")
		srv := httptest.NewServer(site)
		defer srv.Close()
		st, got := crawl(t, newFetcher(t, fetchConfig(), nil, false), crawlSource(t, srv.URL, "20", nil), collectors.CrawlOptions{})
		if st.ListPages != 1 || st.Links != 0 || len(got) != 0 {
			t.Errorf("stats %+v, %d articles", st, len(got))
		}
	})
	t.Run("article layout changed: the body selector matches nothing", func(t *testing.T) {
		site := newSite()
		site.html["/tjfx/content/post_9.html"] = `<html><body><div class="TRS_Editor">1-9月</div></body></html>`
		srv := httptest.NewServer(site)
		defer srv.Close()
		st, got := crawl(t, newFetcher(t, fetchConfig(), nil, false), crawlSource(t, srv.URL, "20", nil), collectors.CrawlOptions{})
		if len(got) != 1 || len(st.ArticleErrors) != 1 || !strings.Contains(st.ArticleErrors[0].Error(), `body_selector ".articleBox" matches nothing`) {
			t.Errorf("stats %+v, %d articles", st, len(got))
		}
	})
	t.Run("list page fails", func(t *testing.T) {
		site := newSite()
		delete(site.html, "/tjfx/index.html")
		srv := httptest.NewServer(site)
		defer srv.Close()
		st, _ := crawl(t, newFetcher(t, fetchConfig(), nil, false), crawlSource(t, srv.URL, "20", nil), collectors.CrawlOptions{})
		if st.ListPages != 0 || len(st.ListErrors) != 1 || !strings.Contains(st.ListErrors[0].Error(), "HTTP 404") {
			t.Errorf("stats %+v", st)
		}
	})
	t.Run("want skips listed articles", func(t *testing.T) {
		srv := httptest.NewServer(newSite())
		defer srv.Close()
		cut := time.Date(2025, 10, 1, 0, 0, 0, 0, obs.Shanghai)
		st, got := crawl(t, newFetcher(t, fetchConfig(), nil, false), crawlSource(t, srv.URL, "20", nil),
			collectors.CrawlOptions{Want: func(listed time.Time) bool { return !listed.Before(cut) }})
		if len(got) != 1 || st.Skipped != 1 {
			t.Errorf("stats %+v, %d articles", st, len(got))
		}
	})
}

func TestParseDate(t *testing.T) {
	tests := map[string]string{
		"2025-10-28":                "2025-10-28",
		"[2025/9/3]":                "2025-09-03",
		"发布日期：2025年10月28日 16:30":    "2025-10-28",
		"2025.01.24":                "2025-01-24",
		"2025-02-30 and 2025-03-01": "2025-03-01",
		"no date":                   "",
		"1899-01-01":                "",
	}
	for in, want := range tests {
		got := fetch.ParseDate(in)
		s := ""
		if !got.IsZero() {
			s = got.Format("2006-01-02")
			if got.Location() != obs.Shanghai {
				t.Errorf("ParseDate(%q) in %v, want Asia/Shanghai", in, got.Location())
			}
		}
		if s != want {
			t.Errorf("ParseDate(%q) = %q, want %q", in, s, want)
		}
	}
}

// TestLinkTitleWithoutTitleAttribute checks a list item whose link holds the title and
// the date as two paragraphs and has no title attribute: the title leaves the date out.
func TestLinkTitleWithoutTitleAttribute(t *testing.T) {
	site := newSite()
	site.html["/tjfx/index.html"] = listPage(`<li><a href="./content/post_9.html"><p class="text-title">2025年1-9月深圳经济运行情况</p><p class="article-time">2025-10-28</p></a></li>`)
	srv := httptest.NewServer(site)
	defer srv.Close()
	_, got := crawl(t, newFetcher(t, fetchConfig(), nil, false), crawlSource(t, srv.URL, "20", nil), collectors.CrawlOptions{})
	if len(got) != 1 || got[0].Title != "2025年1-9月深圳经济运行情况" || got[0].Published.Format("2006-01-02") != "2025-10-28" {
		t.Fatalf("articles %+v", got)
	}
}
