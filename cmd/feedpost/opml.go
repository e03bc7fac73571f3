package main

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/feedpost/feedpost/internal/config"
	"github.com/feedpost/feedpost/internal/opml"
)

// opmlCommands returns `import-opml` and `export-opml`.
func opmlCommands(f *flags) []*cobra.Command {
	var fromOutline, write bool
	imp := &cobra.Command{
		Use:   "import-opml FILE",
		Short: "Print sources built from an OPML file as YAML (or append them to the config with --write)",
		Long: `Reads an OPML 1.0/2.0 feed list (FILE, or - for stdin) and prints a sources: list.

With --category-from-outline, the folders a feed sits in become its category
levels (outermost first). Feeds on an RSSHub instance of the config (or on
rsshub.app) become route: sources when the config sets rsshub:.

With --write, the sources are appended to the config file instead: feeds the
config already has are skipped, and the result is validated before the file is
replaced. This needs sources: to be the last top-level key, written as a block
list (- url: ...), so that the new items can be added at the end of the file
without touching anything else.`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			return importOPML(c, f, args[0], fromOutline, write)
		},
	}
	imp.Flags().BoolVar(&fromOutline, "category-from-outline", false, "use the OPML folders of each feed as its category levels")
	imp.Flags().BoolVar(&write, "write", false, "append the sources to the config file instead of printing them")

	var output string
	exp := &cobra.Command{
		Use:   "export-opml",
		Short: "Write the config's sources as OPML 2.0 (category levels as folders)",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			cfg, err := loadConfig(f)
			if err != nil {
				return err
			}
			data, err := opml.Export(cfg)
			if err != nil {
				return &exitError{exitFailed, err}
			}
			if output == "" || output == "-" {
				_, err = c.OutOrStdout().Write(data)
				return err
			}
			if err := writeFileAtomic(output, data, 0o644); err != nil {
				return &exitError{exitFailed, err}
			}
			if !f.quiet {
				fmt.Fprintf(c.ErrOrStderr(), "wrote %d sources to %s\n", len(cfg.Sources), output)
			}
			return nil
		},
	}
	exp.Flags().StringVarP(&output, "output", "o", "", "write to this file instead of stdout")
	return []*cobra.Command{imp, exp}
}

func importOPML(c *cobra.Command, f *flags, file string, fromOutline, write bool) error {
	var in io.Reader = c.InOrStdin()
	if file != "-" {
		fh, err := os.Open(file)
		if err != nil {
			return &exitError{exitUsage, fmt.Errorf("import-opml: %w", err)}
		}
		defer fh.Close()
		in = fh
	}
	outlines, err := opml.Parse(in)
	if err != nil {
		return &exitError{exitUsage, fmt.Errorf("import-opml %s: %w", file, err)}
	}

	// The config gives the RSSHub instances whose URLs become routes. It is
	// required for --write; for printing, a missing or broken one only means
	// no instances.
	var cfg *config.Config
	if write {
		if cfg, err = loadConfig(f); err != nil {
			return err
		}
	} else if _, serr := os.Stat(f.config); serr == nil {
		if cfg, err = config.Load(f.config); err != nil && !f.quiet {
			fmt.Fprintf(c.ErrOrStderr(), "note: %v (RSSHub URLs are kept as url:)\n", err)
		}
	}
	var instances []string
	if cfg != nil {
		instances = cfg.RSSHub
	}
	specs := opml.Sources(outlines, fromOutline, instances)
	if len(specs) == 0 {
		return &exitError{exitUsage, fmt.Errorf("import-opml %s: no feeds in it (no outline has an xmlUrl)", file)}
	}
	if !write {
		_, err := c.OutOrStdout().Write(opml.YAML(specs))
		return err
	}

	fresh, skipped := newSpecs(cfg, specs)
	stderr := c.ErrOrStderr()
	if len(fresh) == 0 {
		if !f.quiet {
			fmt.Fprintf(stderr, "nothing to add: the %d feeds of %s are already in %s\n", skipped, file, f.config)
		}
		return nil
	}
	if err := appendSources(f.config, cfg, fresh); err != nil {
		return &exitError{exitUsage, fmt.Errorf("import-opml --write: %w", err)}
	}
	if !f.quiet {
		fmt.Fprintf(stderr, "added %d sources to %s", len(fresh), f.config)
		if skipped > 0 {
			fmt.Fprintf(stderr, " (%d already there)", skipped)
		}
		fmt.Fprintln(stderr)
	}
	return nil
}

