package spool

import (
	"math/rand/v2"
	"time"
)

// Backoff computes the delay before the next delivery attempt after consecutive
// failures: exponential growth from Min, capped at Max, with jitter so that many
// instances recovering from the same outage do not retry in lockstep.
//
// After n consecutive failures (n ≥ 1) the ceiling is c = min(Max, Min·2^(n−1)) and the
// delay is drawn uniformly from [c/2, c], but never below Min: the first retry waits
// Min, and later ones grow until they lie between Max/2 and Max.
type Backoff struct {
	Min, Max time.Duration
	// Rand returns a number in [0, 1); nil means math/rand/v2.Float64. Tests inject a
	// fixed sequence to make delays deterministic.
	Rand func() float64

	failures int
}

// Failure records one more failed attempt and returns how long to wait before the next.
func (b *Backoff) Failure() time.Duration {
	b.failures++
	return b.Delay(b.failures)
}

// Reset records a success: the next failure starts again from Min.
func (b *Backoff) Reset() { b.failures = 0 }

// Failures returns the number of consecutive failures recorded.
func (b *Backoff) Failures() int { return b.failures }

// Delay returns the delay after n consecutive failures without recording anything.
func (b *Backoff) Delay(n int) time.Duration {
	lo, hi := b.Min, b.Max
	if lo <= 0 {
		lo = time.Second
	}
	if hi < lo {
		hi = lo
	}
	c := lo
	for i := 1; i < n && c < hi; i++ {
		c *= 2
	}
	c = min(c, hi)
	r := rand.Float64
	if b.Rand != nil {
		r = b.Rand
	}
	f := min(max(r(), 0), 1)
	d := c/2 + time.Duration(f*float64(c/2))
	return min(max(d, lo), hi)
}
