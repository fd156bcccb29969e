package importer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"

	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/store"
	"github.com/trademon/trademon/internal/store/embedded"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// now is the time of entry in these tests: 15 November 2025 in Shanghai.
var now = time.Date(2025, 11, 15, 10, 0, 0, 0, obs.Shanghai)

func manual() Options { return Options{EnteredBy: "cli:tester", Now: now} }

const header7 = "indicator,period,basis,value,unit,source_url,note\n"

// brief renders good rows as "line indicator basis period value unit" lines.
func brief(rows []Row) string {
	var b strings.Builder
	for _, r := range rows {
		o := r.Observation
		fmt.Fprintf(&b, "%d %s %s %s %v %s", r.Line, o.Indicator, o.Basis, o.Period, o.Value, o.Unit)
		if o.Estimate {
			b.WriteString(" estimate")
		}
		b.WriteString("\n")
	}
	return b.String()
}

func briefRejects(rs []Rejection) string {
	var b strings.Builder
	for _, r := range rs {
		fmt.Fprintf(&b, "%d: %s\n", r.Line, r.Reason)
	}
	return b.String()
}

func TestPrepareRows(t *testing.T) {
	known := strings.Join(obs.IndicatorIDs(), ", ")
	tests := []struct {
		name    string
		csv     string
		rows    string
		rejects string
	}{
		{"display units are converted", header7 +
			"retail_sales,2025-09,ytd,7200,亿元,https://tjj.sz.gov.cn/a.html,\n" +
			"goods_trade_cny,2025-Q3,ytd,2.8万亿,元,https://example.org/,前三季度\n" +
			"port_container_throughput,2024,year,3340,万标箱,,\n" +
			"port_container_throughput,2024,ytd,33.4,million TEU,,\n" +
			"digital_economy_share,2024,year,31,%,,\n" +
			"services_trade,2024,year,1500,亿美元,,\n" +
			"international_standards,2024,stock,2363,项,,\n" +
			"trade_hq_enterprises,2024-Q4,stock,120,家,,\n" +
			"airport_international_routes,2024,stock,60,条,,\n" +
			"usd_cny_rate,2024,year,7.1217,元/美元,,\n" +
			"goods_exports_cny,2025-08,month,1500.5,亿元,,\n",
			"2 retail_sales ytd 2025-09 7.2e+11 CNY\n" +
				"3 goods_trade_cny ytd 2025-09 2.8e+12 CNY\n" +
				"4 port_container_throughput year 2024 3.34e+07 TEU\n" +
				"5 port_container_throughput ytd 2024-12 3.34e+07 TEU\n" +
				"6 digital_economy_share year 2024 0.31 ratio\n" +
				"7 services_trade year 2024 1.5e+11 USD\n" +
				"8 international_standards stock 2024-12 2363 count\n" +
				"9 trade_hq_enterprises stock 2024-12 120 count\n" +
				"10 airport_international_routes stock 2024-12 60 count\n" +
				"11 usd_cny_rate year 2024 7.1217 CNY/USD\n" +
				"12 goods_exports_cny month 2025-08 1.5005e+11 CNY\n",
			""},
		{"number forms", header7 +
			"retail_sales,2024,year,\"10,500\",亿元,,\n" +
			"goods_trade_cny,2024,year,１２５００,亿元,,\n" +
			"goods_exports_cny,2024,year,7731亿6200万,元,,\n" +
			"goods_imports_cny,2024,year,19 278.1,亿元,,\n" +
			"digital_economy_share,2023,year,30.5%,%,,\n" +
			"goods_trade,2024,year,4.5E+11,USD,,\n" +
			"retail_sales,2023,year,1.05万亿元,元,,\n",
			"2 retail_sales year 2024 1.05e+12 CNY\n" +
				"3 goods_trade_cny year 2024 1.25e+12 CNY\n" +
				"4 goods_exports_cny year 2024 7.73162e+11 CNY\n" +
				"5 goods_imports_cny year 2024 1.92781e+12 CNY\n" +
				"6 digital_economy_share year 2023 0.305 ratio\n" +
				"7 goods_trade year 2024 4.5e+11 USD\n" +
				"8 retail_sales year 2023 1.05e+12 CNY\n",
			""},
		{"period forms", header7 +
			"retail_sales,2025/9,ytd,7200,亿元,,\n" +
			"retail_sales,2025年8月,ytd,6400,亿元,,\n" +
			"retail_sales,2024年,year,10500,亿元,,\n" +
			"goods_trade_cny,2025年第二季度,ytd,2,万亿元,,\n" +
			"goods_trade_cny,２０２５－０１,ytd,3000,亿元,,\n",
			"2 retail_sales ytd 2025-09 7.2e+11 CNY\n" +
				"3 retail_sales ytd 2025-08 6.4e+11 CNY\n" +
				"4 retail_sales year 2024 1.05e+12 CNY\n" +
				"5 goods_trade_cny ytd 2025-06 2e+12 CNY\n" +
				"6 goods_trade_cny ytd 2025-01 3e+11 CNY\n",
			""},
		{"bad rows are rejected with the reason", header7 +
			"retail_sales,2025-09,ytd,\"12,5OO\",亿元,,\n" +
			"retail_sales,2025-09,ytd,7200,亿美元,,\n" +
			"gdp,2025-09,ytd,1,亿元,,\n" +
			"retail_sales,2025-13,ytd,7200,亿元,,\n" +
			"retail_sales,2025-09,quarterly,7200,亿元,,\n" +
			"retail_sales,2025-12,ytd,7200,亿元,,\n" +
			"retail_sales,2025-11,ytd,7200,亿元,,\n" +
			"retail_sales,2026,year,7200,亿元,,\n" +
			",,,,,,note only\n" +
			"retail_sales,2025-09,ytd,7200,斤,,\n" +
			"retail_sales,2025-09,stock,7200,亿元,,\n" +
			"retail_sales,2025-09,ytd,-5,亿元,,\n" +
			"digital_economy_share,2024,year,31,ratio,,\n" +
			"retail_sales,2025-08,ytd,7200,亿元,tjj.sz.gov.cn/a.html,\n" +
			"retail_sales,2025-07,month,,,,\n",
			"",
			"2: value: \"12,5OO\" is not a number: type digits such as 1,300.7 or １３００.７, or with a magnitude such as 1.25万亿 (invalid number \"12,5OO\": unexpected 'O')\n" +
				"3: unit: 亿美元 measures USD, but retail_sales is measured in CNY: use 亿元\n" +
				"4: indicator: unknown indicator \"gdp\": use one of " + known + "\n" +
				"5: period: \"2025-13\" is not a period (month must be 01 to 12): write a year (2024), a quarter (2024-Q3) or a month (2024-09), or 2024年9月\n" +
				"6: basis: \"quarterly\" is not a basis of retail_sales (a flow indicator): use month, ytd, year\n" +
				"7: period: 2025-12 is in the future: figures exist only for periods that have ended (the latest complete month is 2025-10)\n" +
				"8: period: 2025-11 has not ended yet, so a ytd figure for it cannot exist: enter a period that has ended (the latest complete month is 2025-10)\n" +
				"9: period: 2026 is in the future: figures exist only for periods that have ended (the latest complete month is 2025-10)\n" +
				"10: indicator: missing: choose one of " + known + "; period: missing: give a year (2024), a quarter (2024-Q3) or a month (2024-09)\n" +
				"11: unit: unknown unit \"斤\": use 亿元, the display unit of retail_sales (or its base unit CNY)\n" +
				"12: basis: \"stock\" is not a basis of retail_sales (a flow indicator): use month, ytd, year\n" +
				"13: value: -5亿元 is negative; retail_sales cannot be: check the sign\n" +
				"14: value: 3100% is above 100%: type a share in % (31.5 for 31.5%)\n" +
				"15: source_url: \"tjj.sz.gov.cn/a.html\" is not an absolute http(s) URL: paste the release's address, e.g. https://tjj.sz.gov.cn/…, or name the document in quote\n" +
				"16: value: missing: type the figure, e.g. 1,300.7 (in 亿元)\n"},
		{"duplicates name the first line", header7 +
			"retail_sales,2025-09,ytd,7200,亿元,,\n" +
			"retail_sales,2025-08,ytd,6400,亿元,,\n" +
			"retail_sales,2025-Q3,ytd,7300,亿元,,\n" +
			"retail_sales,2025-09,YTD,7200,亿元,,\n" +
			"retail_sales,2025-09,month,800,亿元,,\n",
			"2 retail_sales ytd 2025-09 7.2e+11 CNY\n" +
				"3 retail_sales ytd 2025-08 6.4e+11 CNY\n" +
				"6 retail_sales month 2025-09 8e+10 CNY\n",
			"4: duplicate of line 2 (retail_sales ytd 2025-09)\n" +
				"5: duplicate of line 2 (retail_sales ytd 2025-09)\n"},
		{"any column order, optional extras, comments and blank lines", "# figures from the 2024 统计公报\n\n" +
			"Unit,Value,Basis,Period,Indicator,Estimate,Published_At,Quote\n" +
			"亿元,10500,year,2024,retail_sales,预计,2025-01-10,\"全年社会消费品零售总额预计1.05万亿元\"\n" +
			",,,,,,,\n" +
			"元,3.6万亿,year,2024,goods_trade_cny,false,2025/1/20,\n" +
			"亿元,3600000,year,2023,goods_trade_cny,,,\n" +
			"万标箱,3340,year,2023,port_container_throughput,,,\n" +
			"标箱,3340,year,2022,port_container_throughput,,,\n",
			"4 retail_sales year 2024 1.05e+12 CNY estimate\n" +
				"6 goods_trade_cny year 2024 3.6e+12 CNY\n" +
				"8 port_container_throughput year 2023 3.34e+07 TEU\n",
			"7: value: 3600000亿元 is outside the plausible range of goods_trade_cny (10亿元 to 200000亿元): check the unit and the magnitude (the value is read in 亿元)\n" +
				"9: value: 0.33万标箱 is outside the plausible range of port_container_throughput (5万标箱 to 10000万标箱): check the unit and the magnitude (the value is read in 标箱)\n"},
		{"wrong field count and CSV syntax errors are row rejections", header7 +
			"retail_sales,2025-09,ytd,7200,亿元,,,extra\n" +
			"retail_sales,2025-08,ytd,6400,亿元,,\"unterminated \"quote\"\n" +
			"retail_sales,2025-07,ytd,5600,亿元\n" +
			"retail_sales,2025-06,ytd,4800,亿元,,,,\n",
			"4 retail_sales ytd 2025-07 5.6e+11 CNY\n" +
				"5 retail_sales ytd 2025-06 4.8e+11 CNY\n",
			"2: row has 8 fields, the header has 7\n" +
				"3: CSV syntax: extraneous or missing \" in quoted-field\n"},
		{"flag and date errors", "indicator,period,basis,value,unit,estimate,published_at\n" +
			"retail_sales,2024,year,10500,亿元,maybe,\n" +
			"retail_sales,2023,year,9500,亿元,,20.01.2024\n",
			"",
			"2: estimate: invalid flag \"maybe\" (want true or false)\n" +
				"3: published_at: invalid date \"20.01.2024\" (want YYYY-MM-DD)\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, rejects, err := Prepare("t.csv", []byte(tt.csv), manual())
			if err != nil {
				t.Fatalf("Prepare: %v", err)
			}
			if got := brief(rows); got != tt.rows {
				t.Errorf("rows:\n%s\nwant:\n%s", got, tt.rows)
			}
			if got := briefRejects(rejects); got != tt.rejects {
				t.Errorf("rejections:\n%s\nwant:\n%s", got, tt.rejects)
			}
			for _, r := range rows {
				o := r.Observation
				if o.SourceKind != obs.KindManual || o.Source != "manual" || o.EnteredBy != "cli:tester" || o.Region != "shenzhen" {
					t.Errorf("line %d: provenance %+v", r.Line, o)
				}
				if o.Quote == "" || !o.RetrievedAt.Equal(now) {
					t.Errorf("line %d: quote %q retrieved %v", r.Line, o.Quote, o.RetrievedAt)
				}
			}
		})
	}
}

