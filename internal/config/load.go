package config

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // site.timezone must load on hosts (containers, Windows) without a zoneinfo database

	"go.yaml.in/yaml/v3"
	"golang.org/x/net/http/httpguts"

	"github.com/feedpost/feedpost/internal/rsshub"
)

// Version is feedpost's version, used in the default User-Agent. main may set
// it (from -ldflags or build info) before calling Load.
var Version = "0.1.0-dev"

// DefaultUserAgent is the User-Agent sent when `fetch.user_agent` is unset.
// It names the project so that feed owners can tell who is fetching.
func DefaultUserAgent(version string) string {
	return "feedpost/" + version + " (+https://github.com/feedpost/feedpost)"
}

// defaultIframeHosts is the built-in video-host allow-list
// (docs/post-format.md, "Body", step 3). `content.iframe_hosts` adds to it;
// it never replaces it: the list is documented as "extendable".
var defaultIframeHosts = []string{
	"www.youtube.com", "www.youtube-nocookie.com", "player.vimeo.com", "player.bilibili.com", "v.qq.com",
}

// Error is every error Load and Parse return. It names the file, the line
// (0 when there is none, e.g. a missing key) and the dotted key path
// ("sources[1].limit", indexes counted from 0), so a user can go straight to
// the mistake.
type Error struct {
	File string
	Line int
	Key  string
	Msg  string
	Err  error // underlying cause, if any (e.g. the os error of an unreadable file)
}

// Error formats as "<file>:<line>: <key path>: <message>"; the line and key
// parts are left out when unknown.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteString(":")
		b.WriteString(strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	if e.Key != "" {
		b.WriteString(e.Key)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// SourceByKey returns the source whose Key is key, or nil.
func (c *Config) SourceByKey(key string) *Source {
	for i := range c.Sources {
		if c.Sources[i].Key == key {
			return &c.Sources[i]
		}
	}
	return nil
}

// Load reads and validates the config file at path. Every error is an *Error.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		cause := err
		var pe *fs.PathError
		if errors.As(err, &pe) {
			cause = pe.Err // the path is already in Error.File
		}
		return nil, &Error{File: path, Msg: "cannot read the config: " + cause.Error(), Err: err}
	}
	return Parse(data, path)
}

// Parse validates config data as if it had been read from path: path names
// the file in messages and its folder anchors relative paths ("" stands for
// "feedpost.yaml" in the working directory). Every error is an *Error.
//
// Decoding goes through yaml.Node and a hand-written walk rather than struct
// tags, because yaml's own strict mode reports neither key paths nor
// suggestions, accepts 1.5 for an int and cannot tell "absent" from "null"
// from "" — and the rules below depend on all of that.
func Parse(data []byte, path string) (cfg *Config, err error) {
	if path == "" {
		path = "feedpost.yaml"
	}
	abs, aerr := filepath.Abs(path)
	if aerr != nil {
		return nil, &Error{File: path, Msg: "cannot resolve the config path: " + aerr.Error(), Err: aerr}
	}
	defer func() {
		if r := recover(); r != nil {
			cfg, err = nil, &Error{File: path, Msg: fmt.Sprintf("cannot parse the config: %v", r)}
		}
	}()
	var doc yaml.Node
	if yerr := yaml.Unmarshal(data, &doc); yerr != nil {
		return nil, yamlError(path, yerr)
	}
	p := &parser{file: path, dir: filepath.Dir(abs)}
	c := p.config(&doc)
	if p.err != nil {
		return nil, p.err
	}
	if env := strings.TrimSpace(os.Getenv(EnvStore)); env != "" {
		if c.Store, err = storeFromEnv(env); err != nil {
			return nil, &Error{File: path, Msg: err.Error(), Err: err}
		}
	}
	c.Path = abs
	return c, nil
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// yamlError turns a syntax error of the yaml package ("yaml: line 3: ...")
// into an *Error carrying the line.
func yamlError(file string, err error) *Error {
	msg := err.Error()
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &Error{File: file, Line: line, Msg: "invalid YAML: " + m[2], Err: err}
	}
	return &Error{File: file, Msg: "invalid YAML: " + strings.TrimPrefix(msg, "yaml: "), Err: err}
}

// parser walks the YAML tree. The first error sticks in err and turns every
// later helper call into a no-op, which keeps the walk free of error checks.
type parser struct {
	file string
	dir  string
	err  *Error
}

func (p *parser) fail(n *yaml.Node, key, format string, args ...any) {
	if p.err != nil {
		return
	}
	line := 0
	if n != nil {
		line = n.Line
	}
	p.err = &Error{File: p.file, Line: line, Key: key, Msg: fmt.Sprintf(format, args...)}
}

