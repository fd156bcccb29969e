package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trademon/trademon/internal/store"
	"github.com/trademon/trademon/internal/store/embedded"
)

// retailSite serves the collectors' fixture copy of tjj.sz.gov.cn (UTF-8).
func retailSite(t *testing.T) *httptest.Server {
	t.Helper()
	dir := filepath.Join("..", "..", "collectors", "internal", "sitetest", "testdata", "tjj")
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(path.Clean(r.URL.Path))))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("ETag", `"fixed"`)
		if r.Header.Get("If-None-Match") == `"fixed"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		_, _ = w.Write([]byte(strings.NewReplacer("{{BASE}}", srv.URL, "{{CHARSET}}", "utf-8").Replace(string(b))))
	}))
	t.Cleanup(srv.Close)
	return srv
}

// collectConfig writes a config with an embedded store in a temporary directory and
// only the retail collector enabled, reading the fixture site at base under listPath.
func collectConfig(t *testing.T, base, listPath string) (file, storeDir string) {
	t.Helper()
	dir := t.TempDir()
	storeDir = filepath.Join(dir, "data")
	y := `store: {kind: embedded, path: "` + filepath.ToSlash(storeDir) + `"}
history: none
fetch: {retries: 0}
collectors:
  trade: {enabled: false}
  port: {enabled: false}
  standards: {enabled: false}
  retail:
    enabled: true
    sources:
      - name: tjj-monthly
        list_urls: ["` + base + listPath + `"]
        link_selector: ".list-article ul.column-article li a"
        title_pattern: "经济运行"
        date_selector: "p.article-time"
        body_selector: ".articleBox"
        page_pattern: "index_{n}.html"
        delay: 1ms
`
	file = filepath.Join(dir, "trademon.yaml")
	if err := os.WriteFile(file, []byte(y), 0o600); err != nil {
		t.Fatal(err)
	}
	return file, storeDir
}

const tjfxList = "/zwgk/zfxxgkml/tjsj/tjfx/index.html"

func storedCount(t *testing.T, dir string) int {
	t.Helper()
	st, err := embedded.Open(dir, embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	all, err := st.Query(context.Background(), store.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	return len(all)
}

func TestCollectDryRunJSON(t *testing.T) {
	srv := retailSite(t)
	cfg, storeDir := collectConfig(t, srv.URL, tjfxList)
	code, out, errOut := run(t, "--config", cfg, "collect", "--dry-run", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var lines []map[string]any
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("not a JSON line: %q: %v", sc.Text(), err)
		}
		lines = append(lines, m)
	}
	if len(lines) != 3 {
		t.Fatalf("%d JSON lines, want 3:\n%s", len(lines), out)
	}
	for _, k := range []string{"indicator", "period", "basis", "value", "unit", "url", "quote", "source", "published_at"} {
		if _, ok := lines[0][k]; !ok {
			t.Errorf("JSON line lacks %q: %v", k, lines[0])
		}
	}
	first := lines[0]
	if first["indicator"] != "retail_sales" || first["unit"] != "CNY" || first["source"] != "retail/tjj-monthly" || first["basis"] != "ytd" {
		t.Errorf("first line %v", first)
	}
	found := false
	for _, l := range lines {
		if l["period"] == "2025-08" {
			found = l["value"] == 6.35123e11 && strings.HasSuffix(l["url"].(string), "/content/post_12008.html") &&
				strings.Contains(l["quote"].(string), "6351.23亿元")
		}
		if _, ok := l["outcome"]; ok {
			t.Errorf("dry-run line has an outcome: %v", l)
		}
	}
	if !found {
		t.Errorf("no correct 2025-08 line in %s", out)
	}
	if n := storedCount(t, storeDir); n != 0 {
		t.Errorf("dry run stored %d observations", n)
	}
}

func TestCollectStoresAndReportsText(t *testing.T) {
	srv := retailSite(t)
	cfg, storeDir := collectConfig(t, srv.URL, tjfxList)
	code, out, errOut := run(t, "--config", cfg, "collect")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"INDICATOR", "retail_sales", "2025-08", "6351.23亿元", "created",
		"retail: 3 articles fetched (0 pages not modified), 3 observations: 3 created, 0 updated, 0 unchanged; 0 rejected, 0 conflicts — ok"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if n := storedCount(t, storeDir); n != 3 {
		t.Errorf("stored %d observations, want 3", n)
	}
	// Again: the stored periods make every listed article unnecessary.
	code, out, errOut = run(t, "--config", cfg, "collect", "--collector", "retail")
	if code != 0 {
		t.Fatalf("second collect: exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "retail: 0 articles fetched (1 pages not modified), 0 observations: 0 created") {
		t.Errorf("second collect:\n%s", out)
	}
}

func TestCollectFailures(t *testing.T) {
	srv := retailSite(t)
	tests := []struct {
		name     string
		listPath string
		args     []string
		code     int
		msg      string
	}{
		{"missing list page", "/zwgk/moved/index.html", nil, 1, "1 of 1 collectors failed:\nretail: source retail/tjj-monthly: list: list page: GET "},
		{"unknown collector", tjfxList, []string{"--collector", "weather"}, 2, `--collector: unknown collector "weather" (want one of port, retail, standards, trade)`},
		{"unknown format", tjfxList, []string{"--format", "xml"}, 2, `--format: unknown format "xml" (want text or json)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, _ := collectConfig(t, srv.URL, tt.listPath)
			code, out, errOut := run(t, append([]string{"--config", cfg, "collect"}, tt.args...)...)
			if code != tt.code || !strings.Contains(errOut, tt.msg) {
				t.Errorf("exit %d, stderr:\n%s\nwant exit %d with %q", code, errOut, tt.code, tt.msg)
			}
			if tt.code == 1 && !strings.Contains(out, "— FAILED") {
				t.Errorf("summary does not say FAILED:\n%s", out)
			}
		})
	}
}

func TestBackfillTwiceChangesNothing(t *testing.T) {
	srv := retailSite(t)
	cfg, storeDir := collectConfig(t, srv.URL, tjfxList)
	code, out, errOut := run(t, "--config", cfg, "backfill", "--from", "2025-01")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "backfill from 2025-01: retail: 9 articles fetched (0 pages not modified), 9 observations: 9 created, 0 updated, 0 unchanged") {
		t.Errorf("first backfill:\n%s", out)
	}
	code, out, errOut = run(t, "--config", cfg, "backfill", "--from", "2025-01", "--collector", "retail")
	if code != 0 {
		t.Fatalf("second backfill: exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "9 observations: 0 created, 0 updated, 9 unchanged") {
		t.Errorf("second backfill changed something:\n%s", out)
	}
	if n := storedCount(t, storeDir); n != 9 {
		t.Errorf("stored %d observations, want 9", n)
	}
}

func TestBackfillFlags(t *testing.T) {
	tests := []struct {
		args []string
		msg  string
	}{
		{nil, "--from YYYY-MM is required"},
		{[]string{"--from", "2025"}, `--from: "2025" is not a month like 2020-01`},
		{[]string{"--from", "2025-13"}, `--from: "2025-13" is not a month like 2020-01`},
		{[]string{"--from", "2025-01", "--max-pages", "0"}, "--max-pages: must be at least 1, got 0"},
	}
	for _, tt := range tests {
		code, _, errOut := run(t, append([]string{"backfill"}, tt.args...)...)
		if code != 2 || !strings.Contains(errOut, tt.msg) {
			t.Errorf("backfill %v: exit %d, %q; want exit 2 with %q", tt.args, code, errOut, tt.msg)
		}
	}
}
