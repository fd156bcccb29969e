// Package server is trademon's HTTP server: /metrics (Prometheus), /healthz (the
// process is alive), /readyz (the store answers), JSON errors, security headers on
// every response, an access log and graceful shutdown. Other packages mount their pages and APIs on it with Handle —
// the overview page at "/", the collectors' status at "/collectors", the API under
// "/api/v1/".
package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Pinger is what readiness needs of the store.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Options configure a Server. Zero durations take the defaults below.
type Options struct {
	// Logger receives the access log (debug) and server errors; nil discards.
	Logger *slog.Logger
	// Registry is gathered by /metrics; the server registers its own request metrics in
	// it. Use NewRegistry for one with the Go and process collectors. Nil makes one.
	Registry *prometheus.Registry
	// Store is pinged by /readyz; nil means always ready.
	Store Pinger
	// ReadHeaderTimeout, ReadTimeout, WriteTimeout and IdleTimeout bound a connection.
	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	// ShutdownTimeout bounds how long in-flight requests may take to finish once
	// shutdown begins; then connections are closed.
	ShutdownTimeout time.Duration
	// PingTimeout bounds the store ping of one /readyz request.
	PingTimeout time.Duration
}

// Defaults of Options.
const (
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultReadTimeout       = 30 * time.Second
	DefaultWriteTimeout      = 60 * time.Second
	DefaultIdleTimeout       = 2 * time.Minute
	DefaultShutdownTimeout   = 10 * time.Second
	DefaultPingTimeout       = 5 * time.Second
)

// Server serves trademon's HTTP endpoints. Mount handlers with Handle before Serve.
type Server struct {
	opts    Options
	log     *slog.Logger
	reg     *prometheus.Registry
	mux     *http.ServeMux
	mu      sync.Mutex
	started bool

	requests *prometheus.CounterVec
	inFlight prometheus.Gauge
}

// NewRegistry returns a registry holding the Go runtime and process collectors.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return reg
}

// New returns a server with /metrics, /healthz and /readyz mounted.
func New(opts Options) (*Server, error) {
	opts.ReadHeaderTimeout = orDefault(opts.ReadHeaderTimeout, DefaultReadHeaderTimeout)
	opts.ReadTimeout = orDefault(opts.ReadTimeout, DefaultReadTimeout)
	opts.WriteTimeout = orDefault(opts.WriteTimeout, DefaultWriteTimeout)
	opts.IdleTimeout = orDefault(opts.IdleTimeout, DefaultIdleTimeout)
	opts.ShutdownTimeout = orDefault(opts.ShutdownTimeout, DefaultShutdownTimeout)
	opts.PingTimeout = orDefault(opts.PingTimeout, DefaultPingTimeout)
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Registry == nil {
		opts.Registry = NewRegistry()
	}
	s := &Server{
		opts: opts,
		log:  opts.Logger.With("component", "http"),
		reg:  opts.Registry,
		mux:  http.NewServeMux(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "trademon_http_requests_total",
			Help: "HTTP requests served, by route pattern and status code.",
		}, []string{"handler", "code"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "trademon_http_requests_in_flight",
			Help: "HTTP requests being served now.",
		}),
	}
	if err := s.reg.Register(s.requests); err != nil {
		return nil, fmt.Errorf("server: register metrics: %w", err)
	}
	if err := s.reg.Register(s.inFlight); err != nil {
		return nil, fmt.Errorf("server: register metrics: %w", err)
	}
	s.Handle("GET /metrics", promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{
		ErrorLog:          errorLog{s.log},
		ErrorHandling:     promhttp.ContinueOnError,
		Registry:          s.reg,
		EnableOpenMetrics: true,
	}))
	s.Handle("GET /healthz", http.HandlerFunc(s.healthz))
	s.Handle("GET /readyz", http.HandlerFunc(s.readyz))
	return s, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// Handle mounts h at pattern (net/http.ServeMux syntax, e.g. "/", "GET /collectors",
// "/api/v1/"). It panics when called after Serve began, and, as ServeMux does, when the
// pattern is mounted twice or conflicts with one already mounted.
func (s *Server) Handle(pattern string, h http.Handler) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		panic("server: Handle(" + pattern + ") after Serve")
	}
	s.mux.Handle(pattern, h)
}

// Handler returns the server's full handler: every mounted pattern, a JSON 404 for
// paths nothing serves, the access log and request metrics.
func (s *Server) Handler() http.Handler {
	return s.instrument(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := s.mux.Handler(r); pattern == "" {
			unrouted(w, r, s.mux)
			return
		}
		s.mux.ServeHTTP(w, r)
	}))
}

