package cli

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// process is trademon serve as a real process.
type process struct {
	cmd  *exec.Cmd
	url  string
	logs *syncBuffer
}

// buildTrademon builds the binary into dir.
func buildTrademon(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "trademon")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/trademon/trademon/cmd/trademon").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

var listeningRE = regexp.MustCompile(`msg=listening component=http addr=(127\.0\.0\.1:\d+)`)

// startProcess runs `bin --config cfg serve` and waits until it listens.
func startProcess(t *testing.T, bin, cfg string) *process {
	t.Helper()
	cmd := exec.Command(bin, "--config", cfg, "serve")
	cmd.Env = os.Environ()
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd, logs: &syncBuffer{}}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("serve log:\n%s", p.logs.String())
		}
	})
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sent := false
		for sc.Scan() {
			fmt.Fprintln(p.logs, sc.Text())
			if m := listeningRE.FindStringSubmatch(sc.Text()); m != nil && !sent {
				found <- "http://" + m[1]
				sent = true
			}
		}
		if !sent {
			close(found)
		}
	}()
	select {
	case u, ok := <-found:
		if !ok {
			t.Fatalf("serve exited before listening:\n%s", p.logs.String())
		}
		p.url = u
	case <-time.After(60 * time.Second):
		t.Fatalf("serve did not listen within 60s:\n%s", p.logs.String())
	}
	return p
}

// TestKillAfterAcknowledgeLosesNothing sends a burst of figures from concurrent
// clients to a real trademon process and kills it with SIGKILL right after the 60th
// 2xx: after a restart every acknowledged figure is there, once, and a figure waiting
// for approval and a login session survived too.
func TestKillAfterAcknowledgeLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	bin := buildTrademon(t, dir)
	users := usersFile(t, dir)
	cfg := write(t, dir, "trademon.yaml", fmt.Sprintf(offline+"listen: 127.0.0.1:0\nhistory: none\nstore:\n  path: %s\nusers: %s\n", filepath.Join(dir, "data"), users))
	p := startProcess(t, bin, cfg)
	s := &staffServer{serving: &serving{url: p.url}, dir: dir, cfg: cfg}

	// Before the burst: a pending figure and a session.
	code, out := s.postJSON(t, "/api/v1/observations", userByRole("editor").token,
		`{"indicator":"digital_economy_share","period":"2023","value":"31.5","quote":"深圳统计年鉴2024 表3-1"}`)
	if code != 201 {
		t.Fatalf("pending figure: %d %v", code, out)
	}
	sess := s.login(t, userByRole("approver"))

	type ack struct{ period string }
	var mu sync.Mutex
	var acked []ack
	killed := make(chan struct{})
	var once sync.Once
	const clients, perClient, killAfter = 8, 40, 60
	admin := userByRole("admin").token
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			for i := range perClient {
				n := c*perClient + i
				period := fmt.Sprintf("%d-%02d", 1995+n/12, n%12+1)
				body := fmt.Sprintf(`{"indicator":"usd_cny_rate","period":%q,"basis":"month","value":7.0,"source_url":"https://www.safe.gov.cn/%d.html"}`, period, n)
				req, _ := http.NewRequest("POST", p.url+"/api/v1/observations", strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+admin)
				req.Header.Set("Content-Type", "application/json")
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					return // the process is gone: not acknowledged
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != http.StatusCreated {
					select {
					case <-killed:
					default:
						t.Errorf("POST %s: %d", period, res.StatusCode)
					}
					return
				}
				mu.Lock()
				acked = append(acked, ack{period})
				if len(acked) == killAfter {
					once.Do(func() {
						_ = p.cmd.Process.Kill() // SIGKILL
						close(killed)
					})
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	<-killed
	_ = p.cmd.Wait()
	mu.Lock()
	n := len(acked)
	mu.Unlock()
	if n < killAfter {
		t.Fatalf("only %d figures acknowledged", n)
	}

	p2 := startProcess(t, bin, cfg)
	s2 := &staffServer{serving: &serving{url: p2.url}, dir: dir, cfg: cfg}
	code, body := s2.call(t, "GET", "/api/v1/observations?indicator=usd_cny_rate&basis=month", admin, "", "")
	var list struct {
		Observations []struct {
			Period string  `json:"period"`
			Value  float64 `json:"value"`
		} `json:"observations"`
	}
	if err := json.Unmarshal([]byte(body), &list); err != nil || code != 200 {
		t.Fatalf("list after restart: %d %v", code, err)
	}
	have := map[string]int{}
	for _, o := range list.Observations {
		have[o.Period]++
	}
	for _, a := range acked {
		if have[a.period] != 1 {
			t.Errorf("acknowledged figure %s: %d stored after the restart, want 1", a.period, have[a.period])
		}
	}
	t.Logf("%d acknowledged before SIGKILL, %d stored after restart (figures in flight may or may not be)", n, len(list.Observations))

	// The audit trail has one create per stored figure.
	code, body = s2.call(t, "GET", "/api/v1/audit?indicator=usd_cny_rate&action=create", admin, "", "")
	if c := strings.Count(body, `"action":"create"`); code != 200 || c < n {
		t.Errorf("audit after restart: %d creates for %d acknowledged figures", c, n)
	}
	// The pending figure and the session survived.
	code, body = s2.call(t, "GET", "/api/v1/approvals", admin, "", "")
	if code != 200 || !strings.Contains(body, `"indicator":"digital_economy_share"`) {
		t.Errorf("pending figure after restart: %d %s", code, body)
	}
	// Cookies are not bound to a port: the approver's session cookie goes to the new process.
	code, loc, page := sess.get(t, p2.url+"/entry")
	if code != 200 || !strings.Contains(page, "LI.NA (li.na)") {
		t.Errorf("session after restart: %d %s %s", code, loc, snippet(page))
	}
}
