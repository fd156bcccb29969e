// Package proc builds the trademon binary and runs it as a real process for fault,
// soak and start-up tests: serve in the background with its log captured, one-shot
// commands with their exit code and output, SIGKILL and SIGTERM, and the RSS and
// goroutines of a running server.
//
// It is test support: only _test.go files import it.
package proc

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Build compiles cmd/trademon into dir and returns the binary's path. With race, it is
// built with the race detector (as the tests themselves are under `go test -race`).
func Build(dir string, race bool) (string, error) {
	bin := filepath.Join(dir, "trademon")
	args := []string{"build", "-o", bin}
	if race {
		args = append(args, "-race")
	}
	args = append(args, "github.com/trademon/trademon/cmd/trademon")
	cmd := exec.Command("go", args...)
	cmd.Dir = moduleRoot()
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %w\n%s", err, out)
	}
	return bin, nil
}

func moduleRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..")
}

// Result is how a one-shot command ended.
type Result struct {
	Code           int
	Stdout, Stderr string
}

// Run runs bin with args and env (added to the test's environment) and waits for it,
// killing it after timeout.
func Run(t testing.TB, bin string, env []string, timeout time.Duration, args ...string) Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	res := Result{Stdout: out.String(), Stderr: errOut.String()}
	if ctx.Err() != nil {
		t.Fatalf("trademon %s: still running after %v; killed\nstderr:\n%s", strings.Join(args, " "), timeout, tailLines(res.Stderr, 30))
	}
	if ee, ok := err.(*exec.ExitError); ok {
		res.Code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("trademon %s: %v", strings.Join(args, " "), err)
	}
	return res
}

// Process is trademon running in the background.
type Process struct {
	t    testing.TB
	cmd  *exec.Cmd
	done chan struct{}
	err  error

	mu  sync.Mutex
	log strings.Builder
	// URL is the HTTP address serve logged ("http://127.0.0.1:PORT"), once known.
	URL string
}

var listenRE = regexp.MustCompile(`msg=listening component=http addr=(\S+)`)

// Start starts bin with args; the process is killed when t ends if still running.
// Its stderr is kept (Log) and, when the test fails, its last lines are logged.
func Start(t testing.TB, bin string, env []string, args ...string) *Process {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	setParentDeathSignal(cmd)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &Process{t: t, cmd: cmd, done: make(chan struct{})}
	lines := make(chan struct{})
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			p.mu.Lock()
			p.log.WriteString(sc.Text() + "\n")
			if m := listenRE.FindStringSubmatch(sc.Text()); m != nil && p.URL == "" {
				p.URL = "http://" + m[1]
			}
			p.mu.Unlock()
		}
	}()
	go func() {
		<-lines
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		if p.Running() {
			_ = cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("trademon %s, last log lines:\n%s", strings.Join(args, " "), tailLines(p.Log(), 40))
		}
	})
	return p
}

// Serve starts `trademon serve` with args after it and waits (up to a minute) until it
// logs its address and /readyz answers 200.
func Serve(t testing.TB, bin string, env []string, args ...string) *Process {
	t.Helper()
	p := Start(t, bin, env, append([]string{"serve"}, args...)...)
	p.WaitReady(time.Minute)
	return p
}

// WaitReady waits until the process logged its address and /readyz answers 200.
func (p *Process) WaitReady(timeout time.Duration) {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if !p.Running() {
			p.t.Fatalf("trademon exited before it was ready: %v\n%s", p.err, tailLines(p.Log(), 40))
		}
		if u := p.url(); u != "" {
			if resp, err := http.Get(u + "/readyz"); err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					return
				}
			}
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("trademon not ready after %v\n%s", timeout, tailLines(p.Log(), 40))
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func (p *Process) url() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.URL
}

// Addr is the server's base URL ("http://127.0.0.1:PORT").
func (p *Process) Addr() string { return p.url() }

// Log returns everything the process wrote to stderr so far.
func (p *Process) Log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.log.String()
}

// WaitLog waits until the log has a line matching re, and returns that line.
func (p *Process) WaitLog(re *regexp.Regexp, timeout time.Duration) string {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		for _, l := range strings.Split(p.Log(), "\n") {
			if re.MatchString(l) {
				return l
			}
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("no log line matching %s after %v\n%s", re, timeout, tailLines(p.Log(), 40))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Running reports whether the process has not exited.
func (p *Process) Running() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// Pid is the process id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Signal sends sig.
func (p *Process) Signal(sig syscall.Signal) {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatalf("signal %v: %v", sig, err)
	}
}

// Kill sends SIGKILL and waits for the process to go.
func (p *Process) Kill() {
	p.t.Helper()
	_ = p.cmd.Process.Kill()
	<-p.done
}

// Wait waits for the process to exit (up to timeout) and returns its exit code.
func (p *Process) Wait(timeout time.Duration) int {
	p.t.Helper()
	select {
	case <-p.done:
	case <-time.After(timeout):
		_ = p.cmd.Process.Kill()
		<-p.done
		p.t.Fatalf("trademon did not exit within %v; killed\n%s", timeout, tailLines(p.Log(), 40))
	}
	return p.cmd.ProcessState.ExitCode()
}

// RSS returns the resident set size of the process in bytes (Linux /proc).
func (p *Process) RSS() (int64, error) { return RSS(p.Pid()) }

// RSS returns the resident set size of process pid in bytes, from /proc/PID/status.
func RSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) == 2 && f[1] == "kB" {
				kb, err := strconv.ParseInt(f[0], 10, 64)
				return kb << 10, err
			}
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}

func tailLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
