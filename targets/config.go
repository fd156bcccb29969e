package targets

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/trademon/trademon/config"
	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/settings"
	"github.com/trademon/trademon/internal/units"
)

// Direction says which side of the goal counts as meeting it.
type Direction string

// Directions of a goal.
const (
	// AtLeast goals are met by values at or above the goal ("3300万标箱以上").
	AtLeast Direction = "at_least"
	// AtMost goals are met by values at or below the goal (a ceiling).
	AtMost Direction = "at_most"
)

// PathKind names the shape of the expected path from the baseline to the goal.
type PathKind string

// Path kinds, as DESIGN.md's schedule math defines them.
const (
	// Linear: b + (g−b)·(y−y0)/(Y−y0), equal steps every year.
	Linear PathKind = "linear"
	// Compound: b·(g/b)^((y−y0)/(Y−y0)), equal growth rates every year.
	Compound PathKind = "compound"
)

// Mode says what a target's value is.
type Mode string

// Target modes.
const (
	// Level targets judge the indicator's own value.
	Level Mode = "level"
	// Increase targets judge the growth of a cumulative (stock) count since the end of
	// the baseline year: actual = stock − baseline stock.
	Increase Mode = "increase"
)

// Target is one goal of the plan, as config/targets.yaml states it. Values are in the
// indicator's base unit.
type Target struct {
	// ID names the target in metrics, the API and the page; lower-case letters, digits
	// and underscores.
	ID     string
	NameZH string
	NameEN string
	// Indicator is the catalogue id of the indicator the target is judged on.
	Indicator string
	// Goal is the value to reach in GoalYear: a level, or for mode increase the increase
	// since the baseline.
	Goal     float64
	GoalYear int
	// Direction says whether values at or above (at_least) or at or below (at_most)
	// the goal meet it.
	Direction Direction
	// BaselineYear is the year the path starts from (the plan's is 2020).
	BaselineYear int
	// Baseline is the configured baseline value (for mode increase: the cumulative
	// count at the end of the baseline year); nil means it is read from the baseline
	// year's observation.
	Baseline *float64
	Path     PathKind
	// Tolerance is the at-risk band: a gap in [−Tolerance, 0) is at risk, below it behind.
	Tolerance float64
	Mode      Mode
}

// BuiltinTargetsFile names the embedded targets file in messages.
const BuiltinTargetsFile = "config/targets.yaml (built-in)"

// Builtin parses the targets file embedded in the binary (config/targets.yaml).
func Builtin() ([]Target, error) {
	return ParseTargets(BuiltinTargetsFile, config.TargetsYAML)
}

// targetsFile is the YAML shape of a targets file.
type targetsFile struct {
	Targets []rawTarget `yaml:"targets"`
}

type rawName struct {
	ZH string `yaml:"zh"`
	EN string `yaml:"en"`
}

// rawTarget holds a target as written; quantities are strings so that both a number in
// base units and a display-unit form such as "5000亿美元" can be written.
type rawTarget struct {
	ID           string  `yaml:"id"`
	Name         rawName `yaml:"name"`
	Indicator    string  `yaml:"indicator"`
	Goal         string  `yaml:"goal"`
	GoalYear     int     `yaml:"goal_year"`
	Direction    string  `yaml:"direction"`
	BaselineYear int     `yaml:"baseline_year"`
	Baseline     string  `yaml:"baseline"`
	Path         string  `yaml:"path"`
	Tolerance    string  `yaml:"tolerance"`
	Mode         string  `yaml:"mode"`
}