// unrouted answers a request no pattern serves with the status ServeMux would give
// (404, or 405 with the Allow header), as a JSON error.
func unrouted(w http.ResponseWriter, r *http.Request, mux *http.ServeMux) {
	probe := &headerOnly{header: http.Header{}}
	mux.ServeHTTP(probe, r)
	switch probe.code {
	case http.StatusMethodNotAllowed:
		w.Header().Set("Allow", probe.header.Get("Allow"))
		Error(w, probe.code, fmt.Sprintf("method %s is not allowed on %s (allowed: %s)", r.Method, r.URL.Path, probe.header.Get("Allow")))
	case http.StatusMovedPermanently, http.StatusPermanentRedirect:
		mux.ServeHTTP(w, r)
	default:
		Error(w, http.StatusNotFound, "no such page: "+r.URL.Path)
	}
}

// headerOnly is a ResponseWriter that keeps the status and headers and drops the body.
type headerOnly struct {
	header http.Header
	code   int
}

func (h *headerOnly) Header() http.Header { return h.header }
func (h *headerOnly) WriteHeader(code int) {
	if h.code == 0 {
		h.code = code
	}
}
func (h *headerOnly) Write(b []byte) (int, error) {
	h.WriteHeader(http.StatusOK)
	return len(b), nil
}

// Serve serves on ln until ctx is done, then shuts down gracefully: it stops
// accepting, lets in-flight requests finish within the shutdown timeout, and returns.
// It returns nil after a clean shutdown.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	h := s.Handler()
	s.mu.Lock()
	s.started = true
	s.mu.Unlock()
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: s.opts.ReadHeaderTimeout,
		ReadTimeout:       s.opts.ReadTimeout,
		WriteTimeout:      s.opts.WriteTimeout,
		IdleTimeout:       s.opts.IdleTimeout,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	s.log.Info("listening", "addr", ln.Addr().String())
	select {
	case err := <-errc:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	s.log.Info("shutting down", "timeout", s.opts.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), s.opts.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
		<-errc
		return fmt.Errorf("http server: in-flight requests did not finish within %s: %w", s.opts.ShutdownTimeout, err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("http server: %w", err)
	}
	return nil
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	JSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if s.opts.Store != nil {
		ctx, cancel := context.WithTimeout(r.Context(), s.opts.PingTimeout)
		defer cancel()
		if err := s.opts.Store.Ping(ctx); err != nil {
			s.log.Warn("not ready: store ping failed", "err", err)
			Error(w, http.StatusServiceUnavailable, "store: "+err.Error())
			return
		}
	}
	JSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// JSON writes v as a JSON response with the status code. <, > and & in strings are
// escaped (\u003c, \u003e, \u0026), so that text echoed from a request, such as a
// path in a 404, is never markup, whatever a client makes of the body.
func JSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// securityHeaders are set on every response before the handler runs; a handler may
// replace one (a page that needs more than the policy allows says so itself). The
// policy fits pages rendered on the server without scripts: styles and images from
// trademon itself (inline styles and data: images too), forms that post back to it,
// and no framing, plugins, scripts, fonts or connections elsewhere.
var securityHeaders = map[string]string{
	"Content-Security-Policy": "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
	"X-Content-Type-Options":  "nosniff",
	"X-Frame-Options":         "DENY",
	"Referrer-Policy":         "no-referrer",
}

func setSecurityHeaders(h http.Header) {
	for k, v := range securityHeaders {
		h.Set(k, v)
	}
}

// Error writes the JSON error body {"error": msg} with the status code; use a 4xx
// code for bad requests and 5xx for failures of the server or what it depends on.
func Error(w http.ResponseWriter, code int, msg string) {
	JSON(w, code, map[string]string{"error": msg})
}

// recorder remembers the status code and size of a response.
type recorder struct {
	http.ResponseWriter
	code  int
	bytes int
}

func (r *recorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += n
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer (flush, deadlines).
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// Flush forwards to the underlying writer when it can flush.
func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// instrument adds the security headers, the access log (debug level), request counts
// by route pattern and status, and panic recovery with a JSON 500.
func (s *Server) instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		setSecurityHeaders(w.Header())
		rec := &recorder{ResponseWriter: w}
		s.inFlight.Inc()
		defer func() {
			s.inFlight.Dec()
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.Error("handler panicked", "method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(p))
				if rec.code == 0 {
					Error(rec, http.StatusInternalServerError, "internal error")
				}
			}
			if rec.code == 0 {
				rec.code = http.StatusOK
			}
			pattern := r.Pattern
			if pattern == "" {
				pattern = "none"
			}
			s.requests.WithLabelValues(pattern, strconv.Itoa(rec.code)).Inc()
			s.log.Debug("request", "method", r.Method, "path", r.URL.Path, "pattern", pattern,
				"status", rec.code, "bytes", rec.bytes, "duration", time.Since(start), "remote", r.RemoteAddr)
		}()
		next.ServeHTTP(rec, r)
	})
}

// errorLog adapts slog to promhttp's error logger.
type errorLog struct{ log *slog.Logger }

func (e errorLog) Println(v ...any) { e.log.Error("serving metrics", "err", fmt.Sprint(v...)) }
