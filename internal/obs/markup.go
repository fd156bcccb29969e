package obs

import "regexp"

// markupRE finds what a browser would read as markup or a script: an HTML tag opener
// ("<script", "</b", "<!--", "<?") or a javascript: URL. A "<" before a digit or a
// space ("增长<5%") is plain text.
var markupRE = regexp.MustCompile(`(?i)<\s*/?\s*[a-z!?]|javascript\s*:`)

// Markup returns the first piece of markup in s, or "" when s is plain text. Text that
// people enter (quotes, notes, reasons, comments: form, API, import) must be plain:
// pages escape it anyway, but a figure whose provenance is a script is not one anybody
// can check. (Collectors' quotes are text extracted from pages, not checked here.)
func Markup(s string) string {
	return markupRE.FindString(s)
}

// markupError is the error for markup in a text field.
type markupError struct{ field, markup string }

func (e markupError) Error() string {
	return e.field + ": contains markup (" + e.markup + "…): write plain text, without HTML tags or scripts"
}

// CheckText returns an error naming field when s contains markup.
func CheckText(field, s string) error {
	if m := Markup(s); m != "" {
		return markupError{field, m}
	}
	return nil
}
