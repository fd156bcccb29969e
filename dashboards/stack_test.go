package dashboards

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/trademon/trademon/internal/testutil/influxtest"
)

// This file runs the real stack for the live tests: influxd (influxtest), the trademon
// binary built from this module running serve in InfluxDB mode on fixture data, a
// fixture web site its collectors crawl, the Debian Prometheus scraping it with the
// shipped alert rules, and the Debian Alertmanager with a webhook receiver.

// requireTool returns the path of a binary the live tests need; without it they skip,
// except in CI (CI or TRADEMON_TEST_REQUIRE_INFLUXDB=1), where they fail.
func requireTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if influxtest.Required() {
			t.Fatalf("%s is required here (scripts/tools.sh installs it): %v", name, err)
		}
		t.Skipf("%s not installed: %v", name, err)
	}
	return p
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// proc is a child process that is stopped (SIGTERM, then SIGKILL) when the test ends.
type proc struct {
	name string
	cmd  *exec.Cmd
	log  *bytes.Buffer
	mu   *sync.Mutex
	done chan struct{}
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func startProc(t *testing.T, name, bin string, args ...string) *proc {
	t.Helper()
	p := &proc{name: name, log: &bytes.Buffer{}, mu: &sync.Mutex{}, done: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Stdout = lockedWriter{p.mu, p.log}
	p.cmd.Stderr = lockedWriter{p.mu, p.log}
	p.cmd.Env = append(os.Environ(), "TZ=UTC")
	dieWithTest(p.cmd)
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() { _ = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			t.Logf("%s log (tail):\n%s", name, tail(p.logs(), 40000))
		}
	})
	return p
}

func (p *proc) logs() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.log.String()
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

func (p *proc) stop() {
	if p.exited() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var last string
	for {
		ok, state := cond()
		if ok {
			return
		}
		last = state
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s; last: %s", timeout, what, last)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func httpGet(u string) (int, []byte, error) {
	c := http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(u)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// buildTrademon builds the trademon binary of this module (with -race when the tests run
// with it, which reuses their build cache).
func buildTrademon(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "trademon")
	args := []string{"build", "-o", bin}
	if raceEnabled {
		args = append(args, "-race")
	}
	args = append(args, "github.com/trademon/trademon/cmd/trademon")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "go", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return bin
}

// fixtureSite is the statistics bureau's list and article pages (retail sales, Jan–Oct
// 2025, with one figure a unit slip the safety checks reject) and a customs list page
// that fails with 500.
type fixtureSite struct {
	*httptest.Server
	articles atomic.Int32
	trade    atomic.Int32
	// published: the list page links the article; until then it is empty, so that
	// Prometheus sees the collector counters at zero before the article is collected.
	published atomic.Bool
}

const fixtureList = `<html><head><meta charset="utf-8"><title>统计分析</title></head><body>
<div class="list-article"><ul class="column-article">
<li><a href="/retail/content/post_1.html" title="2025年1-10月深圳经济运行情况"><p class="text-title">2025年1-10月深圳经济运行情况</p><p class="article-time">2025-11-20</p></a></li>
</ul></div></body></html>`

const fixtureArticle = `<html><head><meta charset="utf-8"><meta name="PubDate" content="2025-11-20 16:30"><title>2025年1-10月深圳经济运行情况</title></head><body>
<div class="articleBox">
<p>1—10月，全市社会消费品零售总额9100.00亿元，同比增长2.5%。</p>
<p>1—9月，全市社会消费品零售总额8200.00万亿元，同比增长2.4%。</p>
</div></body></html>`

func newFixtureSite(t *testing.T) *fixtureSite {
	s := &fixtureSite{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /retail/index.html", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if !s.published.Load() {
			_, _ = io.WriteString(w, `<html><body><div class="list-article"><ul class="column-article"></ul></div></body></html>`)
			return
		}
		_, _ = io.WriteString(w, fixtureList)
	})
	mux.HandleFunc("GET /retail/content/post_1.html", func(w http.ResponseWriter, _ *http.Request) {
		s.articles.Add(1)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = io.WriteString(w, fixtureArticle)
	})
	mux.HandleFunc("GET /trade/index.html", func(w http.ResponseWriter, _ *http.Request) {
		s.trade.Add(1)
		http.Error(w, "maintenance", http.StatusInternalServerError)
	})
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

// stack is everything the live tests talk to.
type stack struct {
	influx     *influxtest.Server
	bucket     string
	trademon   string // base URL
	prometheus string
	site       *fixtureSite
	hook       *webhook
	tm         *proc
}

