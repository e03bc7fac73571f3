package hexo

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Blog is what feedpost reads of the Hexo blog it writes posts into: its
// _config.yml, for the theme preset (`hexo.theme: auto`) and for `check`.
type Blog struct {
	Root       string // the blog's folder (that of ConfigFile)
	ConfigFile string
	Theme      string // `theme:`; "" when unset
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
			if ok {
				return b, nil
			}
		}
	}
	return nil, nil
}

func isDirError(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}

// ReadBlog reads the Hexo blog whose _config.yml is at path.
func ReadBlog(path string) (*Blog, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("hexo config: %w", err)
	}
	b, ok, err := parseBlogConfig(path, data)
	if err == nil && !ok {
		err = fmt.Errorf("hexo config %s: not a Hexo config (none of the keys %s)", path, strings.Join(hexoKeys, ", "))
	}
	return b, err
}

// parseBlogConfig reads the keys feedpost cares about; ok is false when the
// file is YAML but not a Hexo config.
func parseBlogConfig(path string, data []byte) (*Blog, bool, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, false, fmt.Errorf("hexo config %s: %w", path, err)
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, false, nil
	}
	root := filepath.Dir(path)
	b := &Blog{Root: root, ConfigFile: path, UpdatedOption: "mtime", URLRoot: "/",
		SourceDir: filepath.Join(root, "source"), PublicDir: filepath.Join(root, "public")}
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
		case "theme":
			b.Theme = val
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
	if !hexo {
		return nil, false, nil
	}
	return b, true, nil
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
