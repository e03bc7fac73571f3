package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"

	"github.com/spf13/cobra"

	"github.com/feedpost/feedpost/internal/scaffold"
)

// initCommand is `feedpost init`: a commented config fitted to the blog in
// the config's folder (or --hexo/--hugo), and optionally its workflow.
func initCommand(f *flags) *cobra.Command {
	var o struct {
		hexo, hugo, rsshub, data string
		routes                   []string
		actions                  bool
	}
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Write a feedpost.yaml fitted to the Hexo blog (or Hugo site) here, or one for the built-in site",
		Long: `init writes a commented feedpost.yaml (-c to name another file) and never overwrites one.

In a Hexo blog's root it points hexo.dir at source/_posts and names the theme it found;
with --hugo DIR it points hugo.dir at DIR/content/posts; anywhere else it writes a config
for feedpost's own news site. --github-actions also writes .github/workflows/feedpost.yml,
which runs feedpost on a schedule and publishes to GitHub Pages.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			var blog scaffold.Blog
			var err error
			switch {
			case o.hexo != "":
				blog, err = scaffold.Hexo(o.hexo)
			case o.hugo != "":
				blog, err = scaffold.Hugo(o.hugo)
			default:
				blog, err = scaffold.Detect(filepath.Dir(f.config))
			}
			if err != nil {
				return &exitError{exitUsage, err}
			}
			opt := scaffold.Options{Config: f.config, Blog: blog, RSSHub: o.rsshub, Routes: o.routes, GitHubActions: o.actions, Data: o.data}
			if releaseRE.MatchString(version) {
				opt.Version = version // the workflow installs the release that wrote it
			}
			written, err := scaffold.Write(opt)
			if err != nil {
				return &exitError{exitUsage, err}
			}
			return reportInit(c, f, blog, written, o.data == "")
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.hexo, "hexo", "", "root folder of the Hexo blog (default: the config's folder, when it is one)")
	fl.StringVar(&o.hugo, "hugo", "", "root folder of the Hugo site")
	fl.StringVar(&o.rsshub, "rsshub", "", "RSSHub instance for the routes (default "+scaffold.DefaultRSSHub+")")
	fl.StringArrayVar(&o.routes, "route", nil, "RSSHub route to fetch, e.g. /36kr/newsflashes (repeatable; default: two examples)")
	fl.StringVar(&o.data, "data", "", "folder for the store and the built-in site (default: .feedpost/ and public/ beside the config)")
	fl.BoolVar(&o.actions, "github-actions", false, "also write the GitHub Actions workflow (.github/workflows/feedpost.yml)")
	cmd.MarkFlagsMutuallyExclusive("hexo", "hugo")
	return cmd
}

// releaseRE matches a release version, which a workflow can pin.
var releaseRE = regexp.MustCompile(`^v\d+\.\d+\.\d+$`)

func reportInit(c *cobra.Command, f *flags, blog scaffold.Blog, written []string, stateBeside bool) error {
	out := c.OutOrStdout()
	kind := blog.Kind
	if kind == scaffold.KindStandalone {
		kind = "site"
	}
	if f.json {
		return json.NewEncoder(out).Encode(map[string]any{"kind": kind, "root": blog.Root, "posts": blog.PostsDir,
			"theme": blog.Theme, "preset": blog.ThemePreset(), "written": written})
	}
	switch blog.Kind {
	case scaffold.KindHexo:
		theme := "no theme set"
		if blog.Theme != "" {
			theme = fmt.Sprintf("theme %s, preset %s", blog.Theme, blog.ThemePreset())
		}
		fmt.Fprintf(out, "Hexo blog in %s (%s): posts go to %s\n", blog.Root, theme, blog.PostsDir)
	case scaffold.KindHugo:
		fmt.Fprintf(out, "Hugo site in %s: posts go to %s\n", blog.Root, blog.PostsDir)
	default:
		fmt.Fprintln(out, "No Hexo blog or Hugo site here: the config is for feedpost's own news site.")
	}
	for _, w := range written {
		fmt.Fprintln(out, "wrote", w)
	}
	if blog.HexoTimezone != "" {
		fmt.Fprintf(out, "note: _config.yml sets timezone: %s; Hexo then shifts every post date unless the machine that builds the blog is in that zone. Leave it unset.\n", blog.HexoTimezone)
	}
	fmt.Fprintf(out, "next: feedpost check -c %s\n      feedpost run -c %s\n", f.config, f.config)
	if stateBeside {
		fmt.Fprintf(out, "and keep %s/ (the store) out of git: echo %s/ >> .gitignore\n", scaffold.StateDir, scaffold.StateDir)
	}
	return nil
}
