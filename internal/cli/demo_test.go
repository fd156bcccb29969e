package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestEntryDemoScript runs scripts/entry-demo.sh against a real serve: the "done
// means" of the issue through the API with tokens.
func TestEntryDemoScript(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s not found; scripts/tools.sh installs it", tool)
			}
			t.Skipf("%s not installed", tool)
		}
	}
	s := startStaff(t, "")
	script, err := filepath.Abs("../../scripts/entry-demo.sh")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", script)
	cmd.Env = append(os.Environ(), "TRADEMON_URL="+s.url, "EDITOR_TOKEN="+userByRole("editor").token, "APPROVER_TOKEN="+userByRole("approver").token)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("entry-demo.sh: %v\n%s", err, out)
	}
	text := string(out)
	for _, want := range []string{
		"outlier flagged:          2100亿美元 is 1.6 times the 2023 year figure",
		"entered:                  2100亿美元 = 210000000000 USD, status pending",
		"approved:                 2100亿美元, locked true",
		"services_trade after:     achieved 2024 210000000000",
		" zhang.wei create 2024 210000000000 ",
		" li.na approve 2024 210000000000 approved zhang.wei's figure",
		"entry-demo: OK",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
}
