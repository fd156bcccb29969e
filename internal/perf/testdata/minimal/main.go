// Command minimal is the baseline of the serve benchmarks: the smallest Go HTTP server
// that starts the way trademon serve does (listen on the configured loopback port, log
// the address with log/slog, answer /readyz and /metrics) and does nothing else.
package main

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Error("listen", "err", err)
		os.Exit(1)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	srv := &http.Server{Handler: mux}
	log.Info("listening", "component", "http", "addr", ln.Addr().String())
	go func() { <-ctx.Done(); _ = srv.Shutdown(context.Background()) }()
	_ = srv.Serve(ln)
}
