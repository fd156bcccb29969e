package evaluation

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/store"
	"github.com/trademon/trademon/internal/store/embedded"
	"github.com/trademon/trademon/internal/store/influx"
	"github.com/trademon/trademon/internal/testutil/influxtest"
	"github.com/trademon/trademon/targets"
)

// One linear target: 8000亿元 in 2020 to 12000亿元 in 2025, so the expected annual value
// is 8800 (2021), 9600 (2022), 10400 (2023), 11200 (2024).
const historyTargets = `targets:
  - id: retail_sales
    name: {zh: 社会消费品零售总额, en: Retail sales}
    indicator: retail_sales
    goal: 12000亿元
    goal_year: 2025
    direction: at_least
    baseline_year: 2020
    baseline: 8000亿元
    path: linear
    tolerance: 5%
    mode: level
`

// historyNow is the evaluation time: 15 March 2025 in Shanghai.
var historyNow = time.Date(2025, 3, 15, 10, 0, 0, 0, obs.Shanghai)

func monthEnd(y, m int) time.Time { return obs.MonthPeriod(y, m).End().UTC() }

// sequence renders records as "2022-01 on_track 2021" (month of the record's time in
// Shanghai, minus one: the month judged) for comparison.
func sequence(rs []store.EvaluationRecord) string {
	var b strings.Builder
	for _, r := range rs {
		judged := r.Time.In(obs.Shanghai).AddDate(0, 0, -1)
		fmt.Fprintf(&b, "%s %s %s\n", judged.Format("2006-01"), r.Status, r.Period)
	}
	return b.String()
}

func historyStores(t *testing.T) map[string]func(t *testing.T) store.Store {
	return map[string]func(t *testing.T) store.Store{
		"embedded": func(t *testing.T) store.Store {
			st, err := embedded.Open(t.TempDir(), embedded.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = st.Close() })
			return st
		},
		"influxdb": func(t *testing.T) store.Store {
			srv := influxtest.Start(t)
			st, err := influx.Open(t.Context(), influx.Config{URL: srv.URL, Org: srv.Org, Token: srv.Token,
				Bucket: srv.CreateDatabase(t), Dir: t.TempDir(), RetryMin: 10 * time.Millisecond, RetryMax: 100 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = st.Close() })
			return st
		},
	}
}

// The verdict history: the backfill judges the target as of every month end and records
// each change; the live evaluation records nothing while the verdict stays; a corrected
// figure rewrites the history from its period on; running again, or restarting, records
// nothing twice.
func TestVerdictHistory(t *testing.T) {
	ts, err := targets.ParseTargets("history targets", []byte(historyTargets))
	if err != nil {
		t.Fatal(err)
	}
	for name, open := range historyStores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			st := open(t)
			if _, err := st.Put(ctx, []obs.Observation{
				ob("retail_sales", "2021", obs.BasisYear, 9000e8, obs.KindReference),  // +2.3%: on track
				ob("retail_sales", "2022", obs.BasisYear, 9000e8, obs.KindReference),  // −6.3%: behind
				ob("retail_sales", "2023", obs.BasisYear, 10200e8, obs.KindReference), // −1.9%: at risk
				ob("retail_sales", "2024", obs.BasisYear, 12100e8, obs.KindReference), // above the goal: met early
			}); err != nil {
				t.Fatal(err)
			}
			svc := New(Options{Store: st, Targets: ts, Now: func() time.Time { return historyNow }})
			if err := svc.Refresh(ctx); err != nil {
				t.Fatal(err)
			}
			got, err := st.Evaluations(ctx, store.EvaluationFilter{})
			if err != nil {
				t.Fatal(err)
			}
			want := "2021-01 no_data \n2021-12 on_track 2021\n2022-12 behind 2022\n2023-12 at_risk 2023\n2024-12 achieved 2024\n"
			if s := sequence(got); s != want {
				t.Fatalf("verdict history:\n%s\nwant:\n%s", s, want)
			}
			if got[0].Time != monthEnd(2021, 1) || got[4].Time != monthEnd(2024, 12) {
				t.Errorf("records dated %v … %v, want the month ends", got[0].Time, got[4].Time)
			}
			if r := got[2]; r.Actual != 9000e8 || r.Expected != 9600e8 || r.Gap > -0.06 || r.Progress <= 0 {
				t.Errorf("2022 record %+v, want actual 9000亿元 against 9600亿元", r)
			}

			// Again, and after a restart: nothing new.
			if err := svc.Refresh(ctx); err != nil {
				t.Fatal(err)
			}
			again := New(Options{Store: st, Targets: ts, Now: func() time.Time { return historyNow.Add(time.Hour) }})
			if err := again.Refresh(ctx); err != nil {
				t.Fatal(err)
			}
			if got2, _ := st.Evaluations(ctx, store.EvaluationFilter{}); sequence(got2) != want {
				t.Errorf("history after a second run and a restart:\n%s", sequence(got2))
			}

			// A corrected 2024 figure: from 2024's end the target is at risk, and stays so
			// at the live evaluation.
			if _, err := st.Put(ctx, []obs.Observation{ob("retail_sales", "2024", obs.BasisYear, 11000e8, obs.KindReference)}); err != nil {
				t.Fatal(err)
			}
			if err := again.Refresh(ctx); err != nil {
				t.Fatal(err)
			}
			got3, err := st.Evaluations(ctx, store.EvaluationFilter{})
			if err != nil {
				t.Fatal(err)
			}
			want3 := "2021-01 no_data \n2021-12 on_track 2021\n2022-12 behind 2022\n2023-12 at_risk 2023\n2024-12 at_risk 2024\n"
			if s := sequence(got3); s != want3 {
				t.Errorf("history after the correction:\n%s\nwant:\n%s", s, want3)
			}

			// A new figure after the last month end: recorded when it is seen, at the
			// evaluation time.
			if _, err := st.Put(ctx, []obs.Observation{ob("retail_sales", "2025-02", obs.BasisYTD, 500e8, obs.KindCollector)}); err != nil {
				t.Fatal(err)
			}
			live := historyNow.Add(2 * time.Hour)
			late := New(Options{Store: st, Targets: ts, Now: func() time.Time { return live }})
			if err := late.Refresh(ctx); err != nil {
				t.Fatal(err)
			}
			got4, _ := st.Evaluations(ctx, store.EvaluationFilter{From: monthEnd(2025, 1)})
			if len(got4) == 0 || got4[len(got4)-1].Period != "2025-02" || got4[len(got4)-1].Status != "behind" {
				t.Errorf("2025 records %s, want the 2025-02 figure judged behind", sequence(got4))
			}
		})
	}
}
