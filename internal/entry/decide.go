package entry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/trademon/trademon/internal/auth"
	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/state"
	"github.com/trademon/trademon/internal/store"
	"github.com/trademon/trademon/internal/validate"
)

// Approve writes the pending figure id to the store, where it counts from now on, and
// locks its period. comment is optional.
func (s *Service) Approve(ctx context.Context, p *auth.Principal, remote, id, comment string) (Result, error) {
	if p == nil || p.Role < auth.Approver {
		return Result{}, refused(http.StatusForbidden, "forbidden", "", "approving figures needs the approver role or higher")
	}
	if verr := validate.Text("comment", comment, validate.MaxCommentBytes); verr != nil {
		return Result{}, refused(http.StatusUnprocessableEntity, "invalid", verr.Field, "%s", verr.Msg)
	}
	pend, err := s.pendingFigure(id)
	if err != nil {
		return Result{}, err
	}
	o := pend.Observation
	unlock := s.lockSlots([]string{state.LockKey(o)})
	defer unlock()
	if _, err := s.pendingFigure(id); err != nil { // decided while we waited
		return Result{}, err
	}
	if l, locked, err := s.o.State.LockOf(state.LockKey(o)); err != nil {
		return Result{}, fmt.Errorf("read locks: %w", err)
	} else if locked {
		return Result{}, refused(http.StatusConflict, "locked", "period", "%s %s %s was already approved by %s and is locked: an admin must unlock it first", o.Indicator, o.Period, o.Basis, l.By)
	}
	// The stored figure may have changed since the submission: classify against it now.
	hist, err := s.history(ctx, o)
	if err != nil {
		return Result{}, err
	}
	r := Result{Observation: o, Status: StatusCreated, Locked: true}
	for _, h := range hist {
		if h.Key() == o.Key() {
			r.Status = StatusUnchanged
			if o.Supersedes(h) {
				r.Status = StatusUpdated
			}
			if !h.SameFigure(o) {
				r.Previous = ptr(h.Value)
			}
		}
	}
	now := s.o.Now()
	detail := fmt.Sprintf("approved %s's figure (%s); period locked", pend.SubmittedBy, id)
	if c := strings.TrimSpace(comment); c != "" {
		detail += "; comment: " + c
	}
	// The figure and its approval record in one durable step; then the state file.
	rec := store.AuditRecord{Time: now, User: p.Name, Remote: remote, Action: store.AuditApprove,
		Indicator: o.Indicator, Period: o.Period.String(), Basis: o.Basis, OldValue: r.Previous, NewValue: ptr(o.Value),
		Reason: pend.Reason, Detail: detail}
	in := intentFor(rec, o)
	in.Remove, in.Lock = id, ptrLock(lockOf(o, p.Name, now))
	if err := s.decide(ctx, []obs.Observation{o}, []store.AuditRecord{rec}, []state.Intent{in}); err != nil {
		return Result{}, fmt.Errorf("approve %s: %w", id, err)
	}
	s.log.Info("figure approved", "user", p.Name, "remote", remote, "id", id, "indicator", o.Indicator, "period", o.Period, "basis", o.Basis)
	return r, nil
}

// Reject drops the pending figure id; the reason is required and recorded.
func (s *Service) Reject(ctx context.Context, p *auth.Principal, remote, id, reason string) error {
	if p == nil || p.Role < auth.Approver {
		return refused(http.StatusForbidden, "forbidden", "", "rejecting figures needs the approver role or higher")
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return refused(http.StatusUnprocessableEntity, "invalid", "reason", "missing: say why the figure is rejected, so that %s can correct it", "its submitter")
	}
	if verr := validate.Text("reason", reason, validate.MaxReasonBytes); verr != nil {
		return refused(http.StatusUnprocessableEntity, "invalid", verr.Field, "%s", verr.Msg)
	}
	pend, err := s.pendingFigure(id)
	if err != nil {
		return err
	}
	o := pend.Observation
	unlock := s.lockSlots([]string{state.LockKey(o)})
	defer unlock()
	if _, err := s.pendingFigure(id); err != nil { // decided while we waited
		return err
	}
	rec := store.AuditRecord{Time: s.o.Now(), User: p.Name, Remote: remote, Action: store.AuditReject,
		Indicator: o.Indicator, Period: o.Period.String(), Basis: o.Basis, OldValue: pend.Previous, NewValue: ptr(o.Value),
		Reason: reason, Detail: fmt.Sprintf("rejected %s's figure (%s)", pend.SubmittedBy, id)}
	in := intentFor(rec, o)
	in.Remove = id
	if err := s.decide(ctx, nil, []store.AuditRecord{rec}, []state.Intent{in}); err != nil {
		return fmt.Errorf("reject %s: %w", id, err)
	}
	return nil
}

// Unlock lifts the lock on an approved period, so that figures for it can be entered
// again. It needs an admin and a reason.
func (s *Service) Unlock(ctx context.Context, p *auth.Principal, remote, indicator, period, basis, reason string) error {
	if p == nil || p.Role < auth.Admin {
		return refused(http.StatusForbidden, "forbidden", "", "unlocking a period needs the admin role")
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return refused(http.StatusUnprocessableEntity, "invalid", "reason", "missing: say why the approved figure must change")
	}
	if verr := validate.Text("reason", reason, validate.MaxReasonBytes); verr != nil {
		return refused(http.StatusUnprocessableEntity, "invalid", verr.Field, "%s", verr.Msg)
	}
	per, perr := validate.ParsePeriod(period)
	if perr != nil {
		return refused(http.StatusUnprocessableEntity, "invalid", "period", "%q is not a period (2024, 2024-Q3, 2024-09)", period)
	}
	o := obs.Observation{Indicator: strings.TrimSpace(indicator), Period: per, Basis: obs.Basis(strings.TrimSpace(basis))}
	o.Normalize()
	key := state.LockKey(o)
	unlock := s.lockSlots([]string{key})
	defer unlock()
	l, locked, err := s.o.State.LockOf(key)
	if err != nil {
		return fmt.Errorf("unlock: read locks: %w", err)
	}
	if !locked {
		return refused(http.StatusNotFound, "not_found", "period", "%s %s %s is not locked", o.Indicator, o.Period, o.Basis)
	}
	rec := store.AuditRecord{Time: s.o.Now(), User: p.Name, Remote: remote, Action: store.AuditUnlock,
		Indicator: o.Indicator, Period: o.Period.String(), Basis: o.Basis, OldValue: ptr(l.Value),
		Reason: reason, Detail: fmt.Sprintf("locked by %s at %s", l.By, l.At.In(obs.Shanghai).Format("2006-01-02 15:04"))}
	in := intentFor(rec, o)
	in.Unlock = key
	if err := s.decide(ctx, nil, []store.AuditRecord{rec}, []state.Intent{in}); err != nil {
		return fmt.Errorf("unlock %s: %w", key, err)
	}
	return nil
}

func (s *Service) pendingFigure(id string) (state.Pending, error) {
	pend, err := s.o.State.GetPending(strings.TrimSpace(id))
	if errors.Is(err, state.ErrNotFound) {
		return pend, refused(http.StatusNotFound, "not_found", "id", "no figure %q waits for approval (decided meanwhile?)", id)
	}
	return pend, err
}

func ptrLock(l state.Lock) *state.Lock { return &l }
