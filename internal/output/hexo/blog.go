package hexo

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Blog is what feedpost reads of the Hexo blog it writes posts into: its
// _config.yml, for the theme preset (`hexo.theme: auto`), for `check` and
// for `init`. It is the one reader of a Hexo config in feedpost.
type Blog struct {
	Root       string // the blog's folder (that of ConfigFile)
	ConfigFile string
	Title      string // `title:`
	// Theme is `theme:` as written (Hexo looks for themes/<Theme> and
	// node_modules/hexo-theme-<Theme>); "" when unset or false (no theme).
	// ThemeName(Theme) is the name feedpost's presets go by.
	Theme string
	// Timezone is `timezone:` ("" when unset), at line TimezoneLine: Hexo
	// shifts every post date by the build machine's offset from it.
	Timezone     string
	TimezoneLine int
	// UpdatedOption is `updated_option:` (Hexo's default "mtime" when
	// unset): what Hexo shows as `updated` for a post without one.
	UpdatedOption string
	SourceDir     string // absolute `source_dir` (default source)
	PublicDir     string // absolute `public_dir` (default public)
	Author        string // `author:`, the blog owner's name
	// URLRoot is `root:`, the URL path the blog is served under ("/" when
	// unset), with a slash at each end: "/blog/".
	URLRoot string
}

// blogSearchDepth is how many folders above hexo.dir FindBlog looks for
// _config.yml: <root>/source/_posts is two, a sub-folder of _posts three.
const blogSearchDepth = 3

// configNames are the file names Hexo reads its config from, in its order.
var configNames = []string{"_config.yml", "_config.yaml"}

// hexoKeys are keys only a Hexo config is likely to have; one of them makes
// a _config.yml Hexo's (Jekyll also names its config _config.yml).
var hexoKeys = []string{"theme", "permalink", "source_dir", "public_dir", "new_post_name", "default_layout", "timezone"}

// FindBlog returns the Hexo blog postsDir belongs to: the nearest folder at
// most three levels above it with a Hexo _config.yml. It returns nil and no
// error when there is none (posts written for a blog elsewhere), and an
// error when the _config.yml found cannot be read or parsed.
func FindBlog(postsDir string) (*Blog, error) {
	dir := filepath.Clean(postsDir)
	for range blogSearchDepth {
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
		if b, err := BlogAt(dir); b != nil || err != nil {
			return b, err
		}
	}
	return nil, nil
}

// BlogAt returns the Hexo blog whose config is in dir: a _config.yml (or
// _config.yaml) with one of the keys only Hexo's config has. It returns nil
// and no error when dir has none, and an error when the one it has cannot
// be read or parsed.
func BlogAt(dir string) (*Blog, error) {
	for _, name := range configNames {
		path := filepath.Join(dir, name)
		data, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			if isDirError(path) {
				continue
			}
			return nil, fmt.Errorf("hexo config %s: %w", path, err)
		}
		b, ok, err := parseBlogConfig(path, data)
		if err != nil {
			return nil, err
		}
		if ok && b != nil {
			return b, nil
		}
	}
	return nil, nil
}

func isDirError(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}

// IsBlogRoot reports whether dir looks like the root of a Hexo blog, as
// `hexo init` leaves one: a _config.yml beside a package.json that depends
// on hexo, or beside a source/ folder. (FindBlog, which starts from the
// posts folder, goes by the config's keys instead.)
func IsBlogRoot(dir string) bool {
	if configFile(dir) == "" {
		return false
	}
	if pkg, err := readPackage(dir); err == nil && (pkg.Hexo != nil || pkg.Dependencies["hexo"] != "") {
		return true
	}
	fi, err := os.Stat(filepath.Join(dir, "source"))
	return err == nil && fi.IsDir()
}

// OpenBlog reads the Hexo blog whose root is dir, which the user named as
// one or IsBlogRoot found: any YAML mapping in its _config.yml is taken as
// Hexo's, with Hexo's defaults for the keys it does not set.
func OpenBlog(dir string) (*Blog, error) {
	path := configFile(dir)
	if path == "" {
		return nil, fmt.Errorf("%s is not a Hexo blog: it has no _config.yml", dir)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("hexo config: %w", err)
	}
	b, _, err := parseBlogConfig(path, data)
	if err == nil && b == nil {
		err = fmt.Errorf("hexo config %s: not a mapping of settings", path)
	}
	return b, err
}

