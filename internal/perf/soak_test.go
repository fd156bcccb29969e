package perf

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/trademon/trademon/internal/auth"
	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/testutil/proc"
	"github.com/trademon/trademon/internal/testutil/statsite"
)

const soakToken = "soak-editor-token-0123456789abcdef"

var (
	soakDuration = flag.Duration("soak.duration", 0, "run TestSoak for this long (make soak: 10m); 0 skips it")
	soakTargets  = flag.Int("soak.targets", 10000, "targets in TestSoak's targets file")
)

// manyTargets writes a targets file of n targets: the plan's nine repeated under new
// ids (retail_sales_0, …), so every verdict is computed from real figures.
func manyTargets(t testing.TB, path string, n int) {
	t.Helper()
	orig, err := os.ReadFile(filepath.Join("..", "..", "config", "targets.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(orig)
	i := strings.Index(text, "\n  - id: ")
	if i < 0 {
		t.Fatal("no target in config/targets.yaml")
	}
	head, body := text[:i+1], text[i+1:]
	blocks := strings.SplitAfter(body, "\n\n")
	var b strings.Builder
	b.WriteString(head)
	idRE := regexp.MustCompile(`(?m)^  - id: (\S+)`)
	for k := 0; k < n; {
		for _, blk := range blocks {
			if k == n || !idRE.MatchString(blk) {
				continue
			}
			b.WriteString(idRE.ReplaceAllString(blk, fmt.Sprintf("  - id: ${1}_%d", k)))
			if !strings.HasSuffix(blk, "\n\n") {
				b.WriteString("\n")
			}
			k++
		}
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
}

// gauge reads one unlabelled sample (go_goroutines, process_resident_memory_bytes) and
// counts the samples of a metric family from a scrape body.
func sample(body, name string) float64 {
	for _, l := range strings.Split(body, "\n") {
		if rest, ok := strings.CutPrefix(l, name+" "); ok {
			v, _ := strconv.ParseFloat(rest, 64)
			return v
		}
	}
	return -1
}

// TestSoak runs serve for -soak.duration with -soak.targets targets, the retail and
// trade collectors scheduled every 30 s against a fixture site that publishes a new
// month every minute, a Prometheus-style scrape of /metrics every 5 s and an API entry
// every 200 ms (new months, then revisions). It reports
// RSS and goroutines at the start (after the first minute) and at the end, and fails
// on growth beyond 25% + 16 MiB of RSS or 20 goroutines, on any failed scrape, on any
// collector run or API entry that failed, and on any error in the log.
//
//	make soak                      (10 minutes)
//	go test -run '^TestSoak$' -v ./internal/perf/ -args -soak.duration=1m
func TestSoak(t *testing.T) {
	if *soakDuration <= 0 {
		t.Skip("soak: set -soak.duration (make soak)")
	}
	dir := t.TempDir()
	bin, err := proc.Build(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	site := statsite.New(t, statsite.Options{})
	targetsFile := filepath.Join(dir, "targets.yaml")
	manyTargets(t, targetsFile, *soakTargets)
	usersFile := filepath.Join(dir, "users.yaml")
	if err := os.WriteFile(usersFile, []byte(fmt.Sprintf("users:\n  - name: soak\n    role: editor\n    tokens: [%q]\n", auth.HashToken(soakToken))), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf("listen: 127.0.0.1:0\nstore: {path: %s}\ntargets: %s\nusers: %s\nrefresh_interval: 1m\n", filepath.Join(dir, "data"), targetsFile, usersFile) +
		"fetch: {retries: 1, timeout: 5s}\n" + site.Config("@every 30s")
	cfgPath := filepath.Join(dir, "trademon.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	p := proc.Serve(t, bin, []string{"TRADEMON_CONFIG=" + cfgPath})

	// A steady stream of API entries: one figure every 200 ms (5/s), each a new month of
	// port throughput from 1950 on, then revisions of the same months with a reason.
	var entries, entryErrs atomic.Int64
	stopEntries := make(chan struct{})
	entriesDone := make(chan struct{})
	go func() {
		defer close(entriesDone)
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-stopEntries:
				return
			case <-tick.C:
			}
			month := i % 900
			body := fmt.Sprintf(`{"indicator":"port_container_throughput","period":"%s","basis":"month","value":%d,"unit":"万标箱","source_url":"https://jtys.sz.gov.cn/soak.html","confirm":"soak","reason":"soak revision %d"}`,
				obs.MonthPeriod(1950+month/12, month%12+1), 300+i/900, i)
			req, _ := http.NewRequest(http.MethodPost, p.Addr()+"/api/v1/observations", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+soakToken)
			resp, err := http.DefaultClient.Do(req)
			if err != nil || resp.StatusCode != http.StatusCreated {
				entryErrs.Add(1)
				if err == nil {
					b, _ := io.ReadAll(resp.Body)
					t.Logf("entry %d: %d %s", i, resp.StatusCode, b)
				}
			} else {
				entries.Add(1)
			}
			if resp != nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}
	}()

	type point struct {
		at         time.Duration
		rss        float64
		goroutines float64
		series     int
	}
	var points []point
	var scrapes, failed int
	var scrapeMax time.Duration
	start := time.Now()
	release := obs.MonthPeriod(2025, 10)
	nextRelease := start.Add(time.Minute)
	for tick := time.NewTicker(5 * time.Second); time.Since(start) < *soakDuration; <-tick.C {
		if time.Now().After(nextRelease) {
			site.SetExtra(release)
			release = release.Next()
			nextRelease = nextRelease.Add(time.Minute)
		}
		t0 := time.Now()
		req, _ := http.NewRequest(http.MethodGet, p.Addr()+"/metrics", nil)
		req.Header.Set("Accept", "text/plain;version=0.0.4")
		resp, err := http.DefaultClient.Do(req)
		scrapes++
		if err != nil || resp.StatusCode != 200 {
			failed++
			t.Errorf("scrape %d: %v %v", scrapes, err, resp)
			continue
		}
		var body strings.Builder
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 64<<20)
		n := 0
		for sc.Scan() {
			l := sc.Text()
			if !strings.HasPrefix(l, "#") {
				n++
			}
			if strings.HasPrefix(l, "go_goroutines ") || strings.HasPrefix(l, "process_resident_memory_bytes ") {
				body.WriteString(l + "\n")
			}
		}
		resp.Body.Close()
		scrapeMax = max(scrapeMax, time.Since(t0))
		points = append(points, point{time.Since(start), sample(body.String(), "process_resident_memory_bytes"), sample(body.String(), "go_goroutines"), n})
	}
	close(stopEntries)
	<-entriesDone
	errorsInLog := regexp.MustCompile(`level=ERROR`).FindAllString(p.Log(), -1)
	runsFailed := strings.Count(p.Log(), `msg="collector run failed"`)
	runsDone := strings.Count(p.Log(), `msg="collector run done"`)
	p.Signal(syscall.SIGTERM)
	if code := p.Wait(time.Minute); code != 0 {
		t.Errorf("serve exit %d after SIGTERM", code)
	}

	// The start is after the first minute (a third of a short run): collections, the
	// first evaluation of every target and the scrape caches have settled by then.
	var first point
	warm := min(time.Minute, *soakDuration/3)
	for _, pt := range points {
		if pt.at >= warm {
			first = pt
			break
		}
	}
	last := points[len(points)-1]
	mib := func(b float64) float64 { return b / (1 << 20) }
	t.Logf("soak %v, %d targets: %d scrapes (%d failed, slowest %v, %d samples), %d collector runs (%d failed), %d error log lines",
		*soakDuration, *soakTargets, scrapes, failed, scrapeMax.Round(time.Millisecond), last.series, runsDone+runsFailed, runsFailed, len(errorsInLog))
	t.Logf("API entries: %d stored, %d failed", entries.Load(), entryErrs.Load())
	if entryErrs.Load() > 0 || entries.Load() == 0 {
		t.Errorf("API entries: %d failed, %d stored", entryErrs.Load(), entries.Load())
	}
	t.Logf("RSS %.1f MiB at %v → %.1f MiB at %v; goroutines %.0f → %.0f",
		mib(first.rss), first.at.Round(time.Second), mib(last.rss), last.at.Round(time.Second), first.goroutines, last.goroutines)
	if last.rss > first.rss*1.25+16<<20 {
		t.Errorf("RSS grew from %.1f to %.1f MiB", mib(first.rss), mib(last.rss))
	}
	if last.goroutines > first.goroutines+20 {
		t.Errorf("goroutines grew from %.0f to %.0f", first.goroutines, last.goroutines)
	}
	if runsFailed > 0 || len(errorsInLog) > 0 || runsDone == 0 {
		t.Errorf("%d collector runs failed, %d done; error lines: %v", runsFailed, runsDone, errorsInLog)
	}
}
