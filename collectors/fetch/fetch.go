// Package fetch is trademon's shared, polite HTTP fetching for collectors, built on
// gocolly/colly: a user agent that names trademon, one politeness delay per host
// (host:port) shared by every collector, request timeouts, a cap on body size, retries
// with exponential backoff for 5xx answers, timeouts and broken connections (never for
// 4xx), conditional requests backed by a small on-disk cache so that an unchanged page
// costs a 304, robots.txt as RFC 9309 says (robots.go), and decoding of GBK pages
// whatever their headers say. Crawl walks a source's list pages to its articles
// (collectors.Fetcher), staying on the source's own hosts and refusing to connect to
// non-public addresses the source is not on (policy.go).
package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"mime"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"sync"
	"syscall"
	"time"

	"github.com/gocolly/colly/v2"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/trademon/trademon/internal/settings"
)

// Errors a fetch can end with, besides *StatusError and transport errors.
var (
	// ErrRobots: robots.txt disallows the URL for trademon's user agent.
	ErrRobots = errors.New("disallowed by robots.txt")
	// ErrTooLarge: the body exceeds fetch.max_body_bytes.
	ErrTooLarge = errors.New("response body exceeds fetch.max_body_bytes")
)

// StatusError is an HTTP answer other than 200 or 304.
type StatusError struct {
	URL  string
	Code int
}

// Error names the URL and the status.
func (e *StatusError) Error() string {
	return fmt.Sprintf("GET %s: HTTP %d %s", e.URL, e.Code, http.StatusText(e.Code))
}

// Page is one fetched page.
type Page struct {
	// URL is the address asked for; FinalURL the one answered after redirects.
	URL, FinalURL string
	// Body is the raw body, not decoded; ContentType the Content-Type header as sent
	// (with its charset, if any).
	Body        []byte
	ContentType string
	// NotModified reports that the server answered 304 and Body is the cached copy.
	NotModified bool
	// Attempts is the number of requests made (1 without retries).
	Attempts int
	// Retrieved is when the answer arrived.
	Retrieved time.Time
}

// Options tune a Fetcher beyond the fetch config.
type Options struct {
	// CacheDir holds the conditional-request cache; empty disables it.
	CacheDir string
	// HostDelays gives the politeness delay per host (host:port), usually from
	// HostDelays(cfg.Collectors); a host's delay is the largest of this and the delay
	// of the first request to it.
	HostDelays map[string]time.Duration
	// Backoff is the wait before the first retry, doubling for each further retry up
	// to MaxBackoff; defaults 1s and 30s.
	Backoff, MaxBackoff time.Duration
	// Registerer receives the fetch metrics; nil registers nothing.
	Registerer prometheus.Registerer
	// Logger receives fetch logs; nil discards them.
	Logger *slog.Logger
	// Resolver looks up host names, for the address checks; nil is net.DefaultResolver.
	Resolver Resolver
	// Now is the clock robots.txt answers expire by; nil is time.Now.
	Now func() time.Time
}

// Fetcher fetches pages politely. It is safe for concurrent use; share one per process.
type Fetcher struct {
	cfg        settings.Fetch
	base       *colly.Collector
	cache      *cache
	backoff    time.Duration
	maxBackoff time.Duration
	logger     *slog.Logger
	metrics    *metrics

	resolver  Resolver
	dialer    *net.Dialer
	transport *policyTransport
	robots    robotsCache
	now       func() time.Time

	mu         sync.Mutex
	rules      map[string]*colly.LimitRule
	hostDelays map[string]time.Duration
}

// declaredHeader carries the Content-Type as the server sent it, charset included.
// The transport strips the charset from Content-Type so that colly hands over the raw
// bytes and Decode alone decides the encoding.
const declaredHeader = "X-Trademon-Declared-Content-Type"

