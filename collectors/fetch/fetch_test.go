package fetch_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/trademon/trademon/collectors/fetch"
	"github.com/trademon/trademon/collectors/internal/sitetest"
	"github.com/trademon/trademon/internal/settings"
)

const ua = "trademon/0.1 (+https://github.com/trademon/trademon; test)"

func fetchConfig() settings.Fetch {
	return settings.Fetch{UserAgent: ua, Timeout: 2 * time.Second, MaxBodyBytes: 64 << 10, Retries: 3, RespectRobots: true}
}

func newFetcher(t *testing.T, cfg settings.Fetch, reg prometheus.Registerer, cache bool) *fetch.Fetcher {
	t.Helper()
	opts := fetch.Options{Backoff: time.Millisecond, MaxBackoff: 4 * time.Millisecond, Registerer: reg}
	if cache {
		opts.CacheDir = t.TempDir()
	}
	f, err := fetch.New(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// recorder is a test server that logs each request's arrival.
type recorder struct {
	mu   sync.Mutex
	hits []hit
}

type hit struct {
	path, ua, ifNoneMatch, ifModifiedSince string
	at                                     time.Time
}

func (r *recorder) record(req *http.Request) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.hits = append(r.hits, hit{req.URL.Path, req.UserAgent(), req.Header.Get("If-None-Match"), req.Header.Get("If-Modified-Since"), time.Now()})
}

func (r *recorder) all() []hit {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]hit(nil), r.hits...)
}

func (r *recorder) count(path string) int {
	n := 0
	for _, h := range r.all() {
		if h.path == path {
			n++
		}
	}
	return n
}

func TestPolitenessDelayPerHost(t *testing.T) {
	const delay = 120 * time.Millisecond
	rec := &recorder{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/robots.txt" {
			rec.record(r)
		}
		fmt.Fprint(w, "<html><body>ok</body></html>")
	}))
	defer srv.Close()
	f := newFetcher(t, fetchConfig(), nil, false)
	ctx := context.Background()
	// Two goroutines share the host: the delay must hold across them too.
	var wg sync.WaitGroup
	for g := range 2 {
		wg.Go(func() {
			for i := range 3 {
				if _, err := f.Get(ctx, fmt.Sprintf("%s/page/%d/%d.html", srv.URL, g, i), delay); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	hits := rec.all()
	if len(hits) != 6 {
		t.Fatalf("server saw %d requests, want 6", len(hits))
	}
	for i, h := range hits {
		if !strings.Contains(h.ua, "trademon") {
			t.Errorf("request %d: user agent %q does not name trademon", i, h.ua)
		}
		if i == 0 {
			continue
		}
		if gap := h.at.Sub(hits[i-1].at); gap < delay {
			t.Errorf("requests %d and %d to %s were %s apart, want at least %s", i-1, i, srv.Listener.Addr(), gap, delay)
		}
	}
}

func TestRetries(t *testing.T) {
	tests := []struct {
		name      string
		statuses  []int // answers in turn; the last repeats
		retries   int
		wantCalls int
		wantErr   bool
		retryable bool
	}{
		{"5xx then success", []int{500, 502, 200}, 3, 3, false, false},
		{"5xx until retries run out", []int{503}, 3, 4, true, true},
		{"no retries configured", []int{500}, 0, 1, true, true},
		{"404 is final", []int{404, 200}, 3, 1, true, false},
		{"403 is final", []int{403, 200}, 3, 1, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			calls := 0
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				code := tt.statuses[min(calls, len(tt.statuses)-1)]
				calls++
				mu.Unlock()
				w.WriteHeader(code)
				fmt.Fprintf(w, "<html>%d</html>", code)
			}))
			defer srv.Close()
			cfg := fetchConfig()
			cfg.Retries = tt.retries
			cfg.RespectRobots = false
			reg := prometheus.NewRegistry()
			p, err := newFetcher(t, cfg, reg, false).Get(context.Background(), srv.URL+"/x.html", 0)
			if calls != tt.wantCalls {
				t.Errorf("server saw %d requests, want %d", calls, tt.wantCalls)
			}
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				var se *fetch.StatusError
				if !errors.As(err, &se) {
					t.Fatalf("err = %v, want a *StatusError", err)
				}
				if fetch.Retryable(err) != tt.retryable {
					t.Errorf("Retryable(%v) = %v", err, !tt.retryable)
				}
				return
			}
			if p.Attempts != tt.wantCalls || string(p.Body) != "<html>200</html>" {
				t.Errorf("page after %d attempts: %q", p.Attempts, p.Body)
			}
			host := strings.TrimPrefix(srv.URL, "http://")
			if got := sitetest.Metric(t, reg, "trademon_fetch_retries_total", map[string]string{"host": host}); got != float64(tt.wantCalls-1) {
				t.Errorf("retries metric = %v, want %d", got, tt.wantCalls-1)
			}
		})
	}
}

func TestTimeoutIsRetriedThenFails(t *testing.T) {
	rec := &recorder{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.record(r)
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	defer srv.Close()
	cfg := fetchConfig()
	cfg.Timeout = 50 * time.Millisecond
	cfg.Retries = 1
	cfg.RespectRobots = false
	_, err := newFetcher(t, cfg, nil, false).Get(context.Background(), srv.URL+"/slow.html", 0)
	if err == nil || !fetch.IsTimeout(err) {
		t.Fatalf("err = %v, want a timeout", err)
	}
	if n := rec.count("/slow.html"); n != 2 {
		t.Errorf("server saw %d requests, want 2 (one retry)", n)
	}
}

func TestTruncatedBodyIsRetried(t *testing.T) {
	rec := &recorder{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec.record(r)
		if rec.count("/cut.html") == 1 {
			// Promise more than is sent, then hang up.
			w.Header().Set("Content-Length", "1000")
			io.WriteString(w, "<html><body><div class=articleBox>1-8月，全市社会消费品零")
			return
		}
		io.WriteString(w, "<html><body>whole</body></html>")
	}))
	defer srv.Close()
	cfg := fetchConfig()
	cfg.RespectRobots = false
	p, err := newFetcher(t, cfg, nil, false).Get(context.Background(), srv.URL+"/cut.html", 0)
	if err != nil {
		t.Fatal(err)
	}
	if p.Attempts != 2 || !strings.Contains(string(p.Body), "whole") {
		t.Errorf("attempts %d, body %q: want the whole page on the second attempt", p.Attempts, p.Body)
	}
}

