package content

import (
	"net/url"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Clean turns an item's raw HTML into a post body (docs/post-format.md,
// "Body", steps 1–5) and
// returns it with the original absolute URL of the first surviving http(s)
// body image ("" when there is none), which is the cover fallback.
//
// base is the URL relative references resolve against (xml:base, else the
// item link, else the feed link); when it is empty or not an absolute
// http(s) URL, relative URLs cannot be resolved and are dropped.
//
// Why a hand-written single pass instead of bluemonday: bluemonday only
// filters, it cannot promote lazy images, resolve or proxy URLs, add
// referrerpolicy or rewrite srcset, so it would need a second parse of the
// HTML for those steps and still a tokenizer pass of our own. Streaming the
// tokens of golang.org/x/net/html once, deciding each element on the spot and
// writing the result straight to a buffer does all steps in one pass at
// tokenizer speed, with an allow-list that is as strict as bluemonday's.
//
// The body holds no blank line (see cleaner.text), so it can sit inside a
// Markdown file as one HTML block. Clean never panics: should anything in it
// (opt.ProxyURL included) panic, it returns "", "".
func Clean(rawHTML, base string, opt Options) (body string, firstImage string) {
	c := cleaner{opt: opt, base: parseBase(base), local: parseLocalBase(opt.LocalBase), blankLine: true}
	defer func() {
		// The tokenizer is not expected to panic (FuzzClean checks it), but a
		// panic here must not take down a whole run for one item: the body is
		// then dropped rather than emitted half-sanitised.
		if recover() != nil {
			body, firstImage = "", ""
		}
	}()
	c.run(rawHTML)
	// Outside <pre> (whose content always sits between its tags) leading and
	// trailing white space means nothing; trimmed, the body can be framed by
	// a template without leaving a blank line.
	return strings.Trim(c.b.String(), " \t\n"), c.first
}

// parseBase accepts only absolute http(s) bases: resolving against anything
// else (file:, javascript:) could only produce URLs the sanitiser drops.
func parseBase(base string) *url.URL {
	if base == "" {
		return nil
	}
	u, err := url.Parse(normURL(base))
	if err != nil || u.Host == "" {
		return nil
	}
	if s := strings.ToLower(u.Scheme); s != "http" && s != "https" {
		return nil
	}
	return u
}

// parseLocalBase accepts only a file: URL with a path (Options.LocalBase).
func parseLocalBase(base string) *url.URL {
	if base == "" {
		return nil
	}
	u, err := url.Parse(base)
	if err != nil || !strings.EqualFold(u.Scheme, "file") || u.Path == "" {
		return nil
	}
	return u
}

// attrID names an attribute the cleaner knows about. Attributes without an
// id (on*, style, …) are never collected and so never written.
type attrID uint8

const (
	aNone attrID = iota
	aHref
	aSrc
	aSrcset
	aSizes
	aAlt
	aTitle
	aLang
	aDir
	aWidth
	aHeight
	aDataSize
	aPoster
	aCite
	aDatetime
	aColspan
	aRowspan
	aScope
	aSpan
	aStart
	aReversed
	aType
	aValue
	aMedia
	aKind
	aLabel
	aSrclang
	aDefault
	aControls
	aLoop
	aMuted
	aPreload
	aPlaysinline
	aAllowfullscreen
	aOpen
	aClass
	aID
	aName
	aAllow
	aReferrerpolicy
	// Lazy-loading sources: read, never written.
	aDataSrc
	aDataOriginal
	aDataLazySrc
	aDataActualsrc
	aDataURL
	aDataSrcset
	nAttr
)

var attrNames = [nAttr]string{
	aHref: "href", aSrc: "src", aSrcset: "srcset", aSizes: "sizes", aAlt: "alt",
	aTitle: "title", aLang: "lang", aDir: "dir", aWidth: "width", aHeight: "height",
	aDataSize: "data-size", aPoster: "poster", aCite: "cite", aDatetime: "datetime",
	aColspan: "colspan", aRowspan: "rowspan", aScope: "scope", aSpan: "span",
	aStart: "start", aReversed: "reversed", aType: "type", aValue: "value",
	aMedia: "media", aKind: "kind", aLabel: "label", aSrclang: "srclang",
	aDefault: "default", aControls: "controls", aLoop: "loop", aMuted: "muted",
	aPreload: "preload", aPlaysinline: "playsinline", aAllowfullscreen: "allowfullscreen",
	aOpen: "open", aClass: "class", aID: "id", aName: "name", aAllow: "allow",
	aReferrerpolicy: "referrerpolicy", aDataSrc: "data-src", aDataOriginal: "data-original",
	aDataLazySrc: "data-lazy-src", aDataActualsrc: "data-actualsrc", aDataURL: "data-url",
	aDataSrcset: "data-srcset",
}

// boolAttrs are written bare (`controls`), whatever value they came with.
var boolAttrs = [nAttr]bool{
	aReversed: true, aDefault: true, aControls: true, aLoop: true, aMuted: true,
	aPlaysinline: true, aAllowfullscreen: true, aOpen: true,
}

// lazyAttrs hold an image's real URL on lazy-loading pages, in priority order.
var lazyAttrs = [...]attrID{aDataSrc, aDataOriginal, aDataLazySrc, aDataActualsrc, aDataURL}

var attrByName = func() map[string]attrID {
	m := make(map[string]attrID, nAttr)
	for id := aHref; id < nAttr; id++ {
		m[attrNames[id]] = id
	}
	return m
}()

// globalAttrs are allowed on every allowed element. class and id are
// filtered (see fixAttrs).
var globalAttrs = []attrID{aID, aClass, aTitle, aLang, aDir}

// allowedTags maps each allowed element to its allowed attributes, in the
// order they are written. The list follows Miniflux's sanitizer, widened to
// the structural elements news pages use.
var allowedTags = func() map[atom.Atom][]attrID {
	m := map[atom.Atom][]attrID{
		atom.A:          {aHref, aName},
		atom.Img:        {aSrc, aSrcset, aSizes, aAlt, aWidth, aHeight, aDataSize},
		atom.Picture:    nil,
		atom.Source:     {aSrc, aSrcset, aSizes, aType, aMedia},
		atom.Video:      {aSrc, aPoster, aWidth, aHeight, aControls, aLoop, aMuted, aPreload, aPlaysinline},
		atom.Audio:      {aSrc, aControls, aLoop, aMuted, aPreload},
		atom.Track:      {aSrc, aKind, aLabel, aSrclang, aDefault},
		atom.Iframe:     {aSrc, aWidth, aHeight, aAllow, aAllowfullscreen, aReferrerpolicy},
		atom.Blockquote: {aCite},
		atom.Q:          {aCite},
		atom.Del:        {aCite, aDatetime},
		atom.Ins:        {aCite, aDatetime},
		atom.Time:       {aDatetime},
		atom.Ol:         {aStart, aReversed, aType},
		atom.Li:         {aValue},
		atom.Td:         {aColspan, aRowspan},
		atom.Th:         {aColspan, aRowspan, aScope},
		atom.Col:        {aSpan},
		atom.Colgroup:   {aSpan},
		atom.Details:    {aOpen},
	}
	for _, a := range []atom.Atom{
		atom.P, atom.Br, atom.Hr, atom.Div, atom.Span,
		atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6,
		atom.Ul, atom.Dl, atom.Dt, atom.Dd,
		atom.Table, atom.Caption, atom.Thead, atom.Tbody, atom.Tfoot, atom.Tr,
		atom.Pre, atom.Code, atom.Kbd, atom.Samp, atom.Var,
		atom.Figure, atom.Figcaption,
		atom.Em, atom.Strong, atom.B, atom.I, atom.U, atom.S, atom.Sub, atom.Sup,
		atom.Mark, atom.Small, atom.Abbr, atom.Cite, atom.Dfn, atom.Bdi, atom.Bdo, atom.Wbr,
		atom.Section, atom.Article, atom.Header, atom.Footer, atom.Aside, atom.Address,
		atom.Summary, atom.Ruby, atom.Rt, atom.Rp, atom.Rb, atom.Rtc,
	} {
		m[a] = nil
	}
	for a, list := range m {
		m[a] = append(list[:len(list):len(list)], globalAttrs...)
	}
	return m
}()

// blockedTags are removed together with everything inside them.
var blockedTags = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Svg: true, atom.Math: true,
	atom.Object: true, atom.Embed: true, atom.Applet: true, atom.Param: true,
	atom.Iframe: true, atom.Frame: true, atom.Frameset: true, atom.Noframes: true,
	atom.Noembed: true, atom.Noscript: true, atom.Template: true, atom.Canvas: true,
	atom.Head: true, atom.Title: true, atom.Base: true, atom.Meta: true, atom.Link: true,
	atom.Input: true, atom.Button: true, atom.Select: true, atom.Textarea: true,
	atom.Option: true, atom.Optgroup: true, atom.Datalist: true, atom.Keygen: true,
}

