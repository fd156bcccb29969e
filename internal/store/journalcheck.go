package store

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// MinTime and MaxTime bound the times a store keeps: those InfluxDB can store, less
// the last nanosecond, which a Flux range (exclusive stop) cannot reach.
var (
	MinTime = time.Unix(0, math.MinInt64+2).UTC()
	MaxTime = time.Unix(0, math.MaxInt64-2).UTC()
)

// Caps on audit text, so that one record cannot grow the trail without bound. Longer
// text is cut at a character boundary and ends with TruncatedMark.
const (
	// MaxAuditUser caps User, which is also an InfluxDB tag (a failed login records
	// the name tried, which anybody can choose).
	MaxAuditUser = 256
	// MaxAuditText caps every other text field of an audit record.
	MaxAuditText = 16 << 10
)

// TruncatedMark ends audit text that was cut to its cap.
const TruncatedMark = "…[truncated]"

// NormalizeAudit returns r as both stores keep it: Time in UTC (the zero time becomes
// now), text made storable rather than refused — an audit entry must never be lost
// for its formatting: invalid UTF-8 becomes U+FFFD, carriage returns become newlines,
// control characters and backslashes that line protocol cannot keep in User and
// Action (InfluxDB tags: see tagText) become U+FFFD — and cut to MaxAuditUser and
// MaxAuditText.
func NormalizeAudit(r AuditRecord, now time.Time) AuditRecord {
	if r.Time.IsZero() {
		r.Time = now
	}
	r.Time = r.Time.UTC()
	r.User = auditTag(r.User, MaxAuditUser)
	r.Action = AuditAction(auditTag(string(r.Action), MaxAuditUser))
	r.Remote = auditText(r.Remote)
	r.Indicator = auditText(r.Indicator)
	r.Period = auditText(r.Period)
	r.Basis = auditBasis(r.Basis)
	r.Reason = auditText(r.Reason)
	r.Detail = auditText(r.Detail)
	return r
}

func auditBasis[T ~string](b T) T { return T(auditText(string(b))) }

func auditText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if strings.ContainsRune(s, '\r') {
		s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	}
	return truncate(s, MaxAuditText)
}

