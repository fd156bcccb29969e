package collectors

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/robfig/cron/v3"

	"github.com/trademon/trademon/internal/settings"
)

// current returns the collectors and their config in force.
func (r *Runner) current() ([]Collector, map[string]Collector, settings.Collectors) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cols, r.byName, r.cfg
}

// job returns the scheduled job of collector name: one run with trigger schedule (the
// first startup when startup is set). A run is skipped while another scheduled run of
// the same collector is still going, also across a Reconfigure.
func (r *Runner) job(name string, startup bool) cron.Job {
	r.mu.Lock()
	if r.busy == nil {
		r.busy = map[string]*sync.Mutex{}
	}
	lk := r.busy[name]
	if lk == nil {
		lk = &sync.Mutex{}
		r.busy[name] = lk
	}
	ctx, chain := r.runCtx, r.chain
	r.mu.Unlock()
	var started atomic.Bool
	started.Store(!startup)
	return chain.Then(cron.FuncJob(func() {
		if !lk.TryLock() {
			r.logger.Info("collector run skipped: the previous one is still running", "collector", name)
			return
		}
		defer lk.Unlock()
		trigger := TriggerSchedule
		if !started.Swap(true) {
			trigger = TriggerStartup
		}
		_, _ = r.RunOnce(ctx, name, RunOptions{Trigger: trigger})
	}))
}

// Reconfigure replaces the collectors and their config (schedules, sources, timeouts)
// of a running or stopped Runner, for a config reload. Runs in progress finish with the
// collectors they started with; scheduled runs from now on use the new ones on the new
// schedules (no catch-up run is started). It changes nothing and returns an error when
// a collector is given twice or an enabled one has a bad schedule.
func (r *Runner) Reconfigure(cols []Collector, cfg settings.Collectors) error {
	byName := make(map[string]Collector, len(cols))
	type entry struct {
		name  string
		sched cron.Schedule
	}
	var scheduled []entry
	for _, c := range cols {
		if _, dup := byName[c.Name()]; dup {
			return fmt.Errorf("collectors runner: collector %s given twice", c.Name())
		}
		byName[c.Name()] = c
		if col := cfg[c.Name()]; col != nil && col.Enabled {
			sched, err := settings.ParseSchedule(col.Schedule)
			if err != nil {
				return fmt.Errorf("collector %s: schedule %q: %w", c.Name(), col.Schedule, err)
			}
			scheduled = append(scheduled, entry{c.Name(), sched})
		}
	}
	if r.m == nil {
		return errors.New("collectors runner: not built with NewRunner")
	}
	for _, c := range cols {
		r.m.init(c.Name())
	}
	r.mu.Lock()
	r.cols, r.byName, r.cfg = cols, byName, cfg
	c, old := r.cron, r.entries
	r.entries = map[string]cron.EntryID{}
	r.mu.Unlock()
	if c == nil {
		return nil
	}
	for _, id := range old {
		c.Remove(id)
	}
	for _, e := range scheduled {
		id := c.Schedule(e.sched, r.job(e.name, false))
		r.mu.Lock()
		r.entries[e.name] = id
		r.mu.Unlock()
	}
	return nil
}
