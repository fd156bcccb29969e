package cli

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/trademon/trademon/collectors"
	"github.com/trademon/trademon/collectors/fetch"
	"github.com/trademon/trademon/internal/auth"
	"github.com/trademon/trademon/internal/evaluation"
	"github.com/trademon/trademon/internal/reload"
	"github.com/trademon/trademon/internal/server"
	"github.com/trademon/trademon/internal/settings"
)

// newReloader returns serve's config reloader (SIGHUP, POST /-/reload): it reads the
// config file again and switches the parts that can change while running — the
// targets and tasks files (their paths and contents) for the evaluation, the users
// file, the collectors (enabled, schedules, sources, timeouts) — all at once, or
// nothing when any of them is broken. listen, store, fetch, history and the entry
// settings need a restart; so do the targets and tasks the entry service links
// figures and task updates to.
func (a *app) newReloader(cfg *settings.Config, eval *evaluation.Service, runner *collectors.Runner, f *fetch.Fetcher, staff *staffEntry, reg prometheus.Registerer, log *slog.Logger) (*reload.Reloader, error) {
	plan := reload.Part{
		Name: "targets",
		Prepare: func(_ context.Context, _, next *settings.Config) (func(), error) {
			ts, _, err := readTargetsFile(next.Targets)
			if err != nil {
				return nil, err
			}
			tasks, _, err := readTasksFile(next.Tasks)
			if err != nil {
				return nil, err
			}
			return func() { eval.SetPlan(ts, tasks) }, nil
		},
	}
	cols := reload.Part{
		Name: "collectors",
		Prepare: func(_ context.Context, _, next *settings.Config) (func(), error) {
			for name, col := range next.Collectors {
				if col == nil || !col.Enabled {
					continue
				}
				if _, err := settings.ParseSchedule(col.Schedule); err != nil {
					return nil, fmt.Errorf("collector %s: schedule %q: %w", name, col.Schedule, err)
				}
			}
			built, err := collectors.Build(next.Collectors, collectors.Deps{Fetcher: f, Logger: log}, "")
			if err != nil {
				return nil, err
			}
			return func() {
				if err := runner.Reconfigure(built, next.Collectors); err != nil {
					log.Error("reconfigure collectors", "err", err) // checked above: not expected
				}
			}, nil
		},
	}
	users := reload.Part{
		Name: "users",
		Prepare: func(_ context.Context, _, next *settings.Config) (func(), error) {
			tasks, _, err := readTasksFile(next.Tasks)
			if err != nil {
				return nil, err
			}
			us, err := readUsersFile(next.Users, tasks)
			if err != nil {
				return nil, err
			}
			return func() { staff.users.Replace(us) }, nil
		},
	}
	return reload.New(reload.Options{
		Load:       a.loadConfig,
		Current:    cfg,
		Parts:      []reload.Part{plan, users, cols},
		Registerer: reg,
		Logger:     log,
	})
}

// adminOnly lets through requests of an admin — with an API token, or a session that
// sends its CSRF token — and answers others with a JSON 401 or 403.
func adminOnly(a *auth.Authenticator, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := a.Identify(r)
		switch {
		case err != nil:
			w.Header().Set("WWW-Authenticate", `Bearer realm="trademon"`)
			server.Error(w, http.StatusUnauthorized, err.Error())
		case p == nil:
			w.Header().Set("WWW-Authenticate", `Bearer realm="trademon"`)
			server.Error(w, http.StatusUnauthorized, "authentication required: send Authorization: Bearer TOKEN of an admin")
		case p.Role < auth.Admin:
			server.Error(w, http.StatusForbidden, fmt.Sprintf("%s is a %s; reloading the config needs the admin role", p.Name, p.Role))
		case !auth.CSRFValid(r, p):
			server.Error(w, http.StatusForbidden, "missing or wrong CSRF token: send the X-CSRF-Token header of your session (scripts: use a Bearer token instead)")
		default:
			h.ServeHTTP(w, r)
		}
	})
}
