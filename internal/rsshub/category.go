package rsshub

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"github.com/feedpost/feedpost/internal/content"
	"github.com/feedpost/feedpost/internal/fetch"
)

// ErrNoAPI means the instance does not serve RSSHub's route metadata API
// (/api/namespace/<namespace>, RSSHub v2 and later): it answered 404, HTML
// or something that is not the API's JSON. Callers fall back to
// [<feed title>].
var ErrNoAPI = errors.New("the RSSHub instance has no route metadata API (/api/namespace)")

// ErrUnknownRoute means the API answered but lists no namespace or route
// matching the route, or the route has no name.
var ErrUnknownRoute = errors.New("route not found in the instance's route metadata")

// section is one RSSHub category: the id routes declare, and the names the
// docs give it. The table is RSSHub's scripts/workflow/data.ts (the docs'
// category pages); RSSHub only exposes the ids, so the names live here.
type section struct{ zh, en string }

var sections = map[string]section{
	"popular":           {"热门", "Popular"},
	"social-media":      {"社交媒体", "Social Media"},
	"new-media":         {"新媒体", "New media"},
	"traditional-media": {"传统媒体", "Traditional media"},
	"bbs":               {"论坛", "BBS"},
	"blog":              {"博客", "Blog"},
	"programming":       {"编程", "Programming"},
	"design":            {"设计", "Design"},
	"live":              {"直播", "Live"},
	"multimedia":        {"音视频", "Multimedia"},
	"picture":           {"图片", "Picture"},
	"anime":             {"二次元", "ACG"},
	"program-update":    {"程序更新", "Application Updates"},
	"university":        {"大学通知", "University"},
	"forecast":          {"预报预警", "Forecast and Alerts"},
	"travel":            {"出行旅游", "Travel"},
	"shopping":          {"购物", "Shopping"},
	"game":              {"游戏", "Gaming"},
	"reading":           {"阅读", "Reading"},
	"government":        {"政务消息", "Government"},
	"study":             {"学习", "Study"},
	"journal":           {"科学期刊", "Scientific Journal"},
	"finance":           {"金融", "Finance"},
	"other":             {"其他", "Uncategorized"},
}

// SectionName returns the docs' name of an RSSHub category id: Chinese, or
// English when english is set. An id not in the table (a category added to
// RSSHub later) is returned title-cased in English and as is in Chinese.
func SectionName(id string, english bool) string {
	if s, ok := sections[id]; ok {
		if english {
			return s.en
		}
		return s.zh
	}
	if !english {
		return id
	}
	words := strings.FieldsFunc(id, func(r rune) bool { return r == '-' || r == '_' })
	for i, w := range words {
		r := []rune(w)
		r[0] = unicode.ToUpper(r[0])
		words[i] = string(r)
	}
	return strings.Join(words, " ")
}

// The parts of RSSHub's /api/namespace/:namespace answer that are used: the
// registry entry of lib/registry.ts, i.e. lib/types.ts's Namespace plus
// `routes`, keyed by the Hono path relative to the namespace ("/category/:cid").
// A route's own `path` may be a string or a list, so the map key is used.
type apiNamespace struct {
	Name       string              `json:"name"`
	Categories []string            `json:"categories"`
	Zh         *apiName            `json:"zh"`
	Routes     map[string]apiRoute `json:"routes"`
}

type apiRoute struct {
	Name       string   `json:"name"`
	Categories []string `json:"categories"`
	Zh         *apiName `json:"zh"`
}

type apiName struct {
	Name string `json:"name"`
}