// voidTags never have content or an end tag.
var voidTags = map[atom.Atom]bool{
	atom.Area: true, atom.Base: true, atom.Br: true, atom.Col: true, atom.Embed: true,
	atom.Frame: true, atom.Hr: true, atom.Img: true, atom.Input: true, atom.Keygen: true,
	atom.Link: true, atom.Meta: true, atom.Param: true, atom.Source: true,
	atom.Track: true, atom.Wbr: true,
}

// closesP are the allowed elements whose start tag ends an open <p>, as in
// the HTML parser. Closing it here keeps `<p>a<p>b` from turning into nested
// paragraphs whose stray end tags a browser would render as empty ones.
var closesP = map[atom.Atom]bool{
	atom.Address: true, atom.Article: true, atom.Aside: true, atom.Blockquote: true,
	atom.Details: true, atom.Div: true, atom.Dl: true, atom.Figcaption: true,
	atom.Figure: true, atom.Footer: true, atom.H1: true, atom.H2: true, atom.H3: true,
	atom.H4: true, atom.H5: true, atom.H6: true, atom.Header: true, atom.Hr: true,
	atom.Ol: true, atom.P: true, atom.Pre: true, atom.Section: true, atom.Summary: true,
	atom.Table: true, atom.Ul: true,
}

// foreignBreakout are the HTML start tags that end an open <svg> or <math> in
// a browser; ending the removal there keeps the text after an unclosed <svg>.
var foreignBreakout = map[atom.Atom]bool{
	atom.B: true, atom.Big: true, atom.Blockquote: true, atom.Body: true, atom.Br: true,
	atom.Center: true, atom.Code: true, atom.Dd: true, atom.Div: true, atom.Dl: true,
	atom.Dt: true, atom.Em: true, atom.Embed: true, atom.H1: true, atom.H2: true,
	atom.H3: true, atom.H4: true, atom.H5: true, atom.H6: true, atom.Head: true,
	atom.Hr: true, atom.I: true, atom.Img: true, atom.Li: true, atom.Listing: true,
	atom.Menu: true, atom.Meta: true, atom.Nobr: true, atom.Ol: true, atom.P: true,
	atom.Pre: true, atom.Ruby: true, atom.S: true, atom.Small: true, atom.Span: true,
	atom.Strong: true, atom.Strike: true, atom.Sub: true, atom.Sup: true,
	atom.Table: true, atom.Tt: true, atom.U: true, atom.Ul: true, atom.Var: true,
}

