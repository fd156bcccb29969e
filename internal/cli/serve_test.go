package cli

import (
	"bufio"
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
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/trademon/trademon/config"
	"github.com/trademon/trademon/internal/importer"
	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/store"
	"github.com/trademon/trademon/internal/store/embedded"
	"github.com/trademon/trademon/internal/testutil/influxtest"
)

// offline turns every collector off: tests reach no network beyond loopback.
const offline = "collectors:\n  trade: {enabled: false}\n  retail: {enabled: false}\n  port: {enabled: false}\n  standards: {enabled: false}\n"

// closeRecorder is the real store with a note of whether Close was called.
type closeRecorder struct {
	store.Store
	closed atomic.Bool
}

func (c *closeRecorder) Close() error {
	c.closed.Store(true)
	return c.Store.Close()
}

// serving is trademon serve running in-process.
type serving struct {
	url    string
	store  *closeRecorder
	logsFn func() string
	done   chan error
	stop   context.CancelFunc
}

// syncBuffer collects log output written from several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startServe runs `trademon --config cfgPath serve` in-process and waits until it listens.
func startServe(t *testing.T, cfgPath string) *serving {
	t.Helper()
	addr := make(chan net.Addr, 1)
	s := &serving{done: make(chan error, 1)}
	var logs syncBuffer
	a := &app{stdout: io.Discard, stderr: &logs, hooks: serveHooks{
		listening: func(ad net.Addr) { addr <- ad },
		wrapStore: func(st store.Store) store.Store { s.store = &closeRecorder{Store: st}; return s.store },
	}}
	root := a.rootCmd()
	root.SetArgs([]string{"--config", cfgPath, "--log-level", "debug", "serve"})
	root.SetOut(io.Discard)
	root.SetErr(&logs)
	ctx, cancel := context.WithCancel(context.Background())
	s.stop = cancel
	go func() { s.done <- root.ExecuteContext(ctx) }()
	select {
	case ad := <-addr:
		s.url = "http://" + ad.String()
	case err := <-s.done:
		cancel()
		t.Fatalf("serve exited before listening: %v\n%s", err, logs.String())
	}
	t.Cleanup(func() {
		cancel()
		select {
		case <-s.done:
		default:
		}
		if t.Failed() {
			t.Logf("serve log:\n%s", logs.String())
		}
	})
	s.logsFn = logs.String
	return s
}

