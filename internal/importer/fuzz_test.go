package importer

import (
	"bytes"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/trademon/trademon/internal/obs"
)

// fuzzNow is the entry time of every fuzzed import, so that "future period" is stable.
var fuzzNow = time.Date(2025, 11, 20, 12, 0, 0, 0, obs.Shanghai)

// checkRows asserts what any row Prepare lets through must satisfy: it is a valid,
// finite, plausible figure in its indicator's base unit for a period that has begun,
// with its provenance (source, who entered it, and a quote: the cell or the row it came
// from), and rejected lines are real lines of the file. A row that breaks one of these
// is a value trademon would store without being able to justify it.
func checkRows(t *testing.T, name string, data []byte, rows []Row, rejects []Rejection) {
	t.Helper()
	for _, r := range rows {
		o := r.Observation
		ind, ok := obs.Lookup(o.Indicator)
		switch {
		case !ok:
			t.Fatalf("line %d: unknown indicator %q accepted", r.Line, o.Indicator)
		case math.IsNaN(o.Value) || math.IsInf(o.Value, 0):
			t.Fatalf("line %d: value %v is not finite", r.Line, o.Value)
		case o.Unit != ind.BaseUnit:
			t.Fatalf("line %d: unit %q, want the base unit %q", r.Line, o.Unit, ind.BaseUnit)
		case ind.CheckRange(o.Value) != nil:
			t.Fatalf("line %d: %v", r.Line, ind.CheckRange(o.Value))
		case o.Period.Start().After(fuzzNow):
			t.Fatalf("line %d: period %s is in the future", r.Line, o.Period)
		case strings.TrimSpace(o.Quote) == "":
			t.Fatalf("line %d: no quote", r.Line)
		case r.AutoQuote && !strings.Contains(o.Quote, fmt.Sprintf("line %d:", r.Line)):
			t.Fatalf("line %d: made-up quote %q does not name its line", r.Line, o.Quote)
		case o.Source == "" || o.EnteredBy == "" || o.SourceKind != obs.KindManual:
			t.Fatalf("line %d: provenance missing: source %q, entered by %q, kind %q", r.Line, o.Source, o.EnteredBy, o.SourceKind)
		case r.Line < 1:
			t.Fatalf("row line %d", r.Line)
		}
		if err := o.Validate(fuzzNow); err != nil {
			t.Fatalf("line %d: accepted an invalid observation: %v", r.Line, err)
		}
	}
	for _, rj := range rejects {
		if rj.Line < 1 || rj.Reason == "" {
			t.Fatalf("rejection %+v has no line or reason", rj)
		}
	}
}

func prepare(t *testing.T, name string, data []byte) {
	t.Helper()
	opts := Options{EnteredBy: "fuzz", Now: fuzzNow}
	rows, rejects, err := Prepare(name, data, opts)
	if err != nil {
		if err.Error() == "" {
			t.Fatal("file-level error without a message")
		}
		return
	}
	checkRows(t, name, data, rows, rejects)
	// The same file gives the same answer: no state leaks between imports.
	rows2, rejects2, err := Prepare(name, data, opts)
	if err != nil || len(rows2) != len(rows) || len(rejects2) != len(rejects) {
		t.Fatalf("second Prepare differs: %d/%d rows, %d/%d rejections, %v", len(rows2), len(rows), len(rejects2), len(rejects), err)
	}
}

