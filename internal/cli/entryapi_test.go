package cli

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// verdictOf returns the status and actual value of a target from GET /api/v1/targets,
// waiting for the evaluation to show a figure of the period when period is not "".
func (s *staffServer) verdictOf(t *testing.T, target, period string) (status string, actual float64) {
	t.Helper()
	waitUntil(t, "the verdict of "+target+" for "+period, func() bool {
		code, body := getBody(t, s.url+"/api/v1/targets")
		if code != 200 {
			return false
		}
		var vs []struct {
			Target, Status, Period string
			Actual                 float64
		}
		if err := json.Unmarshal([]byte(body), &vs); err != nil {
			t.Fatalf("targets: %v\n%s", err, body)
		}
		for _, v := range vs {
			if v.Target == target {
				status, actual = v.Status, v.Actual
				return period == "" || v.Period == period
			}
		}
		return false
	})
	return status, actual
}

// metric returns the value of one sample of /metrics, e.g. `trademon_pending_approvals`.
func (s *staffServer) metric(t *testing.T, sample string) float64 {
	t.Helper()
	v, ok := s.lookupMetric(t, sample)
	if !ok {
		t.Fatalf("/metrics lacks %s", sample)
	}
	return v
}

// lookupMetric returns the value of one sample of /metrics, and whether it is there.
func (s *staffServer) lookupMetric(t *testing.T, sample string) (float64, bool) {
	t.Helper()
	_, body := getBody(t, s.url+"/metrics")
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(sample) + ` ([0-9.e+-]+)$`)
	m := re.FindStringSubmatch(body)
	if m == nil {
		return 0, false
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	return v, true
}

