package influx

import (
	"strconv"
	"time"

	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/store"
	"github.com/trademon/trademon/internal/store/spool"
)

// Measurements of the InfluxDB schema (DESIGN.md, "Storage").
const (
	MeasurementObservation = "observation"
	MeasurementRevision    = "revision"
	MeasurementConflict    = "conflict"
	MeasurementEvaluation  = "evaluation"
	MeasurementAudit       = "audit"
)

// appendItem appends the line protocol of a spooled write: an observation point (and
// a revision point when it changes a figure), a conflict, an audit or an evaluation
// point. It writes straight into dst, without building client Point values, because
// it runs for every point the spool delivers.
func appendItem(dst []byte, it *spool.Item) []byte {
	switch {
	case it.Observation != nil:
		dst = appendObservation(dst, it.Observation)
		if it.Revision != nil {
			dst = appendRevision(dst, it.Revision)
		}
	case it.Conflict != nil:
		dst = appendConflict(dst, it.Conflict)
	case it.Audit != nil:
		dst = appendAudit(dst, it.Audit)
	case it.Evaluation != nil:
		dst = appendEvaluation(dst, it.Evaluation, it.At)
	}
	return dst
}

// appendAudit writes measurement audit: tags action and user (omitted when empty,
// which line protocol cannot carry); the values only when there are some; time = the
// record's time, unique within its series (store.NextAuditTime).
func appendAudit(dst []byte, r *store.AuditRecord) []byte {
	dst = append(dst, MeasurementAudit...)
	dst = appendTag(dst, "action", string(r.Action))
	if r.User != "" {
		dst = appendTag(dst, "user", r.User)
	}
	dst = append(dst, " remote="...)
	dst = appendStringValue(dst, r.Remote)
	dst = appendStringField(dst, "indicator", r.Indicator)
	dst = appendStringField(dst, "period", r.Period)
	dst = appendStringField(dst, "basis", string(r.Basis))
	if r.OldValue != nil {
		dst = appendFloatField(dst, "old_value", *r.OldValue, false)
	}
	if r.NewValue != nil {
		dst = appendFloatField(dst, "new_value", *r.NewValue, false)
	}
	dst = appendStringField(dst, "reason", r.Reason)
	dst = appendStringField(dst, "detail", r.Detail)
	return appendTime(dst, r.Time)
}

// appendEvaluation writes measurement evaluation: tags status and target; the values
// and period; recorded_at, the acknowledgement time, by which a reader keeps the
// latest of several records for one target and time; time = when the verdict took
// effect.
func appendEvaluation(dst []byte, e *store.EvaluationRecord, recorded time.Time) []byte {
	dst = append(dst, MeasurementEvaluation...)
	dst = appendTag(dst, "status", e.Status)
	dst = appendTag(dst, "target", e.Target)
	dst = append(dst, ' ')
	dst = appendFloatField(dst, "actual", e.Actual, true)
	dst = appendFloatField(dst, "expected", e.Expected, false)
	dst = appendFloatField(dst, "gap", e.Gap, false)
	dst = appendFloatField(dst, "projected", e.Projected, false)
	dst = appendFloatField(dst, "progress", e.Progress, false)
	dst = appendStringField(dst, "period", e.Period)
	dst = appendStringField(dst, "recorded_at", formatTime(recorded))
	return appendTime(dst, e.Time)
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
	dst = appendStringField(dst, "note", o.Note)
	// yoy is written only when stated; yoy_stated is always written, so that an upsert
	// of a figure without one hides the yoy an earlier write left on the point.
	dst = appendBoolField(dst, "yoy_stated", o.YoY != nil)
	if o.YoY != nil {
		dst = appendFloatField(dst, "yoy", *o.YoY, false)
	}
	return appendFloatField(dst, "resolution", o.Resolution, false)
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
	dst = append(dst, '=')
	return appendStringValue(dst, v)
}

func appendStringValue(dst []byte, v string) []byte {
	dst = append(dst, '"')
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
