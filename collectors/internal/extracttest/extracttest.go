// Package extracttest runs a domain extractor (trade, retail, port, standards) over
// its article fixtures under testdata/articles/ and checks the observations three
// ways: against the values a test table states, against obs.Observation.Validate, and
// against golden JSON under testdata/golden/ (rewritten with -update, see package
// golden). HTML fixtures are reduced to text the way the fetcher does (fetch.Text of
// the body selector).
package extracttest

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/trademon/trademon/collectors"
	"github.com/trademon/trademon/collectors/extract"
	"github.com/trademon/trademon/collectors/fetch"
	"github.com/trademon/trademon/collectors/internal/golden"
	"github.com/trademon/trademon/internal/obs"
)

// Case is one fixture and what extracting it must give.
type Case struct {
	// File is the fixture under testdata/articles/: .txt (body text) or .html.
	File string
	// Title is the article title; for .html files empty means the <title>.
	Title string
	// Published is the publication date, YYYY-MM-DD, or empty for none.
	Published string
	// Selector is the body selector of an .html fixture.
	Selector string
	// Want lists the observations expected, in order.
	Want []Want
	// WantErr, when set, is a substring of the expected error; the error must wrap
	// extract.ErrUnreadable and no observations may be returned.
	WantErr string
}

// Want is an expected observation; Quote is a substring of its quote.
type Want struct {
	Indicator string
	Basis     obs.Basis
	Period    string
	Value     float64
	Estimate  bool
	Qualifier string
	Quote     string
}

// Article loads a fixture as the fetcher would hand it over.
func Article(t testing.TB, collector string, c Case) collectors.Article {
	t.Helper()
	path := filepath.Join("testdata", "articles", c.File)
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	a := collectors.Article{
		Source: collector + "/fixture",
		URL:    "https://fixture.test/" + collector + "/" + c.File,
		Title:  c.Title,
		Text:   string(raw),
	}
	if c.Published != "" {
		p, err := time.ParseInLocation("2006-01-02", c.Published, obs.Shanghai)
		if err != nil {
			t.Fatal(err)
		}
		a.Published = p.Add(10 * time.Hour)
		a.Retrieved = a.Published.Add(26 * time.Hour)
	}
	if strings.HasSuffix(c.File, ".html") {
		doc, err := goquery.NewDocumentFromReader(strings.NewReader(string(raw)))
		if err != nil {
			t.Fatal(err)
		}
		body := doc.Find(c.Selector)
		if body.Length() == 0 {
			t.Fatalf("%s: body selector %q matches nothing", path, c.Selector)
		}
		a.Text = fetch.Text(body)
		if a.Title == "" {
			a.Title = strings.TrimSpace(doc.Find("title").Text())
		}
	}
	return a
}

// golden is what a golden file holds: the observations, or the error.
type goldenFile struct {
	Observations []obs.Observation `json:"observations"`
	Error        string            `json:"error,omitempty"`
}

// Run extracts every case and checks it.
func Run(t *testing.T, collector string, extractFn collectors.ExtractFunc, cases []Case) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.File, func(t *testing.T) {
			a := Article(t, collector, c)
			got, err := extractFn(a)
			g := goldenFile{Observations: got}
			if err != nil {
				g.Error = err.Error()
			}
			if g.Observations == nil {
				g.Observations = []obs.Observation{}
			}
			golden.JSON(t, filepath.Join("testdata", "golden", strings.TrimSuffix(c.File, filepath.Ext(c.File))+".json"), g)
			if c.WantErr != "" {
				if err == nil {
					t.Fatalf("no error, want one containing %q; got %d observations", c.WantErr, len(got))
				}
				if !errors.Is(err, extract.ErrUnreadable) {
					t.Errorf("error %v does not wrap extract.ErrUnreadable", err)
				}
				if !strings.Contains(err.Error(), c.WantErr) {
					t.Errorf("error %q does not contain %q", err, c.WantErr)
				}
				if got != nil {
					t.Errorf("got %d observations with the error, want none", len(got))
				}
				return
			}
			if err != nil {
				t.Fatalf("Extract: %v", err)
			}
			Check(t, a, got, c.Want)
		})
	}
}