// deref follows aliases.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 10; i++ {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	n = deref(n)
	return n == nil || n.Kind == 0 || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

func kindName(n *yaml.Node) string {
	switch deref(n).Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	return fmt.Sprintf("%q", deref(n).Value)
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// mapping checks that n is a mapping whose keys are all in allowed and returns
// its values by key. Null values are left out, so that `key:` with no value
// means the same as no key (the default). YAML merge keys (`<<: *anchor`) are
// expanded; explicit keys win over merged ones.
func (p *parser) mapping(n *yaml.Node, path string, allowed ...string) map[string]*yaml.Node {
	if p.err != nil || isNull(n) {
		return nil
	}
	out := map[string]*yaml.Node{}
	p.mergeInto(out, n, path, allowed, map[string]int{}, map[*yaml.Node]bool{}, 0)
	if p.err != nil {
		return nil
	}
	return out
}

// mergeInto adds the keys of mapping n (and of what it merges) to out.
// visited makes every mapping count once, so that merge cycles and repeated
// merges of one anchor stay cheap.
func (p *parser) mergeInto(out map[string]*yaml.Node, n *yaml.Node, path string, allowed []string, seen map[string]int, visited map[*yaml.Node]bool, depth int) {
	m := deref(n)
	if m.Kind != yaml.MappingNode {
		p.fail(n, path, "expected a mapping, got %s", kindName(n))
		return
	}
	if visited[m] {
		return
	}
	visited[m] = true
	var merges []*yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := deref(m.Content[i]), m.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			merges = append(merges, v)
			continue
		}
		if k.Kind != yaml.ScalarNode {
			p.fail(m.Content[i], path, "a key must be a plain string, got %s", kindName(k))
			return
		}
		name := k.Value
		if !slices.Contains(allowed, name) {
			msg := fmt.Sprintf("unknown key %q", name)
			if s := suggest(name, allowed); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			p.fail(m.Content[i], join(path, name), "%s", msg)
			return
		}
		if depth == 0 {
			if first, dup := seen[name]; dup {
				p.fail(m.Content[i], join(path, name), "key repeated (first set at line %d)", first)
				return
			}
			seen[name] = k.Line
		}
		if _, set := out[name]; set || isNull(v) {
			if isNull(v) && depth == 0 {
				out[name] = nil // explicit null: counts as set for merges, then dropped
			}
			continue
		}
		out[name] = v
	}
	for _, mv := range merges {
		if isNull(mv) {
			continue
		}
		if d := deref(mv); d.Kind == yaml.SequenceNode {
			for _, e := range d.Content {
				p.mergeInto(out, e, path, allowed, seen, visited, depth+1)
			}
		} else {
			p.mergeInto(out, mv, path, allowed, seen, visited, depth+1)
		}
	}
	if depth == 0 {
		for k, v := range out {
			if v == nil {
				delete(out, k)
			}
		}
	}
}

// suggest returns the allowed key closest to key when it is a likely typo.
func suggest(key string, allowed []string) string {
	best, bestD := "", 3
	for _, a := range allowed {
		d := levenshtein(strings.ToLower(key), a)
		if d < bestD && (d <= 1 || len(a) > 4) {
			best, bestD = a, d
		}
	}
	return best
}

// levenshtein is the edit distance of two short keys; a dependency for ten
// lines of textbook code is not worth it.
func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// scalar returns the scalar under n, failing on mappings and lists.
func (p *parser) scalar(n *yaml.Node, key, want string) (*yaml.Node, bool) {
	if p.err != nil || isNull(n) {
		return nil, false
	}
	v := deref(n)
	if v.Kind != yaml.ScalarNode {
		p.fail(n, key, "expected %s, got %s", want, kindName(n))
		return nil, false
	}
	return v, true
}

// str sets *dst to the string under n. Any scalar is accepted (`name: 2021`
// is the string "2021"); surrounding spaces are trimmed.
func (p *parser) str(n *yaml.Node, key string, dst *string) bool {
	v, ok := p.scalar(n, key, "a string")
	if ok {
		*dst = strings.TrimSpace(v.Value)
	}
	return ok
}

// strDefault is str where an empty string keeps the default: for settings
// where "" has no sensible meaning (title, timezone, user agent...).
// timezone reads an IANA zone name into name and its location into loc;
// both are left as they are when the key is absent.
func (p *parser) timezone(n *yaml.Node, key string, name *string, loc **time.Location) {
	p.strDefault(n, key, name)
	if n == nil || p.err != nil {
		return
	}
	l, err := time.LoadLocation(*name)
	if err != nil {
		p.fail(n, key, "unknown time zone %q (use an IANA name such as Asia/Shanghai)", *name)
		return
	}
	*loc = l
}

