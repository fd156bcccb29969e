package entry

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/trademon/trademon/internal/auth"
	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/state"
	"github.com/trademon/trademon/internal/store"
	"github.com/trademon/trademon/internal/units"
	"github.com/trademon/trademon/internal/validate"
)

// Submission is one figure as staff send it.
type Submission struct {
	validate.Input
	// Reason explains a revision (a changed value of a stored figure).
	Reason string
	// Confirm confirms an outlier; Comment says why the figure is right.
	Confirm bool
	Comment string
}

// Result is what became of one submitted figure.
type Result struct {
	// Observation is the figure as stored (or waiting), in base units.
	Observation obs.Observation
	// Status is created, updated, unchanged or pending.
	Status string
	// Previous is the value the figure replaced, if it changed one.
	Previous *float64
	// PendingID names the figure while it waits for approval.
	PendingID string
	Warnings  []string
	// Locked says the period was locked (an approver's figure is approved on entry).
	Locked bool
}

// Channel says through what a figure came, for its quote and the audit trail.
type Channel string

// Channels of entry.
const (
	ViaForm   Channel = "web form"
	ViaAPI    Channel = "API"
	ViaImport Channel = "import"
)

// item is a submission on its way through Submit.
type item struct {
	sub     Submission
	o       obs.Observation
	prev    *obs.Observation // the stored manual figure of the same key
	pending *state.Pending   // the pending figure of the same key
	outlier *validate.Outlier
	// autoQuote says the quote was made up from the submission (none was given).
	autoQuote bool
	status    string
	warnings  []string
	lock      bool
}

// Submit validates and records figures from p, all or none: when any is refused,
// nothing is written and the error is a *RefusedError naming its index. Figures that
// need approval are kept pending in the state file; the others are written to the
// store in one Put. It returns once every write is durable.
func (s *Service) Submit(ctx context.Context, p *auth.Principal, remote string, via Channel, subs []Submission) ([]Result, error) {
	res, err := s.submit(ctx, p, remote, via, subs)
	if err != nil {
		s.entries.WithLabelValues(StatusRejected).Add(float64(max(len(subs), 1)))
		return nil, err
	}
	for _, r := range res {
		s.entries.WithLabelValues(r.Status).Inc()
	}
	return res, nil
}

func (s *Service) submit(ctx context.Context, p *auth.Principal, remote string, via Channel, subs []Submission) ([]Result, error) {
	if len(subs) == 0 {
		return nil, refused(http.StatusUnprocessableEntity, "invalid", "", "no figures: send one object or an array of them")
	}
	if p == nil || p.Role < auth.Editor {
		return nil, refused(http.StatusForbidden, "forbidden", "", "entering figures needs the editor role or higher")
	}
	now := s.o.Now()
	items := make([]*item, len(subs))
	keys := make([]string, len(subs))
	seen := map[obs.Key]int{}
	for i, sub := range subs {
		it, err := s.prepare(p, via, sub, now)
		if err != nil {
			err.Index = i
			return nil, err
		}
		if j, dup := seen[it.o.Key()]; dup {
			return nil, &RefusedError{Status: http.StatusUnprocessableEntity, Index: i, Code: "invalid", Field: "period",
				Msg: fmt.Sprintf("figure %d repeats figure %d (%s %s %s): send each figure once", i, j, it.o.Indicator, it.o.Period, it.o.Basis)}
		}
		seen[it.o.Key()] = i
		items[i], keys[i] = it, state.LockKey(it.o)
	}
	unlock := s.lockSlots(keys)
	defer unlock()
	for i, it := range items {
		if err := s.check(ctx, p, it); err != nil {
			err.Index = i
			return nil, err
		}
	}
	return s.record(ctx, p, remote, items, now)
}

// prepare runs the rules that need neither the store nor the state file.
func (s *Service) prepare(p *auth.Principal, via Channel, sub Submission, now time.Time) (*item, *RefusedError) {
	id := strings.TrimSpace(sub.Indicator)
	if _, known := obs.Lookup(id); known && !p.MayEnter(id) {
		return nil, refused(http.StatusForbidden, "forbidden", "indicator", "%s may not enter %s figures (the users file limits this editor to %s)", p.Name, id, strings.Join(p.Indicators, ", "))
	}
	o, verr := validate.Figure(sub.Input, now)
	if verr != nil {
		return nil, refused(http.StatusUnprocessableEntity, "invalid", verr.Field, "%s", verr.Msg)
	}
	for _, f := range []struct {
		name, v string
		max     int
	}{{"reason", sub.Reason, validate.MaxReasonBytes}, {"confirm", sub.Comment, validate.MaxCommentBytes}} {
		if verr := validate.Text(f.name, f.v, f.max); verr != nil {
			return nil, refused(http.StatusUnprocessableEntity, "invalid", verr.Field, "%s", verr.Msg)
		}
	}
	o.EnteredBy = p.Name
	o.RetrievedAt = now
	auto := o.Quote == ""
	if auto {
		unit := strings.TrimSpace(sub.Unit)
		if unit == "" {
			unit = obs.MustLookup(o.Indicator).DisplayUnit
		}
		o.Quote = fmt.Sprintf("%s %s %s: %s %s（%s 录入 entered via %s）", o.Indicator, o.Period, o.Basis, strings.TrimSpace(sub.Value), unit, p.Name, via)
	}
	return &item{sub: sub, o: o, autoQuote: auto}, nil
}

