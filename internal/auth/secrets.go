package auth

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"sync/atomic"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
)

// BcryptCost is the work factor of the hashes `trademon hash-password` makes.
const BcryptCost = 12

// Password length bounds. bcrypt reads at most 72 bytes, so a longer password would
// silently lose its tail: it is refused instead.
const (
	MinPasswordRunes = 10
	MaxPasswordBytes = 72
)

// HashPassword checks the password's length and returns its bcrypt hash.
func HashPassword(password string) (string, error) {
	if !utf8.ValidString(password) {
		return "", errors.New("the password is not valid UTF-8")
	}
	if n := utf8.RuneCountInString(password); n < MinPasswordRunes {
		return "", fmt.Errorf("the password has %d characters; use at least %d", n, MinPasswordRunes)
	}
	if len(password) > MaxPasswordBytes {
		return "", fmt.Errorf("the password is %d bytes long; bcrypt uses at most %d, so use a shorter one", len(password), MaxPasswordBytes)
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), BcryptCost)
	if err != nil {
		return "", fmt.Errorf("hash the password: %w", err)
	}
	return string(h), nil
}

// dummyHash (cost 12, of a random string nobody knows) is compared against when the
// user is unknown or has no password, so that such a login takes as long as one with
// a wrong password and does not tell which names exist.
const dummyHash = "$2a$12$C6UzMDM.H6dfI/f/IKxGhuY0vJFkjpZgaw6g9ZNo7jq3iOm3BPpvm"

func checkPassword(hash, password string) bool {
	if hash == "" {
		_ = bcrypt.CompareHashAndPassword([]byte(dummyHash), []byte(password))
		return false
	}
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil
}

// TokenLabel starts every API token, so that one pasted somewhere it should not be is
// recognisable.
const TokenLabel = "tmk_"

// NewToken returns a new random API token (256 bits) and its users-file hash.
func NewToken() (token, hash string, err error) {
	token, err = randomString(32)
	if err != nil {
		return "", "", err
	}
	token = TokenLabel + token
	return token, HashToken(token), nil
}

// randomString returns n random bytes, base64url-encoded without padding.
func randomString(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("read random bytes: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// Directory holds the users file in force. Config reload replaces it at run time with
// Replace; readers always see one whole file.
type Directory struct {
	p atomic.Pointer[Users]
}

// NewDirectory returns a directory holding us (nil: nobody).
func NewDirectory(us *Users) *Directory {
	d := &Directory{}
	d.Replace(us)
	return d
}

// Users returns the users in force; nil when there is no users file.
func (d *Directory) Users() *Users { return d.p.Load() }

// Replace puts us in force.
func (d *Directory) Replace(us *Users) { d.p.Store(us) }
