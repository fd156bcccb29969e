package state

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/trademon/trademon/internal/obs"
)

// Pending is a figure waiting for an approver. It does not count anywhere (verdicts,
// metrics) until approved, when it is written to the store.
type Pending struct {
	ID          string          `json:"id"`
	Observation obs.Observation `json:"observation"`
	SubmittedBy string          `json:"submitted_by"`
	Remote      string          `json:"remote"`
	SubmittedAt time.Time       `json:"submitted_at"`
	// Previous is the stored value the figure would replace, if any.
	Previous *float64 `json:"previous_value,omitempty"`
	// Reason is the revision's reason; Comment confirms an outlier.
	Reason   string   `json:"reason,omitempty"`
	Comment  string   `json:"comment,omitempty"`
	Warnings []string `json:"warnings,omitempty"`
}

// Lock marks an approved period: nobody enters a figure for it until an admin unlocks it.
type Lock struct {
	Indicator string    `json:"indicator"`
	Region    string    `json:"region"`
	Basis     obs.Basis `json:"basis"`
	Period    string    `json:"period"`
	By        string    `json:"by"`
	At        time.Time `json:"at"`
	Value     float64   `json:"value"`
}

// LockKey is the key of the slot a figure fills, whatever its source kind.
func LockKey(o obs.Observation) string {
	return o.Indicator + "/" + o.Region + "/" + string(o.Basis) + "/" + o.Period.String()
}

// ErrNotFound is returned for a pending figure that does not exist (any more).
var ErrNotFound = errors.New("not found")

// NewID returns a random id for a pending figure.
func NewID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// putPending records p, replacing a pending figure for the same observation key, and
// returns the replaced one, if any.
func putPending(tx *bolt.Tx, p Pending) (replaced *Pending, err error) {
	b := tx.Bucket(bucketPending)
	c := b.Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		var q Pending
		if _, err := getJSON(b, k, &q); err != nil {
			return nil, err
		}
		if q.Observation.Key() == p.Observation.Key() && q.ID != p.ID {
			replaced = &q
			if err := c.Delete(); err != nil {
				return nil, err
			}
		}
	}
	return replaced, putJSON(b, []byte(p.ID), p)
}

// GetPending returns the pending figure with the id.
func (d *DB) GetPending(id string) (Pending, error) {
	var p Pending
	err := d.view(func(tx *bolt.Tx) error {
		ok, err := getJSON(tx.Bucket(bucketPending), []byte(id), &p)
		if err == nil && !ok {
			return fmt.Errorf("pending figure %q: %w", id, ErrNotFound)
		}
		return err
	})
	return p, err
}

// PendingFor returns the pending figure for the observation key, if any.
func (d *DB) PendingFor(k obs.Key) (Pending, bool, error) {
	all, err := d.ListPending()
	if err != nil {
		return Pending{}, false, err
	}
	for _, p := range all {
		if p.Observation.Key() == k {
			return p, true, nil
		}
	}
	return Pending{}, false, nil
}

// ListPending returns every pending figure, oldest first.
func (d *DB) ListPending() ([]Pending, error) {
	out, err := listJSON[Pending](d, bucketPending)
	slices.SortStableFunc(out, func(a, b Pending) int { return a.SubmittedAt.Compare(b.SubmittedAt) })
	return out, err
}

// CountPending returns how many figures wait for approval.
func (d *DB) CountPending() (int, error) {
	n := 0
	err := d.view(func(tx *bolt.Tx) error {
		n = tx.Bucket(bucketPending).Stats().KeyN
		return nil
	})
	return n, err
}

func putLock(tx *bolt.Tx, l Lock) error {
	k := l.Indicator + "/" + l.Region + "/" + string(l.Basis) + "/" + l.Period
	return putJSON(tx.Bucket(bucketLocks), []byte(k), l)
}

// LockOf returns the lock on the slot key (LockKey), if any.
func (d *DB) LockOf(key string) (Lock, bool, error) {
	var l Lock
	var ok bool
	err := d.view(func(tx *bolt.Tx) error {
		var err error
		ok, err = getJSON(tx.Bucket(bucketLocks), []byte(key), &l)
		return err
	})
	return l, ok, err
}

// ListLocks returns every lock, by key.
func (d *DB) ListLocks() ([]Lock, error) {
	return listJSON[Lock](d, bucketLocks)
}
