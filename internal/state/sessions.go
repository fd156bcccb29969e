package state

import (
	"time"

	bolt "go.etcd.io/bbolt"
)

// Session is a login session. The session id itself is never stored: IDHash is its
// SHA-256, so a copy of the state file does not let anyone log in.
type Session struct {
	IDHash  string    `json:"id_hash"`
	User    string    `json:"user"`
	CSRF    string    `json:"csrf"`
	Remote  string    `json:"remote"`
	Created time.Time `json:"created"`
	Expires time.Time `json:"expires"`
}

// PutSession durably records a session.
func (d *DB) PutSession(s Session) error {
	return d.update(func(tx *bolt.Tx) error {
		return putJSON(tx.Bucket(bucketSessions), []byte(s.IDHash), s)
	})
}

// Session returns the session with the id hash, if it exists and has not expired by now.
func (d *DB) Session(idHash string, now time.Time) (Session, bool, error) {
	var s Session
	var ok bool
	err := d.view(func(tx *bolt.Tx) error {
		var err error
		ok, err = getJSON(tx.Bucket(bucketSessions), []byte(idHash), &s)
		return err
	})
	if err != nil || !ok || !now.Before(s.Expires) {
		return Session{}, false, err
	}
	return s, true, nil
}

// DeleteSession removes a session (logout). Deleting one that does not exist is no error.
func (d *DB) DeleteSession(idHash string) error {
	return d.update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketSessions).Delete([]byte(idHash))
	})
}

// ExpireSessions removes the sessions that expired by now and returns how many.
func (d *DB) ExpireSessions(now time.Time) (int, error) {
	n := 0
	err := d.db.Update(func(tx *bolt.Tx) error {
		n = 0
		b := tx.Bucket(bucketSessions)
		c := b.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			var s Session
			if _, err := getJSON(b, k, &s); err != nil || !now.Before(s.Expires) {
				_ = v
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
