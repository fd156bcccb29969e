package importer

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/trademon/trademon/internal/textenc"
	"github.com/trademon/trademon/internal/units"
)

// Column names of the import format (DESIGN.md). The first seven are the contract;
// quote, estimate, published_at and qualifier are optional extras for provenance, and
// yoy the year-on-year growth the source states beside the figure ("9.6%" or 0.096).
const (
	ColIndicator   = "indicator"
	ColPeriod      = "period"
	ColBasis       = "basis"
	ColValue       = "value"
	ColUnit        = "unit"
	ColSourceURL   = "source_url"
	ColNote        = "note"
	ColQuote       = "quote"
	ColEstimate    = "estimate"
	ColPublishedAt = "published_at"
	ColQualifier   = "qualifier"
	ColYoY         = "yoy"
)

// requiredColumns must be in the header; the others may be left out.
var requiredColumns = []string{ColIndicator, ColPeriod, ColBasis, ColValue, ColUnit}

// knownColumns are every column the importer reads, in the documented order.
var knownColumns = []string{ColIndicator, ColPeriod, ColBasis, ColValue, ColUnit, ColSourceURL, ColNote,
	ColQuote, ColEstimate, ColPublishedAt, ColQualifier, ColYoY}

// MaxFileBytes bounds the size of one import file.
const MaxFileBytes = 32 << 20

// Format is the file format of an import.
type Format string

// Formats the importer reads.
const (
	CSV  Format = "csv"
	XLSX Format = "xlsx"
)

// Record is one data row of an import file, by column name, with its line (CSV) or
// row number (XLSX), both counted from 1 with the header on line 1 unless blank or
// comment lines precede it.
type Record struct {
	Line   int
	Fields map[string]string
	// Raw is the row as written, for the quote of observations without a quote column.
	Raw string
}

// DetectFormat tells the format of a file from its name and first bytes: a zip
// archive or a .xlsx name is XLSX, anything else CSV. Old binary Excel files (.xls)
// are rejected with advice.
func DetectFormat(name string, data []byte) (Format, error) {
	ext := strings.ToLower(filepath.Ext(name))
	switch {
	case bytes.HasPrefix(data, []byte("PK\x03\x04")) || ext == ".xlsx" || ext == ".xlsm":
		return XLSX, nil
	case bytes.HasPrefix(data, []byte{0xD0, 0xCF, 0x11, 0xE0}) || ext == ".xls":
		return "", fmt.Errorf("%s: old Excel format (.xls) is not supported: save it as .xlsx or as CSV", name)
	}
	return CSV, nil
}

// Read parses an import file into records. A file-level problem (unreadable, no
// header, a missing or unknown column) is an error; a row-level problem (a CSV syntax
// error in one row, a wrong number of fields) is returned as a Rejection and reading
// goes on. Blank rows are skipped.
func Read(name string, data []byte) ([]Record, []Rejection, error) {
	if len(data) > MaxFileBytes {
		return nil, nil, fmt.Errorf("%s: file is %d bytes, more than the %d allowed", name, len(data), MaxFileBytes)
	}
	f, err := DetectFormat(name, data)
	if err != nil {
		return nil, nil, err
	}
	if f == XLSX {
		return readXLSX(name, data)
	}
	return readCSV(name, data)
}

// decodeText returns data as UTF-8: a UTF-8 or UTF-16 byte-order mark is honoured and
// dropped; text that is not valid UTF-8 is decoded as GB18030, as Excel in China saves CSV.
func decodeText(name string, data []byte) (string, error) {
	text, _, err := textenc.Decode(data)
	if err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	return text, nil
}

func readCSV(name string, data []byte) ([]Record, []Rejection, error) {
	text, err := decodeText(name, data)
	if err != nil {
		return nil, nil, err
	}
	r := csv.NewReader(strings.NewReader(text))
	r.FieldsPerRecord = -1
	r.Comment = '#'
	r.Comma = delimiter(text)
	var (
		cols    []string
		records []Record
		rejects []Rejection
	)
	for {
		fields, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				if cols == nil {
					return nil, nil, fmt.Errorf("%s:%d: header: %w", name, pe.StartLine, pe.Err)
				}
				rejects = append(rejects, Rejection{Line: pe.StartLine, Reason: "CSV syntax: " + pe.Err.Error()})
				continue
			}
			return nil, nil, fmt.Errorf("%s: %w", name, err)
		}
		line, _ := r.FieldPos(0)
		if blank(fields) {
			continue
		}
		if cols == nil {
			if cols, err = header(fields); err != nil {
				return nil, nil, fmt.Errorf("%s:%d: header: %w", name, line, err)
			}
			continue
		}
		if len(fields) > len(cols) && !blank(fields[len(cols):]) {
			rejects = append(rejects, Rejection{Line: line, Reason: fmt.Sprintf("row has %d fields, the header has %d", len(fields), len(cols))})
			continue
		}
		records = append(records, record(line, cols, fields, string(r.Comma)))
	}
	if cols == nil {
		return nil, nil, fmt.Errorf("%s: no header: the first row must name the columns (%s)", name, strings.Join(knownColumns[:7], ","))
	}
	return records, rejects, nil
}