// TestGrowthColumn: the optional yoy column keeps the growth a source states beside a
// figure (issue 7), as a ratio, so that the index can imply the year before.
func TestGrowthColumn(t *testing.T) {
	data := "indicator,period,basis,value,unit,yoy\n" +
		"retail_sales,2021,year,9498.12,亿元,9.6%\n" +
		"goods_trade_cny,2024,year,45000,亿元,0.164\n" +
		"goods_trade_cny,2023,year,38710.70,亿元, -1.4 % \n" +
		"port_container_throughput,2024,year,3338,万标箱,\n" +
		"retail_sales,2022,year,9708.28,亿元,lots\n" +
		"retail_sales,2023,year,10500,亿元,-100%\n" +
		"digital_economy_share,2021,year,30.5,%,2%\n"
	rows, rejects, err := Prepare("g.csv", []byte(data), manual())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{"retail_sales 2021": 0.096, "goods_trade_cny 2024": 0.164, "goods_trade_cny 2023": -0.014}
	for _, r := range rows {
		o := r.Observation
		k := o.Indicator + " " + o.Period.String()
		g, ok := want[k]
		switch {
		case !ok && o.YoY != nil:
			t.Errorf("%s: yoy %v, want none", k, *o.YoY)
		case ok && (o.YoY == nil || math.Abs(*o.YoY-g) > 1e-15):
			t.Errorf("%s: yoy %v, want %v", k, o.YoY, g)
		}
	}
	if len(rows) != 4 {
		t.Errorf("%d rows, want 4", len(rows))
	}
	wantRejects := "6: yoy: invalid growth \"lots\" (want a percentage such as 9.6% or a ratio such as 0.096)\n" +
		"7: yoy: growth \"-100%\" is out of range (above −100%, at most 10000%)\n" +
		"8: yoy: a stated growth belongs to a flow or stock figure, but digital_economy_share is a ratio indicator\n"
	if got := briefRejects(rejects); got != wantRejects {
		t.Errorf("rejections:\n%s\nwant:\n%s", got, wantRejects)
	}
}