func auditTag(s string, limit int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '\uFFFD'
		}
		return r
	}, s)
	s = truncate(s, limit)
	if strings.HasSuffix(s, `\`) {
		s = strings.TrimSuffix(s, `\`) + "\uFFFD"
	}
	for i := badBackslash(s); i >= 0; i = badBackslash(s) {
		s = s[:i] + "\uFFFD" + s[i+1:]
	}
	return s
}

// truncate cuts s to at most limit bytes at a character boundary, ending it with
// TruncatedMark when it was cut.
func truncate(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	cut := limit - len(TruncatedMark)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + TruncatedMark
}

// PrepareAudit returns rs normalized (NormalizeAudit, with now for a zero Time) and
// checked (CheckAudit), as AppendAudit and PutWithAudit take them in every store.
func PrepareAudit(rs []AuditRecord, now time.Time) ([]AuditRecord, error) {
	recs := make([]AuditRecord, len(rs))
	for i := range rs {
		recs[i] = NormalizeAudit(rs[i], now)
	}
	if err := CheckAudit(recs); err != nil {
		return nil, err
	}
	return recs, nil
}

// CheckAudit validates normalized audit records for AppendAudit the same way in every
// store: an action, a time InfluxDB can store and finite values. The error wraps
// ErrInvalid and names the index and the problem of the first bad record.
func CheckAudit(rs []AuditRecord) error {
	for i, r := range rs {
		var err error
		switch {
		case r.Action == "":
			err = errors.New("action: empty")
		case r.Time.Before(MinTime) || r.Time.After(MaxTime):
			err = fmt.Errorf("time: %s is outside the range a store can keep (%d–%d)", r.Time.Format(time.RFC3339Nano), MinTime.Year(), MaxTime.Year())
		case r.OldValue != nil && !finite(*r.OldValue):
			err = fmt.Errorf("old_value: %v is not a finite number", *r.OldValue)
		case r.NewValue != nil && !finite(*r.NewValue):
			err = fmt.Errorf("new_value: %v is not a finite number", *r.NewValue)
		}
		if err != nil {
			return fmt.Errorf("%w: audit record %d (%s by %q): %w", ErrInvalid, i, r.Action, r.User, err)
		}
	}
	return nil
}

// CheckEvaluations validates evaluation records for AppendEvaluations the same way in
// every store: a target and a status storable as InfluxDB tags, a period of plain
// text, a time InfluxDB can store and finite values. The error wraps ErrInvalid and
// names the index and the problem of the first bad record.
func CheckEvaluations(es []EvaluationRecord) error {
	for i, e := range es {
		if err := checkEvaluation(e); err != nil {
			return fmt.Errorf("%w: evaluation record %d (%s at %s): %w", ErrInvalid, i, e.Target, e.Time.Format(time.RFC3339), err)
		}
	}
	return nil
}

func checkEvaluation(e EvaluationRecord) error {
	for _, f := range []struct{ name, v string }{{"target", e.Target}, {"status", e.Status}} {
		if f.v == "" {
			return fmt.Errorf("%s: empty", f.name)
		}
		if err := tagText(f.v); err != nil {
			return fmt.Errorf("%s: %q %w", f.name, f.v, err)
		}
	}
	if !utf8.ValidString(e.Period) || strings.ContainsAny(e.Period, "\r\n") {
		return fmt.Errorf("period: %q is not a single line of UTF-8 text", e.Period)
	}
	if e.Time.IsZero() || e.Time.Before(MinTime) || e.Time.After(MaxTime) {
		return fmt.Errorf("time: %s is zero or outside the range a store can keep", e.Time.Format(time.RFC3339Nano))
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"actual", e.Actual}, {"expected", e.Expected}, {"gap", e.Gap}, {"projected", e.Projected}, {"progress", e.Progress}} {
		if !finite(f.v) {
			return fmt.Errorf("%s: %v is not a finite number", f.name, f.v)
		}
	}
	return nil
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// AuditSeries returns the identity of r's InfluxDB series, its action and user,
// as bytes separated by NUL (which NormalizeAudit leaves in neither).
func AuditSeries(r AuditRecord) []byte {
	b := make([]byte, 0, len(r.Action)+1+len(r.User))
	b = append(b, r.Action...)
	b = append(b, 0)
	return append(b, r.User...)
}

// NextAuditTime returns the time to store an audit record at, given the latest time
// stored in its series (zero when none): t itself, or 1 ns after last when t is not
// after it. Times within a series thus strictly increase in the order records are
// appended, and two records never share one (InfluxDB would keep only the second).
func NextAuditTime(t, last time.Time) time.Time {
	if !last.IsZero() && !t.After(last) {
		return last.Add(time.Nanosecond)
	}
	return t
}

// TimeKey encodes t (within MinTime and MaxTime) as 8 bytes that sort as the times do.
func TimeKey(t time.Time) []byte {
	return binary.BigEndian.AppendUint64(make([]byte, 0, 8), uint64(t.UnixNano())^(1<<63))
}

// ParseTimeKey decodes what TimeKey encoded; ok is false for a key of another length.
func ParseTimeKey(b []byte) (t time.Time, ok bool) {
	if len(b) != 8 {
		return time.Time{}, false
	}
	return time.Unix(0, int64(binary.BigEndian.Uint64(b)^(1<<63))).UTC(), true
}

// Match reports whether r is selected by f (Limit aside).
func (f AuditFilter) Match(r AuditRecord) bool {
	switch {
	case f.User != "" && r.User != f.User,
		f.Indicator != "" && r.Indicator != f.Indicator,
		f.Action != "" && r.Action != f.Action,
		!f.From.IsZero() && r.Time.Before(f.From),
		!f.To.IsZero() && !r.Time.Before(f.To):
		return false
	}
	return true
}

// Match reports whether e is selected by f.
func (f EvaluationFilter) Match(e EvaluationRecord) bool {
	switch {
	case len(f.Targets) > 0 && !slices.Contains(f.Targets, e.Target),
		!f.From.IsZero() && e.Time.Before(f.From),
		!f.To.IsZero() && !e.Time.Before(f.To):
		return false
	}
	return true
}

// SortAudit orders audit records as every store returns them: oldest first, records
// of the same instant by user and action.
func SortAudit(rs []AuditRecord) {
	slices.SortStableFunc(rs, func(a, b AuditRecord) int {
		return cmp.Or(a.Time.Compare(b.Time), strings.Compare(a.User, b.User), strings.Compare(string(a.Action), string(b.Action)))
	})
}

// LimitAudit returns the newest limit records of the sorted rs (all when limit ≤ 0).
func LimitAudit(rs []AuditRecord, limit int) []AuditRecord {
	if limit > 0 && len(rs) > limit {
		return rs[len(rs)-limit:]
	}
	return rs
}

// SortEvaluations orders evaluation records as every store returns them: oldest
// first, records of the same instant by target.
func SortEvaluations(es []EvaluationRecord) {
	slices.SortStableFunc(es, func(a, b EvaluationRecord) int {
		return cmp.Or(a.Time.Compare(b.Time), strings.Compare(a.Target, b.Target))
	})
}
