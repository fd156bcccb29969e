package faults

import (
	"fmt"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/testutil/influxtest"
	"github.com/trademon/trademon/internal/testutil/proc"
	"github.com/trademon/trademon/internal/testutil/statsite"
)

// influxConfig is a config for store kind influxdb on p, with a spool that retries fast.
func influxConfig(t *testing.T, p *influxtest.Process, bucket, dataDir string) string {
	t.Helper()
	return fmt.Sprintf(`store:
  kind: influxdb
  path: %s
  influxdb: {url: %q, bucket: %q, timeout: 10s}
  spool: {retry_min: 50ms, retry_max: 500ms}
`, dataDir, p.URL(), bucket)
}

// stored reads every observation point InfluxDB holds in bucket: key
// (indicator|basis|period) → the values of its points (one per point).
func storedPoints(t *testing.T, srv *influxtest.Server, bucket string) map[string][]float64 {
	t.Helper()
	q := fmt.Sprintf(`from(bucket: %q) |> %s |> filter(fn: (r) => r._measurement == "observation" and r._field == "value")`, bucket, influxtest.AllTime)
	out := map[string][]float64{}
	for _, row := range srv.Flux(t, q) {
		v, err := strconv.ParseFloat(row["_value"], 64)
		if err != nil {
			t.Fatalf("value %q: %v", row["_value"], err)
		}
		k := row["indicator"] + "|" + row["basis"] + "|" + row["period"]
		out[k] = append(out[k], v)
	}
	return out
}

// TestInfluxKilledDuringBackfill kills influxd with SIGKILL in the middle of a
// backfill and starts it again while the backfill goes on: every observation the site
// states arrives exactly once, with its value, and nothing else does (no duplicate
// point under another tag, no spurious revision from a write delivered twice).
func TestInfluxKilledDuringBackfill(t *testing.T) {
	p := influxtest.StartProcess(t)
	srv := p.Server()
	bucket := srv.CreateDatabase(t)
	site := statsite.New(t, statsite.Options{From: obs.MonthPeriod(2021, 2), To: obs.MonthPeriod(2025, 9)})
	months := len(site.Months())
	killAt, restartAt := int64(months/3), int64(2*months/3)

	killNow, killed := make(chan struct{}), make(chan struct{})
	restartNow, restarted := make(chan struct{}), make(chan struct{})
	site.OnArticle(func(n int64) {
		// The backfill waits on the site while the test kills and restarts InfluxDB, so
		// both happen with articles fetched before and after.
		switch n {
		case killAt:
			close(killNow)
			<-killed
		case restartAt:
			close(restartNow)
			<-restarted
		}
	})
	dir := t.TempDir()
	env := writeConfig(t, dir, influxConfig(t, p, bucket, dir+"/data")+site.Config("@every 1h"))
	bf := proc.Start(t, bin, env, "backfill", "--from", "2021-01")

	wait := func(ch chan struct{}, what string) {
		select {
		case <-ch:
		case <-time.After(runFor):
			t.Fatalf("backfill never reached %s\n%s", what, bf.Log())
		}
	}
	wait(killNow, "the kill point")
	p.Kill(t)
	close(killed)
	wait(restartNow, "the restart point")
	p.Start(t)
	close(restarted)
	// A collector whose safety check could not read the stored neighbours while
	// InfluxDB was down fails its run and the backfill says so (exit 1, naming the
	// store); what it had acknowledged is spooled. Running the backfill again, as the
	// message asks, completes it.
	reran := false
	if code := bf.Wait(runFor); code != 0 {
		if code != 1 || !storeDownRE.MatchString(bf.Log()) {
			t.Fatalf("backfill exit %d without naming the unreachable store\n%s", code, bf.Log())
		}
		again := proc.Run(t, bin, env, runFor, "backfill", "--from", "2021-01")
		if again.Code != 0 {
			t.Fatalf("second backfill: exit %d\n%s", again.Code, again.Stderr)
		}
		reran = true
	}

	want := site.Expected(obs.MonthPeriod(2021, 1))
	got := storedPoints(t, srv, bucket)
	for _, f := range want {
		vs := got[f.Key()]
		switch {
		case len(vs) != 1:
			t.Errorf("%s: %d points, want exactly 1", f.Key(), len(vs))
		case vs[0] != f.Value:
			t.Errorf("%s = %v, the article states %v", f.Key(), vs[0], f.Value)
		}
		delete(got, f.Key())
	}
	for k, vs := range got {
		t.Errorf("%s: %d points stored that no article states (%v)", k, len(vs), vs)
	}
	if n := srv.CountPoints(t, bucket, "revision", "value"); len(n) != 0 {
		t.Errorf("revisions after a clean backfill: %v", n)
	}
	if len(want) != 4*months {
		t.Fatalf("site states %d figures for %d months", len(want), months)
	}
	t.Logf("%d observations from %d articles; influxd killed after article %d, back after %d; second backfill needed: %v",
		len(want), months, killAt, restartAt, reran)
}

// storeDownRE matches the error of a collector run that could not reach InfluxDB.
var storeDownRE = regexp.MustCompile(`collector run failed.*influx.*(connection refused|timeout|EOF)`)
