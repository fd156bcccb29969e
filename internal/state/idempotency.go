package state

import (
	"time"

	bolt "go.etcd.io/bbolt"
)

// IdempotencyTTL is how long an Idempotency-Key's answer is kept.
const IdempotencyTTL = 24 * time.Hour

// Answer is the response saved under an Idempotency-Key: a retry with the same key
// and the same request gets it again instead of writing twice.
type Answer struct {
	// RequestHash identifies the request (method, path, body) the key was first used for.
	RequestHash string    `json:"request_hash"`
	Status      int       `json:"status"`
	Body        []byte    `json:"body"`
	At          time.Time `json:"at"`
}

func idemKey(user, key string) []byte { return []byte(user + "\x00" + key) }

// Answer returns the answer saved for the user's key, if it is younger than the TTL.
func (d *DB) Answer(user, key string, now time.Time) (Answer, bool, error) {
	var a Answer
	var ok bool
	err := d.view(func(tx *bolt.Tx) error {
		var err error
		ok, err = getJSON(tx.Bucket(bucketIdem), idemKey(user, key), &a)
		return err
	})
	if err != nil || !ok || now.Sub(a.At) > IdempotencyTTL {
		return Answer{}, false, err
	}
	return a, true, nil
}

// PutAnswer durably saves the answer for the user's key.
func (d *DB) PutAnswer(user, key string, a Answer) error {
	return d.update(func(tx *bolt.Tx) error {
		return putJSON(tx.Bucket(bucketIdem), idemKey(user, key), a)
	})
}

// ExpireAnswers removes answers older than the TTL and returns how many.
func (d *DB) ExpireAnswers(now time.Time) (int, error) {
	n := 0
	err := d.db.Update(func(tx *bolt.Tx) error {
		n = 0
		b := tx.Bucket(bucketIdem)
		c := b.Cursor()
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			var a Answer
			if _, err := getJSON(b, k, &a); err != nil || now.Sub(a.At) > IdempotencyTTL {
				if err := c.Delete(); err != nil {
					return err
				}
				n++
			}
		}
		return nil
	})
	return n, err
}
