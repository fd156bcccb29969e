package entry_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/trademon/trademon/internal/auth"
	"github.com/trademon/trademon/internal/entry"
	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/state"
	"github.com/trademon/trademon/internal/store"
	"github.com/trademon/trademon/internal/store/embedded"
	"github.com/trademon/trademon/internal/store/influx"
	"github.com/trademon/trademon/internal/testutil/influxtest"
)

// envCrashChild carries the childConfig of a crash test's child process.
const envCrashChild = "TRADEMON_TEST_ENTRY_CRASH_CHILD"

func TestMain(m *testing.M) {
	if c := os.Getenv(envCrashChild); c != "" {
		os.Exit(crashChild(c))
	}
	os.Exit(m.Run())
}

// childConfig says which store the child writes to: the embedded store in Dir, or,
// when URL is set, InfluxDB behind a spool in Dir.
type childConfig struct {
	Dir, URL, Bucket string
	// Round numbers the child on this store, so that its values differ from those of
	// the children before it.
	Round int
}

// crashClients is how many goroutines of the child submit figures at once; each
// revises a figure of its own, so that at any instant some are between writing a
// figure and acknowledging it.
const crashClients = 8

// crashSubmission is client c's i-th figure in a round: its own monthly exchange
// rate, a new value every time (7.0000, 7.0001, … in round 0; 7.1000, … in round 1),
// so every submission after the very first is a revision.
func crashSubmission(round, c, i int) entry.Submission {
	s := entry.Submission{Reason: fmt.Sprintf("crash test round %d revision %d", round, i)}
	s.Indicator, s.Basis = "usd_cny_rate", "month"
	s.Period = fmt.Sprintf("%d-%02d", 2010+c/12, c%12+1)
	s.Value = fmt.Sprintf("%.4f", 7+0.1*float64(round)+0.0001*float64(i))
	s.SourceURL = "https://www.safe.gov.cn/crash.html"
	return s
}

// maxCrashSubmissions keeps a client's values of one round apart from the next round's.
const maxCrashSubmissions = 999

func openChildStore(cc childConfig) (store.Store, error) {
	if cc.URL == "" {
		return embedded.Open(cc.Dir, embedded.Options{Logger: slog.New(slog.DiscardHandler)})
	}
	return influx.Open(context.Background(), influx.Config{URL: cc.URL, Bucket: cc.Bucket, Dir: cc.Dir,
		Timeout: 10 * time.Second, RetryMin: 20 * time.Millisecond, RetryMax: 200 * time.Millisecond,
		Logger: slog.New(slog.DiscardHandler)})
}