func (p *parser) strDefault(n *yaml.Node, key string, dst *string) {
	var s string
	if p.str(n, key, &s) && s != "" {
		*dst = s
	}
}

func (p *parser) integer(n *yaml.Node, key string, minimum int, dst *int) {
	v, ok := p.scalar(n, key, "an integer")
	if !ok {
		return
	}
	var i int
	if v.ShortTag() != "!!int" || v.Decode(&i) != nil {
		p.fail(n, key, "expected an integer, got %q", v.Value)
		return
	}
	if i < minimum {
		p.fail(n, key, "must be at least %d, got %d", minimum, i)
		return
	}
	*dst = i
}

func (p *parser) boolean(n *yaml.Node, key string, dst *bool) {
	v, ok := p.scalar(n, key, "true or false")
	if !ok {
		return
	}
	if v.ShortTag() != "!!bool" || v.Decode(dst) != nil {
		p.fail(n, key, "expected true or false, got %q", v.Value)
	}
}

func (p *parser) oneOf(n *yaml.Node, key string, dst *string, choices ...string) {
	var s string
	if !p.str(n, key, &s) || s == "" {
		return
	}
	if !slices.Contains(choices, s) {
		p.fail(n, key, "must be one of %s, got %q", strings.Join(choices, ", "), s)
		return
	}
	*dst = s
}

// duration accepts Go durations ("90s", "1h30m") plus days ("30d", "1d12h"),
// because retention and max_age are naturally written in days. A bare 0 is
// accepted; any other bare number is rejected since its unit is unclear.
func (p *parser) duration(n *yaml.Node, key string, positive bool, dst *time.Duration) {
	v, ok := p.scalar(n, key, "a duration")
	if !ok {
		return
	}
	d, err := ParseDuration(v.Value)
	switch {
	case err != nil:
		p.fail(n, key, "expected a duration like 30m, 12h or 7d, got %q", v.Value)
	case d < 0:
		p.fail(n, key, "must not be negative, got %q", v.Value)
	case positive && d == 0:
		p.fail(n, key, "must be more than 0, got %q", v.Value)
	default:
		*dst = d
	}
}

var daysRE = regexp.MustCompile(`^(\d+(?:\.\d+)?)d(.*)$`)

// ParseDuration parses a Go duration with an optional leading day count:
// "30d", "1d12h", "1.5d", "45m". A day is 24 hours.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if m := daysRE.FindStringSubmatch(s); m != nil {
		days, err := strconv.ParseFloat(m[1], 64)
		if err != nil || days > 100*365 {
			return 0, fmt.Errorf("invalid day count %q", m[1])
		}
		d := time.Duration(days * float64(24*time.Hour))
		if m[2] != "" {
			rest, err := time.ParseDuration(m[2])
			if err != nil || rest < 0 {
				return 0, fmt.Errorf("invalid duration %q", s)
			}
			d += rest
		}
		return d, nil
	}
	return time.ParseDuration(s)
}

// size reads a byte size: a plain integer (bytes) or a number with a unit.
func (p *parser) size(n *yaml.Node, key string, dst *int64) {
	v, ok := p.scalar(n, key, "a size")
	if !ok {
		return
	}
	s, err := ParseSize(v.Value)
	switch {
	case err != nil:
		p.fail(n, key, "expected a size like 512KB, 20MB or 1GB, got %q", v.Value)
	case s < 1:
		p.fail(n, key, "must be more than 0, got %q", v.Value)
	default:
		*dst = s
	}
}

var sizeRE = regexp.MustCompile(`^(\d+(?:\.\d+)?)\s*([a-zA-Z]*)$`)

var sizeUnits = map[string]int64{
	"": 1, "b": 1,
	"k": 1 << 10, "kb": 1 << 10, "kib": 1 << 10,
	"m": 1 << 20, "mb": 1 << 20, "mib": 1 << 20,
	"g": 1 << 30, "gb": 1 << 30, "gib": 1 << 30,
	"t": 1 << 40, "tb": 1 << 40, "tib": 1 << 40,
}

// ParseSize parses "20MB", "512KB", "1.5MB", "1GB" or a plain byte count.
// Units are binary whatever their spelling: KB = 1024, MB = 1024*1024,
// GB = 1024^3 (KiB/MiB/GiB are accepted as synonyms). Hand-written because
// go-humanize reads MB as 10^6, which is not what users of limits like
// max_bytes expect.
func ParseSize(s string) (int64, error) {
	m := sizeRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, fmt.Errorf("invalid size %q", s)
	}
	unit, ok := sizeUnits[strings.ToLower(m[2])]
	if !ok {
		return 0, fmt.Errorf("invalid size unit %q in %q", m[2], s)
	}
	f, err := strconv.ParseFloat(m[1], 64)
	if err != nil || f*float64(unit) >= 1<<62 {
		return 0, fmt.Errorf("invalid size %q", s)
	}
	return int64(f * float64(unit)), nil
}