var targetIDRE = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// ParseTargets decodes and validates a targets file. file names it in messages. Decoding
// is strict: unknown keys are errors. Every problem is reported, each naming the file,
// line, key and what is wrong, in one *settings.Error.
func ParseTargets(file string, data []byte) ([]Target, error) {
	var f targetsFile
	lines, probs := settings.DecodeStrict(file, data, &f)
	if len(probs) > 0 {
		return nil, &settings.Error{Problems: probs}
	}
	p := &settings.Problems{File: file, Lines: lines}
	if len(f.Targets) == 0 {
		p.Addf("targets", "no targets: the file must list at least one under targets:")
		return nil, p.Err()
	}
	out := make([]Target, 0, len(f.Targets))
	firstLine := map[string]int{}
	for i, r := range f.Targets {
		key := fmt.Sprintf("targets[%d]", i)
		t, ok := r.validate(p, key)
		switch {
		case r.ID == "":
		case firstLine[r.ID] != 0:
			p.Addf(key+".id", "duplicate id %q (first used at line %d)", r.ID, firstLine[r.ID])
			ok = false
		default:
			firstLine[r.ID] = lines[key+".id"]
		}
		if ok {
			out = append(out, t)
		}
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

func (r rawTarget) validate(p *settings.Problems, key string) (Target, bool) {
	n := len(p.List)
	t := Target{
		ID: r.ID, NameZH: strings.TrimSpace(r.Name.ZH), NameEN: strings.TrimSpace(r.Name.EN),
		Indicator: r.Indicator, GoalYear: r.GoalYear, BaselineYear: r.BaselineYear,
		Direction: Direction(r.Direction), Path: PathKind(r.Path), Mode: Mode(r.Mode),
	}
	switch {
	case r.ID == "":
		p.Addf(key+".id", "missing: every target needs an id")
	case !targetIDRE.MatchString(r.ID):
		p.Addf(key+".id", "invalid id %q: use lower-case letters, digits and '_', starting with a letter", r.ID)
	}
	if t.NameZH == "" {
		p.Addf(key+".name.zh", "missing: every target needs a Chinese name")
	}
	if t.NameEN == "" {
		p.Addf(key+".name.en", "missing: every target needs an English name")
	}
	ind, indOK := obs.Lookup(r.Indicator)
	switch {
	case r.Indicator == "":
		p.Addf(key+".indicator", "missing: name the indicator the target is judged on")
	case !indOK:
		p.Addf(key+".indicator", "%v", obs.UnknownIndicatorError(r.Indicator))
	case ind.Kind == obs.Rate:
		p.Addf(key+".indicator", "%s is a %s indicator (a conversion rate), not something a target can be judged on", ind.ID, ind.Kind)
		indOK = false
	}
	switch t.Direction {
	case AtLeast, AtMost:
	case "":
		p.Addf(key+".direction", "missing (want at_least or at_most)")
	default:
		p.Addf(key+".direction", "unknown direction %q (want at_least or at_most)", r.Direction)
	}
	switch t.Path {
	case Linear, Compound:
	case "":
		p.Addf(key+".path", "missing (want linear or compound)")
	default:
		p.Addf(key+".path", "unknown path %q (want linear or compound)", r.Path)
	}
	switch t.Mode {
	case Level:
	case Increase:
		if indOK && ind.Kind != obs.Stock {
			p.Addf(key+".mode", "mode increase needs a stock (cumulative) indicator, but %s is a %s indicator", ind.ID, ind.Kind)
		}
		if t.Path == Compound {
			p.Addf(key+".path", "mode increase needs path linear: an increase starts from 0, which a compound path cannot grow from")
		}
	case "":
		p.Addf(key+".mode", "missing (want level or increase)")
	default:
		p.Addf(key+".mode", "unknown mode %q (want level or increase)", r.Mode)
	}
	yearOK := true
	for _, y := range []struct {
		k string
		v int
	}{{"baseline_year", r.BaselineYear}, {"goal_year", r.GoalYear}} {
		switch {
		case y.v == 0:
			p.Addf(key+"."+y.k, "missing: want a year such as 2020")
			yearOK = false
		case y.v < 1900 || y.v > 2200:
			p.Addf(key+"."+y.k, "year %d is out of range (1900–2200)", y.v)
			yearOK = false
		}
	}
	if yearOK && r.GoalYear <= r.BaselineYear {
		p.Addf(key+".goal_year", "goal year %d is not after baseline year %d", r.GoalYear, r.BaselineYear)
	}
	if r.Goal == "" {
		p.Addf(key+".goal", "missing: want the value to reach, e.g. 5000亿美元 or 5e11")
	} else if indOK {
		if v, ok := parseValue(p, key+".goal", r.Goal, ind); ok {
			t.Goal = v
			if t.Path == Compound && v <= 0 {
				p.Addf(key+".goal", "a compound path needs a positive goal, got %s", r.Goal)
			}
			if t.Mode == Increase && v <= 0 {
				p.Addf(key+".goal", "an increase goal must be positive, got %s", r.Goal)
			}
		}
	}
	if r.Baseline != "" && indOK {
		if v, ok := parseValue(p, key+".baseline", r.Baseline, ind); ok {
			t.Baseline = &v
			if t.Path == Compound && v <= 0 {
				p.Addf(key+".baseline", "a compound path needs a positive baseline, got %s", r.Baseline)
			}
		}
	}
	switch tol, err := parseRatio(r.Tolerance); {
	case r.Tolerance == "":
		p.Addf(key+".tolerance", "missing: want the at-risk band as a ratio or percentage, e.g. 0.05 or 5%%")
	case err != nil:
		p.Addf(key+".tolerance", "%v", err)
	case tol < 0 || tol >= 1:
		p.Addf(key+".tolerance", "%s is out of range: want at least 0 and below 1 (100%%)", r.Tolerance)
	default:
		t.Tolerance = tol
	}
	return t, len(p.List) == n
}

// parseValue reads a quantity for indicator ind: a plain number is in the base unit,
// anything else is a number with a display unit ("5000亿美元", "31%", "3300万标箱")
// whose unit must convert to ind's base unit.
func parseValue(p *settings.Problems, key, s string, ind obs.Indicator) (float64, bool) {
	s = strings.TrimSpace(s)
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		var base string
		v, base, _, err = units.ParseQuantity(s)
		if err != nil {
			p.Addf(key, "cannot read %q: %v (want a number in %s, or a number with a unit such as %s)", s, err, ind.BaseUnit, ind.DisplayUnit)
			return 0, false
		}
		if base != ind.BaseUnit {
			p.Addf(key, "%q is in %s, but %s is measured in %s (e.g. %s)", s, base, ind.ID, ind.BaseUnit, ind.DisplayUnit)
			return 0, false
		}
	}
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		p.Addf(key, "%q is not a finite number", s)
		return 0, false
	case v < 0:
		p.Addf(key, "%q is negative", s)
		return 0, false
	case ind.Kind == obs.Ratio && v > 1:
		p.Addf(key, "%q is a share above 100%% (write shares as 31%% or 0.31)", s)
		return 0, false
	}
	return v, true
}

// parseRatio reads "0.05" or "5%".
func parseRatio(s string) (float64, error) {
	s = strings.TrimSpace(s)
	if v, err := strconv.ParseFloat(s, 64); err == nil {
		return v, nil
	}
	v, base, _, err := units.ParseQuantity(s)
	if err != nil || base != units.Ratio {
		return 0, fmt.Errorf("cannot read %q: want a ratio such as 0.05 or a percentage such as 5%%", s)
	}
	return v, nil
}
