package influxtest

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Process is a local influxd 1.8 owned by one test: fixed data directory and port, so
// it can be stopped (or killed) and started again with its data, as in an outage.
type Process struct {
	bin     string
	dir     string
	conf    string
	logPath string
	port    int
	cmd     *exec.Cmd
	exited  chan struct{}
	server  *Server
}

// StartProcess starts a local influxd for t in a temporary directory and stops it
// when t ends. It skips t (or fails it in CI) when no influxd binary can be found.
func StartProcess(t testing.TB) *Process {
	t.Helper()
	bin, err := findInfluxd()
	if err != nil {
		unavailable(t, "%v", err)
	}
	dir := t.TempDir()
	var lastErr error
	for range 3 { // a free port can be taken between choosing and binding it
		p := &Process{bin: bin, dir: dir, logPath: filepath.Join(dir, "influxd.log")}
		if err := p.configure(); err != nil {
			t.Fatalf("influxtest: %v", err)
		}
		if lastErr = p.start(); lastErr == nil {
			t.Cleanup(func() {
				if t.Failed() {
					t.Logf("influxd log (%s), last lines:\n%s", p.logPath, p.LogTail(40))
				}
				p.stop(syscall.SIGTERM)
			})
			return p
		}
	}
	t.Fatalf("influxtest: start %s: %v\nlog (%s):\n%s", bin, lastErr, filepath.Join(dir, "influxd.log"), tail(filepath.Join(dir, "influxd.log"), 40))
	return nil
}

// findInfluxd locates the influxd binary: $TRADEMON_TEST_INFLUXD, then
// <module root>/.tools/bin/influxd, then PATH.
func findInfluxd() (string, error) {
	if b := os.Getenv(EnvInfluxd); b != "" {
		if _, err := os.Stat(b); err != nil {
			return "", fmt.Errorf("%s=%s: %w", EnvInfluxd, b, err)
		}
		return b, nil
	}
	if root := moduleRoot(); root != "" {
		b := filepath.Join(root, ".tools", "bin", "influxd")
		if _, err := os.Stat(b); err == nil {
			return b, nil
		}
	}
	if b, err := exec.LookPath("influxd"); err == nil {
		return b, nil
	}
	return "", fmt.Errorf("no influxd binary: set %s, build it into .tools/bin (go install github.com/influxdata/influxdb/cmd/influxd@v1.8.3), or put it on PATH", EnvInfluxd)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// configure picks free ports and writes the config file.
func (p *Process) configure() error {
	port, err := freePort()
	if err != nil {
		return err
	}
	rpc, err := freePort()
	if err != nil {
		return err
	}
	p.port = port
	p.conf = filepath.Join(p.dir, "influxd.conf")
	conf := fmt.Sprintf(`reporting-disabled = true
bind-address = "127.0.0.1:%d"
[meta]
  dir = %q
[data]
  dir = %q
  wal-dir = %q
  query-log-enabled = false
[http]
  bind-address = "127.0.0.1:%d"
  flux-enabled = true
  log-enabled = false
[monitor]
  store-enabled = false
`, rpc, filepath.Join(p.dir, "meta"), filepath.Join(p.dir, "data"), filepath.Join(p.dir, "wal"), port)
	return os.WriteFile(p.conf, []byte(conf), 0o600)
}

// URL returns the base URL of the process's HTTP API.
func (p *Process) URL() string { return fmt.Sprintf("http://127.0.0.1:%d", p.port) }

// Server returns the process as a Server.
func (p *Process) Server() *Server {
	if p.server == nil {
		p.server = &Server{URL: p.URL(), Org: orgFromEnv(), Version: "1.8", proc: p, client: &http.Client{Timeout: 30 * time.Second}}
	}
	return p.server
}

// Running reports whether the process is up.
func (p *Process) Running() bool {
	if p.cmd == nil {
		return false
	}
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

func (p *Process) start() error {
	logf, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	fmt.Fprintf(logf, "=== influxtest: starting %s at %s\n", p.bin, time.Now().Format(time.RFC3339Nano))
	cmd := exec.Command(p.bin, "run", "-config", p.conf)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Dir = p.dir
	cmd.Env = append(os.Environ(), "INFLUXDB_REPORTING_DISABLED=true")
	setParentDeathSignal(cmd)
	if err := cmd.Start(); err != nil {
		logf.Close()
		return err
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		logf.Close()
		close(exited)
	}()
	p.cmd, p.exited = cmd, exited
	s := p.Server()
	deadline := time.Now().Add(60 * time.Second)
	for {
		if _, err := s.ping(); err == nil {
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("influxd exited during start-up (%v)", cmd.ProcessState)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.stop(syscall.SIGKILL)
			return errors.New("influxd did not answer /ping within 60s")
		}
	}
}

// stop signals the process and waits for it, killing it if it lingers.
func (p *Process) stop(sig syscall.Signal) {
	if !p.Running() {
		return
	}
	_ = p.cmd.Process.Signal(sig)
	select {
	case <-p.exited:
	case <-time.After(20 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}

// Start starts the stopped process again on the same directory and port and waits
// until it answers.
func (p *Process) Start(t testing.TB) {
	t.Helper()
	if p.Running() {
		t.Fatal("influxtest: Start: influxd is already running")
	}
	if err := p.start(); err != nil {
		t.Fatalf("influxtest: restart influxd: %v\nlog:\n%s", err, p.LogTail(40))
	}
}

// Stop shuts the process down gracefully (SIGTERM) and waits for it to exit.
func (p *Process) Stop(t testing.TB) {
	t.Helper()
	p.stop(syscall.SIGTERM)
}

// Kill stops the process abruptly (SIGKILL), as a crash or power loss would.
func (p *Process) Kill(t testing.TB) {
	t.Helper()
	p.stop(syscall.SIGKILL)
}

// Restart stops the process and starts it again.
func (p *Process) Restart(t testing.TB) {
	t.Helper()
	p.Stop(t)
	p.Start(t)
}

// LogTail returns the last n lines of the process's log.
func (p *Process) LogTail(n int) string { return tail(p.logPath, n) }

func tail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