// httpURL validates an absolute http(s) URL.
func httpURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return err
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return errors.New("must be an absolute http(s) URL")
	}
	if u.Host == "" {
		return errors.New("the URL has no host")
	}
	// url.Parse takes any digits as a port; a dial would fail on every fetch.
	if port := u.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("port %s is out of range (1-65535)", port)
		}
	}
	return nil
}

// baseURL reads an absolute http(s) URL and trims its trailing slashes, so
// that callers can append "/path".
func (p *parser) baseURL(n *yaml.Node, key string, dst *string) {
	var s string
	if !p.str(n, key, &s) || s == "" {
		return
	}
	if err := httpURL(s); err != nil {
		p.fail(n, key, "invalid URL %q: %v", s, err)
		return
	}
	*dst = strings.TrimRight(s, "/")
}

// resolve makes a config path absolute: "~/" is the home folder, a relative
// path is relative to the config file's folder.
func (p *parser) resolve(s string) string {
	if s == "~" || strings.HasPrefix(s, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			s = filepath.Join(home, s[1:])
		}
	}
	if filepath.IsAbs(s) {
		return filepath.Clean(s)
	}
	return filepath.Join(p.dir, s)
}

// dirPath reads a folder: an explicit "" disables the feature (*dst = ""),
// anything else is resolved.
func (p *parser) dirPath(n *yaml.Node, key string, dst *string) {
	var s string
	if !p.str(n, key, &s) {
		return
	}
	if s == "" {
		*dst = ""
		return
	}
	*dst = p.resolve(s)
}

// strList reads a list of non-empty strings; a single string counts as a
// one-element list.
func (p *parser) strList(n *yaml.Node, key string) ([]string, []*yaml.Node, bool) {
	if p.err != nil || isNull(n) {
		return nil, nil, false
	}
	v := deref(n)
	items := []*yaml.Node{n}
	if v.Kind == yaml.SequenceNode {
		items = v.Content
	}
	out := []string{}
	for i, e := range items {
		k := key
		if v.Kind == yaml.SequenceNode {
			k = fmt.Sprintf("%s[%d]", key, i)
		}
		var s string
		if isNull(e) {
			p.fail(e, k, "must be a non-empty string")
			return nil, nil, false
		}
		if !p.str(e, k, &s) {
			return nil, nil, false
		}
		if s == "" {
			p.fail(e, k, "must be a non-empty string")
			return nil, nil, false
		}
		out = append(out, s)
	}
	return out, items, true
}

// strMap reads a mapping of strings to strings, keeping the key's spelling.
// nodes holds each value's node, for messages.
func (p *parser) strMap(n *yaml.Node, key string) (out map[string]string, nodes map[string]*yaml.Node) {
	if p.err != nil || isNull(n) {
		return nil, nil
	}
	m := deref(n)
	if m.Kind != yaml.MappingNode {
		p.fail(n, key, "expected a mapping, got %s", kindName(n))
		return nil, nil
	}
	out, nodes = map[string]string{}, map[string]*yaml.Node{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		kn, vn := m.Content[i], m.Content[i+1]
		var k, v string
		if isNull(kn) || !p.str(kn, key, &k) || k == "" {
			p.fail(kn, key, "a key must be a non-empty string")
			return nil, nil
		}
		kk := join(key, k)
		if _, dup := out[k]; dup {
			p.fail(kn, kk, "key repeated (first set at line %d)", nodes[k].Line)
			return nil, nil
		}
		if !isNull(vn) {
			p.str(vn, kk, &v)
		}
		if p.err != nil {
			return nil, nil
		}
		out[k], nodes[k] = v, vn
	}
	return out, nodes
}

func (p *parser) compile(n *yaml.Node, key string) *regexp.Regexp {
	var s string
	if !p.str(n, key, &s) || s == "" {
		return nil // an empty pattern would match everything: treat it as unset
	}
	re, err := regexp.Compile(s)
	if err != nil {
		p.fail(n, key, "invalid regexp %q: %v", s, strings.TrimPrefix(err.Error(), "error parsing regexp: "))
		return nil
	}
	return re
}

// filter reads include/exclude: a string (a regexp on the title) or a
// mapping of title/content/author/category regexps.
func (p *parser) filter(n *yaml.Node, key string) Filter {
	if p.err != nil || isNull(n) {
		return Filter{}
	}
	if deref(n).Kind != yaml.MappingNode {
		return Filter{Title: p.compile(n, key)}
	}
	m := p.mapping(n, key, "title", "content", "author", "category")
	return Filter{
		Title:    p.compile(m["title"], key+".title"),
		Content:  p.compile(m["content"], key+".content"),
		Author:   p.compile(m["author"], key+".author"),
		Category: p.compile(m["category"], key+".category"),
	}
}

