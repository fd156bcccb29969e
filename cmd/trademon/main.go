// Command trademon tracks whether Shenzhen is on schedule to meet its 2025 trade
// targets. All logic lives in internal/cli and the packages it wires together.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/trademon/trademon/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
