package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"
	bolt "go.etcd.io/bbolt"

	"github.com/trademon/trademon/internal/apiclient"
	"github.com/trademon/trademon/internal/auth"
	"github.com/trademon/trademon/internal/entry"
	"github.com/trademon/trademon/internal/importer"
	"github.com/trademon/trademon/internal/settings"
	"github.com/trademon/trademon/internal/state"
)

// Exit codes of import.
const (
	exitImportFailed   = 1 // nothing imported: unreadable file, bad header, store failure, bad flags
	exitImportRejected = 2 // some rows rejected (listed); the others were written unless --atomic or --dry-run
)

func (a *app) importCmd() *cobra.Command {
	var (
		dryRun, atomic               bool
		format, who, reason, confirm string
	)
	cmd := &cobra.Command{
		Use:   "import FILE.csv|FILE.xlsx",
		Short: "Import manual figures from CSV or XLSX",
		Long: `Import figures entered by staff from a CSV or XLSX file (first sheet).

The header names the columns, in any order (case-insensitive):
  indicator,period,basis,value,unit,source_url,note
and optionally quote, estimate, published_at, qualifier. The unit may be a display
unit (亿元, 万标箱, %, 亿美元, 项 …); values are converted to base units, and a unit
of another currency or dimension than the indicator's is rejected. CSV may be UTF-8
(with or without BOM) or GB18030 as Excel in China saves it.

Every row is validated; rejected rows are listed with their line and reason. The
good rows are written together in one all-or-nothing write, or not at all with
--atomic. --dry-run shows what would be created, updated or left unchanged and writes
nothing. Figures are stored as source kind manual, entered by --user.

Rows pass the rules of the entry form: a row that changes a stored value needs
--reason, an outlier against history needs --confirm COMMENT, a locked (approved)
period is refused. Run locally, the import acts as an admin (cli:USER) and is
audited. When a running serve holds the store, the import goes through its API
(POST /api/v1/import at the config's listen address) with the token in
TRADEMON_TOKEN, as that token's user, with the same output and exit codes.

Exit codes: 0 every row imported (or, with --dry-run, valid); 1 nothing imported
(unreadable file, bad header, store failure); 2 some rows were rejected — the others
were written unless --atomic or --dry-run was given.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != formatText && format != formatJSON {
				return &exitError{code: exitImportFailed, err: fmt.Errorf("--format: want text or json, got %q", format)}
			}
			if who == "" {
				var err error
				if who, err = defaultUser(); err != nil {
					return &exitError{code: exitImportFailed, err: err}
				}
			}
			path := args[0]
			data, err := importer.ReadFile(path, importer.MaxFileBytes)
			if err != nil {
				return &exitError{code: exitImportFailed, err: fmt.Errorf("import: %w", err)}
			}
			cfg, err := a.loadConfig()
			if err != nil {
				return &exitError{code: exitImportFailed, err: err}
			}
			opts := entry.ImportOptions{DryRun: dryRun, Atomic: atomic, Reason: reason, Confirm: confirm}
			res, ierr := a.importLocal(cmd.Context(), cfg, who, path, data, opts)
			if errors.Is(ierr, errHeld) {
				fmt.Fprintf(a.stderr, "trademon: the store is held by a running trademon serve; importing through its API at %s\n", apiclient.BaseURL(cfg.Listen))
				res, ierr = a.importViaAPI(cmd.Context(), cfg, path, data, opts)
			}
			if res != nil {
				out := cmd.OutOrStdout()
				if format == formatJSON {
					err = res.WriteJSON(out)
				} else {
					err = res.WriteText(out)
				}
				if err != nil {
					return &exitError{code: exitImportFailed, err: err}
				}
			}
			var re *importer.RejectedError
			switch {
			case ierr == nil:
				return nil
			case errors.As(ierr, &re) && ierr == error(re):
				// The only problem is rejected rows, listed above.
				return &exitError{code: exitImportRejected, err: ierr}
			default:
				return &exitError{code: exitImportFailed, err: ierr}
			}
		},
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "classify the rows against the store and write nothing")
	cmd.Flags().BoolVar(&atomic, "atomic", false, "write nothing if any row is rejected")
	cmd.Flags().StringVar(&format, "format", formatText, "output format: text or json")
	cmd.Flags().StringVar(&who, "user", "", `who enters the figures (default: "cli:" and the OS user name; through the API: the token's user)`)
	cmd.Flags().StringVar(&reason, "reason", "", "the reason recorded for rows that change a stored value (without it such rows are rejected)")
	cmd.Flags().StringVar(&confirm, "confirm", "", "a comment confirming rows flagged as outliers (without it they are rejected)")
	return cmd
}

// defaultUser returns "cli:" and the name of the user running trademon.
func defaultUser() (string, error) {
	if u, err := user.Current(); err == nil && strings.TrimSpace(u.Username) != "" {
		return "cli:" + u.Username, nil
	}
	for _, v := range []string{"USER", "LOGNAME", "USERNAME"} {
		if s := strings.TrimSpace(os.Getenv(v)); s != "" {
			return "cli:" + s, nil
		}
	}
	return "", errors.New("import: cannot tell who you are: pass --user NAME")
}

// errHeld says another process (a running serve) holds the store or the state file.
var errHeld = errors.New("held by a running trademon serve")

// importResult is what both import paths print.
type importResult interface {
	WriteText(io.Writer) error
	WriteJSON(io.Writer) error
}

// importLocal imports into the store directly, as the local operator (an admin),
// through the entry rules and with an audit record. It returns errHeld when a running
// serve holds the store or the state file.
func (a *app) importLocal(ctx context.Context, cfg *settings.Config, who, path string, data []byte, opts entry.ImportOptions) (importResult, error) {
	st, err := openStore(ctx, cfg, a.logger, prometheus.NewRegistry())
	if err != nil {
		if errors.Is(err, bolt.ErrTimeout) {
			return nil, errHeld
		}
		return nil, fmt.Errorf("open store: %w", err)
	}
	defer func() {
		if cerr := st.Close(); cerr != nil {
			a.logger.Error("close store", "err", cerr)
		}
	}()
	db, err := state.Open(cfg.Store.Path, time.Second)
	if errors.Is(err, state.ErrHeld) {
		return nil, errHeld
	}
	if err != nil {
		return nil, err
	}
	defer db.Close()
	svc := entry.New(entry.Options{Store: st, State: db, Approval: cfg.Entry.Approval, MaxChange: cfg.Entry.OutlierChange, Logger: a.logger})
	recoverDecisions(svc, a.logger)
	res, err := svc.Import(ctx, auth.Local(who), "local", path, data, opts)
	if res == nil {
		return nil, err
	}
	return res, err
}

// importViaAPI posts the file to the running server with the token in TRADEMON_TOKEN.
func (a *app) importViaAPI(ctx context.Context, cfg *settings.Config, path string, data []byte, opts entry.ImportOptions) (importResult, error) {
	c, err := a.apiClient(cfg)
	if err != nil {
		return nil, err
	}
	res := &entry.ImportResult{}
	if err := c.Import(ctx, path, data, opts.DryRun, opts.Atomic, opts.Reason, opts.Confirm, res); err != nil {
		return nil, err
	}
	if res.Result == nil {
		return nil, errors.New("the server's answer has no import summary")
	}
	res.File = path
	if res.Rejected > 0 {
		return res, &importer.RejectedError{File: path, Rejected: res.Rejected, Rows: res.Rows}
	}
	return res, nil
}

// apiClient returns a client of the server at the config's listen address with the
// token in TRADEMON_TOKEN, or says exactly what to do without one.
func (a *app) apiClient(cfg *settings.Config) (*apiclient.Client, error) {
	base := apiclient.BaseURL(cfg.Listen)
	c, err := apiclient.New(base, a.getenv(settings.EnvToken))
	if errors.Is(err, apiclient.ErrNoToken) {
		return nil, fmt.Errorf("a running trademon serve holds the store (%s), so this goes through its API at %s, which needs a token: "+
			"set %s to an API token of your user (`trademon token NAME` prints one and the sha256: line to add to that user's tokens in the users file), "+
			"or stop serve and run the command again", cfg.Store.Path, base, settings.EnvToken)
	}
	return c, err
}