// defaults returns a Config holding every default (docs/config.md).
func defaults(dir string) *Config {
	return &Config{
		Dir: dir,
		Site: Site{
			Title: "feedpost", Timezone: "UTC", Location: time.UTC, Language: "zh-CN",
			Dir: filepath.Join(dir, "public"), PerPage: 24,
		},
		Store: filepath.Join(dir, "feedpost.db"),
		Fetch: Fetch{
			Concurrency: 8, PerHost: 2, Timeout: 30 * time.Second, Retries: 2,
			MaxBytes: 20 << 20, UserAgent: DefaultUserAgent(Version), Lease: DefaultLease,
		},
		Images: Images{
			ProxyScope: "http", NoReferrer: true,
			DefaultCover: "https://picsum.photos/400/300?random={n}",
			CacheDir:     filepath.Join(dir, "cache", "images"), CacheSize: 512 << 20,
		},
		Content: Content{IframeHosts: append([]string(nil), defaultIframeHosts...)},
		Hexo: Hexo{
			Dir:       filepath.Join(dir, "hexo", "source", "_posts"),
			CoverKeys: []string{"headimg", "thumbnail"}, EscapeBraces: true,
			Theme: "auto", Preset: nonePreset(),
		},
		Defaults: Defaults{Limit: 30, Interval: 30 * time.Minute},
		Dedupe:   "link",
		Serve:    DefaultServe,
	}
}

// DefaultServe is the `serve:` block's defaults.
var DefaultServe = Serve{
	ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 10 * time.Second,
	WriteTimeout: 60 * time.Second, IdleTimeout: 60 * time.Second,
	MaxHeaderBytes: 64 << 10, MaxConns: 1024, MaxConnsPerIP: 128,
}