// New returns a Fetcher for cfg (the validated fetch section of the config).
func New(cfg settings.Fetch, opts Options) (*Fetcher, error) {
	f := &Fetcher{
		cfg: cfg, backoff: opts.Backoff, maxBackoff: opts.MaxBackoff, logger: opts.Logger,
		resolver: opts.Resolver, now: opts.Now, dialer: &net.Dialer{Timeout: cfg.Timeout, KeepAlive: 30 * time.Second},
		rules: map[string]*colly.LimitRule{}, hostDelays: map[string]time.Duration{},
	}
	if f.resolver == nil {
		f.resolver = net.DefaultResolver
	}
	if f.now == nil {
		f.now = time.Now
	}
	f.transport = &policyTransport{f: f, byKey: map[string]*http.Transport{}}
	if f.backoff <= 0 {
		f.backoff = time.Second
	}
	if f.maxBackoff < f.backoff {
		f.maxBackoff = max(30*time.Second, f.backoff)
	}
	if f.logger == nil {
		f.logger = slog.New(slog.DiscardHandler)
	}
	for h, d := range opts.HostDelays {
		f.hostDelays[h] = d
	}
	if opts.CacheDir != "" {
		c, err := newCache(opts.CacheDir)
		if err != nil {
			return nil, err
		}
		f.cache = c
	}
	m, err := newMetrics(opts.Registerer)
	if err != nil {
		return nil, err
	}
	f.metrics = m

	c := colly.NewCollector(
		colly.UserAgent(cfg.UserAgent),
		colly.AllowURLRevisit(),
		colly.ParseHTTPErrorResponse(),
	)
	// One byte over the cap tells a body at the cap from one cut off by it.
	c.MaxBodySize = cfg.MaxBodyBytes + 1
	// robots.txt is asked by robotsAllow, with the limits RFC 9309 sets, before
	// every page and after every redirect.
	c.IgnoreRobotsTxt = true
	c.WithTransport(rawCharsetTransport{next: f.transport})
	c.SetRequestTimeout(cfg.Timeout)
	c.SetRedirectHandler(f.checkRedirect)
	f.base = c
	return f, nil
}

// HostDelays returns, for every host (host:port) named in a list URL of an enabled or
// disabled collector, the largest delay any source on it declares, so that sources
// sharing a host share its slowest pace.
func HostDelays(cols settings.Collectors) map[string]time.Duration {
	out := map[string]time.Duration{}
	for _, col := range cols {
		for _, s := range col.Sources {
			for _, raw := range s.ListURLs {
				if u, err := url.Parse(raw); err == nil && u.Host != "" {
					out[u.Host] = max(out[u.Host], s.Delay)
				}
			}
		}
	}
	return out
}

// limit installs, once per host, a colly LimitRule with parallelism 1 and the host's
// delay. colly matches rules against the request's URL.Host, which includes the port,
// so the rule matches host:port exactly.
func (f *Fetcher) limit(host string, delay time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.rules[host]; ok {
		return
	}
	rule := &colly.LimitRule{
		DomainRegexp: "^" + regexp.QuoteMeta(host) + "$",
		Parallelism:  1,
		Delay:        max(delay, f.hostDelays[host]),
	}
	if err := f.base.Limit(rule); err != nil {
		// The pattern is a quoted literal; it always compiles.
		panic(fmt.Sprintf("fetch: limit rule for %s: %v", host, err))
	}
	f.rules[host] = rule
}

// Get fetches rawURL, waiting at least delay after the previous request to the same
// host, retrying 5xx answers, timeouts and broken connections with exponential backoff
// up to fetch.retries times. A page unchanged since it was cached is answered 304 and
// served from the cache.
//
// A page is fetched under the policy of the crawl that asks for it (only from the
// source's hosts, connecting only to public addresses or the source's own); called
// outside a crawl, the URL's own host is the source. Redirects are held to the same
// policy and to robots.txt, and Page.FinalURL is where the page was found.
func (f *Fetcher) Get(ctx context.Context, rawURL string, delay time.Duration) (*Page, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("fetch %q: not an absolute http(s) URL", rawURL)
	}
	host := u.Host
	pol := policyFrom(ctx)
	if pol == nil {
		pol = newPolicy(ctx, f.resolver, []string{rawURL}, nil)
		ctx = withPolicy(ctx, pol)
	}
	if err := pol.allowURL(u); err != nil {
		f.metrics.requests.WithLabelValues(host, "refused").Inc()
		return nil, fmt.Errorf("fetch %s: %w", rawURL, err)
	}
	if f.cfg.RespectRobots {
		if err := f.robotsAllow(ctx, u); err != nil {
			f.metrics.requests.WithLabelValues(host, resultOf(err)).Inc()
			return nil, fmt.Errorf("fetch %s: %w", rawURL, err)
		}
	}
	f.limit(host, delay)
	var lastErr error
	for attempt := range f.cfg.Retries + 1 {
		if attempt > 0 {
			wait := f.backoffFor(attempt)
			f.logger.Debug("retrying", "url", rawURL, "attempt", attempt+1, "wait", wait, "err", lastErr)
			f.metrics.retries.WithLabelValues(host).Inc()
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return nil, fmt.Errorf("fetch %s: %w (after: %w)", rawURL, ctx.Err(), lastErr)
			case <-t.C:
			}
		}
		p, err := f.once(ctx, rawURL)
		if err == nil {
			p.Attempts = attempt + 1
			f.metrics.requests.WithLabelValues(host, resultOK(p)).Inc()
			return p, nil
		}
		lastErr = err
		f.metrics.requests.WithLabelValues(host, resultOf(err)).Inc()
		if ctx.Err() != nil || !Retryable(err) {
			break
		}
	}
	return nil, lastErr
}

