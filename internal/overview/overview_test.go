package overview

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
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

var asOf = time.Date(2026, 11, 26, 10, 0, 0, 0, obs.Shanghai)

func ob(ind, period string, basis obs.Basis, v float64) obs.Observation {
	o := obs.Observation{Indicator: ind, Period: obs.MustParsePeriod(period), Basis: basis, Value: v,
		SourceKind: obs.KindReference, Source: "reference", URL: "https://example.org/" + ind + "/" + period, Quote: ind}
	o.Normalize()
	return o
}

// service evaluates the built-in targets over a few figures: goods trade achieved,
// retail at risk, port at risk, the manual targets without data.
func service(t testing.TB) *evaluation.Service {
	t.Helper()
	st, err := embedded.Open(t.TempDir(), embedded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if _, err := st.Put(context.Background(), []obs.Observation{
		ob("goods_trade_cny", "2020", obs.BasisYear, 3.05e12),
		ob("goods_trade_cny", "2025", obs.BasisYear, 4.55e12),
		ob("usd_cny_rate", "2020", obs.BasisYear, 6.8976),
		ob("usd_cny_rate", "2025", obs.BasisYear, 7.18),
		ob("retail_sales", "2020", obs.BasisYear, 8.6645e11),
		ob("retail_sales", "2022", obs.BasisYear, 9.7083e11),
		ob("retail_sales", "2023", obs.BasisYear, 1.05e12),
		ob("port_container_throughput", "2020", obs.BasisYear, 2.655e7),
		ob("port_container_throughput", "2022", obs.BasisYear, 3.00356e7),
		ob("port_container_throughput", "2025-10", obs.BasisYTD, 2.70e7),
	}); err != nil {
		t.Fatal(err)
	}
	ts, err := targets.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	svc := evaluation.New(evaluation.Options{Store: st, Targets: ts, Now: func() time.Time { return asOf }})
	if err := svc.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	return svc
}

func TestPageHTML(t *testing.T) {
	srv := httptest.NewServer(Handler{Source: service(t)})
	defer srv.Close()
	res, err := http.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET / = %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	html := string(body)
	for _, want := range []string{
		`id="target-goods_trade" data-status="achieved"`,
		`id="target-services_trade" data-status="no_data"`,
		"货物贸易进出口总额", "Goods trade (imports &#43; exports)",
		"6337.05亿美元", // 4.55万亿元 at 7.18 元/美元
		"5000亿美元",    // the goal
		"2700万标箱",    // port ytd 2025-10
		`href="https://example.org/port_container_throughput/2025-10"`,
		`<svg class="chart"`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	for _, bad := range []string{"<script", "http://cdn", "https://fonts"} {
		if strings.Contains(html, bad) {
			t.Errorf("page contains %q: it must work offline without scripts or external assets", bad)
		}
	}
	if res, err := http.Get(srv.URL + "/nope"); err != nil || res.StatusCode != 404 {
		t.Errorf("GET /nope = %v %v, want 404", res.StatusCode, err)
	}
}

func TestPageBeforeFirstEvaluation(t *testing.T) {
	svc := evaluation.New(evaluation.Options{})
	rec := httptest.NewRecorder()
	Handler{Source: svc}.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "The first evaluation has not finished yet") {
		t.Errorf("before the first evaluation: %d %q", rec.Code, rec.Body.String())
	}
}

// TestPageInBrowser renders the page in headless Chromium and checks what a person sees:
// target names in both languages and each target's status label. It saves a screenshot
// as an artifact (go test -artifacts keeps it under -outputdir).
func TestPageInBrowser(t *testing.T) {
	chrome := chromium(t)
	srv := httptest.NewServer(Handler{Source: service(t)})
	defer srv.Close()
	ctx := browser(t, chrome)

	if err := chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`#target-goods_trade`)),
	); err != nil {
		t.Fatalf("chromium: load the page: %v", err)
	}
	text := mustRun(t, ctx, chromedp.Text(chromedp.CSS(`body`)))
	goodsStatus := mustRun(t, ctx, chromedp.Text(chromedp.CSS(`#target-goods_trade .status`)))
	servicesStatus := mustRun(t, ctx, chromedp.Text(chromedp.CSS(`#target-services_trade .status`)))
	retailStatus := mustRun(t, ctx, chromedp.Text(chromedp.CSS(`#target-retail_sales .status`)))
	png := mustRun(t, ctx, chromedp.FullScreenshot(100))
	shot := filepath.Join(t.ArtifactDir(), "overview.png")
	if err := os.WriteFile(shot, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", shot, len(png))
	if len(png) < 10_000 {
		t.Errorf("screenshot is only %d bytes; the page did not render", len(png))
	}

	for _, want := range []string{
		"主导或参与制定国际标准", "International standards led or co-developed",
		"社会消费品零售总额", "Retail sales of consumer goods",
		"港口集装箱吞吐量", "机场国际航线", "服务贸易进出口总额",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("visible text lacks %q", want)
		}
	}
	for _, c := range []struct{ got, want string }{
		{goodsStatus, "已达成 · Achieved"},
		{servicesStatus, "暂无数据 · No data"},
		{retailStatus, "存在风险 · At risk"},
	} {
		if strings.TrimSpace(c.got) != c.want {
			t.Errorf("status label %q, want %q", c.got, c.want)
		}
	}
}

// browser starts headless Chromium with a fresh profile and returns its context,
// cancelled when the test ends.
func browser(t *testing.T, chrome string) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chrome),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 1600),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	return ctx
}

// chromium finds the browser; CI installs it, so there its absence fails the test.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{os.Getenv("TRADEMON_TEST_CHROMIUM"), "chromium", "chromium-browser", "google-chrome"} {
		if name == "" {
			continue
		}
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium not found; CI must install it (Debian package chromium)")
	}
	t.Skip("chromium not installed; skipping the browser test")
	return ""
}

func mustRun[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("chromium: %v", err)
	}
	return v
}
