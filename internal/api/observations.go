package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/trademon/trademon/internal/auth"
	"github.com/trademon/trademon/internal/entry"
	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/server"
	"github.com/trademon/trademon/internal/store"
	"github.com/trademon/trademon/internal/validate"
)

// ObservationIn is one figure of POST /api/v1/observations (DESIGN.md contract, plus
// quote): value is a JSON number or a string as staff type it, in unit (a display
// unit; default the indicator's); confirm is true (then note says why) or the comment
// confirming an outlier.
type ObservationIn struct {
	Indicator string          `json:"indicator"`
	Period    string          `json:"period"`
	Basis     string          `json:"basis"`
	Value     json.RawMessage `json:"value"`
	Unit      string          `json:"unit"`
	SourceURL string          `json:"source_url"`
	Quote     string          `json:"quote"`
	Note      string          `json:"note"`
	Estimate  bool            `json:"estimate"`
	Reason    string          `json:"reason"`
	Confirm   json.RawMessage `json:"confirm"`
}

// Submission converts the JSON figure, or says which field is malformed.
func (in ObservationIn) Submission() (entry.Submission, *validate.Error) {
	s := entry.Submission{Input: validate.Input{Indicator: in.Indicator, Period: in.Period, Basis: in.Basis, Unit: in.Unit,
		SourceURL: in.SourceURL, Quote: in.Quote, Note: in.Note, Estimate: in.Estimate}, Reason: in.Reason}
	v := bytes.TrimSpace(in.Value)
	switch {
	case len(v) == 0 || string(v) == "null":
	case v[0] == '"':
		if err := json.Unmarshal(v, &s.Value); err != nil {
			return s, &validate.Error{Field: "value", Msg: "not a valid JSON string"}
		}
	case v[0] == '-' || (v[0] >= '0' && v[0] <= '9'):
		s.Value = string(v)
	default:
		return s, &validate.Error{Field: "value", Msg: fmt.Sprintf("%s is neither a number nor a string: send 1300.7 or \"1,300.7\"", v)}
	}
	c := bytes.TrimSpace(in.Confirm)
	switch {
	case len(c) == 0 || string(c) == "null" || string(c) == "false":
	case string(c) == "true":
		s.Confirm, s.Comment = true, strings.TrimSpace(in.Note)
	case c[0] == '"':
		if err := json.Unmarshal(c, &s.Comment); err != nil {
			return s, &validate.Error{Field: "confirm", Msg: "not a valid JSON string"}
		}
		s.Comment = strings.TrimSpace(s.Comment)
		s.Confirm = s.Comment != ""
	default:
		return s, &validate.Error{Field: "confirm", Msg: "want true (with a note saying why) or the comment confirming the outlier"}
	}
	return s, nil
}

// ObservationOut is a figure in an answer: every field of the stored observation
// (base units, provenance; decoding it into obs.Observation gives the figure back
// exactly), its value in the display unit, and for a submission what became of it.
type ObservationOut struct {
	obs.Observation
	DisplayValue float64 `json:"display_value"`
	DisplayUnit  string  `json:"display_unit"`
	Display      string  `json:"display"`

	Status    string   `json:"status,omitempty"`
	Previous  *float64 `json:"previous_value,omitempty"`
	PendingID string   `json:"pending_id,omitempty"`
	Locked    bool     `json:"locked,omitempty"`
	Warnings  []string `json:"warnings,omitempty"`
	// Targets are where the figure shows in the verdicts (pages /targets/{id}).
	Targets []TargetLink `json:"targets,omitempty"`
}

// TargetLink names a target and its page.
type TargetLink struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	URL  string `json:"url"`
}

// Out renders an observation for an answer.
func Out(o obs.Observation) ObservationOut {
	dv, du := entry.DisplayValue(o)
	return ObservationOut{Observation: o, DisplayValue: dv, DisplayUnit: du, Display: entry.Display(o)}
}

func (a *API) resultOut(r entry.Result) ObservationOut {
	out := Out(r.Observation)
	out.Status, out.Previous, out.PendingID, out.Locked = r.Status, r.Previous, r.PendingID, r.Locked
	out.Warnings = r.Warnings
	if out.Warnings == nil {
		out.Warnings = []string{}
	}
	for _, t := range a.Entry.Targets(r.Observation.Indicator) {
		out.Targets = append(out.Targets, TargetLink{ID: t.ID, Name: t.NameZH, URL: "/targets/" + t.ID})
	}
	return out
}

