// Package api serves trademon's JSON write and read API for staff (DESIGN.md "HTTP"):
// observations, import, tasks, the audit trail, approvals and locks under /api/v1/.
// Every request is authenticated by a Bearer token or a login session (then writes
// need the X-CSRF-Token header); errors are JSON {"error": ...} with a 4xx code and,
// for a refused field, "field". Bodies over the configured size get 413, a wrong
// content type 415.
package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/trademon/trademon/internal/auth"
	"github.com/trademon/trademon/internal/entry"
	"github.com/trademon/trademon/internal/server"
	"github.com/trademon/trademon/internal/state"
	"github.com/trademon/trademon/internal/store"
)

// Defaults of the body limits.
const (
	DefaultMaxBodyBytes   = 1 << 20
	DefaultMaxUploadBytes = 10 << 20
)

// API holds what the handlers need.
type API struct {
	Entry *entry.Service
	Auth  *auth.Authenticator
	Store store.Store
	State *state.DB
	// MaxBodyBytes caps JSON bodies, MaxUploadBytes import files.
	MaxBodyBytes, MaxUploadBytes int64
	Logger                       *slog.Logger
	Now                          func() time.Time

	idem sync.Map // user\x00key → *sync.Mutex: one request per Idempotency-Key at a time
}

// Mux is where the routes are mounted (a *server.Server or an *http.ServeMux).
type Mux interface {
	Handle(pattern string, h http.Handler)
}

// anonymous is the "role" of routes anyone may read.
const anonymous auth.Role = 0

// Mount mounts every route of the API on m.
func (a *API) Mount(m Mux) {
	if a.MaxBodyBytes <= 0 {
		a.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if a.MaxUploadBytes <= 0 {
		a.MaxUploadBytes = DefaultMaxUploadBytes
	}
	if a.Logger == nil {
		a.Logger = slog.New(slog.DiscardHandler)
	}
	if a.Now == nil {
		a.Now = time.Now
	}
	for _, r := range Routes {
		m.Handle(r.Pattern, a.guard(r.Role, a.handler(r.Pattern)))
	}
}

// Route is one endpoint and the least role it needs. The table is what the role
// matrix test walks.
type Route struct {
	Pattern string
	Role    auth.Role
}

// Routes lists every endpoint of the API.
var Routes = []Route{
	{"GET /api/v1/whoami", auth.Viewer},
	{"GET /api/v1/observations", auth.Viewer},
	{"POST /api/v1/observations", auth.Editor},
	{"GET /api/v1/revisions", auth.Viewer},
	{"POST /api/v1/import", auth.Editor},
	{"GET /api/v1/tasks", anonymous},
	{"POST /api/v1/tasks", auth.Editor},
	{"GET /api/v1/audit", auth.Viewer},
	{"GET /api/v1/approvals", auth.Viewer},
	{"POST /api/v1/approvals/{id}/approve", auth.Approver},
	{"POST /api/v1/approvals/{id}/reject", auth.Approver},
	{"GET /api/v1/locks", auth.Viewer},
	{"POST /api/v1/locks/unlock", auth.Admin},
}

type handlerFunc func(w http.ResponseWriter, r *http.Request, p *auth.Principal)

func (a *API) handler(pattern string) handlerFunc {
	switch pattern {
	case "GET /api/v1/whoami":
		return a.whoami
	case "GET /api/v1/observations":
		return a.listObservations
	case "POST /api/v1/observations":
		return a.idempotent(a.postObservations)
	case "GET /api/v1/revisions":
		return a.listRevisions
	case "POST /api/v1/import":
		return a.postImport
	case "GET /api/v1/tasks":
		return a.listTasks
	case "POST /api/v1/tasks":
		return a.postTask
	case "GET /api/v1/audit":
		return a.listAudit
	case "GET /api/v1/approvals":
		return a.listApprovals
	case "POST /api/v1/approvals/{id}/approve":
		return a.approve
	case "POST /api/v1/approvals/{id}/reject":
		return a.reject
	case "GET /api/v1/locks":
		return a.listLocks
	case "POST /api/v1/locks/unlock":
		return a.unlock
	}
	panic("api: no handler for " + pattern)
}

// guard authenticates the request and checks the role and, for writes from a
// session, the CSRF token.
func (a *API) guard(min auth.Role, h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := a.Auth.Identify(r)
		var rl *auth.RateLimitedError
		switch {
		case errors.As(err, &rl):
			w.Header().Set("Retry-After", strconv.Itoa(int(rl.RetryAfter.Seconds())+1))
			server.Error(w, http.StatusTooManyRequests, err.Error())
			return
		case errors.Is(err, auth.ErrBadToken):
			w.Header().Set("WWW-Authenticate", `Bearer realm="trademon"`)
			server.Error(w, http.StatusUnauthorized, err.Error())
			return
		case err != nil:
			a.Logger.Error("identify request", "err", err)
			server.Error(w, http.StatusInternalServerError, "cannot check the session: "+err.Error())
			return
		}
		if min > anonymous {
			if p == nil {
				w.Header().Set("WWW-Authenticate", `Bearer realm="trademon"`)
				server.Error(w, http.StatusUnauthorized, "authentication required: send Authorization: Bearer TOKEN (`trademon token NAME` makes one) or log in at /login")
				return
			}
			if p.Role < min {
				server.Error(w, http.StatusForbidden, fmt.Sprintf("%s is a %s; this needs the %s role or higher", p.Name, p.Role, min))
				return
			}
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead && !auth.CSRFValid(r, p) {
			server.Error(w, http.StatusForbidden, "missing or wrong CSRF token: send the X-CSRF-Token header of your session (scripts: use a Bearer token instead)")
			return
		}
		h(w, r, p)
	})
}

