// Package doctor examines the blog feedpost writes into, for `feedpost
// check`: what a valid config cannot show because it lies in the blog's own
// files (Hexo's _config.yml, its theme, package.json, the theme's authors
// file). Each finding says what is wrong, why it matters to the blog's
// readers, and how to fix it; errors are what would break the blog.
package doctor

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/feedpost/feedpost/internal/config"
	"github.com/feedpost/feedpost/internal/output"
	"github.com/feedpost/feedpost/internal/output/hexo"
)

// Severities of a finding.
const (
	Error   = "error"   // the blog breaks or shows wrong data: `check` exits 1
	Warning = "warning" // likely wrong, or right only on this machine
	Info    = "info"    // what feedpost detected and will do
)

// Finding is one result of the doctor.
type Finding struct {
	ID       string `json:"id"` // stable name, e.g. "hexo-timezone"
	Severity string `json:"severity"`
	Message  string `json:"message"`
	Fix      string `json:"fix,omitempty"`
}

// Options tune Check; the zero value checks against this machine.
type Options struct {
	Local *time.Location // the build machine's zone (default time.Local)
	Now   time.Time      // for zone offsets (default time.Now())
}

// Breaks reports whether any finding is an error.
func Breaks(findings []Finding) bool {
	return slices.ContainsFunc(findings, func(f Finding) bool { return f.Severity == Error })
}

// Check examines the Hexo blog cfg writes into (nothing when hexo.dir is
// ""); the findings are in the order a reader should see them.
func Check(cfg *config.Config, opt Options) []Finding {
	if opt.Local == nil {
		opt.Local = time.Local
	}
	if opt.Now.IsZero() {
		opt.Now = time.Now()
	}
	h := &cfg.Hexo
	if h.Dir == "" {
		return nil
	}
	var out []Finding
	add := func(id, sev, fix, format string, args ...any) {
		out = append(out, Finding{ID: id, Severity: sev, Message: fmt.Sprintf(format, args...), Fix: fix})
	}
	b := h.Blog
	if b == nil {
		add("hexo-blog", Warning, "point hexo.dir at <blog>/source/_posts, the folder Hexo reads posts from",
			"no Hexo _config.yml in the folders above hexo.dir (%s): the blog cannot be checked, and hexo.theme: %s uses the %q preset",
			h.Dir, h.Theme, h.Preset.Name)
		return append(out, themeFindings(cfg)...)
	}
	add("hexo-blog", Info, "", "Hexo blog %s (config %s)", b.Root, b.ConfigFile)
	if posts := b.PostsDir(); !output.Inside(h.Dir, posts) {
		add("hexo-dir", Error, fmt.Sprintf("set hexo.dir to %s", posts),
			"hexo.dir %s is not inside %s: Hexo reads posts only from there, and renders other Markdown files under %s as plain pages (no date, category or index card)",
			h.Dir, posts, b.SourceDir)
	}
	out = append(out, timezoneFindings(b, cfg, opt)...)
	switch b.UpdatedOption {
	case "mtime", "date", "empty":
		add("hexo-updated-option", Info, "", "updated_option: %s — feedpost writes `updated:` in every post (the feed's updated time, else the date), so Hexo never falls back to it for feedpost's posts", b.UpdatedOption)
	default:
		add("hexo-updated-option", Warning, "set updated_option to mtime, date or empty (or remove it)",
			"updated_option: %q is not one Hexo knows (mtime, date, empty)", b.UpdatedOption)
	}
	out = append(out, themeFindings(cfg)...)
	out = append(out, authorsFindings(cfg)...)
	return out
}