func (a *API) postObservations(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	var raw json.RawMessage
	if !a.decodeJSON(w, r, &raw) {
		return
	}
	var ins []ObservationIn
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '[' {
		if err := strictDecode(raw, &ins); err != nil {
			server.Error(w, http.StatusBadRequest, "invalid JSON: "+err.Error())
			return
		}
	} else {
		var one ObservationIn
		if err := strictDecode(raw, &one); err != nil {
			server.Error(w, http.StatusBadRequest, "invalid JSON: "+err.Error())
			return
		}
		ins = []ObservationIn{one}
	}
	subs := make([]entry.Submission, len(ins))
	for i, in := range ins {
		s, verr := in.Submission()
		if verr != nil {
			server.JSON(w, http.StatusUnprocessableEntity, map[string]any{"error": verr.Msg, "field": verr.Field, "index": i})
			return
		}
		subs[i] = s
	}
	results, err := a.Entry.Submit(r.Context(), p, auth.Remote(r), entry.ViaAPI, subs)
	if err != nil {
		a.fail(w, err)
		return
	}
	out := make([]ObservationOut, len(results))
	for i, res := range results {
		out[i] = a.resultOut(res)
	}
	server.JSON(w, http.StatusCreated, map[string]any{"observations": out})
}

func strictDecode(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// listObservations serves GET /api/v1/observations?indicator=&from=&to=&source_kind=&basis=,
// from and to being periods (inclusive: from=2024&to=2024 is the year 2024's).
func (a *API) listObservations(w http.ResponseWriter, r *http.Request, _ *auth.Principal) {
	f, ok := queryFilter(w, r)
	if !ok {
		return
	}
	os, err := a.Store.Query(r.Context(), f)
	if err != nil {
		a.fail(w, err)
		return
	}
	out := make([]ObservationOut, len(os))
	for i, o := range os {
		out[i] = Out(o)
	}
	server.JSON(w, http.StatusOK, map[string]any{"observations": out})
}

// listRevisions serves GET /api/v1/revisions with the filters of GET
// /api/v1/observations: the recorded changes of stored figures, oldest first, as
// {"revisions": [{observation, previous_value, previous_source, previous_estimate, at}]}.
// `trademon targets --known` reads them through it while serve holds the store.
func (a *API) listRevisions(w http.ResponseWriter, r *http.Request, _ *auth.Principal) {
	f, ok := queryFilter(w, r)
	if !ok {
		return
	}
	rs, err := a.Store.Revisions(r.Context(), f)
	if err != nil {
		a.fail(w, err)
		return
	}
	if rs == nil {
		rs = []obs.Revision{}
	}
	server.JSON(w, http.StatusOK, map[string]any{"revisions": rs})
}

// queryFilter reads the store filter of a listing request (indicator, region,
// source_kind, basis, from, to); on a bad parameter it answers 422 naming it and
// returns false.
func queryFilter(w http.ResponseWriter, r *http.Request) (store.Filter, bool) {
	q := r.URL.Query()
	f := store.Filter{Region: q.Get("region")}
	refuse := func(field, msg string) (store.Filter, bool) {
		server.JSON(w, http.StatusUnprocessableEntity, map[string]string{"error": msg, "field": field})
		return store.Filter{}, false
	}
	for _, id := range splitList(q["indicator"]) {
		if _, ok := obs.Lookup(id); !ok {
			return refuse("indicator", obs.UnknownIndicatorError(id).Error())
		}
		f.Indicators = append(f.Indicators, id)
	}
	for _, k := range splitList(q["source_kind"]) {
		kind, err := obs.ParseSourceKind(k)
		if err != nil {
			return refuse("source_kind", err.Error())
		}
		f.SourceKinds = append(f.SourceKinds, kind)
	}
	for _, b := range splitList(q["basis"]) {
		basis, err := obs.ParseBasis(b)
		if err != nil {
			return refuse("basis", err.Error())
		}
		f.Bases = append(f.Bases, basis)
	}
	for _, bound := range []struct {
		name string
		set  func(obs.Period)
	}{{"from", func(p obs.Period) { f.From = p.Start() }}, {"to", func(p obs.Period) { f.To = p.End() }}} {
		if s := q.Get(bound.name); s != "" {
			p, err := validate.ParsePeriod(s)
			if err != nil {
				return refuse(bound.name, fmt.Sprintf("%q is not a period (2024, 2024-Q3, 2024-09)", s))
			}
			bound.set(p)
		}
	}
	return f, true
}

// splitList reads repeated and comma-separated query values.
func splitList(vs []string) []string {
	var out []string
	for _, v := range vs {
		for s := range strings.SplitSeq(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}