func TestConditionalRequests(t *testing.T) {
	tests := []struct {
		name string
		set  func(h http.Header)
		// fresh reports whether the request's validators match.
		fresh func(r *http.Request) bool
	}{
		{"etag", func(h http.Header) { h.Set("ETag", `"v1"`) }, func(r *http.Request) bool { return r.Header.Get("If-None-Match") == `"v1"` }},
		{"last-modified", func(h http.Header) { h.Set("Last-Modified", "Tue, 28 Oct 2025 01:00:00 GMT") },
			func(r *http.Request) bool {
				return r.Header.Get("If-Modified-Since") == "Tue, 28 Oct 2025 01:00:00 GMT"
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			codes := []int{}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				tt.set(w.Header())
				code := http.StatusOK
				if tt.fresh(r) {
					code = http.StatusNotModified
				}
				mu.Lock()
				codes = append(codes, code)
				mu.Unlock()
				w.WriteHeader(code)
				if code == http.StatusOK {
					io.WriteString(w, "<html>list</html>")
				}
			}))
			defer srv.Close()
			cfg := fetchConfig()
			cfg.RespectRobots = false
			reg := prometheus.NewRegistry()
			f := newFetcher(t, cfg, reg, true)
			ctx := context.Background()
			first, err := f.Get(ctx, srv.URL+"/index.html", 0)
			if err != nil {
				t.Fatal(err)
			}
			second, err := f.Get(ctx, srv.URL+"/index.html", 0)
			if err != nil {
				t.Fatal(err)
			}
			if first.NotModified || !second.NotModified {
				t.Errorf("NotModified: first %v, second %v; want false, true", first.NotModified, second.NotModified)
			}
			if string(second.Body) != "<html>list</html>" {
				t.Errorf("second body %q, want the cached page", second.Body)
			}
			if fmt.Sprint(codes) != "[200 304]" {
				t.Errorf("server answered %v, want [200 304]", codes)
			}
			host := strings.TrimPrefix(srv.URL, "http://")
			if n := sitetest.Metric(t, reg, "trademon_fetch_requests_total", map[string]string{"host": host, "result": "not_modified"}); n != 1 {
				t.Errorf("not_modified requests = %v, want 1", n)
			}
		})
	}
}

func TestRobotsTxt(t *testing.T) {
	for _, respect := range []bool{true, false} {
		t.Run(fmt.Sprintf("respect=%v", respect), func(t *testing.T) {
			rec := &recorder{}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				rec.record(r)
				if r.URL.Path == "/robots.txt" {
					io.WriteString(w, "User-agent: *\nDisallow: /private/\n")
					return
				}
				io.WriteString(w, "<html>page</html>")
			}))
			defer srv.Close()
			cfg := fetchConfig()
			cfg.RespectRobots = respect
			f := newFetcher(t, cfg, nil, false)
			_, errPrivate := f.Get(context.Background(), srv.URL+"/private/list.html", 0)
			_, errPublic := f.Get(context.Background(), srv.URL+"/public/list.html", 0)
			if errPublic != nil {
				t.Fatal(errPublic)
			}
			if respect {
				if !errors.Is(errPrivate, fetch.ErrRobots) {
					t.Errorf("disallowed path: err = %v, want ErrRobots", errPrivate)
				}
				if n := rec.count("/private/list.html"); n != 0 {
					t.Errorf("server saw %d requests for the disallowed path", n)
				}
				if fetch.Retryable(errPrivate) {
					t.Error("a robots.txt refusal must not be retried")
				}
			} else if errPrivate != nil || rec.count("/private/list.html") != 1 {
				t.Errorf("respect_robots off: err %v, %d requests; want the page", errPrivate, rec.count("/private/list.html"))
			}
		})
	}
}

func TestMaxBodyBytes(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := 2048
		if r.URL.Path == "/big.html" {
			n = 2049
		}
		io.WriteString(w, strings.Repeat("x", n))
	}))
	defer srv.Close()
	cfg := fetchConfig()
	cfg.MaxBodyBytes = 2048
	cfg.RespectRobots = false
	f := newFetcher(t, cfg, nil, false)
	p, err := f.Get(context.Background(), srv.URL+"/fits.html", 0)
	if err != nil || len(p.Body) != 2048 {
		t.Fatalf("a body at the cap: %v, %d bytes", err, len(p.Body))
	}
	if _, err := f.Get(context.Background(), srv.URL+"/big.html", 0); !errors.Is(err, fetch.ErrTooLarge) {
		t.Fatalf("a body over the cap: err = %v, want ErrTooLarge", err)
	}
}

func TestGetRejectsBadURL(t *testing.T) {
	f := newFetcher(t, fetchConfig(), nil, false)
	for _, u := range []string{"", "ftp://x/y", "/relative.html", "http://"} {
		if _, err := f.Get(context.Background(), u, 0); err == nil || !strings.Contains(err.Error(), "not an absolute http(s) URL") {
			t.Errorf("Get(%q): err = %v", u, err)
		}
	}
}
