package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/trademon/trademon/internal/importer"
	"github.com/trademon/trademon/internal/store"
	"github.com/trademon/trademon/internal/store/embedded"
)

func TestImportCommand(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	cfg := write(t, dir, "trademon.yaml", fmt.Sprintf("store:\n  path: %s\n", data))
	good := write(t, dir, "good.csv", "indicator,period,basis,value,unit,source_url,note\n"+
		"retail_sales,2024,year,10500,亿元,https://tjj.sz.gov.cn/a.html,\n"+
		"port_container_throughput,2024,year,3340,万标箱,,\n")
	mixed := write(t, dir, "mixed.csv", "indicator,period,basis,value,unit,source_url,note\n"+
		"retail_sales,2024,year,10600,亿元,https://tjj.sz.gov.cn/a.html,revised\n"+
		"retail_sales,2023,year,\"12,5OO\",亿元,,\n"+
		"goods_trade,2024,year,5000,亿元,,\n")

	steps := []struct {
		name   string
		args   []string
		code   int
		stdout []string // substrings
		stderr string   // substring
	}{
		{"dry run", []string{"import", good, "--dry-run", "--user", "alice"}, 0,
			[]string{"import " + good + ": dry run, nothing written\n", "  created        2 (would be)\n"}, ""},
		{"import", []string{"import", good, "--user", "alice"}, 0,
			[]string{"import " + good + ": written\n", "  created        2\n", "  line 3: port_container_throughput year 2024 = 3340万标箱 (created)\n"}, ""},
		{"again: unchanged", []string{"import", good, "--user", "alice"}, 0,
			[]string{"  unchanged      2\n"}, ""},
		{"atomic with bad rows writes nothing", []string{"import", mixed, "--atomic", "--user", "alice", "--reason", "revised"}, 2,
			[]string{": nothing written (--atomic and 2 rows rejected)\n",
				"  line 3: value: \"12,5OO\" is not a number: type digits such as 1,300.7 or １３００.７, or with a magnitude such as 1.25万亿 (invalid number \"12,5OO\": unexpected 'O')\n",
				"  line 4: unit: 亿元 measures CNY, but goods_trade is measured in USD: use 亿美元\n"},
			"trademon: " + mixed + ": 2 of 3 rows rejected\n"},
		{"a revision without a reason is rejected", []string{"import", mixed, "--user", "alice"}, 2,
			[]string{"  line 2: reason: this changes the stored retail_sales 2024 year figure 10500亿元 (entered by alice on "},
			"trademon: " + mixed + ": 3 of 3 rows rejected\n"},
		{"without atomic the good row goes in", []string{"import", mixed, "--user", "alice", "--reason", "revised in the yearbook"}, 2,
			[]string{": written\n", "  updated        1\n", "  line 2: retail_sales year 2024 = 10600亿元 (updated, was 10500亿元)\n"},
			"trademon: " + mixed + ": 2 of 3 rows rejected\n"},
		{"missing file", []string{"import", filepath.Join(dir, "nope.csv")}, 1, nil,
			"trademon: import: open " + filepath.Join(dir, "nope.csv") + ": no such file or directory\n"},
		{"bad format flag", []string{"import", good, "--format", "xml"}, 1, nil, `trademon: --format: want text or json, got "xml"`},
		{"no file", []string{"import"}, 1, nil, "trademon: accepts 1 arg(s), received 0\n"},
	}
	for _, s := range steps {
		code, out, errOut := run(t, append([]string{"--config", cfg}, s.args...)...)
		if code != s.code {
			t.Errorf("%s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", s.name, code, s.code, out, errOut)
		}
		for _, w := range s.stdout {
			if !strings.Contains(out, w) {
				t.Errorf("%s: stdout lacks %q:\n%s", s.name, w, out)
			}
		}
		if !strings.Contains(errOut, s.stderr) {
			t.Errorf("%s: stderr lacks %q:\n%s", s.name, s.stderr, errOut)
		}
	}

	// JSON output of a dry run.
	code, out, _ := run(t, "--config", cfg, "import", mixed, "--dry-run", "--format", "json", "--user", "alice", "--reason", "x")
	var res importer.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("JSON: %v\n%s", err, out)
	}
	if code != 2 || res.Rows != 3 || res.Unchanged != 1 || res.Rejected != 2 || res.Written || len(res.Rejections) != 2 || res.Rejections[0].Line != 3 {
		t.Errorf("dry-run JSON (exit %d): %+v", code, res)
	}

	st, err := embedded.Open(data, embedded.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	all, err := st.Query(context.Background(), store.Filter{})
	if err != nil || len(all) != 2 {
		t.Fatalf("store holds %d observations (%v), want 2", len(all), err)
	}
	for _, o := range all {
		if o.EnteredBy != "alice" || o.Source != "manual" || o.SourceKind != "manual" {
			t.Errorf("provenance: %+v", o)
		}
	}
	if all[1].Indicator != "retail_sales" || all[1].Value != 1.06e12 || all[1].Note != "revised" {
		t.Errorf("retail_sales after the update: %+v", all[1])
	}
}

func TestDefaultUser(t *testing.T) {
	u, err := defaultUser()
	if err != nil || !strings.HasPrefix(u, "cli:") || len(u) <= len("cli:") {
		t.Errorf("defaultUser() = %q, %v", u, err)
	}
}

// TestImportAndHistoryReadThroughALimit: a 4 GiB sparse file was read whole (4.2 GB
// RSS) before its size was checked, by import and by the history loader alike.
func TestImportAndHistoryReadThroughALimit(t *testing.T) {
	dir := t.TempDir()
	cfg := write(t, dir, "trademon.yaml", fmt.Sprintf("store:\n  path: %s\n", filepath.Join(dir, "data")))
	sparse := filepath.Join(dir, "sparse.csv")
	f, err := os.Create(sparse)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(4 << 30); err != nil {
		t.Fatal(err)
	}
	_ = f.Close()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	code, _, errOut := run(t, "--config", cfg, "import", sparse, "--user", "alice")
	_, _, _, herr := historySource(sparse)
	runtime.ReadMemStats(&after)
	if want := fmt.Sprintf("trademon: import: %s: file too large (limit %d bytes)\n", sparse, importer.MaxFileBytes); code != 1 || errOut != want {
		t.Errorf("import: exit %d, stderr %q; want 1 and %q", code, errOut, want)
	}
	if want := fmt.Sprintf("cannot read history: %s: file too large (limit %d bytes)", sparse, importer.MaxFileBytes); herr == nil || herr.Error() != want {
		t.Errorf("history: %v, want %q", herr, want)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 64<<20 {
		t.Errorf("reading a 4 GiB file allocated %d MiB", n>>20)
	}
}
