package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/trademon/trademon/collectors"
	"github.com/trademon/trademon/internal/obs"
)

// defaultBackfillPages bounds the pages (list and article) one source may fetch in a
// backfill; a source's max_pages bounds regular runs only.
const defaultBackfillPages = 500

func (a *app) backfillCmd() *cobra.Command {
	var from, name string
	var maxPages int
	cmd := &cobra.Command{
		Use:   "backfill --from YYYY-MM [--collector NAME] [--max-pages N]",
		Short: "Crawl source archives for history",
		Long: `Walk every enabled collector's sources (or only --collector NAME) back through
their archives, page by page — the next_selector link of each list page, or the
numbered pages of page_pattern — until the articles are older than --from, and store
every figure they state that passes the safety checks. Writing is idempotent: a second
backfill over the same range changes nothing (0 created, 0 updated), and an unchanged
page costs a 304.

--max-pages caps the pages (list and article) fetched per source; a source that hits
it before reaching --from is reported. A progress bar is drawn on stderr when it is
a terminal. The exit code is 1 when any collector failed, 2 for bad flags.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if from == "" {
				return &exitError{code: 2, err: errors.New("--from YYYY-MM is required: how far back to walk")}
			}
			p, err := obs.ParsePeriod(from)
			if err != nil || p.Granularity() != obs.Month {
				return &exitError{code: 2, err: fmt.Errorf("--from: %q is not a month like 2020-01", from)}
			}
			if maxPages < 1 {
				return &exitError{code: 2, err: fmt.Errorf("--max-pages: must be at least 1, got %d", maxPages)}
			}
			if err := checkCollectorName(name); err != nil {
				return err
			}
			return a.backfill(cmd.Context(), p, name, maxPages)
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "first month to collect, YYYY-MM (required)")
	cmd.Flags().StringVar(&name, "collector", "", "backfill only this collector (one of "+strings.Join(collectorNames(), ", ")+")")
	cmd.Flags().IntVar(&maxPages, "max-pages", defaultBackfillPages, "most pages (list and article) to fetch per source")
	return cmd
}

func (a *app) backfill(ctx context.Context, from obs.Period, name string, maxPages int) error {
	return a.eachCollector(ctx, name, func(runner *collectors.Runner, n string) error {
		bar := a.progressBar("backfill " + n)
		opts := collectors.RunOptions{Backfill: true, From: from, MaxPages: maxPages, Trigger: collectors.TriggerBackfill}
		if bar != nil {
			opts.Progress = func(p collectors.Progress) {
				_ = bar.Set(p.Articles)
				bar.Describe(fmt.Sprintf("backfill %s: %d observations", n, p.Observations))
			}
		}
		run, err := runner.RunOnce(ctx, n, opts)
		if bar != nil {
			_ = bar.Finish()
			fmt.Fprintln(a.stderr)
		}
		if run != nil {
			fmt.Fprintf(a.stdout, "backfill from %s: %s\n", from, runSummary(run))
			for _, s := range run.Sources {
				if s.Truncated {
					fmt.Fprintf(a.stderr, "warning: %s stopped at --max-pages %d before reaching %s; run again with a larger --max-pages\n", s.Source, maxPages, from)
				}
			}
		}
		return err
	})
}

// progressBar returns a spinner counting articles on stderr, or nil when stderr is not
// a terminal (logs and pipes get the summary lines only).
func (a *app) progressBar(desc string) *progressbar.ProgressBar {
	f, ok := a.stderr.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return progressbar.NewOptions(-1,
		progressbar.OptionSetWriter(io.Writer(f)),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionShowCount(),
		progressbar.OptionSetItsString("articles"),
		progressbar.OptionShowIts(),
		progressbar.OptionSpinnerType(14),
		progressbar.OptionThrottle(100*time.Millisecond),
	)
}
