// Package textenc turns the bytes of Chinese text files and pages into UTF-8 the one
// way trademon does everywhere (collectors' pages, imported CSV files): a byte-order
// mark decides (UTF-8, UTF-16); otherwise valid UTF-8 is UTF-8, and anything else is
// GB18030, the superset of GBK and GB2312 that Chinese government sites and Excel in
// China write.
package textenc

import (
	"bytes"
	"fmt"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// Encoding names, as Decode returns them.
const (
	UTF8    = "utf-8"
	UTF16   = "utf-16"
	GB18030 = "gb18030"
)

// Decode returns b as UTF-8 text and the name of the encoding it was read in: a
// UTF-8 or UTF-16 byte-order mark is honoured and dropped; without one, valid UTF-8 is
// taken as it is and anything else is decoded as GB18030.
func Decode(b []byte) (string, string, error) {
	switch {
	case bytes.HasPrefix(b, []byte{0xEF, 0xBB, 0xBF}):
		return ValidUTF8(b[3:]), UTF8, nil
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE}) || bytes.HasPrefix(b, []byte{0xFE, 0xFF}):
		dec := unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder()
		out, _, err := transform.Bytes(unicode.BOMOverride(dec), b)
		if err != nil {
			return "", "", fmt.Errorf("cannot decode UTF-16 text: %w", err)
		}
		return string(out), UTF16, nil
	}
	if utf8.Valid(b) {
		return string(b), UTF8, nil
	}
	s, err := FromGB18030(b)
	if err != nil {
		return "", "", fmt.Errorf("text is neither UTF-8 nor GB18030: %w", err)
	}
	return s, GB18030, nil
}

// FromGB18030 decodes b as GB18030 (and so GBK and GB2312), whatever else it might be.
func FromGB18030(b []byte) (string, error) {
	out, _, err := transform.Bytes(simplifiedchinese.GB18030.NewDecoder(), b)
	if err != nil {
		return "", err
	}
	return ValidUTF8(out), nil
}

// ValidUTF8 returns b as a string, with each invalid UTF-8 sequence replaced by U+FFFD.
func ValidUTF8(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	return string(bytes.ToValidUTF8(b, []byte("\uFFFD")))
}
