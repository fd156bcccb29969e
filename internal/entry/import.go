package entry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/trademon/trademon/internal/auth"
	"github.com/trademon/trademon/internal/importer"
	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/state"
	"github.com/trademon/trademon/internal/store"
)

// ImportOptions say how an import treats what the rules flag.
type ImportOptions struct {
	// DryRun classifies the rows and writes nothing; Atomic writes nothing when any
	// row is rejected.
	DryRun, Atomic bool
	// Reason is recorded for every row that changes a stored value; without it such
	// rows are rejected.
	Reason string
	// Confirm is the comment that confirms every outlier row; without it outliers are
	// rejected.
	Confirm string
}

// OutcomePending is the import outcome of a row that waits for an approver.
const OutcomePending store.Outcome = "pending"

// ImportResult is the importer's summary (the one `trademon import` prints) with the
// rows that wait for approval.
type ImportResult struct {
	*importer.Result
	Pending int `json:"pending"`
}

// WriteText prints the importer's summary and then the rows waiting for approval.
func (r *ImportResult) WriteText(w io.Writer) error {
	if err := r.Result.WriteText(w); err != nil {
		return err
	}
	if r.Pending == 0 {
		return nil
	}
	var b strings.Builder
	verb := ""
	if r.DryRun || !r.Written {
		verb = " (would be)"
	}
	fmt.Fprintf(&b, "  pending    %5d%s: waiting for an approver (see /entry)\n", r.Pending, verb)
	for _, c := range r.Changes {
		if c.Outcome == OutcomePending {
			fmt.Fprintf(&b, "  line %d: %s %s %s = %s (pending)\n", c.Line, c.Indicator, c.Basis, c.Period, Display(obs.Observation{Indicator: c.Indicator, Value: c.Value}))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteJSON prints the summary, pending included, as one indented JSON object.
func (r *ImportResult) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}

// Import reads an import file (CSV or XLSX, the importer's format) and records its
// rows under the rules of Submit, row by row: a refused row is listed with its line
// and reason, the others are written (unless opts.DryRun, or opts.Atomic and a row
// was refused). The import itself is audited. A file-level problem is an error; rows
// rejected make the error wrap importer.ErrRejected, as the importer's does.
func (s *Service) Import(ctx context.Context, p *auth.Principal, remote, name string, data []byte, opts ImportOptions) (*ImportResult, error) {
	if p == nil || p.Role < auth.Editor {
		return nil, refused(http.StatusForbidden, "forbidden", "", "importing figures needs the editor role or higher")
	}
	now := s.o.Now()
	rows, rejects, err := importer.Prepare(name, data, importer.Options{Kind: obs.KindManual, EnteredBy: p.Name, Now: now})
	if err != nil {
		return nil, err
	}
	res := &ImportResult{Result: &importer.Result{File: name, DryRun: opts.DryRun, Atomic: opts.Atomic, Rejections: []importer.Rejection{}, Changes: []importer.Change{}}}
	var items []*item
	var lines []int
	var keys []string
	for _, r := range rows {
		it := &item{o: r.Observation, sub: Submission{Reason: opts.Reason, Confirm: opts.Confirm != "", Comment: opts.Confirm}, autoQuote: r.AutoQuote}
		it.o.RetrievedAt = now
		if !p.MayEnter(it.o.Indicator) {
			rejects = append(rejects, importer.Rejection{Line: r.Line, Reason: fmt.Sprintf("indicator: %s may not enter %s figures", p.Name, it.o.Indicator)})
			continue
		}
		items, lines, keys = append(items, it), append(lines, r.Line), append(keys, state.LockKey(it.o))
	}
	unlock := s.lockSlots(keys)
	defer unlock()
	var good []*item
	var goodLines []int
	for i, it := range items {
		if rerr := s.check(ctx, p, it); rerr != nil {
			if rerr.Status >= 500 {
				return nil, errors.New(rerr.Msg)
			}
			rejects = append(rejects, importer.Rejection{Line: lines[i], Reason: rerr.Error()})
			continue
		}
		good, goodLines = append(good, it), append(goodLines, lines[i])
	}
	slices.SortStableFunc(rejects, func(a, b importer.Rejection) int { return a.Line - b.Line })
	res.Rows = len(rows) + countOnlyPrepared(rejects, rows)
	res.Rejected, res.Rejections = len(rejects), append(res.Rejections, rejects...)
	write := !opts.DryRun && len(good) > 0 && !(opts.Atomic && len(rejects) > 0)
	for i, it := range good {
		c := importer.Change{Line: goodLines[i], Indicator: it.o.Indicator, Period: it.o.Period.String(), Basis: it.o.Basis, Value: it.o.Value, Unit: it.o.Unit, Outcome: store.Outcome(it.status)}
		if it.status == StatusPending {
			c.Outcome = OutcomePending
		}
		if it.prev != nil && !it.prev.SameFigure(it.o) {
			c.Previous = ptr(it.prev.Value)
		}
		switch it.status {
		case StatusCreated:
			res.Created++
		case StatusUpdated:
			res.Updated++
		case StatusUnchanged:
			res.Unchanged++
		case StatusPending:
			res.Pending++
		}
		res.Changes = append(res.Changes, c)
	}
	if !opts.DryRun {
		// The import's own record goes with its figures and theirs, in one durable step.
		detail := fmt.Sprintf("%s: %d rows, %d created, %d updated, %d unchanged, %d pending, %d rejected, written %v",
			name, res.Rows, res.Created, res.Updated, res.Unchanged, res.Pending, res.Rejected, write)
		summary := store.AuditRecord{Time: now, User: p.Name, Remote: remote, Action: store.AuditImport, Reason: opts.Reason, Detail: detail}
		if write {
			results, err := s.record(ctx, p, remote, good, now, summary)
			if err != nil {
				return res, err
			}
			res.Written = true
			for _, r := range results {
				s.entries.WithLabelValues(r.Status).Inc()
			}
		} else if err := s.audit(ctx, summary); err != nil {
			return res, err
		}
	}
	s.entries.WithLabelValues(StatusRejected).Add(float64(len(rejects)))
	if len(rejects) > 0 {
		return res, &importer.RejectedError{File: name, Rejected: len(rejects), Rows: res.Rows}
	}
	return res, nil
}

// countOnlyPrepared counts the rejections that the importer made (rows it never
// returned), so that Rows is every data row of the file once.
func countOnlyPrepared(rejects []importer.Rejection, rows []importer.Row) int {
	good := map[int]bool{}
	for _, r := range rows {
		good[r.Line] = true
	}
	n := 0
	for _, rj := range rejects {
		if !good[rj.Line] {
			n++
		}
	}
	return n
}
