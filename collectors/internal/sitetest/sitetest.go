// Package sitetest serves fixture copies of the government sites collectors read, for
// end-to-end tests on loopback: list pages with pagination and article pages shaped
// like the real ones, in UTF-8 or GBK, with or without a charset header, with ETags
// (so a second run gets 304s), robots.txt, and hooks for failures (500s, slow answers,
// truncated bodies). It also builds a real config, fetcher and embedded store around a
// site, runs a collector, and compares what it stored with golden files.
//
// It is test support: only _test.go files import it.
package sitetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/trademon/trademon/collectors"
	"github.com/trademon/trademon/collectors/fetch"
	"github.com/trademon/trademon/collectors/internal/golden"
	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/settings"
	"github.com/trademon/trademon/internal/store"
	"github.com/trademon/trademon/internal/store/embedded"
)

// Options shape how a Site serves its files.
type Options struct {
	// GBK serves .html files encoded in GBK (GB18030) instead of UTF-8, and writes
	// "gb2312" for {{CHARSET}} in them.
	GBK bool
	// HeaderCharset is the charset named in the Content-Type header; empty names none
	// ("text/html"), which is what many of these servers send.
	HeaderCharset string
	// Validators sends an ETag and a Last-Modified and answers conditional requests
	// with 304 when the page is unchanged.
	Validators bool
	// Robots is the robots.txt body; empty answers 404 (everything allowed).
	Robots string
}

// request is one request a Site received.
type request struct {
	path   string
	status int
}

// Site is a fixture web site on loopback.
type Site struct {
	*httptest.Server
	dir  string
	opts Options

	mu    sync.Mutex
	reqs  []request
	hooks map[string]http.HandlerFunc
	subst map[string]string
}

// lastModified is the Last-Modified of every fixture page: fixed, so that runs agree.
var lastModified = time.Date(2025, 10, 28, 1, 0, 0, 0, time.UTC)

