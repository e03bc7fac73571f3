package parse

import (
	"errors"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
)

const rss20 = `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:media="http://search.yahoo.com/mrss/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel>
  <title>  Example News  </title>
  <link>/</link>
  <ttl>15</ttl>
  <item>
    <title><![CDATA[Hello <b>world</b> &amp; co]]></title>
    <link>/posts/1</link>
    <guid isPermaLink="false">post-1</guid>
    <description><![CDATA[<p>Short</p>]]></description>
    <content:encoded><![CDATA[<p>Full <img src="a.png"></p>]]></content:encoded>
    <dc:creator>Alice</dc:creator>
    <pubDate>Tue, 17 Aug 2021 06:56:06 GMT</pubDate>
    <category>Tech</category>
    <category> </category>
    <category>Go</category>
    <media:content url="https://cdn.example.com/video.mp4" type="video/mp4"/>
    <media:content url="/img/content.jpg" medium="image"/>
    <media:thumbnail url="/img/thumb.jpg"/>
    <media:content url="https://cdn.example.com/noext"/>
    <media:content url="https://cdn.example.com/guess.webp"/>
    <enclosure url="https://cdn.example.com/enc.png" type="image/png" length="1"/>
    <enclosure url="https://cdn.example.com/pod.mp3" type="audio/mpeg" length="1"/>
    <enclosure url="ftp://cdn.example.com/enc.png" type="image/png" length="1"/>
    <enclosure url="/img/thumb.jpg" type="image/jpeg" length="1"/>
  </item>
  <item>
    <title>Only a description</title>
    <guid>https://example.com/permalink</guid>
    <description>&lt;p&gt;Escaped &amp;amp; HTML&lt;/p&gt;</description>
    <author>bob@example.com (Bob)</author>
  </item>
</channel>
</rss>`

const rdf10 = `<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
  xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:sy="http://purl.org/rss/1.0/modules/syndication/">
  <channel rdf:about="https://example.org/">
    <title>RDF site</title>
    <link>https://example.org/</link>
    <description>d</description>
    <sy:updatePeriod>daily</sy:updatePeriod>
    <sy:updateFrequency>4</sy:updateFrequency>
  </channel>
  <item rdf:about="https://example.org/a">
    <title>RDF item</title>
    <link>https://example.org/a</link>
    <description>RDF body</description>
    <dc:date>2020-01-02T03:04:05+08:00</dc:date>
    <dc:creator>Carol</dc:creator>
    <dc:subject>Science</dc:subject>
  </item>
</rdf:RDF>`

const rss091 = `<?xml version="1.0" encoding="ISO-8859-1"?>
<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" "http://my.netscape.com/publish/formats/rss-0.91.dtd">
<rss version="0.91">
<channel>
<title>Old school</title>
<link>http://old.example.com/</link>
<description>d</description>
<language>en-us</language>
<item>
<title>Caf` + "\xe9" + ` news</title>
<link>http://old.example.com/1</link>
<description>Plain description</description>
</item>
</channel>
</rss>`

const atom10 = `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:media="http://search.yahoo.com/mrss/" xml:base="https://blog.example.com/">
  <title type="text">Atom blog</title>
  <link rel="self" href="/feed.atom"/>
  <link rel="alternate" href="/"/>
  <author><name>Feed Author</name></author>
  <entry xml:base="/2024/">
    <title>Entry one</title>
    <id>tag:example.com,2024:1</id>
    <link rel="edit" href="edit/1"/>
    <link rel="alternate" href="post-1.html"/>
    <link rel="enclosure" type="image/jpeg" href="cover.jpg"/>
    <published>2024-03-01T10:00:00+02:00</published>
    <updated>2024-03-02T10:00:00Z</updated>
    <summary>A summary</summary>
    <content type="html">&lt;p&gt;Body &lt;img src="pic.png"&gt;&lt;/p&gt;</content>
    <category term="go" label="Go"/>
    <category term="web"/>
    <media:group><media:thumbnail url="thumb.png"/></media:group>
  </entry>
  <entry>
    <title>Entry two</title>
    <id>tag:example.com,2024:2</id>
    <link href="https://blog.example.com/two"/>
    <updated>2024-03-03T00:00:00Z</updated>
    <content type="text">1 &lt; 2 &amp; plain</content>
  </entry>
  <entry>
    <title>Entry three</title>
    <id>3</id>
    <summary type="html">&lt;b&gt;only summary&lt;/b&gt;</summary>
  </entry>
</feed>`

