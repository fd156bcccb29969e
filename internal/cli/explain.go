package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/units"
	"github.com/trademon/trademon/targets"
)

func (a *app) explainCmd() *cobra.Command {
	var flags evalFlags
	var format string
	cmd := &cobra.Command{
		Use:   "explain TARGET [--at DATE] [--known DATE] [--format text|json]",
		Short: "Show every input, choice and formula behind one verdict",
		Long: `Judge one target and show everything behind its verdict, enough to check it by hand:
every input with its source, URL and quote; which figure was chosen for each slot and
which were set aside and why (precedence, estimate, published after the --known date);
the formulas with the numbers put in; the seasonal share S(m) and the years it came
from; the exchange rates used. --at and --known work as for targets.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			q, err := flags.query()
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			if format != "text" && format != formatJSON {
				return &exitError{code: 2, err: fmt.Errorf("--format: unknown format %q (want text or json)", format)}
			}
			in, err := a.loadEvaluation(cmd.Context(), q)
			if err != nil {
				return err
			}
			t, ok := findTarget(in.targets, args[0])
			if !ok {
				return &exitError{code: 2, err: unknownTargetError(args[0], in.targets)}
			}
			x := in.index.Explain(t)
			if format == formatJSON {
				enc := json.NewEncoder(a.stdout)
				enc.SetIndent("", "  ")
				enc.SetEscapeHTML(false)
				return enc.Encode(x)
			}
			return writeExplanation(a.stdout, x, historyLine(in))
		},
	}
	flags.register(cmd)
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
	return cmd
}

func findTarget(ts []targets.Target, id string) (targets.Target, bool) {
	for _, t := range ts {
		if t.ID == id {
			return t, true
		}
	}
	return targets.Target{}, false
}

func unknownTargetError(id string, ts []targets.Target) error {
	ids := make([]string, len(ts))
	for i, t := range ts {
		ids[i] = t.ID
	}
	return fmt.Errorf("unknown target %q (known: %s)", id, strings.Join(ids, ", "))
}

// writeExplanation prints an explanation as text: verdict, inputs, share, rates, steps, notes.
func writeExplanation(w io.Writer, x targets.Explanation, history string) error {
	ew := &errWriter{w: w}
	v := x.Verdict
	fmt.Fprintf(ew, "%s — %s %s\n", v.Target, v.NameZH, v.NameEN)
	fmt.Fprintln(ew, asOfLine(x.AsOf, x.Known))
	if history != "" {
		fmt.Fprintln(ew, history)
	}
	fmt.Fprintf(ew, "状态 Status: %s %s\n", v.Status.ZH(), v.Status)
	fmt.Fprintf(ew, "目标 Target: %s\n", x.Target.Sentence())
	if v.Period != "" && v.Status != targets.NoData {
		fmt.Fprintf(ew, "实际 Actual %s (%s %s) · 预期 Expected %s · 差距 Gap %+.2f%% · 进度 Progress %.1f%%\n",
			units.Format(v.Actual, v.DisplayUnit), v.Period, v.Basis, units.Format(v.Expected, v.DisplayUnit), v.Gap*100, v.Progress*100)
	}
	fmt.Fprintln(ew, "\n输入 Inputs")
	for _, in := range x.Inputs {
		fmt.Fprintf(ew, "  %s — %s\n", in.Role, in.Slot)
		if in.Chosen != nil {
			writeFigure(ew, "    chosen: ", "      ", *in.Chosen)
		}
		for _, s := range in.SetAside {
			writeFigure(ew, "    set aside: ", "      ", s.Figure)
			fmt.Fprintf(ew, "      why: %s\n", s.Reason)
		}
	}
	if s := x.Share; s != nil {
		fmt.Fprintf(ew, "\n季节系数 Seasonal share S(%d) = %.4f\n  %s\n", s.Month, s.S, s.Rule)
		for _, y := range s.Years {
			fmt.Fprintf(ew, "  %d: %s / %s = %.4f\n", y.Year, units.Format(y.YTD, v.DisplayUnit), units.Format(y.Full, v.DisplayUnit), y.Share)
		}
	}
	if len(x.Rates) > 0 {
		fmt.Fprintln(ew, "\n汇率 Exchange rates")
		for _, r := range x.Rates {
			writeFigure(ew, "  ", "    ", r)
		}
	}
	fmt.Fprintln(ew, "\n计算 Steps")
	for _, s := range x.Steps {
		fmt.Fprintf(ew, "  %s: %s\n", s.Name, s.Formula)
		switch {
		case s.Numbers != "" && s.Result != "":
			fmt.Fprintf(ew, "    = %s = %s\n", s.Numbers, s.Result)
		case s.Numbers != "":
			fmt.Fprintf(ew, "    = %s\n", s.Numbers)
		case s.Result != "":
			fmt.Fprintf(ew, "    = %s\n", s.Result)
		}
	}
	if len(v.Notes) > 0 {
		fmt.Fprintln(ew, "\n说明 Notes")
		for _, n := range v.Notes {
			fmt.Fprintf(ew, "  - %s\n", n)
		}
	}
	return ew.err
}

// writeFigure prints one figure with its provenance and, indented, its operands.
func writeFigure(w io.Writer, first, indent string, f targets.FigureInfo) {
	flags := []string{string(f.SourceKind), f.Source}
	if f.Estimate {
		flags = append(flags, "预计 estimate")
	}
	fmt.Fprintf(w, "%s%s %s %s = %s (%s)\n", first, f.Indicator, f.Basis, f.Period, f.Display, strings.Join(flags, ", "))
	if f.Detail != "" {
		fmt.Fprintf(w, "%show: %s\n", indent, f.Detail)
	}
	if f.URL != "" {
		fmt.Fprintf(w, "%surl: %s\n", indent, f.URL)
	}
	if f.Quote != "" {
		fmt.Fprintf(w, "%squote: %s\n", indent, oneLine(f.Quote))
	}
	if !f.PublishedAt.IsZero() {
		fmt.Fprintf(w, "%spublished: %s\n", indent, f.PublishedAt.In(obs.Shanghai).Format("2006-01-02"))
	}
	if f.YoY != nil {
		fmt.Fprintf(w, "%sstated growth: %+.2f%%\n", indent, *f.YoY*100)
	}
	if f.Note != "" {
		fmt.Fprintf(w, "%snote: %s\n", indent, oneLine(f.Note))
	}
	for _, g := range f.From {
		writeFigure(w, indent+"from: ", indent+"  ", g)
	}
}
