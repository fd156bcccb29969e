package faults

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/testutil/influxtest"
	"github.com/trademon/trademon/internal/testutil/proc"
	"github.com/trademon/trademon/internal/testutil/tmpfs"
)

// bigBatch is n port figures from month first on, each with a long quote, so that
// storing them needs new pages in the store's file.
func bigBatch(first, n int) []byte {
	var fs []map[string]any
	for i := first; i < first+n; i++ {
		p := obs.MonthPeriod(1950+i/12, i%12+1)
		fs = append(fs, map[string]any{"indicator": "port_container_throughput", "period": p.String(), "basis": "month",
			"value": 300 + i%7, "unit": "万标箱", "quote": strings.Repeat("深圳港集装箱吞吐量", 60), "confirm": "disk test"})
	}
	b, _ := json.Marshal(fs)
	return b
}

func postBatch(t *testing.T, base string, body []byte) (int, string) {
	t.Helper()
	return call(t, http.MethodPost, base+"/api/v1/observations", token("clerk"), body)
}

func readyz(t *testing.T, base string) (int, string) {
	t.Helper()
	resp, err := http.Get(base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestDiskFull fills the disk under a running serve (the embedded store's file, or in
// InfluxDB mode the spool's): writes through the API are refused with an error naming
// the cause, /readyz answers 503 saying why, nothing acknowledged before is lost, and
// once there is space again writes succeed and /readyz is 200 — across a restart too.
func TestDiskFull(t *testing.T) {
	for _, kind := range []string{"embedded", "influxdb"} {
		t.Run(kind, func(t *testing.T) { diskFull(t, kind) })
	}
}

func diskFull(t *testing.T, kind string) {
	disk := tmpfs.Mount(t, 8<<20)
	dir := t.TempDir()
	usersFile := filepath.Join(dir, "users.yaml")
	writeFile(t, usersFile, usersYAML([2]string{"clerk", "editor"}))
	data := filepath.Join(disk, "data")
	storeCfg := fmt.Sprintf("store: {path: %s}\n", data)
	if kind == "influxdb" {
		p := influxtest.StartProcess(t)
		storeCfg = influxConfig(t, p, p.Server().CreateDatabase(t), data)
	}
	env := writeConfig(t, dir, "listen: 127.0.0.1:0\nhistory: none\n"+storeCfg+"users: "+usersFile+"\n")
	srv := proc.Serve(t, bin, env)
	if code, body := postBatch(t, srv.Addr(), bigBatch(0, 20)); code != 201 {
		t.Fatalf("first batch: %d %s", code, body)
	}

	filler := filepath.Join(disk, "filler")
	tmpfs.Fill(t, filler)
	refused := false
	for i := 1; i <= 20 && !refused; i++ { // free pages in the file may take a few batches
		code, body := postBatch(t, srv.Addr(), bigBatch(20*i, 20))
		switch {
		case code == 201:
			continue
		case code >= 500 && strings.Contains(body, "no space left on device"):
			refused = true
		default:
			t.Fatalf("batch %d on a full disk: %d %s", i, code, body)
		}
		if code, body := readyz(t, srv.Addr()); code != 503 || !strings.Contains(body, "no space left on device") {
			t.Errorf("/readyz with the disk full = %d %s, want 503 saying why", code, body)
		}
	}
	if !refused {
		t.Fatal("no write was refused with the disk full")
	}
	acked := listPort(t, srv.Addr(), token("clerk"))

	tmpfs.Free(t, filler)
	deadline := time.Now().Add(time.Minute)
	for {
		code, body := postBatch(t, srv.Addr(), bigBatch(600, 5))
		if code == 201 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("writes still refused after the disk was freed: %d %s", code, body)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if code, body := readyz(t, srv.Addr()); code != 200 {
		t.Errorf("/readyz after the disk was freed = %d %s", code, body)
	}
	srv.Signal(syscall.SIGTERM)
	if code := srv.Wait(time.Minute); code != 0 {
		t.Errorf("serve exit %d after SIGTERM", code)
	}
	srv = proc.Serve(t, bin, env)
	after := listPort(t, srv.Addr(), token("clerk"))
	for period, vs := range acked {
		if got := after[period]; len(got) != 1 || got[0] != vs[0] {
			t.Errorf("%s acknowledged as %v, after the restart %v", period, vs, got)
		}
	}
	t.Logf("%s: %d figures acknowledged before the refusal, all there after the restart (%d stored)", kind, len(acked), len(after))
}
