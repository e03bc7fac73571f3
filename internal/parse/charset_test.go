package parse

import (
	"reflect"
	"strings"
	"testing"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
)

func encodeIn(t *testing.T, e encoding.Encoding, s string) string {
	t.Helper()
	b, err := e.NewEncoder().String(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestCharsetRepairs: feeds whose charset label is missing or wrong are read
// as browsers and feedparser read them, and the summary says so.
func TestCharsetRepairs(t *testing.T) {
	rss := func(prolog, title, body string) string {
		return prolog + `<rss version="2.0"><channel><title>` + title + `</title><item><title>` + title +
			`</title><description>` + body + `</description></item></channel></rss>`
	}
	const zhTitle = "趣头条"
	const zhBody = "武汉经济开发区支行2小时内搭建临时办公场所，迅速恢复办公。"
	const tw = "繁體中文標題，臺灣新聞報導，歡迎閱讀今日頭條與國際消息"
	const ja = "今日のニュースをお届けします。東京の天気は晴れです。"
	tests := []struct {
		name, data, contentType string
		title                   string
		note                    string // "" wants no note
	}{
		{"ISO-8859-1 label on UTF-8 bytes", rss(`<?xml version="1.0" encoding="ISO-8859-1"?>`, "Brøndby IF", "Kampen i Brøndby"), "",
			"Brøndby IF", "declared ISO-8859-1 but the bytes are UTF-8: read as UTF-8"},
		{"ISO-8859-1 header on UTF-8 bytes", rss(``, "Brøndby IF", "x"), "application/rss+xml; charset=ISO-8859-1",
			"Brøndby IF", "declared ISO-8859-1 but the bytes are UTF-8: read as UTF-8"},
		{"ISO-8859-1 label on Latin-1 bytes stays", encodeIn(t, charmap.ISO8859_1, rss(`<?xml version="1.0" encoding="ISO-8859-1"?>`, "Brøndby IF", "x")), "",
			"Brøndby IF", ""},
		{"GBK label on GBK bytes stays", encodeIn(t, simplifiedchinese.GBK, rss(`<?xml version="1.0" encoding="gbk"?>`, zhTitle, zhBody)), "",
			zhTitle, ""},
		{"GBK label on UTF-8 bytes", rss(`<?xml version="1.0" encoding="gbk"?>`, zhTitle, zhBody), "",
			zhTitle, "declared gbk but the bytes are UTF-8: read as UTF-8"},
		{"GBK label on a short UTF-8 title that fails to decode as GBK", rss(`<?xml version="1.0" encoding="gb2312"?>`, "新闻", ""), "",
			"新闻", "declared gb2312 but the bytes are UTF-8: read as UTF-8"},
		{"undeclared Latin-1: windows-1252", encodeIn(t, charmap.Windows1252, rss(``, "Café “quoted” – Brøndby", "Größere Änderungen")), "",
			"Café “quoted” – Brøndby", "no charset declared and the bytes are not UTF-8: read as windows-1252"},
		{"undeclared, short GBK: GB18030", encodeIn(t, simplifiedchinese.GBK, rss(``, "新闻", "今日")), "",
			"新闻", "no charset declared and the bytes are not UTF-8: read as gb18030"},
		{"undeclared, long GBK: GB18030", encodeIn(t, simplifiedchinese.GBK, rss(``, zhTitle, zhBody+zhBody)), "",
			zhTitle, "no charset declared and the bytes are not UTF-8: read as gb18030"},
		{"a GB2312 forum feed with a UTF-8 header and no prolog", encodeIn(t, simplifiedchinese.GBK, rss(``, "关于论坛的问题", zhBody)), "text/xml; charset=utf-8",
			"关于论坛的问题", "declared UTF-8 but the bytes are not: read as gb18030"},
		{"undeclared Big5", encodeIn(t, traditionalchinese.Big5, rss(``, tw, tw+tw)), "",
			tw, "no charset declared and the bytes are not UTF-8: read as big5"},
		{"undeclared Shift_JIS", encodeIn(t, japanese.ShiftJIS, rss(``, ja, ja+ja)), "",
			ja, "no charset declared and the bytes are not UTF-8: read as shift_jis"},
		{"BOM wins over a wrong label", "\xEF\xBB\xBF" + rss(`<?xml version="1.0" encoding="ISO-8859-1"?>`, "Brøndby", "x"), "text/xml; charset=gbk",
			"Brøndby", ""},
		{"a few bad bytes in UTF-8 text are repaired, not re-read", rss(``, "中文标题", "正文 \xff 正文"), "",
			"中文标题", noteRepaired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := mustParse(t, tt.data, tt.contentType, "")
			if f.Title != tt.title || len(f.Items) != 1 || f.Items[0].Title != tt.title {
				t.Errorf("title %q, want %q", f.Title, tt.title)
			}
			var want []string
			if tt.note != "" {
				want = []string{tt.note}
			}
			if !reflect.DeepEqual(f.Notes, want) {
				t.Errorf("notes %q, want %q", f.Notes, want)
			}
		})
	}
}

func TestLooksGBK(t *testing.T) {
	for in, want := range map[string]bool{
		encodeIn(t, simplifiedchinese.GBK, "新闻"):               true,
		encodeIn(t, simplifiedchinese.GBK, "ASCII 和 中文 mixed"): true,
		encodeIn(t, charmap.Windows1252, "Brøndby"):            false,
		encodeIn(t, charmap.Windows1252, "Größere Änderungen"): false,
		encodeIn(t, charmap.Windows1252, "“quoted”"):           false,
		"plain ASCII": false,
		encodeIn(t, simplifiedchinese.GBK, strings.Repeat("中", 9)): true,
	} {
		if got := looksGBK([]byte(in)); got != want {
			t.Errorf("looksGBK(%q) = %v, want %v", in, got, want)
		}
	}
}
