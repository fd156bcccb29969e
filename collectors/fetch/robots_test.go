package fetch_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trademon/trademon/collectors/fetch"
)

// TestRobotsTxtIsCapped is issue 10, hole 2: a robots.txt of 64 MB (300 MB made
// `collect` use 855 MB) is read no further than the 500 KiB RFC 9309 asks crawlers to
// parse, and its rules within that are obeyed.
func TestRobotsTxtIsCapped(t *testing.T) {
	var sent atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/robots.txt" {
			io.WriteString(w, "<html>page</html>")
			return
		}
		n, _ := io.WriteString(w, "User-agent: *\nDisallow: /private/\n")
		sent.Add(int64(n))
		line := strings.Repeat("#", 1023) + "\n"
		for range 64 << 10 { // 64 MB
			n, err := io.WriteString(w, line)
			sent.Add(int64(n))
			if err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	f := newFetcher(t, fetchConfig(), nil, false)
	if _, err := f.Get(context.Background(), srv.URL+"/private/list.html", 0); !errors.Is(err, fetch.ErrRobots) {
		t.Errorf("disallowed path: err = %v, want ErrRobots", err)
	}
	if _, err := f.Get(context.Background(), srv.URL+"/public/list.html", 0); err != nil {
		t.Errorf("allowed path: %v", err)
	}
	srv.CloseClientConnections()
	if n := sent.Load(); n > 8<<20 {
		t.Errorf("the server sent %d MB of robots.txt before trademon stopped reading; want at most the 500 KiB it parses (and buffers)", n>>20)
	}
}

// TestRobotsTxtAnswers checks that robots.txt answers are handled as RFC 9309 says:
// 2xx parsed, 4xx "unavailable" (everything allowed), 5xx and an unreachable file a
// complete disallow for the time being, up to five redirects followed and more taken
// for unavailable, and a file that does not parse read leniently. robots.txt is asked
// with the same timeout as any page.
func TestRobotsTxtAnswers(t *testing.T) {
	const rules = "User-agent: *\nDisallow: /private/\n"
	redirects := func(hops int) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			var n int
			fmt.Sscanf(r.URL.Query().Get("hop"), "%d", &n)
			if n < hops {
				http.Redirect(w, r, fmt.Sprintf("/robots.txt?hop=%d", n+1), http.StatusFound)
				return
			}
			io.WriteString(w, rules)
		}
	}
	tests := []struct {
		name   string
		robots http.HandlerFunc
		// private and public say whether /private/ and /public/ pages are fetched.
		private, public bool
	}{
		{"200 with rules", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, rules) }, false, true},
		{"404: unavailable, all allowed", http.NotFound, true, true},
		{"403: unavailable, all allowed", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "no", http.StatusForbidden) }, true, true},
		{"503: complete disallow", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "busy", http.StatusServiceUnavailable) }, false, false},
		{"connection reset: complete disallow", func(w http.ResponseWriter, r *http.Request) {
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
		}, false, false},
		{"no answer within fetch.timeout: complete disallow", func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
		}, false, false},
		{"five redirects: followed, rules obeyed", redirects(5), false, true},
		{"six redirects: unavailable, all allowed", redirects(6), true, true},
		{"redirected to the cloud metadata address: not asked, complete disallow", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://169.254.169.254/robots.txt", http.StatusFound)
		}, false, false},
		{"junk around the rules: read leniently", func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte("\x00\xff\xfe<html><body>\nDisallow: /public/\nUser-agent: *\n<p>junk</p>\nDisallow: /private/\nnot a rule\n"))
		}, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/robots.txt" {
					tt.robots(w, r)
					return
				}
				io.WriteString(w, "<html>page</html>")
			}))
			defer srv.Close()
			cfg := fetchConfig()
			cfg.Timeout = 300 * time.Millisecond
			f := newFetcher(t, cfg, nil, false)
			for _, c := range []struct {
				path string
				want bool
			}{{"/private/a.html", tt.private}, {"/public/a.html", tt.public}} {
				_, err := f.Get(context.Background(), srv.URL+c.path, 0)
				switch {
				case c.want && err != nil:
					t.Errorf("%s: %v, want the page", c.path, err)
				case !c.want && !errors.Is(err, fetch.ErrRobots):
					t.Errorf("%s: err = %v, want ErrRobots", c.path, err)
				case !c.want && fetch.Retryable(err):
					t.Errorf("%s: a robots.txt refusal must not be retried", c.path)
				}
			}
		})
	}
}

// TestRobotsTxtAnswersExpire checks that an unreachable robots.txt disallows the host
// only for the time being (it is asked again after five minutes), and that a good
// answer is kept for a day, no longer.
func TestRobotsTxtAnswersExpire(t *testing.T) {
	var robotsAsked atomic.Int32
	var healthy atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			robotsAsked.Add(1)
			if !healthy.Load() {
				http.Error(w, "busy", http.StatusServiceUnavailable)
				return
			}
			io.WriteString(w, "User-agent: *\nDisallow: /private/\n")
			return
		}
		io.WriteString(w, "<html>page</html>")
	}))
	defer srv.Close()
	clock := time.Date(2025, 10, 28, 9, 0, 0, 0, time.UTC)
	f, err := fetch.New(fetchConfig(), fetch.Options{Backoff: time.Millisecond, Now: func() time.Time { return clock }})
	if err != nil {
		t.Fatal(err)
	}
	get := func() error {
		_, err := f.Get(context.Background(), srv.URL+"/public/a.html", 0)
		return err
	}
	steps := []struct {
		advance time.Duration
		healthy bool
		fetched bool
		asked   int32
	}{
		{0, false, false, 1},             // 503: disallowed
		{time.Minute, true, false, 1},    // still within the retry wait: not asked again
		{5 * time.Minute, true, true, 2}, // asked again, now it answers
		{23 * time.Hour, true, true, 2},  // kept for a day
		{2 * time.Hour, false, false, 3}, // older than a day: asked again, 503 again
	}
	for i, s := range steps {
		clock = clock.Add(s.advance)
		healthy.Store(s.healthy)
		err := get()
		if s.fetched != (err == nil) || (!s.fetched && !errors.Is(err, fetch.ErrRobots)) {
			t.Errorf("step %d: err = %v, want fetched %v", i, err, s.fetched)
		}
		if n := robotsAsked.Load(); n != s.asked {
			t.Errorf("step %d: robots.txt asked %d times, want %d", i, n, s.asked)
		}
	}
}