func TestProvenance(t *testing.T) {
	data := header7 + "retail_sales,2025-09,ytd,7200,亿元, https://tjj.sz.gov.cn/a.html ,据统计快报\n"
	rows, _, err := Prepare("figures.csv", []byte(data), manual())
	if err != nil || len(rows) != 1 {
		t.Fatalf("Prepare: %v, %d rows", err, len(rows))
	}
	o := rows[0].Observation
	if o.URL != "https://tjj.sz.gov.cn/a.html" || o.Note != "据统计快报" {
		t.Errorf("URL %q note %q", o.URL, o.Note)
	}
	if want := "figures.csv line 2: retail_sales,2025-09,ytd,7200,亿元, https://tjj.sz.gov.cn/a.html ,据统计快报"; o.Quote != want {
		t.Errorf("Quote = %q\nwant %q", o.Quote, want)
	}
	ref, _, err := Prepare("h.csv", []byte(header7+"retail_sales,2024,year,10500,亿元,,\n"), Options{Kind: obs.KindReference, Now: now})
	if err != nil || len(ref) != 1 {
		t.Fatalf("Prepare reference: %v", err)
	}
	if r := ref[0].Observation; r.SourceKind != obs.KindReference || r.Source != "reference" || r.EnteredBy != "" {
		t.Errorf("reference provenance %+v", r)
	}
	if _, _, err := Prepare("h.csv", []byte(header7), Options{Now: now}); err == nil || err.Error() != "importer: manual figures need EnteredBy" {
		t.Errorf("manual without EnteredBy: %v", err)
	}
}

