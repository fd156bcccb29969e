// Package groupcommit lets concurrent writers of a bbolt file share commits. A bbolt
// Update commits and fsyncs once per call, so concurrent callers queue behind each
// other's fsyncs; a Committer runs the functions of every caller waiting when a
// commit begins in one write transaction, in arrival order, with one fsync for them
// all. A lone caller is committed at once (there is no delay to gather a batch), and
// no caller returns before its transaction is durable: acknowledged still means on
// disk.
package groupcommit

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"

	bolt "go.etcd.io/bbolt"
)

// ErrClosed is returned by Update once the Committer is closed.
var ErrClosed = errors.New("groupcommit: closed")

// MaxBatch is the most calls one transaction serves.
const MaxBatch = 256

// Hooks run in the committer's goroutine around every transaction attempt. A batch
// whose function fails is rolled back and attempted again without it, so a function
// may run more than once: it must derive what it writes from the transaction, and
// keep effects outside it (in memory) tentative until End reports the commit.
type Hooks struct {
	// Begin runs before an attempt.
	Begin func()
	// End runs after it with its outcome: nil when it committed, ErrAborted (wrapped)
	// when one of its functions failed and nothing was written, else the error of the
	// commit (an I/O error, a full disk), which every call of the batch returns.
	End func(err error)
}

// ErrAborted is what End sees for an attempt rolled back because a function failed.
var ErrAborted = errors.New("groupcommit: a function failed; transaction rolled back")

// States of a call.
const (
	queued int32 = iota
	taken
	cancelled
)

type call struct {
	fn    func(*bolt.Tx) error
	err   error
	state atomic.Int32
	done  chan struct{}
}

// Committer serializes write transactions on a bbolt file, batching concurrent ones.
// Start it with New and stop it with Close.
type Committer struct {
	db    *bolt.DB
	hooks Hooks

	mu     sync.Mutex
	queue  []*call
	closed bool

	wake chan struct{}
	done chan struct{}
}

// New starts a committer for db.
func New(db *bolt.DB, hooks Hooks) *Committer {
	c := &Committer{db: db, hooks: hooks, wake: make(chan struct{}, 1), done: make(chan struct{})}
	go c.run()
	return c
}

// Update runs fn in a write transaction shared with the callers waiting at the same
// time and returns once that transaction is on disk, with fn's error if fn failed
// (then nothing of fn's was written) or the commit's. If ctx ends before fn was taken
// up, Update returns ctx.Err() and fn does not run; once taken up it always waits
// for the outcome.
func (c *Committer) Update(ctx context.Context, fn func(*bolt.Tx) error) error {
	cl := &call{fn: fn, done: make(chan struct{})}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return ErrClosed
	}
	c.queue = append(c.queue, cl)
	select { // under mu, so never after Close closed wake
	case c.wake <- struct{}{}:
	default: // the committer is already told
	}
	c.mu.Unlock()
	select {
	case <-cl.done:
		return cl.err
	case <-ctx.Done():
		if cl.state.CompareAndSwap(queued, cancelled) {
			return ctx.Err()
		}
		<-cl.done // taken up: its outcome is the answer
		return cl.err
	}
}

// Close serves the calls already queued, then stops the committer; later Updates
// fail with ErrClosed. It does not close the file.
func (c *Committer) Close() {
	c.mu.Lock()
	if !c.closed {
		c.closed = true
		close(c.wake)
	}
	c.mu.Unlock()
	<-c.done
}

// queued returns how many calls wait for the next transaction.
func (c *Committer) queued() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.queue)
}

func (c *Committer) run() {
	defer close(c.done)
	for {
		_, open := <-c.wake
		for {
			batch := c.take()
			if len(batch) == 0 {
				break
			}
			c.commit(batch)
		}
		if !open {
			return
		}
	}
}

// take removes up to MaxBatch calls from the queue, skipping cancelled ones.
func (c *Committer) take() []*call {
	c.mu.Lock()
	n := min(len(c.queue), MaxBatch)
	head := slices.Clone(c.queue[:n])
	c.queue = slices.Delete(c.queue, 0, n)
	c.mu.Unlock()
	batch := head[:0]
	for _, cl := range head {
		if cl.state.CompareAndSwap(queued, taken) {
			batch = append(batch, cl)
		}
	}
	return batch
}

// commit runs batch in one transaction; a failing function is dropped with its error
// and the rest attempted again.
func (c *Committer) commit(batch []*call) {
	batch = slices.Clone(batch)
	for len(batch) > 0 {
		failed := -1
		if c.hooks.Begin != nil {
			c.hooks.Begin()
		}
		err := c.db.Update(func(tx *bolt.Tx) error {
			for i, cl := range batch {
				if err := cl.fn(tx); err != nil {
					failed, cl.err = i, err
					return ErrAborted
				}
			}
			return nil
		})
		if failed >= 0 && errors.Is(err, ErrAborted) {
			if c.hooks.End != nil {
				c.hooks.End(err)
			}
			close(batch[failed].done)
			batch = slices.Delete(batch, failed, failed+1)
			continue
		}
		if c.hooks.End != nil {
			c.hooks.End(err)
		}
		for _, cl := range batch {
			cl.err = err
			close(cl.done)
		}
		return
	}
}
