package hugo

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// Site is what feedpost reads of a Hugo site: its config file and the
// folders Hugo reads content from and writes the site to, for `init` (where
// posts go) and for the config's checks (a site.dir inside publishDir would
// be overwritten by `hugo`). It is the one reader of a Hugo config in
// feedpost.
type Site struct {
	Root       string // the site's folder
	ConfigFile string
	ContentDir string // absolute `contentDir` (default content)
	PublishDir string // absolute `publishDir` (default public)
}

// configNames are the site config files Hugo reads, in its order (hugo.*
// since Hugo 0.110, config.* before).
var configNames = []string{"hugo.toml", "hugo.yaml", "hugo.yml", "hugo.json", "config.toml", "config.yaml", "config.yml", "config.json"}

// siteDirs are folders `hugo new site` makes. A config.* file counts as
// Hugo's only beside one of them: many other tools have a config.yaml.
var siteDirs = []string{"content", "layouts", "themes", "archetypes"}

// contentDirRE and publishDirRE find a key in a Hugo config of any of its
// three syntaxes (TOML `publishDir = "x"`, YAML `publishDir: x`, JSON
// `"publishDir": "x"`) without a TOML parser, which feedpost has no other
// use for.
var (
	contentDirRE = keyRE("contentDir")
	publishDirRE = keyRE("publishDir")
)

func keyRE(key string) *regexp.Regexp {
	return regexp.MustCompile(`(?m)^\s*"?` + key + `"?\s*[:=]\s*["']?([^"'\s,#]+)`)
}

// ReadSite reads the Hugo site whose root is dir. It returns nil and no
// error when dir is not one: it has no hugo.* file, and no config.* file
// beside one of the folders of a Hugo site.
func ReadSite(dir string) (*Site, error) {
	hasSiteDir := false
	for _, d := range siteDirs {
		if fi, err := os.Stat(filepath.Join(dir, d)); err == nil && fi.IsDir() {
			hasSiteDir = true
			break
		}
	}
	for _, name := range configNames {
		if !hasSiteDir && !strings.HasPrefix(name, "hugo.") {
			continue
		}
		path := filepath.Join(dir, name)
		data, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) || err != nil && isDir(path) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("hugo config: %w", err)
		}
		return &Site{Root: dir, ConfigFile: path,
			ContentDir: siteFolder(dir, data, contentDirRE, "content"),
			PublishDir: siteFolder(dir, data, publishDirRE, "public")}, nil
	}
	return nil, nil
}

// siteFolder is the folder a config key names (relative to the site's
// root), def when the config does not set it.
func siteFolder(root string, data []byte, key *regexp.Regexp, def string) string {
	dir := def
	if m := key.FindSubmatch(data); m != nil {
		dir = filepath.FromSlash(string(m[1]))
	}
	if filepath.IsAbs(dir) {
		return dir
	}
	return filepath.Join(root, dir)
}

func isDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}
