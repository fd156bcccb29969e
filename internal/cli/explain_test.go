package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/trademon/trademon/targets"
)

// TestExplainCommand explains the retail verdict of a first start: the baseline implied
// by the 2021 release and its stated growth, the 2024 estimate, the formulas.
func TestExplainCommand(t *testing.T) {
	cfg := seededStore(t)
	code, out, stderr := run(t, "--config", cfg, "explain", "retail_sales", "--at", "2026-10")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"retail_sales — 社会消费品零售总额 Retail sales of consumer goods\n截至 As of 2026-10-31 (Asia/Shanghai)\n",
		"状态 Status: 进度落后 behind\n",
		"  baseline — retail_sales year 2020\n    chosen: retail_sales year 2020 = 8666.1679亿元 (reference, derived, 预计 estimate)\n" +
			"      how: implied by 2021 and its stated growth: 9498.12亿元 / (1 + 9.6%) = 8666.17亿元\n",
		"      from: retail_sales year 2021 = 9498.12亿元 (reference, reference)\n",
		"        quote: 2021年,全市社会消费品零售总额9498.12亿元,同比增长9.6%,两年平均增长1.9%。\n",
		"  actual — retail_sales year 2024\n    chosen: retail_sales year 2024 = 10600亿元 (reference, reference, 预计 estimate)\n",
		"  expected 2024: E(y) = b·(g/b)^((y−y0)/(Y−y0))\n    = 8666.17亿元 × (12500亿元 / 8666.17亿元)^((2024−2020)/(2025−2020)) = 11616.99亿元\n",
		"  gap: gap = (actual − expected)/|expected|\n    = (10600亿元 − 11616.99亿元) / 11616.99亿元 = -8.75%\n",
		"  status: on_track if gap ≥ 0; at_risk if −tolerance ≤ gap < 0; behind if gap < −tolerance\n    = gap -8.75%, tolerance 5.00% = behind\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("explanation lacks:\n%s\n--- got:\n%s", want, out)
		}
	}
	code, out, stderr = run(t, "--config", cfg, "explain", "goods_trade", "--at", "2026-10", "--format", "json")
	if code != 0 {
		t.Fatalf("json: exit %d: %s", code, stderr)
	}
	var x targets.Explanation
	if err := json.Unmarshal([]byte(out), &x); err != nil {
		t.Fatalf("json: %v", err)
	}
	if x.Verdict.Target != "goods_trade" || x.Verdict.Status != targets.Achieved || len(x.Rates) != 2 || x.Rates[1].Period != "2023" || len(x.Steps) == 0 {
		t.Errorf("json explanation: %s %s rates %+v", x.Verdict.Target, x.Verdict.Status, x.Rates)
	}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"explain", "nope"}, 2, `trademon: unknown target "nope" (known: international_standards, digital_economy_share, retail_sales,`},
		{[]string{"explain"}, 1, "accepts 1 arg(s), received 0"},
		{[]string{"explain", "retail_sales", "--known", "2024-13"}, 2, `trademon: --known: invalid date "2024-13"`},
		{[]string{"explain", "retail_sales", "--format", "xml"}, 2, `--format: unknown format "xml" (want text or json)`},
	} {
		code, out, stderr := run(t, append([]string{"--config", cfg}, tc.args...)...)
		if code != tc.code || !strings.Contains(stderr, tc.want) || out != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit %d and %q", tc.args, code, out, stderr, tc.code, tc.want)
		}
	}
}