// TestEntryThroughAPI walks the life of a manual figure through the API: an outlier
// refused until confirmed, pending until approved, counted in the verdict only then,
// locked, unlocked by an admin with a reason, revised with a reason; each step in the
// audit trail and the metrics.
func TestEntryThroughAPI(t *testing.T) {
	s := startStaff(t, "")
	editor, approver, admin, viewer := userByRole("editor").token, userByRole("approver").token, userByRole("admin").token, userByRole("viewer").token
	before, _ := s.verdictOf(t, "services_trade", "")
	figure := `{"indicator":"services_trade","period":"2024","basis":"year","value":"2,100","unit":"亿美元","source_url":"https://commerce.sz.gov.cn/2024.html","note":"市商务局 2024 统计公报"`

	// 2100 is 1.6 times the 2023 reference figure (1300.7亿美元): an outlier.
	code, out := s.postJSON(t, "/api/v1/observations", editor, figure+`}`)
	if code != http.StatusConflict || out["code"] != "outlier" || out["field"] != "value" ||
		!strings.HasPrefix(out["error"].(string), "2100亿美元 is 1.6 times the 2023 year figure (1300.7亿美元, reference)") {
		t.Fatalf("outlier: %d %v", code, out)
	}
	// Confirmed with a comment: pending, not counted.
	code, out = s.postJSON(t, "/api/v1/observations", editor, figure+`,"confirm":"新口径含数字服务贸易"}`)
	if code != http.StatusCreated {
		t.Fatalf("confirmed: %d %v", code, out)
	}
	got := out["observations"].([]any)[0].(map[string]any)
	if got["status"] != "pending" || got["value"] != 2.1e11 || got["unit"] != "USD" || got["display"] != "2100亿美元" || got["display_unit"] != "亿美元" || got["pending_id"] == "" {
		t.Fatalf("pending figure: %v", got)
	}
	if tl := got["targets"].([]any)[0].(map[string]any); tl["url"] != "/targets/services_trade" {
		t.Errorf("target link %v", tl)
	}
	id := got["pending_id"].(string)
	if st, actual := s.verdictOf(t, "services_trade", ""); st != before || actual == 2.1e11 {
		t.Errorf("a pending figure counts: %s %v", st, actual)
	}
	if n := s.metric(t, "trademon_pending_approvals"); n != 1 {
		t.Errorf("pending approvals %v", n)
	}

	// The editor cannot approve; the approver can.
	if code, _ := s.postJSON(t, "/api/v1/approvals/"+id+"/approve", editor, `{}`); code != http.StatusForbidden {
		t.Errorf("editor approves: %d", code)
	}
	code, out = s.postJSON(t, "/api/v1/approvals/"+id+"/approve", approver, `{"comment":"核对无误"}`)
	if code != http.StatusOK {
		t.Fatalf("approve: %d %v", code, out)
	}
	if st, actual := s.verdictOf(t, "services_trade", "2024"); actual != 2.1e11 || st != "achieved" || st == before {
		t.Errorf("after approval: %s %v (before %s)", st, actual, before)
	}
	if n := s.metric(t, "trademon_pending_approvals"); n != 0 {
		t.Errorf("pending approvals after approval %v", n)
	}

	// Approved means locked: a change is refused until an admin unlocks with a reason.
	revised := `{"indicator":"services_trade","period":"2024","value":2050,"source_url":"https://commerce.sz.gov.cn/2024-r.html"`
	code, out = s.postJSON(t, "/api/v1/observations", editor, revised+`}`)
	if code != http.StatusConflict || out["code"] != "locked" || !strings.Contains(out["error"].(string), "was approved by li.na") {
		t.Fatalf("locked: %d %v", code, out)
	}
	if code, out := s.postJSON(t, "/api/v1/locks/unlock", approver, `{"indicator":"services_trade","period":"2024","basis":"year","reason":"x"}`); code != http.StatusForbidden {
		t.Errorf("approver unlocks: %d %v", code, out)
	}
	if code, out := s.postJSON(t, "/api/v1/locks/unlock", admin, `{"indicator":"services_trade","period":"2024","basis":"year"}`); code != http.StatusUnprocessableEntity || out["field"] != "reason" {
		t.Errorf("unlock without reason: %d %v", code, out)
	}
	if code, out := s.postJSON(t, "/api/v1/locks/unlock", admin, `{"indicator":"services_trade","period":"2024","basis":"year","reason":"统计年鉴修订"}`); code != http.StatusOK {
		t.Fatalf("unlock: %d %v", code, out)
	}
	// A revision needs a reason.
	code, out = s.postJSON(t, "/api/v1/observations", editor, revised+`}`)
	if code != http.StatusUnprocessableEntity || out["field"] != "reason" {
		t.Fatalf("revision without reason: %d %v", code, out)
	}
	code, out = s.postJSON(t, "/api/v1/observations", editor, revised+`,"reason":"2025年统计年鉴修订"}`)
	if code != http.StatusCreated || out["observations"].([]any)[0].(map[string]any)["previous_value"] != 2.1e11 {
		t.Fatalf("revision: %d %v", code, out)
	}

	// The editor's limits: another indicator is refused.
	code, out = s.postJSON(t, "/api/v1/observations", editor, `{"indicator":"retail_sales","period":"2024","basis":"year","value":"10,500","source_url":"https://tjj.sz.gov.cn/x.html"}`)
	if code != http.StatusForbidden || out["field"] != "indicator" {
		t.Errorf("editor outside its indicators: %d %v", code, out)
	}
	// A viewer cannot write at all.
	if code, _ := s.postJSON(t, "/api/v1/observations", viewer, figure+`}`); code != http.StatusForbidden {
		t.Errorf("viewer writes: %d", code)
	}

	// The audit trail has every step, with who, from where, old and new values, reasons.
	code, body := s.call(t, "GET", "/api/v1/audit?indicator=services_trade", viewer, "", "")
	var trail struct {
		Audit []struct {
			User, Remote, Action, Period, Reason, Detail string
			OldValue                                     *float64 `json:"old_value"`
			NewValue                                     *float64 `json:"new_value"`
		}
	}
	if err := json.Unmarshal([]byte(body), &trail); err != nil || code != 200 {
		t.Fatalf("audit: %d %v %s", code, err, body)
	}
	var steps []string
	for _, r := range trail.Audit {
		steps = append(steps, r.User+" "+r.Action+" "+r.Reason)
		if r.Remote != "127.0.0.1" || r.Period != "2024" || (r.NewValue == nil) != (r.Action == "unlock") {
			t.Errorf("audit record %+v", r)
		}
	}
	want := []string{"zhang.wei create ", "li.na approve ", "admin unlock 统计年鉴修订", "zhang.wei revise 2025年统计年鉴修订"}
	if strings.Join(steps, "|") != strings.Join(want, "|") {
		t.Errorf("audit steps:\n%s\nwant\n%s", strings.Join(steps, "\n"), strings.Join(want, "\n"))
	}
	if last := trail.Audit[len(trail.Audit)-1]; last.OldValue == nil || *last.OldValue != 2.1e11 || *last.NewValue != 2.05e11 {
		t.Errorf("revision old/new: %+v", last)
	}
	for _, m := range []struct {
		sample string
		want   float64
	}{
		{`trademon_manual_entries_total{result="pending"}`, 2},
		{`trademon_manual_entries_total{result="rejected"}`, 4}, // outlier, locked, no reason, not its indicator
		{`trademon_audit_records_total{action="approve"}`, 1},
		{`trademon_audit_records_total{action="unlock"}`, 1},
	} {
		if got := s.metric(t, m.sample); got != m.want {
			t.Errorf("%s = %v, want %v", m.sample, got, m.want)
		}
	}
}

