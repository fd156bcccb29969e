package cli

import (
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trademon/trademon/internal/testutil/influxtest"
)

// TestEntryInfluxDBMode: in InfluxDB mode a figure waits for approval in the state
// file, the approved figure and the audit trail reach InfluxDB (through the spool),
// and the verdict changes.
func TestEntryInfluxDBMode(t *testing.T) {
	srv := influxtest.Start(t)
	bucket := srv.CreateDatabase(t)
	dir := t.TempDir()
	users := usersFile(t, dir)
	cfg := write(t, dir, "trademon.yaml", fmt.Sprintf(offline+`listen: 127.0.0.1:0
users: %s
store:
  kind: influxdb
  path: %s
  influxdb:
    url: %s
    org: %s
    bucket: %s
`, users, filepath.Join(dir, "spool"), srv.URL, srv.Org, bucket))
	t.Setenv("TRADEMON_INFLUXDB_TOKEN", srv.Token)
	s := &staffServer{serving: startServe(t, cfg), dir: dir, cfg: cfg}
	code, out := s.postJSON(t, "/api/v1/observations", userByRole("editor").token,
		`{"indicator":"services_trade","period":"2024","value":"1,400","source_url":"https://commerce.sz.gov.cn/2024.html"}`)
	if code != http.StatusCreated {
		t.Fatalf("enter: %d %v", code, out)
	}
	id := out["observations"].([]any)[0].(map[string]any)["pending_id"].(string)
	if code, out := s.postJSON(t, "/api/v1/approvals/"+id+"/approve", userByRole("approver").token, `{}`); code != http.StatusOK {
		t.Fatalf("approve: %d %v", code, out)
	}
	if _, actual := s.verdictOf(t, "services_trade", "2024"); actual != 1.4e11 {
		t.Errorf("verdict actual %v", actual)
	}
	_, trail := s.call(t, "GET", "/api/v1/audit?indicator=services_trade", userByRole("viewer").token, "", "")
	if !strings.Contains(trail, `"action":"create"`) || !strings.Contains(trail, `"action":"approve"`) {
		t.Errorf("audit in InfluxDB mode: %s", trail)
	}
	s.stop()
	if err := <-s.done; err != nil {
		t.Fatalf("serve: %v", err)
	}
	if n := srv.CountPoints(t, bucket, "audit", "new_value"); len(n) == 0 {
		t.Errorf("no audit points in InfluxDB: %v", n)
	}
}
