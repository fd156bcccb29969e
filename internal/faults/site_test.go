package faults

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/trademon/trademon/internal/testutil/proc"
	"github.com/trademon/trademon/internal/testutil/statsite"
)

// collected is one line of `collect --dry-run --format json`.
type collected struct {
	Indicator string  `json:"indicator"`
	Period    string  `json:"period"`
	Basis     string  `json:"basis"`
	Value     float64 `json:"value"`
	URL       string  `json:"url"`
	Quote     string  `json:"quote"`
}

func parseCollected(t *testing.T, out string) map[string]collected {
	t.Helper()
	got := map[string]collected{}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if l == "" {
			continue
		}
		var c collected
		if err := json.Unmarshal([]byte(l), &c); err != nil {
			t.Fatalf("collect output line %q: %v", l, err)
		}
		got[c.Indicator+"|"+c.Basis+"|"+c.Period] = c
	}
	return got
}

// TestSiteDryRun checks the synthetic site against the real collectors: a dry run
// reads the first list page's articles and reports exactly the figures they state,
// each with its article's URL and sentence.
func TestSiteDryRun(t *testing.T) {
	site := statsite.New(t, statsite.Options{})
	env := writeConfig(t, t.TempDir(), "store: {path: "+t.TempDir()+"}\n"+site.Config("@every 1h"))
	res := proc.Run(t, bin, env, runFor, "collect", "--dry-run", "--format", "json")
	if res.Code != 0 {
		t.Fatalf("collect --dry-run: exit %d\n%s", res.Code, res.Stderr)
	}
	got := parseCollected(t, res.Stdout)
	first := site.Months()[9] // the tenth newest month is the last on page 1
	want := site.Expected(first)
	if len(got) != len(want) {
		t.Errorf("dry run reported %d figures, the first page states %d", len(got), len(want))
	}
	for _, f := range want {
		c, ok := got[f.Key()]
		switch {
		case !ok:
			t.Errorf("%s missing", f.Key())
		case c.Value != f.Value:
			t.Errorf("%s = %v, the article states %v", f.Key(), c.Value, f.Value)
		case !strings.HasSuffix(c.URL, statsite.ArticlePath(f.Period)) || !strings.Contains(c.Quote, f.Text+"亿元"):
			t.Errorf("%s: provenance %q %q", f.Key(), c.URL, c.Quote)
		}
	}
}
