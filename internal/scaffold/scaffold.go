package scaffold

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"text/template"

	"go.yaml.in/yaml/v3"

	"github.com/feedpost/feedpost/deploy"
	"github.com/feedpost/feedpost/internal/config"
	"github.com/feedpost/feedpost/internal/output"
)

// DefaultRSSHub is the public RSSHub instance a config starts with.
const DefaultRSSHub = "https://rsshub.app"

// ExampleRoutes fill a config written without --route: two RSSHub routes
// whose namespaces have categories, so `category: auto` shows what it does.
var ExampleRoutes = []string{"/36kr/newsflashes", "/oschina/news"}

// StateDir is the folder of the store, beside the config: one folder for the
// CI cache to keep, and for .gitignore to leave out.
const StateDir = ".feedpost"

// Options say what to write.
type Options struct {
	Config string   // path of the feedpost.yaml to write
	Blog   Blog     // the blog it is for (Detect, Hexo, Hugo)
	RSSHub string   // base URL of the RSSHub instance ("" = DefaultRSSHub)
	Routes []string // RSSHub routes ("" = ExampleRoutes)
	// GitHubActions also writes the workflow that runs feedpost on a
	// schedule, into .github/workflows of the git repository around the
	// config (or beside it when there is none yet).
	GitHubActions bool
	// Version pins the workflow to this feedpost release (vX.Y.Z); ""
	// leaves it at "latest".
	Version string
	// Data is the folder of the store and of the built-in site ("" =
	// StateDir beside the config, and public/): a service keeps its config
	// in /etc and writes under /var/lib.
	Data string
}

// dataDir is the absolute folder of the store for the config at path.
func (o Options) dataDir(path string) string {
	if o.Data == "" {
		return filepath.Join(filepath.Dir(path), StateDir)
	}
	abs, err := filepath.Abs(o.Data)
	if err != nil {
		return o.Data
	}
	return abs
}

// siteDir is the absolute folder of the built-in site for the config at path.
func (o Options) siteDir(path string) string {
	if o.Data == "" {
		return filepath.Join(filepath.Dir(path), "public")
	}
	return filepath.Join(o.dataDir(path), "public")
}

// Write writes the config (and the workflow) and returns the paths written.
// It never overwrites: an existing config or workflow is an error, and then
// nothing is written.
func Write(opt Options) ([]string, error) {
	if opt.RSSHub == "" {
		opt.RSSHub = DefaultRSSHub
	}
	if u, err := url.Parse(opt.RSSHub); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--rsshub %q: not an http(s) URL", opt.RSSHub)
	}
	opt.RSSHub = strings.TrimRight(opt.RSSHub, "/")
	if len(opt.Routes) == 0 {
		opt.Routes = ExampleRoutes
	}
	for _, r := range opt.Routes {
		if r == "" || strings.Contains(r, "://") {
			return nil, fmt.Errorf("--route %q: a route is a path such as /36kr/newsflashes", r)
		}
	}
	path, err := filepath.Abs(opt.Config)
	if err != nil {
		return nil, err
	}
	if _, err := os.Lstat(path); err == nil {
		return nil, fmt.Errorf("%s already exists: init never overwrites a config (remove it, or write another with -c)", opt.Config)
	}
	data, err := Config(path, opt)
	if err != nil {
		return nil, err
	}
	files := []file{{path, data}}
	if opt.GitHubActions {
		wf, err := Workflow(path, opt)
		if err != nil {
			return nil, err
		}
		files = append(files, wf)
	}
	for _, f := range files[1:] {
		if _, err := os.Lstat(f.path); err == nil {
			return nil, fmt.Errorf("%s already exists: init never overwrites a workflow", f.path)
		}
	}
	var written []string
	for _, f := range files {
		if err := create(f.path, f.data); err != nil {
			for _, w := range written { // all or nothing
				os.Remove(w)
			}
			return nil, err
		}
		written = append(written, f.path)
	}
	return written, nil
}

type file struct {
	path string
	data []byte
}

// create writes a new file; O_EXCL makes "never overwrite" hold even against
// a file that appeared since the check.
func create(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return err
	}
	return nil
}