const atom03 = `<?xml version="1.0" encoding="utf-8"?>
<feed version="0.3" xmlns="http://purl.org/atom/ns#">
  <title>Atom 0.3 feed</title>
  <link rel="alternate" type="text/html" href="http://old-atom.example.com/"/>
  <modified>2004-06-02T19:07:55-04:00</modified>
  <entry>
    <title>Old entry</title>
    <link rel="alternate" type="text/html" href="http://old-atom.example.com/1"/>
    <id>urn:old:1</id>
    <issued>2004-06-01T10:00:00Z</issued>
    <modified>2004-06-02T10:00:00Z</modified>
    <author><name>Dave</name></author>
    <content type="text/html" mode="escaped">&lt;p&gt;Old body&lt;/p&gt;</content>
  </entry>
</feed>`

const json10 = `{
  "version": "https://jsonfeed.org/version/1",
  "title": "JSON one",
  "home_page_url": "https://json.example.com/",
  "author": {"name": "Feed Writer"},
  "items": [
    {"id": 42, "url": "/p/1", "title": "HTML item", "content_html": "<p>hi</p>",
     "summary": "sum", "image": "/i/main.png", "banner_image": "https://cdn.example.com/banner.png",
     "date_published": "2021-01-02T03:04:05Z", "date_modified": "2021-01-03T03:04:05+01:00",
     "tags": ["a", "b"]},
    {"id": "2", "url": "https://json.example.com/p/2", "content_text": "plain <text>",
     "image": "https://cdn.example.com/same.png", "banner_image": "https://cdn.example.com/same.png"}
  ]
}`

const json11 = `{
  "version": "https://jsonfeed.org/version/1.1",
  "title": "JSON 1.1",
  "authors": [{"name": "Team"}],
  "items": [
    {"id": "x", "external_url": "https://elsewhere.example.com/x", "summary": "just a summary",
     "authors": [{"name": "Eve"}], "date_published": "not a date"}
  ]
}`

func mustParse(t *testing.T, data, contentType, feedURL string) *Feed {
	t.Helper()
	f, err := Parse([]byte(data), contentType, feedURL, Options{})
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return f
}

