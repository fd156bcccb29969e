// Package state is trademon's durable local state besides the figures: login sessions,
// figures waiting for approval, locked periods, idempotency keys of API writes, and the
// recorded status of the plan's tasks, and the intents that tie its changes to the
// store's writes (Intent). It is one bbolt file, <store.path>/state.db, in
// both store modes, so that all of it survives a restart. Every write is an fsynced
// transaction; concurrent writes share commits (bbolt's Batch), so "acknowledged"
// always means "on disk" without one fsync per caller.
//
// Figures themselves live in the store (package store) once they count; a pending
// figure lives here until an approver decides on it.
package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// FileName is the state file inside its directory.
const FileName = "state.db"

const formatVersion = "1"

var (
	bucketSessions = []byte("sessions")
	bucketPending  = []byte("pending")
	bucketLocks    = []byte("locks")
	bucketIdem     = []byte("idempotency")
	bucketTasks    = []byte("tasks")
	bucketIntents  = []byte("intents")
	bucketMeta     = []byte("meta")
	metaVersion    = []byte("format_version")
)

// ErrHeld is returned by Open when another process holds the file (a running serve).
var ErrHeld = errors.New("the state file is held by another process")

// DB is the state file. It is safe for concurrent use.
type DB struct {
	db   *bolt.DB
	path string
}

// Open opens (creating if needed) dir/state.db. It fails with an error wrapping ErrHeld
// after timeout if another process holds the file; timeout 0 means 3 seconds.
func Open(dir string, timeout time.Duration) (*DB, error) {
	if timeout <= 0 {
		timeout = 3 * time.Second
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("state: create directory: %w", err)
	}
	path := filepath.Join(dir, FileName)
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: timeout, FreelistType: bolt.FreelistMapType})
	if err != nil {
		if errors.Is(err, bolt.ErrTimeout) {
			return nil, fmt.Errorf("state: open %s: %w", path, ErrHeld)
		}
		return nil, fmt.Errorf("state: open %s: %w", path, err)
	}
	// Small batches commit at once: the group commit is for concurrent callers, not a
	// delay for a lone one.
	db.MaxBatchDelay = 2 * time.Millisecond
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketSessions, bucketPending, bucketLocks, bucketIdem, bucketTasks, bucketIntents, bucketMeta} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		meta := tx.Bucket(bucketMeta)
		switch v := meta.Get(metaVersion); {
		case v == nil:
			return meta.Put(metaVersion, []byte(formatVersion))
		case string(v) != formatVersion:
			return fmt.Errorf("unsupported format version %q (this trademon reads %s)", v, formatVersion)
		}
		return nil
	})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("state: open %s: %w", path, err)
	}
	return &DB{db: db, path: path}, nil
}

// Path returns the file's path.
func (d *DB) Path() string { return d.path }

// Close releases the file.
func (d *DB) Close() error { return d.db.Close() }

// update runs fn in a write transaction that may be shared with concurrent callers;
// it returns once the transaction is on disk. fn may run more than once and must only
// write through tx.
func (d *DB) update(fn func(tx *bolt.Tx) error) error {
	if err := d.db.Batch(fn); err != nil {
		return fmt.Errorf("state: write %s: %w", d.path, err)
	}
	return nil
}

func (d *DB) view(fn func(tx *bolt.Tx) error) error {
	if err := d.db.View(fn); err != nil {
		return fmt.Errorf("state: read %s: %w", d.path, err)
	}
	return nil
}

func putJSON(b *bolt.Bucket, key []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, data)
}

func getJSON(b *bolt.Bucket, key []byte, v any) (bool, error) {
	data := b.Get(key)
	if data == nil {
		return false, nil
	}
	if err := json.Unmarshal(data, v); err != nil {
		return true, fmt.Errorf("decode %s record %q: %w", "state", key, err)
	}
	return true, nil
}

// listJSON decodes every record of the bucket named name, in key order.
func listJSON[T any](d *DB, name []byte) ([]T, error) {
	var out []T
	err := d.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(name)
		return b.ForEach(func(k, _ []byte) error {
			var v T
			if _, err := getJSON(b, k, &v); err != nil {
				return err
			}
			out = append(out, v)
			return nil
		})
	})
	return out, err
}
