package perf

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"syscall"
	"testing"
	"time"

	"github.com/trademon/trademon/internal/testutil/proc"
)

// build compiles cmd/trademon and the baseline server into a temporary directory.
func build(b *testing.B) (trademon, minimal string) {
	b.Helper()
	dir := b.TempDir()
	trademon, err := proc.Build(dir, false)
	if err != nil {
		b.Fatal(err)
	}
	minimal = filepath.Join(dir, "minimal")
	cmd := exec.Command("go", "build", "-o", minimal, "./testdata/minimal")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("build baseline: %v\n%s", err, out)
	}
	return trademon, minimal
}

// serveEnv writes a config for serve on a free loopback port with an embedded store
// in a fresh directory; every collector is off. history says whether the bundled
// reference history is loaded (as at a real first start) or not.
func serveEnv(b *testing.B, history bool) []string {
	b.Helper()
	dir := b.TempDir()
	cfg := fmt.Sprintf("listen: 127.0.0.1:0\nstore: {path: %s}\n", filepath.Join(dir, "data"))
	if !history {
		cfg += "history: none\n"
	}
	cfg += "collectors:\n  trade: {enabled: false}\n  retail: {enabled: false}\n  port: {enabled: false}\n  standards: {enabled: false}\n"
	path := filepath.Join(dir, "trademon.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		b.Fatal(err)
	}
	return []string{"TRADEMON_CONFIG=" + path}
}

// BenchmarkServeStartup measures the time from exec to the first 200 from /readyz,
// and the resident memory two seconds later (idle), of
//   - minimal: the baseline, a Go HTTP server that does nothing else;
//   - trademon-first: trademon serve on an empty store (it loads the bundled history);
//   - trademon-restart: trademon serve on the store the first start filled.
//
// Each iteration starts and stops (SIGTERM) one process; ms/start is the mean wall time
// to ready, p50-ms the median, and idle-RSS-MiB the mean idle RSS.
//
//	go test -run '^$' -bench ServeStartup -benchtime 10x ./internal/perf/
func BenchmarkServeStartup(b *testing.B) {
	trademon, minimal := build(b)
	run := func(b *testing.B, bin string, env func() []string, args ...string) {
		var ready []time.Duration
		var rss int64
		for range b.N {
			e := env()
			start := time.Now()
			p := proc.Start(b, bin, e, args...)
			p.WaitReady(time.Minute)
			ready = append(ready, time.Since(start))
			time.Sleep(2 * time.Second)
			r, err := p.RSS()
			if err != nil {
				b.Fatal(err)
			}
			rss += r
			p.Signal(syscall.SIGTERM)
			if code := p.Wait(30 * time.Second); code != 0 {
				b.Fatalf("exit %d after SIGTERM\n%s", code, p.Log())
			}
		}
		b.StopTimer()
		var sum time.Duration
		for _, d := range ready {
			sum += d
		}
		sort.Slice(ready, func(i, j int) bool { return ready[i] < ready[j] })
		b.ReportMetric(float64(sum.Milliseconds())/float64(len(ready)), "ms/start")
		b.ReportMetric(float64(ready[len(ready)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(rss)/float64(b.N)/(1<<20), "idle-RSS-MiB")
		b.ReportMetric(0, "ns/op")
	}
	b.Run("minimal", func(b *testing.B) {
		run(b, minimal, func() []string { return nil })
	})
	b.Run("trademon-first", func(b *testing.B) {
		run(b, trademon, func() []string { return serveEnv(b, true) }, "serve")
	})
	b.Run("trademon-restart", func(b *testing.B) {
		env := serveEnv(b, true)
		p := proc.Start(b, trademon, env, "serve") // fills the store once
		p.WaitReady(time.Minute)
		p.Signal(syscall.SIGTERM)
		p.Wait(30 * time.Second)
		run(b, trademon, func() []string { return env }, "serve")
	})
}
