package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/text/width"

	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/units"
	"github.com/trademon/trademon/targets"
)

// Output formats of the targets command.
const (
	formatTable = "table"
	formatJSON  = "json"
)

func (a *app) targetsCmd() *cobra.Command {
	var flags evalFlags
	var format string
	cmd := &cobra.Command{
		Use:   "targets [--at DATE] [--known DATE] [--format table|json]",
		Short: "Print the evaluation of every target",
		Long: `Evaluate every target of the targets file against the stored observations and print
status, actual, expected, goal, gap, year-end projection, the period of the actual
figure and its source. The table shows display units (亿元, 万标箱, %); JSON shows base
units (CNY, USD, TEU, count, ratio), one object per target. Figures of the bundled
reference history that the store does not hold yet (serve loads them) count too, so a
first run shows what the overview page will.

--at DATE judges the periods up to DATE with every figure known now: only figures for
periods that had ended by then count. --known DATE judges with only what had been
published by DATE (published_at; else a manual figure's entry time; else the period
end plus the indicator's release lag), each figure in the revision in force then —
"what did we know in July 2024?". --known alone implies --at the same date. DATE is
YYYY-MM (the end of that month) or YYYY-MM-DD (the end of that day), Asia/Shanghai.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			q, err := flags.query()
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			if format != formatTable && format != formatJSON {
				return &exitError{code: 2, err: fmt.Errorf("--format: unknown format %q (want table or json)", format)}
			}
			in, err := a.loadEvaluation(cmd.Context(), q)
			if err != nil {
				return err
			}
			vs := in.index.EvaluateAll(in.targets)
			if format == formatJSON {
				return writeVerdictsJSON(a.stdout, vs)
			}
			return writeVerdictsTable(a.stdout, vs, in)
		},
	}
	flags.register(cmd)
	cmd.Flags().StringVar(&format, "format", formatTable, "output format: table or json")
	return cmd
}

// register adds --at and --known to cmd.
func (f *evalFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.at, "at", "", "judge the periods up to this date, YYYY-MM or YYYY-MM-DD (default: now, or --known)")
	cmd.Flags().StringVar(&f.known, "known", "", "use only what had been published by this date, YYYY-MM or YYYY-MM-DD")
}

// asOfLine renders the as-of (and known) header of the table and the explanation.
func asOfLine(asOf, known time.Time) string {
	s := fmt.Sprintf("截至 As of %s (Asia/Shanghai)", targets.AsOfDate(asOf))
	if !known.IsZero() {
		s += fmt.Sprintf(" · 以 %s 已发布数据为准 Known as of %s", targets.AsOfDate(known), targets.AsOfDate(known))
	}
	return s
}

// historyLine says how many bundled reference figures not yet stored were evaluated.
func historyLine(in *evalInput) string {
	if in.fromHistory == 0 {
		return ""
	}
	return fmt.Sprintf("含参考历史数据 Includes %d reference figures from %s that serve loads into the store at its start", in.fromHistory, in.historyName)
}

// writeVerdictsJSON prints the verdicts as a JSON array (DESIGN.md contract), base units.
func writeVerdictsJSON(w io.Writer, vs []targets.Verdict) error {
	if vs == nil {
		vs = []targets.Verdict{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(vs); err != nil {
		return fmt.Errorf("write verdicts: %w", err)
	}
	return nil
}

// writeVerdictsTable prints one row per target in display units, then the source URL
// and notes of each target.
func writeVerdictsTable(w io.Writer, vs []targets.Verdict, in *evalInput) error {
	ew := &errWriter{w: w}
	fmt.Fprintln(ew, asOfLine(in.index.AsOf(), in.index.Obs().Known()))
	if l := historyLine(in); l != "" {
		fmt.Fprintln(ew, l)
	}
	fmt.Fprintln(ew)
	rows := [][]string{{"目标 Target", "状态 Status", "期间 Period", "实际 Actual", "预期 Expected", "目标值 Goal", "差距 Gap", "年末预测 Projected", "进度 Progress", "来源 Source"}}
	for _, v := range vs {
		rows = append(rows, tableRow(v))
	}
	writeAligned(ew, rows)
	fmt.Fprintf(ew, "\n说明 Notes\n")
	for _, v := range vs {
		fmt.Fprintf(ew, "%s (%s)\n", v.Target, v.NameZH)
		if v.URL != "" {
			fmt.Fprintf(ew, "  source: %s\n", v.URL)
		}
		for _, n := range v.Notes {
			fmt.Fprintf(ew, "  - %s\n", n)
		}
	}
	return ew.err
}

func tableRow(v targets.Verdict) []string {
	name := strings.TrimSpace(v.NameZH + " " + v.NameEN)
	status := v.Status.ZH() + " " + string(v.Status)
	amount := func(x float64) string {
		s := units.Format(x, v.DisplayUnit)
		if v.Mode == targets.Increase {
			s = "+" + s
		}
		return s
	}
	goal := fmt.Sprintf("%s (%d)", amount(v.Goal), v.GoalYear)
	if v.Direction == targets.AtMost {
		goal = "≤ " + goal
	} else {
		goal = "≥ " + goal
	}
	if v.Period == "" {
		return []string{name, status, "—", "—", "—", goal, "—", "—", "—", "—"}
	}
	period := v.Period
	if v.Basis == obs.BasisYTD {
		period += " ytd"
	}
	actual, projected := amount(v.Actual), amount(v.Projected)
	expected, gap, progress := "—", "—", "—"
	if v.Expected != 0 || v.Status != targets.NoData {
		expected = amount(v.Expected)
		gap = fmt.Sprintf("%+.1f%%", v.Gap*100)
		progress = fmt.Sprintf("%.1f%%", v.Progress*100)
	}
	if v.Status == targets.NoData && v.Actual == 0 {
		actual, projected = "—", "—"
	}
	source := v.Source
	if v.Estimate {
		source += " (预计 estimate)"
	}
	return []string{name, status, period, actual, expected, goal, gap, projected, progress, source}
}

// writeAligned writes rows as columns padded to the widest cell, counting East Asian
// wide characters as two columns so that Chinese text lines up in a terminal.
func writeAligned(w io.Writer, rows [][]string) {
	var widths []int
	for _, r := range rows {
		for i, c := range r {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], displayWidth(c))
		}
	}
	for _, r := range rows {
		var b strings.Builder
		for i, c := range r {
			b.WriteString(c)
			if i < len(r)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-displayWidth(c)+2))
			}
		}
		fmt.Fprintln(w, b.String())
	}
}

// displayWidth returns the number of terminal columns s takes.
func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		switch width.LookupRune(r).Kind() {
		case width.EastAsianWide, width.EastAsianFullwidth:
			n += 2
		default:
			n++
		}
	}
	return n
}

// errWriter keeps the first write error, so that printing code stays linear.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	if err != nil {
		e.err = fmt.Errorf("write table: %w", err)
	}
	return n, err
}
