package importer

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/store"
	"github.com/trademon/trademon/internal/units"
)

// WriteText prints the result for people: a header saying what happened, the counts,
// every rejected row with its line and reason, and every created or updated row in
// display units. The layout is stable (tests compare it with golden files).
func (r *Result) WriteText(w io.Writer) error {
	var b strings.Builder
	switch {
	case r.DryRun:
		fmt.Fprintf(&b, "import %s: dry run, nothing written\n", r.File)
	case r.Written:
		fmt.Fprintf(&b, "import %s: written\n", r.File)
	case r.Atomic && r.Rejected > 0:
		fmt.Fprintf(&b, "import %s: nothing written (--atomic and %d rows rejected)\n", r.File, r.Rejected)
	default:
		fmt.Fprintf(&b, "import %s: nothing written\n", r.File)
	}
	verb := "" // in a dry run, the counts are what would happen
	if r.DryRun || !r.Written {
		verb = " (would be)"
	}
	fmt.Fprintf(&b, "  rows       %5d\n", r.Rows)
	fmt.Fprintf(&b, "  created    %5d%s\n", r.Created, verb)
	fmt.Fprintf(&b, "  updated    %5d%s\n", r.Updated, verb)
	fmt.Fprintf(&b, "  unchanged  %5d\n", r.Unchanged)
	if r.Queued > 0 {
		fmt.Fprintf(&b, "  queued     %5d (spooled; InfluxDB unreachable)\n", r.Queued)
	}
	fmt.Fprintf(&b, "  rejected   %5d\n", r.Rejected)
	if len(r.Rejections) > 0 {
		b.WriteString("rejected rows:\n")
		for _, rj := range r.Rejections {
			fmt.Fprintf(&b, "  line %d: %s\n", rj.Line, rj.Reason)
		}
	}
	var changed []Change
	for _, c := range r.Changes {
		if c.Outcome == store.Created || c.Outcome == store.Updated || c.Outcome == store.Queued {
			changed = append(changed, c)
		}
	}
	if len(changed) > 0 {
		b.WriteString("changes:\n")
		for _, c := range changed {
			fmt.Fprintf(&b, "  line %d: %s %s %s = %s (%s", c.Line, c.Indicator, c.Basis, c.Period, display(c.Indicator, c.Value), c.Outcome)
			if c.Previous != nil {
				fmt.Fprintf(&b, ", was %s", display(c.Indicator, *c.Previous))
			}
			b.WriteString(")\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteJSON prints the result as one indented JSON object.
func (r *Result) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}

func display(indicator string, v float64) string {
	if ind, ok := obs.Lookup(indicator); ok {
		return units.Format(v, ind.DisplayUnit)
	}
	return fmt.Sprint(v)
}
