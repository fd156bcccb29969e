package entry

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/state"
	"github.com/trademon/trademon/internal/store"
)

// intentFor is the state-file change that follows the store write of rec, about o.
func intentFor(rec store.AuditRecord, o obs.Observation) state.Intent {
	return state.Intent{ID: state.NewID(), At: rec.Time, User: rec.User, Action: string(rec.Action), Observation: &o}
}

// decide writes figures with the audit records that account for them to the store in
// one durable step, then changes the state file as ins say. The intents are recorded
// before the write and applied after it in one transaction, so that a crash between
// the two leaves them for Recover; a write that fails wrote nothing (store.Store), and
// its intents are dropped.
func (s *Service) decide(ctx context.Context, figures []obs.Observation, rs []store.AuditRecord, ins []state.Intent) error {
	ids := make([]string, len(ins))
	for i, in := range ins {
		ids[i] = in.ID
	}
	if err := s.o.State.PutIntents(ins); err != nil {
		return fmt.Errorf("record the decision before writing it: %w", err)
	}
	if err := s.write(ctx, figures, rs); err != nil {
		if len(ids) > 0 {
			if derr := s.o.State.DropIntents(ids...); derr != nil {
				s.log.Warn("drop the intents of a failed write; the next start drops them", "err", derr)
			}
		}
		return err
	}
	if len(ids) == 0 {
		return nil
	}
	if err := s.o.State.FinishIntents(ids...); err != nil {
		return fmt.Errorf("record the decision in the state file (the next start finishes it): %w", err)
	}
	return nil
}

// Recovery counts what Recover did.
type Recovery struct {
	// Finished intents had their store write and are now applied; Dropped ones had not.
	Finished, Dropped int
}

// Recover decides the state-file changes a crash left between a store write and the
// state file (state.Intent): each is finished when the audit trail holds the record
// written with it, and dropped when it does not. serve calls it at start, before it
// takes requests; calling it again changes nothing. With a store that is a
// store.Syncer it
// first waits until every acknowledged write can be read; when that fails it decides
// nothing, and the intents wait for the next start.
func (s *Service) Recover(ctx context.Context) (Recovery, error) {
	var rec Recovery
	ins, err := s.o.State.ListIntents()
	if err != nil || len(ins) == 0 {
		return rec, err
	}
	if sy, ok := s.o.Store.(store.Syncer); ok {
		if err := sy.Sync(ctx); err != nil {
			return rec, fmt.Errorf("recover %d unfinished decisions: the store cannot show its acknowledged writes yet: %w", len(ins), err)
		}
	}
	for _, in := range ins {
		written, err := s.recorded(ctx, in)
		if err != nil {
			return rec, fmt.Errorf("recover decision %s: %w", in.ID, err)
		}
		if written {
			err = s.o.State.FinishIntents(in.ID)
			rec.Finished++
		} else {
			err = s.o.State.DropIntents(in.ID)
			rec.Dropped++
		}
		if err != nil {
			return rec, fmt.Errorf("recover decision %s: %w", in.ID, err)
		}
		s.log.Info("unfinished decision recovered", "action", in.Action, "user", in.User, "about", intentSubject(in),
			"at", in.At, "written", written)
	}
	return rec, nil
}

// recorded reports whether the audit trail holds the record written with in.
func (s *Service) recorded(ctx context.Context, in state.Intent) (bool, error) {
	// Records of one instant may be spread by nanoseconds (store.PrepareAudit).
	f := store.AuditFilter{User: in.User, Action: store.AuditAction(in.Action), From: in.At.Add(-time.Second), To: in.At.Add(time.Second)}
	if o := in.Observation; o != nil {
		f.Indicator = o.Indicator
	}
	rs, err := s.o.Store.Audit(ctx, f)
	if err != nil {
		return false, fmt.Errorf("read the audit trail: %w", err)
	}
	return slices.ContainsFunc(rs, func(r store.AuditRecord) bool { return recordOf(in, r) }), nil
}

// recordOf reports whether r, of in's user and action at about in's time, is the
// record in's decision wrote: about the same slot and value, or the same task.
func recordOf(in state.Intent, r store.AuditRecord) bool {
	if o := in.Observation; o != nil {
		if r.NewValue != nil && *r.NewValue != o.Value {
			return false
		}
		return r.Period == o.Period.String() && r.Basis == o.Basis
	}
	if in.Task != nil {
		return strings.HasPrefix(r.Detail, taskDetailPrefix(in.Task.Task))
	}
	return false
}

// intentSubject names what in is about, for the log.
func intentSubject(in state.Intent) string {
	if o := in.Observation; o != nil {
		return o.Indicator + " " + o.Period.String() + " " + string(o.Basis)
	}
	if in.Task != nil {
		return fmt.Sprintf("task %d", in.Task.Task)
	}
	return ""
}
