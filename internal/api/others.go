package api

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/trademon/trademon/internal/auth"
	"github.com/trademon/trademon/internal/entry"
	"github.com/trademon/trademon/internal/importer"
	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/server"
	"github.com/trademon/trademon/internal/state"
	"github.com/trademon/trademon/internal/store"
)

// Content types of an import upload.
const (
	TypeCSV  = "text/csv"
	TypeXLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
)

// postImport serves POST /api/v1/import?name=FILE&dryRun=true&atomic=true&reason=&confirm=:
// the body is the file itself (Content-Type text/csv or the XLSX type) or a
// multipart/form-data upload with the file in field "file". The answer is the import
// summary `trademon import --format json` prints, with "pending"; 200 even when rows
// were rejected (they are listed), 422 when the file cannot be read.
func (a *API) postImport(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	q := r.URL.Query()
	name := filepath.Base(strings.TrimSpace(q.Get("name")))
	r.Body = http.MaxBytesReader(w, r.Body, a.MaxUploadBytes)
	var data []byte
	var err error
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mt {
	case TypeCSV, TypeXLSX:
		data, err = io.ReadAll(r.Body)
		if name == "." || name == "" {
			name = "upload.csv"
			if mt == TypeXLSX {
				name = "upload.xlsx"
			}
		}
	case "multipart/form-data":
		f, hdr, ferr := r.FormFile("file")
		if ferr != nil {
			if errors.As(ferr, new(*http.MaxBytesError)) {
				a.fail(w, ferr)
				return
			}
			server.JSON(w, http.StatusUnprocessableEntity, map[string]string{"error": "no file: send the CSV or XLSX in the form field \"file\"", "field": "file"})
			return
		}
		defer f.Close()
		data, err = io.ReadAll(f)
		if name == "." || name == "" {
			name = filepath.Base(hdr.Filename)
		}
	default:
		server.Error(w, http.StatusUnsupportedMediaType, fmt.Sprintf("Content-Type %q: send the file as text/csv, %s, or multipart/form-data with field \"file\"", r.Header.Get("Content-Type"), TypeXLSX))
		return
	}
	if err != nil {
		a.fail(w, err)
		return
	}
	opts := entry.ImportOptions{DryRun: boolParam(q.Get("dryRun")), Atomic: boolParam(q.Get("atomic")), Reason: q.Get("reason"), Confirm: q.Get("confirm")}
	res, err := a.Entry.Import(r.Context(), p, auth.Remote(r), name, data, opts)
	if err != nil && !errors.Is(err, importer.ErrRejected) {
		var re *entry.RefusedError
		if errors.As(err, &re) || res != nil {
			a.fail(w, err)
			return
		}
		server.JSON(w, http.StatusUnprocessableEntity, map[string]string{"error": err.Error(), "field": "file"})
		return
	}
	server.JSON(w, http.StatusOK, res)
}

func boolParam(s string) bool {
	b, _ := strconv.ParseBool(strings.TrimSpace(s))
	return b
}

func (a *API) listTasks(w http.ResponseWriter, _ *http.Request, _ *auth.Principal) {
	ts, err := a.Entry.Tasks()
	if err != nil {
		a.fail(w, err)
		return
	}
	server.JSON(w, http.StatusOK, map[string]any{"tasks": ts})
}

func (a *API) postTask(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	var u entry.TaskUpdate
	if !a.decodeJSON(w, r, &u) {
		return
	}
	rec, err := a.Entry.UpdateTask(r.Context(), p, auth.Remote(r), u)
	if err != nil {
		a.fail(w, err)
		return
	}
	server.JSON(w, http.StatusCreated, map[string]any{"task": rec})
}

// listAudit serves GET /api/v1/audit?user=&indicator=&action=&from=&to=&limit=, from
// and to being dates (YYYY-MM-DD, Asia/Shanghai; to inclusive) or RFC 3339 times.
func (a *API) listAudit(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	f, ferr := AuditFilter(r)
	if ferr != nil {
		server.JSON(w, http.StatusUnprocessableEntity, ferr)
		return
	}
	rs, err := a.Entry.Audit(r.Context(), p, f)
	if err != nil {
		a.fail(w, err)
		return
	}
	if rs == nil {
		rs = []store.AuditRecord{}
	}
	server.JSON(w, http.StatusOK, map[string]any{"audit": rs})
}

