// Package opml reads and writes OPML feed lists, so that feedpost's sources
// can come from, and go back to, any feed reader (`feedpost import-opml`,
// `feedpost export-opml`).
//
// Folders (outlines without an xmlUrl) map to category levels: a feed in
// folder 新媒体 › 趣头条 gets `category: [新媒体, 趣头条]` when the import asks
// for categories from the outline, and Export writes a source's category
// levels back out as nested folders.
package opml

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
	"golang.org/x/net/html/charset"

	"github.com/feedpost/feedpost/internal/config"
	"github.com/feedpost/feedpost/internal/content"
	"github.com/feedpost/feedpost/internal/rsshub"
)

// maxSize caps what Parse reads: feed lists are kilobytes; anything near
// this is not an OPML file.
const maxSize = 16 << 20

// Outline is one <outline>: a feed when XMLURL is set, else a folder.
type Outline struct {
	Text     string // `text`: the label readers show
	Title    string // `title`: usually equal to text; feeds often have both
	Type     string // `type`: "rss" for feeds (informational)
	XMLURL   string // `xmlUrl`: the feed's URL
	HTMLURL  string // `htmlUrl`: the site's URL
	Children []Outline
}

// IsFeed reports whether the outline is a feed rather than a folder.
func (o Outline) IsFeed() bool { return o.XMLURL != "" }

// Label is the outline's name: its title, else its text.
func (o Outline) Label() string {
	if t := strings.TrimSpace(o.Title); t != "" {
		return t
	}
	return strings.TrimSpace(o.Text)
}

// rawOutline takes every attribute as is, because exporters differ in the
// case of attribute names (xmlUrl, xmlurl, XMLURL) and encoding/xml's tags
// match case-sensitively.
type rawOutline struct {
	Attrs    []xml.Attr   `xml:",any,attr"`
	Children []rawOutline `xml:"outline"`
}

type rawOPML struct {
	XMLName xml.Name
	Body    *struct {
		Outlines []rawOutline `xml:"outline"`
	} `xml:"body"`
}

// Parse reads an OPML 1.0 or 2.0 document and returns the outlines of its
// body, folders with their children. The XML is read leniently, as feed
// readers write it: a bare & in a URL and HTML entities are accepted, and a
// non-UTF-8 encoding declared in the prolog is decoded. It fails, saying why,
// on a document that is not XML, whose root is not <opml>, or that has no
// <body>.
func Parse(r io.Reader) ([]Outline, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxSize+1))
	if err != nil {
		return nil, fmt.Errorf("read OPML: %w", err)
	}
	if len(data) > maxSize {
		return nil, fmt.Errorf("not an OPML file: larger than %d MB", maxSize>>20)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errors.New("not an OPML file: it is empty")
	}
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = false
	d.Entity = xml.HTMLEntity
	d.CharsetReader = charset.NewReaderLabel
	var doc rawOPML
	if err := d.Decode(&doc); err != nil {
		var se *xml.SyntaxError
		if errors.As(err, &se) && se.Msg == "unexpected EOF" {
			return nil, fmt.Errorf("invalid OPML: the document ends before its elements are closed (truncated file?): %w", err)
		}
		if err == io.EOF {
			return nil, errors.New("not an OPML file: no XML element in it")
		}
		return nil, fmt.Errorf("not an OPML file: %w", err)
	}
	if !strings.EqualFold(doc.XMLName.Local, "opml") {
		return nil, fmt.Errorf("not an OPML file: the root element is <%s>, not <opml>", doc.XMLName.Local)
	}
	if doc.Body == nil {
		return nil, errors.New("invalid OPML: no <body> element")
	}
	return convert(doc.Body.Outlines), nil
}

func convert(raw []rawOutline) []Outline {
	out := make([]Outline, 0, len(raw))
	for _, r := range raw {
		var o Outline
		for _, a := range r.Attrs {
			v := strings.TrimSpace(a.Value)
			switch strings.ToLower(a.Name.Local) {
			case "text":
				o.Text = v
			case "title":
				o.Title = v
			case "type":
				o.Type = v
			case "xmlurl":
				o.XMLURL = v
			case "htmlurl":
				o.HTMLURL = v
			}
		}
		o.Children = convert(r.Children)
		out = append(out, o)
	}
	return out
}

// SourceSpec is one source to write into feedpost.yaml: URL or Route, an
// optional name and optional category levels.
type SourceSpec struct {
	URL      string
	Route    string
	Name     string
	Category []string
}