// FuzzImportCSV feeds arbitrary bytes to the importer as a CSV file.
func FuzzImportCSV(f *testing.F) {
	header := "indicator,period,basis,value,unit,source_url,note\n"
	for _, s := range []string{
		header + "services_trade,2024,year,1300.7,亿美元,https://example.org/a,ok\n",
		header + "services_trade,2024,year,\"1,300.7\",亿美元,,\n",
		header + "services_trade,2024,year,１３００.７,亿美元,,\n",
		header + "services_trade,2024,year,0.13万亿,美元,,\n",
		header + "digital_economy_share,2024,year,31%,%,,\n",
		header + "digital_economy_share,2024,year,310,%,,\n",
		header + "digital_economy_share,2025-13,year,31,%,,\n",
		header + "services_trade,2024,year,NaN,亿美元,,\n",
		header + "services_trade,2024,year,Inf,亿美元,,\n",
		header + "services_trade,2024,year,1e308,亿美元,,\n",
		header + "services_trade,2024,year,-5,亿美元,,\n",
		header + "trade_hq_enterprises,2024-12,stock,12.5,家,,\n",
		header + "airport_international_routes,2099-12,stock,60,条,,\n",
		header + "services_trade,2024,year,1300,亿美元,javascript:alert(1),<script>alert(1)</script>\n",
		header + "services_trade,2024,year,1300,亿美元,,\"unterminated\n",
		"\ufeff" + header + "retail_sales,2024年12月,ytd,10600,亿元,,\r\n",
		"indicator\tperiod\tbasis\tvalue\tunit\nport_container_throughput\t2024/12\tytd\t3300\t万标箱\n",
		"indicator,period,basis,value,unit,quote,estimate,published_at\nusd_cny_rate,2023,year,7.0467,元/美元,年平均汇率7.0467,否,2024-02-29\n",
		"indicator,period,basis,value,unit,unit\n",
		"# comment\n\n" + header,
	} {
		f.Add([]byte(s))
	}
	// The same in GB18030, as Excel in China saves CSV.
	f.Add([]byte("indicator,period,basis,value,unit\nretail_sales,2024,year,10600,\xd2\xda\xd4\xaa\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		prepare(t, "fuzz.csv", data)
	})
}

// FuzzImportXLSX feeds arbitrary bytes to the importer as an XLSX file. Seeds are real
// workbooks; mutations mostly exercise the zip and XML readers' error paths.
func FuzzImportXLSX(f *testing.F) {
	f.Add(workbook(f, [][]string{{"indicator", "period", "basis", "value", "unit"}, {"services_trade", "2024", "year", "1300.7", "亿美元"}}))
	f.Add(workbook(f, [][]string{{"indicator", "period", "basis", "value", "unit", "note"}, {"digital_economy_share", "2024", "year", "31", "%", "<img src=x onerror=alert(1)>"}}))
	f.Add([]byte("PK\x03\x04garbage"))
	f.Fuzz(func(t *testing.T, data []byte) {
		prepare(t, "fuzz.xlsx", data)
	})
}

// FuzzImportXLSXCells writes arbitrary cell text into a real workbook under the import
// header, so that what a spreadsheet can hold reaches the row parser.
func FuzzImportXLSXCells(f *testing.F) {
	f.Add("services_trade", "2024", "year", "1300.7", "亿美元", "")
	f.Add("digital_economy_share", "2025-13", "year", "NaN", "%", "=HYPERLINK(\"http://169.254.169.254\")")
	f.Add("retail_sales", "2024年第四季度", "ytd", "1.06万亿", "元", "\x00\x01")
	f.Add("port_container_throughput", "45627", "ytd", "3300", "万TEU", "")
	f.Fuzz(func(t *testing.T, ind, period, basis, value, unit, note string) {
		rows := [][]string{{"indicator", "period", "basis", "value", "unit", "note"}, {ind, period, basis, value, unit, note}}
		data, err := buildWorkbook(rows)
		if err != nil {
			t.Skip(err) // text excelize itself refuses (over 32767 characters, …)
		}
		prepare(t, "cells.xlsx", data)
	})
}

func workbook(tb testing.TB, rows [][]string) []byte {
	tb.Helper()
	data, err := buildWorkbook(rows)
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

func buildWorkbook(rows [][]string) ([]byte, error) {
	x := excelize.NewFile()
	defer x.Close()
	for i, row := range rows {
		for j, v := range row {
			cell, err := excelize.CoordinatesToCellName(j+1, i+1)
			if err != nil {
				return nil, err
			}
			if err := x.SetCellStr("Sheet1", cell, v); err != nil {
				return nil, err
			}
		}
	}
	var buf bytes.Buffer
	if err := x.Write(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
