package settings

import (
	"strings"
	"testing"
)

type strictDoc struct {
	Items []struct {
		Name  string `yaml:"name"`
		Count int    `yaml:"count"`
	} `yaml:"items"`
}

func TestDecodeStrict(t *testing.T) {
	tests := []struct {
		name, in string
		want     string // joined problems; "" for none
	}{
		{"valid", "items:\n  - name: a\n    count: 2\n", ""},
		{"empty", "", ""},
		{"unknown key", "items:\n  - name: a\n    colour: red\n", "f.yaml:3: items[0].colour: unknown key (known keys of items[0]: count, name)"},
		{"type mismatch", "items:\n  - name: a\n    count: many\n", "f.yaml:3: items[0].count: cannot decode YAML str `many` into int"},
		{"every problem, not only the first", "items:\n  - name: a\n    count: many\n    colour: red\n  - name: [b]\n    count: {n: 1}\n",
			"f.yaml:3: items[0].count: cannot decode YAML str `many` into int\n" +
				"f.yaml:4: items[0].colour: unknown key (known keys of items[0]: count, name)\n" +
				"f.yaml:5: items[1].name: cannot decode YAML seq into string\n" +
				"f.yaml:6: items[1].count: cannot decode YAML map into int"},
		{"tab indentation", "items:\n\t- name: a\n", "f.yaml:2: invalid YAML: a tab in the indentation (YAML indents with spaces only)"},
		{"two documents", "items: []\n---\nitems: []\n", "f.yaml:2: more than one YAML document; the file holds one"},
		{"not a mapping", "- a\n", "f.yaml:1: the file must be a mapping of keys to values"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var d strictDoc
			lines, probs := DecodeStrict("f.yaml", []byte(tc.in), &d)
			got := make([]string, len(probs))
			for i, p := range probs {
				got[i] = p.String()
			}
			if g := strings.Join(got, "\n"); g != tc.want {
				t.Errorf("problems\n got %q\nwant %q", g, tc.want)
			}
			if tc.name == "valid" && (len(d.Items) != 1 || d.Items[0].Count != 2 || lines["items[0].count"] != 3 || lines["items[0]"] != 2) {
				t.Errorf("decoded %+v, lines %v", d, lines)
			}
		})
	}
	var notStruct []string
	if _, probs := DecodeStrict("f.yaml", []byte("a: 1"), &notStruct); len(probs) != 1 {
		t.Errorf("a non-struct target should be a problem, got %v", probs)
	}
}
