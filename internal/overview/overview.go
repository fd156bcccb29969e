// Package overview renders the pages people read: "/" with one card per target (its
// status colour, actual vs expected vs goal in display units, the period and source of
// the latest figure, a small server-side SVG chart) and "/targets/{id}" with the
// explained verdict; and the JSON API of the verdicts, /api/v1/targets and
// /api/v1/targets/{id}. Chinese first, English alongside; no scripts or external
// assets, so the pages work offline.
package overview

import (
	"bytes"
	_ "embed"
	"html/template"
	"log/slog"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/trademon/trademon/internal/evaluation"
	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/units"
	"github.com/trademon/trademon/targets"
)

//go:embed templates/overview.html.tmpl
var pageTemplate string

var tmpl = template.Must(template.New("overview").Parse(pageTemplate))

// StatusLabel holds how a status is shown: Chinese, English, and its colour.
type StatusLabel struct {
	ZH, EN, Colour string
}

// Labels maps every status to its label: the Chinese name is the status's own
// (targets.Status.ZH); the colours follow the usual traffic-light convention, with
// grey for no data.
var Labels = func() map[targets.Status]StatusLabel {
	en := map[targets.Status][2]string{
		targets.Achieved: {"Achieved", "#1a7f37"},
		targets.OnTrack:  {"On track", "#2da44e"},
		targets.AtRisk:   {"At risk", "#bf8700"},
		targets.Behind:   {"Behind", "#cf222e"},
		targets.Missed:   {"Missed", "#82071e"},
		targets.NoData:   {"No data", "#6e7781"},
	}
	m := make(map[targets.Status]StatusLabel, len(en))
	for _, st := range targets.Statuses {
		m[st] = StatusLabel{ZH: st.ZH(), EN: en[st][0], Colour: en[st][1]}
	}
	return m
}()

// Source supplies the evaluation to show.
type Source interface {
	Snapshot() (evaluation.Snapshot, bool)
	LastError() error
}

// Handler serves the overview page.
type Handler struct {
	Source Source
	Logger *slog.Logger
}

type card struct {
	ID, NameZH, NameEN string
	Status             targets.Status
	Label              StatusLabel
	Actual, Expected   string
	Goal, Projected    string
	Gap, Progress      string
	GoalYear           int
	Period, Basis      string
	Source, URL        string
	Estimate           bool
	Notes              []string
	Chart              template.HTML
}

type count struct {
	Label StatusLabel
	N     int
}

type page struct {
	At string
	// GoalYears lists the targets' goal years for the title ("2025", "2025/2030").
	GoalYears string
	Stale     string
	Cards     []card
	Counts    []count
	Pending   bool
}

// ServeHTTP renders the page from the latest snapshot.
func (h Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		http.NotFound(w, r)
		return
	}
	snap, ok := h.Source.Snapshot()
	p := build(snap, ok)
	if err := h.Source.LastError(); err != nil {
		p.Stale = err.Error()
	}
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, p); err != nil {
		if h.Logger != nil {
			h.Logger.Error("render overview", "err", err)
		}
		http.Error(w, "render overview: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(buf.Bytes())
}

func build(snap evaluation.Snapshot, ok bool) page {
	p := page{Pending: !ok}
	if !ok {
		return p
	}
	p.At = snap.At.In(obs.Shanghai).Format("2006-01-02 15:04 MST")
	p.GoalYears = goalYears(snap.Verdicts)
	n := map[targets.Status]int{}
	for _, v := range snap.Verdicts {
		c := card{ID: v.Target, NameZH: v.NameZH, NameEN: v.NameEN, Status: v.Status, Label: Labels[v.Status], GoalYear: v.GoalYear,
			Period: v.Period, Basis: string(v.Basis), Source: v.Source, URL: v.URL, Estimate: v.Estimate, Notes: v.Notes}
		unit := v.DisplayUnit
		c.Goal = units.Format(v.Goal, unit)
		if v.Status != targets.NoData {
			c.Actual = units.Format(v.Actual, unit)
			c.Expected = units.Format(v.Expected, unit)
			if v.Projected != 0 && v.Projected != v.Actual {
				c.Projected = units.Format(v.Projected, unit)
			}
			c.Gap = percent(v.Gap, true)
			c.Progress = percent(v.Progress, false)
		}
		c.Chart = chartSVG(v, unit)
		p.Cards = append(p.Cards, c)
		n[v.Status]++
	}
	for _, st := range targets.Statuses {
		if n[st] > 0 {
			p.Counts = append(p.Counts, count{Labels[st], n[st]})
		}
	}
	return p
}

// goalYears lists the distinct goal years of the verdicts, in order: "2025".
func goalYears(vs []targets.Verdict) string {
	var ys []int
	for _, v := range vs {
		if !slices.Contains(ys, v.GoalYear) {
			ys = append(ys, v.GoalYear)
		}
	}
	slices.Sort(ys)
	s := make([]string, len(ys))
	for i, y := range ys {
		s[i] = strconv.Itoa(y)
	}
	return strings.Join(s, "/")
}

func percent(r float64, signed bool) string {
	if math.IsNaN(r) || math.IsInf(r, 0) {
		return "—"
	}
	s := strconv.FormatFloat(math.Round(r*1000)/10, 'f', 1, 64) + "%"
	if signed && r > 0 {
		s = "+" + s
	}
	return s
}
