// Package browsertest opens pages in headless Chromium for tests, with the flags the
// developers' guide sets (no sandbox, no GPU, no background networking, component
// updates or sync, a fresh user-data-dir), and saves screenshots as test artifacts
// (go test -artifacts keeps them under -outputdir).
//
// It is test support: only _test.go files import it.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Chromium returns the path of the browser. CI installs it, so there (CI set) its
// absence fails the test; elsewhere the test is skipped.
func Chromium(t testing.TB) string {
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

// New starts a headless Chromium for the test and returns a browser context, bounded
// to 90 seconds and closed when the test ends.
func New(t testing.TB) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(Chromium(t)),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 1600),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() {
		cancelTimeout()
		cancelCtx()
		cancelAlloc()
	})
	return ctx
}

// Screenshot saves a full-page screenshot of the current page as the artifact name
// (e.g. "collectors.png") and returns its size in bytes.
func Screenshot(t testing.TB, ctx context.Context, name string) int {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("chromium: screenshot: %v", err)
	}
	path := filepath.Join(t.ArtifactDir(), name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", path, len(png))
	return len(png)
}
