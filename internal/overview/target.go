package overview

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/server"
	"github.com/trademon/trademon/internal/units"
	"github.com/trademon/trademon/targets"
)

//go:embed templates/target.html.tmpl
var targetTemplate string

var targetTmpl = template.Must(template.New("target").Funcs(template.FuncMap{
	"date":   func(t time.Time) string { return t.In(obs.Shanghai).Format("2006-01-02") },
	"growth": func(g *float64) string { return fmt.Sprintf("%+.2f%%", *g*100) },
}).Parse(targetTemplate))

// TargetPage serves /targets/{id}: the explained verdict of one target, for a person
// to check by hand. ?at= and ?known= (YYYY-MM or YYYY-MM-DD) judge another date, as
// `trademon explain` does. Server-side HTML, no scripts.
type TargetPage struct {
	Evaluator Evaluator
	Logger    *slog.Logger
}

type targetView struct {
	X                              targets.Explanation
	V                              targets.Verdict
	Label                          StatusLabel
	At, Known, AtValue, KnownValue string
	Target                         string
	Actual, Expected, Goal, Gap    string
	Progress                       string
	ShareRows                      []shareRow
	Chart                          template.HTML
	APIQuery                       string
}

type shareRow struct{ Year, YTD, Full, Share string }

func (h TargetPage) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	x, err := explain(r, h.Evaluator, r.PathValue("id"))
	if err != nil {
		if status(err) == http.StatusNotFound {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		server.Error(w, status(err), err.Error())
		return
	}
	var buf bytes.Buffer
	if err := targetTmpl.Execute(&buf, newTargetView(x, r)); err != nil {
		if h.Logger != nil {
			h.Logger.Error("render target page", "target", x.Verdict.Target, "err", err)
		}
		http.Error(w, "render target page: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(buf.Bytes())
}

func newTargetView(x targets.Explanation, r *http.Request) targetView {
	v := x.Verdict
	unit := v.DisplayUnit
	p := targetView{X: x, V: v, Label: Labels[v.Status], At: targets.AsOfDate(x.AsOf), Goal: units.Format(v.Goal, unit),
		AtValue: r.URL.Query().Get("at"), KnownValue: r.URL.Query().Get("known"), Target: x.Target.Sentence(), Chart: chartSVG(v, unit)}
	if !x.Known.IsZero() {
		p.Known = targets.AsOfDate(x.Known)
	}
	if v.Status != targets.NoData {
		p.Actual, p.Expected = units.Format(v.Actual, unit), units.Format(v.Expected, unit)
		p.Gap, p.Progress = percent(v.Gap, true), percent(v.Progress, false)
	}
	if s := x.Share; s != nil {
		for _, y := range s.Years {
			p.ShareRows = append(p.ShareRows, shareRow{strconv.Itoa(y.Year), units.Format(y.YTD, unit), units.Format(y.Full, unit), strconv.FormatFloat(y.Share, 'f', 4, 64)})
		}
	}
	q := url.Values{}
	for _, k := range []string{"at", "known"} {
		if s := r.URL.Query().Get(k); s != "" {
			q.Set(k, s)
		}
	}
	if len(q) > 0 {
		p.APIQuery = "?" + q.Encode()
	}
	return p
}
