package faults

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/trademon/trademon/internal/auth"
	"github.com/trademon/trademon/internal/testutil/proc"
	"github.com/trademon/trademon/internal/testutil/statsite"
)

// scrape returns the samples of /metrics whose name and labels start with prefix,
// as series text → value.
func scrape(t *testing.T, base, prefix string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		l := sc.Text()
		if !strings.HasPrefix(l, prefix) {
			continue
		}
		i := strings.LastIndexByte(l, ' ')
		v, err := strconv.ParseFloat(l[i+1:], 64)
		if err != nil {
			t.Fatalf("metric line %q: %v", l, err)
		}
		out[l[:i]] = v
	}
	if resp.StatusCode != 200 {
		t.Fatalf("/metrics: %d", resp.StatusCode)
	}
	return out
}

func metricValue(t *testing.T, base, series string) float64 {
	t.Helper()
	v, ok := scrape(t, base, series)[series]
	if !ok {
		t.Fatalf("/metrics has no %s", series)
	}
	return v
}

// reloadAndWait sends SIGHUP and waits for the n-th reload log line (success or
// failure), returning it.
func reloadAndWait(t *testing.T, p *proc.Process, n int) string {
	t.Helper()
	p.Signal(syscall.SIGHUP)
	re := regexp.MustCompile(`msg="config reload(ed| failed)`)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		var lines []string
		for _, l := range strings.Split(p.Log(), "\n") {
			if re.MatchString(l) {
				lines = append(lines, l)
			}
		}
		if len(lines) >= n {
			return lines[n-1]
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("reload %d never logged\n%s", n, p.Log())
	return ""
}

// TestConfigReload changes and breaks the config of a running serve and sends SIGHUP:
// a good change is applied (a new goal shows in /metrics), a broken targets file or a
// broken config file changes nothing (the old goal stays, the server keeps serving)
// and sets trademon_config_last_reload_successful to 0 with the reason in the log,
// and the next good reload sets it back to 1 with a newer timestamp. A changed listen
// address is reported as needing a restart.
func TestConfigReload(t *testing.T) {
	dir := t.TempDir()
	orig, err := os.ReadFile(filepath.Join("..", "..", "config", "targets.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	targetsFile := filepath.Join(dir, "targets.yaml")
	writeFile(t, targetsFile, string(orig))
	main := fmt.Sprintf("listen: 127.0.0.1:0\nhistory: none\nstore: {path: %s}\ntargets: %s\n", filepath.Join(dir, "data"), targetsFile)
	env := writeConfig(t, dir, main)
	cfgFile := filepath.Join(dir, "trademon.yaml")
	cfgText, _ := os.ReadFile(cfgFile)

	p := proc.Serve(t, bin, env)
	goal := `trademon_target_goal_value{target="retail_sales"}`
	ok := "trademon_config_last_reload_successful"
	stamp := "trademon_config_last_reload_success_timestamp_seconds"
	waitMetric := func(series string, want float64) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for metricValue(t, p.Addr(), series) != want {
			if time.Now().After(deadline) {
				t.Fatalf("%s = %v, want %v", series, metricValue(t, p.Addr(), series), want)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	waitMetric(goal, 1.25e12)
	if metricValue(t, p.Addr(), ok) != 1 {
		t.Fatalf("%s is not 1 at start", ok)
	}
	t0 := metricValue(t, p.Addr(), stamp)

	// 1. A good change is applied.
	time.Sleep(10 * time.Millisecond)
	writeFile(t, targetsFile, strings.Replace(string(orig), "goal: 12500亿元", "goal: 13000亿元", 1))
	if l := reloadAndWait(t, p, 1); !strings.Contains(l, "config reloaded") {
		t.Fatalf("good reload: %s", l)
	}
	waitMetric(goal, 1.3e12)
	t1 := metricValue(t, p.Addr(), stamp)
	if metricValue(t, p.Addr(), ok) != 1 || !(t1 > t0) {
		t.Errorf("after a good reload: successful %v, timestamp %v (start %v)", metricValue(t, p.Addr(), ok), t1, t0)
	}

	// 2. A broken targets file and 3. a broken config file change nothing.
	for i, broken := range []struct{ file, text, why string }{
		{targetsFile, strings.Replace(string(orig), "goal: 12500亿元", "goal: [lots]", 1), "targets"},
		{cfgFile, string(cfgText) + "listen: [\n", "load config"},
	} {
		writeFile(t, broken.file, broken.text)
		l := reloadAndWait(t, p, 2+i)
		if !strings.Contains(l, "config reload failed") || !strings.Contains(l, broken.why) {
			t.Errorf("broken %s: log %s", broken.why, l)
		}
		if v := metricValue(t, p.Addr(), ok); v != 0 {
			t.Errorf("broken %s: %s = %v, want 0", broken.why, ok, v)
		}
		if v := metricValue(t, p.Addr(), goal); v != 1.3e12 {
			t.Errorf("broken %s: goal %v, want the running 1.3e12", broken.why, v)
		}
		if v := metricValue(t, p.Addr(), stamp); v != t1 {
			t.Errorf("broken %s: success timestamp moved to %v", broken.why, v)
		}
		if resp, err := http.Get(p.Addr() + "/readyz"); err != nil || resp.StatusCode != 200 {
			t.Fatalf("serve no longer ready after a broken reload: %v %v", resp, err)
		} else {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		// Restore this file for the next case.
		if broken.file == targetsFile {
			writeFile(t, targetsFile, strings.Replace(string(orig), "goal: 12500亿元", "goal: 13000亿元", 1))
		}
	}
	if v := metricValue(t, p.Addr(), `trademon_config_reloads_total{result="failure"}`); v != 2 {
		t.Errorf("failed reloads counted %v, want 2", v)
	}

	// 4. Fixed again, with a new listen address: applied, the address needs a restart.
	writeFile(t, cfgFile, strings.Replace(string(cfgText), "listen: 127.0.0.1:0", "listen: 127.0.0.1:1", 1))
	if l := reloadAndWait(t, p, 4); !strings.Contains(l, "config reloaded") || !strings.Contains(l, "restart_needed=listen") {
		t.Errorf("fixed reload: %s", l)
	}
	if v := metricValue(t, p.Addr(), ok); v != 1 {
		t.Errorf("after the fix: %s = %v", ok, v)
	}
	if v := metricValue(t, p.Addr(), goal); v != 1.3e12 {
		t.Errorf("after the fix: goal %v", v)
	}
}

// countRuns counts the log lines of finished scheduled runs of collector.
func countRuns(log, collector string) int {
	re := regexp.MustCompile(`msg="collector run (done|failed)".* collector=` + collector + ` trigger=schedule`)
	return len(re.FindAllString(log, -1))
}

// TestConfigReloadCollectors reloads the collectors of a running serve: a new schedule
// takes effect at once (hourly → every second), a source with a broken selector is
// refused as a whole (the old schedule and sources keep running, the metric drops to
// 0), and disabling a collector stops its runs.
func TestConfigReloadCollectors(t *testing.T) {
	site := statsite.New(t, statsite.Options{})
	dir := t.TempDir()
	head := fmt.Sprintf("listen: 127.0.0.1:0\nhistory: none\nstore: {path: %s}\n", filepath.Join(dir, "data"))
	hourly := head + site.Config("@every 1h")
	env := writeConfig(t, dir, hourly)
	cfgFile := filepath.Join(dir, "trademon.yaml")
	p := proc.Serve(t, bin, env)
	p.WaitLog(regexp.MustCompile(`msg="collector run done".*collector=retail trigger=startup`), time.Minute)

	waitRuns := func(collector string, atLeast int) {
		t.Helper()
		deadline := time.Now().Add(time.Minute)
		for countRuns(p.Log(), collector) < atLeast {
			if time.Now().After(deadline) {
				t.Fatalf("%s: %d scheduled runs, want %d\n%s", collector, countRuns(p.Log(), collector), atLeast, p.Log())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	if n := countRuns(p.Log(), "retail"); n != 0 {
		t.Fatalf("%d scheduled retail runs before the reload, on an hourly schedule", n)
	}

	// 1. Every second: scheduled runs start.
	writeFile(t, cfgFile, head+site.Config("@every 1s"))
	if l := reloadAndWait(t, p, 1); !strings.Contains(l, "config reloaded") || !strings.Contains(l, "collectors") {
		t.Fatalf("reload: %s", l)
	}
	waitRuns("retail", 2)
	waitRuns("trade", 2)

	// 2. A broken selector: refused, the every-second schedule goes on.
	writeFile(t, cfgFile, strings.Replace(head+site.Config("@every 1h"), `link_selector: ".list-article ul.column-article li a"`, `link_selector: "li[[["`, 1))
	if l := reloadAndWait(t, p, 2); !strings.Contains(l, "config reload failed") || !strings.Contains(l, "link_selector") {
		t.Errorf("broken selector: %s", l)
	}
	if v := metricValue(t, p.Addr(), "trademon_config_last_reload_successful"); v != 0 {
		t.Errorf("after a broken selector: successful = %v", v)
	}
	n := countRuns(p.Log(), "retail")
	waitRuns("retail", n+2)

	// 3. retail disabled: its runs stop, trade's go on.
	writeFile(t, cfgFile, strings.Replace(head+site.Config("@every 1s"), "  retail:\n    enabled: true", "  retail:\n    enabled: false", 1))
	if l := reloadAndWait(t, p, 3); !strings.Contains(l, "config reloaded") {
		t.Fatalf("disable retail: %s", l)
	}
	time.Sleep(1500 * time.Millisecond) // a run already started may finish
	n = countRuns(p.Log(), "retail")
	m := countRuns(p.Log(), "trade")
	waitRuns("trade", m+2)
	if got := countRuns(p.Log(), "retail"); got != n {
		t.Errorf("retail ran %d more times after it was disabled", got-n)
	}
	if strings.Contains(p.Log(), "level=ERROR") && !strings.Contains(p.Log(), "config reload failed") {
		t.Errorf("errors in the log:\n%s", p.Log())
	}
}

// usersYAML is a users file giving each name → role an API token (the token is the
// name repeated, for the test).
func usersYAML(users ...[2]string) string {
	var b strings.Builder
	b.WriteString("users:\n")
	for _, u := range users {
		fmt.Fprintf(&b, "  - name: %s\n    role: %s\n    tokens: [%q]\n", u[0], u[1], auth.HashToken(token(u[0])))
	}
	return b.String()
}

func token(name string) string { return strings.Repeat(name, 4) + "-test-token-0123456789" }

// post sends POST path with the bearer token of name ("" for none) and returns the
// status and body.
func post(t *testing.T, base, path, name string) (int, string) {
	t.Helper()
	return call(t, http.MethodPost, base+path, bearerOf(name), nil)
}

// get sends GET path with the bearer token of name and returns the status.
func get(t *testing.T, base, path, name string) int {
	t.Helper()
	code, _ := call(t, http.MethodGet, base+path, bearerOf(name), nil)
	return code
}

// bearerOf is the API token of name, or none for "".
func bearerOf(name string) string {
	if name == "" {
		return ""
	}
	return token(name)
}

// TestReloadEndpoint checks POST /-/reload: only an admin may reload (401 without a
// token, 403 for a viewer and an editor); a broken users file answers 500 with the
// reason, changes nothing (the old tokens still work, the new one does not) and sets
// the metric to 0; a good one answers 200, and a user added to the users file can use
// the API at once.
func TestReloadEndpoint(t *testing.T) {
	dir := t.TempDir()
	usersFile := filepath.Join(dir, "users.yaml")
	writeFile(t, usersFile, usersYAML([2]string{"root", "admin"}, [2]string{"vera", "viewer"}, [2]string{"ed", "editor"}))
	env := writeConfig(t, dir, fmt.Sprintf("listen: 127.0.0.1:0\nhistory: none\nstore: {path: %s}\nusers: %s\n", filepath.Join(dir, "data"), usersFile))
	p := proc.Serve(t, bin, env)

	for _, tc := range []struct {
		who  string
		want int
	}{{"", 401}, {"vera", 403}, {"ed", 403}, {"nobody", 401}} {
		if code, body := post(t, p.Addr(), "/-/reload", tc.who); code != tc.want || !strings.Contains(body, `"error"`) {
			t.Errorf("POST /-/reload as %q = %d %s, want %d with a JSON error", tc.who, code, body, tc.want)
		}
	}
	if n := strings.Count(p.Log(), "config reload"); n != 0 {
		t.Errorf("refused requests reloaded the config %d times", n)
	}

	// A broken users file (an unknown role) is refused as a whole.
	writeFile(t, usersFile, usersYAML([2]string{"root", "admin"}, [2]string{"nina", "viewer"})+"  - name: mallory\n    role: god\n    tokens: [\"sha256:00\"]\n")
	code, body := post(t, p.Addr(), "/-/reload", "root")
	if code != 500 || !strings.Contains(body, "users") || !strings.Contains(body, "unchanged") {
		t.Errorf("reload with a broken users file = %d %s", code, body)
	}
	if v := metricValue(t, p.Addr(), "trademon_config_last_reload_successful"); v != 0 {
		t.Errorf("after a broken reload: successful = %v", v)
	}
	if get(t, p.Addr(), "/api/v1/whoami", "vera") != 200 || get(t, p.Addr(), "/api/v1/whoami", "nina") != 401 {
		t.Errorf("a refused reload changed the users in force")
	}

	// Fixed: nina can use the API, vera (removed) cannot.
	writeFile(t, usersFile, usersYAML([2]string{"root", "admin"}, [2]string{"nina", "viewer"}))
	code, body = post(t, p.Addr(), "/-/reload", "root")
	if code != 200 || !strings.Contains(body, `"users"`) {
		t.Fatalf("good reload = %d %s", code, body)
	}
	if v := metricValue(t, p.Addr(), "trademon_config_last_reload_successful"); v != 1 {
		t.Errorf("after a good reload: successful = %v", v)
	}
	if get(t, p.Addr(), "/api/v1/whoami", "nina") != 200 || get(t, p.Addr(), "/api/v1/whoami", "vera") != 401 {
		t.Errorf("the reloaded users file is not in force")
	}
	for _, secret := range []string{token("root"), token("vera"), token("nina")} {
		if strings.Contains(p.Log(), secret) {
			t.Errorf("a token appears in the log")
		}
	}
}