// fail writes err as the JSON error it is: a refused submission with its status and
// field, a file the importer cannot read as 422, anything else as 500.
func (a *API) fail(w http.ResponseWriter, err error) {
	var re *entry.RefusedError
	if errors.As(err, &re) {
		body := map[string]any{"error": re.Msg, "code": re.Code, "index": re.Index}
		if re.Field != "" {
			body["field"] = re.Field
		}
		if re.Outlier != nil {
			body["outlier"] = re.Outlier
			body["error"] = re.Msg + ` To store it anyway, send it again with "confirm" set to your comment.`
		}
		server.JSON(w, re.Status, body)
		return
	}
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		server.Error(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body larger than the %d bytes allowed", tooBig.Limit))
		return
	}
	a.Logger.Error("request failed", "err", err)
	server.Error(w, http.StatusInternalServerError, err.Error())
}

// decodeJSON reads a JSON body of at most MaxBodyBytes into v, strictly.
func (a *API) decodeJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	if !hasType(r, "application/json") {
		server.Error(w, http.StatusUnsupportedMediaType, fmt.Sprintf("Content-Type %q: send application/json", r.Header.Get("Content-Type")))
		return false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, a.MaxBodyBytes))
	if err != nil {
		a.fail(w, err)
		return false
	}
	// encoding/json would turn invalid UTF-8 into U+FFFD and store the garbage.
	if !utf8.Valid(body) {
		server.Error(w, http.StatusBadRequest, "invalid JSON: the body is not valid UTF-8: send UTF-8 text")
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		server.JSON(w, http.StatusBadRequest, map[string]string{"error": "invalid JSON: " + err.Error()})
		return false
	}
	if dec.More() {
		server.Error(w, http.StatusBadRequest, "invalid JSON: more than one value in the body")
		return false
	}
	return true
}

func hasType(r *http.Request, want string) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == want
}

func (a *API) whoami(w http.ResponseWriter, _ *http.Request, p *auth.Principal) {
	server.JSON(w, http.StatusOK, map[string]any{"name": p.Name, "display": p.Display, "role": p.Role.String(),
		"indicators": orEmpty(p.Indicators), "departments": orEmpty(p.Departments), "via": p.Via})
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// idempotent makes a handler honour Idempotency-Key: the first 2xx answer for a user's
// key is saved durably and replayed for a retry of the same request; the same key
// with another request is refused.
func (a *API) idempotent(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p *auth.Principal) {
		key := strings.TrimSpace(r.Header.Get("Idempotency-Key"))
		if key == "" {
			h(w, r, p)
			return
		}
		if len(key) > 200 {
			server.JSON(w, http.StatusUnprocessableEntity, map[string]string{"error": "Idempotency-Key is longer than 200 characters", "field": "Idempotency-Key"})
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, a.MaxBodyBytes))
		if err != nil {
			a.fail(w, err)
			return
		}
		sum := sha256.Sum256(append([]byte(r.Method+" "+r.URL.Path+"\n"), body...))
		hash := hex.EncodeToString(sum[:])
		// Once the first answer is saved the state file decides, so the mutex can go.
		slot := p.Name + "\x00" + key
		mu, _ := a.idem.LoadOrStore(slot, &sync.Mutex{})
		mu.(*sync.Mutex).Lock()
		defer func() {
			a.idem.Delete(slot)
			mu.(*sync.Mutex).Unlock()
		}()
		if ans, ok, err := a.State.Answer(p.Name, key, a.Now()); err != nil {
			a.fail(w, err)
			return
		} else if ok {
			if ans.RequestHash != hash {
				server.JSON(w, http.StatusUnprocessableEntity, map[string]string{"error": "this Idempotency-Key was used for a different request: use a new key for a new request", "field": "Idempotency-Key"})
				return
			}
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.Header().Set("Idempotent-Replayed", "true")
			w.WriteHeader(ans.Status)
			_, _ = w.Write(ans.Body)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := &capture{ResponseWriter: w}
		h(rec, r, p)
		if rec.code >= 200 && rec.code < 300 {
			if err := a.State.PutAnswer(p.Name, key, state.Answer{RequestHash: hash, Status: rec.code, Body: rec.buf.Bytes(), At: a.Now()}); err != nil {
				// The figures are stored; only the replay is lost. A retry finds them unchanged.
				a.Logger.Error("save the idempotent answer", "err", err)
			}
		}
	}
}

// capture keeps a copy of what a handler writes.
type capture struct {
	http.ResponseWriter
	code int
	buf  bytes.Buffer
}

func (c *capture) WriteHeader(code int) {
	if c.code == 0 {
		c.code = code
	}
	c.ResponseWriter.WriteHeader(code)
}

func (c *capture) Write(b []byte) (int, error) {
	if c.code == 0 {
		c.code = http.StatusOK
	}
	c.buf.Write(b)
	return c.ResponseWriter.Write(b)
}
