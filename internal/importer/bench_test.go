package importer

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"testing"

	"github.com/xuri/excelize/v2"
)

// benchCSV is an import file of n valid, distinct rows: four CNY flow indicators,
// month and ytd bases, consecutive months from January 1900.
func benchCSV(n int) []byte {
	inds := []string{"retail_sales", "goods_trade_cny", "goods_exports_cny", "goods_imports_cny"}
	bases := []string{"month", "ytd"}
	var b bytes.Buffer
	b.WriteString(header7)
	for i := range n {
		k, m := i%8, i/8
		fmt.Fprintf(&b, "%s,%d-%02d,%s,\"%d,%03d.5\",亿元,https://tjj.sz.gov.cn/zwgk/post_%d.html,row %d\n",
			inds[k/2], 1900+m/12, m%12+1, bases[k%2], 1+i%9, i%1000, i, i)
	}
	return b.Bytes()
}

// BenchmarkPrepare measures reading, converting and validating 10,000 rows; compare it
// with BenchmarkCSVBaseline, which only splits the same file with encoding/csv.
func BenchmarkPrepare(b *testing.B) {
	data := benchCSV(10000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		rows, rejects, err := Prepare("bench.csv", data, manual())
		if err != nil || len(rejects) > 0 || len(rows) != 10000 {
			b.Fatalf("%d rows, %d rejected (first %v), %v", len(rows), len(rejects), rejects[:min(1, len(rejects))], err)
		}
	}
}

// BenchmarkCSVBaseline is the floor for BenchmarkPrepare: encoding/csv alone.
func BenchmarkCSVBaseline(b *testing.B) {
	data := benchCSV(10000)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		r := csv.NewReader(bytes.NewReader(data))
		n := 0
		for {
			_, err := r.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n != 10001 {
			b.Fatalf("%d records", n)
		}
	}
}

// BenchmarkImportEmbedded imports 10,000 rows into a fresh embedded store per run:
// classification query plus one all-or-nothing Put.
func BenchmarkImportEmbedded(b *testing.B) {
	data := benchCSV(10000)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		b.StopTimer()
		st := openStoreB(b)
		b.StartTimer()
		res, err := Import(context.Background(), st, "bench.csv", data, manual())
		if err != nil || res.Created != 10000 {
			b.Fatalf("created %d, rejected %d: %v", res.Created, res.Rejected, err)
		}
		b.StopTimer()
		_ = st.Close()
		b.StartTimer()
	}
}

// benchXLSX is benchCSV's rows as a workbook, written with excelize's stream writer.
func benchXLSX(b testing.TB, n int) []byte {
	b.Helper()
	recs, err := csv.NewReader(bytes.NewReader(benchCSV(n))).ReadAll()
	if err != nil {
		b.Fatal(err)
	}
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		b.Fatal(err)
	}
	for i, rec := range recs {
		row := make([]any, len(rec))
		for j, v := range rec {
			row[j] = v
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := sw.SetRow(cell, row); err != nil {
			b.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		b.Fatal(err)
	}
	var out bytes.Buffer
	if err := f.Write(&out); err != nil {
		b.Fatal(err)
	}
	return out.Bytes()
}

// BenchmarkPrepareXLSX is BenchmarkPrepare for the same 10,000 rows in a workbook.
func BenchmarkPrepareXLSX(b *testing.B) {
	data := benchXLSX(b, 10000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		rows, rejects, err := Prepare("bench.xlsx", data, manual())
		if err != nil || len(rejects) > 0 || len(rows) != 10000 {
			b.Fatalf("%d rows, %d rejected (first %v), %v", len(rows), len(rejects), rejects[:min(1, len(rejects))], err)
		}
	}
}
