package spool

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/store"
)

// The spool file holds records in a compact binary form: it is written on every Put and
// read on every flush, so it avoids JSON. Every record starts with a format version
// byte so that a later release can read what an earlier one left behind.
//
// Version 1 wrote observations without the stated growth (YoY) and the resolution;
// version 2 appends them to every observation and adds the journal's intent kinds.
// Records of both versions are read; new ones are written as version 2.
const (
	codecVersion   = 2
	codecVersionV1 = 1
)

// quarantineVersion is the format of a quarantine record's header (time and error);
// the quarantined intent follows it with its own version.
const quarantineVersion = 1

// Kinds of intent in the outbox.
const (
	kindObservation byte = 1
	kindConflict    byte = 2
	kindAudit       byte = 3 // version 2
	kindEvaluation  byte = 4 // version 2
)

// intent is one acknowledged write waiting for InfluxDB.
type intent struct {
	seq  uint64
	kind byte
	// at is when the write was acknowledged, unique within the spool. It is the
	// timestamp of the revision point if the observation turns out to change a stored
	// figure, and it dates the entry for the oldest-age gauge.
	at         time.Time
	obs        obs.Observation
	conflict   obs.Conflict
	audit      store.AuditRecord
	evaluation store.EvaluationRecord
}

// encodeIntent appends the encoding of it to dst.
func encodeIntent(dst []byte, it *intent) []byte {
	dst = append(dst, codecVersion, it.kind)
	dst = binary.BigEndian.AppendUint64(dst, uint64(it.at.UnixNano()))
	switch it.kind {
	case kindObservation:
		dst = appendObservation(dst, &it.obs)
	case kindConflict:
		c := &it.conflict
		dst = appendObservation(dst, &c.Alternative)
		dst = appendFloat(dst, c.ExistingValue)
		dst = appendString(dst, c.ExistingSource)
		dst = appendString(dst, c.ExistingURL)
		dst = appendTime(dst, c.DetectedAt)
	case kindAudit:
		dst = appendAudit(dst, &it.audit)
	case kindEvaluation:
		dst = appendEvaluation(dst, &it.evaluation)
	}
	return dst
}

func appendAudit(dst []byte, r *store.AuditRecord) []byte {
	dst = appendTime(dst, r.Time)
	dst = appendString(dst, r.User)
	dst = appendString(dst, r.Remote)
	dst = appendString(dst, string(r.Action))
	dst = appendString(dst, r.Indicator)
	dst = appendString(dst, r.Period)
	dst = appendString(dst, string(r.Basis))
	dst = appendOptFloat(dst, r.OldValue)
	dst = appendOptFloat(dst, r.NewValue)
	dst = appendString(dst, r.Reason)
	return appendString(dst, r.Detail)
}

func appendEvaluation(dst []byte, e *store.EvaluationRecord) []byte {
	dst = appendTime(dst, e.Time)
	dst = appendString(dst, e.Target)
	dst = appendString(dst, e.Status)
	dst = appendString(dst, e.Period)
	for _, v := range []float64{e.Actual, e.Expected, e.Gap, e.Projected, e.Progress} {
		dst = appendFloat(dst, v)
	}
	return dst
}

// decodeIntent decodes an intent stored under seq.
func decodeIntent(seq uint64, b []byte) (intent, error) {
	it := intent{seq: seq}
	if len(b) < 10 {
		return it, fmt.Errorf("spool: intent %d: truncated header", seq)
	}
	if b[0] != codecVersion && b[0] != codecVersionV1 {
		return it, fmt.Errorf("spool: intent %d: unknown format version %d", seq, b[0])
	}
	it.kind = b[1]
	it.at = time.Unix(0, int64(binary.BigEndian.Uint64(b[2:10]))).UTC()
	d := decoder{b: b[10:], version: b[0]}
	switch it.kind {
	case kindObservation:
		it.obs = d.observation()
	case kindConflict:
		c := &it.conflict
		c.Alternative = d.observation()
		c.ExistingValue = d.float()
		c.ExistingSource = d.string()
		c.ExistingURL = d.string()
		c.DetectedAt = d.time()
	case kindAudit:
		if d.version < 2 {
			return it, fmt.Errorf("spool: intent %d: kind %d in format version %d", seq, it.kind, d.version)
		}
		it.audit = d.audit()
	case kindEvaluation:
		if d.version < 2 {
			return it, fmt.Errorf("spool: intent %d: kind %d in format version %d", seq, it.kind, d.version)
		}
		it.evaluation = d.evaluation()
	default:
		return it, fmt.Errorf("spool: intent %d: unknown kind %d", seq, it.kind)
	}
	if d.err == nil && len(d.b) > 0 {
		d.err = fmt.Errorf("%d bytes after the record", len(d.b))
	}
	if d.err != nil {
		return it, fmt.Errorf("spool: intent %d: %w", seq, d.err)
	}
	return it, nil
}

// encodeRecord encodes a ledger record: the latest observation stored under a key.
func encodeRecord(dst []byte, o *obs.Observation) []byte {
	dst = append(dst, codecVersion)
	return appendObservation(dst, o)
}

// decodeRecord decodes a ledger record.
func decodeRecord(b []byte) (obs.Observation, error) {
	if len(b) < 1 || (b[0] != codecVersion && b[0] != codecVersionV1) {
		return obs.Observation{}, errors.New("spool: corrupt ledger record")
	}
	d := decoder{b: b[1:], version: b[0]}
	o := d.observation()
	if d.err == nil && len(d.b) > 0 {
		d.err = errors.New("spool: corrupt ledger record: bytes after the record")
	}
	return o, d.err
}

