// Package statsite serves a synthetic statistics-bureau site on loopback for fault,
// soak and benchmark tests that run the real trademon binary: a paginated 统计分析
// column of monthly "经济运行情况" articles shaped like tjj.sz.gov.cn's, one per month in
// a range, each stating the year-to-date retail sales and goods trade (total, exports,
// imports) with figures the site computes, so a test knows exactly which observations
// a backfill must store. Hooks make any page fail (500s, stalls, resets, huge or
// garbage bodies, a changed layout, a redirect elsewhere).
//
// It is test support: only _test.go files import it.
package statsite

import (
	"fmt"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trademon/trademon/internal/obs"
)

// Column is the path of the first list page.
const Column = "/zwgk/zfxxgkml/tjsj/tjfx/index.html"

// Options shape a Site.
type Options struct {
	// From and To are the first and last month with an article (inclusive); January
	// has none (its figures come with February's, as in Shenzhen). Defaults 2021-02 and
	// 2025-09.
	From, To obs.Period
	// PerPage is the number of articles per list page (default 10).
	PerPage int
	// Scale multiplies every figure (default 1), so two sites can state different
	// values for the same periods (a revision).
	Scale float64
	// Listen is the loopback address to serve on (default 127.0.0.1:0); another
	// address such as 127.0.0.2:0 makes a second host.
	Listen string
}

// Figure is one value an article states, in base units.
type Figure struct {
	Indicator string
	Period    obs.Period
	Basis     obs.Basis
	Value     float64
	// Text is the number as the article prints it, in 亿元.
	Text string
}

// Key is the figure's identity in the store.
func (f Figure) Key() string { return f.Indicator + "|" + string(f.Basis) + "|" + f.Period.String() }

// Site is the fixture site.
type Site struct {
	*httptest.Server
	opts   Options
	months []obs.Period // newest first

	mu    sync.Mutex
	extra obs.Period // an article listed first, besides months (SetExtra)
	hooks map[string]http.HandlerFunc
	// articles counts article pages served successfully.
	articles atomic.Int64
	onArt    func(n int64)
}

// New starts a Site until t ends.
func New(t testing.TB, opts Options) *Site {
	t.Helper()
	if opts.From.IsZero() {
		opts.From = obs.MonthPeriod(2021, 2)
	}
	if opts.To.IsZero() {
		opts.To = obs.MonthPeriod(2025, 9)
	}
	if opts.PerPage <= 0 {
		opts.PerPage = 10
	}
	if opts.Scale == 0 {
		opts.Scale = 1
	}
	s := &Site{opts: opts, hooks: map[string]http.HandlerFunc{}}
	for p := opts.To; p.Compare(opts.From) >= 0; p = p.Prev() {
		if p.Month() != 1 {
			s.months = append(s.months, p)
		}
	}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	if opts.Listen != "" {
		l, err := net.Listen("tcp", opts.Listen)
		if err != nil {
			t.Fatalf("statsite: listen on %s: %v", opts.Listen, err)
		}
		s.Listener.Close()
		s.Listener = l
	}
	s.Start()
	t.Cleanup(s.Close)
	return s
}

// SetExtra lists one more article, for month p, at the top of the first list page (a
// new release); the zero period removes it. Its figures are not in Expected.
func (s *Site) SetExtra(p obs.Period) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.extra = p
}

// listed returns the months on the list pages, newest first.
func (s *Site) listed() []obs.Period {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.extra.IsZero() {
		return s.months
	}
	return append([]obs.Period{s.extra}, s.months...)
}

// Months returns the months that have an article, newest first.
func (s *Site) Months() []obs.Period { return append([]obs.Period(nil), s.months...) }

// Pages is the number of list pages.
func (s *Site) Pages() int { return (len(s.listed()) + s.opts.PerPage - 1) / s.opts.PerPage }

// ArticlePath is the path of the article for month p.
func ArticlePath(p obs.Period) string {
	return fmt.Sprintf("/zwgk/zfxxgkml/tjsj/tjfx/content/post_%d%02d.html", p.Year(), p.Month())
}

// ListPath is the path of list page n (1 is the column's index.html).
func ListPath(n int) string {
	if n <= 1 {
		return Column
	}
	return fmt.Sprintf("/zwgk/zfxxgkml/tjsj/tjfx/index_%d.html", n)
}

// Hook replaces the answer for one path; a nil h removes the hook.
func (s *Site) Hook(path string, h http.HandlerFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if h == nil {
		delete(s.hooks, path)
		return
	}
	s.hooks[path] = h
}

// OnArticle calls f (on the server's goroutine, before the page is written) with the
// number of article pages served so far, the current one included.
func (s *Site) OnArticle(f func(n int64)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onArt = f
}

// Articles is the number of article pages served.
func (s *Site) Articles() int64 { return s.articles.Load() }

// Expected returns every figure the articles state, for months from (inclusive) on.
func (s *Site) Expected(from obs.Period) []Figure {
	var out []Figure
	for _, p := range s.months {
		if p.Compare(from) < 0 {
			continue
		}
		r, tr, ex, im := s.values(p)
		out = append(out,
			Figure{"retail_sales", p, obs.BasisYTD, yi(r), num(r)},
			Figure{"goods_trade_cny", p, obs.BasisYTD, yi(tr), num(tr)},
			Figure{"goods_exports_cny", p, obs.BasisYTD, yi(ex), num(ex)},
			Figure{"goods_imports_cny", p, obs.BasisYTD, yi(im), num(im)},
		)
	}
	return out
}

