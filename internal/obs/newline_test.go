package obs

import "testing"

func TestNormalizeCarriageReturns(t *testing.T) {
	tests := []struct{ in, want string }{
		{"a\r\nb", "a\nb"},
		{"a\rb", "a\nb"},
		{"a\r\n\r\nb\r", "a\n\nb"},
		{"no returns\n", "no returns"},
	}
	for _, tc := range tests {
		o := Observation{Indicator: "retail_sales", Quote: tc.in, Note: tc.in, Qualifier: "q\r\nx"}
		o.Normalize()
		if o.Quote != tc.want || o.Note != tc.want || o.Qualifier != "q\nx" {
			t.Errorf("Normalize(%q): quote %q, note %q, qualifier %q; want %q", tc.in, o.Quote, o.Note, o.Qualifier, tc.want)
		}
	}
}
