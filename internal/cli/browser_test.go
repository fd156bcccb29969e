package cli

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// findChromium finds the browser; CI installs it, so there its absence fails the test.
func findChromium(t *testing.T) string {
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

// browser is one headless Chromium with a fresh profile.
type browser struct {
	t   *testing.T
	ctx context.Context
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(findChromium(t)),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 1400),
	)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelT(); cancelC(); cancelA() })
	return &browser{t: t, ctx: ctx}
}

func (b *browser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.t.Fatalf("chromium: %s: %v", what, err)
	}
}

func (b *browser) text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("chromium: text of %s: %v", sel, err)
	}
	return s
}

// shot saves a full-page screenshot as a test artifact.
func (b *browser) shot(name string) {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("chromium: screenshot: %v", err)
	}
	path := filepath.Join(b.t.ArtifactDir(), name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	if len(png) < 10_000 {
		b.t.Errorf("screenshot %s is only %d bytes; the page did not render", name, len(png))
	}
	b.t.Logf("screenshot: %s", path)
}

func (b *browser) login(base string, u staffUser) {
	b.t.Helper()
	b.do("log in as "+u.name,
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`#name`)),
		chromedp.SendKeys(chromedp.CSS(`#name`), u.name),
		chromedp.SendKeys(chromedp.CSS(`#password`), u.password),
		chromedp.Click(chromedp.CSS(`#login`)),
		chromedp.WaitVisible(chromedp.CSS(`#logout`)),
	)
}

// TestStaffEntryInBrowser is the "done means" in headless Chromium: a
// statistics officer logs in, enters the 2024 services-trade figure, sees the outlier
// warning, confirms it with a comment; an approver approves it; the services-trade
// verdict changes on the overview; the audit shows both steps. Screenshots of every
// step are saved as artifacts.
func TestStaffEntryInBrowser(t *testing.T) {
	s := startStaff(t, "")
	b := newBrowser(t)
	before, _ := s.verdictOf(t, "services_trade", "")

	b.login(s.url, userByRole("editor"))
	b.do("fill the entry form",
		chromedp.Navigate(s.url+"/entry?indicator=services_trade"),
		chromedp.WaitVisible(chromedp.CSS(`#entry-form`)),
		chromedp.SetValue(chromedp.CSS(`#indicator`), "services_trade"),
		chromedp.SendKeys(chromedp.CSS(`#period`), "2024年"),
		chromedp.SendKeys(chromedp.CSS(`#value`), "２,１００"),
		chromedp.SendKeys(chromedp.CSS(`#source`), "https://commerce.sz.gov.cn/2024.html"),
		chromedp.SendKeys(chromedp.CSS(`#note`), "市商务局 2024 年服务贸易统计"),
	)
	if recent := b.text(`#recent`); !strings.Contains(recent, "1300.7亿美元") {
		t.Errorf("recent values do not show the 2023 figure:\n%s", recent)
	}
	b.shot("1-entry-form.png")
	b.do("submit", chromedp.Click(chromedp.CSS(`#submit`)), chromedp.WaitVisible(chromedp.CSS(`#outlier`)))
	if w := b.text(`#outlier`); !strings.Contains(w, "2100亿美元 is 1.6 times the 2023 year figure (1300.7亿美元, reference)") {
		t.Errorf("outlier warning: %s", w)
	}
	b.shot("2-outlier-warning.png")
	b.do("confirm the outlier",
		chromedp.Click(chromedp.CSS(`#confirm`)),
		chromedp.SendKeys(chromedp.CSS(`#comment`), "2024年起统计口径含数字服务贸易"),
		chromedp.Click(chromedp.CSS(`#submit`)),
		chromedp.WaitVisible(chromedp.CSS(`#stored`)),
	)
	stored := b.text(`#stored`)
	for _, want := range []string{"Submitted, waiting for approval", "services_trade 2024 year = 2100亿美元", "base unit: 210000000000 USD", "服务贸易进出口总额 (services_trade)"} {
		if !strings.Contains(stored, want) {
			t.Errorf("after submit the page lacks %q:\n%s", want, stored)
		}
	}
	b.shot("3-submitted-pending.png")

	b.do("log out", chromedp.Click(chromedp.CSS(`#logout`)), chromedp.WaitVisible(chromedp.CSS(`#target-services_trade`)))
	b.login(s.url, userByRole("approver"))
	b.do("open what waits", chromedp.Navigate(s.url+"/entry"), chromedp.WaitVisible(chromedp.CSS(`#pending .approve`)))
	if p := b.text(`#pending`); !strings.Contains(p, "services_trade") || !strings.Contains(p, "2100亿美元") || !strings.Contains(p, "zhang.wei") {
		t.Errorf("pending table: %s", p)
	}
	b.shot("4-approver-pending.png")
	b.do("approve", chromedp.Click(chromedp.CSS(`#pending .approve`)), chromedp.WaitVisible(chromedp.CSS(`#message`)))
	if m := b.text(`#message`); !strings.Contains(m, "Approved and locked: services_trade 2024 year = 2100亿美元") {
		t.Errorf("approval message: %s", m)
	}

	after, _ := s.verdictOf(t, "services_trade", "2024")
	if after == before || after != "achieved" {
		t.Errorf("services_trade verdict %s → %s, want a change to achieved", before, after)
	}
	b.do("overview", chromedp.Navigate(s.url+"/"), chromedp.WaitVisible(chromedp.CSS(`#target-services_trade[data-status="achieved"]`)))
	if c := b.text(`#target-services_trade`); !strings.Contains(c, "2100亿美元") || !strings.Contains(c, "2024") {
		t.Errorf("overview card: %s", c)
	}
	b.shot("5-overview.png")

	b.do("audit", chromedp.Navigate(s.url+"/audit?indicator=services_trade"), chromedp.WaitVisible(chromedp.CSS(`#audit`)))
	create, approve := b.text(`#audit .audit-create`), b.text(`#audit .audit-approve`)
	if !strings.Contains(create, "zhang.wei") || !strings.Contains(create, "2100亿美元") || !strings.Contains(create, "outlier confirmed: 2024年起统计口径含数字服务贸易") {
		t.Errorf("audit create row: %s", create)
	}
	if !strings.Contains(approve, "li.na") || !strings.Contains(approve, "approved zhang.wei's figure") {
		t.Errorf("audit approve row: %s", approve)
	}
	b.shot("6-audit.png")
}
