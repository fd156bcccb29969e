// Package evaluation keeps the current verdict on every target: it reads observations
// from the store, evaluates the targets (package targets, pure) and caches the result,
// refreshing after every write and on a timer. Metrics and pages read the cached
// snapshot, so a scrape never waits on the store.
package evaluation

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/store"
	"github.com/trademon/trademon/targets"
)

// Snapshot is one evaluation of every target.
type Snapshot struct {
	// Targets and Verdicts are in the same order, that of the targets file.
	Targets  []targets.Target
	Verdicts []targets.Verdict
	Tasks    []targets.Task
	// Latest holds, per indicator and basis, the newest chosen figure of Index (derived
	// ones included): what trademon_indicator_latest_value shows.
	Latest []obs.Observation
	// Index is what the verdicts and Latest were read from; explanations read it too.
	Index *targets.Index
	// At is when the snapshot was computed (the as-of time of the verdicts).
	At time.Time
}

// Service caches the latest Snapshot and refreshes it.
type Service struct {
	store   store.Store
	targets []targets.Target
	tasks   []targets.Task
	logger  *slog.Logger
	now     func() time.Time
	status  func() map[int]targets.TaskStatus

	mu      sync.RWMutex
	snap    Snapshot
	ok      bool
	lastErr error

	kick chan struct{}
	m    *metrics
	hist *history
}

// Options configure a Service.
type Options struct {
	Store   store.Store
	Targets []targets.Target
	Tasks   []targets.Task
	Logger  *slog.Logger
	// Now returns the evaluation time; nil means time.Now.
	Now func() time.Time
	// TaskStatus, when set, returns the statuses staff recorded, by task number; they
	// override the tasks file's (trademon_task_status, the /tasks page).
	TaskStatus func() map[int]targets.TaskStatus
}

// New returns a Service with an empty snapshot; call Refresh or Run to fill it.
func New(o Options) *Service {
	s := &Service{store: o.Store, targets: o.Targets, tasks: o.Tasks, logger: o.Logger, now: o.Now, status: o.TaskStatus, kick: make(chan struct{}, 1)}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.m = newMetrics(s)
	s.hist = newHistory(o.Store)
	return s
}

// Snapshot returns the latest successful evaluation, and whether there is one.
func (s *Service) Snapshot() (Snapshot, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.snap, s.ok
}

// LastError returns the error of the latest refresh, nil if it succeeded.
func (s *Service) LastError() error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.lastErr
}

// Refresh reads the observations the targets need and re-evaluates them now.
func (s *Service) Refresh(ctx context.Context) error {
	start := time.Now()
	at := s.now()
	all, err := s.store.Query(ctx, store.Filter{})
	if err != nil {
		err = fmt.Errorf("evaluate targets: read observations: %w", err)
		s.mu.Lock()
		s.lastErr = err
		s.mu.Unlock()
		s.m.refreshes.WithLabelValues("error").Inc()
		s.logger.Warn("target evaluation failed", "err", err)
		return err
	}
	ts, tasks := s.plan()
	ix := targets.NewIndex(all, at)
	snap := Snapshot{
		Targets:  ts,
		Verdicts: ix.EvaluateAll(ts),
		Tasks:    s.withStatus(tasks),
		Latest:   ix.Obs().Latest(),
		Index:    ix,
		At:       at,
	}
	s.mu.Lock()
	s.snap, s.ok, s.lastErr = snap, true, nil
	s.mu.Unlock()
	if err := s.hist.record(ctx, s.targets, all, snap.Verdicts, at); err != nil {
		s.logger.Warn("verdict history not recorded; retried at the next evaluation", "err", err)
	}
	s.m.refreshes.WithLabelValues("ok").Inc()
	s.m.duration.Set(time.Since(start).Seconds())
	s.logger.Debug("targets evaluated", "observations", len(all), "targets", len(ts), "took", time.Since(start))
	return nil
}

// currentTasks returns the tasks with the statuses staff recorded.
func (s *Service) currentTasks() []targets.Task {
	_, tasks := s.plan()
	return s.withStatus(tasks)
}

// withStatus returns tasks with the statuses staff recorded.
func (s *Service) withStatus(tasks []targets.Task) []targets.Task {
	if s.status == nil {
		return tasks
	}
	recorded := s.status()
	out := make([]targets.Task, len(tasks))
	for i, t := range tasks {
		if st, ok := recorded[t.Number]; ok {
			t.Status = st
		}
		out[i] = t
	}
	return out
}

// Notify asks for a refresh soon, without waiting; calls coalesce.
func (s *Service) Notify() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// Run refreshes once, then after every Notify and every interval, until ctx ends.
func (s *Service) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	_ = s.Refresh(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.kick:
		}
		_ = s.Refresh(ctx)
	}
}

// NotifyingStore wraps a Store so that every successful write asks svc to refresh.
type NotifyingStore struct {
	store.Store
	Svc *Service
}

// Put writes through and then notifies the evaluation service.
func (n NotifyingStore) Put(ctx context.Context, os []obs.Observation) ([]store.Outcome, error) {
	out, err := n.Store.Put(ctx, os)
	if err == nil {
		n.Svc.Notify()
	}
	return out, err
}

// Sync implements store.Syncer for a wrapped store that does; any other reads what it
// acknowledged at once, and there is nothing to wait for.
func (n NotifyingStore) Sync(ctx context.Context) error {
	if sy, ok := n.Store.(store.Syncer); ok {
		return sy.Sync(ctx)
	}
	return nil
}

// PutWithAudit writes through and then notifies the evaluation service.
func (n NotifyingStore) PutWithAudit(ctx context.Context, os []obs.Observation, rs []store.AuditRecord) ([]store.Outcome, error) {
	out, err := n.Store.PutWithAudit(ctx, os, rs)
	if err == nil && len(os) > 0 {
		n.Svc.Notify()
	}
	return out, err
}