// AuditFilter reads the audit filters of a request; the error names the field.
func AuditFilter(r *http.Request) (store.AuditFilter, map[string]string) {
	q := r.URL.Query()
	f := store.AuditFilter{User: strings.TrimSpace(q.Get("user")), Indicator: strings.TrimSpace(q.Get("indicator")), Action: store.AuditAction(strings.TrimSpace(q.Get("action")))}
	switch f.Action {
	case "", store.AuditCreate, store.AuditRevise, store.AuditApprove, store.AuditReject, store.AuditUnlock, store.AuditImport, store.AuditLoginFailure, store.AuditTaskUpdate:
	default:
		return f, map[string]string{"error": fmt.Sprintf("unknown action %q (want create, revise, approve, reject, unlock, import, login_failure or task_update)", f.Action), "field": "action"}
	}
	if f.Indicator != "" {
		if _, ok := obs.Lookup(f.Indicator); !ok {
			return f, map[string]string{"error": obs.UnknownIndicatorError(f.Indicator).Error(), "field": "indicator"}
		}
	}
	for _, b := range []struct {
		name string
		dst  *time.Time
		end  bool
	}{{"from", &f.From, false}, {"to", &f.To, true}} {
		s := strings.TrimSpace(q.Get(b.name))
		if s == "" {
			continue
		}
		if t, err := time.Parse(time.RFC3339, s); err == nil {
			*b.dst = t
			continue
		}
		d, err := time.ParseInLocation(time.DateOnly, s, obs.Shanghai)
		if err != nil {
			return f, map[string]string{"error": fmt.Sprintf("%q is not a date: write YYYY-MM-DD or an RFC 3339 time", s), "field": b.name}
		}
		if b.end {
			d = d.AddDate(0, 0, 1)
		}
		*b.dst = d
	}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return f, map[string]string{"error": fmt.Sprintf("%q is not a count", s), "field": "limit"}
		}
		f.Limit = n
	}
	return f, nil
}

func (a *API) listApprovals(w http.ResponseWriter, _ *http.Request, _ *auth.Principal) {
	ps, err := a.Entry.Pending()
	if err != nil {
		a.fail(w, err)
		return
	}
	type pendingOut struct {
		ID          string         `json:"id"`
		Figure      ObservationOut `json:"figure"`
		SubmittedBy string         `json:"submitted_by"`
		SubmittedAt time.Time      `json:"submitted_at"`
		Previous    *float64       `json:"previous_value,omitempty"`
		Reason      string         `json:"reason,omitempty"`
		Comment     string         `json:"comment,omitempty"`
		Warnings    []string       `json:"warnings"`
	}
	out := make([]pendingOut, len(ps))
	for i, p := range ps {
		out[i] = pendingOut{ID: p.ID, Figure: Out(p.Observation), SubmittedBy: p.SubmittedBy, SubmittedAt: p.SubmittedAt,
			Previous: p.Previous, Reason: p.Reason, Comment: p.Comment, Warnings: orEmpty(p.Warnings)}
	}
	server.JSON(w, http.StatusOK, map[string]any{"pending": out})
}

type decisionIn struct {
	Comment string `json:"comment"`
	Reason  string `json:"reason"`
}

func (a *API) approve(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	var in decisionIn
	if r.ContentLength != 0 && !a.decodeJSON(w, r, &in) {
		return
	}
	res, err := a.Entry.Approve(r.Context(), p, auth.Remote(r), r.PathValue("id"), in.Comment)
	if err != nil {
		a.fail(w, err)
		return
	}
	server.JSON(w, http.StatusOK, map[string]any{"observations": []ObservationOut{a.resultOut(res)}})
}

func (a *API) reject(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	var in decisionIn
	if !a.decodeJSON(w, r, &in) {
		return
	}
	if err := a.Entry.Reject(r.Context(), p, auth.Remote(r), r.PathValue("id"), in.Reason); err != nil {
		a.fail(w, err)
		return
	}
	server.JSON(w, http.StatusOK, map[string]string{"status": "rejected", "id": r.PathValue("id")})
}

func (a *API) listLocks(w http.ResponseWriter, _ *http.Request, _ *auth.Principal) {
	ls, err := a.Entry.Locks()
	if err != nil {
		a.fail(w, err)
		return
	}
	if ls == nil {
		ls = []state.Lock{}
	}
	server.JSON(w, http.StatusOK, map[string]any{"locks": ls})
}

type unlockIn struct {
	Indicator string `json:"indicator"`
	Period    string `json:"period"`
	Basis     string `json:"basis"`
	Reason    string `json:"reason"`
}

func (a *API) unlock(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
	var in unlockIn
	if !a.decodeJSON(w, r, &in) {
		return
	}
	if err := a.Entry.Unlock(r.Context(), p, auth.Remote(r), in.Indicator, in.Period, in.Basis, in.Reason); err != nil {
		a.fail(w, err)
		return
	}
	server.JSON(w, http.StatusOK, map[string]string{"status": "unlocked"})
}