// Sources turns outlines into source specs, in document order.
//
//   - Every feed outline (with an xmlUrl) gives one spec; the same URL twice
//     (a feed filed in two folders) gives one, the first.
//   - A feed URL on one of instances or on rsshub.app becomes a `route:`,
//     but only when instances is not empty: a route needs `rsshub:` in the
//     config, and without it the config still recognises the full URL.
//   - Name is the feed's title (else text), left out when it only repeats
//     the URL or route, or when an earlier feed has the same name (names are
//     source keys and must be unique).
//   - Names and folder titles come from someone else's file: they are made
//     inert labels (content.Label, content.Category), since themes print
//     category names raw.
//   - With categoryFromOutline, Category is the path of folder titles the
//     feed sits in (outermost first); a feed at the top level, or any feed
//     without categoryFromOutline, gets none (the feed title is used then).
//     The feed's own title is not added as a level: folders are what a user
//     filed feeds under, a feed title is already the default category.
func Sources(outlines []Outline, categoryFromOutline bool, instances []string) []SourceSpec {
	var specs []SourceSpec
	seen := map[string]bool{}
	names := map[string]bool{}
	var walk func(list []Outline, path []string)
	walk = func(list []Outline, path []string) {
		for _, o := range list {
			if !o.IsFeed() {
				sub := path
				if l := content.Category(o.Label()); l != "" {
					sub = append(slices.Clip(path), l)
				}
				walk(o.Children, sub)
				continue
			}
			s := SourceSpec{URL: o.XMLURL}
			if len(instances) > 0 {
				if route, ok := rsshub.RouteOf(o.XMLURL, instances); ok {
					s.URL, s.Route = "", route
				}
			}
			id := s.URL + s.Route
			if !seen[id] {
				seen[id] = true
				if l := content.Label(o.Label()); l != "" && l != o.XMLURL && l != s.Route && !names[l] {
					s.Name = l
					names[l] = true
				}
				if categoryFromOutline && len(path) > 0 {
					s.Category = slices.Clone(path)
				}
				specs = append(specs, s)
			}
			walk(o.Children, path) // a feed with children is rare, but keep them
		}
	}
	walk(outlines, nil)
	return specs
}

// YAML returns specs as a `sources:` list that config.Parse accepts: the
// values are quoted by the YAML encoder wherever YAML would otherwise read
// them as something else (a category "2021", "@x" or "a: b").
func YAML(specs []SourceSpec) []byte {
	return encode(&yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{str("sources"), list(specs)}})
}

// Items returns specs as bare list items ("- url: …") starting at column 0,
// for appending under an existing `sources:` list.
func Items(specs []SourceSpec) []byte {
	return encode(list(specs))
}

func list(specs []SourceSpec) *yaml.Node {
	seq := &yaml.Node{Kind: yaml.SequenceNode}
	for _, s := range specs {
		m := &yaml.Node{Kind: yaml.MappingNode}
		if s.Route != "" {
			m.Content = append(m.Content, str("route"), str(s.Route))
		} else {
			m.Content = append(m.Content, str("url"), str(s.URL))
		}
		if s.Name != "" {
			m.Content = append(m.Content, str("name"), str(s.Name))
		}
		if len(s.Category) > 0 {
			cat := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
			for _, c := range s.Category {
				cat.Content = append(cat.Content, str(c))
			}
			m.Content = append(m.Content, str("category"), cat)
		}
		seq.Content = append(seq.Content, m)
	}
	return seq
}

func str(v string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v}
}

func encode(n *yaml.Node) []byte {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	// Encoding a tree of plain string nodes into a buffer cannot fail.
	_ = enc.Encode(n)
	_ = enc.Close()
	return b.Bytes()
}

// OPML 2.0 output types. Attribute names follow the spec's spelling.
type xOPML struct {
	XMLName xml.Name    `xml:"opml"`
	Version string      `xml:"version,attr"`
	Title   string      `xml:"head>title"`
	Body    []*xOutline `xml:"body>outline"`
}

type xOutline struct {
	Text     string      `xml:"text,attr"`
	Title    string      `xml:"title,attr,omitempty"`
	Type     string      `xml:"type,attr,omitempty"`
	XMLURL   string      `xml:"xmlUrl,attr,omitempty"`
	Children []*xOutline `xml:"outline"`
}

// Export writes cfg's sources as an OPML 2.0 document: category levels as
// nested folders (in the order they first appear), each source as a feed
// outline whose text and title are its name (else its key) and whose xmlUrl
// is where it is fetched from:
//   - a `route:` on the first RSSHub instance, without the access key (an
//     exported list is shared; the key is a secret);
//   - a `url:` as written when it is an http(s) URL, a local file as a
//     file:// URL.
//
// Sources with `category: auto` or no category sit at the top level; what
// OPML cannot say (auto categories, filters, headers…) is left out.
func Export(cfg *config.Config) ([]byte, error) {
	doc := xOPML{Version: "2.0", Title: cfg.Site.Title}
	folders := map[string]*xOutline{} // by joined path
	for i := range cfg.Sources {
		s := &cfg.Sources[i]
		feed := &xOutline{Text: s.Key, Title: s.Key, Type: "rss", XMLURL: feedURL(cfg, s)}
		if s.Name != "" {
			feed.Text, feed.Title = s.Name, s.Name
		}
		parent := &doc.Body
		for depth := range s.Category {
			key := strings.Join(s.Category[:depth+1], "\x00")
			f, ok := folders[key]
			if !ok {
				f = &xOutline{Text: s.Category[depth], Title: s.Category[depth]}
				folders[key] = f
				*parent = append(*parent, f)
			}
			parent = &f.Children
		}
		*parent = append(*parent, feed)
	}
	var b bytes.Buffer
	b.WriteString(xml.Header)
	enc := xml.NewEncoder(&b)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("export OPML: %w", err)
	}
	b.WriteByte('\n')
	return b.Bytes(), nil
}

func feedURL(cfg *config.Config, s *config.Source) string {
	lower := strings.ToLower(s.URL)
	switch {
	case s.URL != "" && (strings.HasPrefix(lower, "http://") || strings.HasPrefix(lower, "https://")):
		return s.URL
	case s.IsRoute():
		if inst := rsshub.Instances(cfg.RSSHub, s.FetchURL); len(inst) > 0 {
			return rsshub.RouteURL(inst[0], s.Route, "", nil)
		}
		return s.FetchURL
	case strings.HasPrefix(strings.ToLower(s.FetchURL), "file:"):
		return s.FetchURL
	}
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(s.FetchURL)}).String()
}
