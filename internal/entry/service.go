// Package entry is staff data entry, modelled on DHIS2's aggregate data entry: figures
// typed in the web form, sent to the API or imported from a file pass one set of rules
// (package validate); outliers against history wait for a confirmation with a comment;
// changing a stored value needs a reason; on indicators that need approval an editor's
// figure waits in the state file until an approver approves it, which writes it to the
// store and locks its period until an admin unlocks it with a reason. Every create,
// revision, approval, rejection, unlock, import, task update and failed login is
// appended to the audit trail (store.Journal), which nothing edits or deletes.
//
// A figure is acknowledged only once it is durable: in the store (fsynced, or spooled
// in InfluxDB mode) when it counts, in the state file when it is pending.
package entry

import (
	"context"
	"fmt"
	"hash/fnv"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/trademon/trademon/internal/auth"
	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/state"
	"github.com/trademon/trademon/internal/store"
	"github.com/trademon/trademon/internal/units"
	"github.com/trademon/trademon/internal/validate"
	"github.com/trademon/trademon/targets"
)

// Store is what entry needs of the store: observations and the audit trail
// (store.Store embeds store.Journal).
type Store = store.Store

// Statuses of a submitted figure (DESIGN.md "HTTP", POST /api/v1/observations).
const (
	StatusCreated   = "created"
	StatusUpdated   = "updated"
	StatusUnchanged = "unchanged"
	StatusPending   = "pending"
	// StatusRejected counts refused submissions in trademon_manual_entries_total.
	StatusRejected = "rejected"
)

// Options configure a Service.
type Options struct {
	Store Store
	State *state.DB
	// Approval lists the indicators whose figures, entered by an editor, wait for an
	// approver.
	Approval []string
	// MaxChange is the outlier threshold (validate.CheckOutlier); 0 means the default.
	MaxChange float64
	// Targets say where a figure shows in the verdicts; Tasks are the plan's measures.
	Targets []targets.Target
	Tasks   []targets.Task
	Logger  *slog.Logger
	Now     func() time.Time
	// OnTasksChanged is called after a task's status is recorded (to refresh metrics).
	OnTasksChanged func()
}

// Service does staff entry. It is safe for concurrent use.
type Service struct {
	o        Options
	approval map[string]bool
	log      *slog.Logger
	keys     [64]sync.Mutex

	entries *prometheus.CounterVec
	audits  *prometheus.CounterVec
	pending prometheus.GaugeFunc
	// unfinished counts the state.Intent records left (Recover).
	unfinished prometheus.GaugeFunc
}

// New returns a Service. Register Collectors() on the metrics registry.
func New(o Options) *Service {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MaxChange <= 0 {
		o.MaxChange = validate.DefaultMaxChange
	}
	s := &Service{o: o, approval: map[string]bool{}, log: o.Logger.With("component", "entry")}
	for _, id := range o.Approval {
		s.approval[id] = true
	}
	s.entries = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "trademon_manual_entries_total",
		Help: "Figures submitted by staff (form, API, import), by result: created, updated, unchanged, pending (waiting for approval), rejected (refused).",
	}, []string{"result"})
	for _, r := range []string{StatusCreated, StatusUpdated, StatusUnchanged, StatusPending, StatusRejected} {
		s.entries.WithLabelValues(r)
	}
	s.audits = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "trademon_audit_records_total",
		Help: "Audit records appended, by action.",
	}, []string{"action"})
	for _, a := range []store.AuditAction{store.AuditCreate, store.AuditRevise, store.AuditApprove, store.AuditReject,
		store.AuditUnlock, store.AuditImport, store.AuditLoginFailure, store.AuditTaskUpdate} {
		s.audits.WithLabelValues(string(a))
	}
	s.pending = countGauge("trademon_pending_approvals",
		"Figures waiting for an approver; they count nowhere until approved.", o.State.CountPending)
	s.unfinished = countGauge("trademon_entry_unfinished_decisions",
		"Decisions of staff (entries, approvals, rejections, unlocks, task updates) written to the store but not yet to the state file; above 0 for more than a moment, a start could not recover them (the log says why).",
		o.State.CountIntents)
	return s
}

// countGauge is a gauge of what count returns at each scrape, -1 when it fails.
func countGauge(name, help string, count func() (int, error)) prometheus.GaugeFunc {
	return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 {
		n, err := count()
		if err != nil {
			return -1
		}
		return float64(n)
	})
}

// Collectors returns the service's metrics.
func (s *Service) Collectors() []prometheus.Collector {
	return []prometheus.Collector{s.entries, s.audits, s.pending, s.unfinished}
}

// NeedsApproval reports whether an editor's figures of the indicator wait for an approver.
func (s *Service) NeedsApproval(indicator string) bool { return s.approval[indicator] }

// Targets returns the targets a figure of the indicator shows in.
func (s *Service) Targets(indicator string) []targets.Target {
	var out []targets.Target
	for _, t := range s.o.Targets {
		if t.Indicator == indicator || (t.Indicator == "goods_trade" && (indicator == "goods_trade_cny" || indicator == "usd_cny_rate")) {
			out = append(out, t)
		}
	}
	return out
}

// RefusedError is a submission trademon does not accept. Status is the HTTP status
// (403, 409 or 422); Field names the field at fault.
type RefusedError struct {
	Status int
	// Index is the position of the figure in a batch.
	Index int
	Field string
	Msg   string
	// Code says why: forbidden, invalid, outlier, locked, not_found.
	Code    string
	Outlier *validate.Outlier
}

func (e *RefusedError) Error() string {
	if e.Field != "" {
		return e.Field + ": " + e.Msg
	}
	return e.Msg
}

