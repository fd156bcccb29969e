package extract

import (
	"strings"
	"unicode/utf8"
)

// Span is a part of a text by byte offsets: Text == whole[Start:End].
type Span struct {
	Text       string
	Start, End int
}

// Paragraphs splits a normalised text at line breaks into its non-empty lines.
func Paragraphs(text string) []Span {
	var out []Span
	for start := 0; start <= len(text); {
		end := strings.IndexByte(text[start:], '\n')
		if end < 0 {
			end = len(text)
		} else {
			end += start
		}
		if line := text[start:end]; strings.TrimSpace(line) != "" {
			out = append(out, Span{Text: line, Start: start, End: end})
		}
		start = end + 1
	}
	return out
}

// Sentences splits a normalised paragraph into sentences, each keeping its closing
// mark. Chinese sentences end at 。！？ (and "!" "?" after NFKC); English ones at a
// full stop followed by a space or the end, unless the stop sits between digits
// ("7.21"). A trailing fragment without a closing mark (truncated text) is a sentence
// too. Leading and trailing spaces are excluded from each span.
func Sentences(paragraph string) []Span {
	return appendSentences(nil, paragraph)
}

func appendSentences(dst []Span, p string) []Span {
	start := 0
	emit := func(end int) {
		s, e := start, end
		for s < e && p[s] == ' ' {
			s++
		}
		for e > s && p[e-1] == ' ' {
			e--
		}
		if s < e {
			dst = append(dst, Span{Text: p[s:e], Start: s, End: e})
		}
		start = end
	}
	for i := 0; i < len(p); {
		r, size := utf8.DecodeRuneInString(p[i:])
		i += size
		switch r {
		case '。', '!', '?', '\n':
			// Keep closing quotes and brackets with the sentence: "…。”".
			for i < len(p) {
				r2, s2 := utf8.DecodeRuneInString(p[i:])
				if r2 != '”' && r2 != '’' && r2 != ')' && r2 != '」' && r2 != '』' && r2 != '"' {
					break
				}
				i += s2
			}
			emit(i)
		case '.':
			// An English full stop is followed by a space, the end or Chinese text;
			// "7.21" is not one.
			if i >= len(p) || p[i] == ' ' || p[i] >= utf8.RuneSelf {
				emit(i)
			}
		}
	}
	emit(len(p))
	return dst
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// isClauseBoundary reports whether r separates clauses inside a sentence.
func isClauseBoundary(r rune) bool {
	switch r {
	case ',', ';', ':', '、', '，', '；', '：', '。', '!', '?':
		return true
	}
	return false
}