// newSpecs drops the specs the config already has (same URL, route or key)
// and the names that would collide with an existing key.
func newSpecs(cfg *config.Config, specs []opml.SourceSpec) (fresh []opml.SourceSpec, skipped int) {
	have := map[string]bool{}
	for _, s := range cfg.Sources {
		have[s.Key] = true
		if s.URL != "" {
			have["url\x00"+s.URL] = true
		}
		if s.Route != "" {
			have["route\x00"+s.Route] = true
		}
	}
	for _, s := range specs {
		route := s.Route
		if route != "" && !strings.HasPrefix(route, "/") {
			route = "/" + route
		}
		key := s.URL + s.Route
		if have[key] || (s.URL != "" && have["url\x00"+s.URL]) || (route != "" && have["route\x00"+route]) {
			skipped++
			continue
		}
		if s.Name != "" && have[s.Name] {
			s.Name = ""
		}
		fresh = append(fresh, s)
	}
	return fresh, skipped
}

// appendSources adds specs at the end of the config file's `sources:` list,
// leaving every other byte of the file (comments included) as it is. It only
// does so when that is safe by plain appending — `sources:` is the last
// top-level key and a block list — and it checks with config.Parse that the
// result loads with exactly the new sources added before it replaces the file
// atomically.
func appendSources(path string, cfg *config.Config, specs []opml.SourceSpec) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return fmt.Errorf("%s: the config is not a YAML mapping", path)
	}
	root := doc.Content[0]
	n := len(root.Content)
	if n < 2 || root.Content[n-2].Value != "sources" {
		return fmt.Errorf("%s: sources: is not the last top-level key, so the new sources cannot simply be appended; "+
			"move sources: to the end of the file, or paste the output of import-opml without --write yourself", path)
	}
	list := root.Content[n-1]
	if list.Kind != yaml.SequenceNode || list.Style&yaml.FlowStyle != 0 {
		return fmt.Errorf("%s: sources: is not a block list (- url: ... on its own lines), so the new sources cannot simply be appended; "+
			"paste the output of import-opml without --write yourself", path)
	}
	indent := strings.Repeat(" ", max(list.Column-1, 0))
	var add strings.Builder
	if len(data) > 0 && data[len(data)-1] != '\n' {
		add.WriteByte('\n')
	}
	for _, line := range strings.SplitAfter(string(opml.Items(specs)), "\n") {
		if line != "" {
			add.WriteString(indent + line)
		}
	}
	updated := append(append([]byte(nil), data...), add.String()...)

	check, err := config.Parse(updated, path)
	if err != nil {
		return fmt.Errorf("the config would not load with the new sources, left unchanged: %w", err)
	}
	if len(check.Sources) != len(cfg.Sources)+len(specs) {
		return fmt.Errorf("%s: appending at the end of the file did not add the sources to sources: (a document end marker?); left unchanged", path)
	}
	mode := fs.FileMode(0o644)
	if st, err := os.Stat(path); err == nil {
		mode = st.Mode().Perm()
	}
	return writeFileAtomic(path, updated, mode)
}

// writeFileAtomic writes data to path through a temporary file in the same
// folder and a rename, so that readers see the old file or the new one,
// never a part.
func writeFileAtomic(path string, data []byte, mode fs.FileMode) (err error) {
	if target, lerr := filepath.EvalSymlinks(path); lerr == nil {
		path = target // replace the file a symlinked config points to, not the link
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			_ = os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(data); err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), mode)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
