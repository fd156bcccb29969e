package fetch_test

// This package has no golden files, but go test ./collectors/... -update passes the
// flag to every package under collectors/; the blank import declares it here too.
import _ "github.com/trademon/trademon/collectors/internal/golden"
