package fetch

import (
	"bytes"
	"fmt"
	"mime"
	"strings"

	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/transform"

	"github.com/trademon/trademon/internal/settings"
	"github.com/trademon/trademon/internal/textenc"
)

// Decode converts a page body to UTF-8. enc is the source's configured encoding:
//
//   - "gbk" decodes as GB18030, the superset of GBK and GB2312, whatever the page or its
//     headers claim (servers often mislabel Chinese pages, and colly's detection calls
//     them GB-18030, a name the standard decoders do not know);
//   - "utf-8" takes the bytes as UTF-8, replacing invalid sequences;
//   - "auto" (or empty) follows a byte-order mark, then the charset of contentType,
//     then a <meta charset> or http-equiv in the first 1024 bytes; with none of these it
//     takes valid UTF-8 as UTF-8 and anything else as GB18030. A page declared UTF-8 whose
//     bytes are not UTF-8 is decoded as GB18030 too.
//
// It returns the text and the name of the encoding used.
func Decode(body []byte, contentType, enc string) (string, string, error) {
	switch strings.ToLower(enc) {
	case settings.EncodingGBK:
		return gb18030(body)
	case settings.EncodingUTF8:
		return textenc.ValidUTF8(body), "utf-8", nil
	case settings.EncodingAuto, "":
	default:
		return "", "", fmt.Errorf("unknown encoding %q (want auto, utf-8 or gbk)", enc)
	}
	body = bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))
	e, name, certain := charset.DetermineEncoding(body, normalizeContentType(contentType))
	switch {
	case isGB(name):
		return gb18030(body)
	case name == "utf-8", !certain && name == "windows-1252":
		// Declared UTF-8, or declared nowhere (the HTML standard's default guess is
		// windows-1252, but these are Chinese government pages): UTF-8 if valid,
		// else GB18030.
		text, used, err := textenc.Decode(body)
		if err != nil {
			return "", "", fmt.Errorf("decode: %w", err)
		}
		return text, used, nil
	}
	return decodeWith(body, e, name)
}

func gb18030(body []byte) (string, string, error) {
	text, err := textenc.FromGB18030(body)
	if err != nil {
		return "", "", fmt.Errorf("decode gb18030: %w", err)
	}
	return text, textenc.GB18030, nil
}

// normalizeContentType keeps contentType when it parses, so that a malformed header
// does not hide a <meta charset> in the page.
func normalizeContentType(ct string) string {
	if _, _, err := mime.ParseMediaType(ct); err != nil {
		return ""
	}
	return ct
}

func isGB(name string) bool {
	switch strings.ToLower(name) {
	case "gbk", "gb2312", "gb18030", "gb_2312-80", "x-gbk", "cp936", "euc-cn":
		return true
	}
	return false
}

func decodeWith(body []byte, e encoding.Encoding, name string) (string, string, error) {
	out, _, err := transform.Bytes(e.NewDecoder(), body)
	if err != nil {
		return "", "", fmt.Errorf("decode %s: %w", name, err)
	}
	return textenc.ValidUTF8(out), name, nil
}
