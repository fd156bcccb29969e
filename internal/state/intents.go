package state

import (
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/trademon/trademon/internal/obs"
)

// An Intent is a change of the state file that must follow a store write: a
// decision on a figure is two writes, the figure and its audit record to the store
// (one durable step), then the state file. The intent is put first; once the store
// write is durable, FinishIntent applies it and clears it in one transaction. A crash
// between the two leaves the intent behind, and the next start decides it from the
// audit trail (entry.Service.Recover): finished when the record is there, dropped
// when it is not. So the state file never says "waiting" of a figure that counts, nor
// leaves an approved period unlocked, nor keeps a figure the audit trail never heard of.
type Intent struct {
	ID string `json:"id"`
	// At, User and Action are those of the audit record written with it: Recover
	// finds the record by them and by Observation's indicator, period, basis and
	// value, or by Task's number.
	At     time.Time `json:"at"`
	User   string    `json:"user"`
	Action string    `json:"action"`
	// Observation is the figure the store write holds, or the slot the record is
	// about; nil for a task update.
	Observation *obs.Observation `json:"observation,omitempty"`
	// Add is a figure to keep for approval (replacing one for the same key).
	Add *Pending `json:"add,omitempty"`
	// Remove names a pending figure that the write decided (approved or replaced).
	Remove string `json:"remove,omitempty"`
	// Lock locks the period.
	Lock *Lock `json:"lock,omitempty"`
	// Unlock lifts the lock with this key (LockKey).
	Unlock string `json:"unlock,omitempty"`
	// Task is a task's status update to record.
	Task *TaskUpdate `json:"task,omitempty"`
}

// PutIntents durably records intents before the store write they follow.
func (d *DB) PutIntents(ins []Intent) error {
	if len(ins) == 0 {
		return nil
	}
	return d.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketIntents)
		for _, in := range ins {
			if err := putJSON(b, []byte(in.ID), in); err != nil {
				return err
			}
		}
		return nil
	})
}

// ListIntents returns the intents not yet finished or dropped, oldest first.
func (d *DB) ListIntents() ([]Intent, error) {
	out, err := listJSON[Intent](d, bucketIntents)
	slices.SortStableFunc(out, func(a, b Intent) int { return a.At.Compare(b.At) })
	return out, err
}

// CountIntents returns how many intents are not yet finished or dropped.
func (d *DB) CountIntents() (int, error) {
	var n int
	err := d.view(func(tx *bolt.Tx) error {
		n = tx.Bucket(bucketIntents).Stats().KeyN
		return nil
	})
	return n, err
}

// FinishIntents applies the intents named by ids — their pending figure removed, the
// figure to keep kept, the period locked or unlocked, the task update recorded — and
// clears them, in one transaction. An
// intent already cleared is skipped, so finishing twice changes nothing.
func (d *DB) FinishIntents(ids ...string) error {
	return d.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketIntents)
		for _, id := range ids {
			var in Intent
			ok, err := getJSON(b, []byte(id), &in)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			if err := applyIntent(tx, in); err != nil {
				return fmt.Errorf("intent %s: %w", id, err)
			}
			if err := b.Delete([]byte(id)); err != nil {
				return err
			}
		}
		return nil
	})
}

// DropIntents clears the intents named by ids without applying them: their store
// write did not happen.
func (d *DB) DropIntents(ids ...string) error {
	return d.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketIntents)
		for _, id := range ids {
			if err := b.Delete([]byte(id)); err != nil {
				return err
			}
		}
		return nil
	})
}

func applyIntent(tx *bolt.Tx, in Intent) error {
	if in.Remove != "" {
		if err := tx.Bucket(bucketPending).Delete([]byte(in.Remove)); err != nil {
			return err
		}
	}
	if in.Add != nil {
		if _, err := putPending(tx, *in.Add); err != nil {
			return err
		}
	}
	if in.Lock != nil {
		if err := putLock(tx, *in.Lock); err != nil {
			return err
		}
	}
	if in.Unlock != "" {
		if err := tx.Bucket(bucketLocks).Delete([]byte(in.Unlock)); err != nil {
			return err
		}
	}
	if in.Task != nil {
		return addTaskUpdate(tx, *in.Task)
	}
	return nil
}