// headContent may appear inside <head>; any other start tag ends an unclosed
// <head>, as in a browser.
var headContent = map[atom.Atom]bool{
	atom.Title: true, atom.Meta: true, atom.Link: true, atom.Base: true,
	atom.Style: true, atom.Script: true, atom.Noscript: true, atom.Template: true,
	atom.Head: true,
}

// tagInfo is everything the cleaner needs to know about an element, so
// that each tag costs a single map lookup.
type tagInfo struct {
	attrs []attrID // allowed attributes, when fAllowed
	flags uint8
}

const (
	fAllowed uint8 = 1 << iota
	fBlocked
	fVoid
	fClosesP
	fInline
)

var tagTable = func() map[atom.Atom]tagInfo {
	m := map[atom.Atom]tagInfo{}
	add := func(set map[atom.Atom]bool, f uint8) {
		for a := range set {
			t := m[a]
			t.flags |= f
			m[a] = t
		}
	}
	for a, attrs := range allowedTags {
		m[a] = tagInfo{attrs: attrs, flags: fAllowed}
	}
	add(blockedTags, fBlocked)
	add(voidTags, fVoid)
	add(closesP, fClosesP)
	add(inlineTags, fInline)
	return m
}()

// maxDepth bounds the open elements, so that a crafted feed of a million
// unclosed tags cannot make end-tag matching quadratic. Real articles nest a
// few dozen deep at most.
const maxDepth = 256

