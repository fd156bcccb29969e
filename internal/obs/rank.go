package obs

import (
	"cmp"
	"fmt"
	"strings"
)

// rank returns +1 when figure a wins its slot over b, −1 when b wins, 0 when they are
// alike (DESIGN.md, "Which figure"):
//
//  1. anything beats a figure implied by stated growth (the lowest precedence: an
//     implied figure never overrides a published or derived one);
//  2. a final figure beats an estimate (预计);
//  3. manual beats collector beats reference;
//  4. a direct figure beats a derived one, and fewer derivation steps beat more;
//  5. the later publication wins (a revised figure replaces the one it revises);
//  6. ties go to the source, URL and value that sort first, so the choice never
//     depends on the order of the input.
func rank(a, b *Figure) int {
	if c := rankStep(a, b); c.step != stepTie {
		return c.sign
	}
	return 0
}

type step int

const (
	stepImplied step = iota
	stepEstimate
	stepPrecedence
	stepDerived
	stepPublished
	stepOrder
	stepTie
)

type comparison struct {
	step step
	sign int // +1: a wins; −1: b wins
}

func rankStep(a, b *Figure) comparison {
	pick := func(s step, c int) comparison { return comparison{s, c} }
	if a.implied != b.implied {
		return pick(stepImplied, boolSign(!a.implied))
	}
	if a.Estimate != b.Estimate {
		return pick(stepEstimate, boolSign(!a.Estimate))
	}
	if c := cmp.Compare(a.SourceKind.Precedence(), b.SourceKind.Precedence()); c != 0 {
		return pick(stepPrecedence, c)
	}
	if c := cmp.Compare(b.depth, a.depth); c != 0 {
		return pick(stepDerived, c)
	}
	if c := a.PublishedAt.Compare(b.PublishedAt); c != 0 {
		return pick(stepPublished, c)
	}
	for _, c := range []int{strings.Compare(b.Source, a.Source), strings.Compare(b.URL, a.URL), cmp.Compare(b.Value, a.Value)} {
		if c != 0 {
			return pick(stepOrder, c)
		}
	}
	return comparison{step: stepTie}
}

func boolSign(b bool) int {
	if b {
		return 1
	}
	return -1
}

// whyLost says why figure f was set aside for the chosen one.
func whyLost(f, chosen *Figure) string {
	c := rankStep(chosen, f)
	switch c.step {
	case stepImplied:
		return "implied by stated growth: the lowest precedence, never used over a published or derived figure"
	case stepEstimate:
		return "an estimate (预计): a final figure wins"
	case stepPrecedence:
		return fmt.Sprintf("source kind %s ranks below %s (manual > collector > reference)", f.SourceKind, chosen.SourceKind)
	case stepDerived:
		if chosen.depth == 0 {
			return "derived: a direct figure wins"
		}
		return "derived in more steps than the chosen figure"
	case stepPublished:
		return fmt.Sprintf("published earlier (%s) than the chosen figure (%s): the later publication wins",
			dateOrUnknown(f.PublishedAt), dateOrUnknown(chosen.PublishedAt))
	case stepOrder:
		return "ranks the same as the chosen figure; ties go to the source name that sorts first"
	}
	return "the same figure as the chosen one"
}
