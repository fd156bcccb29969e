package groupcommit

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	bolt "go.etcd.io/bbolt"
)

func openDB(t *testing.T) *bolt.DB {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "t.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if err := db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("b")); return err }); err != nil {
		t.Fatal(err)
	}
	return db
}

func put(k string) func(*bolt.Tx) error {
	return func(tx *bolt.Tx) error { return tx.Bucket([]byte("b")).Put([]byte(k), []byte(k)) }
}

func keys(t *testing.T, db *bolt.DB) []string {
	t.Helper()
	var out []string
	_ = db.View(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("b")).ForEach(func(k, _ []byte) error { out = append(out, string(k)); return nil })
	})
	return out
}

// TestWaitingCallersShareOneCommit: callers arriving while a commit is in progress
// are served by the next one, together.
func TestWaitingCallersShareOneCommit(t *testing.T) {
	db := openDB(t)
	var mu sync.Mutex
	var ends []error
	c := New(db, Hooks{End: func(err error) { mu.Lock(); ends = append(ends, err); mu.Unlock() }})
	defer c.Close()

	entered, release := make(chan struct{}), make(chan struct{})
	firstDone := make(chan error)
	go func() {
		firstDone <- c.Update(context.Background(), func(tx *bolt.Tx) error {
			close(entered)
			<-release
			return put("first")(tx)
		})
	}()
	<-entered
	const n = 10
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() { errs <- c.Update(context.Background(), put(fmt.Sprintf("k%02d", i))) })
	}
	for c.queued() < n { // the callers queue while the first commit is held
		runtime.Gosched()
	}
	close(release)
	if err := <-firstDone; err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := len(keys(t, db)); got != n+1 {
		t.Fatalf("%d keys, want %d", got, n+1)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(ends) != 2 || ends[0] != nil || ends[1] != nil {
		t.Fatalf("commits %v, want 2: the first caller's, then one for the %d waiting", ends, n)
	}
}

// TestFailingCallIsDroppedOthersCommit: a function that fails gets its error and
// writes nothing; the others of its batch are committed.
func TestFailingCallIsDroppedOthersCommit(t *testing.T) {
	db := openDB(t)
	var ends []error
	c := New(db, Hooks{End: func(err error) { ends = append(ends, err) }})
	defer c.Close()
	boom := errors.New("boom")
	batch := []*call{
		{fn: put("a"), done: make(chan struct{})},
		{fn: func(tx *bolt.Tx) error { _ = put("bad")(tx); return boom }, done: make(chan struct{})},
		{fn: put("c"), done: make(chan struct{})},
	}
	c.commit(batch)
	if batch[0].err != nil || !errors.Is(batch[1].err, boom) || batch[2].err != nil {
		t.Fatalf("errors %v %v %v", batch[0].err, batch[1].err, batch[2].err)
	}
	if got := keys(t, db); len(got) != 2 || got[0] != "a" || got[1] != "c" {
		t.Fatalf("keys %v, want a and c", got)
	}
	if len(ends) != 2 || !errors.Is(ends[0], ErrAborted) || ends[1] != nil {
		t.Fatalf("attempts %v, want an aborted one and a committed one", ends)
	}
}

func TestClosed(t *testing.T) {
	c := New(openDB(t), Hooks{})
	c.Close()
	c.Close()
	if err := c.Update(context.Background(), put("x")); !errors.Is(err, ErrClosed) {
		t.Fatalf("Update after Close: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c2 := New(openDB(t), Hooks{})
	defer c2.Close()
	entered, release := make(chan struct{}), make(chan struct{})
	go func() {
		_ = c2.Update(context.Background(), func(*bolt.Tx) error { close(entered); <-release; return nil })
	}()
	<-entered
	if err := c2.Update(ctx, put("y")); !errors.Is(err, context.Canceled) {
		t.Errorf("Update with an ended context while busy: %v", err)
	}
	close(release)
	c2.Close() // serves what is queued: the cancelled call is skipped
	var ran bool
	_ = c2.db.View(func(tx *bolt.Tx) error { ran = tx.Bucket([]byte("b")).Get([]byte("y")) != nil; return nil })
	if ran {
		t.Error("a call cancelled while queued was written")
	}
}

// TestCloseServesQueued: calls queued before Close are committed, not dropped.
func TestCloseServesQueued(t *testing.T) {
	db := openDB(t)
	c := New(db, Hooks{})
	entered, release := make(chan struct{}), make(chan struct{})
	go func() {
		_ = c.Update(context.Background(), func(*bolt.Tx) error { close(entered); <-release; return nil })
	}()
	<-entered
	errc := make(chan error, 1)
	go func() { errc <- c.Update(context.Background(), put("queued")) }()
	for c.queued() < 1 {
		runtime.Gosched()
	}
	closed := make(chan struct{})
	go func() { c.Close(); close(closed) }()
	close(release)
	<-closed
	if err := <-errc; err != nil {
		t.Fatalf("queued call: %v", err)
	}
	if got := keys(t, db); len(got) != 1 {
		t.Fatalf("keys %v, want the queued one", got)
	}
}
