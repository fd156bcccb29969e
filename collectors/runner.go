package collectors

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/robfig/cron/v3"

	"github.com/trademon/trademon/collectors/safety"
	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/settings"
	"github.com/trademon/trademon/internal/store"
)

// Triggers say why a run happened.
const (
	TriggerStartup  = "startup"
	TriggerSchedule = "schedule"
	TriggerManual   = "manual"
	TriggerBackfill = "backfill"
)

// RunnerOptions configure a Runner.
type RunnerOptions struct {
	// Collectors are the collectors to run, built with Build.
	Collectors []Collector
	// Config holds each collector's schedule and timeout (cfg.Collectors).
	Config settings.Collectors
	// Store is where observations are checked against and written.
	Store store.Store
	// Registerer receives the collector metrics; nil registers nothing.
	Registerer prometheus.Registerer
	// Logger receives the runner's logs; nil discards them.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// History is how many runs per collector the status page keeps (default 20).
	History int
	// BatchSize is how many articles' observations are checked and written together
	// (default 25): large enough to spare fsyncs, small enough that a long backfill
	// makes steady, durable progress.
	BatchSize int
}

// Runner runs collectors: on their cron schedules (Start), or once on demand (RunOnce,
// used by `collect` and `backfill`). Every run checks its observations with package
// safety and writes them to the store, counts what happened in metrics, logs it, and
// keeps it for the status page.
type Runner struct {
	cols      []Collector
	byName    map[string]Collector
	cfg       settings.Collectors
	st        store.Store
	logger    *slog.Logger
	now       func() time.Time
	history   int
	batchSize int
	m         *metrics

	mu   sync.Mutex
	runs map[string][]*Run // newest last

	// Scheduling state, set by Start.
	cron    *cron.Cron
	entries map[string]cron.EntryID
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	runCtx  context.Context        // the context of scheduled runs (Start's, until Stop)
	chain   cron.Chain             // wraps every scheduled job
	busy    map[string]*sync.Mutex // held while a scheduled run of the collector runs
}

// NewRunner returns a Runner for opts.Collectors.
func NewRunner(opts RunnerOptions) (*Runner, error) {
	if opts.Store == nil {
		return nil, errors.New("collectors runner: no store")
	}
	r := &Runner{
		cols: opts.Collectors, byName: map[string]Collector{}, cfg: opts.Config, st: opts.Store,
		logger: opts.Logger, now: opts.Now, history: opts.History, batchSize: opts.BatchSize,
		runs: map[string][]*Run{}, entries: map[string]cron.EntryID{},
	}
	if r.logger == nil {
		r.logger = slog.New(slog.DiscardHandler)
	}
	if r.now == nil {
		r.now = time.Now
	}
	if r.history <= 0 {
		r.history = 20
	}
	if r.batchSize <= 0 {
		r.batchSize = 25
	}
	m, err := newMetrics(opts.Registerer)
	if err != nil {
		return nil, err
	}
	r.m = m
	for _, c := range opts.Collectors {
		if _, dup := r.byName[c.Name()]; dup {
			return nil, fmt.Errorf("collectors runner: collector %s given twice", c.Name())
		}
		r.byName[c.Name()] = c
		m.init(c.Name())
	}
	return r, nil
}

// Names returns the names of the runner's collectors, in the order given.
func (r *Runner) Names() []string {
	cols, _, _ := r.current()
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.Name()
	}
	return names
}

// RunOptions tune one run.
type RunOptions struct {
	// Trigger is recorded with the run (TriggerManual when empty).
	Trigger string
	// DryRun checks and reports the observations but writes nothing.
	DryRun bool
	// Backfill walks the archives back to From (a month); see Plan.
	Backfill bool
	From     obs.Period
	// MaxPages, when positive, replaces every source's max_pages.
	MaxPages int
	// Progress, when set, is called after each article with the running totals.
	Progress func(Progress)
}

