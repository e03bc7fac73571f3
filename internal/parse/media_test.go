package parse

import (
	"reflect"
	"strings"
	"testing"
)

const mediaNS = `xmlns:media="http://search.yahoo.com/mrss/"`

// TestMediaDescription: an item whose only text is a media:description
// (YouTube, many video and photo feeds) gets it as body: escaped, line
// breaks kept, links clickable; other content wins over it.
func TestMediaDescription(t *testing.T) {
	tests := []struct {
		name, data string
		content    string
		images     []string
	}{
		{"YouTube Atom: media:group description and thumbnail",
			`<feed xmlns="http://www.w3.org/2005/Atom" ` + mediaNS + `><entry><title>Video</title><id>yt:video:abc</id>
			<link rel="alternate" href="https://www.youtube.com/watch?v=abc"/>
			<media:group><media:title>Video</media:title>
			<media:content url="https://www.youtube.com/v/abc?version=3" type="application/x-shockwave-flash" width="640" height="390"/>
			<media:thumbnail url="https://i4.ytimg.com/vi/abc/hqdefault.jpg" width="480" height="360"/>
			<media:description>New video about Go &amp; feeds &lt;3
Links:
https://go.dev/doc/ (docs), https://example.com/a?x=1&amp;y=2.
见https://例子.cn/a，谢谢</media:description></media:group></entry></feed>`,
			`<p>New video about Go &amp; feeds &lt;3<br>Links:<br><a href="https://go.dev/doc/">https://go.dev/doc/</a> (docs), ` +
				`<a href="https://example.com/a?x=1&amp;y=2">https://example.com/a?x=1&amp;y=2</a>.<br>见https://例子.cn/a，谢谢</p>`,
			[]string{"https://i4.ytimg.com/vi/abc/hqdefault.jpg"}},
		{"RSS media:description on the item",
			`<rss version="2.0" ` + mediaNS + `><channel><item><title>Photo</title>
			<media:description type="plain">A photo &lt;b&gt;not bold&lt;/b&gt;
(see http://photos.example/1)</media:description></item></channel></rss>`,
			`<p>A photo &lt;b&gt;not bold&lt;/b&gt;<br>(see <a href="http://photos.example/1">http://photos.example/1</a>)</p>`, nil},
		{"RSS media:description type=html is HTML",
			`<rss version="2.0" ` + mediaNS + `><channel><item><title>Photo</title>
			<media:description type="html">&lt;p&gt;Already &lt;b&gt;HTML&lt;/b&gt;&lt;/p&gt;</media:description></item></channel></rss>`,
			`<p>Already <b>HTML</b></p>`, nil},
		{"media:description inside media:content",
			`<rss version="2.0" ` + mediaNS + `><channel><item><title>Clip</title>
			<media:content url="https://cdn.example/clip.mp4" type="video/mp4"><media:description>Clip text</media:description></media:content></item></channel></rss>`,
			`<p>Clip text</p>`, nil},
		{"a description wins over media:description",
			`<rss version="2.0" ` + mediaNS + `><channel><item><title>T</title><description>&lt;p&gt;Real body&lt;/p&gt;</description>
			<media:description>Media text</media:description></item></channel></rss>`,
			`<p>Real body</p>`, nil},
		{"a long media:description in CDATA is restored after lifting",
			`<rss version="2.0" ` + mediaNS + `><channel><item><title>T</title><media:description><![CDATA[` + strings.Repeat("long text ", 80) + `]]></media:description></item></channel></rss>`,
			`<p>` + strings.TrimSpace(strings.Repeat("long text ", 80)) + `</p>`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := mustParse(t, tt.data, "", "https://feeds.example/f")
			if len(f.Items) != 1 {
				t.Fatalf("%d items", len(f.Items))
			}
			it := f.Items[0]
			if it.Content != tt.content || it.IsText {
				t.Errorf("content (IsText %v)\n %q\nwant %q", it.IsText, it.Content, tt.content)
			}
			if !reflect.DeepEqual(it.Images, tt.images) {
				t.Errorf("images %q, want %q", it.Images, tt.images)
			}
		})
	}
}

// TestNestedThumbnail: a media:thumbnail inside media:content (a video's
// poster) is a cover candidate, after the item's own thumbnails and before
// image contents.
func TestNestedThumbnail(t *testing.T) {
	data := `<rss version="2.0" ` + mediaNS + `><channel><item><title>V</title>
		<media:content url="https://cdn.example/v.mp4" type="video/mp4" medium="video">
			<media:thumbnail url="https://cdn.example/poster.jpg"/>
		</media:content>
		<media:content url="https://cdn.example/still.png" medium="image"/>
		<media:group><media:content url="https://cdn.example/g.mp4" type="video/mp4"><media:thumbnail url="/g-poster.jpg"/></media:content></media:group>
		</item></channel></rss>`
	f := mustParse(t, data, "", "https://cdn.example/feed")
	want := []string{"https://cdn.example/poster.jpg", "https://cdn.example/g-poster.jpg", "https://cdn.example/still.png"}
	if got := f.Items[0].Images; !reflect.DeepEqual(got, want) {
		t.Errorf("images %q\nwant %q", got, want)
	}
}

func TestLinkify(t *testing.T) {
	for in, want := range map[string]string{
		"no links":                     "no links",
		"a https://x.example/b. c":     `a <a href="https://x.example/b">https://x.example/b</a>. c`,
		"(http://x.example/a_(b))":     `(<a href="http://x.example/a_(b)">http://x.example/a_(b)</a>)`,
		"HTTPS://X.EXAMPLE!":           `<a href="HTTPS://X.EXAMPLE">HTTPS://X.EXAMPLE</a>!`,
		"http:// nothing":              "http:// nothing",
		"https://.":                    "https://.",
		"<script>https://x.example/\"": `&lt;script&gt;<a href="https://x.example/">https://x.example/</a>&#34;`,
		"httpſ://x.example/":           "httpſ://x.example/",
		"a&b https://x.example/?a=1&b": `a&amp;b <a href="https://x.example/?a=1&amp;b">https://x.example/?a=1&amp;b</a>`,
	} {
		var b strings.Builder
		linkify(&b, in)
		if b.String() != want {
			t.Errorf("linkify(%q)\n = %q\nwant %q", in, b.String(), want)
		}
	}
}
