package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/trademon/trademon/internal/api"
	"github.com/trademon/trademon/internal/auth"
	"github.com/trademon/trademon/internal/entry"
	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/store"
	"github.com/trademon/trademon/internal/units"
	"github.com/trademon/trademon/internal/validate"
	"github.com/trademon/trademon/targets"
)

type loginPage struct {
	base
	LoginCSRF, Next, Name, Error string
}

func (h *Web) loginPage(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	tok, err := h.Auth.LoginCSRF(w, r)
	if err != nil {
		h.page(w, http.StatusInternalServerError, "error", errorPage{base: h.base("错误 Error", p), Error: err.Error()})
		return
	}
	h.page(w, http.StatusOK, "login", loginPage{base: h.base("登录 Log in", p), LoginCSRF: tok, Next: localPath(r.URL.Query().Get("next"))})
}

func (h *Web) login(w http.ResponseWriter, r *http.Request, _ *auth.Principal) {
	name, next := strings.TrimSpace(r.PostFormValue("name")), localPath(r.PostFormValue("next"))
	again := func(code int, msg string) {
		tok, _ := h.Auth.LoginCSRF(w, r)
		h.page(w, code, "login", loginPage{base: h.base("登录 Log in", nil), LoginCSRF: tok, Next: next, Name: name, Error: msg})
	}
	if !auth.LoginCSRFValid(r) {
		again(http.StatusForbidden, "登录表单已过期 The login form expired (CSRF token missing or wrong): try again.")
		return
	}
	_, err := h.Auth.Login(w, r, name, r.PostFormValue("password"))
	var rl *auth.RateLimitedError
	switch {
	case errors.As(err, &rl):
		w.Header().Set("Retry-After", strconv.Itoa(int(rl.RetryAfter.Seconds())+1))
		again(http.StatusTooManyRequests, "尝试次数过多 "+err.Error())
	case errors.Is(err, auth.ErrBadCredentials):
		again(http.StatusUnauthorized, "用户名或密码错误 Wrong login name or password.")
	case errors.Is(err, auth.ErrNoUsers):
		again(http.StatusServiceUnavailable, err.Error())
	case err != nil:
		again(http.StatusInternalServerError, err.Error())
	default:
		http.Redirect(w, r, next, http.StatusSeeOther)
	}
}