// Progress is the state of a run after an article.
type Progress struct {
	Collector    string
	Articles     int
	Observations int
}

// Record is one observation a run accepted, with what the store did with it.
type Record struct {
	Observation obs.Observation `json:"observation"`
	// Outcome is the store's outcome; empty in a dry run for a figure that would be written.
	Outcome store.Outcome `json:"outcome,omitempty"`
	// Title is the title of the article it came from.
	Title string `json:"title,omitempty"`
	// Detail says why, e.g. "revises … from …".
	Detail string `json:"detail,omitempty"`
}

// Run is what one run of one collector did.
type Run struct {
	Collector string
	Trigger   string
	DryRun    bool
	Started   time.Time
	Finished  time.Time
	// Err is the run's failure, nil on success.
	Err error
	// Sources are the per-source reports.
	Sources []SourceReport
	// Records are the observations accepted, in the order read.
	Records []Record
	// Rejected and Conflicts are the observations that were not stored as the figure.
	Rejected  []safety.Decision
	Conflicts []safety.Decision
	// Counts of store outcomes.
	Created, Updated, Unchanged, Queued int
	// Time spent fetching (politeness delays included), extracting and checking+storing.
	FetchTime, ExtractTime, StoreTime time.Duration
}

// Result is ResultError when the run failed, else ResultPartial when it rejected
// figures, else ResultSuccess.
func (run *Run) Result() string {
	switch {
	case run.Err != nil:
		return ResultError
	case len(run.Rejected) > 0:
		return ResultPartial
	}
	return ResultSuccess
}

// Articles is the number of articles fetched over every source.
func (run *Run) Articles() int {
	n := 0
	for _, s := range run.Sources {
		n += s.Fetched
	}
	return n
}

// RunOnce runs the named collector now and waits for it. It returns the run and its
// failure (run.Err): a source that could not be read or yielded nothing, the timeout,
// a panic, or a store failure. Whatever was read before a failure is still checked and
// written (unless opts.DryRun).
func (r *Runner) RunOnce(ctx context.Context, name string, opts RunOptions) (*Run, error) {
	_, byName, cfg := r.current()
	c, ok := byName[name]
	if !ok {
		return nil, fmt.Errorf("collector %q is not running here (have: %v)", name, r.Names())
	}
	if opts.Trigger == "" {
		opts.Trigger = TriggerManual
	}
	run := &Run{Collector: name, Trigger: opts.Trigger, DryRun: opts.DryRun, Started: r.now()}
	if col := cfg[name]; col != nil && col.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, col.Timeout)
		defer cancel()
	}
	logger := r.logger.With("collector", name, "trigger", opts.Trigger)
	func() {
		defer func() {
			if p := recover(); p != nil {
				run.Err = errors.Join(run.Err, &StageError{Source: name, Stage: StagePanic, Err: fmt.Errorf("panic: %v", p)})
				logger.Error("collector run panicked", "panic", p, "stack", string(debug.Stack()))
			}
		}()
		r.execute(ctx, c, run, opts, logger)
	}()
	run.Finished = r.now()
	r.finish(run, logger)
	return run, run.Err
}

