package fetch

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"sync"
	"time"

	"github.com/temoto/robotstxt"
)

// robots.txt handling, as RFC 9309 says.
const (
	// robotsMaxBytes is how much of a robots.txt is read and parsed (the RFC's
	// minimum, 500 KiB); the rest is neither read nor kept.
	robotsMaxBytes = 500 << 10
	// robotsMaxRedirects is how many redirects are followed to a robots.txt; after
	// more, the file is taken for unavailable.
	robotsMaxRedirects = 5
	// robotsTTL is how long an answer is kept (the RFC: at most 24 hours).
	robotsTTL = 24 * time.Hour
	// robotsRetry is how long an unreachable robots.txt (a 5xx, a network failure,
	// no answer) keeps the host completely disallowed before it is asked again.
	robotsRetry = 5 * time.Minute
)

// robotsRules is what a host's robots.txt says, for one user agent.
type robotsRules struct {
	// group holds the rules for the user agent; nil allows everything.
	group *robotstxt.Group
	// disallowAll is set while the file is unreachable; why says why.
	disallowAll bool
	why         string
	expires     time.Time
}

// robotsCache holds the rules of every host asked, by scheme://host:port.
type robotsCache struct {
	mu    sync.Mutex
	hosts map[string]*robotsSlot
}

// robotsSlot serialises the fetches of one host's robots.txt.
type robotsSlot struct {
	mu    sync.Mutex
	rules *robotsRules
}

func (c *robotsCache) slot(key string) *robotsSlot {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.hosts == nil {
		c.hosts = map[string]*robotsSlot{}
	}
	s := c.hosts[key]
	if s == nil {
		s = &robotsSlot{}
		c.hosts[key] = s
	}
	return s
}

// robotsAllow reports a URL that the robots.txt of its host disallows for trademon's
// user agent, or that may not be fetched because that robots.txt is unreachable. The
// error wraps ErrRobots.
func (f *Fetcher) robotsAllow(ctx context.Context, u *url.URL) error {
	key := u.Scheme + "://" + u.Host
	s := f.robots.slot(key)
	s.mu.Lock()
	rules := s.rules
	if rules == nil || !f.now().Before(rules.expires) {
		var err error
		rules, err = f.fetchRobots(ctx, key+"/robots.txt")
		if err != nil {
			s.mu.Unlock()
			return err
		}
		s.rules = rules
	}
	s.mu.Unlock()
	switch {
	case rules.disallowAll:
		return fmt.Errorf("%w: %s, so every page of %s is disallowed for now (RFC 9309)", ErrRobots, rules.why, u.Host)
	case rules.group == nil:
		return nil
	}
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	if u.RawQuery != "" {
		path += "?" + u.RawQuery
	}
	if !rules.group.Test(path) {
		return ErrRobots
	}
	return nil
}

// errRobotsRedirects stops a robots.txt fetch after robotsMaxRedirects redirects.
var errRobotsRedirects = errors.New("too many redirects")

// fetchRobots asks for a robots.txt with the fetcher's transport (and so its address
// policy), timeout and user agent, and turns the answer into rules: 2xx parsed, 4xx
// (and more than five redirects) allow everything, 5xx and failures disallow
// everything for robotsRetry. The error, when not nil, is not about the file: the run
// ended, or the policy forbids connecting to the host's address (the page would be
// refused for the same reason); nothing is cached then.
func (f *Fetcher) fetchRobots(ctx context.Context, robotsURL string) (*robotsRules, error) {
	now := f.now()
	unreachable := func(why string) *robotsRules {
		f.metrics.robots.WithLabelValues("unreachable").Inc()
		return &robotsRules{disallowAll: true, why: "robots.txt unreachable (" + why + ")", expires: now.Add(robotsRetry)}
	}
	allowAll := func(result string) *robotsRules {
		f.metrics.robots.WithLabelValues(result).Inc()
		return &robotsRules{expires: now.Add(robotsTTL)}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, robotsURL, nil)
	if err != nil {
		return unreachable(err.Error()), nil
	}
	req.Header.Set("User-Agent", f.cfg.UserAgent)
	req.Header.Set("Accept", "text/plain,*/*;q=0.5")
	client := &http.Client{
		Transport: f.transport,
		Timeout:   f.cfg.Timeout,
		CheckRedirect: func(_ *http.Request, via []*http.Request) error {
			if len(via) > robotsMaxRedirects {
				return errRobotsRedirects
			}
			return nil
		},
	}
	resp, err := client.Do(req)
	switch {
	case ctx.Err() != nil:
		return nil, fmt.Errorf("robots.txt %s: %w", robotsURL, ctx.Err())
	case errors.Is(err, ErrAddressNotAllowed) && failedAt(err) == robotsURL:
		// The host itself may not be connected to (not a redirect elsewhere): say
		// that, not "robots.txt"; the page is refused for the same reason.
		return nil, errors.Unwrap(err)
	case errors.Is(err, errRobotsRedirects):
		return allowAll("unavailable"), nil
	case err != nil && IsTimeout(err):
		return unreachable(fmt.Sprintf("no answer within fetch.timeout (%s)", f.cfg.Timeout)), nil
	case err != nil:
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return unreachable(err.Error()), nil
	}
	defer resp.Body.Close()
	switch c := resp.StatusCode; {
	case c >= 500:
		return unreachable(fmt.Sprintf("HTTP %d %s", c, http.StatusText(c))), nil
	case c >= 300:
		// 4xx: unavailable, so no restrictions; a 3xx left over is not a file either.
		return allowAll("unavailable"), nil
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, int64(min(robotsMaxBytes, f.cfg.MaxBodyBytes))))
	if err != nil {
		return unreachable("reading it: " + err.Error()), nil
	}
	f.metrics.robots.WithLabelValues("ok").Inc()
	return &robotsRules{group: parseRobots(body, f.cfg.UserAgent), expires: now.Add(robotsTTL)}, nil
}

// failedAt returns the URL of the request a client error is about (after redirects,
// the last one), or "".
func failedAt(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.URL
	}
	return ""
}

// robotsLineRE matches the lines of a robots.txt that RFC 9309 gives meaning to.
var robotsLineRE = regexp.MustCompile(`(?i)^\s*(user-agent|allow|disallow|sitemap|crawl-delay)\s*:`)

// parseRobots parses a robots.txt leniently, as RFC 9309 asks: lines that are not
// records, and rules before the first user-agent line, are left out; a last line cut
// off by robotsMaxBytes is dropped. It returns the group for userAgent, nil when no
// group applies (everything allowed).
func parseRobots(body []byte, userAgent string) *robotstxt.Group {
	if len(body) == robotsMaxBytes {
		if i := bytes.LastIndexByte(body, '\n'); i >= 0 {
			body = body[:i+1]
		}
	}
	var kept bytes.Buffer
	inGroup := false
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 0, 4096), robotsMaxBytes)
	for sc.Scan() {
		line := sc.Bytes()
		m := robotsLineRE.FindSubmatch(line)
		if m == nil {
			continue
		}
		field := string(bytes.ToLower(m[1]))
		switch {
		case field == "user-agent":
			inGroup = true
		case field == "sitemap":
			continue
		case !inGroup:
			continue
		}
		kept.Write(line)
		kept.WriteByte('\n')
	}
	data, err := robotstxt.FromBytes(kept.Bytes())
	if err != nil || data == nil {
		return nil
	}
	return data.FindGroup(userAgent)
}