// crashChild runs in the child process: it submits figures from crashClients
// goroutines as fast as it can, printing "ACK client i" for every acknowledged one,
// until it is killed.
func crashChild(c string) int {
	var cc childConfig
	if err := json.Unmarshal([]byte(c), &cc); err != nil {
		fmt.Println("ERR", err)
		return 2
	}
	st, err := openChildStore(cc)
	if err != nil {
		fmt.Println("ERR", err)
		return 2
	}
	db, err := state.Open(cc.Dir, 0)
	if err != nil {
		fmt.Println("ERR", err)
		return 2
	}
	svc := entry.New(entry.Options{Store: st, State: db})
	p := auth.Local("cli:crash")
	var mu sync.Mutex
	out := bufio.NewWriter(os.Stdout)
	var wg sync.WaitGroup
	for c := range crashClients {
		wg.Go(func() {
			for i := range maxCrashSubmissions {
				if _, err := svc.Submit(context.Background(), p, "127.0.0.1", entry.ViaAPI, []entry.Submission{crashSubmission(cc.Round, c, i)}); err != nil {
					mu.Lock()
					fmt.Fprintln(out, "ERR", err)
					out.Flush()
					mu.Unlock()
					return
				}
				mu.Lock()
				fmt.Fprintln(out, "ACK", c, i)
				out.Flush()
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	time.Sleep(2 * time.Minute) // killed long before; exits anyway if the parent died
	return 3
}

// runChild starts a child on cc, waits for acks acknowledgements in all, kills it
// with SIGKILL and returns how many submissions of each client were acknowledged.
func runChild(t *testing.T, cc childConfig, acks int) map[int]int {
	t.Helper()
	js, _ := json.Marshal(cc)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envCrashChild+"="+string(js))
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := map[int]int{}
	sc := bufio.NewScanner(stdout)
	n := 0
	for n < acks && sc.Scan() {
		var c, i int
		if _, err := fmt.Sscanf(sc.Text(), "ACK %d %d", &c, &i); err != nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			t.Fatalf("child said %q", sc.Text())
		}
		acked[c] = max(acked[c], i+1)
		n++
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL: no Close, no flush
		t.Fatalf("kill child: %v", err)
	}
	_ = cmd.Wait()
	if n < acks {
		t.Fatalf("child stopped after %d acknowledgements: %v", n, sc.Err())
	}
	return acked
}

// checkConsistent checks what killed children left in st: for every client's figure,
// each stored change has exactly one audit record (the creation plus one per
// revision), the latest audit record states the stored value, and every
// acknowledged submission is there (acked counts them over all rounds; rounds is
// how many children ran, each with at most one unacknowledged submission per client).
func checkConsistent(t *testing.T, st store.Store, acked map[int]int, rounds int) {
	t.Helper()
	ctx := t.Context()
	figures, err := st.Query(ctx, store.Filter{Indicators: []string{"usd_cny_rate"}})
	if err != nil {
		t.Fatal(err)
	}
	revs, err := st.Revisions(ctx, store.Filter{Indicators: []string{"usd_cny_rate"}})
	if err != nil {
		t.Fatal(err)
	}
	trail, err := st.Audit(ctx, store.AuditFilter{Indicator: "usd_cny_rate"})
	if err != nil {
		t.Fatal(err)
	}
	changes := map[string]int{}
	for _, r := range revs {
		changes[r.Observation.Period.String()]++
	}
	audits := map[string][]store.AuditRecord{}
	for _, r := range trail {
		if r.Action == store.AuditCreate || r.Action == store.AuditRevise {
			audits[r.Period] = append(audits[r.Period], r)
		}
	}
	stored := map[string]obs.Observation{}
	for _, o := range figures {
		stored[o.Period.String()] = o
	}
	for c := range crashClients {
		period := crashSubmission(0, c, 0).Period
		o, ok := stored[period]
		rs := audits[period]
		switch {
		case !ok && len(rs) == 0 && acked[c] == 0:
			continue // the child was killed before this client's first write
		case !ok:
			t.Errorf("client %d (%s): %d audit records but no stored figure", c, period, len(rs))
			continue
		case len(rs) == 0:
			t.Errorf("client %d (%s): a stored figure without any audit record", c, period)
			continue
		}
		if want := changes[period] + 1; len(rs) != want {
			t.Errorf("client %d (%s): %d audit records for %d stored changes (the figure and %d revisions)", c, period, len(rs), want, changes[period])
		}
		if last := rs[len(rs)-1]; last.NewValue == nil || *last.NewValue != o.Value {
			t.Errorf("client %d (%s): stored value %v, but the latest audit record says %s", c, period, o.Value, fmtValue(last.NewValue))
		}
		if len(rs) < acked[c] || len(rs) > acked[c]+rounds {
			t.Errorf("client %d (%s): %d submissions acknowledged in %d rounds, %d audit records", c, period, acked[c], rounds, len(rs))
		}
	}
}

// TestCrashLeavesFigureAndAuditTogether kills a process entering figures (SIGKILL,
// several times, at arbitrary points) and checks that it never leaves a figure
// without its audit record or an audit record without its figure, in both stores.
func TestCrashLeavesFigureAndAuditTogether(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	for _, mode := range []string{"embedded", "influxdb"} {
		t.Run(mode, func(t *testing.T) {
			cc := childConfig{Dir: t.TempDir()}
			if mode == "influxdb" {
				srv := influxtest.Start(t)
				cc.URL, cc.Bucket = srv.URL, srv.CreateDatabase(t)
			}
			total := map[int]int{}
			for round, acks := range []int{150, 40, 400} {
				cc.Round = round
				for c, n := range runChild(t, cc, acks) {
					total[c] += n
				}
				st, err := openChildStore(cc)
				if err != nil {
					t.Fatal(err)
				}
				if is, ok := st.(*influx.Store); ok {
					waitDelivered(t, is)
				}
				checkConsistent(t, st, total, round+1)
				if err := st.Close(); err != nil {
					t.Fatal(err)
				}
				if t.Failed() {
					t.Fatalf("after round %d (killed after %d acknowledgements)", round, acks)
				}
			}
		})
	}
}

// waitDelivered waits until the spool delivered what the dead child left; the
// deadline only guards against a hang.
func waitDelivered(t *testing.T, s *influx.Store) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for s.SpoolStats().Entries > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("spool still holds %d entries", s.SpoolStats().Entries)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func fmtValue(v *float64) string {
	if v == nil {
		return "none"
	}
	return fmt.Sprint(*v)
}