// timezoneFindings explain Hexo's `timezone:`. feedpost writes every date
// as RFC 3339 with its offset, which is one instant; Hexo, when `timezone:`
// is set, moves that instant by the difference between the build machine's
// offset and the zone's (hexo/dist/plugins/processor/common.js,
// adjustDateForTimezone), so every date is off by that difference unless
// the blog is built in that very zone.
func timezoneFindings(b *hexo.Blog, cfg *config.Config, opt Options) []Finding {
	if b.Timezone == "" {
		return []Finding{{ID: "hexo-timezone", Severity: Info,
			Message: fmt.Sprintf("timezone: unset in %s — good: Hexo keeps the instant of every date feedpost writes; themes show it in the build machine's zone (build with TZ=%s to show it in %s)",
				filepath.Base(b.ConfigFile), cfg.Site.Timezone, cfg.Site.Timezone)}}
	}
	where := fmt.Sprintf("%s:%d", b.ConfigFile, b.TimezoneLine)
	fix := fmt.Sprintf("delete the line `timezone: %s` (%s) and build with TZ=%s to show dates in that zone",
		b.Timezone, where, b.Timezone)
	loc, err := time.LoadLocation(b.Timezone)
	if err != nil {
		return []Finding{{ID: "hexo-timezone", Severity: Error, Fix: fix,
			Message: fmt.Sprintf("timezone: %s (%s) is not a time zone Hexo knows: `hexo generate` fails on it", b.Timezone, where)}}
	}
	_, zoneOff := opt.Now.In(loc).Zone()
	_, localOff := opt.Now.In(opt.Local).Zone()
	if zoneOff != localOff {
		shift := time.Duration(localOff-zoneOff) * time.Second
		example := time.Date(2021, 8, 17, 14, 56, 0, 0, loc)
		return []Finding{{ID: "hexo-timezone", Severity: Error, Fix: fix,
			Message: fmt.Sprintf("timezone: %s (%s): Hexo moves every post date by the build machine's offset from it, %s on this machine (%s): a post of %s shows %s",
				b.Timezone, where, hours(shift), opt.Now.In(opt.Local).Format("MST, UTC-07:00"), example.Format("15:04"), example.Add(shift).Format("15:04"))}}
	}
	return []Finding{{ID: "hexo-timezone", Severity: Warning, Fix: fix,
		Message: fmt.Sprintf("timezone: %s (%s) matches this machine's zone, so dates are right when the blog is built here, but a build machine in another zone (CI runners are usually UTC) shifts every post date by its offset from %s",
			b.Timezone, where, b.Timezone)}}
}

// hours writes a zone difference as "-8h" or "+5h30m".
func hours(d time.Duration) string {
	sign := "+"
	if d < 0 {
		sign, d = "-", -d
	}
	s := fmt.Sprintf("%dh", int(d/time.Hour))
	if m := int(d % time.Hour / time.Minute); m != 0 {
		s += fmt.Sprintf("%dm", m)
	}
	return sign + s
}

// themeFindings say which preset is in use and what it writes, and what is
// missing for the theme to render at all.
func themeFindings(cfg *config.Config) []Finding {
	h := &cfg.Hexo
	b := h.Blog
	var out []Finding
	add := func(id, sev, fix, format string, args ...any) {
		out = append(out, Finding{ID: id, Severity: sev, Message: fmt.Sprintf(format, args...), Fix: fix})
	}
	theme := ""
	if b != nil {
		theme = b.Theme
	}
	switch {
	case h.Theme == "auto" && theme == "":
		add("hexo-theme", Info, "", "the blog names no theme: preset %q: %s", h.Preset.Name, h.PresetSummary())
	case h.Theme == "auto" && h.Preset.Name == hexo.ThemeNone:
		add("hexo-theme", Warning, "set hexo.cover_keys (and hexo.link_key, hexo.link_text) to the front-matter keys "+theme+" reads",
			"theme %s has no preset (presets: %s): %s", theme, strings.Join(hexo.PresetNames(), ", "), h.PresetSummary())
	case h.Theme == "auto":
		add("hexo-theme", Info, "", "theme %s (from %s): preset %q: %s", theme, filepath.Base(b.ConfigFile), h.Preset.Name, h.PresetSummary())
	default:
		add("hexo-theme", Info, "", "hexo.theme: %s: %s", h.Theme, h.PresetSummary())
		if t, ok := hexo.PresetFor(theme); theme != "" && (!ok || t.Name != h.Theme) && h.Theme != hexo.ThemeNone {
			add("hexo-theme-mismatch", Warning, "set hexo.theme: auto, or to the blog's theme",
				"hexo.theme is %s but the blog's _config.yml says theme: %s: the posts carry keys %s does not read", h.Theme, theme, theme)
		}
	}
	if b == nil || theme == "" {
		return out
	}
	if !b.ThemeInstalled() {
		add("hexo-theme-installed", Warning, fmt.Sprintf("npm install hexo-theme-%s (in %s), or put it in themes/%s", theme, b.Root, theme),
			"theme %s is not installed (no themes/%s or node_modules/hexo-theme-%s in %s): `hexo generate` writes empty pages",
			theme, theme, theme, b.Root)
	}
	if missing := missingRenderers(b, theme); len(missing) > 0 {
		add("hexo-renderers", Error, "npm install "+strings.Join(missing, " ")+" (in "+b.Root+")",
			"theme %s needs %s, which package.json does not list: `hexo generate` cannot render its templates or styles", theme, strings.Join(missing, " and "))
	}
	return out
}

