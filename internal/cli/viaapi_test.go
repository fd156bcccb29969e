package cli

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// TestCLIThroughRunningServe: while serve holds the embedded store, `trademon import`
// and `trademon targets` go through its API with TRADEMON_TOKEN, say so, and keep
// their output and exit codes; without a token they say exactly what to do.
func TestCLIThroughRunningServe(t *testing.T) {
	s := startStaff(t, "")
	// The CLI finds the server at the config's listen address: the port serve got.
	cfg, _ := os.ReadFile(s.cfg)
	s.cfg = write(t, s.dir, "cli.yaml", strings.Replace(string(cfg), "listen: 127.0.0.1:0", "listen: "+strings.TrimPrefix(s.url, "http://"), 1))
	csv := write(t, s.dir, "figures.csv", "indicator,period,basis,value,unit,source_url,note\n"+
		"services_trade,2022,year,1200,亿美元,https://commerce.sz.gov.cn/2022.html,\n"+
		"services_trade,2021,year,\"12,OO\",亿美元,,\n")

	t.Setenv("TRADEMON_TOKEN", "")
	code, _, errOut := run(t, "--config", s.cfg, "import", csv)
	if code != 1 || !strings.Contains(errOut, "a running trademon serve holds the store") || !strings.Contains(errOut, "set TRADEMON_TOKEN to an API token of your user (`trademon token NAME` prints one") {
		t.Errorf("import without a token: exit %d\n%s", code, errOut)
	}
	code, _, errOut = run(t, "--config", s.cfg, "targets")
	if code != 1 || !strings.Contains(errOut, "needs a token: set TRADEMON_TOKEN") {
		t.Errorf("targets without a token: exit %d\n%s", code, errOut)
	}

	t.Setenv("TRADEMON_TOKEN", userByRole("editor").token)
	code, out, errOut := run(t, "--config", s.cfg, "import", csv)
	if code != exitImportRejected || !strings.Contains(errOut, "importing through its API at "+s.url) {
		t.Fatalf("import through the API: exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"import " + csv + ": written\n", "  rejected       1\n", "  line 3: value: \"12,OO\" is not a number: ",
		"  pending        1: waiting for an approver (see /entry)\n", "  line 2: services_trade year 2022 = 1200亿美元 (pending)\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("import output lacks %q:\n%s", want, out)
		}
	}
	// JSON output is the same summary.
	code, out, _ = run(t, "--config", s.cfg, "import", csv, "--dry-run", "--format", "json")
	var res struct {
		Rows, Rejected, Pending int
		DryRun                  bool `json:"dry_run"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != exitImportRejected || res.Rows != 2 || res.Rejected != 1 || res.Pending != 1 || !res.DryRun {
		t.Errorf("dry run through the API: exit %d %+v %v\n%s", code, res, err, out)
	}

	t.Setenv("TRADEMON_TOKEN", userByRole("viewer").token)
	code, out, errOut = run(t, "--config", s.cfg, "targets", "--format", "json")
	if code != 0 || !strings.Contains(errOut, "reading it through its API at "+s.url) {
		t.Fatalf("targets through the API: exit %d\n%s", code, errOut)
	}
	var vs []struct{ Target, Status string }
	if err := json.Unmarshal([]byte(out), &vs); err != nil || len(vs) != 9 {
		t.Fatalf("targets JSON: %v\n%s", err, out)
	}
	_, body := getBody(t, s.url+"/api/v1/targets")
	var served []struct{ Target, Status string }
	_ = json.Unmarshal([]byte(body), &served)
	for i := range vs {
		if vs[i] != served[i] {
			t.Errorf("CLI through the API says %+v, the server %+v", vs[i], served[i])
		}
	}
	// --known needs the revisions too: the CLI reads them through GET /api/v1/revisions
	// and says what the server says.
	code, out, errOut = run(t, "--config", s.cfg, "targets", "--format", "json", "--known", "2024-07")
	if code != 0 || !strings.Contains(errOut, "reading it through its API at "+s.url) {
		t.Fatalf("targets --known through the API: exit %d\n%s", code, errOut)
	}
	type brief struct {
		Target, Status, Period string
		Actual                 float64
	}
	var knownCLI, knownServed []brief
	_, body = getBody(t, s.url+"/api/v1/targets?known=2024-07")
	if err := json.Unmarshal([]byte(out), &knownCLI); err != nil || json.Unmarshal([]byte(body), &knownServed) != nil || len(knownCLI) != 9 || len(knownServed) != 9 {
		t.Fatalf("targets --known JSON: %v\n%s\n%s", err, out, body)
	}
	for i := range knownCLI {
		if knownCLI[i] != knownServed[i] {
			t.Errorf("--known 2024-07: CLI through the API says %+v, the server %+v", knownCLI[i], knownServed[i])
		}
	}
	// The import was audited under the token's user.
	_, trail := s.call(t, "GET", "/api/v1/audit?action=import", userByRole("viewer").token, "", "")
	if !strings.Contains(trail, `"user":"zhang.wei"`) || !strings.Contains(trail, "figures.csv: 2 rows, 0 created, 0 updated, 0 unchanged, 1 pending, 1 rejected, written true") {
		t.Errorf("import audit: %s", trail)
	}
}
