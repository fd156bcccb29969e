package settings

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"

	"gopkg.in/yaml.v3"
)

// DecodeStrict decodes the single YAML document in data into out, a pointer to a struct,
// the way Load decodes the main config: keys that out's type does not have are problems
// naming the file, line and key path, and type mismatches are reported with their line.
// It is for the other config files (targets, tasks), which validate their own values.
//
// It returns the line of every key path it saw, such as "targets[2].goal" (for a
// sequence item, "targets[2]" is the line of the item), so that later validation
// messages can name the line, and the problems found, nil when there are none. An
// empty document decodes to nothing and is not a problem.
func DecodeStrict(file string, data []byte, out any) (map[string]int, []Problem) {
	lines := map[string]int{}
	t := reflect.TypeOf(out)
	if t == nil || t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct {
		return lines, []Problem{{File: file, Msg: fmt.Sprintf("internal error: DecodeStrict needs a pointer to a struct, got %T", out)}}
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return lines, nil
		}
		return lines, []Problem{syntaxProblem(file, data, err)}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		if err != nil {
			return lines, []Problem{syntaxProblem(file, data, err)}
		}
		return lines, []Problem{{File: file, Line: extra.Line, Msg: "more than one YAML document; the file holds one"}}
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return lines, nil
	}
	if root.Kind != yaml.MappingNode {
		return lines, []Problem{{File: file, Line: root.Line, Msg: "the file must be a mapping of keys to values"}}
	}
	var probs []Problem
	checkKeys(root, t.Elem(), "", file, lines, &probs)
	if len(probs) > 0 {
		return lines, probs
	}
	if err := root.Decode(out); err != nil {
		return lines, []Problem{yamlProblem(file, err, lines)}
	}
	return lines, nil
}
