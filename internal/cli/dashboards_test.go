package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// `trademon dashboards --out DIR` writes the dashboards committed in dashboards/.
func TestDashboardsCommand(t *testing.T) {
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	if code := Main(context.Background(), []string{"dashboards", "--out", dir}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(files) != 4 || strings.Count(stdout.String(), "\n") != 4 {
		t.Fatalf("wrote %v, printed:\n%s", files, stdout.String())
	}
	for _, f := range files {
		got, _ := os.ReadFile(f)
		want, err := os.ReadFile(filepath.Join("..", "..", "dashboards", filepath.Base(f)))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s differs from the committed dashboards/%s (%v)", f, filepath.Base(f), err)
		}
	}
}
