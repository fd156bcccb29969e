package cli

// This file holds the subcommands not yet built. Each moves to a file of its own when
// it is implemented; none of them is reachable as "done".

import (
	"errors"

	"github.com/spf13/cobra"
)

var errNotBuilt = errors.New("not implemented yet")

func (a *app) serveCmd() *cobra.Command {
	return &cobra.Command{Use: "serve", Short: "Run the scheduler and the HTTP server", RunE: func(*cobra.Command, []string) error { return errNotBuilt }}
}

func (a *app) collectCmd() *cobra.Command {
	return &cobra.Command{Use: "collect", Short: "Run collectors once now", RunE: func(*cobra.Command, []string) error { return errNotBuilt }}
}

func (a *app) backfillCmd() *cobra.Command {
	return &cobra.Command{Use: "backfill", Short: "Crawl source archives for history", RunE: func(*cobra.Command, []string) error { return errNotBuilt }}
}

func (a *app) targetsCmd() *cobra.Command {
	return &cobra.Command{Use: "targets", Short: "Print the evaluation of every target", RunE: func(*cobra.Command, []string) error { return errNotBuilt }}
}

func (a *app) importCmd() *cobra.Command {
	return &cobra.Command{Use: "import", Short: "Import manual figures from CSV or XLSX", RunE: func(*cobra.Command, []string) error { return errNotBuilt }}
}

func (a *app) checkConfigCmd() *cobra.Command {
	return &cobra.Command{Use: "check-config", Short: "Validate all config files", RunE: func(*cobra.Command, []string) error { return errNotBuilt }}
}

// collectorNames returns the registered collector names (filled in by the collectors work).
func collectorNames() []string { return []string{"port", "retail", "standards", "trade"} }
