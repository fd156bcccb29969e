// Package web serves the staff pages: /login, /entry (the entry form, what waits for
// approval, locked periods), /audit and /tasks. They are in Chinese with English
// alongside, rendered on the server, and need no scripts (the CSP forbids them); every
// form carries a CSRF token.
package web

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/trademon/trademon/internal/auth"
	"github.com/trademon/trademon/internal/entry"
)

//go:embed templates/*.tmpl
var files embed.FS

var tmpl = template.Must(template.New("web").Funcs(template.FuncMap{
	"field": func(want, got, msg string) fieldErr { return fieldErr{Want: want, Got: got, Msg: msg} },
}).ParseFS(files, "templates/*.tmpl"))

type fieldErr struct{ Want, Got, Msg string }

// Web holds what the pages need.
type Web struct {
	Entry *entry.Service
	Auth  *auth.Authenticator
	// MaxBodyBytes caps a form body.
	MaxBodyBytes int64
	Logger       *slog.Logger
}

// Mux is where the pages are mounted.
type Mux interface {
	Handle(pattern string, h http.Handler)
}

// Route is one page or form action and the least role it needs (0: anyone).
type Route struct {
	Pattern string
	Role    auth.Role
}

// Routes lists every page and form action; the role matrix test walks it.
var Routes = []Route{
	{"GET /login", 0},
	{"POST /login", 0},
	{"POST /logout", auth.Viewer},
	{"GET /entry", auth.Viewer},
	{"POST /entry", auth.Editor},
	{"POST /entry/approve", auth.Approver},
	{"POST /entry/reject", auth.Approver},
	{"POST /entry/unlock", auth.Admin},
	{"GET /audit", auth.Viewer},
	{"GET /tasks", 0},
	{"POST /tasks", auth.Editor},
}

// Mount mounts the pages on m.
func (h *Web) Mount(m Mux) {
	if h.MaxBodyBytes <= 0 {
		h.MaxBodyBytes = 1 << 20
	}
	if h.Logger == nil {
		h.Logger = slog.New(slog.DiscardHandler)
	}
	for _, r := range Routes {
		m.Handle(r.Pattern, h.guard(r.Role, h.handler(r.Pattern)))
	}
}

type pageFunc func(w http.ResponseWriter, r *http.Request, p *auth.Principal)

func (h *Web) handler(pattern string) pageFunc {
	switch pattern {
	case "GET /login":
		return h.loginPage
	case "POST /login":
		return h.login
	case "POST /logout":
		return h.logout
	case "GET /entry":
		return h.entryPage
	case "POST /entry":
		return h.submit
	case "POST /entry/approve":
		return h.approve
	case "POST /entry/reject":
		return h.reject
	case "POST /entry/unlock":
		return h.unlock
	case "GET /audit":
		return h.auditPage
	case "GET /tasks":
		return h.tasksPage
	case "POST /tasks":
		return h.updateTask
	}
	panic("web: no handler for " + pattern)
}

// base is what every page shows in its header.
type base struct {
	Title   string
	User    *auth.Principal
	CSRF    string
	NoUsers bool
}

func (h *Web) base(title string, p *auth.Principal) base {
	b := base{Title: title, User: p, NoUsers: h.Auth.Users() == nil}
	if p != nil {
		b.CSRF = p.CSRF
	}
	return b
}

// guard identifies the user, sends an anonymous visitor of a page that needs a login
// to /login, refuses a role too low, and checks form bodies: their size, their type
// and, for a session, the CSRF token.
func (h *Web) guard(min auth.Role, next pageFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := h.Auth.Identify(r)
		if err != nil {
			h.page(w, http.StatusUnauthorized, "error", errorPage{base: h.base("错误 Error", nil), Error: err.Error()})
			return
		}
		if r.Method == http.MethodPost {
			if !isForm(r) {
				h.page(w, http.StatusUnsupportedMediaType, "error", errorPage{base: h.base("错误 Error", p), Error: "表单类型错误 Send the form as application/x-www-form-urlencoded."})
				return
			}
			r.Body = http.MaxBytesReader(w, r.Body, h.MaxBodyBytes)
			if err := r.ParseForm(); err != nil {
				code := http.StatusBadRequest
				if errors.As(err, new(*http.MaxBytesError)) {
					code = http.StatusRequestEntityTooLarge
				}
				h.page(w, code, "error", errorPage{base: h.base("错误 Error", p), Error: "表单无法读取 The form cannot be read: " + err.Error()})
				return
			}
		}
		if min > 0 && p == nil {
			if r.Method == http.MethodGet && h.Auth.Users() != nil {
				http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			if r.Method == http.MethodGet { // no users file: /entry explains what to do
				h.page(w, http.StatusOK, "entry", entryPage{base: h.base("数据录入 Entry", nil)})
				return
			}
			h.page(w, http.StatusUnauthorized, "error", errorPage{base: h.base("错误 Error", nil), Error: "请先登录 Log in first."})
			return
		}
		if p != nil && p.Role < min {
			h.page(w, http.StatusForbidden, "error", errorPage{base: h.base("错误 Error", p),
				Error: fmt.Sprintf("权限不足 Not allowed: %s is a %s; this needs the %s role or higher.", p.Name, p.Role, min)})
			return
		}
		if r.Method == http.MethodPost && min > 0 && !auth.CSRFValid(r, p) {
			h.page(w, http.StatusForbidden, "error", errorPage{base: h.base("错误 Error", p), Error: "表单已过期或来源不明 The form's CSRF token is missing or wrong: reload the page and submit again."})
			return
		}
		next(w, r, p)
	})
}

func isForm(r *http.Request) bool {
	ct := r.Header.Get("Content-Type")
	return strings.HasPrefix(ct, "application/x-www-form-urlencoded") || strings.HasPrefix(ct, "multipart/form-data")
}

type errorPage struct {
	base
	Error string
}

// page renders a template with the status code.
func (h *Web) page(w http.ResponseWriter, code int, name string, data any) {
	var buf bytes.Buffer
	if err := tmpl.ExecuteTemplate(&buf, name, data); err != nil {
		h.Logger.Error("render page", "page", name, "err", err)
		http.Error(w, "render page: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_, _ = w.Write(buf.Bytes())
}

// statusOf returns the HTTP status of a refusal, or 500.
func statusOf(err error) int {
	var re *entry.RefusedError
	if errors.As(err, &re) {
		return re.Status
	}
	return http.StatusInternalServerError
}

// localPath keeps only a path on this site, so a login cannot redirect elsewhere.
func localPath(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/entry"
	}
	return next
}
