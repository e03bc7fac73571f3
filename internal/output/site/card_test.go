package site

import (
	"bytes"
	"html/template"
	"testing"
)

// cardCases are postViews with everything html/template escapes or
// rewrites: quotes, &, +, <, NUL, non-ASCII and malformed UTF-8, spaces and
// %-escapes in URLs, unsafe schemes.
var cardCases = []postView{
	{Title: "普通标题", Href: "/posts/0123456789abcdef/", Cover: "https://img.example/a.jpg", ISO: "2021-08-17T14:56:06+08:00", Display: "2021-08-17 14:56",
		CatLinks: `<a class="cat" href="/category/%E6%96%B0/">新</a>`, SourceLink: `<a class="source" href="/source/s/">源</a>`},
	{Title: `<script>alert("x")</script> & 'q' + 1 > 0`, Href: `/posts/a b"c'd<e>/`, Cover: `https://img.example/a b.jpg?x=1&y="2"`, ISO: `"<>&'+`, Display: "a\x00b"},
	{Title: "bad \xff\xfe utf-8 \x00", Href: "javascript:alert(1)", Cover: "data:image/png;base64,AAAA", ISO: "", Display: ""},
	{Title: "", Href: "HTTPS://Example.com/%41%zz%4/路径?q=中文#frag", Cover: "/img/%E4%B8%AD 文.png", ISO: "x", Display: "y"},
	{Title: "t", Href: "mailto:a@b.c", Cover: "", ISO: "i", Display: "d", CatLinks: "", SourceLink: ""},
	{Title: "t", Href: "/p/", Cover: "//proxy.example/?url=http%3A%2F%2Fa.example%2Fb.jpg&sig=abc+def", ISO: "i", Display: "d"},
}

func TestGeneratedCard(t *testing.T) {
	tpl := embeddedCard(t)
	for i := range cardCases {
		checkCard(t, tpl, &cardCases[i])
	}
}

func FuzzGeneratedCard(f *testing.F) {
	for _, c := range cardCases {
		f.Add(c.Title, c.Href, string(c.Cover), c.ISO, c.Display, string(c.CatLinks))
	}
	tpl := embeddedCard(f)
	f.Fuzz(func(t *testing.T, title, href, cover, iso, display, cats string) {
		checkCard(t, tpl, &postView{Title: title, Href: href, Cover: template.URL(cover), ISO: iso, Display: display,
			CatLinks: template.HTML(cats), SourceLink: template.HTML(cats)})
	})
}

func embeddedCard(t testing.TB) *template.Template {
	tpls, err := loadTemplates("", true)
	if err != nil {
		t.Fatal(err)
	}
	if !tpls.genCard {
		t.Fatal("the embedded card.html is not rendered by the generated code: run go generate ./internal/output/site")
	}
	return tpls.card
}

func checkCard(t *testing.T, tpl *template.Template, v *postView) {
	t.Helper()
	var want, got bytes.Buffer
	if err := tpl.Execute(&want, v); err != nil {
		t.Fatal(err)
	}
	generated.card(&got, v)
	if got.String() != want.String() {
		t.Errorf("generated card(%+v):\n got %s\nwant %s", *v, got.String(), want.String())
	}
}
