package state

import (
	"encoding/binary"
	"time"

	bolt "go.etcd.io/bbolt"
)

// TaskUpdate is one recorded status of a plan measure (task), with its note, the date
// it refers to and an evidence link. Updates are kept, never edited: the newest per
// task is its status.
type TaskUpdate struct {
	Task     int       `json:"task"`
	Status   string    `json:"status"`
	Note     string    `json:"note,omitempty"`
	Date     string    `json:"date"`
	Evidence string    `json:"evidence,omitempty"`
	By       string    `json:"by"`
	At       time.Time `json:"at"`
}

// addTaskUpdate records an update (an Intent's Task).
func addTaskUpdate(tx *bolt.Tx, u TaskUpdate) error {
	b := tx.Bucket(bucketTasks)
	seq, err := b.NextSequence()
	if err != nil {
		return err
	}
	k := make([]byte, 12)
	binary.BigEndian.PutUint32(k, uint32(u.Task))
	binary.BigEndian.PutUint64(k[4:], seq)
	return putJSON(b, k, u)
}

// TaskUpdates returns every update, by task number and then oldest first.
func (d *DB) TaskUpdates() ([]TaskUpdate, error) {
	return listJSON[TaskUpdate](d, bucketTasks)
}

// LatestTaskUpdates returns the newest update of every task that has one.
func (d *DB) LatestTaskUpdates() (map[int]TaskUpdate, error) {
	all, err := d.TaskUpdates()
	if err != nil {
		return nil, err
	}
	out := make(map[int]TaskUpdate, len(all))
	for _, u := range all {
		out[u.Task] = u
	}
	return out, nil
}