// check runs the rules that need what is stored: locks, outliers, revisions.
func (s *Service) check(ctx context.Context, p *auth.Principal, it *item) *RefusedError {
	o := &it.o
	history, err := s.history(ctx, *o)
	if err != nil {
		return refused(http.StatusInternalServerError, "error", "", "%v", err)
	}
	for i := range history {
		if history[i].Key() == o.Key() {
			it.prev = &history[i]
		}
	}
	// The same figure typed again ("10,500" for 10500) without a quote of its own is
	// no correction: it keeps the stored quote rather than update the record.
	if it.autoQuote && it.prev != nil && o.SameFigure(*it.prev) {
		o.Quote = it.prev.Quote
	}
	// A locked period refuses changes; sending the stored figure again is no change.
	if l, locked, err := s.o.State.LockOf(state.LockKey(*o)); err != nil {
		return refused(http.StatusInternalServerError, "error", "", "read locks: %v", err)
	} else if locked && (it.prev == nil || o.Supersedes(*it.prev)) {
		return refused(http.StatusConflict, "locked", "period", "%s %s %s was approved by %s on %s and is locked: ask an admin to unlock it (with a reason) before changing it",
			o.Indicator, o.Period, o.Basis, l.By, l.At.In(obs.Shanghai).Format("2006-01-02 15:04"))
	}
	if pend, ok, err := s.o.State.PendingFor(o.Key()); err != nil {
		return refused(http.StatusInternalServerError, "error", "", "read pending figures: %v", err)
	} else if ok {
		it.pending = &pend
	}
	// A figure close to the one it revises is no outlier: that one was accepted.
	if out := validate.CheckOutlier(*o, history, s.o.MaxChange); out != nil && (it.prev == nil || !validate.Close(o.Value, it.prev.Value, s.o.MaxChange)) {
		comment := strings.TrimSpace(it.sub.Comment)
		if !it.sub.Confirm || comment == "" {
			e := refused(http.StatusConflict, "outlier", "value", "%s", out.Msg)
			e.Outlier = out
			return e
		}
		it.outlier = out
		o.Note = strings.TrimSpace(o.Note + "\n异常值已确认 outlier confirmed by " + p.Name + ": " + comment)
		it.warnings = append(it.warnings, "outlier confirmed: "+out.Msg)
	}
	if verr := validate.CheckRevision(*o, it.prev, strings.TrimSpace(it.sub.Reason)); verr != nil {
		return refused(http.StatusUnprocessableEntity, "invalid", verr.Field, "%s", verr.Msg)
	}
	s.classify(p, it, history)
	return nil
}

// classify decides the status of a checked item and its warnings.
func (s *Service) classify(p *auth.Principal, it *item, history []obs.Observation) {
	o := it.o
	switch {
	case it.prev != nil && !o.Supersedes(*it.prev):
		it.status = StatusUnchanged
	case s.NeedsApproval(o.Indicator) && p.Role < auth.Approver:
		it.status = StatusPending
		it.warnings = append(it.warnings, fmt.Sprintf("waits for an approver: %s figures count in verdicts and metrics only once approved", o.Indicator))
	case it.prev != nil:
		it.status = StatusUpdated
	default:
		it.status = StatusCreated
	}
	if it.status != StatusPending && it.status != StatusUnchanged && s.NeedsApproval(o.Indicator) {
		it.lock = true
		it.warnings = append(it.warnings, fmt.Sprintf("approved on entry by %s (%s): the period is now locked; an admin can unlock it", p.Name, p.Role))
	}
	if it.pending != nil && it.status != StatusUnchanged {
		it.warnings = append(it.warnings, fmt.Sprintf("replaces the figure %s that %s submitted on %s and that was waiting for approval",
			Display(it.pending.Observation), it.pending.SubmittedBy, it.pending.SubmittedAt.In(obs.Shanghai).Format("2006-01-02 15:04")))
	}
	for _, h := range history {
		if h.Key() != o.Key() && h.Indicator == o.Indicator && h.Basis == o.Basis && h.Period == o.Period && h.SourceKind != obs.KindManual && !h.SameFigure(o) {
			it.warnings = append(it.warnings, fmt.Sprintf("differs from the %s figure %s (%s); the manual figure takes precedence", h.SourceKind, Display(h), h.Source))
		}
	}
	if o.Estimate {
		it.warnings = append(it.warnings, "marked as an estimate (预计): a final figure replaces it")
	}
}