// attrs holds the collected attribute values of one tag; set marks which are
// present so the array can be reused without clearing it.
type attrs struct {
	val [nAttr]string
	set uint64
}

func (a *attrs) has(id attrID) bool { return a.set&(1<<id) != 0 }
func (a *attrs) put(id attrID, v string) {
	a.val[id] = v
	a.set |= 1 << id
}
func (a *attrs) del(id attrID) { a.set &^= 1 << id }

type cleaner struct {
	opt   Options
	base  *url.URL
	local *url.URL // Options.LocalBase, for the images of a local feed
	b     strings.Builder
	stack []atom.Atom // open allowed elements, closed at the end
	rm    remover
	first string
	a     attrs
	// baseNoFrag is base without its fragment, made on first use (baseDoc).
	baseNoFrag string
	// pre counts the open <pre> elements; blankLine says the output line
	// being written holds only spaces and tabs so far (see text).
	pre       int
	blankLine bool
}

func (c *cleaner) run(raw string) {
	c.b.Grow(len(raw) + len(raw)/8 + 64)
	z := html.NewTokenizer(strings.NewReader(raw))
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			// io.EOF, or a tokenizer error on a reader that cannot fail:
			// either way the input ends here.
			c.popTo(0)
			return
		case html.TextToken:
			if c.rm.depth == 0 {
				c.text(z.Text())
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			a := tagAtom(z.Raw())
			if c.rm.skipStart(a) {
				continue
			}
			c.start(z, a, tt == html.SelfClosingTagToken)
		case html.EndTagToken:
			if a := tagAtom(z.Raw()); !c.rm.skipEnd(a) {
				c.end(a)
			}
		}
		// Comments and doctypes are dropped.
	}
}

// remover tracks an element being removed together with its content.
type remover struct {
	block atom.Atom // the removed element
	depth int       // open elements named block; 0: nothing is removed
}

// opensRemoval reports whether a start tag begins content to remove. A
// self-closing <svg/> is empty, but `<script/>` is not (the slash means
// nothing in HTML), so it is removed up to its end tag.
func opensRemoval(a atom.Atom, flags uint8, selfClosing bool) bool {
	return flags&(fBlocked|fVoid) == fBlocked && !(selfClosing && (a == atom.Svg || a == atom.Math))
}

func (r *remover) begin(a atom.Atom) { r.block, r.depth = a, 1 }

// skipStart reports whether start tag a lies inside removed content. The
// removal ends early where a browser ends the element without its end tag:
// an HTML element after an unclosed <svg>/<math>, body content after an
// unclosed <head>.
func (r *remover) skipStart(a atom.Atom) bool {
	switch {
	case r.depth == 0:
		return false
	case a == r.block && a != 0:
		r.depth++
		return true
	case (r.block == atom.Svg || r.block == atom.Math) && foreignBreakout[a]:
	case r.block == atom.Head && !headContent[a]:
	default:
		return true
	}
	r.depth = 0
	return false
}

// skipEnd reports whether end tag a lies inside removed content.
func (r *remover) skipEnd(a atom.Atom) bool {
	if r.depth == 0 {
		return false
	}
	if a == r.block && a != 0 {
		r.depth--
	}
	return true
}