// execute does the work of one run, filling run.
func (r *Runner) execute(ctx context.Context, c Collector, run *Run, opts RunOptions, logger *slog.Logger) {
	name := c.Name()
	storeFail := func(err error) {
		run.Err = errors.Join(run.Err, &StageError{Source: name, Stage: StageStore, Err: err})
	}
	plan := Plan{Backfill: opts.Backfill, MaxPages: opts.MaxPages}
	if opts.Backfill && !opts.From.IsZero() {
		plan.From = opts.From.Start()
	}
	if !opts.Backfill {
		want, err := r.want(ctx, c)
		if err != nil {
			storeFail(err)
			return
		}
		plan.Want = want
	}
	guard := safety.New(r.st, safety.Options{Now: r.now})
	type pendingArticle struct {
		a   Article
		obs []obs.Observation
	}
	var pending []pendingArticle
	articles, observations := 0, 0
	flush := func(ctx context.Context) error {
		if len(pending) == 0 {
			return nil
		}
		batch := pending
		pending = nil
		start := time.Now()
		defer func() { run.StoreTime += time.Since(start) }()
		var all []obs.Observation
		var titles []string
		for _, p := range batch {
			all = append(all, p.obs...)
			for range p.obs {
				titles = append(titles, p.a.Title)
			}
		}
		return r.checkAndWrite(ctx, guard, run, all, titles, opts.DryRun, logger)
	}
	plan.Emit = func(ctx context.Context, a Article, os []obs.Observation) error {
		pending = append(pending, pendingArticle{a, os})
		articles++
		observations += len(os)
		if opts.Progress != nil {
			opts.Progress(Progress{Collector: name, Articles: articles, Observations: observations})
		}
		if len(pending) >= r.batchSize {
			return flush(ctx)
		}
		return nil
	}
	rep, err := c.Collect(ctx, plan)
	run.Sources = rep.Sources
	run.FetchTime, run.ExtractTime = rep.FetchTime(), rep.ExtractTime()
	if rerr := rep.Err(); rerr != nil {
		run.Err = errors.Join(run.Err, rerr)
	}
	switch {
	case err == nil:
	case ctx.Err() != nil:
		run.Err = errors.Join(run.Err, &StageError{Source: name, Stage: StageTimeout,
			Err: fmt.Errorf("run stopped after %s: %w", r.now().Sub(run.Started).Round(time.Millisecond), ctx.Err())})
	default:
		// Only Emit stops a collector otherwise, and Emit fails only when the batch
		// could not be checked or written.
		storeFail(err)
	}
	// What was read is kept even when the run timed out or was cancelled.
	fctx := ctx
	if ctx.Err() != nil {
		var cancel context.CancelFunc
		fctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
	}
	if err := flush(fctx); err != nil {
		storeFail(err)
	}
}

// checkAndWrite checks a batch with the guard and writes what passes.
func (r *Runner) checkAndWrite(ctx context.Context, guard *safety.Guard, run *Run, all []obs.Observation, titles []string, dryRun bool, logger *slog.Logger) error {
	name := run.Collector
	decisions, err := guard.Check(ctx, all)
	if err != nil {
		return err
	}
	var puts []obs.Observation
	var putIdx []int
	var conflicts []obs.Conflict
	accepted := 0 // written or already stored
	for i, d := range decisions {
		o := d.Observation
		switch d.Action {
		case safety.Write:
			accepted++
			puts = append(puts, o)
			putIdx = append(putIdx, len(run.Records))
			run.Records = append(run.Records, Record{Observation: o, Title: titles[i], Detail: d.Detail})
		case safety.Keep:
			accepted++
			run.Records = append(run.Records, Record{Observation: o, Outcome: store.Unchanged, Title: titles[i], Detail: d.Detail})
			run.Unchanged++
		case safety.Conflict:
			conflicts = append(conflicts, *d.Conflict)
			run.Conflicts = append(run.Conflicts, d)
			r.m.conflicts.WithLabelValues(name).Inc()
			logger.Warn("conflicting figures: the stored one is kept, the alternative recorded",
				"indicator", o.Indicator, "period", o.Period, "basis", o.Basis, "value", o.Value,
				"source", o.Source, "existing_value", d.Conflict.ExistingValue, "existing_source", d.Conflict.ExistingSource,
				"url", o.URL, "quote", o.Quote)
		case safety.Reject:
			run.Rejected = append(run.Rejected, d)
			r.m.rejected.WithLabelValues(name, string(d.Reason)).Inc()
			logger.Warn("observation rejected", "reason", d.Reason, "detail", d.Detail,
				"indicator", o.Indicator, "period", o.Period, "basis", o.Basis, "value", o.Value,
				"url", o.URL, "quote", o.Quote)
		}
	}
	r.m.observations.WithLabelValues(name).Add(float64(accepted))
	if dryRun {
		return nil
	}
	if len(puts) > 0 {
		outcomes, err := r.st.Put(ctx, puts)
		if err != nil {
			for _, i := range putIdx {
				run.Records[i].Detail = "not written: " + err.Error()
			}
			return fmt.Errorf("write %d observations: %w", len(puts), err)
		}
		for j, oc := range outcomes {
			run.Records[putIdx[j]].Outcome = oc
			switch oc {
			case store.Created:
				run.Created++
			case store.Updated:
				run.Updated++
			case store.Unchanged:
				run.Unchanged++
			case store.Queued:
				run.Queued++
			}
		}
	}
	if len(conflicts) > 0 {
		if err := r.st.PutConflicts(ctx, conflicts); err != nil {
			return fmt.Errorf("record %d conflicts: %w", len(conflicts), err)
		}
	}
	return nil
}

