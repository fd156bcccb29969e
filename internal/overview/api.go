package overview

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/trademon/trademon/internal/evaluation"
	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/server"
	"github.com/trademon/trademon/targets"
)

// Evaluator supplies verdicts and explanations: the cached evaluation, or one built
// for another as-of or known date. *evaluation.Service implements it.
type Evaluator interface {
	Source
	Targets() []targets.Target
	Index(ctx context.Context, q evaluation.Query) (*targets.Index, error)
}

// requestError is a problem with the request (a bad date, an unknown target), told
// apart from failures of the evaluation or the store.
type requestError struct {
	code int
	err  error
}

func (e *requestError) Error() string { return e.err.Error() }

// requestQuery reads ?at= and ?known= (YYYY-MM or YYYY-MM-DD, as --at and --known).
func requestQuery(r *http.Request) (evaluation.Query, error) {
	date := func(name string) (time.Time, error) {
		s := strings.TrimSpace(r.URL.Query().Get(name))
		if s == "" {
			return time.Time{}, nil
		}
		t, err := obs.ParseDate(s)
		if err != nil {
			return time.Time{}, &requestError{http.StatusBadRequest, fmt.Errorf("%s: %w", name, err)}
		}
		return t, nil
	}
	at, err := date("at")
	if err != nil {
		return evaluation.Query{}, err
	}
	known, err := date("known")
	return evaluation.Query{At: at, Known: known}, err
}

// explain returns the explanation of target id as r asks (?at=, ?known=).
func explain(r *http.Request, ev Evaluator, id string) (targets.Explanation, error) {
	q, err := requestQuery(r)
	if err != nil {
		return targets.Explanation{}, err
	}
	var t targets.Target
	found := false
	for _, c := range ev.Targets() {
		if c.ID == id {
			t, found = c, true
			break
		}
	}
	if !found {
		ids := make([]string, 0, len(ev.Targets()))
		for _, c := range ev.Targets() {
			ids = append(ids, c.ID)
		}
		return targets.Explanation{}, &requestError{http.StatusNotFound, fmt.Errorf("unknown target %q (known: %s)", id, strings.Join(ids, ", "))}
	}
	ix, err := ev.Index(r.Context(), q)
	if err != nil {
		return targets.Explanation{}, err
	}
	return ix.Explain(t), nil
}

// status maps an error to its HTTP status: 404 for an unknown target, 400 for a bad
// date, 503 when the evaluation or the store is not available.
func status(err error) int {
	if re, ok := errors.AsType[*requestError](err); ok {
		return re.code
	}
	return http.StatusServiceUnavailable
}

// TargetsAPI serves GET /api/v1/targets: the verdicts as `trademon targets --format
// json` prints them (base units), for now or for ?at= and ?known=.
type TargetsAPI struct{ Evaluator Evaluator }

func (h TargetsAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q, err := requestQuery(r)
	if err != nil {
		server.Error(w, status(err), err.Error())
		return
	}
	var vs []targets.Verdict
	if snap, ok := h.Evaluator.Snapshot(); ok && q.IsZero() {
		vs = snap.Verdicts // what /metrics and the overview show
	} else {
		ix, err := h.Evaluator.Index(r.Context(), q)
		if err != nil {
			server.Error(w, status(err), err.Error())
			return
		}
		vs = ix.EvaluateAll(h.Evaluator.Targets())
	}
	if vs == nil {
		vs = []targets.Verdict{}
	}
	server.JSON(w, http.StatusOK, vs)
}

// TargetAPI serves GET /api/v1/targets/{id}: the explained verdict (targets.Explanation).
type TargetAPI struct{ Evaluator Evaluator }

func (h TargetAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	x, err := explain(r, h.Evaluator, r.PathValue("id"))
	if err != nil {
		server.Error(w, status(err), err.Error())
		return
	}
	server.JSON(w, http.StatusOK, x)
}
