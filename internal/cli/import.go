package cli

import (
	"errors"
	"fmt"
	"os"
	"os/user"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"github.com/trademon/trademon/internal/importer"
	"github.com/trademon/trademon/internal/obs"
)

// Exit codes of import.
const (
	exitImportFailed   = 1 // nothing imported: unreadable file, bad header, store failure, bad flags
	exitImportRejected = 2 // some rows rejected (listed); the others were written unless --atomic or --dry-run
)

func (a *app) importCmd() *cobra.Command {
	var (
		dryRun, atomic bool
		format, who    string
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

The embedded store is a file that one process holds at a time: stop serve before
importing into it. (InfluxDB mode has no such limit.)

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
			ctx := cmd.Context()
			st, err := openStore(ctx, cfg, a.logger, prometheus.NewRegistry())
			if err != nil {
				return &exitError{code: exitImportFailed, err: fmt.Errorf("open store: %w", err)}
			}
			res, ierr := importer.Import(ctx, st, path, data, importer.Options{
				Kind:      obs.KindManual,
				EnteredBy: who,
				Now:       time.Now(),
				DryRun:    dryRun,
				Atomic:    atomic,
				Logger:    a.logger,
			})
			if cerr := st.Close(); cerr != nil {
				ierr = errors.Join(ierr, fmt.Errorf("close store: %w", cerr))
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
	cmd.Flags().StringVar(&who, "user", "", `who enters the figures (default: "cli:" and the OS user name)`)
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