// config walks the document. Value rules, common to every key:
//   - an absent key and a key with an explicit null (`key:` or `key: ~`) both
//     get the default;
//   - folders (site.dir, hexo.dir, hugo.dir, images.cache_dir, site.templates):
//     an explicit "" disables the feature, anything else is resolved against
//     the config folder ("~/" = home);
//   - settings where "" makes no sense (site.title/timezone/language, store,
//     fetch.user_agent, dedupe, images.proxy_scope/proxy_base, rsshub) treat
//     "" as absent;
//   - strings are trimmed; lists of strings reject empty entries.
func (p *parser) config(doc *yaml.Node) *Config {
	c := defaults(p.dir)
	root := doc
	if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		root = doc.Content[0]
	}
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 0 {
		root = nil // empty file
	}
	top := p.mapping(root, "", "site", "rsshub", "rsshub_key", "store", "database", "secret",
		"fetch", "images", "content", "hexo", "hugo", "defaults", "dedupe", "keep", "serve", "sources")

	site := p.mapping(top["site"], "site", "title", "url", "timezone", "language", "dir", "per_page", "templates")
	p.strDefault(site["title"], "site.title", &c.Site.Title)
	p.baseURL(site["url"], "site.url", &c.Site.URL)
	p.timezone(site["timezone"], "site.timezone", &c.Site.Timezone, &c.Site.Location)
	p.strDefault(site["language"], "site.language", &c.Site.Language)
	p.dirPath(site["dir"], "site.dir", &c.Site.Dir)
	p.integer(site["per_page"], "site.per_page", 1, &c.Site.PerPage)
	p.dirPath(site["templates"], "site.templates", &c.Site.Templates)

	rsshub := top["rsshub"]
	if r := deref(rsshub); r != nil && r.Kind == yaml.ScalarNode && strings.TrimSpace(r.Value) == "" {
		rsshub = nil // `rsshub: ""` means no instance, like an absent key
	}
	if list, nodes, ok := p.strList(rsshub, "rsshub"); ok {
		for i, s := range list {
			key := "rsshub"
			if deref(top["rsshub"]).Kind == yaml.SequenceNode {
				key = fmt.Sprintf("rsshub[%d]", i)
			}
			if err := httpURL(s); err != nil {
				p.fail(nodes[i], key, "invalid URL %q: %v", s, err)
			}
			c.RSSHub = append(c.RSSHub, strings.TrimRight(s, "/"))
		}
	}
	p.str(top["rsshub_key"], "rsshub_key", &c.RSSHubKey)
	var store string
	if p.str(top["store"], "store", &store) && store != "" {
		c.Store = p.storeTarget(top["store"], store)
	}
	if n := deref(top["database"]); n != nil && !isNull(n) {
		p.fail(top["database"], "database", "this key is gone: put the PostgreSQL URL in `store:` (postgres://user:password@host:port/db), or in $FEEDPOST_STORE to keep the password out of the file")
	}
	p.str(top["secret"], "secret", &c.Secret)

	fetch := p.mapping(top["fetch"], "fetch", "concurrency", "per_host", "timeout", "retries", "max_bytes", "user_agent", "lease")
	p.integer(fetch["concurrency"], "fetch.concurrency", 1, &c.Fetch.Concurrency)
	p.integer(fetch["per_host"], "fetch.per_host", 1, &c.Fetch.PerHost)
	p.duration(fetch["timeout"], "fetch.timeout", true, &c.Fetch.Timeout)
	p.integer(fetch["retries"], "fetch.retries", 0, &c.Fetch.Retries)
	p.size(fetch["max_bytes"], "fetch.max_bytes", &c.Fetch.MaxBytes)
	p.strDefault(fetch["user_agent"], "fetch.user_agent", &c.Fetch.UserAgent)
	p.duration(fetch["lease"], "fetch.lease", true, &c.Fetch.Lease)

	images := p.mapping(top["images"], "images", "proxy", "proxy_scope", "no_referrer", "default_cover",
		"proxy_base", "referers", "allow_private", "cache_dir", "cache_size",
		"mirror_dir", "mirror_url", "fallback", "thumbnail")
	p.images(images, c)

	content := p.mapping(top["content"], "content", "iframe_hosts")
	if hosts, nodes, ok := p.strList(content["iframe_hosts"], "content.iframe_hosts"); ok {
		for i, h := range hosts {
			h = strings.ToLower(h)
			if strings.ContainsAny(h, "/:?# ") {
				p.fail(nodes[i], fmt.Sprintf("content.iframe_hosts[%d]", i), "expected a host name like www.youtube.com, got %q", h)
			}
			if !slices.Contains(c.Content.IframeHosts, h) {
				c.Content.IframeHosts = append(c.Content.IframeHosts, h)
			}
		}
	}

	p.hexo(top["hexo"], c)

	hugo := p.mapping(top["hugo"], "hugo", "dir")
	p.dirPath(hugo["dir"], "hugo.dir", &c.Hugo.Dir)
	p.mirror(images, c)

	def := p.mapping(top["defaults"], "defaults", "limit", "interval", "max_age")
	p.integer(def["limit"], "defaults.limit", 1, &c.Defaults.Limit)
	p.duration(def["interval"], "defaults.interval", true, &c.Defaults.Interval)
	p.duration(def["max_age"], "defaults.max_age", false, &c.Defaults.MaxAge)

	p.oneOf(top["dedupe"], "dedupe", &c.Dedupe, "link", "title", "off")
	keep := p.mapping(top["keep"], "keep", "max_age", "max_posts", "per_source")
	p.duration(keep["max_age"], "keep.max_age", false, &c.Keep.MaxAge)
	p.integer(keep["max_posts"], "keep.max_posts", 0, &c.Keep.MaxPosts)
	p.integer(keep["per_source"], "keep.per_source", 0, &c.Keep.PerSource)

	serve := p.mapping(top["serve"], "serve", "read_header_timeout", "read_timeout", "write_timeout", "idle_timeout",
		"max_header_bytes", "max_conns", "max_conns_per_ip")
	p.duration(serve["read_header_timeout"], "serve.read_header_timeout", true, &c.Serve.ReadHeaderTimeout)
	p.duration(serve["read_timeout"], "serve.read_timeout", true, &c.Serve.ReadTimeout)
	p.duration(serve["write_timeout"], "serve.write_timeout", true, &c.Serve.WriteTimeout)
	p.duration(serve["idle_timeout"], "serve.idle_timeout", true, &c.Serve.IdleTimeout)
	p.size(serve["max_header_bytes"], "serve.max_header_bytes", &c.Serve.MaxHeaderBytes)
	p.integer(serve["max_conns"], "serve.max_conns", 1, &c.Serve.MaxConns)
	p.integer(serve["max_conns_per_ip"], "serve.max_conns_per_ip", 0, &c.Serve.MaxConnsPerIP)

	p.sources(top["sources"], c)
	p.checkPaths(c, map[string]*yaml.Node{"store": top["store"], "site.dir": site["dir"],
		"hugo.dir": hugo["dir"], "images.proxy": images["proxy"]})
	return c
}

// EnvStore overrides `store:` (so that a PostgreSQL password can stay out
// of the config file). A relative path in it is relative to the working
// folder.
const EnvStore = "FEEDPOST_STORE"

// DefaultLease is fetch.lease's default: how long a fetch worker's claim on
// a source lasts without being renewed (a worker renews it every third of
// it while it fetches). A worker that dies gives its sources back after it.
const DefaultLease = time.Minute

