package faults

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/trademon/trademon/internal/testutil/proc"
)

// hostileImport is one hostile import file and the answer trademon import must give.
type hostileImport struct {
	name string
	file string // file name (its extension picks the format)
	data []byte
	code int    // exit code: 1 nothing importable, 2 rows rejected
	want string // the message (regexp) naming what is wrong
}

const importHeader = "indicator,period,basis,value,unit,source_url,note\n"

func row(fields ...string) []byte { return []byte(importHeader + strings.Join(fields, ",") + "\n") }

// hostileImports are the hostile-input cases for `trademon import` (the import path
// staff use): scripts in every checked field, huge and non-finite numbers, values the
// indicator's kind cannot have, impossible periods, empty and oversized files, broken
// encodings and the wrong format.
var hostileImports = []hostileImport{
	{"script as indicator", "a.csv", row("<script>alert(1)</script>", "2024", "year", "1300", "亿美元", "", ""), 2, `indicator: unknown indicator`},
	{"script as period", "a.csv", row("services_trade", "<script>", "year", "1300", "亿美元", "", ""), 2, `period: "<script>" is not a period`},
	{"script as basis", "a.csv", row("services_trade", "2024", "<img src=x>", "1300", "亿美元", "", ""), 2, `basis: "<img src=x>" is not a basis of services_trade`},
	{"script as value", "a.csv", row("services_trade", "2024", "year", "<script>1</script>", "亿美元", "", ""), 2, `value: `},
	{"script as unit", "a.csv", row("services_trade", "2024", "year", "1300", "<b>亿美元</b>", "", ""), 2, `unit: unknown unit`},
	{"script as note", "a.csv", row("services_trade", "2024", "year", "1300", "亿美元", "https://a.gov.cn/x", "<script>alert(1)</script>"), 2, `note: contains markup`},
	{"script as quote", "a.csv", []byte("indicator,period,basis,value,unit,quote\nservices_trade,2024,year,1300,亿美元,<img src=x onerror=alert(1)>\n"), 2, `quote: contains markup`},
	{"javascript URL", "a.csv", row("services_trade", "2024", "year", "1300", "亿美元", "javascript:alert(1)", ""), 2, `source_url: "javascript:alert\(1\)" is not an absolute http\(s\) URL`},
	{"data URL", "a.csv", row("services_trade", "2024", "year", "1300", "亿美元", "data:text/html;base64,PHNjcmlwdD4=", ""), 2, `source_url: "data:text/html;base64" is not an absolute http\(s\) URL`},
	{"huge number", "a.csv", row("services_trade", "2024", "year", "1e308", "亿美元", "", ""), 2, `value: \+Inf is not a finite number|outside the plausible range`},
	{"more digits than float64", "a.csv", row("services_trade", "2024", "year", strings.Repeat("9", 400), "亿美元", "", ""), 2, `value: `},
	{"NaN", "a.csv", row("services_trade", "2024", "year", "NaN", "亿美元", "", ""), 2, `value: `},
	{"Inf", "a.csv", row("services_trade", "2024", "year", "Inf", "亿美元", "", ""), 2, `value: `},
	{"negative", "a.csv", row("services_trade", "2024", "year", "-1300", "亿美元", "", ""), 2, `value: `},
	{"share above 100%", "a.csv", row("digital_economy_share", "2024", "year", "131", "%", "", ""), 2, `value: 131% is above 100%`},
	{"fractional count", "a.csv", row("trade_hq_enterprises", "2024-12", "stock", "12.5", "家", "", ""), 2, `value: 12.5 is not a whole number, but trade_hq_enterprises counts 家`},
	{"stock as a flow", "a.csv", row("trade_hq_enterprises", "2024", "year", "120", "家", "", ""), 2, `basis: "year" is not a basis of trade_hq_enterprises \(a stock indicator\): use stock`},
	{"unit of another kind", "a.csv", row("services_trade", "2024", "year", "1300", "万标箱", "", ""), 2, `unit: 万标箱 measures TEU, but services_trade is measured in USD: use 亿美元`},
	{"month 13", "a.csv", row("port_container_throughput", "2025-13", "ytd", "3300", "万标箱", "", ""), 2, `period: "2025-13" is not a period \(month must be 01 to 12\)`},
	{"month 00", "a.csv", row("port_container_throughput", "2025-00", "ytd", "3300", "万标箱", "", ""), 2, `period: "2025-00" is not a period \(month must be 01 to 12\)`},
	{"quarter 5", "a.csv", row("port_container_throughput", "2025-Q5", "ytd", "3300", "万标箱", "", ""), 2, `period: "2025-Q5" is not a period \(quarter must be Q1 to Q4\)`},
	{"year 9999", "a.csv", row("services_trade", "9999", "year", "1300", "亿美元", "", ""), 2, `period: "9999" is not a period \(year must be four digits between 1900 and 2200\)`},
	{"future period", "a.csv", row("airport_international_routes", "2199-12", "stock", "60", "条", "", ""), 2, `in the future`},
	{"empty file", "a.csv", nil, 1, `no header`},
	{"header only", "a.csv", []byte(importHeader), 0, ``},
	{"unknown column", "a.csv", []byte("indicator,period,basis,value,unit,evil\n"), 1, `unknown column "evil"`},
	{"oversized file", "a.csv", append([]byte(importHeader), make([]byte, 33<<20)...), 1, `file too large \(limit 33554432 bytes\)`},
	{"broken UTF-16", "a.csv", []byte{0xFF, 0xFE, 0x00}, 1, `header|UTF-16|decode`},
	{"binary Excel", "a.xls", []byte{0xD0, 0xCF, 0x11, 0xE0, 0, 0, 0, 0}, 1, `old Excel format \(\.xls\) is not supported`},
	{"zip that is no workbook", "a.xlsx", []byte("PK\x03\x04not a zip at all"), 1, `not a readable XLSX workbook`},
}

// TestHostileImports runs every hostile import file through `trademon import` against
// a store holding figures: each gets the exit code and the message expected, and the
// store is exactly as before (nothing stored, nothing changed).
func TestHostileImports(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	env := writeConfig(t, dir, fmt.Sprintf("history: none\nstore: {path: %s}\n", data))
	good := filepath.Join(dir, "good.csv")
	writeFile(t, good, string(row("services_trade", "2024", "year", "1300.7", "亿美元", "https://commerce.sz.gov.cn/a.html", "ok")))
	if res := proc.Run(t, bin, env, runFor, "import", good, "--user", "faults"); res.Code != 0 {
		t.Fatalf("good import: exit %d\n%s%s", res.Code, res.Stdout, res.Stderr)
	}
	before := snapshot(t, data)
	for i, tc := range hostileImports {
		t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
			file := filepath.Join(dir, fmt.Sprintf("%d-%s", i, tc.file))
			if err := os.WriteFile(file, tc.data, 0o600); err != nil {
				t.Fatal(err)
			}
			res := proc.Run(t, bin, env, runFor, "import", file, "--user", "faults")
			out := res.Stdout + res.Stderr
			if res.Code != tc.code || !regexp.MustCompile(tc.want).MatchString(out) {
				t.Errorf("exit %d, want %d with a message matching %q:\n%s", res.Code, tc.code, tc.want, out)
			}
			if after := snapshot(t, data); !slices.Equal(after, before) {
				t.Errorf("the store changed:\n%s", diff(before, after))
			}
		})
	}
}
