package fetch

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/trademon/trademon/collectors"
	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/settings"
)

// Crawl implements collectors.Fetcher: it reads src's list pages (and, in a backfill,
// the older pages after them), follows the links whose titles match the source's title
// pattern, and hands each article to visit. Navigation comes entirely from src.
//
// A regular run reads the list URLs only and fetches the articles opts.Want wants. A
// backfill walks each list page by page — the link next_selector finds, else the
// source's page_pattern — until a page whose dated articles are all older than
// opts.From, a page with no article links, or no next page; articles listed before
// opts.From are not fetched. Pages (list and article) count against max_pages.
//
// Every page comes from the source's own hosts (those of its list URLs and its
// allowed_hosts): a link or a redirect elsewhere is an article (or list) error, not a
// fetch, and no connection goes to a non-public address the source is not on. An
// article's URL is where it was found after any redirect.
func (f *Fetcher) Crawl(ctx context.Context, cfg *settings.Source, opts collectors.CrawlOptions, visit func(collectors.Article) error) (collectors.CrawlStats, error) {
	var st collectors.CrawlStats
	src, err := compileErr(cfg)
	if err != nil {
		st.ListErrors = append(st.ListErrors, err)
		return st, nil
	}
	pol := newPolicy(ctx, f.resolver, cfg.ListURLs, cfg.AllowedHosts)
	ctx = withPolicy(ctx, pol)
	maxPages := src.MaxPages
	if opts.MaxPages > 0 {
		maxPages = opts.MaxPages
	}
	pages := 0
	take := func() bool {
		if pages >= maxPages {
			st.Truncated = true
			return false
		}
		pages++
		return true
	}
	seen := map[string]bool{}
	for _, listURL := range src.ListURLs {
		pageURL, pageNo, generated := listURL, 1, false
		walked := map[string]bool{}
		for pageURL != "" && !walked[pageURL] {
			walked[pageURL] = true
			if err := ctx.Err(); err != nil {
				return st, err
			}
			if !take() {
				return st, nil
			}
			start := time.Now()
			doc, page, err := f.document(ctx, pageURL, src.Encoding, src.Delay)
			st.FetchTime += time.Since(start)
			if err != nil {
				var se *StatusError
				if generated && errors.As(err, &se) && se.Code == http.StatusNotFound {
					// page_pattern ran past the last page.
					break
				}
				if ctx.Err() != nil {
					return st, ctx.Err()
				}
				st.ListErrors = append(st.ListErrors, fmt.Errorf("list page: %w", err))
				break
			}
			st.ListPages++
			if page.NotModified {
				st.NotModified++
			}
			items, links := listItems(doc, page.FinalURL, src)
			st.Links += links
			dated, older := 0, 0
			for _, it := range items {
				if seen[it.url] {
					continue
				}
				seen[it.url] = true
				st.Matched++
				if !it.listed.IsZero() {
					dated++
				}
				switch {
				case opts.Backfill && !opts.From.IsZero() && !it.listed.IsZero() && it.listed.Before(opts.From):
					older++
					st.Skipped++
					continue
				case opts.Want != nil && !opts.Want(it.listed):
					st.Skipped++
					continue
				}
				if err := pol.allowURL(it.u); err != nil {
					f.metrics.requests.WithLabelValues(it.u.Host, "refused").Inc()
					st.ArticleErrors = append(st.ArticleErrors, fmt.Errorf("%s: not fetched: %w", it.url, err))
					continue
				}
				if !take() {
					return st, nil
				}
				start := time.Now()
				art, err := f.article(ctx, it, src, opts.Source)
				st.FetchTime += time.Since(start)
				st.Fetched++
				if err != nil {
					if ctx.Err() != nil {
						return st, ctx.Err()
					}
					st.ArticleErrors = append(st.ArticleErrors, err)
					continue
				}
				if art.notModified {
					st.NotModified++
				}
				if err := visit(art.Article); err != nil {
					return st, err
				}
			}
			if !opts.Backfill || links == 0 || (dated > 0 && older == dated) {
				break
			}
			pageNo++
			pageURL, generated = nextPage(doc, page.FinalURL, listURL, src, pageNo)
			if u, err := url.Parse(pageURL); pageURL != "" && err == nil {
				if err := pol.allowURL(u); err != nil {
					st.ListErrors = append(st.ListErrors, fmt.Errorf("list page %s: not fetched: %w", pageURL, err))
					break
				}
			}
		}
	}
	return st, nil
}

// item is one matched link on a list page.
type item struct {
	url, title string
	u          *url.URL
	listed     time.Time
}

// listItems returns the links of a list page whose titles match, and how many links
// the link selector matched.
func listItems(doc *goquery.Document, base string, src *source) ([]item, int) {
	var out []item
	links := 0
	doc.FindMatcher(src.link).Each(func(_ int, a *goquery.Selection) {
		u := linkURL(a, base)
		if u == "" {
			return
		}
		parsed, err := url.Parse(u)
		if err != nil {
			return
		}
		links++
		title := linkTitle(a, src)
		if src.title != nil && !src.title.MatchString(title) {
			return
		}
		out = append(out, item{url: u, u: parsed, title: title, listed: listDate(a, src)})
	})
	return out, links
}

// linkTitle returns a link's title: its title attribute (list pages often cut the
// visible text short), else its text without the date that date_selector finds inside
// it ("<a><p>标题</p><p class=article-time>2025-10-28</p></a>").
func linkTitle(a *goquery.Selection, src *source) string {
	if t := collapse(a.AttrOr("title", "")); t != "" {
		return t
	}
	if src.date != nil {
		c := a.Clone()
		if dates := c.FindMatcher(src.date); dates.Length() > 0 {
			dates.Remove()
			return collapse(c.Text())
		}
	}
	return collapse(a.Text())
}