// configFile is the path of the config file in dir Hexo reads, "" when
// there is none.
func configFile(dir string) string {
	for _, name := range configNames {
		path := filepath.Join(dir, name)
		if fi, err := os.Stat(path); err == nil && fi.Mode().IsRegular() {
			return path
		}
	}
	return ""
}

// parseBlogConfig reads the keys feedpost cares about, with Hexo's defaults
// for an empty file; b is nil when the YAML is not a mapping, and ok false
// when it has none of the keys only Hexo's config has.
func parseBlogConfig(path string, data []byte) (b *Blog, ok bool, err error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, false, fmt.Errorf("hexo config %s: %w", path, err)
	}
	root := filepath.Dir(path)
	b = &Blog{Root: root, ConfigFile: path, UpdatedOption: "mtime", URLRoot: "/",
		SourceDir: filepath.Join(root, "source"), PublicDir: filepath.Join(root, "public")}
	if len(doc.Content) == 0 {
		return b, false, nil
	}
	if doc.Content[0].Kind != yaml.MappingNode {
		return nil, false, nil
	}
	m := doc.Content[0]
	hexo := false
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		for _, h := range hexoKeys {
			hexo = hexo || k.Value == h
		}
		if v.Kind != yaml.ScalarNode || v.ShortTag() == "!!null" {
			continue
		}
		val := strings.TrimSpace(v.Value)
		switch k.Value {
		case "title":
			b.Title = val
		case "theme":
			if v.ShortTag() != "!!bool" { // `theme: false` turns themes off
				b.Theme = val
			}
		case "timezone":
			b.Timezone, b.TimezoneLine = val, k.Line
		case "updated_option":
			if val != "" {
				b.UpdatedOption = val
			}
		case "source_dir":
			if val != "" {
				b.SourceDir = filepath.Join(root, val)
			}
		case "public_dir":
			if val != "" {
				b.PublicDir = filepath.Join(root, val)
			}
		case "author":
			b.Author = val
		case "root":
			if r := strings.Trim(val, "/"); r != "" {
				b.URLRoot = "/" + r + "/"
			}
		}
	}
	return b, hexo, nil
}

// PostsDir is the folder Hexo reads posts from: <source_dir>/_posts.
func (b *Blog) PostsDir() string { return filepath.Join(b.SourceDir, "_posts") }

// ThemeInstalled reports whether the blog's theme is installed, as Hexo
// looks for it: themes/<name>/ or node_modules/hexo-theme-<name>/.
func (b *Blog) ThemeInstalled() bool {
	if b.Theme == "" {
		return false
	}
	for _, p := range []string{filepath.Join(b.Root, "themes", b.Theme), filepath.Join(b.Root, "node_modules", "hexo-theme-"+b.Theme)} {
		if fi, err := os.Stat(p); err == nil && fi.IsDir() {
			return true
		}
	}
	return false
}

// ThemeName is the name of the theme `theme:` names, as feedpost's presets
// go by it: lower case, without the hexo-theme- prefix of its npm package.
func ThemeName(theme string) string {
	return strings.TrimPrefix(strings.ToLower(strings.TrimSpace(theme)), "hexo-theme-")
}

// packageJSON is what feedpost reads of a blog's package.json.
type packageJSON struct {
	Hexo            json.RawMessage   `json:"hexo"` // `hexo init` records the version here
	Dependencies    map[string]string `json:"dependencies"`
	DevDependencies map[string]string `json:"devDependencies"`
}

func readPackage(dir string) (*packageJSON, error) {
	path := filepath.Join(dir, "package.json")
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var pkg packageJSON
	if err := json.Unmarshal(data, &pkg); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &pkg, nil
}

// Dependencies returns the npm packages the blog's package.json lists
// (dependencies and devDependencies); nil when it has no package.json that
// can be read.
func (b *Blog) Dependencies() map[string]bool {
	pkg, err := readPackage(b.Root)
	if err != nil {
		return nil
	}
	deps := map[string]bool{}
	for _, m := range []map[string]string{pkg.Dependencies, pkg.DevDependencies} {
		for name := range m {
			deps[name] = true
		}
	}
	return deps
}