// want returns the Plan.Want of a regular run: an article is worth fetching unless
// every indicator of the collector that the store has a recent figure for (within a
// year of the collector's newest) already has one for the latest period an article
// listed on that date could report (the month before it for flows, its own month for
// stocks). With nothing stored, or no list date, every
// article is wanted. The decision comes from the store, not from memory, so that a
// restarted trademon resumes where the data ends.
func (r *Runner) want(ctx context.Context, c Collector) (func(time.Time) bool, error) {
	stored, err := r.st.Query(ctx, store.Filter{Indicators: c.Indicators(), SourceKinds: []obs.SourceKind{obs.KindCollector}})
	if err != nil {
		return nil, fmt.Errorf("read the stored periods: %w", err)
	}
	newest := map[string]time.Time{}
	var latest time.Time
	for _, o := range stored {
		end := o.Period.End()
		if end.After(newest[o.Indicator]) {
			newest[o.Indicator] = end
		}
		if end.After(latest) {
			latest = end
		}
	}
	if len(newest) == 0 {
		return nil, nil
	}
	// A series published only now and then (trade in US dollars) would otherwise make
	// every article look new: indicators a year or more behind the collector's newest
	// figure do not count.
	for id, end := range newest {
		if end.Before(latest.AddDate(-1, 0, 0)) {
			delete(newest, id)
		}
	}
	return func(listed time.Time) bool {
		if listed.IsZero() {
			return true
		}
		for id, end := range newest {
			if end.Before(obs.LatestPeriodEnd(obs.MustLookup(id).Kind, listed)) {
				return true
			}
		}
		return false
	}, nil
}

// finish records a run: metrics, log, history.
func (r *Runner) finish(run *Run, logger *slog.Logger) {
	name := run.Collector
	r.m.duration.WithLabelValues(name).Set(run.Finished.Sub(run.Started).Seconds())
	result := run.Result()
	r.m.runs.WithLabelValues(name, result).Inc()
	if result != ResultError {
		r.m.lastSuccess.WithLabelValues(name).Set(float64(run.Finished.Unix()))
	}
	for _, st := range stagesOf(run.Err) {
		r.m.errors.WithLabelValues(name, string(st)).Inc()
	}
	attrs := []any{
		"duration", run.Finished.Sub(run.Started).Round(time.Millisecond), "dry_run", run.DryRun,
		"articles", run.Articles(), "accepted", len(run.Records), "created", run.Created, "updated", run.Updated,
		"unchanged", run.Unchanged, "rejected", len(run.Rejected), "conflicts", len(run.Conflicts),
	}
	switch result {
	case ResultError:
		logger.Error("collector run failed", append(attrs, "err", run.Err)...)
	case ResultPartial:
		logger.Warn("collector run done, some figures rejected", attrs...)
	default:
		logger.Info("collector run done", attrs...)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	h := append(r.runs[name], run)
	if len(h) > r.history {
		h = slices.Delete(h, 0, len(h)-r.history)
	}
	r.runs[name] = h
}

// stagesOf lists the stage of every StageError joined in err.
func stagesOf(err error) []Stage {
	if err == nil {
		return nil
	}
	var out []Stage
	var walk func(error)
	walk = func(e error) {
		if se, ok := e.(*StageError); ok {
			out = append(out, se.Stage)
			return
		}
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			for _, x := range j.Unwrap() {
				walk(x)
			}
			return
		}
		if u := errors.Unwrap(e); u != nil {
			walk(u)
		}
		// Every failure a run records is a StageError; anything else is counted by
		// trademon_collector_runs_total{result="error"} alone.
	}
	walk(err)
	return out
}