// listDate reads a link's date from its list item (the nearest <li>, else the link's
// parent): from the elements date_selector matches there, else from the item's text.
func listDate(a *goquery.Selection, src *source) time.Time {
	li := a.Closest("li")
	if li.Length() == 0 {
		li = a.Parent()
	}
	if src.date != nil {
		var t time.Time
		li.FindMatcher(src.date).EachWithBreak(func(_ int, s *goquery.Selection) bool {
			t = ParseDate(s.Text())
			return t.IsZero()
		})
		if !t.IsZero() {
			return t
		}
	}
	return ParseDate(li.Text())
}

// linkURL resolves the target of a link against base. Besides href it reads the
// attributes some CMSs use when href is a javascript: stub (tagname, data-href,
// data-url). Targets that are placeholders ("[NEXTPAGE]"), fragments or not http(s)
// yield "".
func linkURL(a *goquery.Selection, base string) string {
	for _, attr := range []string{"href", "tagname", "data-href", "data-url"} {
		raw := strings.TrimSpace(a.AttrOr(attr, ""))
		low := strings.ToLower(raw)
		if raw == "" || strings.HasPrefix(raw, "#") || strings.HasPrefix(low, "javascript:") || strings.HasPrefix(low, "mailto:") {
			continue
		}
		if strings.ContainsAny(raw, "[]") {
			return ""
		}
		b, err := url.Parse(base)
		if err != nil {
			return ""
		}
		u, err := b.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
			return ""
		}
		u.Fragment = ""
		return u.String()
	}
	return ""
}

// nextPage returns the URL of the list page after the current one: the link
// next_selector finds on it, else page pageNo of the source's page_pattern (relative
// to the list URL); generated reports the latter.
func nextPage(doc *goquery.Document, base, listURL string, src *source, pageNo int) (next string, generated bool) {
	if src.next != nil {
		if a := doc.FindMatcher(src.next).First(); a.Length() > 0 {
			if u := linkURL(a, base); u != "" {
				return u, false
			}
		}
	}
	if src.PagePattern == "" {
		return "", false
	}
	return PageURL(listURL, src.PagePattern, pageNo), true
}

type fetchedArticle struct {
	collectors.Article
	notModified bool
}

// article fetches one article page and reads its title, date and body text.
func (f *Fetcher) article(ctx context.Context, it item, src *source, source string) (fetchedArticle, error) {
	doc, page, err := f.document(ctx, it.url, src.Encoding, src.Delay)
	if err != nil {
		return fetchedArticle{}, err
	}
	body := doc.FindMatcher(src.body)
	if body.Length() == 0 {
		return fetchedArticle{}, fmt.Errorf("%s: body_selector %q matches nothing: has the article layout changed?", it.url, src.BodySelector)
	}
	text := Text(body)
	if text == "" {
		return fetchedArticle{}, fmt.Errorf("%s: body_selector %q matches only empty elements", it.url, src.BodySelector)
	}
	a := collectors.Article{
		Source: source, URL: page.FinalURL, Title: it.title, Published: it.listed,
		Retrieved: page.Retrieved, Text: text,
	}
	if a.Published.IsZero() {
		a.Published = PageDate(doc)
	}
	if a.Title == "" {
		a.Title = collapse(doc.Find("title").First().Text())
	}
	return fetchedArticle{Article: a, notModified: page.NotModified}, nil
}

// document fetches and decodes a page and parses it as HTML.
func (f *Fetcher) document(ctx context.Context, u, enc string, delay time.Duration) (*goquery.Document, *Page, error) {
	page, err := f.Get(ctx, u, delay)
	if err != nil {
		return nil, nil, err
	}
	text, _, err := Decode(page.Body, page.ContentType, enc)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", u, err)
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(text))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: parse HTML: %w", u, err)
	}
	return doc, page, nil
}

var dateRE = regexp.MustCompile(`(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})`)

// ParseDate finds the first date written as 2025-10-28, 2025/10/28, 2025.10.28 or
// 2025年10月28日 in s and returns its midnight in Asia/Shanghai, or the zero time.
func ParseDate(s string) time.Time {
	for _, m := range dateRE.FindAllStringSubmatch(s, 4) {
		y, _ := strconv.Atoi(m[1])
		mo, _ := strconv.Atoi(m[2])
		d, _ := strconv.Atoi(m[3])
		if y < 1990 || y > 2200 || mo < 1 || mo > 12 || d < 1 || d > 31 {
			continue
		}
		t := time.Date(y, time.Month(mo), d, 0, 0, 0, 0, obs.Shanghai)
		if t.Day() != d {
			continue // 2025-02-30
		}
		return t
	}
	return time.Time{}
}

// pageDateMeta are the <meta name> values Chinese government CMSs use for the
// publication date.
var pageDateMeta = []string{"PubDate", "pubdate", "publishdate", "PublishDate", "firstpublishedtime", "lastmodifiedtime"}

var publishedRE = regexp.MustCompile(`(?:发布|发表|印发|公开)(?:时间|日期)\s*[:：]?\s*(\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2})`)

// PageDate reads an article page's publication date from its <meta> tags or from a
// "发布时间：" line, or returns the zero time.
func PageDate(doc *goquery.Document) time.Time {
	for _, name := range pageDateMeta {
		if c, ok := doc.Find(`meta[name="` + name + `"]`).First().Attr("content"); ok {
			if t := ParseDate(c); !t.IsZero() {
				return t
			}
		}
	}
	if m := publishedRE.FindStringSubmatch(doc.Text()); m != nil {
		return ParseDate(m[1])
	}
	return time.Time{}
}

func collapse(s string) string { return strings.Join(strings.Fields(s), " ") }
