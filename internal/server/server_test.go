package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/store/embedded"
	"github.com/trademon/trademon/internal/store/storetest"
	"github.com/trademon/trademon/internal/testutil/tmpfs"
)

// logBuffer is a concurrency-safe buffer for a test's log output.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// started is a Server serving on a loopback port, with its base URL and logs.
type started struct {
	*Server
	url  string
	logs *logBuffer
	done chan error
	stop context.CancelFunc
}

func start(t *testing.T, opts Options, mount func(*Server)) *started {
	t.Helper()
	logs := &logBuffer{}
	opts.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if mount != nil {
		mount(s)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	st := &started{Server: s, url: "http://" + ln.Addr().String(), logs: logs, done: make(chan error, 1), stop: cancel}
	go func() { st.done <- s.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		<-st.done
	})
	return st
}

func get(t *testing.T, url string) (int, string, http.Header) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b), resp.Header
}

func openStore(t *testing.T) *embedded.Store {
	t.Helper()
	st, err := embedded.Open(t.TempDir(), embedded.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

func TestEndpoints(t *testing.T) {
	db := openStore(t)
	reg := NewRegistry()
	reg.MustRegister(db) // the store's own metrics
	s := start(t, Options{Registry: reg, Store: db}, func(s *Server) {
		s.Handle("GET /collectors", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			_, _ = io.WriteString(w, "collectors page")
		}))
		s.Handle("GET /panics", http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }))
	})

	tests := []struct {
		path string
		code int
		body string
		ct   string
	}{
		{"/healthz", 200, `{"status":"ok"}` + "\n", "application/json; charset=utf-8"},
		{"/readyz", 200, `{"status":"ready"}` + "\n", "application/json; charset=utf-8"},
		{"/collectors", 200, "collectors page", "text/plain; charset=utf-8"},
		{"/nowhere", 404, `{"error":"no such page: /nowhere"}` + "\n", "application/json; charset=utf-8"},
		{"/panics", 500, `{"error":"internal error"}` + "\n", "application/json; charset=utf-8"},
	}
	for _, tt := range tests {
		code, body, h := get(t, s.url+tt.path)
		if code != tt.code || body != tt.body || h.Get("Content-Type") != tt.ct {
			t.Errorf("GET %s = %d %q (%s), want %d %q (%s)", tt.path, code, body, h.Get("Content-Type"), tt.code, tt.body, tt.ct)
		}
	}
	resp, err := http.Post(s.url+"/healthz", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "GET, HEAD" ||
		string(b) != `{"error":"method POST is not allowed on /healthz (allowed: GET, HEAD)"}`+"\n" {
		t.Errorf("POST /healthz = %d %q (Allow %q), want 405", resp.StatusCode, b, resp.Header.Get("Allow"))
	}

	code, metrics, _ := get(t, s.url+"/metrics")
	if code != 200 {
		t.Fatalf("GET /metrics = %d", code)
	}
	for _, want := range []string{
		"go_goroutines ",
		"process_cpu_seconds_total ",
		`trademon_store_writes_total{result="ok"} 0`,
		`trademon_http_requests_total{code="200",handler="GET /healthz"} 1`,
		`trademon_http_requests_total{code="404",handler="none"} 1`,
		`trademon_http_requests_total{code="500",handler="GET /panics"} 1`,
		`trademon_http_requests_total{code="405",handler="none"} 1`,
		"trademon_http_requests_in_flight 1",
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if path, err := exec.LookPath("promtool"); err == nil {
		cmd := exec.Command(path, "check", "metrics")
		cmd.Stdin = strings.NewReader(metrics)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool check metrics: %v\n%s", err, out)
		}
	} else if os.Getenv("CI") != "" {
		t.Error("promtool is not installed in CI")
	}

	logs := s.logs.String()
	for _, want := range []string{`msg=request component=http method=GET path=/healthz pattern="GET /healthz" status=200`, `msg="handler panicked"`, "msg=listening component=http addr=127.0.0.1:"} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}

	// The store becomes unreachable: /readyz fails with 503 and a JSON error.
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	code, body, _ := get(t, s.url+"/readyz")
	var e struct{ Error string }
	if err := json.Unmarshal([]byte(body), &e); err != nil || code != 503 || !strings.HasPrefix(e.Error, "store: embedded store: ") {
		t.Errorf("GET /readyz with a closed store = %d %s", code, body)
	}
	if code, _, _ := get(t, s.url+"/healthz"); code != 200 {
		t.Errorf("healthz while the store is down = %d, want 200", code)
	}
}

// TestSecurityHeaders: no page had a CSP, nosniff, frame or referrer policy, and
// the 404 JSON echoed <script> unescaped (issue 8).
func TestSecurityHeaders(t *testing.T) {
	s := start(t, Options{}, func(s *Server) {
		s.Handle("GET /page", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = io.WriteString(w, "<p>page</p>")
		}))
		s.Handle("GET /panics", http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }))
	})
	want := map[string]string{
		"Content-Security-Policy": "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
		"X-Content-Type-Options":  "nosniff",
		"X-Frame-Options":         "DENY",
		"Referrer-Policy":         "no-referrer",
	}
	for _, tc := range []struct {
		method, path string
		code         int
	}{
		{"GET", "/page", 200}, {"GET", "/metrics", 200}, {"GET", "/healthz", 200}, {"GET", "/readyz", 200},
		{"GET", "/nowhere", 404}, {"POST", "/healthz", 405}, {"GET", "/panics", 500}, {"HEAD", "/page", 200},
	} {
		req, _ := http.NewRequest(tc.method, s.url+tc.path, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.code {
			t.Errorf("%s %s = %d, want %d", tc.method, tc.path, resp.StatusCode, tc.code)
		}
		for k, v := range want {
			if got := resp.Header.Get(k); got != v {
				t.Errorf("%s %s: %s = %q, want %q", tc.method, tc.path, k, got, v)
			}
		}
	}

	code, body, _ := get(t, s.url+"/%3Cscript%3Ealert(1)%3C/script%3E?a=1&b=%3Cimg%3E")
	if code != 404 || strings.ContainsAny(body, "<>&") {
		t.Errorf("404 body %q: want <, > and & escaped", body)
	}
	var e struct{ Error string }
	if err := json.Unmarshal([]byte(body), &e); err != nil || e.Error != "no such page: /<script>alert(1)</script>" {
		t.Errorf("404 error %q (%v), want the path intact once decoded", e.Error, err)
	}
}