func date(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func TestParseFormats(t *testing.T) {
	tests := []struct {
		name    string
		data    string
		feedURL string
		want    Feed
	}{
		{
			name:    "RSS 2.0",
			data:    rss20,
			feedURL: "https://example.com/feed.xml",
			want: Feed{
				Title: "Example News", Link: "https://example.com/", TTL: 15 * time.Minute,
				Items: []Item{
					{
						GUID: "post-1", Link: "https://example.com/posts/1",
						Title:     "Hello <b>world</b> &amp; co",
						Content:   `<p>Full <img src="a.png"></p>`,
						Summary:   "<p>Short</p>",
						Author:    "Alice",
						Base:      "https://example.com/posts/1",
						Published: date("2021-08-17T06:56:06Z"),
						Images: []string{
							"https://example.com/img/thumb.jpg",
							"https://example.com/img/content.jpg",
							"https://cdn.example.com/guess.webp",
							"https://cdn.example.com/enc.png",
						},
						Categories: []string{"Tech", "Go"},
					},
					{
						GUID: "https://example.com/permalink", Link: "https://example.com/permalink",
						Title:   "Only a description",
						Content: "<p>Escaped &amp; HTML</p>",
						Author:  "Bob",
						Base:    "https://example.com/permalink",
					},
				},
			},
		},
		{
			name: "RSS 1.0 (RDF)",
			data: rdf10,
			want: Feed{
				Title: "RDF site", Link: "https://example.org/", TTL: 6 * time.Hour,
				Items: []Item{{
					Link: "https://example.org/a", Title: "RDF item", Content: "RDF body",
					Author: "Carol", Base: "https://example.org/a",
					Published:  date("2020-01-01T19:04:05Z"),
					Categories: []string{"Science"},
				}},
			},
		},
		{
			name: "RSS 0.91 in ISO-8859-1",
			data: rss091,
			want: Feed{
				Title: "Old school", Link: "http://old.example.com/",
				Items: []Item{{
					Link: "http://old.example.com/1", Title: "Café news", Content: "Plain description",
					Base: "http://old.example.com/1",
				}},
			},
		},
		{
			name:    "Atom 1.0 with xml:base",
			data:    atom10,
			feedURL: "https://blog.example.com/feed.atom",
			want: Feed{
				Title: "Atom blog", Link: "https://blog.example.com/",
				Items: []Item{
					{
						GUID: "tag:example.com,2024:1", Link: "https://blog.example.com/2024/post-1.html",
						Title:      "Entry one",
						Content:    `<p>Body <img src="https://blog.example.com/2024/pic.png"/></p>`,
						Summary:    "A summary",
						Author:     "Feed Author",
						Base:       "https://blog.example.com/2024/post-1.html",
						Published:  date("2024-03-01T08:00:00Z"),
						Updated:    date("2024-03-02T10:00:00Z"),
						Images:     []string{"https://blog.example.com/2024/thumb.png", "https://blog.example.com/2024/cover.jpg"},
						Categories: []string{"Go", "web"},
					},
					{
						GUID: "tag:example.com,2024:2", Link: "https://blog.example.com/two",
						Title: "Entry two", Content: "1 < 2 & plain", IsText: true,
						Author: "Feed Author", Base: "https://blog.example.com/two",
						Updated: date("2024-03-03T00:00:00Z"),
					},
					{
						// gofeed resolves atom:id against xml:base (it is a URI).
						GUID: "https://blog.example.com/3", Title: "Entry three", Content: "<b>only summary</b>",
						Author: "Feed Author", Base: "https://blog.example.com/",
					},
				},
			},
		},
		{
			name: "Atom 0.3",
			data: atom03,
			want: Feed{
				Title: "Atom 0.3 feed", Link: "http://old-atom.example.com/",
				Items: []Item{{
					GUID: "urn:old:1", Link: "http://old-atom.example.com/1", Title: "Old entry",
					Content: "<p>Old body</p>", Author: "Dave", Base: "http://old-atom.example.com/1",
					Published: date("2004-06-01T10:00:00Z"), Updated: date("2004-06-02T10:00:00Z"),
				}},
			},
		},
		{
			name:    "JSON Feed 1.0",
			data:    json10,
			feedURL: "https://json.example.com/feed.json",
			want: Feed{
				Title: "JSON one", Link: "https://json.example.com/",
				Items: []Item{
					{
						GUID: "42", Link: "https://json.example.com/p/1", Title: "HTML item",
						Content: "<p>hi</p>", Summary: "sum", Author: "Feed Writer",
						Base:      "https://json.example.com/p/1",
						Published: date("2021-01-02T03:04:05Z"), Updated: date("2021-01-03T02:04:05Z"),
						Images:     []string{"https://json.example.com/i/main.png", "https://cdn.example.com/banner.png"},
						Categories: []string{"a", "b"},
					},
					{
						GUID: "2", Link: "https://json.example.com/p/2", Content: "plain <text>", IsText: true,
						Author: "Feed Writer", Base: "https://json.example.com/p/2",
						Images: []string{"https://cdn.example.com/same.png"},
					},
				},
			},
		},
		{
			name: "JSON Feed 1.1",
			data: json11,
			want: Feed{
				Title: "JSON 1.1",
				Items: []Item{{
					GUID: "x", Link: "https://elsewhere.example.com/x", Content: "just a summary", IsText: true,
					Author: "Eve", Base: "https://elsewhere.example.com/x",
				}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mustParse(t, tt.data, "", tt.feedURL)
			if got.Title != tt.want.Title || got.Link != tt.want.Link || got.TTL != tt.want.TTL || !reflect.DeepEqual(got.Notes, tt.want.Notes) {
				t.Errorf("feed = {%q %q %v notes=%q}, want {%q %q %v notes=%q}",
					got.Title, got.Link, got.TTL, got.Notes, tt.want.Title, tt.want.Link, tt.want.TTL, tt.want.Notes)
			}
			if len(got.Items) != len(tt.want.Items) {
				t.Fatalf("got %d items, want %d", len(got.Items), len(tt.want.Items))
			}
			for i := range got.Items {
				if !reflect.DeepEqual(got.Items[i], tt.want.Items[i]) {
					t.Errorf("item %d:\n got %+v\nwant %+v", i, got.Items[i], tt.want.Items[i])
				}
			}
		})
	}
}

// TestParseCharsets: declared charsets are read; feeds whose label is
// missing or wrong are read as browsers and feedparser read them, and the
// summary says so.
func TestParseCharsets(t *testing.T) {
	encode := func(e encoding.Encoding, s string) string { return encodeIn(t, e, s) }
	doc := func(prolog, title string) string {
		return prolog + `<rss version="2.0"><channel><title>` + title + `</title><item><title>` + title + `</title></item></channel></rss>`
	}
	rss := func(prolog, title, body string) string {
		return prolog + `<rss version="2.0"><channel><title>` + title + `</title><item><title>` + title +
			`</title><description>` + body + `</description></item></channel></rss>`
	}
	const zh = "趣头条：新闻"
	const tw = "繁體中文標題"
	const ko = "한국어 제목"
	const zhTitle = "趣头条"
	const zhBody = "武汉经济开发区支行2小时内搭建临时办公场所，迅速恢复办公。"
	const twLong = "繁體中文標題，臺灣新聞報導，歡迎閱讀今日頭條與國際消息"
	const ja = "今日のニュースをお届けします。東京の天気は晴れです。"
	tests := []struct {
		name, data, contentType, want string
		note                          string // the one note wanted, if any
	}{
		{"GBK in prolog", encode(simplifiedchinese.GBK, doc(`<?xml version="1.0" encoding="GBK"?>`, zh)), "", zh, ""},
		{"GB2312 in prolog", encode(simplifiedchinese.GBK, doc(`<?xml version='1.0' encoding='gb2312' ?>`, zh)), "", zh, ""},
		{"GB18030 in prolog", encode(simplifiedchinese.GB18030, doc(`<?xml version="1.0" encoding="GB18030"?>`, zh)), "", zh, ""},
		{"GBK only in Content-Type", encode(simplifiedchinese.GBK, doc(``, zh)), "application/rss+xml; charset=GBK", zh, ""},
		{"header wins over prolog", encode(simplifiedchinese.GBK, doc(`<?xml version="1.0" encoding="ISO-8859-1"?>`, zh)), "text/xml; charset=gbk", zh, ""},
		{"wrong utf-8 header, GBK prolog", encode(simplifiedchinese.GBK, doc(`<?xml version="1.0" encoding="GBK"?>`, zh)), "text/xml; charset=utf-8", zh,
			"the HTTP header says UTF-8 but the bytes are not: read as gbk, as the XML declaration says"},
		{"unknown header charset falls back to prolog", encode(simplifiedchinese.GBK, doc(`<?xml version="1.0" encoding="GBK"?>`, zh)), "text/xml; charset=x-nonsense", zh, ""},
		{"Big5", encode(traditionalchinese.Big5, doc(`<?xml version="1.0" encoding="big5"?>`, tw)), "", tw, ""},
		{"EUC-KR", encode(korean.EUCKR, doc(`<?xml version="1.0" encoding="EUC-KR"?>`, ko)), "", ko, ""},
		{"UTF-8 BOM", "\xEF\xBB\xBF" + doc(`<?xml version="1.0" encoding="UTF-8"?>`, zh), "", zh, ""},
		{"BOM wins over header", "\xEF\xBB\xBF" + doc(`<?xml version="1.0"?>`, zh), "text/xml; charset=gbk", zh, ""},
		{"UTF-16LE BOM", utf16le("\uFEFF" + doc(`<?xml version="1.0" encoding="UTF-16"?>`, zh)), "", zh, ""},
		{"UTF-16LE without BOM", utf16le(doc(`<?xml version="1.0" encoding="UTF-16"?>`, zh)), "", zh, ""},
		{"utf-16 label on an ASCII body is ignored", doc(`<?xml version="1.0" encoding="UTF-16"?>`, zh), "", zh, ""},
		{"ISO-8859-1 label on UTF-8 bytes", rss(`<?xml version="1.0" encoding="ISO-8859-1"?>`, "Brøndby IF", "Kampen i Brøndby"), "",
			"Brøndby IF", "declared ISO-8859-1 but the bytes are UTF-8: read as UTF-8"},
		{"ISO-8859-1 header on UTF-8 bytes", rss(``, "Brøndby IF", "x"), "application/rss+xml; charset=ISO-8859-1",
			"Brøndby IF", "declared ISO-8859-1 but the bytes are UTF-8: read as UTF-8"},
		{"ISO-8859-1 label on Latin-1 bytes stays", encode(charmap.ISO8859_1, rss(`<?xml version="1.0" encoding="ISO-8859-1"?>`, "Brøndby IF", "x")), "",
			"Brøndby IF", ""},
		{"GBK label on GBK bytes stays", encode(simplifiedchinese.GBK, rss(`<?xml version="1.0" encoding="gbk"?>`, zhTitle, zhBody)), "",
			zhTitle, ""},
		{"GBK label on UTF-8 bytes", rss(`<?xml version="1.0" encoding="gbk"?>`, zhTitle, zhBody), "",
			zhTitle, "declared gbk but the bytes are UTF-8: read as UTF-8"},
		{"GBK label on a short UTF-8 title that fails to decode as GBK", rss(`<?xml version="1.0" encoding="gb2312"?>`, "新闻", ""), "",
			"新闻", "declared gb2312 but the bytes are UTF-8: read as UTF-8"},
		{"undeclared Latin-1: windows-1252", encode(charmap.Windows1252, rss(``, "Café “quoted” – Brøndby", "Größere Änderungen")), "",
			"Café “quoted” – Brøndby", "no charset declared and the bytes are not UTF-8: read as windows-1252"},
		{"undeclared, short GBK: GB18030", encode(simplifiedchinese.GBK, rss(``, "新闻", "今日")), "",
			"新闻", "no charset declared and the bytes are not UTF-8: read as gb18030"},
		{"undeclared, long GBK: GB18030", encode(simplifiedchinese.GBK, rss(``, zhTitle, zhBody+zhBody)), "",
			zhTitle, "no charset declared and the bytes are not UTF-8: read as gb18030"},
		{"a GB2312 forum feed with a UTF-8 header and no prolog", encode(simplifiedchinese.GBK, rss(``, "关于论坛的问题", zhBody)), "text/xml; charset=utf-8",
			"关于论坛的问题", "declared UTF-8 but the bytes are not: read as gb18030"},
		{"undeclared Big5", encode(traditionalchinese.Big5, rss(``, twLong, twLong+twLong)), "",
			twLong, "no charset declared and the bytes are not UTF-8: read as big5"},
		{"undeclared Shift_JIS", encode(japanese.ShiftJIS, rss(``, ja, ja+ja)), "",
			ja, "no charset declared and the bytes are not UTF-8: read as shift_jis"},
		{"BOM wins over a wrong label", "\xEF\xBB\xBF" + rss(`<?xml version="1.0" encoding="ISO-8859-1"?>`, "Brøndby", "x"), "text/xml; charset=gbk",
			"Brøndby", ""},
		{"a few bad bytes in UTF-8 text are repaired, not re-read", rss(``, "中文标题", "正文 \xff 正文"), "",
			"中文标题", noteRepaired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := mustParse(t, tt.data, tt.contentType, "")
			if f.Title != tt.want || len(f.Items) != 1 || f.Items[0].Title != tt.want {
				t.Errorf("title = %q, want %q", f.Title, tt.want)
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

func utf16le(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r > 0xFFFF {
			panic("test helper handles the BMP only")
		}
		b.WriteByte(byte(r))
		b.WriteByte(byte(r >> 8))
	}
	return b.String()
}

func TestParseRepairs(t *testing.T) {
	tests := []struct {
		name, data, wantTitle string
	}{
		{"invalid UTF-8", "<rss><channel><title>bad \xff\xfe byte in 中文</title></channel></rss>", "bad \uFFFD byte in 中文"},
		{"control characters", "<rss><channel><title>a\x01b\x0bc\x1f</title></channel></rss>", "abc"},
		{"U+FFFF", "<rss><channel><title>a\uFFFFb</title></channel></rss>", "ab"},
		{"undecodable GBK bytes", `<?xml version="1.0" encoding="gbk"?><rss><channel><title>x` + "\x81\x20" + `y</title></channel></rss>`, "x\uFFFD y"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := mustParse(t, tt.data, "", "")
			if f.Title != tt.wantTitle {
				t.Errorf("title = %q, want %q", f.Title, tt.wantTitle)
			}
			if !slices.Contains(f.Notes, noteRepaired) {
				t.Errorf("notes %q, want %q", f.Notes, noteRepaired)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	long := strings.Repeat("长", 100)
	tests := []struct {
		name, data, contentType string
		is                      error
		want                    string // exact message
	}{
		{"empty", "", "", ErrEmpty, "empty response"},
		{"white space", " \n\t ", "", ErrEmpty, "empty response"},
		{"BOM only", "\xEF\xBB\xBF\n", "", ErrEmpty, "empty response"},
		{"HTML page", "<!DOCTYPE html>\n<html><head><title>\n  Just a   moment...</title></head><body></body></html>", "text/html", ErrNotFeed,
			"not a feed: the response is an HTML page (<title>Just a moment...</title>)"},
		{"HTML without title", "<html><body>hi</body></html>", "", ErrNotFeed, "not a feed: the response is an HTML page"},
		{"HTML long GBK title", "<html><head><meta charset=\"gbk\"><title>" + gbk(long) + "</title></head></html>", "", ErrNotFeed,
			"not a feed: the response is an HTML page (<title>" + strings.Repeat("长", 80) + "…</title>)"},
		{"unknown XML", "<?xml version=\"1.0\"?>\n<!-- c -->\n<opml version=\"2.0\"><body/></opml>", "", ErrNotFeed,
			`not a feed: unrecognised format (starts with "<opml version="2.0"><body/></opml>")`},
		{"plain text", "Service Unavailable", "", ErrNotFeed, `not a feed: unrecognised format (starts with "Service Unavailable")`},
		{"other JSON", `{"error": "rate limited"}`, "", ErrNotFeed, `not a feed: unrecognised format (starts with "{"error": "rate limited"}")`},
		{"XML syntax error, nothing left", "<rss version=\"2.0\">\n<channel>\n<title>a</title>\n<item><title>x</title><guid 1=\"x\">g</guid></item>\n</channel></rss>", "", ErrMalformed,
			"XML syntax error at line 4: invalid XML name: 1"},
		{"truncated XML, no complete item", "<rss version=\"2.0\">\n<channel>\n<item><title>x</title>", "", ErrMalformed,
			"XML syntax error at line 3: unexpected EOF"},
		{"broken before the root", "<?xml version=\"1.0\"?>\n<!-- x -- y -->\n<rss></rss>", "", ErrMalformed,
			"XML syntax error at line 2: invalid sequence \"--\" not allowed in comments"},
		{"JSON syntax error", "{\"version\": \"https://jsonfeed.org/version/1\",\n \"items\": [\n  {\"id\": 1,}]}", "", ErrMalformed,
			"JSON syntax error at line 3, column 12: invalid character '}' looking for beginning of object key string"},
		{"truncated JSON", "{\"version\": \"https://jsonfeed.org/version/1.1\",\n \"items\": [{\"id\": \"1\"", "", ErrMalformed,
			"JSON syntax error at line 2, column 21: unexpected end of JSON input"},
		{"JSON array", `[{"version": "https://jsonfeed.org/version/1"}]`, "", ErrNotFeed,
			`not a feed: unrecognised format (starts with "[{"version": "https://jsonfeed.org/versi…")`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse([]byte(tt.data), tt.contentType, "", Options{})
			if err == nil {
				t.Fatalf("Parse succeeded with %d items, want error %q", len(f.Items), tt.want)
			}
			if !errors.Is(err, tt.is) {
				t.Errorf("error %q does not wrap %v", err, tt.is)
			}
			if err.Error() != tt.want {
				t.Errorf("error = %q\n         want %q", err, tt.want)
			}
		})
	}
}

func gbk(s string) string {
	b, err := simplifiedchinese.GBK.NewEncoder().String(s)
	if err != nil {
		panic(err)
	}
	return b
}

func TestSyntaxErrorLine(t *testing.T) {
	// GBK-encoded, so the line is counted in the decoded text.
	data := gbk("<?xml version=\"1.0\" encoding=\"gbk\"?>\n<rss>\n<channel>\n\n<title>标题 ]]> 坏</title>\n</channel></rss>")
	_, err := Parse([]byte(data), "", "", Options{})
	var se *SyntaxError
	if !errors.As(err, &se) {
		t.Fatalf("error %v (%T) is not a *SyntaxError", err, err)
	}
	if want := (SyntaxError{Format: "XML", Line: 5, Msg: "unescaped ]]> not in CDATA section"}); *se != want {
		t.Errorf("SyntaxError = %+v, want %+v", *se, want)
	}
}

func TestParseNoItems(t *testing.T) {
	for _, data := range []string{
		`<rss version="2.0"><channel><title>Empty</title></channel></rss>`,
		`<feed xmlns="http://www.w3.org/2005/Atom"><title>Empty</title></feed>`,
		`{"version": "https://jsonfeed.org/version/1.1", "title": "Empty", "items": []}`,
	} {
		f, err := Parse([]byte(data), "", "", Options{})
		if err != nil {
			t.Errorf("%s: %v", data, err)
			continue
		}
		if f.Title != "Empty" || len(f.Items) != 0 {
			t.Errorf("%s: got title %q and %d items", data, f.Title, len(f.Items))
		}
	}
}

func TestParseTTL(t *testing.T) {
	tests := []struct {
		channel string
		want    time.Duration
	}{
		{"<ttl>60</ttl>", time.Hour},
		{"<ttl>junk</ttl>", 0},
		{"<sy:updatePeriod>hourly</sy:updatePeriod><sy:updateFrequency>2</sy:updateFrequency>", 30 * time.Minute},
		{"<sy:updatePeriod>weekly</sy:updatePeriod>", 7 * 24 * time.Hour},
		{"<sy:updatePeriod>monthly</sy:updatePeriod>", 30 * 24 * time.Hour},
		{"<sy:updatePeriod>yearly</sy:updatePeriod><sy:updateFrequency>0</sy:updateFrequency>", 365 * 24 * time.Hour},
		{"<ttl>5</ttl><sy:updatePeriod>daily</sy:updatePeriod>", 5 * time.Minute},
		{"", 0},
	}
	for _, tt := range tests {
		data := `<rss version="2.0" xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"><channel><title>t</title>` + tt.channel + `</channel></rss>`
		f := mustParse(t, data, "", "")
		if f.TTL != tt.want {
			t.Errorf("%s: TTL = %v, want %v", tt.channel, f.TTL, tt.want)
		}
	}
}

func TestParseRecoversFromPanic(t *testing.T) {
	// A nil item in a JSON Feed used to crash the translator; whatever the
	// input, Parse must return rather than panic.
	f, err := Parse([]byte(`{"version":"https://jsonfeed.org/version/1","items":[null,{"id":"1"}]}`), "", "", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Items) != 1 || f.Items[0].GUID != "1" {
		t.Errorf("items = %+v", f.Items)
	}
}

func TestParseSample(t *testing.T) {
	data, err := os.ReadFile("../../testdata/sample/qutoutiao-category-1.xml")
	if err != nil {
		t.Fatal(err)
	}
	f, err := Parse(data, "application/xml; charset=utf-8", "http://localhost:1200/qutoutiao/category/1", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if f.Title != "趣头条" || f.Link != "http://home.qutoutiao.net" || f.TTL != 5*time.Minute {
		t.Errorf("feed = %q %q %v", f.Title, f.Link, f.TTL)
	}
	if len(f.Items) != 1 {
		t.Fatalf("%d items, want 1", len(f.Items))
	}
	it := f.Items[0]
	if it.Title != "建行湖北省分行：让党旗在抗疫和金融服务一线高高飘扬" {
		t.Errorf("title = %q", it.Title)
	}
	if want := date("2021-08-17T06:56:06Z"); !it.Published.Equal(want) {
		t.Errorf("published = %v, want %v", it.Published, want)
	}
	if want := "http://home.qutoutiao.net/detail.html?content_id=735019845"; it.Link != want || it.GUID != want {
		t.Errorf("link = %q guid = %q", it.Link, it.GUID)
	}
	if !strings.HasPrefix(it.Content, `<p><img src="http://static.1sapp.com/qupost/img/2021/08/17/c1d7cbd5db63f821f6747603f7a4f987.jpeg"`) {
		t.Errorf("content starts %q", it.Content[:min(len(it.Content), 120)])
	}
	if !utf8.ValidString(it.Content) || it.IsText || len(it.Images) != 0 {
		t.Errorf("IsText = %v, images = %v", it.IsText, it.Images)
	}
}

func TestParseLinks(t *testing.T) {
	tests := []struct {
		name, data, wantFeed, wantItem string
	}{
		{"Atom without alternate skips enclosure and self",
			`<feed xmlns="http://www.w3.org/2005/Atom"><link rel="self" href="https://x.example/feed"/><link rel="related" href="https://x.example/"/>
			<entry><link rel="enclosure" type="image/png" href="https://x.example/a.png"/><link rel="edit" href="https://x.example/edit"/><link rel="related" href="/post"/></entry></feed>`,
			"https://x.example/", "https://x.example/post"},
		{"javascript: links are dropped",
			`<rss><channel><link>javascript:alert(1)</link><item><link>JavaScript:alert(2)</link></item></channel></rss>`, "", ""},
		{"relative links without any base stay relative",
			`<rss><channel><item><link>/a</link></item></channel></rss>`, "", "/a"},
		{"RSS permalink guid is the link",
			`<rss><channel><link>https://x.example/</link><item><guid>https://x.example/g</guid></item></channel></rss>`, "https://x.example/", "https://x.example/g"},
		{"RSS guid that is not a permalink is not",
			`<rss><channel><item><guid isPermaLink="false">https://x.example/g</guid></item></channel></rss>`, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := mustParse(t, tt.data, "", "")
			if f.Link != tt.wantFeed || len(f.Items) != 1 || f.Items[0].Link != tt.wantItem {
				t.Errorf("feed link %q, items %+v; want %q and item link %q", f.Link, f.Items, tt.wantFeed, tt.wantItem)
			}
		})
	}
}

func TestHeaderCharset(t *testing.T) {
	for in, want := range map[string]string{
		"text/xml; charset=GBK":                 "GBK",
		"text/xml;charset = us-ascii":           "us-ascii",
		`application/atom+xml;charset='gb2312'`: "gb2312",
		`text/xml; charset="big5"; foo=bar`:     "big5",
		"text/xml;":                             "",
		"":                                      "",
		"\xbaChArset=gbk":                       "gbk", // the fuzzer's crasher: ToLower changed offsets
		"charse":                                "",
		"text/html; Charset=UTF-8":              "UTF-8",
	} {
		if got := headerCharset(in); got != want {
			t.Errorf("headerCharset(%q) = %q, want %q", in, got, want)
		}
	}
}
