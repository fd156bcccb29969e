// Package cli implements trademon's subcommands (DESIGN.md, "Command line"): it parses
// flags, loads the config and wires the packages that do the work.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/trademon/trademon/collectors/fetch"
	"github.com/trademon/trademon/internal/settings"
	"github.com/trademon/trademon/internal/store"
)

// exitError carries a specific exit code out of a command.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// app holds what every subcommand shares: global flags, output streams, the logger.
type app struct {
	configPath string
	logLevel   string
	logFormat  string
	stdout     io.Writer
	stderr     io.Writer
	logger     *slog.Logger
	// env is the environment the config is loaded with; nil means os.Environ().
	env []string
	// hooks let tests observe a running serve.
	hooks serveHooks
}

// serveHooks let tests observe a running serve; production leaves them nil.
type serveHooks struct {
	// listening is called with the bound address once the server accepts connections.
	listening func(net.Addr)
	// wrapStore wraps the opened store (a test records that Close was called).
	wrapStore func(store.Store) store.Store
}

// Main runs trademon with args (without the program name) and returns the exit code.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	a := &app{stdout: stdout, stderr: stderr}
	root := a.rootCmd()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	fmt.Fprintln(stderr, "trademon:", err)
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return 1
}

func (a *app) rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "trademon",
		Short:         "Track Shenzhen's 2025 domestic and foreign trade targets",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			var lvl slog.Level
			if err := lvl.UnmarshalText([]byte(a.logLevel)); err != nil {
				return fmt.Errorf("--log-level: %w", err)
			}
			opts := &slog.HandlerOptions{Level: lvl}
			switch a.logFormat {
			case "text":
				a.logger = slog.New(slog.NewTextHandler(a.stderr, opts))
			case "json":
				a.logger = slog.New(slog.NewJSONHandler(a.stderr, opts))
			default:
				return fmt.Errorf("--log-format: want text or json, got %q", a.logFormat)
			}
			return nil
		},
	}
	root.PersistentFlags().StringVar(&a.configPath, "config", "", "config file (default: built-in defaults, or $"+settings.EnvConfigFile+")")
	root.PersistentFlags().StringVar(&a.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	root.PersistentFlags().StringVar(&a.logFormat, "log-format", "text", "log format on stderr: text or json")
	root.AddCommand(
		a.serveCmd(),
		a.collectCmd(),
		a.backfillCmd(),
		a.targetsCmd(),
		a.explainCmd(),
		a.importCmd(),
		a.checkConfigCmd(),
		a.dashboardsCmd(),
		a.hashPasswordCmd(),
		a.tokenCmd(),
	)
	return root
}

// loadConfig loads the main config named by --config or $TRADEMON_CONFIG.
func (a *app) loadConfig() (*settings.Config, error) {
	path := a.configPath
	if path == "" {
		path = strings.TrimSpace(a.getenv(settings.EnvConfigFile))
	}
	return settings.Load(path, settings.Options{Collectors: collectorNames(), Env: a.env, CheckSource: fetch.CheckSource})
}

func (a *app) getenv(name string) string {
	if a.env == nil {
		return os.Getenv(name)
	}
	for _, kv := range a.env {
		if k, v, ok := strings.Cut(kv, "="); ok && k == name {
			return v
		}
	}
	return ""
}