func (c *cleaner) start(z *html.Tokenizer, a atom.Atom, selfClosing bool) {
	info := tagTable[a]
	if info.flags&fAllowed == 0 {
		if opensRemoval(a, info.flags, selfClosing) {
			c.rm.begin(a)
		}
		// Unknown elements (html, body, font, form, …): drop the tag, keep
		// the children.
		return
	}

	void := info.flags&fVoid != 0
	if len(c.stack) >= maxDepth && !void && !selfClosing && a != atom.Iframe {
		// Past maxDepth, elements lose their tags (their text stays), which
		// keeps end-tag matching cheap on hostile input.
		return
	}

	c.a.set = 0
	for more := true; more; {
		var k, v []byte
		k, v, more = z.TagAttr()
		if id, ok := attrByName[string(k)]; ok && !c.a.has(id) {
			// The first occurrence wins, as in a browser.
			c.a.put(id, string(v))
		}
	}
	if c.a.set&fixMask != 0 {
		c.fixAttrs()
	}

	var extra string
	switch a {
	case atom.Img:
		if !c.img() {
			return
		}
		extra = ` loading="lazy"`
		if c.opt.NoReferrer {
			extra = ` referrerpolicy="no-referrer"` + extra
		}
	case atom.A:
		if c.href() {
			extra = ` rel="noopener noreferrer"`
		}
	case atom.Iframe:
		if !c.iframe() {
			c.rm.begin(a)
			return
		}
		extra = ` sandbox="allow-scripts allow-same-origin allow-popups" loading="lazy"`
	case atom.Source:
		c.urlAttr(aSrc, mediaURL)
		c.srcsetAttr()
		if !c.a.has(aSrc) && !c.a.has(aSrcset) {
			return
		}
	case atom.Video:
		c.urlAttr(aSrc, mediaURL)
		c.urlAttr(aPoster, imageURL)
		if c.a.has(aPoster) {
			if p := ProxyImage(c.a.val[aPoster], c.opt); p != "" {
				c.a.val[aPoster] = p
			} else {
				c.a.del(aPoster)
			}
		}
		c.a.put(aControls, "")
	case atom.Audio:
		c.urlAttr(aSrc, mediaURL)
		c.a.put(aControls, "")
	case atom.Track:
		c.urlAttr(aSrc, mediaURL)
	case atom.Blockquote, atom.Q, atom.Del, atom.Ins:
		c.urlAttr(aCite, mediaURL)
	}

	if info.flags&fClosesP != 0 {
		c.closeP()
	}
	c.writeTag(a, info.attrs, extra)
	switch {
	case a == atom.Iframe:
		// An iframe's content is raw text a browser never shows: close the
		// element now and skip everything up to its end tag. (The tokenizer
		// reads `<iframe/>` as an open iframe too, as browsers do.)
		c.b.WriteString("</iframe>")
		c.rm.begin(a)
	case void:
	case selfClosing:
		// `<div/>` in XHTML content means an empty element.
		c.b.WriteString("</")
		c.b.WriteString(a.String())
		c.b.WriteByte('>')
	default:
		c.stack = append(c.stack, a)
		if a == atom.Pre {
			c.pre++
		}
	}
}

func (c *cleaner) writeTag(a atom.Atom, allowed []attrID, extra string) {
	c.b.WriteByte('<')
	c.b.WriteString(a.String())
	for _, id := range allowed {
		if !c.a.has(id) {
			continue
		}
		c.b.WriteByte(' ')
		c.b.WriteString(attrNames[id])
		if boolAttrs[id] {
			continue
		}
		c.b.WriteString(`="`)
		escapeAttr(&c.b, c.a.val[id])
		c.b.WriteByte('"')
	}
	c.b.WriteString(extra)
	c.b.WriteByte('>')
	c.blankLine = false
}

// end closes the innermost open element named a, and any still open inside
// it; an end tag with no open element is dropped.
func (c *cleaner) end(a atom.Atom) {
	if a == 0 {
		return
	}
	for i := len(c.stack) - 1; i >= 0; i-- {
		if c.stack[i] == a {
			c.popTo(i)
			return
		}
	}
}

