package overview

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/trademon/trademon/internal/evaluation"
	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/store/embedded"
	"github.com/trademon/trademon/targets"
)

// revisedService holds a retail series whose 2023 figure, published at 1万亿元, was
// revised to 1.06万亿元 in September 2024 (a revision the store records), plus the
// figures of service().
func revisedService(t testing.TB) *evaluation.Service {
	t.Helper()
	st, err := embedded.Open(t.TempDir(), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	day := func(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 9, 0, 0, 0, obs.Shanghai) }
	r2023 := ob("retail_sales", "2023", obs.BasisYear, 1.0e12)
	r2023.SourceKind, r2023.Source, r2023.PublishedAt = obs.KindCollector, "retail/tjj-monthly", day(2024, 1, 20)
	r2023.Quote = "全年社会消费品零售总额1万亿元"
	revised := r2023
	revised.Value, revised.PublishedAt, revised.Quote = 1.06e12, day(2024, 9, 1), "修订后全年社会消费品零售总额10600亿元"
	ctx := context.Background()
	for _, batch := range [][]obs.Observation{{
		ob("retail_sales", "2020", obs.BasisYear, 8e11),
		ob("retail_sales", "2021-09", obs.BasisYTD, 6.3e11), ob("retail_sales", "2021", obs.BasisYear, 9e11),
		ob("retail_sales", "2022-09", obs.BasisYTD, 7.2e11), ob("retail_sales", "2022", obs.BasisYear, 1e12),
		ob("retail_sales", "2024-09", obs.BasisYTD, 8.3e11), r2023,
		ob("goods_trade_cny", "2020", obs.BasisYear, 3.05e12), ob("usd_cny_rate", "2020", obs.BasisYear, 6.8974),
		ob("goods_trade_cny", "2025", obs.BasisYear, 4.55e12), ob("usd_cny_rate", "2023", obs.BasisYear, 7.0467),
	}, {revised}} {
		if _, err := st.Put(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	ts, err := targets.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	svc := evaluation.New(evaluation.Options{Store: st, Targets: ts, Now: func() time.Time { return asOf }})
	if err := svc.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	return svc
}

func mux(ev Evaluator) http.Handler {
	m := http.NewServeMux()
	m.Handle("GET /{$}", Handler{Source: ev})
	m.Handle("GET /targets/{id}", TargetPage{Evaluator: ev})
	m.Handle("GET /api/v1/targets", TargetsAPI{Evaluator: ev})
	m.Handle("GET /api/v1/targets/{id}", TargetAPI{Evaluator: ev})
	return m
}

func get(t *testing.T, url string) (int, string, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header.Get("Content-Type"), string(b)
}

func TestTargetsAPI(t *testing.T) {
	srv := httptest.NewServer(mux(revisedService(t)))
	defer srv.Close()
	status := func(query string) targets.Status {
		code, _, body := get(t, srv.URL+"/api/v1/targets"+query)
		if code != 200 {
			t.Fatalf("%s: %d %s", query, code, body)
		}
		var vs []targets.Verdict
		if err := json.Unmarshal([]byte(body), &vs); err != nil {
			t.Fatal(err)
		}
		for _, v := range vs {
			if v.Target == "retail_sales" {
				return v.Status
			}
		}
		t.Fatalf("no retail verdict")
		return ""
	}
	// The revision turns the 2023 verdict from at_risk (what was known in July 2024)
	// into on_track (after the revision, and as everything is known now).
	for q, want := range map[string]targets.Status{
		"?known=2024-07":               targets.AtRisk,
		"?known=2024-09-15":            targets.OnTrack,
		"?at=2024-07":                  targets.OnTrack,
		"?at=2024-07-31&known=2024-07": targets.AtRisk,
		"?at=2020-12&known=2021-01-31": targets.NoData,
	} {
		if got := status(q); got != want {
			t.Errorf("%s: retail %s, want %s", q, got, want)
		}
	}
	code, _, body := get(t, srv.URL+"/api/v1/targets/retail_sales?known=2024-07")
	var x targets.Explanation
	if err := json.Unmarshal([]byte(body), &x); code != 200 || err != nil {
		t.Fatalf("explanation: %d %v %s", code, err, body)
	}
	if x.Verdict.Period != "2023" || x.Verdict.Actual != 1e12 || len(x.Inputs) == 0 {
		t.Errorf("explanation known 2024-07: %s %g", x.Verdict.Period, x.Verdict.Actual)
	}
	found := false
	for _, in := range x.Inputs {
		for _, s := range in.SetAside {
			found = found || s.Reason == "revised to this value 2024-09-01, after the known date 2024-07-31"
		}
	}
	if !found {
		t.Errorf("the later revision is not listed as set aside: %+v", x.Inputs)
	}
	for _, c := range []struct {
		path string
		code int
		want string
	}{
		{"/api/v1/targets?known=2024-13", 400, `{"error":"known: invalid date \"2024-13\": want YYYY-MM (the end of that month) or YYYY-MM-DD (the end of that day)"}`},
		{"/api/v1/targets/nope", 404, `{"error":"unknown target \"nope\" (known: international_standards, digital_economy_share, retail_sales,`},
		{"/targets/nope", 404, `unknown target "nope"`},
		{"/targets/retail_sales?at=soon", 400, `{"error":"at: invalid date \"soon\"`},
	} {
		code, _, body := get(t, srv.URL+c.path)
		if code != c.code || !strings.Contains(body, c.want) {
			t.Errorf("%s: %d %s, want %d %s", c.path, code, body, c.code, c.want)
		}
	}
	// Before the first evaluation the API says so.
	pending := httptest.NewServer(mux(evaluation.New(evaluation.Options{})))
	defer pending.Close()
	if code, _, body := get(t, pending.URL+"/api/v1/targets"); code != 503 || !strings.Contains(body, "targets not evaluated yet") {
		t.Errorf("before the first evaluation: %d %s", code, body)
	}
}

func TestTargetPageHTML(t *testing.T) {
	srv := httptest.NewServer(mux(revisedService(t)))
	defer srv.Close()
	code, ctype, html := get(t, srv.URL+"/targets/retail_sales")
	if code != 200 || !strings.HasPrefix(ctype, "text/html") {
		t.Fatalf("GET /targets/retail_sales = %d %s", code, ctype)
	}
	for _, want := range []string{
		`id="verdict" data-status="on_track"`,
		"社会消费品零售总额 · 评估说明",
		"retail_sales ≥ 12500亿元 in 2025 · baseline the 2020 figure · compound path · tolerance 5% · mode level",
		"<code>retail_sales ytd 2024-09</code>",
		"S(9) = 0.7100", // (0.70 + 0.72) / 2: 2023 has no January–September figure
		"<td>2022</td><td>7200亿元</td><td>10000亿元</td><td>0.7200</td>",
		`<code>E(y) = b·(g/b)^((y−y0)/(Y−y0))</code>`,
		`<a href="/api/v1/targets/retail_sales">JSON</a>`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	for _, bad := range []string{"<script", "http://cdn", "https://fonts"} {
		if strings.Contains(html, bad) {
			t.Errorf("page contains %q", bad)
		}
	}
	// The overview links every card to its explanation.
	if _, _, ov := get(t, srv.URL+"/"); !strings.Contains(ov, `href="/targets/retail_sales"`) || !strings.Contains(ov, "2025年目标监测") {
		t.Errorf("overview does not link to /targets/retail_sales")
	}
	// What was known in July 2024: the first 2023 figure, the revision set aside.
	_, _, known := get(t, srv.URL+"/targets/retail_sales?known=2024-07")
	for _, want := range []string{"以 2024-07-31 已发布数据为准", "revised to this value 2024-09-01, after the known date 2024-07-31", `data-status="at_risk"`,
		`href="https://example.org/retail_sales/2023"`, "修订后全年社会消费品零售总额10600亿元", "<code>retail_sales year 2023</code>",
		`<a href="/api/v1/targets/retail_sales?known=2024-07">JSON</a>`} {
		if !strings.Contains(known, want) {
			t.Errorf("known page lacks %q", want)
		}
	}
}

// TestTargetPageInBrowser renders /targets/goods_trade in headless Chromium: what a
// person sees is the status, the converted actual, the exchange rates and the steps.
// The screenshot is saved as an artifact.
func TestTargetPageInBrowser(t *testing.T) {
	chrome := chromium(t)
	srv := httptest.NewServer(mux(revisedService(t)))
	defer srv.Close()
	ctx := browser(t, chrome)
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.CSS(`#target-goods_trade a.explain`)),
		chromedp.Click(chromedp.CSS(`#target-goods_trade a.explain`)), chromedp.WaitVisible(chromedp.CSS(`#steps`))); err != nil {
		t.Fatalf("chromium: follow the overview link: %v", err)
	}
	text := mustRun(t, ctx, chromedp.Text(chromedp.CSS(`body`)))
	status := mustRun(t, ctx, chromedp.Text(chromedp.CSS(`#verdict .status`)))
	png := mustRun(t, ctx, chromedp.FullScreenshot(100))
	shot := filepath.Join(t.ArtifactDir(), "target-goods_trade.png")
	if err := os.WriteFile(shot, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", shot, len(png))
	if len(png) < 10_000 {
		t.Errorf("screenshot is only %d bytes; the page did not render", len(png))
	}
	if strings.TrimSpace(status) != "已达成 · Achieved" {
		t.Errorf("status %q", status)
	}
	for _, want := range []string{
		"货物贸易进出口总额 · 评估说明", "6456.92亿美元", "converted from 4.55万亿元 at 7.0467 元/美元 (2023 annual average; the 2025 annual average is not in yet)",
		"汇率 Exchange rates used", "6.8974元/美元", "7.0467元/美元", "计算 Steps", "the 2025 value 6456.92亿美元 meets the goal 5000亿美元", "gap",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("visible text lacks %q", want)
		}
	}
}
