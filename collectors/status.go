package collectors

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"net/http"
	"time"

	"github.com/trademon/trademon/collectors/safety"
	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/units"
)

//go:embed status.html
var statusHTML string

var statusTmpl = template.Must(template.New("status").Parse(statusHTML))

// maxStatusRecords bounds the observations listed per run on the status page.
const maxStatusRecords = 200

// collectorNamesZH are the Chinese labels of the built-in collectors.
var collectorNamesZH = map[string]string{
	"trade":     "货物贸易进出口",
	"retail":    "社会消费品零售总额",
	"port":      "港口集装箱吞吐量",
	"standards": "国际标准",
}

type statusPage struct {
	Generated  string
	Collectors []statusCollector
}

type statusCollector struct {
	Name, NameZH, Schedule string
	Enabled                bool
	Next, LastSuccess      string
	LastError              string
	// LastRejected sums up the latest run that rejected figures: when, how many,
	// and the first reason given.
	LastRejected string
	Runs         []statusRun
}

type statusRun struct {
	Started, Took, Trigger, Result, Err                                    string
	DryRun                                                                 bool
	Articles, Accepted, Created, Updated, Unchanged, RejectedN, ConflictsN int
	Sources                                                                []SourceReport
	Records                                                                []statusRecord
	MoreRecords                                                            int
	Rejected, Conflicts                                                    []statusDecision
}

type statusRecord struct {
	Indicator, IndicatorZH, Period, Basis, Value, Outcome, URL, Title, Quote string
	Estimate                                                                 bool
}

type statusDecision struct {
	Indicator, Period, Basis, Value, Reason, Detail, URL, Quote string
}

// StatusHandler returns the collectors' status page (HTML, Chinese and English labels,
// no external assets): per collector its schedule, last success, last error and recent
// runs, and for each run what it extracted (indicator, period, value in display units,
// link to the article), rejected and flagged. The HTTP server mounts it at /collectors.
func (r *Runner) StatusHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method != http.MethodGet && req.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		var buf bytes.Buffer
		if err := statusTmpl.Execute(&buf, r.statusPage()); err != nil {
			r.logger.Error("render collectors status page", "err", err)
			http.Error(w, "cannot render the status page", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write(buf.Bytes())
	})
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(obs.Shanghai).Format("2006-01-02 15:04:05")
}

func (r *Runner) statusPage() statusPage {
	page := statusPage{Generated: fmtTime(r.now())}
	cols, _, cfg := r.current()
	for _, c := range cols {
		name := c.Name()
		sc := statusCollector{Name: name, NameZH: collectorNamesZH[name], Next: fmtTime(r.next(name))}
		if sc.NameZH == "" {
			sc.NameZH = name
		}
		if col := cfg[name]; col != nil {
			sc.Enabled, sc.Schedule = col.Enabled, col.Schedule
		}
		runs := r.Runs(name)
		for _, run := range runs {
			if run.Err == nil && sc.LastSuccess == "" {
				sc.LastSuccess = fmtTime(run.Finished)
			}
			if run.Err != nil && sc.LastError == "" {
				sc.LastError = fmtTime(run.Finished) + ": " + run.Err.Error()
			}
			if len(run.Rejected) > 0 && sc.LastRejected == "" {
				sc.LastRejected = rejectedLine(run)
			}
			sc.Runs = append(sc.Runs, statusRunOf(run))
		}
		page.Collectors = append(page.Collectors, sc)
	}
	return page
}

func statusRunOf(run *Run) statusRun {
	sr := statusRun{
		Started: fmtTime(run.Started), Took: run.Finished.Sub(run.Started).Round(time.Millisecond).String(),
		Trigger: run.Trigger, Result: run.Result(), DryRun: run.DryRun, Articles: run.Articles(), Accepted: len(run.Records),
		Created: run.Created, Updated: run.Updated, Unchanged: run.Unchanged,
		RejectedN: len(run.Rejected), ConflictsN: len(run.Conflicts), Sources: run.Sources,
	}
	if run.Err != nil {
		sr.Err = run.Err.Error()
	}
	for i, rec := range run.Records {
		if i == maxStatusRecords {
			sr.MoreRecords = len(run.Records) - i
			break
		}
		o := rec.Observation
		ind, _ := obs.Lookup(o.Indicator)
		outcome := string(rec.Outcome)
		if outcome == "" {
			outcome = "dry-run"
		}
		sr.Records = append(sr.Records, statusRecord{
			Indicator: o.Indicator, IndicatorZH: ind.NameZH, Period: o.Period.String(), Basis: string(o.Basis),
			Value: units.Format(o.Value, ind.DisplayUnit), Outcome: outcome, URL: o.URL, Title: rec.Title,
			Quote: o.Quote, Estimate: o.Estimate,
		})
	}
	sr.Rejected = decisionsOf(run.Rejected)
	sr.Conflicts = decisionsOf(run.Conflicts)
	return sr
}

// rejectedLine says, in one line, what the latest run with rejections rejected.
func rejectedLine(run *Run) string {
	n := len(run.Rejected)
	noun := "figure"
	if n > 1 {
		noun = "figures"
	}
	return fmt.Sprintf("%s: %d 个数值被拒绝 %d %s rejected (%s: %s)", fmtTime(run.Finished), n, n, noun,
		run.Rejected[0].Reason, run.Rejected[0].Detail)
}

func decisionsOf(ds []safety.Decision) []statusDecision {
	var out []statusDecision
	for _, d := range ds {
		o := d.Observation
		value := units.Format(o.Value, o.Unit)
		if ind, ok := obs.Lookup(o.Indicator); ok {
			value = units.Format(o.Value, ind.DisplayUnit)
		}
		period := ""
		if !o.Period.IsZero() {
			period = o.Period.String()
		}
		out = append(out, statusDecision{Indicator: o.Indicator, Period: period, Basis: string(o.Basis),
			Value: value, Reason: string(d.Reason), Detail: d.Detail, URL: o.URL, Quote: o.Quote})
	}
	return out
}