func TestMountRoot(t *testing.T) {
	s := start(t, Options{}, func(s *Server) {
		s.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, "overview "+r.URL.Path)
		}))
	})
	if code, body, _ := get(t, s.url+"/"); code != 200 || body != "overview /" {
		t.Errorf("GET / = %d %q", code, body)
	}
	if code, _, _ := get(t, s.url+"/metrics"); code != 200 {
		t.Errorf("GET /metrics with / mounted = %d", code)
	}
	if code, body, _ := get(t, s.url+"/readyz"); code != 200 || !strings.Contains(body, "ready") {
		t.Errorf("GET /readyz without a store = %d %s", code, body)
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("Handle after Serve did not panic")
			}
		}()
		s.Handle("/late", http.NotFoundHandler())
	}()
}

func TestHandleTwicePanics(t *testing.T) {
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if recover() == nil {
			t.Error("mounting GET /metrics twice did not panic")
		}
	}()
	s.Handle("GET /metrics", http.NotFoundHandler())
}

func TestGracefulShutdownFinishesInFlight(t *testing.T) {
	entered := make(chan struct{})
	release := make(chan struct{})
	s := start(t, Options{}, func(s *Server) {
		s.Handle("GET /slow", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			close(entered)
			<-release
			_, _ = io.WriteString(w, "finished")
		}))
	})
	type result struct {
		code int
		body string
		err  error
	}
	res := make(chan result, 1)
	go func() {
		resp, err := http.Get(s.url + "/slow")
		if err != nil {
			res <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		res <- result{resp.StatusCode, string(b), err}
	}()
	<-entered
	s.stop() // shutdown begins while /slow is in flight
	// New connections are refused once the listener is closed; wait for that.
	for {
		c, err := net.Dial("tcp", strings.TrimPrefix(s.url, "http://"))
		if err != nil {
			break
		}
		c.Close()
	}
	close(release)
	r := <-res
	if r.err != nil || r.code != 200 || r.body != "finished" {
		t.Errorf("in-flight request: %d %q %v", r.code, r.body, r.err)
	}
	if err := <-s.done; err != nil {
		t.Errorf("Serve after a clean shutdown: %v", err)
	}
	s.done <- nil // for the cleanup
}

func TestShutdownTimeoutIsAnError(t *testing.T) {
	entered := make(chan struct{})
	release := make(chan struct{})
	defer close(release)
	s := start(t, Options{ShutdownTimeout: 1}, func(s *Server) {
		s.Handle("GET /stuck", http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
			close(entered)
			<-release
		}))
	})
	go func() {
		if resp, err := http.Get(s.url + "/stuck"); err == nil {
			resp.Body.Close()
		}
	}()
	<-entered
	s.stop()
	err := <-s.done
	if err == nil || !strings.Contains(err.Error(), "in-flight requests did not finish within 1ns") {
		t.Errorf("Serve = %v, want a shutdown timeout error", err)
	}
	s.done <- nil
}

// TestReadyzSaysWhyWritesFail (issue 10): with the store's disk full, /readyz answers
// 503 with the reason until there is space again.
func TestReadyzSaysWhyWritesFail(t *testing.T) {
	dir := tmpfs.Mount(t, 16<<20)
	db, err := embedded.Open(dir, embedded.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	s := start(t, Options{Store: db}, nil)
	filler := filepath.Join(dir, "filler")
	tmpfs.Fill(t, filler)
	var batch []obs.Observation
	for i := range 2000 {
		o := storetest.Sample("retail_sales", fmt.Sprintf("%d-%02d", 1900+i/12, i%12+1), obs.BasisMonth, obs.KindCollector, 1e9)
		o.Quote = strings.Repeat("全市社会消费品零售总额", 20)
		batch = append(batch, o)
	}
	if _, err := db.Put(t.Context(), batch); err == nil {
		t.Fatal("Put on a full disk succeeded")
	}
	code, body, _ := get(t, s.url+"/readyz")
	var e struct{ Error string }
	_ = json.Unmarshal([]byte(body), &e)
	want := "store: embedded store: last write failed ("
	if code != 503 || !strings.HasPrefix(e.Error, want) || !strings.HasSuffix(e.Error, filepath.Join(dir, "trademon.db")+": no space left on device") {
		t.Fatalf("GET /readyz with the disk full = %d %q, want 503 and %q…: write %s: no space left on device", code, e.Error, want, filepath.Join(dir, "trademon.db"))
	}
	tmpfs.Free(t, filler)
	if code, body, _ := get(t, s.url+"/readyz"); code != 200 {
		t.Fatalf("GET /readyz once there is space = %d %s", code, body)
	}
}
