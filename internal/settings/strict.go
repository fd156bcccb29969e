package settings

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"slices"

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
	probs, _ := decodeDoc(file, data, out, t.Elem(), lines, fileMessages)
	return lines, probs
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
// document decodes to nothing and is not a problem. decoded is false when the file is
// not a YAML mapping at all (bad syntax, two documents …) and nothing was decoded;
// with unknown keys and values of the wrong type, the rest is decoded.
func decodeDoc(file string, data []byte, out any, t reflect.Type, lines map[string]int, msgs docMessages) (probs []Problem, decoded bool) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, true
		}
		return []Problem{syntaxProblem(file, data, err)}, false
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		if err != nil {
			return []Problem{syntaxProblem(file, data, err)}, false
		}
		return []Problem{{File: file, Line: extra.Line, Msg: msgs.twoDocs}}, false
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return nil, true
	}
	if root.Kind != yaml.MappingNode {
		return []Problem{{File: file, Line: root.Line, Msg: msgs.notMapping}}, false
	}
	// Unknown keys and values of the wrong type are all reported, in file order:
	// the decoder goes on past a value it cannot decode (leaving that field as it
	// was) and lists every one.
	checkKeys(root, t, "", file, lines, &probs)
	if err := root.Decode(out); err != nil {
		probs = append(probs, yamlProblems(file, err, lines)...)
	}
	sortByLine(probs)
	return probs, true
}

// sortByLine orders problems by line, keeping the order of those on one line and
// putting those without a line last.
func sortByLine(probs []Problem) {
	slices.SortStableFunc(probs, func(a, b Problem) int {
		la, lb := a.Line, b.Line
		if la == 0 {
			la = math.MaxInt
		}
		if lb == 0 {
			lb = math.MaxInt
		}
		return cmp.Compare(la, lb)
	})
}