// Runs returns the kept runs of a collector, newest first.
func (r *Runner) Runs(name string) []*Run {
	r.mu.Lock()
	defer r.mu.Unlock()
	h := slices.Clone(r.runs[name])
	slices.Reverse(h)
	return h
}

// Start schedules every collector whose config is enabled on its cron schedule, and
// starts one catch-up run of each right away. Runs of the same collector never overlap
// (a run due while the previous one still runs is skipped), a panicking run is
// recovered, and each run is bounded by the collector's timeout. Stop ends it all.
func (r *Runner) Start(ctx context.Context) error {
	cl := cronLogger{r.logger.With("component", "cron")}
	r.mu.Lock()
	if r.cron != nil {
		r.mu.Unlock()
		return errors.New("collectors runner: already started")
	}
	r.cron = cron.New(cron.WithLogger(cl), cron.WithLocation(obs.Shanghai))
	r.mu.Unlock()
	ctx, cancel := context.WithCancel(ctx)
	r.cancel = cancel
	// Recover is last in the chain, so it sits inside SkipIfStillRunning: a panic is
	// caught before it could leave the "still running" mark set.
	chain := cron.NewChain(cron.SkipIfStillRunning(cl), cron.Recover(cl))
	r.mu.Lock()
	r.runCtx, r.chain = ctx, chain
	r.mu.Unlock()
	cols, _, cfg := r.current()
	for _, c := range cols {
		name := c.Name()
		col := cfg[name]
		if col == nil || !col.Enabled {
			continue
		}
		sched, err := settings.ParseSchedule(col.Schedule)
		if err != nil {
			cancel()
			return fmt.Errorf("collector %s: schedule %q: %w", name, col.Schedule, err)
		}
		job := r.job(name, true)
		id := r.cron.Schedule(sched, job)
		r.mu.Lock()
		r.entries[name] = id
		r.mu.Unlock()
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			job.Run()
		}()
	}
	r.cron.Start()
	return nil
}

// Stop stops scheduling, cancels running runs and waits for them (scheduled ones and
// the start-up catch-up) to end, or for ctx.
func (r *Runner) Stop(ctx context.Context) error {
	r.mu.Lock()
	started := r.cron != nil
	r.mu.Unlock()
	if !started {
		return nil
	}
	r.cancel()
	<-r.cron.Stop().Done()
	done := make(chan struct{})
	go func() {
		r.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("collectors runner: stop: %w", ctx.Err())
	}
}

// next returns when the collector is next scheduled, or the zero time.
func (r *Runner) next(name string) time.Time {
	r.mu.Lock()
	c, id, ok := r.cron, r.entries[name], r.entries[name] != 0
	r.mu.Unlock()
	if c == nil || !ok {
		return time.Time{}
	}
	return c.Entry(id).Next
}

// cronLogger adapts slog to cron.Logger.
type cronLogger struct{ l *slog.Logger }

// Info logs cron's routine messages (wake, run, skip) at debug level.
func (c cronLogger) Info(msg string, kv ...any) { c.l.Debug(msg, kv...) }

// Error logs cron's failures (a recovered panic) at error level.
func (c cronLogger) Error(err error, msg string, kv ...any) {
	c.l.Error(msg, append(kv, "err", err)...)
}