// Config returns the text of the config at path (absolute) for opt.Blog,
// checked by the config loader: what init writes, `feedpost check` passes.
func Config(path string, opt Options) ([]byte, error) {
	dir := filepath.Dir(path)
	d := configData{Blog: opt.Blog, RSSHub: scalar(opt.RSSHub), Store: scalar(rel(dir, filepath.Join(opt.dataDir(path), "feedpost.db"))),
		Site: scalar(rel(dir, opt.siteDir(path))), Preset: opt.Blog.ThemePreset(), Timezone: "Asia/Shanghai"}
	// A comment line must stay one line.
	d.Title = strings.Join(strings.Fields(d.Title), " ")
	if opt.Blog.HexoTimezone != "" {
		d.Timezone = opt.Blog.HexoTimezone
	}
	d.Timezone = scalar(d.Timezone)
	if opt.Blog.Kind != KindStandalone {
		d.Posts = scalar(rel(dir, opt.Blog.PostsDir))
	}
	if opt.Blog.Root != "" {
		d.Root = rel(dir, opt.Blog.Root)
	}
	for _, r := range opt.Routes {
		d.Routes = append(d.Routes, scalar(r))
	}
	var b bytes.Buffer
	if err := configTemplate.Execute(&b, d); err != nil {
		return nil, err
	}
	if _, err := config.Parse(b.Bytes(), path); err != nil {
		return nil, fmt.Errorf("the config init would write is invalid (a bug): %w", err)
	}
	return b.Bytes(), nil
}

type configData struct {
	Blog
	Root, Posts, Store, Site, RSSHub, Preset, Timezone string
	Routes                                             []string
}

// rel is target relative to dir, with forward slashes (the config is shared
// between systems); target itself when it is on another volume or in a
// folder of its own (/var/lib/feedpost for a config in /etc/feedpost).
func rel(dir, target string) string {
	r, err := filepath.Rel(dir, target)
	if err != nil || strings.HasPrefix(r, ".."+string(filepath.Separator)+"..") {
		return filepath.ToSlash(target)
	}
	return filepath.ToSlash(r)
}

var configTemplate = template.Must(template.New("feedpost.yaml").Parse(`# feedpost.yaml, written by ` + "`feedpost init`" + `
{{- if eq .Kind "hexo"}} for the Hexo blog{{with .Title}} “{{.}}”{{end}}{{if ne .Root "."}} in {{.Root}}/{{end}}{{end}}
{{- if eq .Kind "hugo"}} for the Hugo site{{if ne .Root "."}} in {{.Root}}/{{end}}{{end}}.
#
#   feedpost check    validate this file; list the sources with their URLs and categories
#   feedpost run      fetch every source once and write the posts
#
# Every key is described in the README ("Configuration"); relative paths are
# relative to this file. Unknown keys are an error that names the line.

site:
{{- if eq .Kind ""}}
  title: feedpost
{{- end}}
  timezone: {{.Timezone}}       # the zone the post dates are written in (any IANA name)
{{- if eq .Kind ""}}
  # url: https://news.example.com   # the site's public address: needed for its feeds and sitemap
  dir: {{.Site}}                   # the built-in news site: ` + "`feedpost serve`" + ` serves it, or any web server
{{- else}}
  dir: ""                       # feedpost's own news site: off, the {{if eq .Kind "hexo"}}Hexo blog{{else}}Hugo site{{end}} shows the posts
{{- end}}

# RSSHub instance for the route: sources. The public one is rate-limited; your
# own (docker run -p 1200:1200 diygod/rsshub) is faster and steadier. A list
# of instances is tried in order.
rsshub: {{.RSSHub}}

# What feedpost has seen: items, their first-seen dates, ETags. Keep it out
# of git; the GitHub workflow caches this folder between runs.
store: {{.Store}}

images:
  # Hotlink-protected and plain-http images: "builtin" (feedpost serve's own
  # proxy), a prefix such as "https://your-worker.workers.dev/?", or "".
  proxy: ""
  no_referrer: true             # referrerpolicy="no-referrer" on every image

hexo:
{{- if eq .Kind "hexo"}}
  dir: {{.Posts}}
  {{- if .Theme}}
  # theme: {{.Theme}} (from _config.yml) — the default hexo.theme: auto gives it the
  # {{if eq .Preset "none"}}plain Hexo front matter: feedpost has no preset for this theme{{else}}{{.Preset}} preset (its cover and front-matter keys){{end}}.
  {{- else}}
  # no theme in _config.yml: the default hexo.theme: auto writes plain Hexo front matter.
  {{- end}}
{{- else}}
  dir: ""                       # no Hexo output
{{- end}}
{{- if eq .Kind "hugo"}}

hugo:
  dir: {{.Posts}}
{{- end}}

sources:
{{- range $i, $r := .Routes}}
  - route: {{$r}}
    category: auto{{if eq $i 0}}              # the route's section / site / name, asked from the instance{{end}}
{{- end}}
  # More: a feed of any site, with a fixed category path.
  # - url: https://www.example.com/feed.xml
  #   category: [科技, 示例, 最新]
`))