// themeRenderers are the Hexo renderer plugins each theme's templates and
// styles need (read from their layout/ and source/css/ files; NexT brings
// its own Nunjucks renderer).
var themeRenderers = map[string][]string{
	"volantis":  {"hexo-renderer-ejs", "hexo-renderer-stylus"},
	"butterfly": {"hexo-renderer-pug", "hexo-renderer-stylus"},
	"fluid":     {"hexo-renderer-ejs", "hexo-renderer-stylus"},
	"next":      {"hexo-renderer-stylus"},
	"redefine":  {"hexo-renderer-ejs", "hexo-renderer-stylus"},
	"stellar":   {"hexo-renderer-ejs", "hexo-renderer-stylus"},
	"matery":    {"hexo-renderer-ejs", "hexo-renderer-stylus"},
	"landscape": {"hexo-renderer-ejs", "hexo-renderer-stylus"},
}

// missingRenderers returns the renderers theme needs that the blog's
// package.json does not list; nil when there is no package.json to read.
func missingRenderers(b *hexo.Blog, theme string) []string {
	t, ok := hexo.PresetFor(theme)
	if !ok {
		return nil
	}
	deps := b.Dependencies()
	if deps == nil {
		return nil
	}
	var missing []string
	for _, r := range themeRenderers[t.Name] {
		if !deps[r] {
			missing = append(missing, r)
		}
	}
	return missing
}

// authorsFindings check the theme's authors data file feedpost keeps.
func authorsFindings(cfg *config.Config) []Finding {
	h := &cfg.Hexo
	if h.AuthorsFile == "" {
		if h.Preset.AuthorsFile != "" {
			return []Finding{{ID: "hexo-authors", Severity: Warning, Fix: "remove hexo.authors_file: \"\" (or set it to the theme's authors file)",
				Message: fmt.Sprintf("hexo.authors_file is off: %s looks `author:` up in %s, and without an entry it shows its placeholder author on every post", h.Preset.Name, h.Preset.AuthorsFile)}}
		}
		return nil
	}
	data, err := os.ReadFile(h.AuthorsFile)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		f := Finding{ID: "hexo-authors", Severity: Info,
			Message: fmt.Sprintf("authors file %s does not exist yet: the next run creates it with an entry per feed author", h.AuthorsFile)}
		if h.Preset.Name == "stellar" {
			f.Severity = Warning
			f.Message += "; Stellar makes the first entry the default author of every post without `author:`, your own included"
			f.Fix = "create it with your own entry first (id: {name: …, avatar: …})"
		}
		return []Finding{f}
	case err != nil:
		return []Finding{{ID: "hexo-authors", Severity: Error, Message: fmt.Sprintf("authors file %s: %v", h.AuthorsFile, err)}}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return []Finding{{ID: "hexo-authors", Severity: Error, Fix: "fix the YAML; feedpost does not edit a file it cannot parse",
			Message: fmt.Sprintf("authors file %s is not valid YAML (%v): Hexo fails to load the site's data", h.AuthorsFile, err)}}
	}
	if len(doc.Content) > 0 && doc.Content[0].Kind != yaml.MappingNode {
		return []Finding{{ID: "hexo-authors", Severity: Warning, Fix: "make it a mapping of author id → {name, avatar, url}",
			Message: fmt.Sprintf("authors file %s is not a mapping of authors: feedpost leaves it alone", h.AuthorsFile)}}
	}
	return []Finding{{ID: "hexo-authors", Severity: Info,
		Message: fmt.Sprintf("authors file %s: feedpost adds an entry per feed author, and never changes yours", h.AuthorsFile)}}
}
