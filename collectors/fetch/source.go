package fetch

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/andybalholm/cascadia"

	"github.com/trademon/trademon/internal/settings"
)

// source is a source's navigation compiled for a crawl: its selectors, its title
// pattern and the hosts it may fetch from. Config holds the text; this package, which
// uses it, compiles it.
type source struct {
	*settings.Source
	title                  *regexp.Regexp
	link, date, body, next cascadia.Selector
}

// CheckSource compiles what a source's config names for crawling — the CSS selectors,
// the title pattern and the page pattern — and returns what is wrong with each, keyed
// by the source key ("link_selector"). It is the settings.Options.CheckSource that
// trademon loads its config with, so that a selector that does not compile is a
// problem at load, with its file and line.
func CheckSource(s *settings.Source) []settings.SourceProblem {
	_, probs := compile(s)
	return probs
}

// compile compiles s, or reports every problem found.
func compile(s *settings.Source) (*source, []settings.SourceProblem) {
	var probs []settings.SourceProblem
	add := func(key, format string, args ...any) {
		probs = append(probs, settings.SourceProblem{Key: key, Msg: fmt.Sprintf(format, args...)})
	}
	sel := func(key, text string) cascadia.Selector {
		if text == "" {
			return nil // required ones are checked by settings
		}
		c, err := cascadia.Compile(text)
		if err != nil {
			add(key, "invalid CSS selector %q: %v", text, err)
			return nil
		}
		return c
	}
	c := &source{Source: s}
	c.link = sel("link_selector", s.LinkSelector)
	c.body = sel("body_selector", s.BodySelector)
	c.date = sel("date_selector", s.DateSelector)
	c.next = sel("next_selector", s.NextSelector)
	if s.PagePattern != "" {
		if !strings.Contains(s.PagePattern, "{n}") && !strings.Contains(s.PagePattern, "{i}") {
			add("page_pattern", "%q has no {n} or {i}: write the page number as {n} (2, 3, …) or {i} (1, 2, …), e.g. \"index_{n}.html\"", s.PagePattern)
		} else if len(s.ListURLs) > 0 {
			if _, err := pageURL(s.ListURLs[0], s.PagePattern, 2); err != nil {
				add("page_pattern", "%q does not make a URL: %v", s.PagePattern, err)
			}
		}
	}
	re, err := regexp.Compile(s.TitlePattern)
	if err != nil {
		add("title_pattern", "invalid regular expression %q: %v", s.TitlePattern, err)
	}
	c.title = re
	if len(probs) > 0 {
		return nil, probs
	}
	return c, nil
}

// errSourceConfig wraps a source whose config does not compile (it was not loaded
// through settings.Load with CheckSource).
var errSourceConfig = errors.New("source config does not compile")

// compileErr is compile for a crawl: the problems joined into one error.
func compileErr(s *settings.Source) (*source, error) {
	c, probs := compile(s)
	if len(probs) == 0 && (c.link == nil || c.body == nil) {
		probs = append(probs, settings.SourceProblem{Key: "link_selector, body_selector", Msg: "must not be empty"})
	}
	if len(probs) == 0 {
		return c, nil
	}
	msgs := make([]string, len(probs))
	for i, p := range probs {
		msgs[i] = p.Key + ": " + p.Msg
	}
	return nil, fmt.Errorf("%w: %s", errSourceConfig, strings.Join(msgs, "; "))
}

// PageURL returns list page n (n ≥ 2) of a source whose page_pattern is pattern,
// resolved against listURL: PageURL("https://h/a/index.html", "index_{n}.html", 2) is
// "https://h/a/index_2.html". It returns "" when the result is not a URL; CheckSource
// has checked the pattern, so that happens only for patterns it did not see.
func PageURL(listURL, pattern string, n int) string {
	u, err := pageURL(listURL, pattern, n)
	if err != nil {
		return ""
	}
	return u
}

func pageURL(listURL, pattern string, n int) (string, error) {
	ref := strings.NewReplacer("{n}", strconv.Itoa(n), "{i}", strconv.Itoa(n-1)).Replace(pattern)
	base, err := url.Parse(listURL)
	if err != nil {
		return "", err
	}
	u, err := base.Parse(ref)
	if err != nil {
		return "", err
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("not an http(s) URL: %s", u)
	}
	return u.String(), nil
}
