package dedupe

import (
	"testing"
	"time"
)

func TestLinkKey(t *testing.T) {
	tests := []struct {
		link, want string
	}{
		{"https://www.Example.com/news/1.html", "example.com/news/1.html"},
		{"http://example.com:80/a/", "example.com/a"},
		{"https://example.com:443/a", "example.com/a"},
		{"https://example.com:8443/a", "example.com:8443/a"},
		{"http://example.com:443/a", "example.com:443/a"}, // 443 is not http's default
		{"https://example.com/", "example.com"},
		{"https://example.com", "example.com"},
		{"https://user:pw@example.com/a#comments", "example.com/a"},
		{"https://example.com/a?b=2&a=1", "example.com/a?a=1&b=2"},
		{"https://example.com/a?a=2&a=1", "example.com/a?a=2&a=1"}, // repeated names keep their order
		{"https://example.com/a?utm_source=rss&UTM_Medium=x&spm=1.2&from=timeline&fbclid=z&gclid=g&_hsenc=h&mc_cid=c&mc_eid=e", "example.com/a"},
		{"https://example.com/a?id=7&utm_campaign=c", "example.com/a?id=7"},
		{"https://example.com/%7Euser/%e4%b8%ad", "example.com/~user/%E4%B8%AD"},
		{"https://example.com/~user/中", "example.com/~user/%E4%B8%AD"},
		{"https://example.com/a?q=a%20b", "example.com/a?q=a+b"},
		{"https://[::1]:8080/x", "[::1]:8080/x"},
		{"HTTPS://WWW.EXAMPLE.COM/Path", "example.com/Path"}, // paths are case-sensitive
		{"ftp://example.com/a", ""},
		{"mailto:a@example.com", ""},
		{"/relative/path", ""},
		{"", ""},
		{"http://%zz", ""},
	}
	for _, tt := range tests {
		if got := LinkKey(tt.link); got != tt.want {
			t.Errorf("LinkKey(%q) = %q, want %q", tt.link, got, tt.want)
		}
	}
}

// TestLinkKeySameArticle is the acceptance case: the same article reached
// through two sources whose links differ only in tracking parameters, www,
// scheme and a trailing slash must give one key.
func TestLinkKeySameArticle(t *testing.T) {
	same := [][2]string{
		{"https://36kr.com/p/123?utm_source=rsshub", "http://www.36kr.com/p/123/?utm_medium=feed&spm=a.b.c"},
		{"https://www.cnbeta.com/articles/tech/1.htm?from=rss", "https://cnbeta.com/articles/tech/1.htm#comments"},
		{"https://example.com/a?x=1&y=2", "https://example.com/a/?y=2&x=1&utm_content=z"},
	}
	for _, p := range same {
		a, b := LinkKey(p[0]), LinkKey(p[1])
		if a == "" || a != b {
			t.Errorf("%q → %q and %q → %q: want one non-empty key", p[0], a, p[1], b)
		}
	}
	different := [][2]string{
		{"https://example.com/a?id=1", "https://example.com/a?id=2"},
		{"https://example.com/a", "https://example.com/b"},
		{"https://example.com/a", "https://news.example.com/a"},
		{"https://example.com/A", "https://example.com/a"},
	}
	for _, p := range different {
		if a, b := LinkKey(p[0]), LinkKey(p[1]); a == b {
			t.Errorf("%q and %q both → %q: want different keys", p[0], p[1], a)
		}
	}
}

func TestTitleKey(t *testing.T) {
	tests := []struct {
		title, want string
	}{
		{"建行湖北省分行：让党旗在抗疫和金融服务一线高高飘扬", "建行湖北省分行让党旗在抗疫和金融服务一线高高飘扬"},
		{"【快讯】苹果发布 iPhone！", "快讯苹果发布iphone"},
		{"快讯：苹果发布iPhone", "快讯苹果发布iphone"},
		{"ＡＢＣ１２３　全角", "abc123全角"},
		{"Hello,  World!", "helloworld"},
		{"Tom &amp; Jerry", "tomjerry"},
		{"a\u200bb\u00a0c", "abc"}, // zero-width space, NBSP
		{"「引号」《书名》", "引号书名"},
		{"  ！！！ ", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := TitleKey(tt.title); got != tt.want {
			t.Errorf("TitleKey(%q) = %q, want %q", tt.title, got, tt.want)
		}
	}
	if TitleKey("苹果发布新品") == TitleKey("苹果发布新品2") {
		t.Error("different titles gave the same key")
	}
}

func TestSameStory(t *testing.T) {
	base := time.Date(2021, 8, 17, 6, 56, 6, 0, time.UTC)
	tests := []struct {
		d    time.Duration
		want bool
	}{
		{0, true},
		{47 * time.Hour, true},
		{48 * time.Hour, true},
		{48*time.Hour + time.Second, false},
		{-48 * time.Hour, true},
		{-49 * time.Hour, false},
	}
	for _, tt := range tests {
		if got := SameStory(base, base.Add(tt.d)); got != tt.want {
			t.Errorf("SameStory(t, t%+v) = %v, want %v", tt.d, got, tt.want)
		}
	}
	// Zones do not matter: the same instant in Beijing and UTC.
	if !SameStory(base, base.In(time.FixedZone("CST", 8*3600)).Add(48*time.Hour)) {
		t.Error("48h apart across zones should be the same story")
	}
}
