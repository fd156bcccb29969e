package faults

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/store"
	"github.com/trademon/trademon/internal/store/embedded"
	"github.com/trademon/trademon/internal/testutil/proc"
	"github.com/trademon/trademon/internal/testutil/statsite"
)

// snapshot is what the embedded store under dir holds, as comparable text: every
// observation (key, value, URL, quote), revision and conflict.
func snapshot(t *testing.T, dir string) []string {
	t.Helper()
	st, err := embedded.Open(dir, embedded.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	defer st.Close()
	ctx := context.Background()
	obsv, err := st.Query(ctx, store.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	revs, err := st.Revisions(ctx, store.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, o := range obsv {
		out = append(out, fmt.Sprintf("%s %s %v %s %q", o.SourceKind, o.Key(), o.Value, o.URL, o.Quote))
	}
	for _, r := range revs {
		out = append(out, fmt.Sprintf("revision %s %v→%v", r.Key, r.PreviousValue, r.Observation.Value))
	}
	slices.Sort(out)
	return out
}

// verdicts is `trademon targets --at 2025-10 --format json` in short: per target its
// status, period, actual, expected and gap.
func verdicts(t *testing.T, env []string) []string {
	t.Helper()
	res := proc.Run(t, bin, env, runFor, "targets", "--at", "2025-10", "--format", "json")
	if res.Code != 0 {
		t.Fatalf("targets: exit %d\n%s", res.Code, res.Stderr)
	}
	var v []struct {
		Target, Status, Period string
		Actual, Expected, Gap  float64
	}
	if err := json.Unmarshal([]byte(res.Stdout), &v); err != nil {
		t.Fatalf("targets json: %v\n%s", err, res.Stdout)
	}
	var out []string
	for _, x := range v {
		out = append(out, fmt.Sprintf("%s %s %s actual=%v expected=%v gap=%.6f", x.Target, x.Status, x.Period, x.Actual, x.Expected, x.Gap))
	}
	slices.Sort(out)
	return out
}

// reset closes the connection with a TCP RST instead of answering.
func reset(w http.ResponseWriter, _ *http.Request) {
	c, _, err := w.(http.Hijacker).Hijack()
	if err != nil {
		return
	}
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = c.Close()
}

// hang answers nothing until the client gives up (or a minute passes).
func hang(w http.ResponseWriter, r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-time.After(time.Minute):
	}
}

// huge sends 50 MB of article text stating wrong figures: if any of it were read, a
// wrong value would be stored.
func huge(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write([]byte(`<html><body><div class="articleBox">`))
	chunk := []byte(strings.Repeat("<p>1-9月，全市社会消费品零售总额99999.99亿元，同比增长5.0%。</p>\n", 1000))
	for sent := 0; sent < 50<<20; sent += len(chunk) {
		if _, err := w.Write(chunk); err != nil {
			return
		}
	}
}

// garbage sends 64 KiB of random bytes as HTML.
func garbage(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html")
	b := make([]byte, 64<<10)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range b {
		b[i] = byte(r.UintN(256))
	}
	_, _ = w.Write(b)
}

// relaidList is the list page after a redesign: the same links in other markup.
func relaidList(site *statsite.Site) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		var b strings.Builder
		b.WriteString(`<html><body><div class="news"><ol class="news-items">`)
		for _, p := range site.Months()[:10] {
			fmt.Fprintf(&b, `<li><a href="%s">%d年1-%d月深圳经济运行情况</a></li>`, statsite.ArticlePath(p), p.Year(), p.Month())
		}
		b.WriteString(`</ol></div></body></html>`)
		_, _ = w.Write([]byte(b.String()))
	}
}

// relaidArticle is an article after a redesign: its text no longer in .articleBox.
func relaidArticle(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write([]byte(`<html><body><div class="content-text"><p>1-9月，全市社会消费品零售总额88888.88亿元，同比增长5.0%。</p></div></body></html>`))
}

// sourceEnv is a store that a first, clean collect filled from a site, with the
// baselines that give retail sales and goods trade real verdicts.
type sourceEnv struct {
	site     *statsite.Site
	env      []string
	data     string
	before   []string // snapshot after the clean collect
	verdicts []string
}

func newSourceEnv(t *testing.T) *sourceEnv {
	t.Helper()
	e := &sourceEnv{site: statsite.New(t, statsite.Options{})}
	dir := t.TempDir()
	e.data = filepath.Join(dir, "data")
	e.env = writeConfig(t, dir, fmt.Sprintf("store: {path: %s}\nfetch: {retries: 1, timeout: 1s, max_body_bytes: 4194304}\n", e.data)+e.site.Config("@every 1h"))
	baselines := filepath.Join(dir, "baselines.csv")
	writeFile(t, baselines, "indicator,period,basis,value,unit,source_url,note\n"+
		"retail_sales,2020,year,8664.83,亿元,https://tjj.sz.gov.cn/a.html,baseline\n"+
		"goods_trade_cny,2020,year,30502.5,亿元,https://tjj.sz.gov.cn/a.html,baseline\n"+
		"usd_cny_rate,2024,year,7.1217,元/美元,https://www.safe.gov.cn/a.html,rate\n"+
		"usd_cny_rate,2020,year,6.8974,元/美元,https://www.safe.gov.cn/a.html,rate\n")
	if res := proc.Run(t, bin, e.env, runFor, "import", baselines, "--user", "faults"); res.Code != 0 {
		t.Fatalf("import baselines: exit %d\n%s%s", res.Code, res.Stdout, res.Stderr)
	}
	if res := proc.Run(t, bin, e.env, runFor, "collect"); res.Code != 0 {
		t.Fatalf("first collect: exit %d\n%s", res.Code, res.Stderr)
	}
	e.before, e.verdicts = snapshot(t, e.data), verdicts(t, e.env)
	if len(e.before) < 40 || !slices.ContainsFunc(e.verdicts, func(v string) bool { return strings.HasPrefix(v, "retail_sales ") && !strings.Contains(v, "no_data") }) {
		t.Fatalf("the first collect stored %d records; verdicts:\n%s", len(e.before), strings.Join(e.verdicts, "\n"))
	}
	return e
}

