package importer

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// Hostile import files (issue 8, "First: the importer goes on the network"). Each is
// built here, small on disk, and must be refused quickly with bounded memory and no
// temporary file left behind. Memory is measured as the bytes allocated during the
// call (runtime.MemStats.TotalAlloc), an upper bound of what it held at once.

// allocated returns the bytes fn allocated.
func allocated(fn func()) uint64 {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// bombSize is what the hostile archives unzip to.
const bombSize = 1 << 30

// repeated returns a deflate stream of prefix, then chunk repeated n times, then
// suffix, and the CRC-32 and length of what it inflates to. Each part is compressed
// by a fresh compressor and ended with a sync flush, so the chunk's compressed bytes
// are copied n times rather than compressed n times: a 1 GiB member costs about 1 MB
// and a few milliseconds to build.
func repeated(t testing.TB, prefix, chunk []byte, n int, suffix []byte) (raw []byte, crc uint32, size int64) {
	t.Helper()
	part := func(p []byte, final bool) []byte {
		var b bytes.Buffer
		w, err := flate.NewWriter(&b, flate.BestCompression)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(p); err != nil {
			t.Fatal(err)
		}
		if final {
			err = w.Close()
		} else {
			err = w.Flush()
		}
		if err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	seg := part(chunk, false)
	var out bytes.Buffer
	out.Write(part(prefix, false))
	crc = crc32.Update(0, crc32.IEEETable, prefix)
	for range n {
		out.Write(seg)
		crc = crc32.Update(crc, crc32.IEEETable, chunk)
	}
	out.Write(part(suffix, true))
	crc = crc32.Update(crc, crc32.IEEETable, suffix)
	return out.Bytes(), crc, int64(len(prefix)) + int64(n)*int64(len(chunk)) + int64(len(suffix))
}

// zipFile is one member of a hand-built archive: plain content, or a raw deflate
// stream with its CRC and size.
type zipFile struct {
	name    string
	content string
	raw     []byte
	crc     uint32
	size    int64
}

func buildZip(t testing.TB, files ...zipFile) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, f := range files {
		if f.raw == nil {
			w, err := zw.Create(f.name)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := io.WriteString(w, f.content); err != nil {
				t.Fatal(err)
			}
			continue
		}
		w, err := zw.CreateRaw(&zip.FileHeader{Name: f.name, Method: zip.Deflate, CRC32: f.crc,
			CompressedSize64: uint64(len(f.raw)), UncompressedSize64: uint64(f.size)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(f.raw); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// workbookParts are the members of a minimal workbook whose one sheet is
// xl/worksheets/sheet1.xml.
func workbookParts() []zipFile {
	return []zipFile{
		{name: "[Content_Types].xml", content: `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>`},
		{name: "_rels/.rels", content: `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`},
		{name: "xl/workbook.xml", content: `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>`},
		{name: "xl/_rels/workbook.xml.rels", content: `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`},
	}
}

const sheetHead = `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`
const sheetTail = `</sheetData></worksheet>`

// inlineRow is a sheet row of inline strings, one per cell name and value pair.
func inlineRow(r int, cells ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<row r="%d">`, r)
	for i := 0; i+1 < len(cells); i += 2 {
		fmt.Fprintf(&b, `<c r="%s" t="inlineStr"><is><t>%s</t></is></c>`, cells[i], cells[i+1])
	}
	b.WriteString(`</row>`)
	return b.String()
}

func headerRow() string {
	return inlineRow(1, "A1", "indicator", "B1", "period", "C1", "basis", "D1", "value", "E1", "unit")
}

// refused runs Prepare on data named name with TMPDIR pointing at an empty directory,
// and checks that it fails with an error containing want, allocating at most limit
// bytes and leaving no file in TMPDIR.
func refused(t *testing.T, name string, data []byte, want string, limit uint64) {
	t.Helper()
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	var err error
	n := allocated(func() { _, _, err = Prepare(name, data, manual()) })
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Prepare(%s) = %v, want an error containing %q", name, err, want)
	}
	if n > limit {
		t.Errorf("Prepare(%s) allocated %d MiB, want at most %d MiB", name, n>>20, limit>>20)
	}
	left, _ := os.ReadDir(tmp)
	for _, e := range left {
		info, _ := e.Info()
		t.Errorf("temporary file left behind: %s (%d bytes)", e.Name(), info.Size())
	}
}

func TestXLSXZipBombRefused(t *testing.T) {
	raw, crc, size := repeated(t, nil, bytes.Repeat([]byte{0}, 1<<20), bombSize>>20, nil)
	data := buildZip(t, zipFile{name: "bomb.bin", raw: raw, crc: crc, size: size})
	t.Logf("archive of %d KiB unzipping to %d MiB", len(data)>>10, size>>20)
	refused(t, "bomb.xlsx", data, fmt.Sprintf("bomb.xlsx: unzips to more than %d MiB, the most an import workbook may hold", MaxUnzippedBytes>>20), 16<<20)
}

func TestXLSXHugeSheetRefused(t *testing.T) {
	row := inlineRow(2, "A2", "retail_sales", "B2", "2024", "C2", "year", "D2", "10500", "E2", "亿元")
	chunk := bytes.Repeat([]byte(strings.Replace(row, ` r="2"`, "", 1)), (1<<20)/len(row))
	raw, crc, size := repeated(t, []byte(sheetHead+headerRow()), chunk, bombSize/len(chunk), []byte(sheetTail))
	data := buildZip(t, append(workbookParts(), zipFile{name: "xl/worksheets/sheet1.xml", raw: raw, crc: crc, size: size})...)
	t.Logf("workbook of %d KiB with a sheet of %d MiB", len(data)>>10, size>>20)
	refused(t, "huge.xlsx", data, "huge.xlsx: unzips to more than", 16<<20)
}

// TestXLSXFarColumnRefused: rows with one cell in the last column (XFD) used 10.8 GB
// for 3,000 rows, as GetRows pads every row to 16,384 cells.
func TestXLSXFarColumnRefused(t *testing.T) {
	var sheet strings.Builder
	sheet.WriteString(sheetHead + headerRow())
	for r := 2; r <= 300; r++ {
		sheet.WriteString(inlineRow(r, fmt.Sprintf("XFD%d", r), "x"))
	}
	sheet.WriteString(sheetTail)
	data := buildZip(t, append(workbookParts(), zipFile{name: "xl/worksheets/sheet1.xml", content: sheet.String()})...)
	refused(t, "wide.xlsx", data, `wide.xlsx: sheet "Sheet1" row 2: a cell in column XFD; an import sheet has at most 64 columns`, 16<<20)
}

func TestXLSXTooManyRowsRefused(t *testing.T) {
	var sheet strings.Builder
	sheet.WriteString(sheetHead + headerRow())
	sheet.WriteString(inlineRow(1000000, "A1000000", "retail_sales"))
	sheet.WriteString(sheetTail)
	data := buildZip(t, append(workbookParts(), zipFile{name: "xl/worksheets/sheet1.xml", content: sheet.String()})...)
	refused(t, "long.xlsx", data, fmt.Sprintf(`long.xlsx: sheet "Sheet1": more than %d rows`, MaxRows), 16<<20)
}

func TestCSVTooManyRowsRefused(t *testing.T) {
	data := []byte(header7 + strings.Repeat("\n", MaxRows) + "retail_sales,2024,year,1,亿元,,\n")
	if _, _, err := Prepare("long.csv", data, manual()); err == nil || err.Error() != fmt.Sprintf("long.csv: more than %d rows; split the file", MaxRows) {
		t.Errorf("Prepare = %v", err)
	}
}

// TestFieldCaps: a 30 MB note was stored and came back in every /api/v1/targets.
func TestFieldCaps(t *testing.T) {
	long := func(n int) string { return strings.Repeat("长", n/3+1) }
	tests := []struct {
		col, value, want string
	}{
		{ColNote, long(30 << 20), fmt.Sprintf("note: %d bytes long; at most %d are kept: shorten it (quote the sentence the figure is in, not the page)", len(long(30<<20)), MaxFieldBytes[ColNote])},
		{ColQuote, long(MaxFieldBytes[ColQuote] + 1), fmt.Sprintf("quote: %d bytes long; at most %d are kept: shorten it (quote the sentence the figure is in, not the page)", len(long(MaxFieldBytes[ColQuote]+1)), MaxFieldBytes[ColQuote])},
		{ColSourceURL, "https://tjj.sz.gov.cn/" + strings.Repeat("a", MaxFieldBytes[ColSourceURL]), fmt.Sprintf("source_url: %d bytes long; at most %d are kept", len("https://tjj.sz.gov.cn/")+MaxFieldBytes[ColSourceURL], MaxFieldBytes[ColSourceURL])},
		{ColQualifier, long(MaxFieldBytes[ColQualifier] + 1), "qualifier: 258 bytes long; at most 256: shorten it"},
		{ColValue, strings.Repeat("1", MaxFieldBytes[ColValue]+1), "value: 101 bytes long; a number has at most 100"},
		{ColIndicator, strings.Repeat("x", 10<<20), "indicator: 10485760 bytes long; at most 100 are kept: shorten it"},
	}
	for _, tc := range tests {
		t.Run(tc.col, func(t *testing.T) {
			fields := map[string]string{ColIndicator: "retail_sales", ColPeriod: "2024", ColBasis: "year", ColValue: "10500", ColUnit: "亿元", tc.col: tc.value}
			var b strings.Builder
			b.WriteString("indicator,period,basis,value,unit,source_url,note,quote,qualifier\n")
			for i, c := range []string{ColIndicator, ColPeriod, ColBasis, ColValue, ColUnit, ColSourceURL, ColNote, ColQuote, ColQualifier} {
				if i > 0 {
					b.WriteByte(',')
				}
				b.WriteString(fields[c])
			}
			b.WriteByte('\n')
			rows, rejects, err := Prepare("f.csv", []byte(b.String()), manual())
			if err != nil || len(rows) != 0 || len(rejects) != 1 || !strings.Contains(rejects[0].Reason, tc.want) {
				t.Fatalf("Prepare: %d rows, rejections %.300v, %v; want one rejection containing %q", len(rows), rejects, err, tc.want)
			}
		})
	}
	// At the caps, a row goes in.
	ok := header7 + "retail_sales,2024,year,10500,亿元,," + strings.Repeat("x", MaxFieldBytes[ColNote]) + "\n"
	if rows, rejects, err := Prepare("f.csv", []byte(ok), manual()); err != nil || len(rows) != 1 {
		t.Fatalf("a note at the cap: %d rows, %v, %v", len(rows), rejects, err)
	}
}

// TestReadFileLimit: the whole file was read before its size was checked (a 4 GiB
// sparse file: 4.2 GB RSS; /dev/zero: out of memory).
func TestReadFileLimit(t *testing.T) {
	sparse := filepath.Join(t.TempDir(), "sparse.csv")
	f, err := os.Create(sparse)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(4 << 30); err != nil {
		t.Fatal(err)
	}
	_ = f.Close()
	// A device is read up to the limit: about twice the limit is allocated as the
	// buffer doubles (more under the race detector).
	for _, tc := range []struct {
		path  string
		limit uint64
	}{{sparse, 1 << 20}, {"/dev/zero", 3 * MaxFileBytes}} {
		var err error
		n := allocated(func() { _, err = ReadFile(tc.path, MaxFileBytes) })
		want := fmt.Sprintf("%s: file too large (limit %d bytes)", tc.path, MaxFileBytes)
		if err == nil || err.Error() != want || !errors.Is(err, ErrTooLarge) {
			t.Errorf("ReadFile(%s) = %v, want %q", tc.path, err, want)
		}
		if n > tc.limit {
			t.Errorf("ReadFile(%s) allocated %d MiB, want at most %d MiB", tc.path, n>>20, tc.limit>>20)
		}
	}
	small := filepath.Join(t.TempDir(), "small.csv")
	if err := os.WriteFile(small, []byte(header7), 0o600); err != nil {
		t.Fatal(err)
	}
	if data, err := ReadFile(small, MaxFileBytes); err != nil || string(data) != header7 {
		t.Errorf("ReadFile(small) = %q, %v", data, err)
	}
	if _, err := ReadFile(filepath.Join(t.TempDir(), "nope.csv"), MaxFileBytes); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("missing file: %v", err)
	}
}

// TestImportReader: an upload goes through the same importer and summary as a file,
// through a size limit.
func TestImportReader(t *testing.T) {
	data := []byte(header7 + "retail_sales,2024,year,10500,亿元,https://tjj.sz.gov.cn/a.html,\n" +
		"retail_sales,2023,year,\"12,5OO\",亿元,,\n")
	st := openStore(t)
	res, err := ImportReader(context.Background(), st, "upload.csv", bytes.NewReader(data), 1<<20, manual())
	var re *RejectedError
	if !errors.As(err, &re) || res == nil || counts(res) != "rows=2 created=1 updated=0 unchanged=0 queued=0 rejected=1 written=true" {
		t.Fatalf("ImportReader: %v, %v", res, err)
	}
	want, _ := Import(context.Background(), openStore(t), "upload.csv", data, manual())
	var got, exp bytes.Buffer
	_ = res.WriteText(&got)
	_ = want.WriteText(&exp)
	if got.String() != exp.String() {
		t.Errorf("summary of an upload:\n%s\nof a file:\n%s", got.String(), exp.String())
	}
	_, err = ImportReader(context.Background(), st, "big.csv", io.LimitReader(zeros{}, 1<<21), 1<<20, manual())
	if err == nil || err.Error() != "big.csv: file too large (limit 1048576 bytes)" || !errors.Is(err, ErrTooLarge) {
		t.Errorf("oversized upload: %v", err)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// TestXLSXStreamsLikeBefore: the streaming reader reads what GetRows read, dates in
// the period column included.
func TestXLSXStreamsLikeBefore(t *testing.T) {
	f := excelize.NewFile()
	defer f.Close()
	_ = f.SetSheetRow("Sheet1", "A1", &[]any{"indicator", "period", "basis", "value", "unit"})
	_ = f.SetSheetRow("Sheet1", "A3", &[]any{"retail_sales", "2024", "year", 10500, "亿元"})
	_ = f.SetSheetRow("Sheet1", "A7", &[]any{"retail_sales", "2023", "year", "9,498.12", "亿元"})
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	rows, rejects, err := Prepare("gaps.xlsx", b.Bytes(), manual())
	if err != nil || len(rejects) != 0 {
		t.Fatalf("Prepare: %v %v", rejects, err)
	}
	if got := brief(rows); got != "3 retail_sales year 2024 1.05e+12 CNY\n7 retail_sales year 2023 9.49812e+11 CNY\n" {
		t.Errorf("rows:\n%s", got)
	}
}