func appendObservation(dst []byte, o *obs.Observation) []byte {
	dst = appendString(dst, o.Indicator)
	dst = appendString(dst, o.Region)
	dst = appendString(dst, o.Period.String())
	dst = appendString(dst, string(o.Basis))
	dst = appendFloat(dst, o.Value)
	dst = appendString(dst, o.Unit)
	dst = appendString(dst, string(o.SourceKind))
	dst = appendString(dst, o.Source)
	dst = appendString(dst, o.URL)
	dst = appendString(dst, o.Quote)
	dst = appendTime(dst, o.PublishedAt)
	dst = appendTime(dst, o.RetrievedAt)
	if o.Estimate {
		dst = append(dst, 1)
	} else {
		dst = append(dst, 0)
	}
	dst = appendString(dst, o.Qualifier)
	dst = appendString(dst, o.EnteredBy)
	dst = appendString(dst, o.Note)
	dst = appendOptFloat(dst, o.YoY)
	return appendFloat(dst, o.Resolution)
}

func appendFloat(dst []byte, v float64) []byte {
	return binary.BigEndian.AppendUint64(dst, math.Float64bits(v))
}

// appendOptFloat writes 0 for nil, else 1 and the value.
func appendOptFloat(dst []byte, v *float64) []byte {
	if v == nil {
		return append(dst, 0)
	}
	return appendFloat(append(dst, 1), *v)
}

func appendString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

// appendTime stores seconds and nanoseconds separately, so that any time.Time, not
// only those within UnixNano's range, round-trips; the zero time is a single 0 byte.
func appendTime(dst []byte, t time.Time) []byte {
	if t.IsZero() {
		return append(dst, 0)
	}
	dst = append(dst, 1)
	dst = binary.AppendVarint(dst, t.Unix())
	return binary.AppendUvarint(dst, uint64(t.Nanosecond()))
}

// decoder reads what the append functions wrote in the given format version; the
// first error sticks.
type decoder struct {
	b       []byte
	version byte
	err     error
}

func (d *decoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("truncated or corrupt %s", what)
	}
	d.b = nil
}

func (d *decoder) string() string {
	n, k := binary.Uvarint(d.b)
	if k <= 0 || uint64(len(d.b)-k) < n {
		d.fail("string")
		return ""
	}
	s := string(d.b[k : k+int(n)])
	d.b = d.b[k+int(n):]
	return s
}

func (d *decoder) float() float64 {
	if len(d.b) < 8 {
		d.fail("number")
		return 0
	}
	v := math.Float64frombits(binary.BigEndian.Uint64(d.b))
	d.b = d.b[8:]
	return v
}

func (d *decoder) byte() byte {
	if len(d.b) < 1 {
		d.fail("flag")
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) time() time.Time {
	if d.byte() == 0 {
		return time.Time{}
	}
	sec, k := binary.Varint(d.b)
	if k <= 0 {
		d.fail("time")
		return time.Time{}
	}
	d.b = d.b[k:]
	ns, k := binary.Uvarint(d.b)
	if k <= 0 || ns >= 1e9 {
		d.fail("time")
		return time.Time{}
	}
	d.b = d.b[k:]
	return time.Unix(sec, int64(ns)).UTC()
}

func (d *decoder) observation() obs.Observation {
	var o obs.Observation
	o.Indicator = d.string()
	o.Region = d.string()
	if p := d.string(); d.err == nil {
		var err error
		if o.Period, err = obs.ParsePeriod(p); err != nil && d.err == nil {
			d.err = err
		}
	}
	o.Basis = obs.Basis(d.string())
	o.Value = d.float()
	o.Unit = d.string()
	o.SourceKind = obs.SourceKind(d.string())
	o.Source = d.string()
	o.URL = d.string()
	o.Quote = d.string()
	o.PublishedAt = d.time()
	o.RetrievedAt = d.time()
	o.Estimate = d.byte() == 1
	o.Qualifier = d.string()
	o.EnteredBy = d.string()
	o.Note = d.string()
	if d.version >= 2 {
		o.YoY = d.optFloat()
		o.Resolution = d.float()
	}
	return o
}

func (d *decoder) optFloat() *float64 {
	switch d.byte() {
	case 0:
		return nil
	case 1:
		v := d.float()
		return &v
	}
	d.fail("optional number")
	return nil
}

func (d *decoder) audit() store.AuditRecord {
	var r store.AuditRecord
	r.Time = d.time()
	r.User = d.string()
	r.Remote = d.string()
	r.Action = store.AuditAction(d.string())
	r.Indicator = d.string()
	r.Period = d.string()
	r.Basis = obs.Basis(d.string())
	r.OldValue = d.optFloat()
	r.NewValue = d.optFloat()
	r.Reason = d.string()
	r.Detail = d.string()
	return r
}

func (d *decoder) evaluation() store.EvaluationRecord {
	var e store.EvaluationRecord
	e.Time = d.time()
	e.Target = d.string()
	e.Status = d.string()
	e.Period = d.string()
	for _, p := range []*float64{&e.Actual, &e.Expected, &e.Gap, &e.Projected, &e.Progress} {
		*p = d.float()
	}
	return e
}
