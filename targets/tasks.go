package targets

import (
	"fmt"
	"slices"
	"strings"

	"github.com/trademon/trademon/config"
	"github.com/trademon/trademon/internal/settings"
)

// TaskStatus is how far staff report a task of the plan has got.
type TaskStatus string

// Task statuses (PLAN.md "Agreed names"); unknown is the default when neither
// tasks.yaml nor staff say anything.
const (
	TaskUnknown    TaskStatus = "unknown"
	TaskNotStarted TaskStatus = "not_started"
	TaskInProgress TaskStatus = "in_progress"
	TaskCompleted  TaskStatus = "completed"
	TaskDelayed    TaskStatus = "delayed"
)

// TaskStatuses lists every task status, in the order metrics show them.
var TaskStatuses = []TaskStatus{TaskUnknown, TaskNotStarted, TaskInProgress, TaskCompleted, TaskDelayed}

// ParseTaskStatus parses a status staff may record: not_started, in_progress,
// completed or delayed (unknown is only the default).
func ParseTaskStatus(s string) (TaskStatus, error) {
	switch st := TaskStatus(s); st {
	case TaskNotStarted, TaskInProgress, TaskCompleted, TaskDelayed:
		return st, nil
	}
	return "", fmt.Errorf("unknown status %q (want not_started, in_progress, completed or delayed)", s)
}

// ZH returns the status's Chinese name.
func (s TaskStatus) ZH() string {
	switch s {
	case TaskNotStarted:
		return "未开始"
	case TaskInProgress:
		return "推进中"
	case TaskCompleted:
		return "已完成"
	case TaskDelayed:
		return "滞后"
	}
	return "未报告"
}

// Task is one row of the plan's task table (任务分工表).
type Task struct {
	// Number is the row number (序号), from 1.
	Number int
	// Section and Measure place the row in the plan's text, e.g. "（一）完善内外贸一体化制度体系"
	// and "1.健全法规制度".
	Section string
	Measure string
	// Text is the measure as the table states it.
	Text string
	// Responsibility is the table's 责任分工 cell, verbatim.
	Responsibility string
	// Lead are the leading (牵头) departments, or the jointly responsible ones when the
	// table names no lead; Supporting are the departments that contribute.
	Lead       []string
	Supporting []string
	Status     TaskStatus
}

// BuiltinTasksFile names the embedded tasks file in messages.
const BuiltinTasksFile = "config/tasks.yaml (built-in)"

// BuiltinTasks parses the tasks file embedded in the binary (config/tasks.yaml).
func BuiltinTasks() ([]Task, error) {
	return ParseTasks(BuiltinTasksFile, config.TasksYAML)
}

type tasksFile struct {
	Tasks []rawTask `yaml:"tasks"`
}

type rawTask struct {
	Number         int      `yaml:"number"`
	Section        string   `yaml:"section"`
	Measure        string   `yaml:"measure"`
	Text           string   `yaml:"text"`
	Responsibility string   `yaml:"responsibility"`
	Lead           []string `yaml:"lead"`
	Supporting     []string `yaml:"supporting"`
	Status         string   `yaml:"status"`
}

