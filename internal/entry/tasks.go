package entry

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/trademon/trademon/internal/auth"
	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/state"
	"github.com/trademon/trademon/internal/store"
	"github.com/trademon/trademon/internal/validate"
	"github.com/trademon/trademon/targets"
)

// TaskUpdate is a status staff report for one of the plan's measures.
type TaskUpdate struct {
	Task   int    `json:"task"`
	Status string `json:"status"`
	Note   string `json:"note"`
	// Date is the day the status refers to, YYYY-MM-DD; empty means today.
	Date     string `json:"date"`
	Evidence string `json:"evidence"`
}

// TaskView is a task with its latest recorded status.
type TaskView struct {
	targets.Task
	// Latest is the newest update; nil when none was recorded.
	Latest *state.TaskUpdate `json:"latest,omitempty"`
}

// Tasks returns every task with its latest recorded status.
func (s *Service) Tasks() ([]TaskView, error) {
	latest, err := s.o.State.LatestTaskUpdates()
	if err != nil {
		return nil, fmt.Errorf("read task statuses: %w", err)
	}
	out := make([]TaskView, len(s.o.Tasks))
	for i, t := range s.o.Tasks {
		v := TaskView{Task: t}
		if u, ok := latest[t.Number]; ok {
			v.Latest = &u
			v.Status = targets.TaskStatus(u.Status)
		}
		out[i] = v
	}
	return out, nil
}

// TaskStatuses returns the recorded status of every task that has one (for
// evaluation.Options.TaskStatus). A read failure is logged and yields none.
func (s *Service) TaskStatuses() map[int]targets.TaskStatus {
	latest, err := s.o.State.LatestTaskUpdates()
	if err != nil {
		s.log.Error("read task statuses", "err", err)
		return nil
	}
	out := make(map[int]targets.TaskStatus, len(latest))
	for n, u := range latest {
		out[n] = targets.TaskStatus(u.Status)
	}
	return out
}

// UpdateTask records a task's status for p, who must be an editor of one of its lead
// departments (or have no department limit), and audits it.
func (s *Service) UpdateTask(ctx context.Context, p *auth.Principal, remote string, u TaskUpdate) (state.TaskUpdate, error) {
	if p == nil || p.Role < auth.Editor {
		return state.TaskUpdate{}, refused(http.StatusForbidden, "forbidden", "", "recording a task's status needs the editor role or higher")
	}
	var task *targets.Task
	for i := range s.o.Tasks {
		if s.o.Tasks[i].Number == u.Task {
			task = &s.o.Tasks[i]
		}
	}
	if task == nil {
		return state.TaskUpdate{}, refused(http.StatusUnprocessableEntity, "invalid", "task", "no task %d: the plan's tasks are numbered 1 to %d", u.Task, len(s.o.Tasks))
	}
	if !p.MayUpdateTask(task.Lead) {
		return state.TaskUpdate{}, refused(http.StatusForbidden, "forbidden", "task", "task %d is led by %s; %s may update tasks of %s only",
			u.Task, strings.Join(task.Lead, "、"), p.Name, strings.Join(p.Departments, "、"))
	}
	st, err := targets.ParseTaskStatus(strings.TrimSpace(u.Status))
	if err != nil {
		return state.TaskUpdate{}, refused(http.StatusUnprocessableEntity, "invalid", "status", "%v", err)
	}
	now := s.o.Now()
	date := strings.TrimSpace(u.Date)
	if date == "" {
		date = now.In(obs.Shanghai).Format(time.DateOnly)
	}
	d, derr := time.ParseInLocation(time.DateOnly, date, obs.Shanghai)
	if derr != nil {
		return state.TaskUpdate{}, refused(http.StatusUnprocessableEntity, "invalid", "date", "%q is not a date: write YYYY-MM-DD, e.g. %s", date, now.In(obs.Shanghai).Format(time.DateOnly))
	}
	if d.After(now) {
		return state.TaskUpdate{}, refused(http.StatusUnprocessableEntity, "invalid", "date", "%s is in the future: record what is true today or earlier", date)
	}
	note, evidence := strings.TrimSpace(u.Note), strings.TrimSpace(u.Evidence)
	if verr := validate.Text("note", note, validate.MaxNoteBytes); verr != nil {
		return state.TaskUpdate{}, refused(http.StatusUnprocessableEntity, "invalid", verr.Field, "%s", verr.Msg)
	}
	if evidence != "" {
		if eu, err := url.Parse(evidence); err != nil || (eu.Scheme != "http" && eu.Scheme != "https") || eu.Host == "" || len(evidence) > validate.MaxURLBytes {
			return state.TaskUpdate{}, refused(http.StatusUnprocessableEntity, "invalid", "evidence", "%q is not an absolute http(s) URL (at most %d bytes): link the document that shows the status", evidence, validate.MaxURLBytes)
		}
	}
	if note == "" && evidence == "" {
		return state.TaskUpdate{}, refused(http.StatusUnprocessableEntity, "invalid", "note", "missing: say what was done (a note) or link the evidence")
	}
	old := task.Status
	if prev, err := s.o.State.LatestTaskUpdates(); err == nil {
		if pu, ok := prev[u.Task]; ok {
			old = targets.TaskStatus(pu.Status)
		}
	}
	rec := state.TaskUpdate{Task: u.Task, Status: string(st), Note: note, Date: date, Evidence: evidence, By: p.Name, At: now}
	detail := fmt.Sprintf("%s %s → %s (as of %s)", taskDetailPrefix(u.Task), old, st, date)
	if evidence != "" {
		detail += "; evidence " + evidence
	}
	audit := store.AuditRecord{Time: now, User: p.Name, Remote: remote, Action: store.AuditTaskUpdate, Reason: note, Detail: detail}
	in := state.Intent{ID: state.NewID(), At: now, User: p.Name, Action: string(store.AuditTaskUpdate), Task: &rec}
	if err := s.decide(ctx, nil, []store.AuditRecord{audit}, []state.Intent{in}); err != nil {
		return state.TaskUpdate{}, fmt.Errorf("record task %d: %w", u.Task, err)
	}
	if s.o.OnTasksChanged != nil {
		s.o.OnTasksChanged()
	}
	return rec, nil
}

// taskDetailPrefix begins the audit detail of a task update: Recover finds the record
// of an unfinished update by it.
func taskDetailPrefix(task int) string { return fmt.Sprintf("task %d:", task) }
