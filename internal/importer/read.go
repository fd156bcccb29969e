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
	"github.com/trademon/trademon/internal/validate"
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
//
// Every dimension is bounded (see MaxFileBytes and the limits beside it): a file
// beyond one is refused as a whole, a field beyond its MaxFieldBytes rejects its row.
func Read(name string, data []byte) ([]Record, []Rejection, error) {
	if len(data) > MaxFileBytes {
		return nil, nil, &TooLargeError{Name: name, Limit: MaxFileBytes}
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
		if line > MaxRows {
			return nil, nil, fmt.Errorf("%s: more than %d rows; split the file", name, MaxRows)
		}
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

// readXLSX reads the first sheet of a workbook as a stream of rows, within the
// limits: the archive's declared sizes are checked before anything is unzipped, and
// excelize is told to keep every part in memory (bounded by MaxUnzippedBytes) rather
// than spill large ones to temporary files.
func readXLSX(name string, data []byte) ([]Record, []Rejection, error) {
	if err := checkZip(name, data); err != nil {
		return nil, nil, err
	}
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{
		UnzipSizeLimit: MaxUnzippedBytes, UnzipXMLSizeLimit: MaxUnzippedBytes,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("%s: not a readable XLSX workbook: %w", name, err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, nil, fmt.Errorf("%s: the workbook has no sheet", name)
	}
	sheet := sheets[0]
	var (
		cols    []string
		records []Record
		// undated are the records whose period is not a period as shown: perhaps a
		// date, read from the cell's raw value in a second pass.
		undated = map[int]int{}
	)
	err = eachRow(f, name, sheet, false, func(line int, fields []string) error {
		if blank(fields) {
			return nil
		}
		if cols == nil {
			var err error
			if cols, err = header(fields); err != nil {
				return fmt.Errorf("%s: sheet %q row %d: header: %w", name, sheet, line, err)
			}
			return nil
		}
		rec := record(line, cols, fields, ",")
		if _, err := validate.ParsePeriod(rec.Fields[ColPeriod]); err != nil && slices.Contains(cols, ColPeriod) {
			undated[line] = len(records)
		}
		records = append(records, rec)
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	if cols == nil {
		return nil, nil, fmt.Errorf("%s: sheet %q has no header: the first row must name the columns (%s)", name, sheet, strings.Join(knownColumns[:7], ","))
	}
	if len(undated) > 0 {
		pi := slices.Index(cols, ColPeriod)
		err = eachRow(f, name, sheet, true, func(line int, raw []string) error {
			if i, ok := undated[line]; ok && pi < len(raw) {
				records[i].Fields[ColPeriod] = xlsxPeriod(records[i].Fields[ColPeriod], raw[pi])
			}
			return nil
		})
		if err != nil {
			return nil, nil, err
		}
	}
	return records, nil, nil
}

// eachRow calls fn with every row of sheet up to the last one with a cell, blank rows
// included, by row number; raw asks for cells' raw values instead of their shown
// text. It refuses a sheet with more than MaxRows rows or a cell beyond MaxColumns.
func eachRow(f *excelize.File, name, sheet string, raw bool, fn func(line int, cells []string) error) error {
	rows, err := f.Rows(sheet)
	if err != nil {
		return fmt.Errorf("%s: sheet %q: %w", name, sheet, err)
	}
	defer rows.Close()
	line := 0
	for rows.Next() {
		line++
		if line > MaxRows {
			return fmt.Errorf("%s: sheet %q: more than %d rows; split the file", name, sheet, MaxRows)
		}
		cells, err := rows.Columns(excelize.Options{RawCellValue: raw})
		if err != nil {
			return fmt.Errorf("%s: sheet %q row %d: %w", name, sheet, line, err)
		}
		if len(cells) > MaxColumns {
			col, _ := excelize.ColumnNumberToName(len(cells))
			return fmt.Errorf("%s: sheet %q row %d: a cell in column %s; an import sheet has at most %d columns", name, sheet, line, col, MaxColumns)
		}
		if err := fn(line, cells); err != nil {
			return err
		}
	}
	if err := rows.Error(); err != nil {
		return fmt.Errorf("%s: sheet %q: %w", name, sheet, err)
	}
	return nil
}

// xlsxPeriod returns shown unless the cell's raw value is a date serial number, in
// which case it returns the date's month as YYYY-MM (Excel often turns a period typed
// as 2025-09 into a date).
func xlsxPeriod(shown, raw string) string {
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
