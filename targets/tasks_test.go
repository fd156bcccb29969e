package targets

import (
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestBuiltinTasks(t *testing.T) {
	ts, err := BuiltinTasks()
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != 46 {
		t.Fatalf("got %d tasks, want the plan's 46", len(ts))
	}
	for i, task := range ts {
		if task.Number != i+1 {
			t.Errorf("task %d has number %d", i+1, task.Number)
		}
		lead, sup, err := ParseResponsibility(task.Responsibility)
		if err != nil {
			t.Errorf("task %d: %v", task.Number, err)
		}
		if !slices.Equal(lead, task.Lead) || !slices.Equal(sup, nilIfEmpty(task.Supporting)) {
			t.Errorf("task %d: file says lead %q supporting %q, but %q parses as lead %q supporting %q",
				task.Number, task.Lead, task.Supporting, task.Responsibility, lead, sup)
		}
		if task.Status != TaskUnknown {
			t.Errorf("task %d: status %q, want unknown", task.Number, task.Status)
		}
	}
	spot := []struct {
		n                   int
		textPrefix, section string
		measure             string
		lead, supporting    []string
	}{
		{1, "梳理修订妨碍内外贸一体化的地方性法规", "（一）完善内外贸一体化制度体系", "1.健全法规制度", []string{"市司法局"}, []string{"各有关部门"}},
		{2, "细化落实《深圳建设中国特色社会主义先行示范区放宽市场准入若干措施的意见》", "（一）完善内外贸一体化制度体系", "1.健全法规制度", []string{"各有关部门"}, nil},
		{5, "大力推进通关便利化改革", "（一）完善内外贸一体化制度体系", "2.完善内外贸监管机制", []string{"深圳海关"}, nil},
		{10, "加速构建“20+8”战略性新兴产业集群和未来产业标准体系", "（一）完善内外贸一体化制度体系", "4.促进标准认证衔接", []string{"市市场监管局"},
			[]string{"市委宣传部", "市发展改革委", "市工业和信息化局", "市科技创新委", "市规划和自然资源局", "市文化广电旅游体育局", "市商务局"}},
		{16, "支持有条件和意愿的大型商贸、物流、供应链企业“走出去”", "（二）增强内外贸一体化发展能力", "6.支持企业“走出去”", []string{"市商务局"}, []string{"市贸促委"}},
		{19, "出台市场采购贸易扶持政策", "（二）增强内外贸一体化发展能力", "7.培育外贸新业态新动能", []string{"深圳海关", "市商务局"}, nil},
		{33, "持续推动深圳机场扩容升级", "（二）增强内外贸一体化发展能力", "10.畅通国际物流网络", []string{"市交通运输局", "深圳市机场集团"}, nil},
		{41, "加快打造全球电子元器件、医疗器械和消费品集散中心", "（三）强化内外贸一体化平台支撑", "14.搭建内外贸融合发展平台", []string{"市商务局", "罗湖区"},
			[]string{"市工业和信息化局", "市国资委", "深圳海关", "市发展和改革委"}},
		{46, "扎实推进跨境贸易人民币结算业务发展", "（三）强化内外贸一体化平台支撑", "15.拓展对外经贸合作平台",
			[]string{"人民银行深圳市中心支行", "市商务局", "市国资委", "市发展和改革委", "国家外汇局深圳市分局", "中国银行业监督管理委员会深圳监管局"}, nil},
	}
	for _, s := range spot {
		task := ts[s.n-1]
		if !strings.HasPrefix(task.Text, s.textPrefix) || task.Section != s.section || task.Measure != s.measure {
			t.Errorf("task %d: text %.30q… section %q measure %q; want text starting %q, section %q, measure %q",
				s.n, task.Text, task.Section, task.Measure, s.textPrefix, s.section, s.measure)
		}
		if !slices.Equal(task.Lead, s.lead) || !slices.Equal(nilIfEmpty(task.Supporting), s.supporting) {
			t.Errorf("task %d: lead %q supporting %q, want %q and %q", s.n, task.Lead, task.Supporting, s.lead, s.supporting)
		}
	}
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

// TestTasksMatchPlan checks every task's text and responsibility against the plan's
// task table (testdata/plan.txt is the plan as published for comment, 征求意见稿).
func TestTasksMatchPlan(t *testing.T) {
	plan, err := os.ReadFile("testdata/plan.txt")
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(plan), "任务分工表")
	if !ok {
		t.Fatal("plan text has no 任务分工表")
	}
	ts, err := BuiltinTasks()
	if err != nil {
		t.Fatal(err)
	}
	for _, task := range ts {
		row := "\t" + strconv.Itoa(task.Number) + "\n\t" + task.Text + "\n\t" + task.Responsibility + "\n"
		if !strings.Contains(table, row) {
			t.Errorf("task %d does not match a row of the plan's table verbatim", task.Number)
		}
	}
}

func TestParseResponsibility(t *testing.T) {
	tests := []struct {
		in               string
		lead, supporting []string
		err              string
	}{
		{"市商务局牵头，市贸促委按职责分工负责", []string{"市商务局"}, []string{"市贸促委"}, ""},
		{"深圳海关", []string{"深圳海关"}, nil, ""},
		{"各有关部门按职责分工负责", []string{"各有关部门"}, nil, ""},
		{"市司法局牵头，各有关部门按职责分工负责", []string{"市司法局"}, []string{"各有关部门"}, ""},
		{"市市场监管局、深圳海关按职责分工负责", []string{"市市场监管局", "深圳海关"}, nil, ""},
		{"市市场监管局牵头，市委宣传部、市商务局等按职责分工负责", []string{"市市场监管局"}, []string{"市委宣传部", "市商务局"}, ""},
		{"市商务局、罗湖区牵头，市国资委、深圳海关按职责分工负责", []string{"市商务局", "罗湖区"}, []string{"市国资委", "深圳海关"}, ""},
		{" 市商务局牵头, 深圳海关按职责分工负责 ", []string{"市商务局"}, []string{"深圳海关"}, ""},
		{"", nil, nil, "empty responsibility"},
		{"市商务局、、深圳海关", nil, nil, `empty department name in "市商务局、、深圳海关"`},
		{"牵头，市贸促委按职责分工负责", nil, nil, `empty department name in "牵头，市贸促委按职责分工负责"`},
	}
	for _, tc := range tests {
		lead, sup, err := ParseResponsibility(tc.in)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("%q: error %v, want %s", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || !slices.Equal(lead, tc.lead) || !slices.Equal(sup, tc.supporting) {
			t.Errorf("%q = %q, %q, %v; want %q, %q", tc.in, lead, sup, err, tc.lead, tc.supporting)
		}
	}
}

const validTasks = `tasks:
  - number: 1
    text: 第一项
    lead: [市商务局]
  - number: 2
    text: 第二项
    lead: [深圳海关]
    supporting: [市商务局]
  - number: 3
    text: 第三项
    lead: [市司法局]
`

func TestParseTasksErrors(t *testing.T) {
	tests := []struct {
		name, from, to, want string
	}{
		{"missing number", "number: 2", "number: 4",
			"t.yaml:2: tasks: task number 2 is missing (numbers must run from 1 to 4 without gaps)"},
		{"duplicate number", "number: 3", "number: 1",
			"t.yaml:9: tasks[2].number: duplicate task number 1 (first at line 2)"},
		{"empty text", "text: 第二项", "text: \"\"", "t.yaml:6: tasks[1].text: missing: task 2 needs the measure's text"},
		{"no lead", "    lead: [深圳海关]\n", "", "t.yaml:5: tasks[1].lead: missing: task 2 needs at least one lead department"},
		{"empty lead name", "lead: [深圳海关]", "lead: [\"\"]", "t.yaml:7: tasks[1].lead[0]: empty department name"},
		{"lead also supporting", "supporting: [市商务局]", "supporting: [深圳海关]", "t.yaml:8: tasks[1].supporting[0]: 深圳海关 is already a lead department of task 2"},
		{"bad status", "lead: [市司法局]", "lead: [市司法局]\n    status: finished",
			`t.yaml:12: tasks[2].status: unknown status "finished" (want unknown, not_started, in_progress, completed or delayed)`},
		{"zero number", "number: 3", "number: 0", "t.yaml:9: tasks[2].number: missing or not positive: task numbers run from 1"},
		{"unknown key", "text: 第一项", "txt: 第一项",
			"t.yaml:3: tasks[0].txt: unknown key (known keys of tasks[0]: lead, measure, number, responsibility, section, status, supporting, text)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := strings.Replace(validTasks, tc.from, tc.to, 1)
			if in == validTasks {
				t.Fatal("test case did not change the input")
			}
			_, err := ParseTasks("t.yaml", []byte(in))
			if err == nil || err.Error() != tc.want {
				t.Errorf("error\n got %v\nwant %s", err, tc.want)
			}
		})
	}
	ts, err := ParseTasks("t.yaml", []byte(validTasks))
	if err != nil || len(ts) != 3 || ts[1].Supporting[0] != "市商务局" || ts[2].Status != TaskUnknown {
		t.Errorf("valid tasks: %+v, %v", ts, err)
	}
}
