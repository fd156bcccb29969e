package importer

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/trademon/trademon/internal/store"
	"github.com/trademon/trademon/internal/validate"
)

// Limits on an import file. The importer reads uploads from the network, so every
// dimension of a file is bounded before it is read: memory and time stay bounded
// whatever the file holds.
const (
	// MaxFileBytes bounds the size of one import file (and of the history file).
	MaxFileBytes = 32 << 20
	// MaxUnzippedBytes bounds what the members of an XLSX workbook unzip to, together.
	MaxUnzippedBytes = 64 << 20
	// MaxRows bounds the lines of a CSV file and the rows of a sheet, header included.
	MaxRows = 20000
	// MaxColumns bounds the columns of a sheet that may hold a cell.
	MaxColumns = 64
)

// MaxFieldBytes bounds the text of each column of a row; a longer one rejects the row
// before anything else is read of it. The columns every manual figure has take the
// limits of package validate (the form and the API apply the same); the import's own
// extras have theirs here.
var MaxFieldBytes = map[string]int{
	ColIndicator:   validate.MaxCodeBytes,
	ColPeriod:      validate.MaxCodeBytes,
	ColBasis:       validate.MaxCodeBytes,
	ColValue:       validate.MaxValueBytes,
	ColUnit:        validate.MaxCodeBytes,
	ColSourceURL:   validate.MaxURLBytes,
	ColQuote:       validate.MaxQuoteBytes,
	ColNote:        validate.MaxNoteBytes,
	ColEstimate:    100,
	ColPublishedAt: 100,
	ColQualifier:   256,
	ColYoY:         100,
}

// extraColumns are the import's own columns, which package validate does not know.
var extraColumns = []string{ColEstimate, ColPublishedAt, ColQualifier, ColYoY}

// ErrTooLarge matches (errors.Is) the error for a file over its size limit.
var ErrTooLarge = errors.New("file too large")

// TooLargeError is the error for a file over its size limit.
type TooLargeError struct {
	Name  string
	Limit int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s: file too large (limit %d bytes)", e.Name, e.Limit)
}

// Is makes errors.Is(err, ErrTooLarge) true.
func (e *TooLargeError) Is(target error) bool { return target == ErrTooLarge }

// ReadFile reads the file at path, refusing one of more than limit bytes without
// reading it: a regular file by its size, anything else (a device, a pipe) after
// limit+1 bytes. The error is a *TooLargeError then.
func ReadFile(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Mode().IsRegular() {
		if st.Size() > limit {
			return nil, &TooLargeError{Name: path, Limit: limit}
		}
		buf := bytes.NewBuffer(make([]byte, 0, st.Size()+1))
		if _, err := buf.ReadFrom(io.LimitReader(f, limit+1)); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if int64(buf.Len()) > limit { // it grew while being read
			return nil, &TooLargeError{Name: path, Limit: limit}
		}
		return buf.Bytes(), nil
	}
	return ReadAll(path, f, limit)
}

// ReadAll reads r, refusing more than limit bytes with a *TooLargeError naming name.
// Its buffer doubles as it fills, up to limit, so that it allocates at most about
// twice what it keeps (io.ReadAll grows by a quarter at a time and allocates several
// times more); at limit, a one-byte read tells whether there is more.
func ReadAll(name string, r io.Reader, limit int64) ([]byte, error) {
	buf := make([]byte, 0, min(limit, 64<<10))
	for {
		if int64(len(buf)) == limit {
			var probe [1]byte
			n, err := io.ReadFull(r, probe[:])
			switch {
			case n > 0:
				return nil, &TooLargeError{Name: name, Limit: limit}
			case errors.Is(err, io.EOF):
				return buf, nil
			default:
				return nil, fmt.Errorf("%s: %w", name, err)
			}
		}
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, int(min(int64(cap(buf)), limit-int64(cap(buf)))))
		}
		n, err := r.Read(buf[len(buf):min(cap(buf), int(limit))])
		buf = buf[:len(buf)+n]
		if errors.Is(err, io.EOF) {
			return buf, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
}

// ImportReader imports a file read from r, such as an HTTP upload: at most limit
// bytes (MaxFileBytes when limit ≤ 0, and never more) are read, then it is Import.
// name is the file's name as the user gave it: it helps tell the format (.xlsx) and
// names the file in messages and in the Result. A file over the limit is refused
// with a *TooLargeError (errors.Is ErrTooLarge) and nothing written.
func ImportReader(ctx context.Context, st store.Store, name string, r io.Reader, limit int64, opts Options) (*Result, error) {
	if limit <= 0 || limit > MaxFileBytes {
		limit = MaxFileBytes
	}
	data, err := ReadAll(name, r, limit)
	if err != nil {
		return nil, err
	}
	return Import(ctx, st, name, data, opts)
}

// checkZip refuses a workbook whose members unzip to more than MaxUnzippedBytes. The
// sizes are those the archive declares, which archive/zip holds every member to, so
// nothing is unzipped to find out.
func checkZip(name string, data []byte) error {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return fmt.Errorf("%s: not a readable XLSX workbook: %w", name, err)
	}
	var total uint64
	for _, f := range zr.File {
		total += f.UncompressedSize64
		if f.UncompressedSize64 > MaxUnzippedBytes || total > MaxUnzippedBytes {
			return fmt.Errorf("%s: unzips to more than %d MiB, the most an import workbook may hold", name, MaxUnzippedBytes>>20)
		}
	}
	return nil
}

// tooLong lists the fields of rec over their limits (MaxFieldBytes), each as
// "column: problem", with the messages of package validate.
func tooLong(in validate.Input, rec Record) []string {
	var probs []string
	for _, e := range validate.Sizes(in) {
		probs = append(probs, e.Error())
	}
	for _, c := range extraColumns {
		if e := validate.Text(c, rec.Fields[c], MaxFieldBytes[c]); e != nil {
			probs = append(probs, e.Error())
		}
	}
	return probs
}