func TestReadFileErrors(t *testing.T) {
	tests := []struct{ name, data, msg string }{
		{"empty", "", "f.csv: no header: the first row must name the columns (indicator,period,basis,value,unit,source_url,note)"},
		{"only comments", "# nothing\n\n", "f.csv: no header: the first row must name the columns (indicator,period,basis,value,unit,source_url,note)"},
		{"missing columns", "indicator,period,value\nretail_sales,2024,1\n", "f.csv:1: header: missing column basis, unit (the header needs indicator, period, basis, value, unit)"},
		{"unknown column", "indicator,period,basis,value,unit,remark\n", `f.csv:1: header: unknown column "remark" (known: indicator, period, basis, value, unit, source_url, note, quote, estimate, published_at, qualifier, yoy)`},
		{"duplicate column", "indicator,period,basis,value,unit,Unit\n", `f.csv:1: header: column "unit" appears twice`},
		{"unnamed column", "indicator,,basis,value,unit,period\n", "f.csv:1: header: column 2 has no name"},
		{"header is data", "retail_sales,2024,year,10500,亿元,,\n", `f.csv:1: header: unknown column "retail_sales" (known: indicator, period, basis, value, unit, source_url, note, quote, estimate, published_at, qualifier, yoy)`},
		{"bad header syntax", "indicator,\"period\nbasis", `f.csv:1: header: extraneous or missing " in quoted-field`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := Prepare("f.csv", []byte(tt.data), manual())
			if err == nil || err.Error() != tt.msg {
				t.Errorf("error = %v\n  want %s", err, tt.msg)
			}
		})
	}
	if _, _, err := Prepare("old.xls", []byte{0xD0, 0xCF, 0x11, 0xE0, 0}, manual()); err == nil || err.Error() != "old.xls: old Excel format (.xls) is not supported: save it as .xlsx or as CSV" {
		t.Errorf(".xls: %v", err)
	}
	if _, _, err := Prepare("broken.xlsx", []byte("PK\x03\x04garbage"), manual()); err == nil || !strings.HasPrefix(err.Error(), "broken.xlsx: not a readable XLSX workbook: ") {
		t.Errorf("broken xlsx: %v", err)
	}
	big := bytes.Repeat([]byte("x"), MaxFileBytes+1)
	if _, _, err := Prepare("big.csv", big, manual()); err == nil || err.Error() != "big.csv: file too large (limit 33554432 bytes)" {
		t.Errorf("big file: %v", err)
	}
}

