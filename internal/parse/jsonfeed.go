package parse

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// JSON Feed is read here, field by field, rather than with gofeed's JSON
// parser: that one decodes into typed structs, so one field of the wrong type
// ("tags": "a,b", a string author, an object where a list belongs, a number
// as title or date) fails the whole feed with an UnmarshalTypeError although
// the JSON is valid — a real feed lost all 84 items that way. Here every
// object is decoded to raw members first and each member read on its own:
// what can be coerced is, what cannot is dropped, and either is counted in a
// note for the run summary. Only invalid JSON fails, naming line and column.

// jsonObject is a JSON object with its members still undecoded.
type jsonObject map[string]json.RawMessage

// jsonReader reads the members of a JSON Feed and keeps count of what had to
// be coerced or dropped.
type jsonReader struct {
	fixes map[string]int // what was done → how often
	order []string       // fixes in the order first met
}

// fix records that path had the wrong type and what was done with it.
func (r *jsonReader) fix(path, kind, done string) {
	what := path + " is " + kind + ", " + done
	if r.fixes == nil {
		r.fixes = map[string]int{}
	}
	if r.fixes[what] == 0 {
		r.order = append(r.order, what)
	}
	r.fixes[what]++
}

// note is the summary's line for the fixes; "" when there were none.
func (r *jsonReader) note() string {
	if len(r.order) == 0 {
		return ""
	}
	parts := make([]string, len(r.order))
	for i, what := range r.order {
		parts[i] = what
		if n := r.fixes[what]; n > 1 {
			parts[i] += fmt.Sprintf(" (%d times)", n)
		}
	}
	return "JSON Feed fields of the wrong type: " + strings.Join(parts, "; ")
}

// kindOf names the JSON type of a raw value, with its article, for notes;
// "" for null or an absent member.
func kindOf(raw json.RawMessage) string {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	if len(raw) == 0 {
		return ""
	}
	switch raw[0] {
	case '"':
		return "a string"
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return ""
	}
	return "a number"
}

// str reads a member that should be a string. A number is read as its text;
// anything else is dropped.
func (r *jsonReader) str(raw json.RawMessage, path string) string {
	switch kind := kindOf(raw); kind {
	case "":
		return ""
	case "a string":
		var s string
		_ = json.Unmarshal(raw, &s) // valid: the whole document was
		return s
	case "a number":
		r.fix(path, kind, "read as text")
		return string(bytes.TrimSpace(raw))
	default:
		r.fix(path, kind, "dropped")
		return ""
	}
}

// id reads an item id, which the spec allows to be a number.
func (r *jsonReader) id(raw json.RawMessage, path string) string {
	if kindOf(raw) == "a number" {
		return string(bytes.TrimSpace(raw))
	}
	return strings.TrimSpace(r.str(raw, path))
}

// list reads a member that should be an array: an object (or, where
// scalars are allowed, a scalar) stands for a list of one.
func (r *jsonReader) list(raw json.RawMessage, path string, scalars bool) []json.RawMessage {
	switch kind := kindOf(raw); kind {
	case "":
		return nil
	case "an array":
		var l []json.RawMessage
		_ = json.Unmarshal(raw, &l)
		return l
	case "an object":
		r.fix(path, kind, "read as a list of one")
		return []json.RawMessage{raw}
	default:
		if scalars {
			return []json.RawMessage{raw}
		}
		r.fix(path, kind, "dropped")
		return nil
	}
}

// object reads a member that should be an object; nil when it is not one
// (noted, unless it is null).
func (r *jsonReader) object(raw json.RawMessage, path string) jsonObject {
	kind := kindOf(raw)
	if kind != "an object" {
		if kind != "" {
			r.fix(path, kind, "dropped")
		}
		return nil
	}
	var o jsonObject
	_ = json.Unmarshal(raw, &o)
	return o
}

// name reads an author: an object's name, or a bare string taken as the name.
func (r *jsonReader) name(raw json.RawMessage, path string) string {
	if kind := kindOf(raw); kind == "a string" || kind == "a number" {
		r.fix(path, kind, "read as the name")
		var s string
		if json.Unmarshal(raw, &s) != nil {
			s = string(bytes.TrimSpace(raw))
		}
		return strings.TrimSpace(s)
	}
	return strings.TrimSpace(r.str(r.object(raw, path)["name"], path+".name"))
}

// author returns the first named author of an object: "authors" (1.1),
// else "author" (1.0). Either may be written as the other's type.
func (r *jsonReader) author(o jsonObject, prefix string) string {
	for _, a := range r.list(o["authors"], prefix+"authors", true) {
		if n := r.name(a, prefix+"authors[]"); n != "" {
			return n
		}
	}
	raw := o["author"]
	if kindOf(raw) == "an array" {
		r.fix(prefix+"author", "an array", "read as authors")
		for _, a := range r.list(raw, prefix+"author", true) {
			if n := r.name(a, prefix+"author[]"); n != "" {
				return n
			}
		}
		return ""
	}
	return r.name(raw, prefix+"author")
}