// isStoreURL reports whether a store target is a PostgreSQL URL.
func isStoreURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// storeTarget is `store:`: a PostgreSQL URL as written, or a SQLite file's
// path resolved against the config folder.
func (p *parser) storeTarget(n *yaml.Node, s string) string {
	if !isStoreURL(s) {
		if strings.Contains(s, "://") {
			p.fail(n, "store", "expected a file path or a postgres:// URL, got %q", redactURL(s))
		}
		return p.resolve(s)
	}
	if _, err := url.Parse(s); err != nil {
		p.fail(n, "store", "invalid PostgreSQL URL %s (want postgres://user:password@host:port/database)", redactURL(s))
	}
	return s
}

// storeFromEnv is $FEEDPOST_STORE as a store target.
func storeFromEnv(s string) (string, error) {
	if isStoreURL(s) {
		if _, err := url.Parse(s); err != nil {
			return "", fmt.Errorf("$%s: invalid PostgreSQL URL %s", EnvStore, redactURL(s))
		}
		return s, nil
	}
	return filepath.Abs(s)
}

// redactURL hides the password of a URL for a message.
func redactURL(s string) string {
	if u, err := url.Parse(s); err == nil {
		return u.Redacted()
	}
	if i := strings.LastIndex(s, "@"); i >= 0 {
		if j := strings.Index(s, "://"); j >= 0 && j < i {
			return s[:j+3] + "…" + s[i:]
		}
	}
	return s
}

func (p *parser) images(m map[string]*yaml.Node, c *Config) {
	im := &c.Images
	var proxy string
	if p.str(m["proxy"], "images.proxy", &proxy) && proxy != "" && proxy != "builtin" && proxy != ProxyMirror {
		if err := httpURL(proxy); err != nil {
			p.fail(m["proxy"], "images.proxy", `expected "builtin", "mirror", "" or an http(s) URL prefix, got %q: %v`, proxy, err)
		}
	}
	im.Proxy = proxy // kept as written: a prefix's trailing "?" or "/" matters
	p.oneOf(m["proxy_scope"], "images.proxy_scope", &im.ProxyScope, "http", "all", "none")
	p.boolean(m["no_referrer"], "images.no_referrer", &im.NoReferrer)
	p.str(m["default_cover"], "images.default_cover", &im.DefaultCover)
	im.ProxyBase = c.Site.URL
	p.baseURL(m["proxy_base"], "images.proxy_base", &im.ProxyBase)
	if refs, nodes := p.strMap(m["referers"], "images.referers"); refs != nil {
		im.Referers = map[string]string{}
		for _, host := range slices.Sorted(maps.Keys(refs)) {
			ref := refs[host]
			if ref != "" {
				if err := httpURL(ref); err != nil {
					p.fail(nodes[host], "images.referers."+host, "invalid URL %q: %v", ref, err)
				}
			}
			im.Referers[strings.ToLower(host)] = ref
		}
	}
	p.boolean(m["allow_private"], "images.allow_private", &im.AllowPrivate)
	p.dirPath(m["cache_dir"], "images.cache_dir", &im.CacheDir)
	p.size(m["cache_size"], "images.cache_size", &im.CacheSize)
}

var sourceKeys = []string{"route", "url", "name", "category", "author", "include", "exclude",
	"fulltext", "allow_private", "headers", "limit", "interval", "max_age", "enabled", "timezone"}

func (p *parser) sources(n *yaml.Node, c *Config) {
	if p.err != nil {
		return
	}
	if isNull(n) {
		p.fail(nil, "sources", "required: list at least one feed (url:) or RSSHub route (route:)")
		return
	}
	list := deref(n)
	if list.Kind != yaml.SequenceNode {
		p.fail(n, "sources", "expected a list, got %s", kindName(n))
		return
	}
	if len(list.Content) == 0 {
		p.fail(n, "sources", "the list is empty: add at least one feed (url:) or RSSHub route (route:)")
		return
	}
	keys := map[string]int{}
	for i, e := range list.Content {
		path := fmt.Sprintf("sources[%d]", i)
		if isNull(e) {
			p.fail(e, path, "empty source: give it a url: or a route:")
			return
		}
		s := p.source(e, path, c)
		if p.err != nil {
			return
		}
		if first, dup := keys[s.Key]; dup {
			p.fail(e, path, "same key %q as the source at line %d: their posts would merge; give one a distinct name:", s.Key, first)
			return
		}
		keys[s.Key] = s.Line
		c.Sources = append(c.Sources, s)
	}
}