// Category returns the three-level category of route the way RSSHub's docs
// file it — [section, site, route name], e.g. [新媒体, 趣头条, 分类] for
// /qutoutiao/category/1 — read from instance's route metadata API,
// /api/namespace/<namespace> (namespace = the route's first segment; a
// nested namespace "a/b" is tried when "a" is unknown). key is the access
// key: the API is behind RSSHub's access control like the routes.
//
//   - section: the route's first category (else the namespace's, else the
//     first any route of the namespace has, else "other", as RSSHub's docs
//     build does), "popular" skipped when the route has another, named
//     through the docs' table (SectionName);
//   - site: the namespace's name (its `zh.name` when there is one, unless
//     English);
//   - route name: the route's name (likewise `zh.name`).
//
// lang "en" (or "en-…") gives English section names and the base names;
// anything else gives Chinese. The error wraps ErrNoAPI when the instance has
// no such API and ErrUnknownRoute when it does not know the route; network
// errors are returned as they are. Callers fall back to [<feed title>].
func Category(ctx context.Context, c *fetch.Client, instance, route, key, lang string) ([]string, error) {
	english := strings.HasPrefix(strings.ToLower(lang), "en")
	path, _, _ := strings.Cut(route, "?")
	segs := splitPath(path)
	if len(segs) == 0 {
		return nil, fmt.Errorf("category auto for route %q: the route has no namespace", route)
	}
	var candidates []string // namespaces to try, shortest first
	candidates = append(candidates, segs[0])
	if len(segs) > 1 {
		candidates = append(candidates, segs[0]+"/"+segs[1])
	}
	var ns *apiNamespace
	var nsKey string
	for _, cand := range candidates {
		n, err := fetchNamespace(ctx, c, instance, cand, key)
		if err != nil {
			return nil, fmt.Errorf("category auto for route %s: %w", route, err)
		}
		if n != nil {
			ns, nsKey = n, cand
			break
		}
	}
	if ns == nil {
		return nil, fmt.Errorf("category auto for route %s: namespace %q: %w", route, segs[0], ErrUnknownRoute)
	}
	rest := segs[strings.Count(nsKey, "/")+1:]
	pattern, r, ok := matchRoute(ns.Routes, rest)
	if !ok {
		return nil, fmt.Errorf("category auto for route %s: no route of namespace %q matches: %w", route, nsKey, ErrUnknownRoute)
	}

	site, name := ns.Name, r.Name
	if !english {
		if ns.Zh != nil && ns.Zh.Name != "" {
			site = ns.Zh.Name
		}
		if r.Zh != nil && r.Zh.Name != "" {
			name = r.Zh.Name
		}
	}
	// The names come from the instance, which may be anyone's: themes print
	// category names raw, so they are made inert and path-safe.
	site, name = content.Category(site), content.Category(name)
	if site == "" {
		site = content.Category(nsKey) // RSSHub itself defaults a namespace's name to its key
	}
	if name == "" || name == "Unknown" { // "Unknown": RSSHub's placeholder for routes without metadata
		return nil, fmt.Errorf("category auto for route %s: route %s has no name: %w", route, pattern, ErrUnknownRoute)
	}
	section := content.Category(SectionName(sectionID(ns, r), english))
	if section == "" {
		section = "other"
	}
	return []string{section, site, name}, nil
}

// sectionID picks the category id as RSSHub's docs build does
// (scripts/workflow/build-routes.ts): the route's categories, else the
// namespace's, else the first any of its routes declares, else "other".
func sectionID(ns *apiNamespace, r apiRoute) string {
	cats := r.Categories
	if len(cats) == 0 {
		cats = ns.Categories
	}
	if len(cats) == 0 {
		for _, k := range sortedKeys(ns.Routes) {
			if c := ns.Routes[k].Categories; len(c) > 0 {
				cats = c
				break
			}
		}
	}
	for _, c := range cats {
		if c != "popular" && c != "" {
			return c
		}
	}
	if len(cats) > 0 {
		return cats[0]
	}
	return "other"
}