// tags reads an item's tags: a list of strings, or one string of
// comma-separated tags.
func (r *jsonReader) tags(raw json.RawMessage, path string) []string {
	var out []string
	if kind := kindOf(raw); kind == "a string" || kind == "a number" {
		r.fix(path, kind, "split at commas")
		for _, t := range strings.FieldsFunc(r.str(raw, path), func(c rune) bool { return c == ',' || c == '，' }) {
			out = appendCategory(out, t)
		}
		return out
	}
	for _, t := range r.list(raw, path, false) {
		out = appendCategory(out, r.str(t, path+"[]"))
	}
	return out
}

// date reads a date: a string in any layout dates reads, or a number taken as
// a Unix time.
func (r *jsonReader) date(d dates, raw json.RawMessage, path string) time.Time {
	if kind := kindOf(raw); kind == "a number" {
		r.fix(path, kind, "read as a Unix time")
		f, err := strconv.ParseFloat(string(bytes.TrimSpace(raw)), 64)
		if err != nil {
			return time.Time{}
		}
		return unixDate(f)
	}
	return d.parse(r.str(raw, path))
}

// parseJSON reads a JSON Feed 1.0 or 1.1.
func (p *parser) parseJSON(data []byte, feedURL string) (*Feed, error) {
	var top jsonObject
	if err := json.Unmarshal(data, &top); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			line, col := lineCol(data, se.Offset)
			return nil, &SyntaxError{Format: "JSON", Line: line, Column: col, Msg: se.Error()}
		}
		return nil, unrecognised(data) // valid JSON, but not an object
	}
	var r jsonReader
	version := r.str(top["version"], "version")
	itemsKind := kindOf(top["items"])
	if !strings.Contains(version, "jsonfeed.org/version/") && (version != "" || (itemsKind != "an array" && itemsKind != "an object")) {
		// Another JSON document: an API error, another format.
		return nil, unrecognised(data)
	}

	feedBase := parseURL(feedURL)
	feed := &Feed{
		Title: strings.TrimSpace(r.str(top["title"], "title")),
		Link:  resolveLink(feedBase, r.str(top["home_page_url"], "home_page_url")),
		Icon:  resolveLink(feedBase, strings.TrimSpace(cmp.Or(r.str(top["icon"], "icon"), r.str(top["favicon"], "favicon")))),
	}
	site := siteBase(feed.Link, feedBase)
	d := p.dates(r.str(top["language"], "language"))
	feedAuthor := r.author(top, "")

	rawItems := r.list(top["items"], "items", false)
	feed.Items = make([]Item, 0, len(rawItems))
	for _, raw := range rawItems {
		if kindOf(raw) == "" {
			continue // "items": [null, ...]
		}
		o := r.object(raw, "items[]")
		if o == nil {
			continue
		}
		it := Item{GUID: r.id(o["id"], "items[].id"), Title: r.str(o["title"], "items[].title")}
		link := r.str(o["url"], "items[].url")
		if link == "" {
			link = r.str(o["external_url"], "items[].external_url")
		}
		it.Link = resolveLink(site, link)
		it.Base = itemBase(it.Link, site)

		html, text := r.str(o["content_html"], "items[].content_html"), r.str(o["content_text"], "items[].content_text")
		summary := r.str(o["summary"], "items[].summary")
		switch {
		case html != "":
			it.Content, it.Summary = html, summary
		case text != "":
			it.Content, it.Summary, it.IsText = text, summary, true
		default:
			// JSON Feed's summary is plain text by definition.
			it.Content, it.IsText = summary, true
		}

		it.Author = r.author(o, "items[].")
		if it.Author == "" {
			it.Author = feedAuthor
		}
		it.Published = r.date(d, o["date_published"], "items[].date_published")
		it.Updated = r.date(d, o["date_modified"], "items[].date_modified")

		b := p.newImageList(parseURL(it.Base))
		b.add(r.str(o["image"], "items[].image"))
		b.add(r.str(o["banner_image"], "items[].banner_image"))
		for _, a := range r.list(o["attachments"], "items[].attachments", false) {
			att := r.object(a, "items[].attachments[]")
			if isImageType(r.str(att["mime_type"], "items[].attachments[].mime_type")) {
				b.add(r.str(att["url"], "items[].attachments[].url"))
			}
		}
		it.Images = b.urls
		it.Categories = r.tags(o["tags"], "items[].tags")
		feed.Items = append(feed.Items, it)
	}
	if n := r.note(); n != "" {
		p.note(n)
	}
	return feed, nil
}