// Check compares observations with the wanted ones and validates each.
func Check(t testing.TB, a collectors.Article, got []obs.Observation, want []Want) {
	t.Helper()
	if len(got) != len(want) {
		for _, o := range got {
			t.Logf("got %s %s %s %g est=%v q=%q  %q", o.Indicator, o.Basis, o.Period, o.Value, o.Estimate, o.Qualifier, o.Quote)
		}
		t.Fatalf("got %d observations, want %d", len(got), len(want))
	}
	for i, w := range want {
		o := got[i]
		if o.Indicator != w.Indicator || o.Basis != w.Basis || o.Period.String() != w.Period ||
			!close(o.Value, w.Value) || o.Estimate != w.Estimate || o.Qualifier != w.Qualifier {
			t.Errorf("observation %d = %s %s %s %v est=%v q=%q, want %s %s %s %v est=%v q=%q", i,
				o.Indicator, o.Basis, o.Period, o.Value, o.Estimate, o.Qualifier,
				w.Indicator, w.Basis, w.Period, w.Value, w.Estimate, w.Qualifier)
		}
		if w.Quote != "" && !strings.Contains(o.Quote, w.Quote) {
			t.Errorf("observation %d quote %q does not contain %q", i, o.Quote, w.Quote)
		}
		if o.URL != a.URL || o.Source != a.Source || !o.PublishedAt.Equal(a.Published) || !o.RetrievedAt.Equal(a.Retrieved) ||
			o.SourceKind != obs.KindCollector || o.Region != obs.RegionSZ {
			t.Errorf("observation %d provenance = %q %q %v %v %s %s, want the article's", i, o.URL, o.Source, o.PublishedAt, o.RetrievedAt, o.SourceKind, o.Region)
		}
		if o.Quote == "" || !strings.Contains(extract.Normalize(a.Text), o.Quote) {
			t.Errorf("observation %d quote %q is not a sentence of the normalised text", i, o.Quote)
		}
		n := o
		n.Normalize()
		if err := n.Validate(time.Time{}); err != nil {
			t.Errorf("observation %d does not validate: %v", i, err)
		}
	}
}

func close(a, b float64) bool {
	return a == b || math.Abs(a-b) <= 1e-9*math.Max(math.Abs(a), math.Abs(b))
}

// Fuzz seeds f with the fixtures' texts and checks, for arbitrary title and text,
// that extraction never panics, that an error wraps extract.ErrUnreadable and comes
// without observations, and that every observation validates.
func Fuzz(f *testing.F, extractFn collectors.ExtractFunc, cases []Case) {
	for _, c := range cases {
		raw, err := os.ReadFile(filepath.Join("testdata", "articles", c.File))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(c.Title, string(raw))
	}
	published := time.Date(2025, 10, 24, 10, 0, 0, 0, obs.Shanghai)
	f.Fuzz(func(t *testing.T, title, text string) {
		a := collectors.Article{Source: "fuzz/fixture", URL: "https://fixture.test/fuzz", Title: title, Text: text, Published: published}
		got, err := extractFn(a)
		if err != nil {
			if !errors.Is(err, extract.ErrUnreadable) {
				t.Fatalf("error %v does not wrap extract.ErrUnreadable", err)
			}
			if got != nil {
				t.Fatalf("%d observations with an error", len(got))
			}
		}
		for _, o := range got {
			if err := o.Validate(time.Time{}); err != nil {
				t.Fatalf("observation %+v does not validate: %v", o, err)
			}
		}
	})
}