func (p *parser) source(n *yaml.Node, path string, c *Config) Source {
	m := p.mapping(n, path, sourceKeys...)
	s := Source{
		Limit: c.Defaults.Limit, Interval: c.Defaults.Interval, MaxAge: c.Defaults.MaxAge,
		Enabled: true, Line: n.Line, Timezone: c.Site.Timezone, Location: c.Site.Location,
	}
	if p.err != nil {
		return s
	}
	p.str(m["name"], path+".name", &s.Name)
	p.str(m["url"], path+".url", &s.URL)
	var route string
	p.str(m["route"], path+".route", &route)
	switch {
	case p.err != nil:
		return s
	case s.URL == "" && route == "":
		p.fail(n, path, "the source needs a url: or a route:")
		return s
	case s.URL != "" && route != "":
		p.fail(n, path, "the source has both url: and route:; keep one")
		return s
	}
	s.Key = s.Name
	if s.URL != "" {
		if s.Key == "" {
			s.Key = s.URL
		}
		s.FetchURL = p.fetchURL(m["url"], path+".url", s.URL)
		// A full RSSHub URL (on a configured instance or rsshub.app) is a
		// route: it then gets the instance list, the access key and
		// `category: auto` like a `route:`. Key stays the URL as written, so
		// post ids do not change.
		if route, ok := rsshub.RouteOf(s.URL, c.RSSHub); ok && p.err == nil {
			s.Route = route
			if len(c.RSSHub) > 0 {
				s.FetchURL = c.RSSHub[0] + route
			}
		}
	} else {
		if s.Key == "" {
			s.Key = route
		}
		if strings.Contains(route, "://") {
			p.fail(m["route"], path+".route", "a route is a path like /qutoutiao/category/1; put full URLs under url:")
		}
		if !strings.HasPrefix(route, "/") {
			route = "/" + route
		}
		s.Route = route
		if len(c.RSSHub) == 0 {
			p.fail(m["route"], path+".route", "source %s: route needs `rsshub:` (the RSSHub instance to fetch it from)", s.Key)
			return s
		}
		s.FetchURL = c.RSSHub[0] + route
	}

	if cat := deref(m["category"]); cat != nil && cat.Kind == yaml.ScalarNode && strings.TrimSpace(cat.Value) == "auto" {
		s.CategoryAuto = true
	} else if cat != nil && cat.Kind == yaml.SequenceNode && len(cat.Content) == 0 {
		p.fail(m["category"], path+".category", "empty list: give 1..n category levels, or leave the key out to use the feed title")
	} else if cats, _, ok := p.strList(m["category"], path+".category"); ok {
		s.Category = cats
	}
	p.str(m["author"], path+".author", &s.Author)
	s.Include = p.filter(m["include"], path+".include")
	s.Exclude = p.filter(m["exclude"], path+".exclude")
	p.boolean(m["fulltext"], path+".fulltext", &s.Fulltext)
	p.boolean(m["allow_private"], path+".allow_private", &s.AllowPrivate)
	headers, nodes := p.strMap(m["headers"], path+".headers")
	for _, k := range slices.Sorted(maps.Keys(headers)) {
		v := headers[k]
		if !httpguts.ValidHeaderFieldName(k) {
			p.fail(nodes[k], path+".headers."+k, "invalid header name %q", k)
		} else if !httpguts.ValidHeaderFieldValue(v) {
			p.fail(nodes[k], path+".headers."+k, "invalid header value %q", v)
		}
	}
	s.Headers = headers
	p.integer(m["limit"], path+".limit", 1, &s.Limit)
	p.duration(m["interval"], path+".interval", true, &s.Interval)
	p.duration(m["max_age"], path+".max_age", false, &s.MaxAge)
	p.boolean(m["enabled"], path+".enabled", &s.Enabled)
	p.timezone(m["timezone"], path+".timezone", &s.Timezone, &s.Location)
	return s
}

// fetchURL resolves a source's url: http(s) and file URLs are kept as
// written, any other scheme is an error, and everything else is a local path
// made absolute against the config folder.
func (p *parser) fetchURL(n *yaml.Node, key, raw string) string {
	lower := strings.ToLower(raw)
	switch {
	case strings.HasPrefix(lower, "http://") || strings.HasPrefix(lower, "https://"):
		if err := httpURL(raw); err != nil {
			p.fail(n, key, "invalid URL %q: %v", raw, err)
		}
		return raw
	case strings.HasPrefix(lower, "file:"):
		if _, err := url.Parse(raw); err != nil {
			p.fail(n, key, "invalid file URL %q: %v", raw, err)
		}
		return raw
	case strings.Contains(raw, "://"):
		p.fail(n, key, "unsupported URL %q: use an http(s) or file URL, or a local path", raw)
		return raw
	}
	return p.resolve(raw)
}