func (f *Fetcher) backoffFor(attempt int) time.Duration {
	d := f.backoff << (attempt - 1)
	if d <= 0 || d > f.maxBackoff {
		d = f.maxBackoff
	}
	// ±20% jitter keeps collectors that failed together from retrying together.
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

// once makes one request.
func (f *Fetcher) once(ctx context.Context, rawURL string) (*Page, error) {
	cached := f.cache.load(rawURL)
	hdr := http.Header{}
	hdr.Set("User-Agent", f.cfg.UserAgent)
	hdr.Set("Accept", "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8")
	if cached != nil {
		if cached.ETag != "" {
			hdr.Set("If-None-Match", cached.ETag)
		}
		if cached.LastModified != "" {
			hdr.Set("If-Modified-Since", cached.LastModified)
		}
	}
	cl := f.base.Clone()
	cl.Context = ctx
	var resp *colly.Response
	var transportErr error
	cl.OnResponse(func(r *colly.Response) { resp = r })
	cl.OnError(func(_ *colly.Response, err error) { transportErr = err })
	err := cl.Request(http.MethodGet, rawURL, nil, nil, hdr)
	if err == nil && transportErr != nil {
		err = transportErr
	}
	switch {
	case err != nil && ctx.Err() == nil && IsTimeout(err):
		return nil, fmt.Errorf("fetch %s: no answer within fetch.timeout (%s): %w", rawURL, f.cfg.Timeout, err)
	case err != nil:
		return nil, fmt.Errorf("fetch %s: %w", rawURL, err)
	case resp == nil:
		return nil, fmt.Errorf("fetch %s: no response", rawURL)
	}
	p := &Page{URL: rawURL, FinalURL: resp.Request.URL.String(), Retrieved: time.Now()}
	h := *resp.Headers
	p.ContentType = h.Get(declaredHeader)
	if p.ContentType == "" {
		p.ContentType = h.Get("Content-Type")
	}
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotModified:
		if cached == nil {
			return nil, fmt.Errorf("fetch %s: 304 Not Modified to an unconditional request", rawURL)
		}
		p.Body, p.NotModified = cached.body, true
		if p.ContentType == "" {
			p.ContentType = cached.ContentType
		}
		return p, nil
	default:
		return nil, &StatusError{URL: rawURL, Code: resp.StatusCode}
	}
	if len(resp.Body) > f.cfg.MaxBodyBytes {
		return nil, fmt.Errorf("fetch %s: %w (%d bytes)", rawURL, ErrTooLarge, f.cfg.MaxBodyBytes)
	}
	p.Body = resp.Body
	etag, lastMod := h.Get("ETag"), h.Get("Last-Modified")
	if etag == "" && lastMod == "" {
		f.cache.drop(rawURL)
		return p, nil
	}
	if err := f.cache.store(entry{URL: rawURL, ETag: etag, LastModified: lastMod, ContentType: p.ContentType, StoredAt: p.Retrieved}, p.Body); err != nil {
		// The page is fine; only the next request will not be conditional.
		f.logger.Warn("cannot cache page", "url", rawURL, "err", err)
		f.metrics.cacheErrors.Inc()
	}
	return p, nil
}

// maxRedirects is how many redirects a page fetch follows.
const maxRedirects = 10

// checkRedirect holds a redirect to the policy of the request it comes from: the
// target must be on one of the source's hosts and allowed by its robots.txt.
func (f *Fetcher) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= maxRedirects {
		return fmt.Errorf("stopped after %d redirects", len(via))
	}
	from := via[len(via)-1].URL
	pol := policyFrom(req.Context())
	if pol == nil {
		pol = newPolicy(req.Context(), f.resolver, []string{via[0].URL.String()}, nil)
	}
	if err := pol.allowURL(req.URL); err != nil {
		return fmt.Errorf("redirect from %s to %s: %w", from, req.URL, err)
	}
	if f.cfg.RespectRobots {
		if err := f.robotsAllow(req.Context(), req.URL); err != nil {
			return fmt.Errorf("redirect from %s to %s: %w", from, req.URL, err)
		}
	}
	return nil
}