func getBody(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func historyRows(t *testing.T) int {
	t.Helper()
	rows, rejects, err := importer.Prepare("h", config.HistoryCSV, importer.Options{Kind: obs.KindReference})
	if err != nil || len(rejects) > 0 || len(rows) == 0 {
		t.Fatalf("built-in history: %d rows, rejections %v, %v", len(rows), rejects, err)
	}
	return len(rows)
}

func TestServeInProcessEmbedded(t *testing.T) {
	dir := t.TempDir()
	cfgPath := write(t, dir, "trademon.yaml", fmt.Sprintf(offline+"listen: 127.0.0.1:0\nstore:\n  path: %s\n", filepath.Join(dir, "data")))
	s := startServe(t, cfgPath)
	want := historyRows(t)

	for path, code := range map[string]int{"/healthz": 200, "/readyz": 200, "/metrics": 200, "/nope": 404} {
		if got, body := getBody(t, s.url+path); got != code {
			t.Errorf("GET %s = %d %s, want %d", path, got, body, code)
		}
	}
	_, metrics := getBody(t, s.url+"/metrics")
	for _, line := range []string{
		fmt.Sprintf(`trademon_history_rows_total{result="created"} %d`, want),
		`trademon_store_writes_total{result="ok"} ` + fmt.Sprint(want),
		"go_goroutines ",
		"process_resident_memory_bytes ",
	} {
		if !strings.Contains(metrics, line) {
			t.Errorf("/metrics lacks %q", line)
		}
	}

	// The overview page, the targets API and the collectors' status page are mounted,
	// and the first evaluation (run in the background) reaches the metrics.
	waitUntil(t, "the first evaluation", func() bool { code, _ := getBody(t, s.url+"/api/v1/targets"); return code == 200 })
	_, body := getBody(t, s.url+"/api/v1/targets")
	var verdicts []struct{ Target, Status string }
	if err := json.Unmarshal([]byte(body), &verdicts); err != nil || len(verdicts) != 9 {
		t.Errorf("/api/v1/targets: %d verdicts (%v), want the plan's 9:\n%s", len(verdicts), err, body)
	}
	if code, page := getBody(t, s.url+"/"); code != 200 || !strings.Contains(page, "港口集装箱吞吐量") || !strings.Contains(page, `id="target-port_container_throughput"`) {
		t.Errorf("GET / = %d, the overview page lacks the port target", code)
	}
	if code, page := getBody(t, s.url+"/collectors"); code != 200 || !strings.Contains(page, "采集器状态") {
		t.Errorf("GET /collectors = %d:\n%s", code, page)
	}
	_, metrics = getBody(t, s.url+"/metrics")
	if !strings.Contains(metrics, `trademon_target_status{status="achieved",target="port_container_throughput"} 1`) {
		t.Errorf("/metrics lacks the port target's verdict (achieved on the bundled 2024 figure):\n%s", grepLines(metrics, "trademon_target_status"))
	}

	s.stop() // SIGINT/SIGTERM in production
	if err := <-s.done; err != nil {
		t.Fatalf("serve returned %v after shutdown", err)
	}
	if !s.store.closed.Load() {
		t.Error("serve did not close the store")
	}
	// The store file was released and holds the reference history.
	st, err := embedded.Open(filepath.Join(dir, "data"), embedded.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatalf("reopen the store after serve: %v", err)
	}
	defer st.Close()
	got, err := st.Query(context.Background(), store.Filter{SourceKinds: []obs.SourceKind{obs.KindReference}})
	if err != nil || len(got) != want {
		t.Fatalf("store holds %d reference observations (%v), want %d", len(got), err, want)
	}
	for _, o := range got {
		if o.Source != "reference" || o.Quote == "" || o.EnteredBy != "" {
			t.Errorf("reference observation without provenance: %+v", o)
			break
		}
	}
}

func TestServeSeedsHistoryIdempotently(t *testing.T) {
	dir := t.TempDir()
	history := write(t, dir, "history.csv", "indicator,period,basis,value,unit,source_url,note\n"+
		"retail_sales,2023,year,9665.9,亿元,https://tjj.sz.gov.cn/a.html,\n"+
		"retail_sales,2024,year,\"12,5OO\",亿元,https://tjj.sz.gov.cn/b.html,bad row: logged and skipped\n")
	cfgPath := write(t, dir, "trademon.yaml", fmt.Sprintf(offline+"listen: 127.0.0.1:0\nhistory: %s\nstore:\n  path: %s\n", history, filepath.Join(dir, "data")))

	s := startServe(t, cfgPath)
	_, metrics := getBody(t, s.url+"/metrics")
	for _, line := range []string{`trademon_history_rows_total{result="created"} 1`, `trademon_history_rows_total{result="rejected"} 1`} {
		if !strings.Contains(metrics, line) {
			t.Errorf("first start: /metrics lacks %q", line)
		}
	}
	if !strings.Contains(s.logsFn(), `msg="reference history row rejected"`) {
		t.Errorf("the rejected history row was not logged:\n%s", s.logsFn())
	}
	s.stop()
	if err := <-s.done; err != nil {
		t.Fatal(err)
	}

	// A second start loads the same rows again: they are unchanged, nothing is written.
	s = startServe(t, cfgPath)
	_, metrics = getBody(t, s.url+"/metrics")
	if strings.Contains(metrics, `trademon_history_rows_total{result="created"}`) ||
		!strings.Contains(metrics, `trademon_history_rows_total{result="unchanged"} 1`) {
		t.Errorf("second start: want the history row unchanged, /metrics has:\n%s", grepLines(metrics, "trademon_history_rows_total"))
	}
	s.stop()
	if err := <-s.done; err != nil {
		t.Fatal(err)
	}

	// history: none loads nothing into an empty store.
	dir2 := t.TempDir()
	cfg2 := write(t, dir2, "trademon.yaml", fmt.Sprintf(offline+"listen: 127.0.0.1:0\nhistory: none\nstore:\n  path: %s\n", filepath.Join(dir2, "data")))
	s = startServe(t, cfg2)
	s.stop()
	if err := <-s.done; err != nil {
		t.Fatal(err)
	}
	st, err := embedded.Open(filepath.Join(dir2, "data"), embedded.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if got, _ := st.Query(context.Background(), store.Filter{}); len(got) != 0 {
		t.Errorf("history: none stored %d observations", len(got))
	}
}

func TestServeErrors(t *testing.T) {
	dir := t.TempDir()
	// The port is taken.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	busy := write(t, dir, "busy.yaml", fmt.Sprintf(offline+"listen: %s\nstore:\n  path: %s\n", ln.Addr(), filepath.Join(dir, "d1")))
	code, _, errOut := run(t, "--config", busy, "serve")
	if code != 1 || !strings.Contains(errOut, "trademon: listen on "+ln.Addr().String()+" (config key listen): ") {
		t.Errorf("busy port: exit %d, stderr:\n%s", code, errOut)
	}
	// The history file is missing.
	missing := write(t, dir, "missing.yaml", fmt.Sprintf(offline+"listen: 127.0.0.1:0\nhistory: %s\nstore:\n  path: %s\n", filepath.Join(dir, "nope.csv"), filepath.Join(dir, "d2")))
	code, _, errOut = run(t, "--config", missing, "serve")
	if want := "trademon: config key history: " + filepath.Join(dir, "nope.csv") + ": cannot read history: no such file or directory\n"; code != 1 || !strings.HasSuffix(errOut, want) {
		t.Errorf("missing history: exit %d, stderr:\n%s\nwant suffix %q", code, errOut, want)
	}
	// An invalid config never opens the store.
	bad := write(t, dir, "bad.yaml", offline+"listen: nowhere\n")
	code, _, errOut = run(t, "--config", bad, "serve")
	if code != 1 || !strings.Contains(errOut, bad+":6: listen: invalid address") {
		t.Errorf("bad config: exit %d, stderr:\n%s", code, errOut)
	}
}

func TestServeInfluxDBFlushesOnShutdown(t *testing.T) {
	srv := influxtest.Start(t)
	bucket := srv.CreateDatabase(t)
	dir := t.TempDir()
	cfgPath := write(t, dir, "trademon.yaml", fmt.Sprintf(offline+`listen: 127.0.0.1:0
store:
  kind: influxdb
  path: %s
  influxdb:
    url: %s
    org: %s
    bucket: %s
`, filepath.Join(dir, "spool"), srv.URL, srv.Org, bucket))
	t.Setenv("TRADEMON_INFLUXDB_TOKEN", srv.Token)
	s := startServe(t, cfgPath)
	if code, body := getBody(t, s.url+"/readyz"); code != 200 {
		t.Errorf("/readyz = %d %s", code, body)
	}
	s.stop()
	if err := <-s.done; err != nil {
		t.Fatalf("serve: %v", err)
	}
	if !s.store.closed.Load() {
		t.Error("serve did not close the store")
	}
	want := historyRows(t)
	total := 0
	for _, n := range srv.CountPoints(t, bucket, "observation", "value") {
		total += n
	}
	if total != want {
		t.Errorf("InfluxDB holds %d observation points after shutdown, want %d", total, want)
	}
}

// TestServeBinary builds the real binary, imports a figure, runs serve, stops it with
// SIGTERM and checks the exit code and that the figure is still there.
func TestServeBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "trademon")
	build := exec.Command("go", "build", "-o", bin, "github.com/trademon/trademon/cmd/trademon")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cfgPath := write(t, dir, "trademon.yaml", fmt.Sprintf(offline+"listen: 127.0.0.1:0\nstore:\n  path: %s\n", filepath.Join(dir, "data")))
	figures := write(t, dir, "figures.csv", "indicator,period,basis,value,unit,source_url,note\n"+
		"retail_sales,2024,year,10500,亿元,https://tjj.sz.gov.cn/a.html,\n"+
		"services_trade,2024,year,1500,亿美元,https://commerce.sz.gov.cn/b.html,\n")
	env := append(os.Environ(), "TRADEMON_CONFIG="+cfgPath)
	trademon := func(args ...string) (int, string, string) {
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		return code, out.String(), errOut.String()
	}
	if code, out, errOut := trademon("import", figures, "--user", "tester"); code != 0 || !strings.Contains(out, "  created        2\n") {
		t.Fatalf("import: exit %d\n%s\n%s", code, out, errOut)
	}

	cmd := exec.Command(bin, "serve")
	cmd.Env = env
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill() }()
	addrRE := regexp.MustCompile(`msg=listening component=http addr=(127\.0\.0\.1:\d+)`)
	lines := bufio.NewScanner(stderr)
	var logs strings.Builder
	url := ""
	for url == "" && lines.Scan() {
		logs.WriteString(lines.Text() + "\n")
		if m := addrRE.FindStringSubmatch(lines.Text()); m != nil {
			url = "http://" + m[1]
		}
	}
	if url == "" {
		t.Fatalf("serve never logged its address:\n%s", logs.String())
	}
	rest := make(chan string)
	go func() {
		var b strings.Builder
		for lines.Scan() {
			b.WriteString(lines.Text() + "\n")
		}
		rest <- b.String()
	}()
	if code, body := getBody(t, url+"/readyz"); code != 200 {
		t.Errorf("/readyz = %d %s", code, body)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	tail := <-rest
	err = cmd.Wait()
	if err != nil || cmd.ProcessState.ExitCode() != 0 {
		t.Fatalf("serve after SIGTERM: %v (exit %d)\n%s%s", err, cmd.ProcessState.ExitCode(), logs.String(), tail)
	}
	for _, want := range []string{"msg=\"shutting down\"", "msg=\"store closed\""} {
		if !strings.Contains(tail, want) {
			t.Errorf("serve log lacks %s:\n%s", want, tail)
		}
	}
	// The store already held figures, so no history was loaded, and the imported
	// figures are still there: importing them again changes nothing.
	code, out, errOut := trademon("import", figures, "--user", "tester", "--dry-run", "--format", "json")
	var res importer.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != 0 {
		t.Fatalf("dry run after serve: exit %d %v\n%s\n%s", code, err, out, errOut)
	}
	if res.Unchanged != 2 || res.Created != 0 || res.Updated != 0 {
		t.Errorf("after serve: %+v", res)
	}
	st, err := embedded.Open(filepath.Join(dir, "data"), embedded.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	manual, _ := st.Query(context.Background(), store.Filter{SourceKinds: []obs.SourceKind{obs.KindManual}})
	reference, _ := st.Query(context.Background(), store.Filter{SourceKinds: []obs.SourceKind{obs.KindReference}})
	if len(manual) != 2 || len(reference) != historyRows(t) {
		t.Errorf("store holds %d manual and %d reference observations, want the 2 imported and the %d history rows",
			len(manual), len(reference), historyRows(t))
	}
}

// grepLines returns the lines of text that contain substr.
func grepLines(text, substr string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// waitUntil polls cond until it holds, failing the test after a generous deadline.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