// Workflow returns the GitHub Actions workflow for the config at path
// (absolute), with its paths set from the repository root: the git work tree
// around the config, else the config's folder.
func Workflow(path string, opt Options) (file, error) {
	name := deploy.HexoWorkflow
	switch opt.Blog.Kind {
	case KindHugo:
		return file{}, errors.New("--github-actions: there are workflows for a Hexo blog and for the built-in site, not yet for Hugo")
	case KindStandalone:
		name = deploy.SiteWorkflow
	}
	data, err := fs.ReadFile(deploy.GitHubActions, name)
	if err != nil {
		return file{}, err
	}
	root := repoRoot(filepath.Dir(path))
	set := map[string]string{
		"FEEDPOST_CONFIG": rel(root, path),
		"FEEDPOST_STATE":  rel(root, opt.dataDir(path)),
	}
	if opt.Version != "" {
		set["FEEDPOST_VERSION"] = opt.Version
	}
	switch opt.Blog.Kind {
	case KindHexo:
		set["BLOG_DIR"] = rel(root, opt.Blog.Root)
		set["POSTS_DIR"] = rel(root, opt.Blog.PostsDir)
		set["PUBLIC_DIR"] = rel(opt.Blog.Root, opt.Blog.PublicDir)
	case KindStandalone:
		set["SITE_DIR"] = rel(root, opt.siteDir(path))
	}
	for k, v := range set {
		if data, err = setEnv(data, k, v); err != nil {
			return file{}, fmt.Errorf("%s: %w", name, err)
		}
	}
	return file{filepath.Join(root, ".github", "workflows", "feedpost.yml"), data}, nil
}

// setEnv replaces the value of the workflow-level env variable key (a line
// "  KEY: value # comment"), keeping its comment.
func setEnv(data []byte, key, value string) ([]byte, error) {
	lines := bytes.SplitAfter(data, []byte("\n"))
	prefix := []byte("  " + key + ": ")
	for i, l := range lines {
		if !bytes.HasPrefix(l, prefix) {
			continue
		}
		rest := l[len(prefix):]
		comment := []byte("\n")
		if j := bytes.Index(rest, []byte(" #")); j >= 0 {
			comment = rest[j:]
		}
		lines[i] = append(append(append([]byte{}, prefix...), scalar(value)...), comment...)
		return bytes.Join(lines, nil), nil
	}
	return nil, fmt.Errorf("no env %s in the workflow", key)
}

// scalar returns v as a YAML scalar: plain when YAML reads it back as the
// same string (paths and URLs mostly are), quoted otherwise — also for the
// words that YAML 1.1 readers (js-yaml's old schema, some CI tools) take for
// booleans.
func scalar(v string) string {
	var m map[string]any
	if v != "" && !strings.ContainsAny(v, "\n#") && !yaml11Words[strings.ToLower(v)] &&
		yaml.Unmarshal([]byte("k: "+v), &m) == nil && m["k"] == v {
		return v
	}
	return output.Quote(v)
}

var yaml11Words = map[string]bool{"y": true, "n": true, "yes": true, "no": true, "on": true, "off": true}

// repoRoot is the work tree of the git repository dir is in, else dir.
func repoRoot(dir string) string {
	for d := dir; ; {
		if _, err := os.Stat(filepath.Join(d, ".git")); err == nil {
			return d
		}
		parent := filepath.Dir(d)
		if parent == d {
			return dir
		}
		d = parent
	}
}