// webhook receives Alertmanager's notifications.
type webhook struct {
	*httptest.Server
	mu     sync.Mutex
	alerts []amAlert
}

type amAlert struct {
	Status string            `json:"status"`
	Labels map[string]string `json:"labels"`
}

func newWebhook(t *testing.T) *webhook {
	h := &webhook{}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var msg struct {
			Alerts []amAlert `json:"alerts"`
		}
		if err := json.NewDecoder(r.Body).Decode(&msg); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		h.mu.Lock()
		h.alerts = append(h.alerts, msg.Alerts...)
		h.mu.Unlock()
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *webhook) received() []amAlert {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]amAlert(nil), h.alerts...)
}

func writeFile(t *testing.T, path, content string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// startStack starts everything; it returns once Prometheus holds the verdicts and the
// collectors have run a few times.
func startStack(t *testing.T) *stack {
	t.Helper()
	promBin := requireTool(t, "prometheus")
	amBin := requireTool(t, "prometheus-alertmanager")
	s := &stack{influx: influxtest.Start(t)}
	s.bucket = s.influx.CreateDatabase(t)
	bin := buildTrademon(t)
	s.site = newFixtureSite(t)
	dir := t.TempDir()

	tmAddr := freePort(t)
	history, _ := filepath.Abs("testdata/history.csv")
	src := func(name, list, title string) string {
		return fmt.Sprintf(`    schedule: "*/2 * * * * *"
    timeout: 30s
    sources:
      - name: %s
        list_urls: ["%s%s"]
        link_selector: ".list-article ul.column-article li a"
        title_pattern: "%s"
        date_selector: "p.article-time"
        body_selector: ".articleBox"
        next_selector: ""
        page_pattern: ""
        encoding: auto
        delay: 0s
        max_pages: 5
`, name, s.site.URL, list, title)
	}
	cfg := writeFile(t, filepath.Join(dir, "trademon.yaml"), fmt.Sprintf(`listen: %s
store:
  kind: influxdb
  path: %s
  influxdb: {url: %q, org: %q, bucket: %q, token: %q, timeout: 10s}
  spool: {retry_min: 100ms, retry_max: 1s}
history: %s
refresh_interval: 2s
fetch: {timeout: 5s, retries: 0, respect_robots: false}
collectors:
  retail:
    enabled: true
%s  trade:
    enabled: true
%s  port: {enabled: false}
  standards: {enabled: false}
`, tmAddr, filepath.Join(dir, "data"), s.influx.URL, s.influx.Org, s.bucket, s.influx.Token, history,
		src("fixture-tjj", "/retail/index.html", "经济运行"), src("fixture-customs", "/trade/index.html", "进出口")))

	// A manual figure entered, then corrected: one revision.
	for i, v := range []string{"9000", "9050"} {
		csv := writeFile(t, filepath.Join(dir, fmt.Sprintf("manual-%d.csv", i)),
			"indicator,period,basis,value,unit,source_url,note\nretail_sales,2024,year,"+v+",亿元,https://fixture.example/retail/2024,fixture manual entry\n")
		out, err := exec.Command(bin, "--config", cfg, "import", "--user", "cli:fixture", "--reason", "corrected in the yearbook (fixture)", csv).CombinedOutput()
		if err != nil {
			t.Fatalf("trademon import %s: %v\n%s", v, err, out)
		}
	}

	s.tm = startProc(t, "trademon", bin, "--config", cfg, "--log-level", "debug", "serve")
	s.trademon = "http://" + tmAddr
	waitFor(t, 60*time.Second, "trademon /readyz", func() (bool, string) {
		if s.tm.exited() {
			t.Fatalf("trademon exited:\n%s", tail(s.tm.logs(), 4000))
		}
		code, body, err := httpGet(s.trademon + "/readyz")
		return code == 200, fmt.Sprint(code, string(body), err)
	})

	s.hook = newWebhook(t)
	amAddr := freePort(t)
	amCfg := writeFile(t, filepath.Join(dir, "alertmanager.yml"), fmt.Sprintf(`route:
  receiver: hook
  group_by: [alertname, target, indicator, collector]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: hook
    webhook_configs:
      - url: %q
        send_resolved: false
`, s.hook.URL))
	startProc(t, "alertmanager", amBin, "--config.file="+amCfg, "--storage.path="+filepath.Join(dir, "am"),
		"--web.listen-address="+amAddr, "--cluster.listen-address=")
	waitFor(t, 30*time.Second, "alertmanager ready", func() (bool, string) {
		code, _, err := httpGet("http://" + amAddr + "/-/ready")
		return code == 200, fmt.Sprint(code, err)
	})

	rules, _ := filepath.Abs("../config/prometheus/rules")
	promAddr := freePort(t)
	promCfg := writeFile(t, filepath.Join(dir, "prometheus.yml"), fmt.Sprintf(`global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - %s/*.yml
alerting:
  alertmanagers:
    - static_configs:
        - targets: [%q]
scrape_configs:
  - job_name: trademon
    static_configs:
      - targets: [%q]
`, rules, amAddr, tmAddr))
	startProc(t, "prometheus", promBin, "--config.file="+promCfg, "--storage.tsdb.path="+filepath.Join(dir, "prom"),
		"--web.listen-address="+promAddr, "--log.level=warn")
	s.prometheus = "http://" + promAddr
	waitFor(t, 60*time.Second, "Prometheus to scrape trademon's verdicts and collector counters", func() (bool, string) {
		res, err := s.promInstant(`sum(trademon_target_status) and on() sum(trademon_collector_rejected_total{collector="retail"}) == 0`)
		return err == nil && len(res) == 1, fmt.Sprint(res, err)
	})
	s.site.published.Store(true)
	waitFor(t, 90*time.Second, "Prometheus to see the article collected (one figure stored, one rejected) and failing trade runs", func() (bool, string) {
		res, err := s.promInstant(`sum(increase(trademon_collector_observations_total{collector="retail"}[2m])) > 0
			and on() sum(increase(trademon_collector_rejected_total{collector="retail"}[2m])) > 0
			and on() sum(increase(trademon_collector_runs_total{collector="retail",result="partial"}[2m])) > 0
			and on() sum(increase(trademon_collector_runs_total{collector="trade"}[2m])) >= 2`)
		return err == nil && len(res) == 1, fmt.Sprint(res, err)
	})
	return s
}

// promSeries is one series of a Prometheus answer.
type promSeries struct {
	Labels map[string]string
	Values []float64
}

func (s *stack) promAPI(path string, params url.Values) ([]promSeries, error) {
	code, body, err := httpGet(s.prometheus + path + "?" + params.Encode())
	if err != nil {
		return nil, err
	}
	var r struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			ResultType string `json:"resultType"`
			Result     []struct {
				Metric map[string]string `json:"metric"`
				Value  []any             `json:"value"`
				Values [][]any           `json:"values"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("HTTP %d: %s", code, body)
	}
	if r.Status != "success" {
		return nil, fmt.Errorf("HTTP %d: %s", code, r.Error)
	}
	num := func(v any) float64 {
		var f float64
		fmt.Sscan(fmt.Sprint(v), &f)
		return f
	}
	out := make([]promSeries, 0, len(r.Data.Result))
	for _, x := range r.Data.Result {
		ps := promSeries{Labels: x.Metric}
		if len(x.Value) == 2 {
			ps.Values = append(ps.Values, num(x.Value[1]))
		}
		for _, v := range x.Values {
			ps.Values = append(ps.Values, num(v[1]))
		}
		out = append(out, ps)
	}
	return out, nil
}

func (s *stack) promInstant(expr string) ([]promSeries, error) {
	return s.promAPI("/api/v1/query", url.Values{"query": {expr}})
}

func (s *stack) promRange(expr string, d time.Duration) ([]promSeries, error) {
	now := time.Now()
	sec := func(t time.Time) string { return strconv.FormatFloat(float64(t.UnixMilli())/1000, 'f', 3, 64) }
	return s.promAPI("/api/v1/query_range", url.Values{"query": {expr},
		"start": {sec(now.Add(-d))}, "end": {sec(now)}, "step": {"1"}})
}

// promAlerts lists the alerts Prometheus holds (pending or firing).
func (s *stack) promAlerts() ([]struct {
	Labels map[string]string `json:"labels"`
	State  string            `json:"state"`
}, error) {
	_, body, err := httpGet(s.prometheus + "/api/v1/alerts")
	if err != nil {
		return nil, err
	}
	var r struct {
		Data struct {
			Alerts []struct {
				Labels map[string]string `json:"labels"`
				State  string            `json:"state"`
			} `json:"alerts"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, errors.New(string(body))
	}
	return r.Data.Alerts, nil
}