// delimiter is a tab when the first line has tabs and no commas (Excel's "Unicode
// text" export), otherwise a comma.
func delimiter(text string) rune {
	first, _, _ := strings.Cut(text, "\n")
	if strings.Contains(first, "\t") && !strings.Contains(first, ",") {
		return '\t'
	}
	return ','
}

func blank(fields []string) bool {
	for _, f := range fields {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

// header maps the header row to canonical column names, rejecting unknown, duplicate
// and missing columns. Names are matched case-insensitively, after NFKC.
func header(fields []string) ([]string, error) {
	cols := make([]string, len(fields))
	seen := map[string]bool{}
	for i, f := range fields {
		c := strings.ToLower(units.Normalize(strings.TrimPrefix(f, "\ufeff")))
		if c == "" {
			if !blank(fields[i:]) {
				return nil, fmt.Errorf("column %d has no name", i+1)
			}
			cols = cols[:i]
			break
		}
		if !slices.Contains(knownColumns, c) {
			return nil, fmt.Errorf("unknown column %q (known: %s)", f, strings.Join(knownColumns, ", "))
		}
		if seen[c] {
			return nil, fmt.Errorf("column %q appears twice", c)
		}
		seen[c] = true
		cols[i] = c
	}
	var missing []string
	for _, c := range requiredColumns {
		if !seen[c] {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("missing column %s (the header needs %s)", strings.Join(missing, ", "), strings.Join(requiredColumns, ", "))
	}
	return cols, nil
}

func record(line int, cols, fields []string, sep string) Record {
	rec := Record{Line: line, Fields: make(map[string]string, len(cols))}
	for i, c := range cols {
		if i < len(fields) {
			rec.Fields[c] = fields[i]
		}
	}
	raw := fields[:min(len(fields), len(cols))]
	for len(raw) > 0 && strings.TrimSpace(raw[len(raw)-1]) == "" {
		raw = raw[:len(raw)-1]
	}
	rec.Raw = strings.Join(raw, sep)
	return rec
}

func readXLSX(name string, data []byte) ([]Record, []Rejection, error) {
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: not a readable XLSX workbook: %w", name, err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, nil, fmt.Errorf("%s: the workbook has no sheet", name)
	}
	sheet := sheets[0]
	rows, err := f.GetRows(sheet)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: sheet %q: %w", name, sheet, err)
	}
	var (
		cols    []string
		records []Record
	)
	for i, fields := range rows {
		line := i + 1
		if blank(fields) {
			continue
		}
		if cols == nil {
			if cols, err = header(fields); err != nil {
				return nil, nil, fmt.Errorf("%s: sheet %q row %d: header: %w", name, sheet, line, err)
			}
			continue
		}
		rec := record(line, cols, fields, ",")
		// A period typed as 2025-09 is often turned into a date by Excel; read the
		// date back as its month.
		if pi := slices.Index(cols, ColPeriod); pi >= 0 {
			rec.Fields[ColPeriod] = xlsxPeriod(f, sheet, pi, line, rec.Fields[ColPeriod])
		}
		records = append(records, rec)
	}
	if cols == nil {
		return nil, nil, fmt.Errorf("%s: sheet %q has no header: the first row must name the columns (%s)", name, sheet, strings.Join(knownColumns[:7], ","))
	}
	return records, nil, nil
}

// xlsxPeriod returns shown unless the cell holds a date, in which case it returns the
// date's month as YYYY-MM.
func xlsxPeriod(f *excelize.File, sheet string, col, row int, shown string) string {
	if _, err := parsePeriod(shown); err == nil {
		return shown
	}
	cell, err := excelize.CoordinatesToCellName(col+1, row)
	if err != nil {
		return shown
	}
	raw, err := f.GetCellValue(sheet, cell, excelize.Options{RawCellValue: true})
	if err != nil {
		return shown
	}
	serial, err := strconv.ParseFloat(raw, 64)
	if err != nil || serial < 1 {
		return shown
	}
	t, err := excelize.ExcelDateToTime(serial, false)
	if err != nil || t.Year() < 1900 {
		return shown
	}
	return t.Format("2006-01")
}

// parseDate reads a published_at cell: a date (2025-10-20, 2025/10/20) or an RFC 3339
// time. A bare date is midnight in Asia/Shanghai.
func parseDate(s string, loc *time.Location) (time.Time, error) {
	s = strings.ReplaceAll(s, "/", "-")
	for _, layout := range []string{"2006-01-02", "2006-1-2"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("invalid date %q (want YYYY-MM-DD)", s)
}