func TestEncodings(t *testing.T) {
	text := "indicator,period,basis,value,unit,source_url,note\nretail_sales,2025-09,ytd,7200,亿元,,统计快报（初步数）\n"
	gb, err := simplifiedchinese.GB18030.NewEncoder().String(text)
	if err != nil {
		t.Fatal(err)
	}
	utf16, err := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().String(strings.ReplaceAll(text, ",", "\t"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		data []byte
	}{
		{"utf-8", []byte(text)},
		{"utf-8 with BOM", append([]byte{0xEF, 0xBB, 0xBF}, text...)},
		{"gb18030 (Excel in China)", []byte(gb)},
		{"utf-16 tab-separated (Excel Unicode text)", []byte(utf16)},
		{"CRLF line ends", []byte(strings.ReplaceAll(text, "\n", "\r\n"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, rejects, err := Prepare("enc.csv", tt.data, manual())
			if err != nil || len(rejects) > 0 || len(rows) != 1 {
				t.Fatalf("Prepare: %v, rejections %v, %d rows", err, rejects, len(rows))
			}
			if o := rows[0].Observation; o.Value != 7.2e11 || o.Note != "统计快报（初步数）" {
				t.Errorf("value %v note %q", o.Value, o.Note)
			}
		})
	}
	if utf8Valid := []byte(gb); bytes.Equal(utf8Valid, []byte(text)) {
		t.Fatal("the GB18030 fixture is identical to UTF-8; the test proves nothing")
	}
}

// writeXLSX builds a workbook whose first sheet holds rows; cells may be strings,
// numbers or time.Time values (stored as Excel dates).
func writeXLSX(t *testing.T, rows [][]any, extraSheetFirst bool) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	sheet := "数据"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		t.Fatal(err)
	}
	if extraSheetFirst {
		// A second sheet that is not the first must be ignored.
		if _, err := f.NewSheet("说明"); err != nil {
			t.Fatal(err)
		}
		if err := f.SetCellValue("说明", "A1", "not data"); err != nil {
			t.Fatal(err)
		}
	}
	dateStyle, err := f.NewStyle(&excelize.Style{NumFmt: 17}) // mmm-yy
	if err != nil {
		t.Fatal(err)
	}
	pctStyle, err := f.NewStyle(&excelize.Style{NumFmt: 9}) // 0%
	if err != nil {
		t.Fatal(err)
	}
	for r, row := range rows {
		for c, v := range row {
			cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
			switch v := v.(type) {
			case time.Time:
				if err := f.SetCellValue(sheet, cell, v); err != nil {
					t.Fatal(err)
				}
				if err := f.SetCellStyle(sheet, cell, cell, dateStyle); err != nil {
					t.Fatal(err)
				}
			case pct:
				if err := f.SetCellValue(sheet, cell, float64(v)); err != nil {
					t.Fatal(err)
				}
				if err := f.SetCellStyle(sheet, cell, cell, pctStyle); err != nil {
					t.Fatal(err)
				}
			default:
				if err := f.SetCellValue(sheet, cell, v); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// pct is a number shown with a percent format in a workbook.
type pct float64

func TestXLSX(t *testing.T) {
	data := writeXLSX(t, [][]any{
		{"Period", "Indicator", "Basis", "Value", "Unit", "Source_URL", "Note"},
		{"2025-09", "retail_sales", "ytd", 7200, "亿元", "https://tjj.sz.gov.cn/a.html", "typed as text"},
		{time.Date(2025, 8, 1, 0, 0, 0, 0, time.UTC), "retail_sales", "ytd", 6400.5, "亿元", "", "Excel turned 2025-08 into a date"},
		{},
		{"2024", "digital_economy_share", "year", pct(0.31), "%", "", "percent-formatted cell"},
		{"2024", "retail_sales", "year", "12,5OO", "亿元", "", "typo"},
		{"2024", "services_trade", "year", 1500, "亿美元"},
	}, true)
	rows, rejects, err := Prepare("figures.xlsx", data, manual())
	if err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	want := "2 retail_sales ytd 2025-09 7.2e+11 CNY\n" +
		"3 retail_sales ytd 2025-08 6.4005e+11 CNY\n" +
		"5 digital_economy_share year 2024 0.31 ratio\n" +
		"7 services_trade year 2024 1.5e+11 USD\n"
	if got := brief(rows); got != want {
		t.Errorf("rows:\n%s\nwant:\n%s", got, want)
	}
	if got := briefRejects(rejects); got != "6: value: \"12,5OO\" is not a number: type digits such as 1,300.7 or １３００.７, or with a magnitude such as 1.25万亿 (invalid number \"12,5OO\": unexpected 'O')\n" {
		t.Errorf("rejections:\n%s", got)
	}
	if q := rows[0].Observation.Quote; q != "figures.xlsx line 2: 2025-09,retail_sales,ytd,7200,亿元,https://tjj.sz.gov.cn/a.html,typed as text" {
		t.Errorf("quote = %q", q)
	}
	// Detection is by content as well as by name.
	if f, err := DetectFormat("upload.bin", data); err != nil || f != XLSX {
		t.Errorf("DetectFormat = %v, %v", f, err)
	}
	noHeader := writeXLSX(t, [][]any{{}}, false)
	if _, _, err := Prepare("empty.xlsx", noHeader, manual()); err == nil || err.Error() != `empty.xlsx: sheet "数据" has no header: the first row must name the columns (indicator,period,basis,value,unit,source_url,note)` {
		t.Errorf("empty workbook: %v", err)
	}
	badHeader := writeXLSX(t, [][]any{{"indicator", "period"}}, false)
	if _, _, err := Prepare("bad.xlsx", badHeader, manual()); err == nil || err.Error() != `bad.xlsx: sheet "数据" row 1: header: missing column basis, value, unit (the header needs indicator, period, basis, value, unit)` {
		t.Errorf("bad header: %v", err)
	}
}

func openStore(t *testing.T) *embedded.Store { return openStoreB(t) }

func openStoreB(t testing.TB) *embedded.Store {
	t.Helper()
	st, err := embedded.Open(t.TempDir(), embedded.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

func values(t *testing.T, st store.Store) string {
	t.Helper()
	os, err := st.Query(context.Background(), store.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, o := range os {
		fmt.Fprintf(&b, "%s %s %s %v %s\n", o.Indicator, o.Basis, o.Period, o.Value, o.SourceKind)
	}
	return b.String()
}

func counts(r *Result) string {
	return fmt.Sprintf("rows=%d created=%d updated=%d unchanged=%d queued=%d rejected=%d written=%v",
		r.Rows, r.Created, r.Updated, r.Unchanged, r.Queued, r.Rejected, r.Written)
}

func TestImportIntoStore(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	reg := prometheus.NewRegistry()
	results := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "trademon_manual_entries_total", Help: "test"}, []string{"result"})
	reg.MustRegister(results)
	opts := manual()
	opts.Results = results

	first := header7 +
		"retail_sales,2025-08,ytd,6400,亿元,,\n" +
		"retail_sales,2025-09,ytd,7200,亿元,,\n" +
		"services_trade,2024,year,1500,亿美元,,\n"
	steps := []struct {
		name    string
		data    string
		dry     bool
		atomic  bool
		counts  string
		isErr   bool
		stored  string
		changes string
	}{
		{"dry run classifies but writes nothing", first, true, false,
			"rows=3 created=3 updated=0 unchanged=0 queued=0 rejected=0 written=false", false, "", "2 created, 3 created, 4 created"},
		{"first import creates", first, false, false,
			"rows=3 created=3 updated=0 unchanged=0 queued=0 rejected=0 written=true", false,
			"retail_sales ytd 2025-08 6.4e+11 manual\nretail_sales ytd 2025-09 7.2e+11 manual\nservices_trade year 2024 1.5e+11 manual\n",
			"2 created, 3 created, 4 created"},
		{"same file again is unchanged", first, false, false,
			"rows=3 created=0 updated=0 unchanged=3 queued=0 rejected=0 written=true", false,
			"retail_sales ytd 2025-08 6.4e+11 manual\nretail_sales ytd 2025-09 7.2e+11 manual\nservices_trade year 2024 1.5e+11 manual\n",
			"2 unchanged, 3 unchanged, 4 unchanged"},
		{"dry run of a correction says updated", header7 + "retail_sales,2025-09,ytd,7250,亿元,,\n", true, false,
			"rows=1 created=0 updated=1 unchanged=0 queued=0 rejected=0 written=false", false,
			"retail_sales ytd 2025-08 6.4e+11 manual\nretail_sales ytd 2025-09 7.2e+11 manual\nservices_trade year 2024 1.5e+11 manual\n",
			"2 updated (was 7.2e+11)"},
		{"atomic with a bad row writes nothing", header7 + "retail_sales,2025-09,ytd,7250,亿元,,\nretail_sales,2025-07,ytd,\"12,5OO\",亿元,,\n", false, true,
			"rows=2 created=0 updated=1 unchanged=0 queued=0 rejected=1 written=false", true,
			"retail_sales ytd 2025-08 6.4e+11 manual\nretail_sales ytd 2025-09 7.2e+11 manual\nservices_trade year 2024 1.5e+11 manual\n",
			"2 updated (was 7.2e+11)"},
		{"without atomic the good rows go in", header7 + "retail_sales,2025-09,ytd,7250,亿元,,\nretail_sales,2025-07,ytd,\"12,5OO\",亿元,,\nretail_sales,2025-06,ytd,4800,亿元,,\n", false, false,
			"rows=3 created=1 updated=1 unchanged=0 queued=0 rejected=1 written=true", true,
			"retail_sales ytd 2025-06 4.8e+11 manual\nretail_sales ytd 2025-08 6.4e+11 manual\nretail_sales ytd 2025-09 7.25e+11 manual\nservices_trade year 2024 1.5e+11 manual\n",
			"2 updated (was 7.2e+11), 4 created"},
		{"only bad rows: nothing to write", header7 + "gdp,2024,year,1,亿元,,\n", false, false,
			"rows=1 created=0 updated=0 unchanged=0 queued=0 rejected=1 written=false", true,
			"retail_sales ytd 2025-06 4.8e+11 manual\nretail_sales ytd 2025-08 6.4e+11 manual\nretail_sales ytd 2025-09 7.25e+11 manual\nservices_trade year 2024 1.5e+11 manual\n",
			""},
	}
	for _, s := range steps {
		opts.DryRun, opts.Atomic = s.dry, s.atomic
		res, err := Import(ctx, st, "step.csv", []byte(s.data), opts)
		if res == nil {
			t.Fatalf("%s: no result: %v", s.name, err)
		}
		if got := counts(res); got != s.counts {
			t.Errorf("%s:\n got %s\nwant %s", s.name, got, s.counts)
		}
		if s.isErr != (err != nil) || (err != nil && !errors.Is(err, ErrRejected)) {
			t.Errorf("%s: error %v", s.name, err)
		}
		if got := values(t, st); got != s.stored {
			t.Errorf("%s: store holds\n%s\nwant\n%s", s.name, got, s.stored)
		}
		var cs []string
		for _, c := range res.Changes {
			x := fmt.Sprintf("%d %s", c.Line, c.Outcome)
			if c.Previous != nil {
				x += fmt.Sprintf(" (was %v)", *c.Previous)
			}
			cs = append(cs, x)
		}
		if got := strings.Join(cs, ", "); got != s.changes {
			t.Errorf("%s: changes %s, want %s", s.name, got, s.changes)
		}
	}
	// Rows are counted by result only when written: 3 created, 3 unchanged, then
	// 1 created and 1 updated; rejections are counted always.
	for result, want := range map[string]float64{"created": 4, "updated": 1, "unchanged": 3, "rejected": 3} {
		if got := testutil.ToFloat64(results.WithLabelValues(result)); got != want {
			t.Errorf("trademon_manual_entries_total{result=%q} = %v, want %v", result, got, want)
		}
	}
	// A correction recorded a revision.
	revs, err := st.Revisions(ctx, store.Filter{Indicators: []string{"retail_sales"}})
	if err != nil || len(revs) != 1 || revs[0].PreviousValue != 7.2e11 || revs[0].Observation.Value != 7.25e11 {
		t.Errorf("revisions = %+v, %v", revs, err)
	}
}

func TestImportManualAndReferenceAreSeparateKeys(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	data := []byte(header7 + "retail_sales,2024,year,10500,亿元,,\n")
	if _, err := Import(ctx, st, "h.csv", data, Options{Kind: obs.KindReference, Now: now}); err != nil {
		t.Fatal(err)
	}
	res, err := Import(ctx, st, "m.csv", data, manual())
	if err != nil {
		t.Fatal(err)
	}
	if res.Created != 1 {
		t.Errorf("manual import over reference: %s", counts(res))
	}
	if got := values(t, st); got != "retail_sales year 2024 1.05e+12 manual\nretail_sales year 2024 1.05e+12 reference\n" {
		t.Errorf("store:\n%s", got)
	}
}

// closedStore is a real embedded store that has been closed, so every call fails.
func closedStore(t *testing.T) store.Store {
	st, err := embedded.Open(t.TempDir(), embedded.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	return st
}

func TestImportStoreFailure(t *testing.T) {
	res, err := Import(context.Background(), closedStore(t), "f.csv", []byte(header7+"retail_sales,2024,year,10500,亿元,,\n"), manual())
	if err == nil || errors.Is(err, ErrRejected) {
		t.Fatalf("import into a closed store: %v", err)
	}
	if res == nil || res.Written {
		t.Errorf("result %+v", res)
	}
}

func TestReportGolden(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	if _, err := Import(ctx, st, "before.csv", []byte(header7+"retail_sales,2025-09,ytd,7200,亿元,,\nport_container_throughput,2024,year,3340,万标箱,,\n"), manual()); err != nil {
		t.Fatal(err)
	}
	data := []byte(header7 +
		"retail_sales,2025-09,ytd,7250,亿元,,corrected\n" +
		"port_container_throughput,2024,year,3340,万标箱,,\n" +
		"digital_economy_share,2024,year,31,%,,\n" +
		"retail_sales,2025-08,ytd,\"12,5OO\",亿元,,\n" +
		"retail_sales,2025-09,ytd,7300,亿元,,\n")
	for _, tc := range []struct {
		golden string
		opts   func(*Options)
		json   bool
	}{
		{"report-dry-run.txt", func(o *Options) { o.DryRun = true }, false},
		{"report-atomic.txt", func(o *Options) { o.Atomic = true }, false},
		{"report-dry-run.json", func(o *Options) { o.DryRun = true }, true},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			opts := manual()
			tc.opts(&opts)
			res, err := Import(ctx, st, "figures.csv", data, opts)
			if !errors.Is(err, ErrRejected) {
				t.Fatalf("Import: %v", err)
			}
			var buf bytes.Buffer
			if tc.json {
				err = res.WriteJSON(&buf)
			} else {
				err = res.WriteText(&buf)
			}
			if err != nil {
				t.Fatal(err)
			}
			golden(t, tc.golden, buf.Bytes())
		})
	}
	// The last step writes: the text says so.
	res, _ := Import(ctx, st, "figures.csv", data, manual())
	var buf bytes.Buffer
	_ = res.WriteText(&buf)
	golden(t, "report-written.txt", buf.Bytes())
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (go test -update rewrites it):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// TestImportJSONListsAreNeverNull: a clean import reports "rejections": [] in JSON, so
// scripts can iterate over it without a null check.
func TestImportJSONListsAreNeverNull(t *testing.T) {
	res, err := Import(context.Background(), openStore(t), "ok.csv",
		[]byte(header7+"retail_sales,2024,year,10500,亿元,,\n"), manual())
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"rejections":[]`, `"created":1`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON lacks %s: %s", want, b)
		}
	}
}
