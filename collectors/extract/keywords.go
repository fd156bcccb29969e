package extract

import (
	"cmp"
	"slices"
	"strings"
	"unicode/utf8"
)

// Keywords finds words of a fixed vocabulary in text, each word carrying a class
// (for example "深圳关区" → "district", "全市" → "city"). At every position the longest
// word wins, and matches do not overlap, so "深圳海关关区" is one word, not "深圳" plus
// "关区". A Keywords is safe for concurrent use.
type Keywords struct {
	byFirst map[rune][]keyword
}

type keyword struct {
	word, class string
}

// NewKeywords builds a matcher from word, class pairs: NewKeywords("全市", "city",
// "关区", "district"). It panics on an odd number of arguments or an empty word, as
// the vocabulary is fixed in code.
func NewKeywords(pairs ...string) *Keywords {
	if len(pairs)%2 != 0 {
		panic("extract.NewKeywords: odd number of arguments")
	}
	k := &Keywords{byFirst: make(map[rune][]keyword)}
	for i := 0; i < len(pairs); i += 2 {
		w := pairs[i]
		r, _ := utf8.DecodeRuneInString(w)
		if w == "" {
			panic("extract.NewKeywords: empty word")
		}
		k.byFirst[r] = append(k.byFirst[r], keyword{w, pairs[i+1]})
	}
	for r, ws := range k.byFirst {
		slices.SortStableFunc(ws, func(a, b keyword) int { return cmp.Compare(len(b.word), len(a.word)) })
		k.byFirst[r] = ws
	}
	return k
}

// Match is one keyword found in a text.
type Match struct {
	Word, Class string
	Start, End  int
}

// at returns the longest keyword starting at s[i:].
func (k *Keywords) at(s string, i int) (keyword, bool) {
	r, _ := utf8.DecodeRuneInString(s[i:])
	for _, kw := range k.byFirst[r] {
		if strings.HasPrefix(s[i:], kw.word) {
			return kw, true
		}
	}
	return keyword{}, false
}

// All returns every keyword in s, left to right, longest first at each position.
func (k *Keywords) All(s string) []Match {
	var out []Match
	for i := 0; i < len(s); {
		if kw, ok := k.at(s, i); ok {
			out = append(out, Match{Word: kw.word, Class: kw.class, Start: i, End: i + len(kw.word)})
			i += len(kw.word)
			continue
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return out
}

// Class returns the class of the one keyword in s, or "" when s holds none or more
// than one. Use it to classify a word a pattern captured ("深圳关区" → "district").
func (k *Keywords) Class(s string) string {
	ms := k.All(s)
	if len(ms) != 1 {
		return ""
	}
	return ms[0].Class
}

// Last returns the last keyword in s.
func (k *Keywords) Last(s string) (Match, bool) {
	return k.last(s, false, "")
}

// LastSubjectExcept returns the last keyword in s that stands as a subject, ignoring
// keywords of class skip (for example "neutral" words like 深圳海关 that name a
// publisher, not a scope; an empty skip ignores none). A subject opens its clause,
// after nothing but period expressions and connectives (其中, 据, 今年 …): "全省" in
// "占同期全省进出口总值的45.3%" or "全国" in "保持全国内地城市首位" is not one. Use it
// to carry the scope of a figure ("全市", "深圳关区") from earlier sentences of a
// paragraph.
func (k *Keywords) LastSubjectExcept(s, skip string) (Match, bool) {
	return k.last(s, true, skip)
}

func (k *Keywords) last(s string, subjectOnly bool, skip string) (Match, bool) {
	var m Match
	found := false
	for i := 0; i < len(s); {
		if kw, ok := k.at(s, i); ok {
			if (skip == "" || kw.class != skip) && (!subjectOnly || opensClause(s[:i])) {
				m = Match{Word: kw.word, Class: kw.class, Start: i, End: i + len(kw.word)}
				found = true
			}
			i += len(kw.word)
			continue
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return m, found
}

// connectives may stand before the subject at the start of a clause.
var connectives = []string{"其中", "据统计", "据", "今年", "去年", "同时", "另外", "此外", "而", "截至", "截止", "目前", "的"}

// opensClause reports whether the clause that ends s (text after the last clause
// boundary) holds nothing but period expressions and connectives.
func opensClause(s string) bool {
	clause := s[lastBoundary(s):]
	if clause == "" {
		return true
	}
	rest := clause
	for _, p := range FindPeriods(clause) {
		rest = strings.Replace(rest, p.Text, "", 1)
	}
	rest = strings.TrimSpace(rest)
	for changed := true; changed && rest != ""; {
		changed = false
		for _, w := range connectives {
			if r, ok := strings.CutPrefix(rest, w); ok {
				rest, changed = strings.TrimSpace(r), true
			}
		}
	}
	return rest == ""
}
