package content

import (
	"slices"
	"strings"
)

// IDPrefix starts every id (and <a name>) a body keeps. An id of its own
// could clobber the page: `id="search"` takes the place of the theme's
// element, and named access makes window.config or document.cookie-like
// names point at the post's element. GitHub prefixes user ids the same way.
const IDPrefix = "user-content-"

// fixMask marks the attributes fixAttrs rewrites; the common tag with none of
// them costs one test.
const fixMask = 1<<aAlt | 1<<aTitle | 1<<aClass | 1<<aID | 1<<aName

// fixAttrs makes the free-text and naming attributes of one tag safe:
//   - alt and title become Inert: themes build HTML from them without
//     escaping (landscape's script.js writes img.alt into a caption span and
//     a data-caption attribute), so they carry no markup characters at all;
//   - class keeps only the values of classList;
//   - id (and name on <a>, the old anchor form) get IDPrefix.
func (c *cleaner) fixAttrs() {
	for _, id := range [...]attrID{aAlt, aTitle} {
		if c.a.has(id) {
			c.a.val[id] = Inert(c.a.val[id])
		}
	}
	if c.a.has(aClass) {
		if v := classList(c.a.val[aClass]); v != "" {
			c.a.val[aClass] = v
		} else {
			c.a.del(aClass)
		}
	}
	for _, id := range [...]attrID{aID, aName} {
		if c.a.has(id) {
			if v, ok := prefixID(c.a.val[id]); ok {
				c.a.val[id] = v
			} else {
				c.a.del(id)
			}
		}
	}
}

// prefixID returns an id with IDPrefix; false for one that is empty, holds
// white space (no valid id does) or is absurdly long.
func prefixID(v string) (string, bool) {
	if v == "" || len(v) > 200 || strings.ContainsAny(v, " \t\n\r\f") {
		return "", false
	}
	if strings.HasPrefix(v, IDPrefix) {
		return v, true
	}
	return IDPrefix + v, true
}

// allowedClasses are the class values kept besides language-* and lang-*:
// the ones footnotes, code blocks and task lists are written with (Goldmark,
// kramdown, Pandoc, WordPress). Every other class is dropped: a post must not
// borrow the theme's own classes (landscape's script.js acts on .fancybox,
// .article-entry…).
var allowedClasses = map[string]bool{
	"footnote": true, "footnotes": true, "footnote-ref": true, "footnote-backref": true,
	"footnote-item": true, "reversefootnote": true, "highlight": true, "task-list-item": true,
}

// classList keeps the allowed values of a class attribute, in order: a
// `language-` or `lang-` hint (the code-highlighting convention, e.g.
// language-go) with a short name, or one of allowedClasses.
func classList(v string) string {
	var b strings.Builder
	for f := range strings.FieldsSeq(v) {
		if !allowedClasses[f] && !languageClass(f) {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(f)
		if b.Len() > 120 {
			break
		}
	}
	return b.String()
}

func languageClass(f string) bool {
	name, ok := strings.CutPrefix(f, "language-")
	if !ok {
		name, ok = strings.CutPrefix(f, "lang-")
	}
	if !ok || name == "" || len(name) > 32 {
		return false
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; !isAlnum(c) && !strings.ContainsRune("+#._-", rune(c)) {
			return false
		}
	}
	return true
}

// href resolves the href of an <a> in place and reports whether it leads
// out of the page (and so gets rel="noopener noreferrer"). An in-page anchor
// (`#fn1`, or the item's own URL with a fragment) stays in the post: it is
// pointed at the prefixed id (see IDPrefix) instead of at the original
// article, so footnotes and tables of contents keep working.
func (c *cleaner) href() bool {
	if !c.a.has(aHref) {
		return false
	}
	v := normURL(c.a.val[aHref])
	if frag, ok := strings.CutPrefix(v, "#"); ok {
		c.a.val[aHref] = inPage(frag)
		return false
	}
	u, ok := c.resolve(v, linkURL)
	if !ok {
		c.a.del(aHref)
		return false
	}
	if i := strings.IndexByte(u, '#'); i >= 0 && c.base != nil && u[:i] == c.baseDoc() {
		c.a.val[aHref] = inPage(u[i+1:])
		return false
	}
	c.a.val[aHref] = u
	return true
}

// inPage is the href of an in-page fragment.
func inPage(frag string) string {
	if frag == "" || strings.HasPrefix(frag, IDPrefix) {
		return "#" + frag
	}
	return "#" + IDPrefix + frag
}

// baseDoc is the base URL without its fragment: a link to it with a fragment
// is a link into the item itself.
func (c *cleaner) baseDoc() string {
	if c.baseNoFrag == "" {
		u := *c.base
		u.Fragment, u.RawFragment = "", ""
		c.baseNoFrag = u.String()
	}
	return c.baseNoFrag
}

// validTel accepts a tel: URL of a phone number (RFC 3966: digits, visual
// separators, `;ext=` style parameters, percent-escapes).
func validTel(s string) bool {
	rest := s[len("tel:"):]
	if rest == "" || len(rest) > 64 {
		return false
	}
	for i := 0; i < len(rest); i++ {
		if c := rest[i]; !isAlnum(c) && !strings.ContainsRune("+-.()*#;=%,", rune(c)) {
			return false
		}
	}
	return true
}

// iframeFeatures are the permissions-policy features an allowed player may
// be granted through `allow` (what YouTube's, Vimeo's and Bilibili's embed
// codes ask for). Each is granted to the player's own origin only: the
// allow-lists written after a feature name are dropped.
var iframeFeatures = map[string]bool{
	"accelerometer": true, "autoplay": true, "clipboard-write": true, "encrypted-media": true,
	"fullscreen": true, "gyroscope": true, "picture-in-picture": true, "web-share": true,
}

// allowList filters an iframe's allow attribute to iframeFeatures.
func allowList(v string) string {
	var names []string
	for d := range strings.SplitSeq(v, ";") {
		name, _, _ := strings.Cut(strings.TrimSpace(d), " ")
		if name = strings.ToLower(name); iframeFeatures[name] && !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	return strings.Join(names, "; ")
}

// referrerPolicies are the values of referrerpolicy (Referrer Policy §3).
var referrerPolicies = map[string]bool{
	"no-referrer": true, "no-referrer-when-downgrade": true, "origin": true,
	"origin-when-cross-origin": true, "same-origin": true, "strict-origin": true,
	"strict-origin-when-cross-origin": true, "unsafe-url": true,
}

// iframeAttrs filters the allow and referrerpolicy of an allowed iframe.
// Players need them: YouTube refuses to play without a referrer, and the
// built-in site's page-wide no-referrer policy would otherwise apply.
func (c *cleaner) iframeAttrs() {
	if c.a.has(aAllow) {
		if v := allowList(c.a.val[aAllow]); v != "" {
			c.a.val[aAllow] = v
		} else {
			c.a.del(aAllow)
		}
	}
	if c.a.has(aReferrerpolicy) {
		if v := strings.ToLower(strings.TrimSpace(c.a.val[aReferrerpolicy])); referrerPolicies[v] {
			c.a.val[aReferrerpolicy] = v
		} else {
			c.a.del(aReferrerpolicy)
		}
	}
}
