// Package scraper fetches an article page and extracts its main content, for
// sources with `fulltext: true` whose feeds carry only a summary.
//
// The page goes through the same fetch.Client as the feeds, so per-host
// limits, timeouts, retries and max_bytes apply to article pages too. The
// extraction itself is codeberg.org/readeck/go-readability/v2 (a port of
// Mozilla's Readability.js, kept up to date with it); this package only adds
// what it leaves to the caller: charset decoding, refusing what is not an
// HTML page, and errors that name the cause.
package scraper

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"

	readability "codeberg.org/readeck/go-readability/v2"
	"golang.org/x/net/html"
	"golang.org/x/net/html/charset"

	"github.com/feedpost/feedpost/internal/fetch"
)

// ErrNoContent is returned (wrapped) when the page has no recognisable
// article: an index page, a login wall, a page built by JavaScript.
var ErrNoContent = errors.New("no article content found (the page does not look like an article)")

// acceptHTML replaces the client's feed-oriented Accept header: some sites
// answer a feed Accept with a redirect to their RSS, or with JSON.
const acceptHTML = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"

// Extract fetches pageURL with client and returns the HTML of its main
// article (readability's cleaned-up container, links made absolute against
// the final URL). The result is raw article HTML: the caller still runs it
// through the content stage (sanitising, image proxying).
//
// Only http(s) links are fetched: a feed item's link is untrusted input, and
// the client would otherwise read file:// URLs and local paths from disk.
// Errors from the fetch are *fetch.Error ("GET https://…: 404 Not Found");
// others name the page and wrap ErrNoContent where that is the cause.
func Extract(ctx context.Context, client *fetch.Client, pageURL string) (string, error) {
	u, err := url.Parse(pageURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("extract %q: not an http(s) link", pageURL)
	}
	resp, err := client.Get(ctx, fetch.Request{URL: pageURL, Headers: map[string]string{"Accept": acceptHTML}})
	if err != nil {
		return "", err
	}
	if resp.NotModified { // never asked for, but a broken server may send it
		return "", fmt.Errorf("extract %s: unexpected 304 Not Modified", pageURL)
	}
	if !isHTML(resp.ContentType, resp.Body) {
		return "", fmt.Errorf("extract %s: not an HTML page (Content-Type %s)", pageURL, orNone(resp.ContentType))
	}
	final, err := url.Parse(resp.URL)
	if err != nil || final.Host == "" {
		final = u
	}
	out, err := extract(resp.Body, resp.ContentType, final)
	if err != nil {
		return "", fmt.Errorf("extract %s: %w", pageURL, err)
	}
	return out, nil
}

// extract decodes body to UTF-8 (HTTP charset, else BOM, else <meta>, else
// a guess, as browsers do) and runs readability on it. A panic in the
// third-party code is an error for this page, not a crash of the run.
func extract(body []byte, contentType string, pageURL *url.URL) (out string, err error) {
	defer func() {
		if p := recover(); p != nil {
			out, err = "", fmt.Errorf("readability crashed: %v", p)
		}
	}()
	r, err := charset.NewReader(bytes.NewReader(body), contentType)
	if err != nil {
		return "", fmt.Errorf("decode page: %w", err)
	}
	// html.Parse (which readability uses) never fails on malformed HTML; its
	// errors are read errors, which a bytes.Reader does not have.
	doc, err := html.Parse(r)
	if err != nil {
		return "", fmt.Errorf("parse page: %w", err)
	}
	p := readability.NewParser()
	// Readability always returns its best candidate, even for an index page
	// or a login wall (a nav bar, say). The check Firefox uses to offer its
	// reader view tells an article from those; a page that fails it keeps
	// the feed's own content, which beats a menu.
	if !p.CheckDocument(doc) {
		return "", ErrNoContent
	}
	article, err := p.ParseAndMutate(doc, pageURL)
	if err != nil {
		return "", err
	}
	if article.Node == nil {
		return "", ErrNoContent
	}
	var text strings.Builder
	if err := article.RenderText(&text); err != nil || strings.TrimSpace(text.String()) == "" {
		return "", ErrNoContent
	}
	var b strings.Builder
	if err := article.RenderHTML(&b); err != nil {
		return "", fmt.Errorf("render article: %w", err)
	}
	return b.String(), nil
}

// isHTML accepts text/html and XHTML, and an unlabelled (or mislabelled as
// text/plain / octet-stream) body that sniffs as HTML.
func isHTML(contentType string, body []byte) bool {
	mt, _, _ := mime.ParseMediaType(contentType)
	switch mt {
	case "text/html", "application/xhtml+xml":
		return true
	case "", "text/plain", "application/octet-stream":
		return strings.HasPrefix(http.DetectContentType(body), "text/html")
	}
	return false
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
