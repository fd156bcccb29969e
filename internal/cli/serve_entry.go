package cli

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/trademon/trademon/internal/api"
	"github.com/trademon/trademon/internal/auth"
	"github.com/trademon/trademon/internal/entry"
	"github.com/trademon/trademon/internal/server"
	"github.com/trademon/trademon/internal/settings"
	"github.com/trademon/trademon/internal/state"
	"github.com/trademon/trademon/internal/store"
	"github.com/trademon/trademon/internal/web"
	"github.com/trademon/trademon/targets"
)

// staffEntry is serve's data entry: the state file, the users in force, the entry
// service and the authenticator.
type staffEntry struct {
	state *state.DB
	users *auth.Directory
	svc   *entry.Service
	auth  *auth.Authenticator
}

// openEntry opens the state file under store.path and reads the users file; the
// entry service writes through st. Call mount once the server exists, and close at
// the end.
func openEntry(cfg *settings.Config, st store.Store, ts []targets.Target, tasks []targets.Task, onTasks func(), log *slog.Logger) (*staffEntry, error) {
	us, err := readUsersFile(cfg.Users, tasks)
	if err != nil {
		return nil, err
	}
	db, err := state.Open(cfg.Store.Path, 0)
	if err != nil {
		return nil, err
	}
	e := &staffEntry{state: db, users: auth.NewDirectory(us)}
	e.svc = entry.New(entry.Options{Store: st, State: db, Approval: cfg.Entry.Approval, MaxChange: cfg.Entry.OutlierChange,
		Targets: ts, Tasks: tasks, Logger: log, OnTasksChanged: onTasks})
	recoverDecisions(e.svc, log)
	la := cfg.Entry.LoginAttempts
	e.auth = auth.New(auth.Options{Users: e.users, Sessions: db, TTL: cfg.Entry.SessionTTL, SecureCookies: cfg.Entry.SecureCookies,
		PerUser: la.PerUser, PerAddress: la.PerAddress, Window: la.Window, OnFailure: e.svc.LoginFailed,
		Logger: log.With("component", "auth")})
	if us == nil {
		log.Warn("no users file (config key users): nobody can log in or write; /entry says how to create the first admin")
	} else {
		log.Info("users loaded", "file", cfg.Users, "users", us.Len())
	}
	return e, nil
}

// recoverDecisions finishes or drops the decisions a crash left half written
// (entry.Service.Recover). When the store cannot show its writes yet (InfluxDB down),
// they wait for the next start, and trademon_entry_unfinished_decisions shows them.
func recoverDecisions(svc *entry.Service, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r, err := svc.Recover(ctx)
	if err != nil {
		log.Warn("unfinished decisions on figures wait for the next start", "err", err)
		return
	}
	if r.Finished+r.Dropped > 0 {
		log.Info("unfinished decisions on figures recovered", "finished", r.Finished, "dropped", r.Dropped)
	}
}

// mount registers the entry metrics and mounts the API and the staff pages.
func (e *staffEntry) mount(srv *server.Server, reg prometheus.Registerer, st store.Store, cfg *settings.Config, log *slog.Logger) {
	reg.MustRegister(e.svc.Collectors()...)
	reg.MustRegister(e.auth.Collector())
	(&api.API{Entry: e.svc, Auth: e.auth, Store: st, State: e.state, MaxBodyBytes: cfg.Entry.MaxBodyBytes,
		MaxUploadBytes: cfg.Entry.MaxUploadBytes, Logger: log.With("component", "api")}).Mount(srv)
	(&web.Web{Entry: e.svc, Auth: e.auth, MaxBodyBytes: cfg.Entry.MaxBodyBytes, Logger: log.With("component", "web")}).Mount(srv)
}

// sweep removes expired sessions and idempotency answers every interval until ctx ends.
func (e *staffEntry) sweep(ctx context.Context, every time.Duration, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		now := time.Now()
		if n, err := e.state.ExpireSessions(now); err != nil {
			log.Warn("expire sessions", "err", err)
		} else if n > 0 {
			log.Debug("sessions expired", "count", n)
		}
		if _, err := e.state.ExpireAnswers(now); err != nil {
			log.Warn("expire idempotency keys", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (e *staffEntry) close() error { return e.state.Close() }
