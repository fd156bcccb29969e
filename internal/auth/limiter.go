package auth

import (
	"sync"
	"time"
)

// Limiter caps login attempts per key (a login name, a client address) in a fixed
// window: at most Max attempts per Window. Its memory is bounded: windows that have
// passed are dropped, and beyond maxKeys distinct keys new keys are refused until
// old windows expire (so a flood of made-up names cannot grow it without bound).
type Limiter struct {
	Max    int
	Window time.Duration

	mu      sync.Mutex
	windows map[string]*window
	swept   time.Time
}

type window struct {
	start time.Time
	n     int
}

const maxKeys = 100_000

// NewLimiter returns a limiter of max attempts per window.
func NewLimiter(max int, win time.Duration) *Limiter {
	return &Limiter{Max: max, Window: win, windows: map[string]*window{}}
}

// Allow counts an attempt for key at now and reports whether it is within the limit;
// when it is not, it also returns how long until the window ends.
func (l *Limiter) Allow(key string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > l.Window {
		for k, w := range l.windows {
			if now.Sub(w.start) >= l.Window {
				delete(l.windows, k)
			}
		}
		l.swept = now
	}
	w, ok := l.windows[key]
	if !ok || now.Sub(w.start) >= l.Window {
		if !ok && len(l.windows) >= maxKeys {
			return false, l.Window
		}
		w = &window{start: now}
		l.windows[key] = w
	}
	if w.n >= l.Max {
		return false, w.start.Add(l.Window).Sub(now)
	}
	w.n++
	return true, 0
}

// Reset forgets the attempts of key (after a successful login).
func (l *Limiter) Reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.windows, key)
}
