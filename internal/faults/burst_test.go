package faults

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/testutil/influxtest"
	"github.com/trademon/trademon/internal/testutil/proc"
)

// entryFigure is the i-th figure of a burst: port throughput of one month from 1950
// on, every key distinct, the value close to its neighbours'.
func entryFigure(i int) (period string, value float64, body []byte) {
	p := obs.MonthPeriod(1950+i/12, i%12+1)
	value = 300 + float64(i%7) // 万标箱
	body, _ = json.Marshal(map[string]any{
		"indicator": "port_container_throughput", "period": p.String(), "basis": "month",
		"value": value, "unit": "万标箱", "source_url": "https://jtys.sz.gov.cn/burst.html",
		"note": "burst", "confirm": "burst test",
	})
	return p.String(), value * 1e4, body
}

// postEntry posts one figure with its Idempotency-Key and returns the status.
func postEntry(client *http.Client, base, tok string, i int) (int, error) {
	_, _, body := entryFigure(i)
	req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/observations", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Idempotency-Key", fmt.Sprintf("burst-%d", i))
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// listPort returns the stored port figures (period → values, one per stored record)
// through the API.
func listPort(t *testing.T, base, tok string) map[string][]float64 {
	t.Helper()
	var out struct {
		Observations []struct {
			Period string  `json:"period"`
			Value  float64 `json:"value"`
		} `json:"observations"`
	}
	apiGet(t, base+"/api/v1/observations?indicator=port_container_throughput&basis=month", tok, &out)
	got := map[string][]float64{}
	for _, o := range out.Observations {
		got[o.Period] = append(got[o.Period], o.Value)
	}
	return got
}

// createAudits counts the audit records of port figures per period.
func createAudits(t *testing.T, base, tok string) map[string]int {
	t.Helper()
	var out struct {
		Audit []struct {
			Period string `json:"period"`
			Action string `json:"action"`
		} `json:"audit"`
	}
	apiGet(t, base+"/api/v1/audit?indicator=port_container_throughput", tok, &out)
	n := map[string]int{}
	for _, a := range out.Audit {
		n[a.Period+" "+a.Action]++
	}
	return n
}

// TestKilledDuringEntryBurst sends a burst of API entries from 8 clients and kills
// trademon with SIGKILL in the middle of it; after a restart every entry that got a
// 201 is stored with its value, exactly once, with one audit record; then the
// clients retry the entries that got no answer with the same Idempotency-Key, and
// each is stored once more at most: nothing duplicated. In both store kinds.
func TestKilledDuringEntryBurst(t *testing.T) {
	for _, kind := range []string{"embedded", "influxdb"} {
		t.Run(kind, func(t *testing.T) { burst(t, kind) })
	}
}

func burst(t *testing.T, kind string) {
	dir := t.TempDir()
	usersFile := filepath.Join(dir, "users.yaml")
	writeFile(t, usersFile, usersYAML([2]string{"clerk", "editor"}, [2]string{"root", "admin"}))
	storeCfg := fmt.Sprintf("store: {path: %s}\n", filepath.Join(dir, "data"))
	if kind == "influxdb" {
		p := influxtest.StartProcess(t)
		storeCfg = influxConfig(t, p, p.Server().CreateDatabase(t), filepath.Join(dir, "data"))
	}
	env := writeConfig(t, dir, "listen: 127.0.0.1:0\nhistory: none\n"+storeCfg+"users: "+usersFile+"\n")
	srv := proc.Serve(t, bin, env)
	base, tok := srv.Addr(), token("clerk")

	const clients, total, killAfter = 8, 2000, 150
	var (
		next    atomic.Int64
		mu      sync.Mutex
		acked   = map[int]bool{}
		pending = map[int]bool{} // sent, answer lost
		wg      sync.WaitGroup
		killed  = make(chan struct{})
		once    sync.Once
	)
	client := &http.Client{Timeout: 30 * time.Second}
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= total {
					return
				}
				code, err := postEntry(client, base, tok, i)
				mu.Lock()
				switch {
				case err == nil && code == http.StatusCreated:
					acked[i] = true
					if len(acked) == killAfter {
						once.Do(func() { close(killed) })
					}
				case err == nil:
					mu.Unlock()
					t.Errorf("entry %d: %d before the kill", i, code)
					return
				default:
					pending[i] = true
				}
				mu.Unlock()
				if err != nil {
					return // the server is gone
				}
			}
		}()
	}
	stopped := make(chan struct{})
	go func() { wg.Wait(); close(stopped) }()
	select {
	case <-killed:
	case <-stopped:
		t.Fatalf("the clients stopped after %d acknowledged entries\n%s", len(acked), grepLines(srv.Log(), "level=ERROR"))
	case <-time.After(runFor):
		t.Fatalf("only %d entries acknowledged", len(acked))
	}
	srv.Signal(syscall.SIGKILL)
	wg.Wait()
	srv.Wait(30 * time.Second)

	srv = proc.Serve(t, bin, env)
	base = srv.Addr()
	got := listPort(t, base, tok)
	audits := createAudits(t, base, tok)
	for i := range acked {
		period, value, _ := entryFigure(i)
		if vs := got[period]; len(vs) != 1 || vs[0] != value {
			t.Errorf("acknowledged entry %d (%s = %v) after the restart: %v", i, period, value, vs)
		}
		if n := audits[period+" create"]; n != 1 {
			t.Errorf("acknowledged entry %d: %d create audit records", i, n)
		}
	}
	extra := 0
	for period := range got {
		extra++
		_ = period
	}
	extra -= len(acked)
	if extra < 0 || extra > len(pending) {
		t.Errorf("%d stored figures beyond the %d acknowledged (%d answers were lost)", extra, len(acked), len(pending))
	}
	// Retrying what got no answer stores each at most once.
	for i := range pending {
		if code, err := postEntry(client, base, tok, i); err != nil || (code != http.StatusCreated && code != http.StatusOK) {
			t.Errorf("retry of entry %d: %d %v", i, code, err)
		}
	}
	after := listPort(t, base, tok)
	for period, vs := range after {
		if len(vs) != 1 {
			t.Errorf("%s stored %d times", period, len(vs))
		}
	}
	if len(after) != len(acked)+len(pending) {
		t.Errorf("after the retries %d figures stored, want %d acknowledged + %d retried", len(after), len(acked), len(pending))
	}
	for k, n := range createAudits(t, base, tok) {
		if n != 1 {
			t.Errorf("audit %s: %d records", k, n)
		}
	}
	t.Logf("%s: %d entries acknowledged before SIGKILL, %d in flight, %d stored then beyond the acknowledged", kind, len(acked), len(pending), extra)
}

// grepLines returns the lines of text containing substr.
func grepLines(text, substr string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