// ParseTasks decodes and validates a tasks file: numbers must run from 1 to the number
// of tasks with no gap or repeat, and every task needs a text and a lead department.
// Every problem is reported, each naming the file, line, key and what is wrong, in one
// *settings.Error. The result is sorted by number.
func ParseTasks(file string, data []byte) ([]Task, error) {
	var f tasksFile
	lines, probs := settings.DecodeStrict(file, data, &f)
	if len(probs) > 0 {
		return nil, &settings.Error{Problems: probs}
	}
	p := &settings.Problems{File: file, Lines: lines}
	if len(f.Tasks) == 0 {
		p.Addf("tasks", "no tasks: the file must list at least one under tasks:")
		return nil, p.Err()
	}
	out := make([]Task, 0, len(f.Tasks))
	firstLine := map[int]int{}
	maxNumber := 0
	for i, r := range f.Tasks {
		key := fmt.Sprintf("tasks[%d]", i)
		n := len(p.List)
		t := Task{
			Number: r.Number, Section: strings.TrimSpace(r.Section), Measure: strings.TrimSpace(r.Measure),
			Text: strings.TrimSpace(r.Text), Responsibility: strings.TrimSpace(r.Responsibility),
			Lead: trimAll(r.Lead), Supporting: trimAll(r.Supporting), Status: TaskStatus(r.Status),
		}
		switch {
		case r.Number < 1:
			p.Addf(key+".number", "missing or not positive: task numbers run from 1")
		case firstLine[r.Number] != 0:
			p.Addf(key+".number", "duplicate task number %d (first at line %d)", r.Number, firstLine[r.Number])
		default:
			firstLine[r.Number] = lines[key+".number"]
			maxNumber = max(maxNumber, r.Number)
		}
		if t.Text == "" {
			p.Addf(key+".text", "missing: task %d needs the measure's text", r.Number)
		}
		if len(t.Lead) == 0 {
			p.Addf(key+".lead", "missing: task %d needs at least one lead department", r.Number)
		}
		for j, d := range t.Lead {
			if d == "" {
				p.Addf(fmt.Sprintf("%s.lead[%d]", key, j), "empty department name")
			}
		}
		for j, d := range t.Supporting {
			if d == "" {
				p.Addf(fmt.Sprintf("%s.supporting[%d]", key, j), "empty department name")
			}
			if slices.Contains(t.Lead, d) {
				p.Addf(fmt.Sprintf("%s.supporting[%d]", key, j), "%s is already a lead department of task %d", d, r.Number)
			}
		}
		switch t.Status {
		case "":
			t.Status = TaskUnknown
		case TaskUnknown, TaskNotStarted, TaskInProgress, TaskCompleted, TaskDelayed:
		default:
			p.Addf(key+".status", "unknown status %q (want unknown, not_started, in_progress, completed or delayed)", r.Status)
		}
		if len(p.List) == n {
			out = append(out, t)
		}
	}
	for n := 1; n <= maxNumber; n++ {
		if firstLine[n] == 0 {
			p.Addf("tasks", "task number %d is missing (numbers must run from 1 to %d without gaps)", n, maxNumber)
		}
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b Task) int { return a.Number - b.Number })
	return out, nil
}

func trimAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strings.TrimSpace(s)
	}
	return out
}

const (
	leadSuffix = "牵头"
	dutySuffix = "按职责分工负责"
	etcSuffix  = "等"
	clauseSep  = "，"
	deptSep    = "、"
)

// ParseResponsibility reads a 责任分工 cell of the task table into lead and supporting
// departments:
//
//   - "市商务局牵头，市贸促委按职责分工负责" → lead 市商务局, supporting 市贸促委;
//   - "深圳海关、市商务局按职责分工负责" (no 牵头 clause) → both lead jointly, none support;
//   - "深圳海关" (a bare name) → lead 深圳海关;
//   - "各有关部门按职责分工负责" → lead 各有关部门.
//
// Names are separated by 、, clauses by ，, and a trailing 等 is dropped. An empty cell
// or an empty name is an error.
func ParseResponsibility(s string) (lead, supporting []string, err error) {
	s = strings.TrimSpace(strings.ReplaceAll(s, ",", clauseSep))
	if s == "" {
		return nil, nil, fmt.Errorf("empty responsibility")
	}
	var duty []string
	for clause := range strings.SplitSeq(s, clauseSep) {
		clause = strings.TrimSpace(clause)
		var names string
		var isDuty bool
		switch {
		case strings.HasSuffix(clause, leadSuffix):
			names = strings.TrimSuffix(clause, leadSuffix)
		case strings.HasSuffix(clause, dutySuffix):
			names, isDuty = strings.TrimSuffix(clause, dutySuffix), true
		default:
			names = clause
		}
		names = strings.TrimSuffix(strings.TrimSpace(names), etcSuffix)
		for name := range strings.SplitSeq(names, deptSep) {
			name = strings.TrimSpace(name)
			if name == "" {
				return nil, nil, fmt.Errorf("empty department name in %q", s)
			}
			if isDuty {
				duty = append(duty, name)
			} else {
				lead = append(lead, name)
			}
		}
	}
	if len(lead) == 0 {
		return duty, nil, nil
	}
	return lead, duty, nil
}
