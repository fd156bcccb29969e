package collectors_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/trademon/trademon/collectors"
	"github.com/trademon/trademon/collectors/retail"
	"github.com/trademon/trademon/internal/testutil/browsertest"
)

// TestStatusPageInBrowser renders /collectors after a partial run (a figure rejected)
// and a failed one in headless Chromium, and checks what a person sees: the results
// in both languages, the last rejection and the last error. It saves a screenshot.
func TestStatusPageInBrowser(t *testing.T) {
	site, env := newEnv(t, envOpts{})
	ctx := context.Background()
	site.Replace("6351.23亿元", "635.123亿元")
	if run, _ := env.Runner.RunOnce(ctx, retail.Name, collectors.RunOptions{}); run.Result() != collectors.ResultPartial {
		t.Fatalf("first run %s, want partial", run.Result())
	}
	site.Replace(`class="list-article"`, `class="news-list"`)
	if _, err := env.Runner.RunOnce(ctx, retail.Name, collectors.RunOptions{}); err == nil {
		t.Fatal("the broken run succeeded")
	}
	srv := httptest.NewServer(env.Runner.StatusHandler())
	defer srv.Close()

	bctx := browsertest.New(t)
	if err := chromedp.Do(bctx, chromedp.Navigate(srv.URL+"/collectors"), chromedp.WaitVisible(chromedp.CSS(`#retail`))); err != nil {
		t.Fatalf("chromium: load the page: %v", err)
	}
	text, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(`body`)))
	if err != nil {
		t.Fatalf("chromium: %v", err)
	}
	if n := browsertest.Screenshot(t, bctx, "collectors.png"); n < 10_000 {
		t.Errorf("screenshot is only %d bytes; the page did not render", n)
	}
	for _, want := range []string{
		"采集器状态 Collectors", "社会消费品零售总额 retail",
		"部分成功 partial", "错误 error",
		"最近拒绝 Last rejected", "1 个数值被拒绝 1 figure rejected", "retail_sales ytd 2025-08 = 635.12亿元",
		"最近错误 Last error", "matched no link",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("visible text lacks %q", want)
		}
	}
}