// closeP ends an open <p> in scope before a block element starts.
func (c *cleaner) closeP() {
	for i := len(c.stack) - 1; i >= 0; i-- {
		switch c.stack[i] {
		case atom.P:
			c.popTo(i)
			return
		case atom.Table, atom.Td, atom.Th, atom.Caption:
			return
		}
	}
}

// popTo writes end tags for the open elements from the top of the stack down
// to index i, inclusive.
func (c *cleaner) popTo(i int) {
	for j := len(c.stack) - 1; j >= i; j-- {
		c.b.WriteString("</")
		c.b.WriteString(c.stack[j].String())
		c.b.WriteByte('>')
		c.blankLine = false
		if c.stack[j] == atom.Pre {
			c.pre--
		}
	}
	c.stack = c.stack[:i]
}

// img applies steps 1–4 to an <img>; it reports false when the image must
// go (no usable source, or a tracking pixel).
func (c *cleaner) img() bool {
	if isPixel(c.a.val[aWidth], c.a.has(aWidth), c.a.val[aHeight], c.a.has(aHeight)) {
		return false
	}
	// Step 1: a lazy attribute holds the real URL; src is then a placeholder.
	src, srcOK := "", false
	for _, id := range lazyAttrs {
		if c.a.has(id) {
			if src, srcOK = c.resolve(c.a.val[id], imageURL); srcOK {
				break
			}
		}
	}
	if !srcOK && c.a.has(aSrc) {
		src, srcOK = c.resolve(c.a.val[aSrc], imageURL)
	}
	set, firstCand := "", ""
	if c.a.has(aDataSrcset) {
		set, firstCand = c.srcset(c.a.val[aDataSrcset])
	}
	if set == "" && c.a.has(aSrcset) {
		set, firstCand = c.srcset(c.a.val[aSrcset])
	}
	if !srcOK && firstCand != "" {
		src, srcOK = firstCand, true
	}
	if !srcOK {
		return false
	}
	mapped := ProxyImage(src, c.opt)
	if mapped == "" { // a local image with nowhere to go, or one the mirror drops
		return false
	}
	if c.first == "" && !hasPrefixFold(src, "data:") {
		c.first = src
	}
	c.a.put(aSrc, mapped)
	if set != "" {
		c.a.put(aSrcset, set)
	} else {
		c.a.del(aSrcset)
		c.a.del(aSizes)
	}
	return true
}

// isPixel reports an image declared 1×1 (or with a zero side): a tracker.
func isPixel(w string, hasW bool, h string, hasH bool) bool {
	wn, wok := dimension(w)
	hn, hok := dimension(h)
	wok, hok = wok && hasW, hok && hasH
	if (wok && wn == 0) || (hok && hn == 0) {
		return true
	}
	return wok && hok && wn <= 1 && hn <= 1
}