// TestAPIRequests checks the request rules of the API: content types, sizes,
// malformed JSON, batches all or none, Idempotency-Key.
func TestAPIRequests(t *testing.T) {
	s := startStaff(t, "entry:\n  max_body_bytes: 2048\n")
	admin := userByRole("admin").token
	one := `{"indicator":"usd_cny_rate","period":"2024","basis":"year","value":7.12,"source_url":"https://www.safe.gov.cn/a.html"}`
	tests := []struct {
		name, ctype, body string
		code              int
		want              string
	}{
		{"wrong content type", "text/plain", one, http.StatusUnsupportedMediaType, `"error":"Content-Type \"text/plain\": send application/json"`},
		{"too large", "application/json", `{"note":"` + strings.Repeat("x", 3000) + `"}`, http.StatusRequestEntityTooLarge, "larger than the 2048 bytes allowed"},
		{"not JSON", "application/json", `{"indicator":`, http.StatusBadRequest, "invalid JSON"},
		{"unknown field", "application/json", `{"indicatr":"x"}`, http.StatusBadRequest, `unknown field \"indicatr\"`},
		{"value neither number nor string", "application/json", `{"indicator":"usd_cny_rate","value":true}`, http.StatusUnprocessableEntity, `"field":"value"`},
		{"batch all or none", "application/json", `[` + one + `,{"indicator":"usd_cny_rate","period":"2023","basis":"year","value":"7,1x","source_url":"https://www.safe.gov.cn/b.html"}]`,
			http.StatusUnprocessableEntity, `"field":"value","index":1`},
	}
	for _, tc := range tests {
		code, body := s.call(t, "POST", "/api/v1/observations", admin, tc.ctype, tc.body)
		if code != tc.code || !strings.Contains(body, tc.want) {
			t.Errorf("%s: %d %s\nwant %d with %s", tc.name, code, body, tc.code, tc.want)
		}
	}
	if code, body := s.call(t, "GET", "/api/v1/observations?indicator=usd_cny_rate&source_kind=manual", admin, "", ""); code != 200 || body != "{\"observations\":[]}\n" {
		t.Errorf("the refused batch stored something: %d %s", code, body)
	}

	// Idempotency-Key: a retry is answered from the first answer and stores once.
	post := func(key, body string) (int, string, string) {
		req, _ := http.NewRequest("POST", s.url+"/api/v1/observations", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+admin)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", key)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var b strings.Builder
		buf := make([]byte, 4096)
		for {
			n, err := res.Body.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		return res.StatusCode, res.Header.Get("Idempotent-Replayed"), b.String()
	}
	c1, r1, b1 := post("k-1", one)
	c2, r2, b2 := post("k-1", one)
	if c1 != 201 || c2 != 201 || r1 != "" || r2 != "true" || b1 != b2 || !strings.Contains(b1, `"status":"created"`) {
		t.Errorf("idempotent retry: %d %q %s / %d %q %s", c1, r1, b1, c2, r2, b2)
	}
	if c, _, b := post("k-1", strings.Replace(one, "7.12", "7.13", 1)); c != http.StatusUnprocessableEntity || !strings.Contains(b, "used for a different request") {
		t.Errorf("key reused for another request: %d %s", c, b)
	}
	if c, _, b := post("k-2", one); c != 201 || !strings.Contains(b, `"status":"unchanged"`) {
		t.Errorf("same figure, new key: %d %s", c, b)
	}
}

// TestCSRF: a session's writes need its CSRF token, in the form or the header.
func TestCSRF(t *testing.T) {
	s := startStaff(t, "")
	ss := s.login(t, userByRole("editor"))
	form := matrixRequests["POST /tasks"].form
	if code, _, body := ss.form(t, s.url+"/tasks", cloneValues(form), false); code != http.StatusForbidden || !strings.Contains(body, "CSRF") {
		t.Errorf("form without CSRF token: %d", code)
	}
	v := cloneValues(form)
	v.Set("csrf_token", "forged")
	if code, _, _ := ss.form(t, s.url+"/tasks", v, false); code != http.StatusForbidden {
		t.Errorf("forged CSRF token: %d", code)
	}
	if code, _, body := ss.form(t, s.url+"/tasks", cloneValues(form), true); code != http.StatusOK || !strings.Contains(body, "Recorded: task 16 is in_progress") {
		t.Errorf("with the token: %d %s", code, snippet(body))
	}
	// The API with a session cookie: the header carries the token.
	for _, hdr := range []string{"", ss.csrf} {
		req, _ := http.NewRequest("POST", s.url+"/api/v1/tasks", strings.NewReader(`{"task":16,"status":"delayed","note":"api"}`))
		req.Header.Set("Content-Type", "application/json")
		if hdr != "" {
			req.Header.Set("X-CSRF-Token", hdr)
		}
		res, err := ss.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		want := http.StatusCreated
		if hdr == "" {
			want = http.StatusForbidden
		}
		if res.StatusCode != want {
			t.Errorf("API with session, X-CSRF-Token %q: %d, want %d", hdr, res.StatusCode, want)
		}
	}
}

// TestRejectAndApprovedOnEntry: a rejection needs a reason and leaves nothing stored;
// an approver's own figure on an approval indicator is approved on entry and locked.
func TestRejectAndApprovedOnEntry(t *testing.T) {
	s := startStaff(t, "")
	editor, approver, viewer := userByRole("editor").token, userByRole("approver").token, userByRole("viewer").token
	code, out := s.postJSON(t, "/api/v1/observations", editor, `{"indicator":"digital_economy_share","period":"2022","value":"31","quote":"深圳统计年鉴2023 表3-1"}`)
	if code != http.StatusCreated {
		t.Fatalf("enter: %d %v", code, out)
	}
	id := out["observations"].([]any)[0].(map[string]any)["pending_id"].(string)
	if code, out := s.postJSON(t, "/api/v1/approvals/"+id+"/reject", approver, `{}`); code != http.StatusUnprocessableEntity || out["field"] != "reason" {
		t.Errorf("reject without reason: %d %v", code, out)
	}
	if code, out := s.postJSON(t, "/api/v1/approvals/"+id+"/reject", approver, `{"reason":"与年鉴表3-1不符"}`); code != http.StatusOK {
		t.Fatalf("reject: %d %v", code, out)
	}
	if code, _ := s.postJSON(t, "/api/v1/approvals/"+id+"/approve", approver, `{}`); code != http.StatusNotFound {
		t.Errorf("approving a rejected figure: %d", code)
	}
	if _, body := s.call(t, "GET", "/api/v1/observations?indicator=digital_economy_share&source_kind=manual", viewer, "", ""); body != "{\"observations\":[]}\n" {
		t.Errorf("a rejected figure was stored: %s", body)
	}
	_, trail := s.call(t, "GET", "/api/v1/audit?action=reject", viewer, "", "")
	if !strings.Contains(trail, `"user":"li.na"`) || !strings.Contains(trail, `"reason":"与年鉴表3-1不符"`) || !strings.Contains(trail, `"new_value":0.31`) {
		t.Errorf("reject audit: %s", trail)
	}

	code, out = s.postJSON(t, "/api/v1/observations", approver, `{"indicator":"digital_economy_share","period":"2022","value":"31","quote":"深圳统计年鉴2023 表3-1"}`)
	got := out["observations"].([]any)[0].(map[string]any)
	if code != http.StatusCreated || got["status"] != "created" || got["locked"] != true {
		t.Fatalf("approver's own figure: %d %v", code, got)
	}
	if code, out := s.postJSON(t, "/api/v1/observations", editor, `{"indicator":"digital_economy_share","period":"2022","value":"31.2","quote":"x","reason":"y"}`); code != http.StatusConflict || out["code"] != "locked" {
		t.Errorf("after approval on entry: %d %v", code, out)
	}
	// The same figure again is no change, so the lock does not refuse it.
	if code, out := s.postJSON(t, "/api/v1/observations", approver, `{"indicator":"digital_economy_share","period":"2022","value":"31","quote":"深圳统计年鉴2023 表3-1"}`); code != http.StatusCreated ||
		out["observations"].([]any)[0].(map[string]any)["status"] != "unchanged" {
		t.Errorf("the stored figure again: %d %v", code, out)
	}
}