func (h *Web) logout(w http.ResponseWriter, r *http.Request, _ *auth.Principal) {
	if err := h.Auth.Logout(w, r); err != nil {
		h.Logger.Error("logout", "err", err)
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

type indicatorOption struct {
	ID, NameZH, NameEN, DisplayUnit, PeriodTypes string
	Approval, Selected                           bool
}

type recentRow struct {
	Period, Basis, Display, Source, URL string
	Estimate                            bool
}

type pendingRow struct {
	ID, Indicator, Period, Basis, Display, Previous, By, At, Reason, Comment, Source string
}

type lockRow struct {
	Indicator, Period, Basis, By, At string
}

type storedRow struct {
	Indicator, Period, Basis, Display, Base, Previous, Status string
	Warnings                                                  []string
	Targets                                                   []api.TargetLink
}

type formValues struct {
	Indicator, Period, Basis, Value, Unit, Source, Note, Reason, Comment string
	Estimate, Confirm                                                    bool
}

type entryPage struct {
	base
	CanEnter, CanApprove, CanUnlock bool
	Indicators                      []indicatorOption
	Selected                        *indicatorOption
	Bases                           []obs.Basis
	Recent                          []recentRow
	PendingHere                     []struct{ Period, Basis, Display, By string }
	Pending                         []pendingRow
	Locks                           []lockRow
	Form                            formValues
	Error, ErrorField, Outlier      string
	Message                         string
	Stored                          []storedRow
}

func (h *Web) entryPage(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	h.renderEntry(w, r, p, http.StatusOK, entryPage{Form: formValues{Indicator: r.URL.Query().Get("indicator")}})
}

// renderEntry fills in what every view of /entry shows and renders it.
func (h *Web) renderEntry(w http.ResponseWriter, r *http.Request, p *auth.Principal, code int, pg entryPage) {
	pg.base = h.base("数据录入 Entry", p)
	pg.CanEnter = p.Role >= auth.Editor
	pg.CanApprove = p.Role >= auth.Approver
	pg.CanUnlock = p.Role >= auth.Admin
	sel := pg.Form.Indicator
	for _, ind := range obs.Indicators() {
		if !p.MayEnter(ind.ID) && pg.CanEnter {
			continue
		}
		if sel == "" {
			sel = ind.ID
		}
		opt := indicatorOption{ID: ind.ID, NameZH: ind.NameZH, NameEN: ind.NameEN, DisplayUnit: ind.DisplayUnit,
			PeriodTypes: validate.PeriodTypes(ind), Approval: h.Entry.NeedsApproval(ind.ID), Selected: ind.ID == sel}
		pg.Indicators = append(pg.Indicators, opt)
		if opt.Selected {
			pg.Selected = &pg.Indicators[len(pg.Indicators)-1]
			pg.Bases = ind.Bases()
		}
	}
	if pg.Selected != nil {
		// Take a copy: appending may have moved the slice.
		s := *pg.Selected
		pg.Selected = &s
		if recent, err := h.Entry.Recent(r.Context(), s.ID, 12); err == nil {
			for _, o := range recent {
				pg.Recent = append(pg.Recent, recentRow{Period: o.Period.String(), Basis: string(o.Basis), Display: entry.Display(o), Source: o.Source, URL: o.URL, Estimate: o.Estimate})
			}
		} else {
			h.Logger.Warn("recent values", "err", err)
		}
	}
	pending, err := h.Entry.Pending()
	if err != nil {
		h.Logger.Warn("pending figures", "err", err)
	}
	for _, pe := range pending {
		o := pe.Observation
		if pg.Selected != nil && o.Indicator == pg.Selected.ID {
			pg.PendingHere = append(pg.PendingHere, struct{ Period, Basis, Display, By string }{o.Period.String(), string(o.Basis), entry.Display(o), pe.SubmittedBy})
		}
		row := pendingRow{ID: pe.ID, Indicator: o.Indicator, Period: o.Period.String(), Basis: string(o.Basis), Display: entry.Display(o),
			By: pe.SubmittedBy, At: pe.SubmittedAt.In(obs.Shanghai).Format("2006-01-02 15:04"), Reason: pe.Reason, Comment: pe.Comment, Source: firstNonEmpty(o.URL, o.Quote)}
		if pe.Previous != nil {
			row.Previous = entry.Display(obs.Observation{Indicator: o.Indicator, Value: *pe.Previous})
		}
		pg.Pending = append(pg.Pending, row)
	}
	if pg.CanUnlock {
		locks, err := h.Entry.Locks()
		if err != nil {
			h.Logger.Warn("locks", "err", err)
		}
		for _, l := range locks {
			pg.Locks = append(pg.Locks, lockRow{Indicator: l.Indicator, Period: l.Period, Basis: string(l.Basis), By: l.By, At: l.At.In(obs.Shanghai).Format("2006-01-02 15:04")})
		}
	}
	h.page(w, code, "entry", pg)
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// submit handles the entry form: one figure, with the rules of the API.
func (h *Web) submit(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	f := formValues{
		Indicator: r.PostFormValue("indicator"), Period: r.PostFormValue("period"), Basis: r.PostFormValue("basis"),
		Value: r.PostFormValue("value"), Unit: r.PostFormValue("unit"), Source: strings.TrimSpace(r.PostFormValue("source")),
		Note: r.PostFormValue("note"), Reason: r.PostFormValue("reason"), Comment: r.PostFormValue("comment"),
		Estimate: r.PostFormValue("estimate") != "", Confirm: r.PostFormValue("confirm") != "",
	}
	in := validate.Input{Indicator: f.Indicator, Period: f.Period, Basis: f.Basis, Value: f.Value, Unit: f.Unit, Note: f.Note, Estimate: f.Estimate}
	// One field takes a URL or a document: a URL goes to source_url, a document to quote.
	if u, err := url.Parse(f.Source); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
		in.SourceURL = f.Source
	} else if strings.Contains(f.Source, "://") {
		in.SourceURL = f.Source // refused with the URL message
	} else if f.Source != "" {
		in.Quote = "来源文件 Source document: " + f.Source
	}
	comment := strings.TrimSpace(f.Comment)
	sub := entry.Submission{Input: in, Reason: f.Reason, Confirm: f.Confirm && comment != "", Comment: comment}
	if f.Confirm && comment == "" {
		h.renderEntry(w, r, p, http.StatusUnprocessableEntity, entryPage{Form: f, ErrorField: "confirm", Error: "confirm: 请填写确认说明 say why the outlier is right in the comment"})
		return
	}
	results, err := h.Entry.Submit(r.Context(), p, auth.Remote(r), entry.ViaForm, []entry.Submission{sub})
	if err != nil {
		pg := entryPage{Form: f}
		var re *entry.RefusedError
		if errors.As(err, &re) && re.Code == "outlier" {
			pg.Outlier = re.Msg
		} else if errors.As(err, &re) {
			pg.Error, pg.ErrorField = re.Error(), re.Field
		} else {
			pg.Error = err.Error()
		}
		h.renderEntry(w, r, p, statusOf(err), pg)
		return
	}
	pg := entryPage{Form: formValues{Indicator: f.Indicator}}
	for _, res := range results {
		o := res.Observation
		row := storedRow{Indicator: o.Indicator, Period: o.Period.String(), Basis: string(o.Basis), Display: entry.Display(o),
			Base: strconv.FormatFloat(o.Value, 'f', -1, 64) + " " + o.Unit, Status: res.Status, Warnings: res.Warnings}
		if res.Previous != nil {
			row.Previous = entry.Display(obs.Observation{Indicator: o.Indicator, Value: *res.Previous})
		}
		for _, t := range h.Entry.Targets(o.Indicator) {
			row.Targets = append(row.Targets, api.TargetLink{ID: t.ID, Name: t.NameZH, URL: "/targets/" + t.ID})
		}
		pg.Stored = append(pg.Stored, row)
	}
	code := http.StatusCreated
	h.renderEntry(w, r, p, code, pg)
}

func (h *Web) approve(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	res, err := h.Entry.Approve(r.Context(), p, auth.Remote(r), r.PostFormValue("id"), r.PostFormValue("comment"))
	if err != nil {
		h.renderEntry(w, r, p, statusOf(err), entryPage{Error: err.Error()})
		return
	}
	o := res.Observation
	h.renderEntry(w, r, p, http.StatusOK, entryPage{Form: formValues{Indicator: o.Indicator},
		Message: fmt.Sprintf("已批准并锁定 Approved and locked: %s %s %s = %s — 现已计入目标评估 it now counts in the verdicts.", o.Indicator, o.Period, o.Basis, entry.Display(o))})
}

func (h *Web) reject(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	if err := h.Entry.Reject(r.Context(), p, auth.Remote(r), r.PostFormValue("id"), r.PostFormValue("reason")); err != nil {
		h.renderEntry(w, r, p, statusOf(err), entryPage{Error: err.Error()})
		return
	}
	h.renderEntry(w, r, p, http.StatusOK, entryPage{Message: "已退回 Rejected; the submitter sees the reason in the audit trail."})
}

func (h *Web) unlock(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	ind, per, basis := r.PostFormValue("indicator"), r.PostFormValue("period"), r.PostFormValue("basis")
	if err := h.Entry.Unlock(r.Context(), p, auth.Remote(r), ind, per, basis, r.PostFormValue("reason")); err != nil {
		h.renderEntry(w, r, p, statusOf(err), entryPage{Error: err.Error()})
		return
	}
	h.renderEntry(w, r, p, http.StatusOK, entryPage{Form: formValues{Indicator: ind}, Message: fmt.Sprintf("已解锁 Unlocked: %s %s %s", ind, per, basis)})
}

type auditRow struct {
	Time, User, Remote, Action, Indicator, Period, Basis, Old, New, Reason, Detail string
}

type auditPage struct {
	base
	F                   struct{ User, Indicator, Action, From, To string }
	Indicators, Actions []string
	Records             []auditRow
	Error               string
}

func (h *Web) auditPage(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	pg := auditPage{base: h.base("审计 Audit", p), Indicators: obs.IndicatorIDs()}
	for _, a := range []store.AuditAction{store.AuditCreate, store.AuditRevise, store.AuditApprove, store.AuditReject, store.AuditUnlock, store.AuditImport, store.AuditTaskUpdate, store.AuditLoginFailure} {
		if a != store.AuditLoginFailure || p.Role >= auth.Admin {
			pg.Actions = append(pg.Actions, string(a))
		}
	}
	q := r.URL.Query()
	pg.F.User, pg.F.Indicator, pg.F.Action, pg.F.From, pg.F.To = q.Get("user"), q.Get("indicator"), q.Get("action"), q.Get("from"), q.Get("to")
	f, ferr := api.AuditFilter(r)
	if ferr != nil {
		pg.Error = ferr["field"] + ": " + ferr["error"]
		h.page(w, http.StatusUnprocessableEntity, "audit", pg)
		return
	}
	if f.Limit == 0 {
		f.Limit = 500
	}
	rs, err := h.Entry.Audit(r.Context(), p, f)
	if err != nil {
		pg.Error = err.Error()
		h.page(w, statusOf(err), "audit", pg)
		return
	}
	for _, rec := range slices.Backward(rs) {
		pg.Records = append(pg.Records, auditRow{Time: rec.Time.In(obs.Shanghai).Format("2006-01-02 15:04:05"), User: rec.User, Remote: rec.Remote,
			Action: string(rec.Action), Indicator: rec.Indicator, Period: rec.Period, Basis: string(rec.Basis),
			Old: value(rec.Indicator, rec.OldValue), New: value(rec.Indicator, rec.NewValue), Reason: rec.Reason, Detail: rec.Detail})
	}
	h.page(w, http.StatusOK, "audit", pg)
}

func value(indicator string, v *float64) string {
	if v == nil {
		return ""
	}
	if ind, ok := obs.Lookup(indicator); ok {
		return units.Format(*v, ind.DisplayUnit)
	}
	return strconv.FormatFloat(*v, 'g', -1, 64)
}

type taskRow struct {
	entry.TaskView
	StatusZH  string
	MayUpdate bool
}

type taskGroup struct {
	Department string
	Tasks      []taskRow
}

type tasksPage struct {
	base
	Total  int
	Groups []taskGroup
	Counts []struct {
		Label string
		N     int
	}
	Statuses       []targets.TaskStatus
	CanUpdate      bool
	Message, Error string
}

func (h *Web) tasksPage(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	h.renderTasks(w, r, p, http.StatusOK, "", "")
}

func (h *Web) renderTasks(w http.ResponseWriter, _ *http.Request, p *auth.Principal, code int, msg, errMsg string) {
	pg := tasksPage{base: h.base("重点任务 Tasks", p), Message: msg, Error: errMsg, CanUpdate: p != nil && p.Role >= auth.Editor,
		Statuses: []targets.TaskStatus{targets.TaskNotStarted, targets.TaskInProgress, targets.TaskCompleted, targets.TaskDelayed}}
	ts, err := h.Entry.Tasks()
	if err != nil {
		pg.Error = err.Error()
		code = http.StatusInternalServerError
	}
	pg.Total = len(ts)
	byDept := map[string]int{}
	counts := map[targets.TaskStatus]int{}
	for _, t := range ts {
		dept := "—"
		if len(t.Lead) > 0 {
			dept = t.Lead[0]
		}
		i, ok := byDept[dept]
		if !ok {
			i = len(pg.Groups)
			byDept[dept] = i
			pg.Groups = append(pg.Groups, taskGroup{Department: dept})
		}
		pg.Groups[i].Tasks = append(pg.Groups[i].Tasks, taskRow{TaskView: t, StatusZH: t.Status.ZH(), MayUpdate: p != nil && p.MayUpdateTask(t.Lead)})
		counts[t.Status]++
	}
	slices.SortStableFunc(pg.Groups, func(a, b taskGroup) int { return len(b.Tasks) - len(a.Tasks) })
	for _, st := range targets.TaskStatuses {
		if counts[st] > 0 {
			pg.Counts = append(pg.Counts, struct {
				Label string
				N     int
			}{st.ZH() + " " + string(st), counts[st]})
		}
	}
	h.page(w, code, "tasks", pg)
}

func (h *Web) updateTask(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	n, _ := strconv.Atoi(r.PostFormValue("task"))
	rec, err := h.Entry.UpdateTask(r.Context(), p, auth.Remote(r), entry.TaskUpdate{Task: n, Status: r.PostFormValue("status"),
		Note: r.PostFormValue("note"), Date: r.PostFormValue("date"), Evidence: r.PostFormValue("evidence")})
	if err != nil {
		h.renderTasks(w, r, p, statusOf(err), "", err.Error())
		return
	}
	h.renderTasks(w, r, p, http.StatusOK, fmt.Sprintf("已记录 Recorded: task %d is %s (%s)", rec.Task, rec.Status, rec.Date), "")
}
