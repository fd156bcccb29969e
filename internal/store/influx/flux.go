package influx

import (
	"fmt"
	"strings"
	"time"

	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/store"
)

// The Flux here sticks to what InfluxDB 1.8 (Flux 0.65) and 2.x both run: from, range,
// filter and pivot, with no imports.

var (
	// minTime and maxTime bound every range: the times InfluxDB can store.
	minTime = time.Unix(0, -9223372036854775806).UTC()
	maxTime = time.Unix(0, 9223372036854775806).UTC()
)

// fluxString quotes s as a Flux string literal.
func fluxString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"', '\\', '$':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func fluxTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// anyOf returns a predicate matching a tag against any of values.
func anyOf[T ~string](tag string, values []T) string {
	parts := make([]string, len(values))
	for i, v := range values {
		parts[i] = "r." + tag + " == " + fluxString(string(v))
	}
	return "(" + strings.Join(parts, " or ") + ")"
}

// fluxSelect builds the query of a measurement's points selected by f, one row per
// point with its fields as columns. byPeriod says the points are dated at their period
// start, so that f's From and To bound the time range; otherwise they are applied by
// the caller (revisions are dated when the change happened).
func fluxSelect(bucket, measurement string, f store.Filter, byPeriod bool) (string, bool) {
	start, stop := minTime, maxTime
	if byPeriod {
		if !f.From.IsZero() && f.From.After(start) {
			start = f.From
		}
		if !f.To.IsZero() && f.To.Before(stop) {
			stop = f.To
		}
		if !stop.After(start) {
			return "", false
		}
	}
	preds := []string{"r._measurement == " + fluxString(measurement)}
	if len(f.Indicators) > 0 {
		preds = append(preds, anyOf("indicator", f.Indicators))
	}
	if f.Region != "" {
		preds = append(preds, "r.region == "+fluxString(f.Region))
	}
	if len(f.Bases) > 0 {
		preds = append(preds, anyOf("basis", f.Bases))
	}
	if len(f.SourceKinds) > 0 {
		preds = append(preds, anyOf("source_kind", f.SourceKinds))
	}
	return fmt.Sprintf("from(bucket: %s)\n"+
		"  |> range(start: %s, stop: %s)\n"+
		"  |> filter(fn: (r) => %s)\n"+
		`  |> pivot(rowKey: ["_time"], columnKey: ["_field"], valueColumn: "_value")`,
		fluxString(bucket), fluxTime(start), fluxTime(stop), strings.Join(preds, " and ")), true
}

// row reads typed columns of a pivoted Flux record.
type row map[string]any

func (r row) str(k string) string {
	s, _ := r[k].(string)
	return s
}

func (r row) float(k string) (float64, error) {
	switch v := r[k].(type) {
	case float64:
		return v, nil
	case nil:
		return 0, fmt.Errorf("field %s is missing", k)
	default:
		return 0, fmt.Errorf("field %s is a %T, not a float", k, v)
	}
}

func (r row) bool(k string) bool {
	b, _ := r[k].(bool)
	return b
}

func (r row) time(k string) (time.Time, error) {
	s := r.str(k)
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("field %s: %w", k, err)
	}
	return t.UTC(), nil
}

// observation decodes the tags, value and provenance shared by all measurements (the
// source is a field of observations and revisions and a tag of conflicts).
func (r row) observation() (obs.Observation, error) {
	o := obs.Observation{
		Indicator:  r.str("indicator"),
		Region:     r.str("region"),
		Basis:      obs.Basis(r.str("basis")),
		SourceKind: obs.SourceKind(r.str("source_kind")),
		Source:     r.str("source"),
		Unit:       r.str("unit"),
		URL:        r.str("url"),
		Quote:      r.str("quote"),
		EnteredBy:  r.str("entered_by"),
		Estimate:   r.bool("estimate"),
		Qualifier:  r.str("qualifier"),
		Note:       r.str("note"),
	}
	var err error
	if o.Period, err = obs.ParsePeriod(r.str("period")); err != nil {
		return o, fmt.Errorf("tag period: %w", err)
	}
	if o.Value, err = r.float("value"); err != nil {
		return o, err
	}
	if o.PublishedAt, err = r.time("published_at"); err != nil {
		return o, err
	}
	if o.RetrievedAt, err = r.time("retrieved_at"); err != nil {
		return o, err
	}
	if r.bool("yoy_stated") {
		yoy, err := r.float("yoy")
		if err != nil {
			return o, err
		}
		o.YoY = &yoy
	}
	if _, ok := r["resolution"]; ok { // points written before trademon kept it have none
		if o.Resolution, err = r.float("resolution"); err != nil {
			return o, err
		}
	}
	return o, nil
}

// optFloat returns the float column k, or nil when the point has no such field.
func (r row) optFloat(k string) (*float64, error) {
	if _, ok := r[k]; !ok {
		return nil, nil
	}
	v, err := r.float(k)
	if err != nil {
		return nil, err
	}
	return &v, nil
}
