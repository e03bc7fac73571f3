package parse

import "testing"

// TestFeedIcon: the feed's own image, made absolute, for the author entries
// of theme data files (hexo.authors_file).
func TestFeedIcon(t *testing.T) {
	tests := []struct {
		name, body, ctype, want string
	}{
		{"rss image", `<rss version="2.0"><channel><title>t</title><link>https://site.example/</link>` +
			`<image><url>/logo.png</url><title>t</title><link>https://site.example/</link></image></channel></rss>`,
			"application/rss+xml", "https://site.example/logo.png"},
		{"atom icon", `<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><icon>https://a.example/i.png</icon><logo>https://a.example/l.png</logo></feed>`,
			"application/atom+xml", "https://a.example/i.png"},
		{"atom logo", `<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><logo>l.png</logo></feed>`,
			"application/atom+xml", "https://feeds.example/l.png"},
		{"json favicon", `{"version":"https://jsonfeed.org/version/1.1","title":"t","favicon":"https://j.example/f.ico","items":[]}`,
			"application/feed+json", "https://j.example/f.ico"},
		{"none", `<rss version="2.0"><channel><title>t</title></channel></rss>`, "application/rss+xml", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse([]byte(tt.body), tt.ctype, "https://feeds.example/feed", Options{})
			if err != nil {
				t.Fatal(err)
			}
			if f.Icon != tt.want {
				t.Errorf("icon %q, want %q", f.Icon, tt.want)
			}
		})
	}
}
