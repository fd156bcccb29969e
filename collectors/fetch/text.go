package fetch

import (
	"strings"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// blockAtoms are the elements that start a new line of text.
var blockAtoms = map[atom.Atom]bool{
	atom.P: true, atom.Div: true, atom.Br: true, atom.Li: true, atom.Tr: true, atom.Table: true,
	atom.H1: true, atom.H2: true, atom.H3: true, atom.H4: true, atom.H5: true, atom.H6: true,
	atom.Section: true, atom.Article: true, atom.Ul: true, atom.Ol: true, atom.Blockquote: true,
	atom.Pre: true, atom.Hr: true, atom.Dd: true, atom.Dt: true, atom.Caption: true, atom.Center: true,
}

// skipAtoms are the elements whose text is not article text.
var skipAtoms = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Noscript: true, atom.Template: true, atom.Iframe: true,
}

// Text returns the readable text of a selection: one line per paragraph, list item,
// table row or line break, cells separated by tabs, runs of spaces collapsed, empty
// lines dropped, scripts and styles left out. Keeping paragraphs apart keeps a figure
// from running into the next sentence.
func Text(sel *goquery.Selection) string {
	var b strings.Builder
	for _, n := range sel.Nodes {
		writeText(&b, n)
		b.WriteByte('\n')
	}
	lines := strings.Split(b.String(), "\n")
	out := lines[:0]
	for _, l := range lines {
		cells := strings.Split(l, "\t")
		kept := cells[:0]
		for _, c := range cells {
			if c = collapse(c); c != "" {
				kept = append(kept, c)
			}
		}
		if len(kept) > 0 {
			out = append(out, strings.Join(kept, "\t"))
		}
	}
	return strings.Join(out, "\n")
}

func writeText(b *strings.Builder, n *html.Node) {
	switch n.Type {
	case html.TextNode:
		b.WriteString(strings.ReplaceAll(n.Data, "\u00a0", " "))
		return
	case html.ElementNode:
		if skipAtoms[n.DataAtom] {
			return
		}
	case html.CommentNode, html.DoctypeNode:
		return
	}
	block := n.Type == html.ElementNode && blockAtoms[n.DataAtom]
	cell := n.Type == html.ElementNode && (n.DataAtom == atom.Td || n.DataAtom == atom.Th)
	if block {
		b.WriteByte('\n')
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		writeText(b, c)
	}
	switch {
	case block:
		b.WriteByte('\n')
	case cell:
		b.WriteByte('\t')
	}
}