// New serves the files under dir (a testdata/site directory) until the test ends.
// In .html files {{BASE}} becomes the site's URL and {{CHARSET}} the page's encoding.
func New(t testing.TB, dir string, opts Options) *Site {
	t.Helper()
	s := &Site{dir: dir, opts: opts, hooks: map[string]http.HandlerFunc{}, subst: map[string]string{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// Shared returns the directory of a fixture site that several collectors read: "tjj"
// is the statistics bureau's site (tjj.sz.gov.cn), where both the retail and the trade
// collectors find their figures.
func Shared(name string) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "testdata", name)
}

// Hook replaces the answer for one path (e.g. to fail with 500, or stall).
func (s *Site) Hook(p string, h http.HandlerFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hooks[p] = h
}

// Replace substitutes new for old in every page served from now on (to change a page
// between two runs).
func (s *Site) Replace(old, new string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.subst[old] = new
}

// Count returns how many requests for path p were answered with status (any status
// when status is 0).
func (s *Site) Count(p string, status int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.reqs {
		if r.path == p && (status == 0 || r.status == status) {
			n++
		}
	}
	return n
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (w *statusRecorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the connection (to hijack it and close
// it, as a reset would).
func (w *statusRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusRecorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (s *Site) serve(w http.ResponseWriter, r *http.Request) {
	rec := &statusRecorder{ResponseWriter: w}
	defer func() {
		s.mu.Lock()
		s.reqs = append(s.reqs, request{path: r.URL.Path, status: rec.status})
		s.mu.Unlock()
	}()
	s.mu.Lock()
	hook := s.hooks[r.URL.Path]
	s.mu.Unlock()
	if hook != nil {
		hook(rec, r)
		return
	}
	s.serveFile(rec, r)
}

func (s *Site) serveFile(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/robots.txt" {
		if s.opts.Robots == "" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte(s.opts.Robots))
		return
	}
	p := path.Clean(r.URL.Path)
	if strings.HasSuffix(r.URL.Path, "/") {
		p = path.Join(p, "index.html")
	}
	body, err := os.ReadFile(filepath.Join(s.dir, filepath.FromSlash(strings.TrimPrefix(p, "/"))))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	if strings.HasSuffix(p, ".html") {
		body = s.render(body)
	}
	ct := "text/html"
	if s.opts.HeaderCharset != "" {
		ct += "; charset=" + s.opts.HeaderCharset
	}
	w.Header().Set("Content-Type", ct)
	if s.opts.Validators {
		sum := sha256.Sum256(body)
		etag := `"` + hex.EncodeToString(sum[:8]) + `"`
		w.Header().Set("ETag", etag)
		w.Header().Set("Last-Modified", lastModified.Format(http.TimeFormat))
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	_, _ = w.Write(body)
}

func (s *Site) render(body []byte) []byte {
	charset := "utf-8"
	if s.opts.GBK {
		charset = "gb2312"
	}
	text := strings.NewReplacer("{{BASE}}", s.URL, "{{CHARSET}}", charset).Replace(string(body))
	s.mu.Lock()
	for old, new := range s.subst {
		text = strings.ReplaceAll(text, old, new)
	}
	s.mu.Unlock()
	if !s.opts.GBK {
		return []byte(text)
	}
	return GBK(text)
}

// GBK encodes s in GBK (GB18030), as a GBK site would serve it.
func GBK(s string) []byte {
	out, err := simplifiedchinese.GB18030.NewEncoder().String(s)
	if err != nil {
		panic(fmt.Sprintf("sitetest: encode GBK: %v", err))
	}
	return []byte(out)
}

// Config loads a config whose text is yaml with {{BASE}} replaced by base (a site's
// URL) and {{DIR}} by a fresh temporary directory (for store.path), through
// settings.Load, the way trademon loads its config file.
func Config(t testing.TB, yaml, base string) *settings.Config {
	t.Helper()
	dir := t.TempDir()
	text := strings.NewReplacer("{{BASE}}", base, "{{DIR}}", filepath.ToSlash(dir)).Replace(yaml)
	file := filepath.Join(dir, "trademon.yaml")
	if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := settings.Load(file, settings.Options{Env: []string{}, CheckSource: fetch.CheckSource})
	if err != nil {
		t.Fatalf("load fixture config: %v", err)
	}
	return cfg
}

// Env is a collector wired as trademon wires it: a real fetcher with its HTTP cache,
// an embedded store, a runner, and a metrics registry.
type Env struct {
	Config   *settings.Config
	Store    *embedded.Store
	Fetcher  *fetch.Fetcher
	Runner   *collectors.Runner
	Registry *prometheus.Registry
}

// Setup builds an Env for the collectors factories names (name → factory) from cfg,
// with the store and the HTTP cache under cfg.Store.Path. Retries back off by 1ms.
// now, when not nil, is the runner's clock.
func Setup(t testing.TB, cfg *settings.Config, factories map[string]collectors.Factory, now func() time.Time) *Env {
	t.Helper()
	st, err := embedded.Open(cfg.Store.Path, embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return SetupWithStore(t, cfg, st, factories, now)
}

// SetupWithStore is Setup with a store already open (so that a second Env can share
// the first one's store).
func SetupWithStore(t testing.TB, cfg *settings.Config, st *embedded.Store, factories map[string]collectors.Factory, now func() time.Time) *Env {
	t.Helper()
	reg := prometheus.NewRegistry()
	f, err := fetch.New(cfg.Fetch, fetch.Options{
		CacheDir: filepath.Join(cfg.Store.Path, "http-cache"), HostDelays: fetch.HostDelays(cfg.Collectors),
		Backoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, Registerer: reg,
	})
	if err != nil {
		t.Fatal(err)
	}
	var cols []collectors.Collector
	names := make([]string, 0, len(factories))
	for n := range factories {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		c, err := factories[n](cfg.Collectors[n], collectors.Deps{Fetcher: f})
		if err != nil {
			t.Fatal(err)
		}
		cols = append(cols, c)
	}
	r, err := collectors.NewRunner(collectors.RunnerOptions{
		Collectors: cols, Config: cfg.Collectors, Store: st, Registerer: reg, Now: now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return &Env{Config: cfg, Store: st, Fetcher: f, Runner: r, Registry: reg}
}

// Stored returns every observation in the store.
func (e *Env) Stored(t testing.TB) []obs.Observation {
	t.Helper()
	all, err := e.Store.Query(context.Background(), store.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	return all
}

// Find returns the stored observation with the given indicator, basis and period, or
// fails the test.
func (e *Env) Find(t testing.TB, indicator string, basis obs.Basis, period string) obs.Observation {
	t.Helper()
	for _, o := range e.Stored(t) {
		if o.Indicator == indicator && o.Basis == basis && o.Period.String() == period {
			return o
		}
	}
	t.Fatalf("no stored %s %s %s", indicator, basis, period)
	return obs.Observation{}
}

// Golden compares observations, as JSON lines with the site's URL written as
// http://fixture and the retrieval time left out, with the golden file; -update
// rewrites it (see package golden).
func Golden(t testing.TB, file, base string, got []obs.Observation) {
	t.Helper()
	var buf bytes.Buffer
	for _, o := range got {
		o.RetrievedAt = time.Time{}
		o.URL = strings.ReplaceAll(o.URL, base, "http://fixture")
		b, err := json.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		buf.Write(b)
		buf.WriteByte('\n')
	}
	golden.Bytes(t, file, buf.Bytes())
}

// Metric returns the value of the counter or gauge name with the given labels, or -1
// when there is no such series.
func Metric(t testing.TB, reg prometheus.Gatherer, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metrics:
		for _, m := range mf.GetMetric() {
			have := map[string]string{}
			for _, lp := range m.GetLabel() {
				have[lp.GetName()] = lp.GetValue()
			}
			for k, v := range labels {
				if have[k] != v {
					continue metrics
				}
			}
			switch {
			case m.Counter != nil:
				return m.GetCounter().GetValue()
			case m.Gauge != nil:
				return m.GetGauge().GetValue()
			}
		}
	}
	return -1
}
