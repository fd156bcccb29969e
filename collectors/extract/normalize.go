// Package extract reads statistical figures out of Chinese release text. It is the one
// place for what the trade, retail, port and standards extractors share: text
// normalisation (NFKC, traditional to simplified characters, injected pinyin,
// whitespace), paragraph and sentence splitting, period expressions (1-8月, 前7个月,
// 上半年, 全年, 7月单月, 截至…) with the year taken from the text, the title or the
// publication date, quantity finding (number, magnitude and unit, parsed by package
// units), keyword matching, and a scanner that walks a text and reports every number
// with the context a domain extractor needs to decide what it is.
//
// Nothing in this package panics on any input; the parsers are fuzzed.
package extract

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/trademon/trademon/internal/units"
)

// tradToSimp maps the traditional characters that occur in the figures' sentences
// (and the words around them) to their simplified forms. It is not a general
// converter: it covers the vocabulary of trade, retail, port and standards releases.
var tradToSimp = map[rune]rune{
	'進': '进', '億': '亿', '萬': '万', '標': '标', '貨': '货', '櫃': '柜', '總': '总', '額': '额',
	'計': '计', '項': '项', '準': '准', '國': '国', '際': '际', '內': '内', '製': '制', '訂': '订',
	'與': '与', '導': '导', '參': '参', '會': '会', '費': '费', '產': '产', '區': '区', '關': '关',
	'單': '单', '貿': '贸', '業': '业', '預': '预', '實': '实', '現': '现', '達': '达', '長': '长',
	'環': '环', '較': '较', '約': '约', '餘': '余', '並': '并', '個': '个', '條': '条', '場': '场',
	'術': '术', '統': '统', '據': '据', '數': '数', '為': '为', '於': '于', '鹽': '盐', '灣': '湾',
	'鏟': '铲', '碼': '码', '頭': '头', '裝': '装', '運': '运', '輸': '输', '務': '务', '處': '处',
	'華': '华', '龍': '龙', '羅': '罗', '寶': '宝', '東': '东', '廣': '广', '發': '发', '規': '规',
	'創': '创', '紀': '纪', '錄': '录', '歷': '历', '來': '来', '後': '后', '當': '当', '時': '时',
	'間': '间', '兩': '两', '邁': '迈', '過': '过', '開': '开', '這': '这', '對': '对', '門': '门',
	'網': '网', '線': '线', '電': '电', '車': '车', '機': '机', '銷': '销', '購': '购', '買': '买',
	'賣': '卖', '價': '价', '減': '减', '認': '认', '證': '证', '驗': '验', '檢': '检', '組': '组',
	'織': '织', '記': '记', '報': '报', '稱': '称', '顯': '显', '從': '从', '積': '积', '縣': '县',
	'鎮': '镇', '屬': '属', '測': '测', '績': '绩', '幣': '币', '圍': '围', '範': '范', '雙': '双',
	'負': '负', '責': '责', '營': '营', '號': '号', '佈': '布', '帶': '带', '絲': '丝', '歐': '欧',
	'韓': '韩', '臺': '台', '協': '协', '議': '议', '資': '资', '質': '质', '專': '专', '廳': '厅',
	'擴': '扩', '張': '张', '穩': '稳', '緩': '缓', '陽': '阳', '島': '岛', '體': '体', '係': '系',
	'響': '响', '優': '优', '勢': '势', '圖': '图', '簡': '简', '築': '筑', '點': '点', '賬': '账',
	'庫': '库', '層': '层', '級': '级', '構': '构', '頻': '频', '順': '顺', '種': '种', '類': '类',
	'樣': '样', '眾': '众', '週': '周', '屆': '届', '彙': '汇', '匯': '汇', '舉': '举', '辦': '办',
	'節': '节', '託': '托', '設': '设', '備': '备', '醫': '医', '藥': '药', '農': '农', '紡': '纺',
	'鋼': '钢', '鐵': '铁', '鋁': '铝', '銅': '铜', '礦': '矿', '氣': '气', '滬': '沪', '鄭': '郑',
	'蘇': '苏', '陸': '陆', '臨': '临', '倉': '仓', '衝': '冲', '貫': '贯', '轉': '转', '徑': '径',
	'綜': '综', '試': '试', '橫': '横', '戰': '战', '採': '采', '納': '纳', '盤': '盘', '況': '况',
	'綫': '线', '續': '续', '強': '强', '彈': '弹', '擬': '拟', '衛': '卫', '鬥': '斗', '將': '将',
	'黨': '党', '員': '员', '學': '学', '習': '习', '樂': '乐', '廠': '厂', '戶': '户', '訊': '讯',
	'遞': '递', '郵': '邮', '調': '调', '査': '查', '壓': '压', '邊': '边', '蓋': '盖', '覽': '览',
	'熱': '热', '傳': '传', '萊': '莱', '貳': '贰',
}