// values returns the year-to-date figures (亿元, two decimals) the article for p states.
func (s *Site) values(p obs.Period) (retail, trade, exports, imports float64) {
	y, m := float64(p.Year()-2020), float64(p.Month())
	round := func(v float64) float64 { return math.Round(v*s.opts.Scale*100) / 100 }
	retail = round((8600 + 400*y) * m / 12 * (1 + 0.001*m))
	exports = round((17000 + 600*y) * m / 12 * (1 + 0.002*m))
	imports = round((12000 + 300*y) * m / 12 * (1 + 0.001*m))
	trade = math.Round((exports+imports)*100) / 100
	return
}

func (s *Site) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	hook := s.hooks[r.URL.Path]
	s.mu.Unlock()
	if hook != nil {
		hook(w, r)
		return
	}
	switch {
	case r.URL.Path == "/robots.txt":
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte("User-agent: *\nAllow: /\n"))
	case strings.Contains(r.URL.Path, "/content/post_"):
		s.serveArticle(w, r)
	default:
		s.serveList(w, r)
	}
}

func (s *Site) serveList(w http.ResponseWriter, r *http.Request) {
	n := 1
	if r.URL.Path != Column {
		var err error
		name := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/zwgk/zfxxgkml/tjsj/tjfx/index_"), ".html")
		if n, err = strconv.Atoi(name); err != nil || n < 2 || n > s.Pages() {
			http.NotFound(w, r)
			return
		}
	}
	var b strings.Builder
	b.WriteString(head("统计分析"))
	b.WriteString(`<div class="list-article"><h2 class="column-title">统计分析</h2><ul class="column-article">` + "\n")
	months := s.listed()
	lo, hi := (n-1)*s.opts.PerPage, min(n*s.opts.PerPage, len(months))
	for _, p := range months[lo:hi] {
		title := articleTitle(p)
		fmt.Fprintf(&b, `<li><a href=".%s" target="_blank" title="%s"><p class="text-title">%s</p><p class="article-time">%s</p></a></li>`+"\n",
			strings.TrimPrefix(ArticlePath(p), "/zwgk/zfxxgkml/tjsj/tjfx"), title, title, published(p).Format("2006-01-02"))
	}
	fmt.Fprintf(&b, `</ul><div class="page"><script type="text/javascript">createPageHTML(%d, %d, "index", "html");</script></div></div>`, s.Pages(), n-1)
	b.WriteString(foot)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write([]byte(b.String()))
}

func (s *Site) serveArticle(w http.ResponseWriter, r *http.Request) {
	var p obs.Period
	for _, m := range s.listed() {
		if ArticlePath(m) == r.URL.Path {
			p = m
		}
	}
	if p.IsZero() {
		http.NotFound(w, r)
		return
	}
	n := s.articles.Add(1)
	s.mu.Lock()
	f := s.onArt
	s.mu.Unlock()
	if f != nil {
		f(n)
	}
	retail, trade, ex, im := s.values(p)
	m := p.Month()
	var b strings.Builder
	b.WriteString(head(articleTitle(p)))
	fmt.Fprintf(&b, `<div class="article"><h1 class="article-title">%s</h1>`, articleTitle(p))
	fmt.Fprintf(&b, `<div class="article-info"><span>发布时间：%s</span><span>来源：深圳市统计局</span></div>`, published(p).Format("2006-01-02"))
	b.WriteString(`<div class="articleBox">`)
	fmt.Fprintf(&b, `<p>消费品市场稳步增长。1-%d月，全市社会消费品零售总额%s亿元，同比增长5.0%%。</p>`, m, num(retail))
	fmt.Fprintf(&b, `<p>外贸进出口保持增长。1-%d月，全市进出口总额%s亿元，同比增长4.1%%。其中，出口%s亿元，增长3.5%%；进口%s亿元，增长5.0%%。</p>`, m, num(trade), num(ex), num(im))
	b.WriteString(`<p>居民消费价格温和上涨。</p></div></div>`)
	b.WriteString(foot)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write([]byte(b.String()))
}

func num(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }

// yi is the base-unit value of v 亿元 as printed: the decimal "v×10⁸", correctly rounded.
func yi(v float64) float64 {
	f, err := strconv.ParseFloat(num(v)+"e8", 64)
	if err != nil {
		panic(err)
	}
	return f
}

func articleTitle(p obs.Period) string {
	return fmt.Sprintf("%d年1-%d月深圳经济运行情况", p.Year(), p.Month())
}

// published is when the article for p appeared: the 28th of the next month.
func published(p obs.Period) time.Time {
	return time.Date(p.Year(), time.Month(p.Month())+1, 28, 16, 30, 0, 0, obs.Shanghai)
}

func head(title string) string {
	return `<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8" />` +
		`<title>` + title + `-深圳市统计局</title></head><body><div class="main">` + "\n"
}

const foot = "</div></body></html>\n"

// Config returns the collectors section of a trademon config that points the retail
// and trade collectors at the site (source tjj-monthly), with schedule cron.
func (s *Site) Config(cron string) string {
	src := `
    sources:
      - name: tjj-monthly
        list_urls: ["` + s.URL + Column + `"]
        link_selector: ".list-article ul.column-article li a"
        title_pattern: "经济运行"
        date_selector: "p.article-time"
        body_selector: ".articleBox"
        page_pattern: "index_{n}.html"
        encoding: utf-8
        delay: 1ms
        max_pages: 200`
	out := "collectors:\n"
	for _, name := range []string{"retail", "trade"} {
		out += "  " + name + ":\n    enabled: true\n    schedule: \"" + cron + "\"\n    timeout: 5m" + src + "\n"
	}
	for _, name := range []string{"port", "standards"} {
		out += "  " + name + ":\n    enabled: false\n"
	}
	return out
}
