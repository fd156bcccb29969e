package dashboards

import (
	"testing"
	"time"

	"github.com/trademon/trademon/internal/obs"
	"github.com/trademon/trademon/internal/store"
	"github.com/trademon/trademon/internal/store/influx"
	"github.com/trademon/trademon/internal/testutil/influxtest"
)

// A verdict recomputed with another status for the same month end (a corrected figure)
// is a second point in InfluxDB, the status being a tag. The status and progress
// history must show the record acknowledged last, once, not both.
func TestEvaluationQueriesKeepTheLatestRecord(t *testing.T) {
	srv := influxtest.Start(t)
	bucket := srv.CreateDatabase(t)
	st, err := influx.Open(t.Context(), influx.Config{URL: srv.URL, Org: srv.Org, Token: srv.Token, Bucket: bucket,
		Dir: t.TempDir(), RetryMin: 10 * time.Millisecond, RetryMax: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	y2024, y2025 := obs.YearPeriod(2023).End(), obs.YearPeriod(2024).End()
	rec := func(at time.Time, status string, progress float64) store.EvaluationRecord {
		return store.EvaluationRecord{Time: at, Target: "retail_sales", Status: status, Period: "2024", Actual: 1, Expected: 1, Progress: progress}
	}
	for _, batch := range [][]store.EvaluationRecord{
		{rec(y2024, "behind", 0.5), rec(y2025, "achieved", 1.0)},
		{rec(y2025, "at_risk", 0.9)}, // the history recomputed after a correction
	} {
		if err := st.AppendEvaluations(t.Context(), batch); err != nil {
			t.Fatal(err)
		}
	}
	from, to := time.Date(2023, 6, 1, 0, 0, 0, 0, time.UTC), time.Now()
	d := committed(t)[OverviewUID]
	for _, c := range []struct {
		panel int
		want  []string
		col   string
	}{
		{OverviewHistoryPanel, []string{"behind", "at_risk"}, "status"},
		{OverviewProgressPanel, []string{"0.5", "0.9"}, "_value"},
	} {
		p, _ := d.panel(c.panel)
		rows, err := srv.FluxErr(fluxQuery(p.Targets[0].Query, nil, []string{"retail_sales"}, bucket, from, to))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range rows {
			got = append(got, r[c.col])
		}
		if len(got) != len(c.want) || got[0] != c.want[0] || got[1] != c.want[1] {
			t.Errorf("panel %d: %s %v, want %v", c.panel, c.col, got, c.want)
		}
	}
}
