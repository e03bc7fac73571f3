package main

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/feedpost/feedpost/internal/pipeline"
)

// pruneCommand is `feedpost prune [--dry-run]`: apply `keep:` now.
func pruneCommand(f *flags) *cobra.Command {
	var dry bool
	cmd := &cobra.Command{
		Use:   "prune",
		Short: "Remove the posts beyond the `keep:` limits (run and serve do it after each cycle)",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			cfg, st, err := openProject(c.Context(), f)
			if err != nil {
				return err
			}
			defer st.Close()
			r := pipeline.New(cfg, st, pipeline.Options{})
			defer r.Close()
			var pruned []pipeline.Pruned
			if dry {
				pruned, err = r.Prune(c.Context(), true)
			} else {
				// As the builder: the removal and the site rebuild that
				// follows it are one build.
				var b pipeline.BuildResult
				pruned, err = r.Prune(c.Context(), true)
				if err == nil {
					b, err = r.BuildOutputs(c.Context(), pipeline.BuildOptions{})
					if err == nil && !b.Built {
						err = errors.New(b.Note)
					}
				}
			}
			if err != nil {
				return &exitError{exitFailed, err}
			}
			out := c.OutOrStdout()
			if f.json {
				return json.NewEncoder(out).Encode(map[string]any{"dry_run": dry, "pruned": pruned})
			}
			verb := "removed"
			if dry {
				verb = "would remove"
			}
			for _, p := range pruned {
				fmt.Fprintf(out, "%s  %s  %s  %s\n", p.ID, p.Date.Format("2006-01-02"), p.Source, p.Title)
			}
			if !f.quiet {
				fmt.Fprintf(c.ErrOrStderr(), "%s %d posts\n", verb, len(pruned))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&dry, "dry-run", false, "only list what would be removed")
	return cmd
}
