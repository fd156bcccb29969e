package spool

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/trademon/trademon/internal/obs"
)

// The spool file holds records in a compact binary form: it is written on every Put and
// read on every flush, so it avoids JSON. Every record starts with a format version
// byte so that a later release can read what an earlier one left behind.
const codecVersion = 1

// Kinds of intent in the outbox.
const (
	kindObservation byte = 1
	kindConflict    byte = 2
)

// intent is one acknowledged write waiting for InfluxDB.
type intent struct {
	seq  uint64
	kind byte
	// at is when the write was acknowledged, unique within the spool. It is the
	// timestamp of the revision point if the observation turns out to change a stored
	// figure, and it dates the entry for the oldest-age gauge.
	at       time.Time
	obs      obs.Observation
	conflict obs.Conflict
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
		dst = binary.BigEndian.AppendUint64(dst, math.Float64bits(c.ExistingValue))
		dst = appendString(dst, c.ExistingSource)
		dst = appendString(dst, c.ExistingURL)
		dst = appendTime(dst, c.DetectedAt)
	}
	return dst
}

// decodeIntent decodes an intent stored under seq.
func decodeIntent(seq uint64, b []byte) (intent, error) {
	it := intent{seq: seq}
	if len(b) < 10 {
		return it, fmt.Errorf("spool: intent %d: truncated header", seq)
	}
	if b[0] != codecVersion {
		return it, fmt.Errorf("spool: intent %d: unknown format version %d", seq, b[0])
	}
	it.kind = b[1]
	it.at = time.Unix(0, int64(binary.BigEndian.Uint64(b[2:10]))).UTC()
	d := decoder{b: b[10:]}
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
	default:
		return it, fmt.Errorf("spool: intent %d: unknown kind %d", seq, it.kind)
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
	if len(b) < 1 || b[0] != codecVersion {
		return obs.Observation{}, errors.New("spool: corrupt ledger record")
	}
	d := decoder{b: b[1:]}
	o := d.observation()
	return o, d.err
}

func appendObservation(dst []byte, o *obs.Observation) []byte {
	dst = appendString(dst, o.Indicator)
	dst = appendString(dst, o.Region)
	dst = appendString(dst, o.Period.String())
	dst = appendString(dst, string(o.Basis))
	dst = binary.BigEndian.AppendUint64(dst, math.Float64bits(o.Value))
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
	return dst
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

// decoder reads what the append functions wrote; the first error sticks.
type decoder struct {
	b   []byte
	err error
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
	return o
}