func refused(status int, code, field, format string, args ...any) *RefusedError {
	return &RefusedError{Status: status, Code: code, Field: field, Msg: fmt.Sprintf(format, args...)}
}

// lockKey serializes work on one slot (indicator, region, basis, period).
func (s *Service) lockKey(k string) *sync.Mutex {
	h := fnv.New32a()
	_, _ = h.Write([]byte(k))
	return &s.keys[h.Sum32()%uint32(len(s.keys))]
}

// lockSlots locks the slots of keys in a fixed order (no deadlock between batches)
// and returns the unlock function.
func (s *Service) lockSlots(keys []string) func() {
	idx := map[uint32]bool{}
	for _, k := range keys {
		h := fnv.New32a()
		_, _ = h.Write([]byte(k))
		idx[h.Sum32()%uint32(len(s.keys))] = true
	}
	order := make([]uint32, 0, len(idx))
	for i := range idx {
		order = append(order, i)
	}
	slices.Sort(order)
	for _, i := range order {
		s.keys[i].Lock()
	}
	return func() {
		for _, i := range slices.Backward(order) {
			s.keys[i].Unlock()
		}
	}
}

// audit appends records to the trail and counts them.
func (s *Service) audit(ctx context.Context, rs ...store.AuditRecord) error {
	return s.write(ctx, nil, rs)
}

// write stores figures and appends the audit records that account for them in one
// durable step (store.PutWithAudit), and counts the records.
func (s *Service) write(ctx context.Context, figures []obs.Observation, rs []store.AuditRecord) error {
	if len(figures) == 0 && len(rs) == 0 {
		return nil
	}
	if _, err := s.o.Store.PutWithAudit(ctx, figures, rs); err != nil {
		if len(figures) == 0 {
			return fmt.Errorf("append to the audit trail: %w", err)
		}
		return fmt.Errorf("write %d figures with their audit records: %w", len(figures), err)
	}
	for _, r := range rs {
		s.audits.WithLabelValues(string(r.Action)).Inc()
	}
	return nil
}

// UnknownUser is the audit user of a failed login for a name that is not in the users
// file. The user is an InfluxDB tag of the audit trail, and anybody can try any name:
// recording each under its own name would make a series per name tried.
const UnknownUser = "(unknown)"

// LoginFailed records a failed login or token in the audit trail (auth.FailureFunc):
// under the user's name when it is in the users file, else under UnknownUser with
// the name tried (already capped by auth.TriedName) quoted in Detail.
func (s *Service) LoginFailed(ctx context.Context, f auth.Failure) {
	r := store.AuditRecord{Time: s.o.Now(), User: f.Name, Remote: f.Remote, Action: store.AuditLoginFailure, Detail: f.Reason}
	if !f.Known && f.Name != "" {
		r.User = UnknownUser
		r.Detail = fmt.Sprintf("%s; name tried: %q", f.Reason, f.Name)
	}
	if err := s.audit(context.WithoutCancel(ctx), r); err != nil {
		s.log.Error("record a failed login", "err", err)
	}
}

// Audit returns the trail matching f. Only admins see failed logins.
func (s *Service) Audit(ctx context.Context, p *auth.Principal, f store.AuditFilter) ([]store.AuditRecord, error) {
	if p == nil || p.Role < auth.Viewer {
		return nil, refused(http.StatusForbidden, "forbidden", "", "reading the audit trail needs a login")
	}
	if f.Action == store.AuditLoginFailure && p.Role < auth.Admin {
		return nil, refused(http.StatusForbidden, "forbidden", "action", "failed logins are shown to admins only")
	}
	rs, err := s.o.Store.Audit(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("read the audit trail: %w", err)
	}
	if p.Role < auth.Admin {
		rs = slices.DeleteFunc(rs, func(r store.AuditRecord) bool { return r.Action == store.AuditLoginFailure })
	}
	return rs, nil
}

// Recent returns the latest n published figures of the indicator that count (per
// slot the one obs.Index chooses), newest period first, so a typo stands out beside them.
func (s *Service) Recent(ctx context.Context, indicator string, n int) ([]obs.Observation, error) {
	all, err := s.o.Store.Query(ctx, store.Filter{Indicators: []string{indicator}, Region: obs.RegionSZ})
	if err != nil {
		return nil, fmt.Errorf("read recent figures: %w", err)
	}
	var rs []obs.Observation
	ix := obs.NewIndex(all, obs.IndexOptions{})
	for _, b := range obs.MustLookup(indicator).Bases() {
		for _, f := range ix.Chosen(indicator, b) {
			if f.Derivation == obs.Published {
				rs = append(rs, f.Observation)
			}
		}
	}
	slices.SortStableFunc(rs, func(a, b obs.Observation) int {
		if c := b.Period.End().Compare(a.Period.End()); c != 0 {
			return c
		}
		return strings.Compare(string(a.Basis), string(b.Basis))
	})
	if len(rs) > n {
		rs = rs[:n]
	}
	return rs, nil
}

// Pending returns the figures waiting for approval, oldest first.
func (s *Service) Pending() ([]state.Pending, error) { return s.o.State.ListPending() }

// Locks returns the locked periods.
func (s *Service) Locks() ([]state.Lock, error) { return s.o.State.ListLocks() }

// Display formats a base-unit value of the indicator in its display unit.
func Display(o obs.Observation) string {
	ind, ok := obs.Lookup(o.Indicator)
	if !ok {
		return fmt.Sprint(o.Value)
	}
	return units.Format(o.Value, ind.DisplayUnit)
}