// policyTransport sends each request through the transport of its policy's own
// addresses, so that a connection one source may make (to the address it is on) is
// never pooled for another that may not.
type policyTransport struct {
	f     *Fetcher
	mu    sync.Mutex
	byKey map[string]*http.Transport
}

// RoundTrip sends req with the transport of its policy.
func (t *policyTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	key := ""
	if p := policyFrom(req.Context()); p != nil {
		key = p.key
	}
	t.mu.Lock()
	tr := t.byKey[key]
	if tr == nil {
		tr = http.DefaultTransport.(*http.Transport).Clone()
		// A proxy would hide the address connected to; sources are fetched directly.
		tr.Proxy = nil
		tr.DialContext = t.f.dialContext
		t.byKey[key] = tr
	}
	t.mu.Unlock()
	return tr.RoundTrip(req)
}

// Retryable reports whether a failed fetch may succeed if tried again: a 5xx answer,
// a timeout, or a connection that broke or was refused. 4xx answers, robots.txt
// refusals, hosts and addresses the source may not fetch, and oversized bodies are
// final.
func Retryable(err error) bool {
	var se *StatusError
	if errors.As(err, &se) {
		return se.Code >= 500
	}
	if errors.Is(err, ErrRobots) || errors.Is(err, ErrTooLarge) || errors.Is(err, context.Canceled) ||
		errors.Is(err, ErrHostNotAllowed) || errors.Is(err, ErrAddressNotAllowed) {
		return false
	}
	if IsTimeout(err) {
		return true
	}
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EPIPE)
}

// IsTimeout reports whether err is a request timeout.
func IsTimeout(err error) bool {
	var ne net.Error
	return (errors.As(err, &ne) && ne.Timeout()) || errors.Is(err, context.DeadlineExceeded)
}

func resultOK(p *Page) string {
	if p.NotModified {
		return "not_modified"
	}
	return "ok"
}

func resultOf(err error) string {
	var se *StatusError
	switch {
	case errors.As(err, &se) && se.Code >= 500:
		return "http_5xx"
	case errors.As(err, &se):
		return "http_4xx"
	case errors.Is(err, ErrRobots):
		return "robots"
	case errors.Is(err, ErrHostNotAllowed), errors.Is(err, ErrAddressNotAllowed):
		return "refused"
	case errors.Is(err, ErrTooLarge):
		return "too_large"
	case IsTimeout(err):
		return "timeout"
	}
	return "error"
}

// rawCharsetTransport moves the charset parameter out of Content-Type (into
// declaredHeader) so that colly does not convert the body itself.
type rawCharsetTransport struct{ next http.RoundTripper }

// RoundTrip makes the request and moves the charset out of the answer's Content-Type.
func (t rawCharsetTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	ct := resp.Header.Get("Content-Type")
	if mt, params, perr := mime.ParseMediaType(ct); perr == nil && params["charset"] != "" {
		resp.Header.Set(declaredHeader, ct)
		resp.Header.Set("Content-Type", mt)
	}
	return resp, nil
}

type metrics struct {
	requests    *prometheus.CounterVec
	retries     *prometheus.CounterVec
	robots      *prometheus.CounterVec
	cacheErrors prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "trademon_fetch_requests_total",
			Help: "HTTP requests made (or refused) by collectors, by host and result (ok, not_modified, http_4xx, http_5xx, timeout, robots, refused: a host or address the source may not fetch, too_large, error).",
		}, []string{"host", "result"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "trademon_fetch_retries_total",
			Help: "Requests retried after a 5xx answer, a timeout or a broken connection, by host.",
		}, []string{"host"}),
		robots: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "trademon_fetch_robots_total",
			Help: "robots.txt files fetched, by result (ok: parsed; unavailable: 4xx or too many redirects, all allowed; unreachable: 5xx or a failure, all disallowed for now).",
		}, []string{"result"}),
		cacheErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "trademon_fetch_cache_errors_total",
			Help: "Pages that could not be written to the conditional-request cache.",
		}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.requests, m.retries, m.robots, m.cacheErrors} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("fetch metrics: %w", err)
		}
	}
	return m, nil
}