// tradSet marks the runes tradToSimp maps, so that most runes skip the map lookup.
var tradSet = func() (set [0x10000 / 64]uint64) {
	for r := range tradToSimp {
		if r < 0x10000 {
			set[r>>6] |= 1 << (r & 63)
		}
	}
	return set
}()

// Normalize returns s in the form every parser here expects: NFKC (full-width digits
// and punctuation become ASCII: "１２，５００" → "12,500", "（" → "(", "％" → "%"),
// the traditional characters of the figures' vocabulary in simplified form
// (進出口 → 进出口, 億 → 亿, 標箱 → 标箱, 貨櫃 → 集装箱), pinyin injected after
// characters removed ("标(biāo)箱" → "标箱"), spaces between Chinese characters
// removed, other runs of spaces collapsed to one, and line breaks kept as paragraph
// breaks (one "\n" between non-empty lines).
func Normalize(s string) string {
	// Invalid bytes and control characters go first, before NFKC, so that what they
	// interrupted (a pinyin annotation, "标(\x99biāo)", or a character NFKC decomposes)
	// is seen whole: Normalize is idempotent.
	clean := strings.Map(dropGarbage, s)
	dropped := clean != s // a byte or an annotation was dropped: marks may need recomposing
	s = units.Normalize(clean)
	var b strings.Builder
	b.Grow(len(s))
	var prev rune // last rune written, 0 at a line start
	pendingSpace, pendingNewline := false, false
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '\n' || r == '\r' || r == '\u2028' || r == '\u2029' || r == '\v' || r == '\f':
			if b.Len() > 0 {
				pendingNewline = true
			}
			pendingSpace = false
			i += size
			continue
		case unicode.IsSpace(r) || r == '\u200b' || r == '\ufeff':
			pendingSpace = true
			i += size
			continue
		case r == utf8.RuneError && size == 1:
			// Invalid UTF-8: drop the byte rather than carry garbage into quotes.
			i += size
			dropped = true
			continue
		case unicode.IsControl(r):
			i += size
			dropped = true
			continue
		}
		if r == '(' && isHan(prev) {
			if n := pinyinLen(s[i:]); n > 0 {
				i += n
				dropped = true
				continue
			}
		}
		if r < 0x10000 && tradSet[r>>6]&(1<<(r&63)) != 0 {
			r = tradToSimp[r]
		}
		if pendingNewline {
			b.WriteByte('\n')
			prev = 0
		} else if pendingSpace && prev != 0 && !isWide(prev) && !isWide(r) {
			b.WriteByte(' ')
		}
		pendingSpace, pendingNewline = false, false
		b.WriteRune(r)
		prev = r
		i += size
	}
	out := b.String()
	if strings.Contains(out, "货柜") {
		out = strings.ReplaceAll(out, "货柜", "集装箱")
	}
	// Dropping a byte or an annotation can leave combining marks to recompose.
	if dropped && !norm.NFKC.IsNormalString(out) {
		out = norm.NFKC.String(out)
	}
	return out
}

// isHan reports whether r is a Chinese character.
func isHan(r rune) bool {
	return r >= 0x3400 && (unicode.Is(unicode.Han, r))
}

// isWide reports whether r is a Chinese character or CJK punctuation, between which
// a space carries no meaning (PDF text often has "深圳 港").
func isWide(r rune) bool {
	switch {
	case r >= 0x2E80 && r <= 0x9FFF, r >= 0xF900 && r <= 0xFAFF, r >= 0xFE30 && r <= 0xFE4F, r >= 0x20000:
		return true
	case r == '—' || r == '…' || r == '、' || r == '。' || r == '“' || r == '”' || r == '‘' || r == '’':
		return true
	}
	return false
}

// isPinyinRune reports whether r can occur in a romanised syllable injected by a
// mirror site: lower-case Latin letters, ü and the tone-marked vowels.
func isPinyinRune(r rune) bool {
	if r >= 'a' && r <= 'z' {
		return true
	}
	return strings.ContainsRune("āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹḿ", r)
}

// pinyinLen returns the byte length of an injected pinyin annotation at the start of
// s, such as "(biāo)", or 0 if s does not start with one. An annotation is one to
// eight pinyin letters in parentheses; without a tone mark it needs two letters, so
// that "(a)" list markers stay.
func pinyinLen(s string) int {
	if len(s) < 3 || s[0] != '(' {
		return 0
	}
	letters, toned := 0, false
	for i := 1; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == ')':
			if letters == 0 || (letters < 2 && !toned) {
				return 0
			}
			return i + size
		case isPinyinRune(r):
			letters++
			if r > 'z' {
				toned = true
			}
			if letters > 8 {
				return 0
			}
		default:
			return 0
		}
		i += size
	}
	return 0
}

// dropGarbage maps invalid UTF-8 (which strings.Map sees as utf8.RuneError) and control
// characters other than white space to nothing.
func dropGarbage(r rune) rune {
	if r == utf8.RuneError || (unicode.IsControl(r) && !unicode.IsSpace(r)) {
		return -1
	}
	return r
}
