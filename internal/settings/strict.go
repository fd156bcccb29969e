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
// messages can name the line (see Problems), and the problems found, nil when there
// are none. An empty document decodes to nothing and is not a problem.
func DecodeStrict(file string, data []byte, out any) (map[string]int, []Problem) {
	lines := map[string]int{}
	t := reflect.TypeOf(out)
	if t == nil || t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct {
		return lines, []Problem{{File: file, Msg: fmt.Sprintf("internal error: DecodeStrict needs a pointer to a struct, got %T", out)}}
	}
	return lines, decodeDoc(file, data, out, t.Elem(), lines, fileMessages)
}

// docMessages are what decodeDoc says about a file that is not one YAML mapping.
type docMessages struct{ twoDocs, notMapping string }

var (
	// configMessages are for the main config (Load).
	configMessages = docMessages{
		twoDocs:    "more than one YAML document; a config file holds one",
		notMapping: "the config must be a mapping of keys to values",
	}
	// fileMessages are for the other config files (DecodeStrict).
	fileMessages = docMessages{
		twoDocs:    "more than one YAML document; the file holds one",
		notMapping: "the file must be a mapping of keys to values",
	}
)

// decodeDoc strictly decodes the single YAML document in data into out, whose type
// (without the pointer) is t, recording the line of every key path in lines. An empty
// document decodes to nothing and is not a problem.
func decodeDoc(file string, data []byte, out any, t reflect.Type, lines map[string]int, msgs docMessages) []Problem {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil
		}
		return []Problem{syntaxProblem(file, data, err)}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		if err != nil {
			return []Problem{syntaxProblem(file, data, err)}
		}
		return []Problem{{File: file, Line: extra.Line, Msg: msgs.twoDocs}}
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return nil
	}
	if root.Kind != yaml.MappingNode {
		return []Problem{{File: file, Line: root.Line, Msg: msgs.notMapping}}
	}
	var probs []Problem
	checkKeys(root, t, "", file, lines, &probs)
	if len(probs) > 0 {
		return probs
	}
	if err := root.Decode(out); err != nil {
		return []Problem{yamlProblem(file, err, lines)}
	}
	return nil
}
