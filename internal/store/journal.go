package store

import (
	"context"
	"time"

	"github.com/trademon/trademon/internal/obs"
)

// Journal is the append-only part of a store: the audit trail of staff actions and the
// history of target verdicts. Neither is ever edited or deleted through trademon.
// In embedded mode both live in the bbolt file; in InfluxDB mode they are the `audit`
// and `evaluation` measurements (DESIGN.md, "Storage"), written through the spool like
// observations, so an acknowledged record survives a crash or an outage.
type Journal interface {
	// AppendAudit durably records audit entries. A record with a zero Time gets the
	// time of the call. When it returns nil the records are acknowledged.
	AppendAudit(ctx context.Context, rs []AuditRecord) error
	// Audit returns the audit entries matching f, oldest first.
	Audit(ctx context.Context, f AuditFilter) ([]AuditRecord, error)
	// AppendEvaluations durably records verdicts. Recording the same target, time and
	// status again replaces the earlier record (a backfill run twice stores each once).
	AppendEvaluations(ctx context.Context, es []EvaluationRecord) error
	// Evaluations returns the recorded verdicts matching f, oldest first.
	Evaluations(ctx context.Context, f EvaluationFilter) ([]EvaluationRecord, error)
}

// AuditAction names what an audit entry records.
type AuditAction string

// Audit actions.
const (
	AuditCreate       AuditAction = "create"        // a new figure (pending or stored)
	AuditRevise       AuditAction = "revise"        // a changed value of an existing figure
	AuditApprove      AuditAction = "approve"       // an approver accepted a pending figure
	AuditReject       AuditAction = "reject"        // an approver refused a pending figure
	AuditUnlock       AuditAction = "unlock"        // an admin unlocked an approved period
	AuditImport       AuditAction = "import"        // a file import (Detail: its summary)
	AuditLoginFailure AuditAction = "login_failure" // a failed login (never the password)
	AuditTaskUpdate   AuditAction = "task_update"   // a plan measure's status or note changed
)

// AuditRecord is one entry of the audit trail. The JSON shape is a contract
// (DESIGN.md, "HTTP": GET /api/v1/audit).
type AuditRecord struct {
	Time time.Time `json:"time"`
	// User is the login name ("zhang.wei"), or for a failed login the name tried.
	User string `json:"user"`
	// Remote is the client address the request came from.
	Remote    string      `json:"remote"`
	Action    AuditAction `json:"action"`
	Indicator string      `json:"indicator,omitempty"`
	Period    string      `json:"period,omitempty"`
	Basis     obs.Basis   `json:"basis,omitempty"`
	// OldValue and NewValue are in the indicator's base unit; nil when there is none.
	OldValue *float64 `json:"old_value"`
	NewValue *float64 `json:"new_value"`
	Reason   string   `json:"reason,omitempty"`
	// Detail holds what the fields above cannot: a task number and its old and new
	// status, an import's file name and counts, why a login failed.
	Detail string `json:"detail,omitempty"`
}

// AuditFilter selects audit entries. Zero fields match everything.
type AuditFilter struct {
	User      string
	Indicator string
	Action    AuditAction
	// From (inclusive) and To (exclusive) bound Time; zero means open.
	From, To time.Time
	// Limit caps how many of the newest matching entries are returned; 0 means all.
	Limit int
}

// EvaluationRecord is a target's verdict from the time it took effect (DESIGN.md,
// "Storage": one point per target whenever its verdict changes). Values are in the
// indicator's base unit, as in targets.Verdict.
type EvaluationRecord struct {
	// Time is when the verdict took effect: the evaluation time, or for backfilled
	// history the period end it was judged as of.
	Time   time.Time `json:"time"`
	Target string    `json:"target"`
	// Status is a targets.Status ("on_track", "behind", …).
	Status string `json:"status"`
	// Period is the period of the figure the verdict rests on ("2025-09", "2024").
	Period    string  `json:"period"`
	Actual    float64 `json:"actual"`
	Expected  float64 `json:"expected"`
	Gap       float64 `json:"gap"`
	Projected float64 `json:"projected"`
	Progress  float64 `json:"progress"`
}

// EvaluationFilter selects evaluation records. Zero fields match everything.
type EvaluationFilter struct {
	Targets []string
	// From (inclusive) and To (exclusive) bound Time; zero means open.
	From, To time.Time
}
