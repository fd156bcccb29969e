package faults

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trademon/trademon/internal/testutil/proc"
)

// bin is the trademon binary under test, built once by TestMain.
var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "trademon-faults-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin, err = proc.Build(dir, raceEnabled)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// writeConfig writes a trademon config into dir and returns the env that selects it.
// Every collector not named in body is off, so nothing reaches beyond loopback.
func writeConfig(t *testing.T, dir, body string) []string {
	t.Helper()
	path := filepath.Join(dir, "trademon.yaml")
	if !strings.Contains(body, "collectors:") {
		body += "\ncollectors:\n  trade: {enabled: false}\n  retail: {enabled: false}\n  port: {enabled: false}\n  standards: {enabled: false}\n"
	}
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return []string{"TRADEMON_CONFIG=" + path}
}

// runFor is the bound on one command of a fault test.
const runFor = 3 * time.Minute