// Page builds a realistic article page of at least size bytes for benchmarks: the
// given fixtures' paragraphs (from testdata/articles/, .txt) repeated in turn inside
// the body selector's element (class "articleBox", or id "easysiteText" when body is
// "#easysiteText"), each paragraph in a styled <p> with the inline markup government
// CMSs emit, between a header, navigation, a related-links list and a footer. It
// returns the HTML and the body text as the fetcher hands it over (fetch.Text).
func Page(tb testing.TB, size int, body string, fixtures ...string) (html, text string) {
	tb.Helper()
	var paras []string
	for _, f := range fixtures {
		raw, err := os.ReadFile(filepath.Join("testdata", "articles", f))
		if err != nil {
			tb.Fatal(err)
		}
		for _, l := range strings.Split(string(raw), "\n") {
			if l = strings.TrimSpace(l); l != "" {
				paras = append(paras, l)
			}
		}
	}
	if len(paras) == 0 {
		tb.Fatal("no paragraphs for the page")
	}
	open := `<div class="articleBox">`
	if body == "#easysiteText" {
		open = `<div id="easysiteText">`
	}
	var head, foot strings.Builder
	head.WriteString(`<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>2025年1-8月深圳经济运行情况</title>`)
	head.WriteString(`<link rel="stylesheet" href="/css/index.css"><script src="/js/jquery.min.js"></script><script>var _hmt=_hmt||[];</script></head><body>`)
	head.WriteString(`<div class="header"><div class="logo"><img src="/images/logo.png" alt="深圳市人民政府"></div><ul class="nav">`)
	for _, n := range []string{"首页", "政务公开", "统计数据", "统计分析", "统计公报", "统计年鉴", "数据解读", "互动交流"} {
		head.WriteString(`<li><a href="/zwgk/zfxxgkml/tjsj/index.html" target="_blank">` + n + `</a></li>`)
	}
	head.WriteString(`</ul></div><div class="crumb">您的位置：<a href="/">首页</a> &gt; <a href="/zwgk/">统计分析</a></div>`)
	head.WriteString(`<div class="text-title">2025年1-8月深圳经济运行情况</div><div class="article-info">发布日期：2025-09-25　来源：深圳市统计局</div>`)
	head.WriteString(open)
	foot.WriteString(`</div><div class="related"><h3>相关链接</h3><ul class="list-article">`)
	for i := range 20 {
		foot.WriteString(`<li><a href="/zwgk/zfxxgkml/tjsj/tjfx/content/post_` + strings.Repeat("1", 7) + `.html">` +
			[]string{"2025年1-7月深圳经济运行情况", "2025年上半年深圳经济运行情况", "2025年1-5月深圳经济运行情况", "2025年1-4月深圳经济运行情况"}[i%4] +
			`</a><p class="article-time">2025-08-2` + string(rune('0'+i%10)) + `</p></li>`)
	}
	foot.WriteString(`</ul></div><div class="footer"><p>主办：深圳市统计局　地址：深圳市福田区福中三路市民中心C区</p><p>粤ICP备11001610号　网站标识码：4403000038</p></div></body></html>`)
	var b strings.Builder
	b.WriteString(head.String())
	for i := 0; b.Len()+foot.Len() < size; i++ {
		b.WriteString(`<p style="text-indent:2em;line-height:2;font-family:宋体;"><span style="font-size:16px;">`)
		b.WriteString(paras[i%len(paras)])
		b.WriteString(`</span></p>`)
	}
	b.WriteString(foot.String())
	html = b.String()
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(html))
	if err != nil {
		tb.Fatal(err)
	}
	return html, fetch.Text(doc.Find(body))
}

// Bench runs the side-by-side extraction benchmarks of a domain on a 50 KB page:
// a baseline (Normalize alone, the least any extraction must do), extraction from
// the body text (what the runner times), and the HTML parse plus text step followed
// by extraction. Each reports pages/s.
func Bench(b *testing.B, extractFn collectors.ExtractFunc, body string, fixtures ...string) {
	html, text := Page(b, 50*1024, body, fixtures...)
	a := collectors.Article{Source: "bench/fixture", URL: "https://fixture.test/bench", Title: "2025年1-8月深圳经济运行情况",
		Published: time.Date(2025, 9, 25, 10, 0, 0, 0, obs.Shanghai)}
	pages := func(b *testing.B) { b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pages/s") }
	b.Run("baseline-normalize", func(b *testing.B) {
		b.SetBytes(int64(len(text)))
		for b.Loop() {
			_ = extract.Normalize(text)
		}
		pages(b)
	})
	b.Run("text", func(b *testing.B) {
		b.SetBytes(int64(len(text)))
		a := a
		a.Text = text
		n := 0
		for b.Loop() {
			got, err := extractFn(a)
			if err != nil {
				b.Fatal(err)
			}
			n = len(got)
		}
		if n == 0 {
			b.Fatal("the page yields no observation")
		}
		pages(b)
	})
	b.Run("html", func(b *testing.B) {
		b.SetBytes(int64(len(html)))
		for b.Loop() {
			doc, err := goquery.NewDocumentFromReader(strings.NewReader(html))
			if err != nil {
				b.Fatal(err)
			}
			a := a
			a.Text = fetch.Text(doc.Find(body))
			if _, err := extractFn(a); err != nil {
				b.Fatal(err)
			}
		}
		pages(b)
	})
}