// fetchNamespace gets /api/namespace/<name>. It returns nil, nil when the API
// answers but does not know the namespace (RSSHub then answers `null` or an
// empty body).
func fetchNamespace(ctx context.Context, c *fetch.Client, instance, name, key string) (*apiNamespace, error) {
	escaped := make([]string, 0, 2)
	for _, part := range strings.Split(name, "/") {
		escaped = append(escaped, url.PathEscape(part))
	}
	u := RouteURL(instance, "/api/namespace/"+strings.Join(escaped, "/"), key, nil)
	resp, err := c.Get(ctx, fetch.Request{URL: u, Headers: map[string]string{"Accept": "application/json"}})
	if err != nil {
		var fe *fetch.Error
		if errors.As(err, &fe) && (fe.Status == http.StatusNotFound || fe.Status == http.StatusMethodNotAllowed) {
			return nil, fmt.Errorf("%w: %v", ErrNoAPI, err)
		}
		return nil, err
	}
	body := bytes.TrimSpace(resp.Body)
	if len(body) == 0 || string(body) == "null" || string(body) == "{}" {
		return nil, nil
	}
	if body[0] != '{' {
		return nil, fmt.Errorf("%w: GET %s answered %s, not JSON", ErrNoAPI, fetch.Redact(u), describe(resp))
	}
	var ns apiNamespace
	if err := json.Unmarshal(body, &ns); err != nil {
		return nil, fmt.Errorf("%w: GET %s: invalid JSON: %v", ErrNoAPI, fetch.Redact(u), err)
	}
	if ns.Routes == nil && ns.Name == "" {
		return nil, fmt.Errorf("%w: GET %s: the JSON has neither name nor routes", ErrNoAPI, fetch.Redact(u))
	}
	return &ns, nil
}

func describe(resp *fetch.Response) string {
	if resp.ContentType != "" {
		return resp.ContentType
	}
	return "an unknown content type"
}

func sortedKeys(m map[string]apiRoute) []string {
	return slices.Sorted(maps.Keys(m))
}

func splitPath(p string) []string {
	var out []string
	for _, s := range strings.Split(p, "/") {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// matchRoute finds the route whose Hono path pattern matches segs. When
// several match, the one with the most literal segments wins (Hono registers
// literal segments before parameters, lib/registry.ts sortRoutes), then the
// one with fewer catch-alls, then the smaller pattern, for a stable answer.
func matchRoute(routes map[string]apiRoute, segs []string) (string, apiRoute, bool) {
	best, bestLit, bestRest := "", -1, 0
	for _, pat := range sortedKeys(routes) {
		lit, rest, ok := matchPattern(pat, segs)
		if !ok {
			continue
		}
		if lit > bestLit || (lit == bestLit && rest < bestRest) {
			best, bestLit, bestRest = pat, lit, rest
		}
	}
	if bestLit < 0 {
		return "", apiRoute{}, false
	}
	return best, routes[best], true
}

// matchPattern matches path segments against a Hono route pattern:
// literal segments, ":name", ":name?" (optional, trailing), ":name{regexp}"
// (a regexp that may span slashes, like {.+}, takes the rest), and "*". It
// reports the number of literal segments and of catch-alls matched.
func matchPattern(pattern string, segs []string) (literals, rest int, ok bool) {
	pats := splitPath(pattern)
	i := 0
	for pi, p := range pats {
		last := pi == len(pats)-1
		switch {
		case p == "*":
			if last {
				return literals, rest + 1, true
			}
			if i >= len(segs) {
				return 0, 0, false
			}
			i++
		case strings.HasPrefix(p, ":"):
			optional := strings.HasSuffix(p, "?")
			body := strings.TrimSuffix(p[1:], "?")
			re := ""
			if open := strings.IndexByte(body, '{'); open >= 0 && strings.HasSuffix(body, "}") {
				re = body[open+1 : len(body)-1]
			}
			if i >= len(segs) {
				if optional {
					continue
				}
				return 0, 0, false
			}
			if re != "" {
				rx, err := regexp.Compile("^(?:" + re + ")$")
				if err != nil {
					return 0, 0, false
				}
				if spansSlash(re) {
					if !rx.MatchString(strings.Join(segs[i:], "/")) {
						return 0, 0, false
					}
					return literals, rest + 1, last
				}
				if !rx.MatchString(segs[i]) {
					return 0, 0, false
				}
			}
			i++
		default:
			if i >= len(segs) || segs[i] != p {
				return 0, 0, false
			}
			literals++
			i++
		}
	}
	return literals, rest, i == len(segs)
}

// spansSlash reports whether a parameter's regexp may match "/" (".+", ".*",
// "[^?]+"...): Hono lets such a parameter take the rest of the path.
func spansSlash(re string) bool {
	rx, err := regexp.Compile("^(?:" + re + ")$")
	return err == nil && rx.MatchString("a/b")
}