// dimension parses a width/height attribute like "1", " 1 " or "1px".
func dimension(s string) (int, bool) {
	s = strings.TrimSuffix(strings.TrimSpace(s), "px")
	if s == "" || len(s) > 6 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

// iframe reports whether an <iframe> may stay: an https src on an allowed
// host.
func (c *cleaner) iframe() bool {
	if !c.a.has(aSrc) {
		return false
	}
	src, ok := c.resolve(c.a.val[aSrc], mediaURL)
	if !ok || !hasPrefixFold(src, "https:") {
		return false
	}
	u, err := url.Parse(src)
	if err != nil {
		return false
	}
	host := strings.ToLower(u.Hostname())
	for _, h := range c.opt.IframeHosts {
		if host != "" && strings.ToLower(h) == host {
			c.a.val[aSrc] = src
			c.iframeAttrs()
			return true
		}
	}
	return false
}

// urlAttr resolves attribute id in place, dropping it when the result is not
// of the allowed kind.
func (c *cleaner) urlAttr(id attrID, kind urlKind) {
	if !c.a.has(id) {
		return
	}
	if u, ok := c.resolve(c.a.val[id], kind); ok {
		c.a.val[id] = u
	} else {
		c.a.del(id)
	}
}

// srcsetAttr resolves and proxies the srcset of a <source>.
func (c *cleaner) srcsetAttr() {
	if !c.a.has(aSrcset) {
		return
	}
	if set, _ := c.srcset(c.a.val[aSrcset]); set != "" {
		c.a.val[aSrcset] = set
	} else {
		c.a.del(aSrcset)
		c.a.del(aSizes)
	}
}

// text writes decoded text escaped for HTML: only what must be (&, <, >)
// plus NBSP as &nbsp;, so that a `&nbsp;` in the feed stays visible in the
// post; everything else, CJK included, is written as is.
//
// The body ends up inside a Markdown file, where a blank line ends an HTML
// block and lets Markdown rewrite what follows (an indented paragraph would
// turn into a code block). So no line of the output is left blank: outside
// <pre> a newline that would end a blank line is dropped (white space is
// folded by the browser anyway); inside <pre> it is written as &#10;.
func (c *cleaner) text(s []byte) {
	b := &c.b
	last := 0
	for i := 0; i < len(s); i++ {
		// Fast path: plain text runs (all of CJK text) need no work beyond
		// noting that the line is not blank.
		if textClass[s[i]] == 0 {
			for i++; i < len(s) && textClass[s[i]] == 0; i++ {
			}
			c.blankLine = false
			if i == len(s) {
				break
			}
		}
		var esc string
		switch s[i] {
		case ' ', '\t':
			continue
		case '\n':
			if !c.blankLine {
				c.blankLine = true
				continue
			}
			b.Write(s[last:i])
			last = i + 1
			if c.pre > 0 {
				b.WriteString("&#10;")
				c.blankLine = false
			}
			continue
		case '&':
			esc = "&amp;"
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		case 0:
			// A NUL means nothing in HTML text; browsers drop it too.
			b.Write(s[last:i])
			last = i + 1
			continue
		case 0xC2:
			c.blankLine = false
			if i+1 < len(s) && s[i+1] == 0xA0 {
				b.Write(s[last:i])
				b.WriteString("&nbsp;")
				i++
				last = i + 1
			}
			continue
		}
		c.blankLine = false
		b.Write(s[last:i])
		b.WriteString(esc)
		last = i + 1
	}
	b.Write(s[last:])
}

// textClass marks the bytes text must look at: 1 for the blanks a Markdown
// blank line may hold, 2 for bytes to escape, drop (NUL) or track.
var textClass = [256]uint8{' ': 1, '\t': 1, '\n': 2, '&': 2, '<': 2, '>': 2, 0xC2: 2, 0: 2}

// tagAtom reads the element name of a start or end tag from its raw bytes.
// It does what Tokenizer.TagName does without TagName's allocation per tag:
// the name runs to white space, '/' or '>', and is matched lower-cased.
// Names no atom has (custom elements) give 0.
func tagAtom(raw []byte) atom.Atom {
	i := 1
	if i < len(raw) && raw[i] == '/' {
		i++
	}
	var buf [16]byte
	n := 0
	for ; i < len(raw); i++ {
		ch := raw[i]
		if ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f' || ch == '/' || ch == '>' {
			break
		}
		if n == len(buf) {
			return 0
		}
		if 'A' <= ch && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		buf[n] = ch
		n++
	}
	return atom.Lookup(buf[:n])
}

// escapeAttr writes a value for a double-quoted attribute, on one line.
func escapeAttr(b *strings.Builder, s string) {
	last := 0
	for i := 0; i < len(s); i++ {
		var esc string
		switch s[i] {
		case '&':
			esc = "&amp;"
		case '"':
			esc = "&#34;"
		case '\n':
			// A newline in a value could leave a blank line (see text).
			esc = "&#10;"
		case '\r':
			esc = "&#13;"
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		default:
			continue
		}
		b.WriteString(s[last:i])
		b.WriteString(esc)
		last = i + 1
	}
	b.WriteString(s[last:])
}