// faultCase is one way a page can break.
type faultCase struct {
	name, path string
	h          http.HandlerFunc
	// want matches the log line that reports the failure.
	want string
}

// run breaks the page, runs collect, and checks that the failure is reported and
// that the store and the verdicts are exactly as before.
func (e *sourceEnv) run(t *testing.T, tc faultCase, release obs.Period) {
	t.Helper()
	if tc.path == statsite.ArticlePath(release) {
		e.site.SetExtra(release)
		defer e.site.SetExtra(obs.Period{})
	}
	e.site.Hook(tc.path, tc.h)
	defer e.site.Hook(tc.path, nil)
	res := proc.Run(t, bin, e.env, runFor, "collect")
	if res.Code == 0 {
		t.Errorf("collect exit 0: the failure was not reported\n%s", res.Stderr)
	} else if !regexp.MustCompile(tc.want).MatchString(res.Stderr) {
		t.Errorf("collect exit %d, but the log does not say what failed (want %s):\n%s", res.Code, tc.want, res.Stderr)
	}
	if after := snapshot(t, e.data); !slices.Equal(after, e.before) {
		t.Errorf("the store changed:\n%s", diff(e.before, after))
	}
	if v := verdicts(t, e.env); !slices.Equal(v, e.verdicts) {
		t.Errorf("verdicts changed:\n%s", diff(e.verdicts, v))
	}
}

// TestSourceFaults breaks the source in every way it can break — on the list page and
// on a new article — and runs `trademon collect` against it: the run is reported as
// failed (exit 1, the error in the log), nothing is stored, and the figures and
// verdicts stored before stay exactly as they were.
func TestSourceFaults(t *testing.T) {
	e := newSourceEnv(t)
	t.Logf("before the faults: %d records; verdicts:\n%s", len(e.before), strings.Join(e.verdicts, "\n"))
	// Article faults hit a new release: an article the collectors have not read yet.
	release := obs.MonthPeriod(2025, 10)
	article := statsite.ArticlePath(release)
	for _, tc := range []faultCase{
		{"list 500", statsite.Column, status500, `500`},
		{"list hangs", statsite.Column, hang, `(?i)timeout|deadline`},
		{"list resets", statsite.Column, reset, `(?i)reset|EOF`},
		{"list 50 MB", statsite.Column, huge, `(?i)too large|exceeds|max_body_bytes|limit`},
		{"list garbage", statsite.Column, garbage, `(?i)matched no link`},
		{"list new layout", statsite.Column, relaidList(e.site), `(?i)matched no link.*layout`},
		{"article 500", article, status500, `500`},
		{"article hangs", article, hang, `(?i)timeout|deadline`},
		{"article resets", article, reset, `(?i)reset|EOF`},
		{"article 50 MB", article, huge, `(?i)too large|exceeds|max_body_bytes|limit`},
		{"article garbage", article, garbage, `(?i)article`},
		{"article new layout", article, relaidArticle, `(?i)article`},
	} {
		t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) { e.run(t, tc, release) })
	}
}

// TestSourceRedirectElsewhere sends the collectors to another host (127.0.0.2, still
// loopback, serving the same pages with figures 2% off — plausible enough to pass the
// safety checks): a redirect of the list page or of a new article. The collectors
// must refuse it, report it, and store nothing (issue 10, hole 1).
func TestSourceRedirectElsewhere(t *testing.T) {
	release := obs.MonthPeriod(2025, 10)
	elsewhere := statsite.New(t, statsite.Options{Scale: 1.02, Listen: "127.0.0.2:0"})
	elsewhere.SetExtra(release)
	for _, tc := range []faultCase{
		{"list redirects elsewhere", statsite.Column, redirectTo(elsewhere.URL + statsite.Column), `(?i)redirect|host|not allowed`},
		{"article redirects elsewhere", statsite.ArticlePath(release), redirectTo(elsewhere.URL + statsite.ArticlePath(release)), `(?i)redirect|host|not allowed`},
	} {
		t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
			newSourceEnv(t).run(t, tc, release)
		})
	}
}

func status500(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusInternalServerError) }

func redirectTo(u string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, u, http.StatusFound) }
}

// diff lists the lines only in a (-) and only in b (+).
func diff(a, b []string) string {
	var out []string
	for _, l := range a {
		if !slices.Contains(b, l) {
			out = append(out, "- "+l)
		}
	}
	for _, l := range b {
		if !slices.Contains(a, l) {
			out = append(out, "+ "+l)
		}
	}
	return strings.Join(out, "\n")
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}
