package influx

import (
	"strconv"
	"time"

	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/store/spool"
)

// Measurements of the InfluxDB schema (DESIGN.md, "Storage").
const (
	MeasurementObservation = "observation"
	MeasurementRevision    = "revision"
	MeasurementConflict    = "conflict"
)

// appendItem appends the line protocol of a spooled write: an observation point (and
// a revision point when it changes a figure) or a conflict point. It writes straight
// into dst, without building client Point values, because it runs for every point the
// spool delivers.
func appendItem(dst []byte, it *spool.Item) []byte {
	switch {
	case it.Observation != nil:
		dst = appendObservation(dst, it.Observation)
		if it.Revision != nil {
			dst = appendRevision(dst, it.Revision)
		}
	case it.Conflict != nil:
		dst = appendConflict(dst, it.Conflict)
	}
	return dst
}

// appendObservation writes measurement observation: tags indicator, region, basis,
// period, source_kind; value always a float; provenance as strings; time = period start.
func appendObservation(dst []byte, o *obs.Observation) []byte {
	dst = append(dst, MeasurementObservation...)
	dst = appendTags(dst, o, "")
	dst = append(dst, ' ')
	dst = appendFloatField(dst, "value", o.Value, true)
	dst = appendProvenance(dst, o, true)
	return appendTime(dst, o.Time())
}

// appendRevision writes measurement revision, dated when the change was acknowledged.
func appendRevision(dst []byte, r *obs.Revision) []byte {
	o := &r.Observation
	dst = append(dst, MeasurementRevision...)
	dst = appendTags(dst, o, "")
	dst = append(dst, ' ')
	dst = appendFloatField(dst, "value", o.Value, true)
	dst = appendFloatField(dst, "previous_value", r.PreviousValue, false)
	dst = appendStringField(dst, "previous_source", r.PreviousSource)
	dst = appendBoolField(dst, "previous_estimate", r.PreviousEstimate)
	dst = appendProvenance(dst, o, true)
	return appendTime(dst, r.At)
}

// appendConflict writes measurement conflict: the alternative's tags plus its source
// as a tag, dated at the period start so that recording it again replaces it.
func appendConflict(dst []byte, c *obs.Conflict) []byte {
	o := &c.Alternative
	dst = append(dst, MeasurementConflict...)
	dst = appendTags(dst, o, o.Source)
	dst = append(dst, ' ')
	dst = appendFloatField(dst, "value", o.Value, true)
	dst = appendFloatField(dst, "existing_value", c.ExistingValue, false)
	dst = appendStringField(dst, "existing_source", c.ExistingSource)
	dst = appendStringField(dst, "existing_url", c.ExistingURL)
	dst = appendStringField(dst, "detected_at", formatTime(c.DetectedAt))
	dst = appendProvenance(dst, o, false)
	return appendTime(dst, o.Time())
}

// appendTags writes the tags in key order (InfluxDB sorts them anyway); source is
// the conflict measurement's extra tag, "" elsewhere.
func appendTags(dst []byte, o *obs.Observation, source string) []byte {
	dst = appendTag(dst, "basis", string(o.Basis))
	dst = appendTag(dst, "indicator", o.Indicator)
	dst = appendTag(dst, "period", o.Period.String())
	dst = appendTag(dst, "region", o.Region)
	if source != "" {
		dst = appendTag(dst, "source", source)
	}
	return appendTag(dst, "source_kind", string(o.SourceKind))
}

// appendProvenance writes the fields every measurement carries about the figure.
// Empty strings are written too, so that an upsert clears what a field held before.
// withSource is false for conflicts, whose source is a tag.
func appendProvenance(dst []byte, o *obs.Observation, withSource bool) []byte {
	dst = appendStringField(dst, "unit", o.Unit)
	dst = appendStringField(dst, "url", o.URL)
	dst = appendStringField(dst, "quote", o.Quote)
	if withSource {
		dst = appendStringField(dst, "source", o.Source)
	}
	dst = appendStringField(dst, "entered_by", o.EnteredBy)
	dst = appendStringField(dst, "published_at", formatTime(o.PublishedAt))
	dst = appendStringField(dst, "retrieved_at", formatTime(o.RetrievedAt))
	dst = appendBoolField(dst, "estimate", o.Estimate)
	dst = appendStringField(dst, "qualifier", o.Qualifier)
	return appendStringField(dst, "note", o.Note)
}

func appendTag(dst []byte, k, v string) []byte {
	dst = append(dst, ',')
	dst = append(dst, k...)
	dst = append(dst, '=')
	for i := 0; i < len(v); i++ {
		switch c := v[i]; c {
		case ',', '=', ' ':
			dst = append(dst, '\\', c)
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

func appendFloatField(dst []byte, k string, v float64, first bool) []byte {
	if !first {
		dst = append(dst, ',')
	}
	dst = append(dst, k...)
	dst = append(dst, '=')
	return strconv.AppendFloat(dst, v, 'g', -1, 64)
}

func appendBoolField(dst []byte, k string, v bool) []byte {
	dst = append(dst, ',')
	dst = append(dst, k...)
	if v {
		return append(dst, "=true"...)
	}
	return append(dst, "=false"...)
}

func appendStringField(dst []byte, k, v string) []byte {
	dst = append(dst, ',')
	dst = append(dst, k...)
	dst = append(dst, '=', '"')
	for i := 0; i < len(v); i++ {
		switch c := v[i]; c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}

func appendTime(dst []byte, t time.Time) []byte {
	dst = append(dst, ' ')
	dst = strconv.AppendInt(dst, t.UnixNano(), 10)
	return append(dst, '\n')
}

// formatTime formats provenance times as RFC 3339 with nanoseconds in UTC, "" for zero.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}