// history returns the stored figures of o's indicator that outlier and revision
// checks compare with: for a stock every earlier one, else two years back.
func (s *Service) history(ctx context.Context, o obs.Observation) ([]obs.Observation, error) {
	f := store.Filter{Indicators: []string{o.Indicator}, Region: o.Region, To: o.Period.End()}
	if o.Basis != obs.BasisStock {
		f.From = obs.YearPeriod(o.Period.Year()-1).Start().AddDate(0, -1, 0)
	}
	hs, err := s.o.Store.Query(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("read stored %s figures: %w", o.Indicator, err)
	}
	return hs, nil
}

// record writes the checked items: the figures to store, with the audit records of
// every item and extra, to the store in one durable step (store.PutWithAudit), so
// that no figure is stored without its record or recorded without being stored; then
// the state file — the figures kept for approval, the pending figures a stored one
// replaced, the locks of figures approved on entry — through intents (decide).
func (s *Service) record(ctx context.Context, p *auth.Principal, remote string, items []*item, now time.Time, extra ...store.AuditRecord) ([]Result, error) {
	var batch []obs.Observation
	var audit []store.AuditRecord
	var intents []state.Intent
	results := make([]Result, len(items))
	for i, it := range items {
		r := Result{Observation: it.o, Status: it.status, Warnings: it.warnings, Locked: it.lock}
		if it.prev != nil && !it.prev.SameFigure(it.o) {
			v := it.prev.Value
			r.Previous = &v
		}
		switch it.status {
		case StatusUnchanged:
		case StatusPending:
			pend := state.Pending{ID: state.NewID(), Observation: it.o, SubmittedBy: p.Name, Remote: remote, SubmittedAt: now,
				Previous: r.Previous, Reason: strings.TrimSpace(it.sub.Reason), Comment: strings.TrimSpace(it.sub.Comment), Warnings: it.warnings}
			r.PendingID = pend.ID
			rec := s.entryRecord(p, remote, it, r, now, "pending approval ("+pend.ID+")")
			audit = append(audit, rec)
			in := intentFor(rec, it.o)
			in.Add = &pend
			intents = append(intents, in)
		default:
			batch = append(batch, it.o)
			rec := s.entryRecord(p, remote, it, r, now, "")
			audit = append(audit, rec)
			if it.lock {
				rec = store.AuditRecord{Time: now, User: p.Name, Remote: remote, Action: store.AuditApprove,
					Indicator: it.o.Indicator, Period: it.o.Period.String(), Basis: it.o.Basis, OldValue: r.Previous, NewValue: ptr(it.o.Value),
					Detail: "approved on entry by " + p.Role.String() + "; period locked"}
				audit = append(audit, rec)
			}
			in := intentFor(rec, it.o)
			if it.pending != nil {
				in.Remove = it.pending.ID
			}
			if it.lock {
				in.Lock = ptrLock(lockOf(it.o, p.Name, now))
			}
			if in.Remove != "" || in.Lock != nil {
				intents = append(intents, in)
			}
		}
		results[i] = r
	}
	audit = append(audit, extra...)
	if err := s.decide(ctx, batch, audit, intents); err != nil {
		return nil, err
	}
	for _, r := range results {
		s.log.Info("figure entered", "user", p.Name, "remote", remote, "indicator", r.Observation.Indicator,
			"period", r.Observation.Period, "basis", r.Observation.Basis, "value", r.Observation.Value, "status", r.Status)
	}
	return results, nil
}

func (s *Service) entryRecord(p *auth.Principal, remote string, it *item, r Result, now time.Time, detail string) store.AuditRecord {
	action, old := store.AuditCreate, r.Previous
	var notes []string
	if detail != "" {
		notes = append(notes, detail)
	}
	if it.prev != nil { // a stored figure changes: in value, or in provenance only
		action, old = store.AuditRevise, ptr(it.prev.Value)
		if it.prev.SameFigure(it.o) {
			notes = append(notes, "provenance only (source, quote, note or who entered it); the value is unchanged")
		}
	}
	if it.outlier != nil {
		notes = append(notes, "outlier confirmed: "+strings.TrimSpace(it.sub.Comment))
	}
	if it.o.Estimate {
		notes = append(notes, "estimate")
	}
	return store.AuditRecord{Time: now, User: p.Name, Remote: remote, Action: action, Indicator: it.o.Indicator,
		Period: it.o.Period.String(), Basis: it.o.Basis, OldValue: old, NewValue: ptr(it.o.Value),
		Reason: strings.TrimSpace(it.sub.Reason), Detail: strings.Join(notes, "; ")}
}

func lockOf(o obs.Observation, by string, at time.Time) state.Lock {
	return state.Lock{Indicator: o.Indicator, Region: o.Region, Basis: o.Basis, Period: o.Period.String(), By: by, At: at, Value: o.Value}
}

func ptr(v float64) *float64 { return &v }

// DisplayValue returns a figure's value in its indicator's display unit and the unit.
func DisplayValue(o obs.Observation) (float64, string) {
	ind := obs.MustLookup(o.Indicator)
	v, _ := units.FromBase(o.Value, ind.DisplayUnit)
	return v, ind.DisplayUnit
}
