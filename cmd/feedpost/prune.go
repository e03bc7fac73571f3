package main

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/feedpost/feedpost/internal/pipeline"
)

// pruneCommand is `feedpost prune [--dry-run] [--images]`: apply `keep:`
// now, or (--images) remove the mirrored images no post uses.
func pruneCommand(f *flags) *cobra.Command {
	var dry, images bool
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
			if images {
				return pruneImages(c, f, r, dry)
			}
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
	cmd.Flags().BoolVar(&images, "images", false, "remove the mirrored images no post uses (images.proxy: mirror) instead")
	return cmd
}

// pruneImages is `prune --images`: the orphans of the image mirror, found
// (and removed unless dry) as the builder, so that no build runs beside.
func pruneImages(c *cobra.Command, f *flags, r *pipeline.Runner, dry bool) error {
	if !r.MirrorOn() {
		return &exitError{exitUsage, errors.New("prune --images: images are not mirrored (images.proxy is not mirror)")}
	}
	held, err := r.TakeBuilder(c.Context())
	if err == nil && !held {
		err = errors.New("another process is the active builder: run prune --images there, or stop it")
	}
	var orphans []string
	if err == nil {
		orphans, err = r.PruneImages(c.Context(), dry)
	}
	if err != nil {
		return &exitError{exitFailed, err}
	}
	out := c.OutOrStdout()
	if f.json {
		return json.NewEncoder(out).Encode(map[string]any{"dry_run": dry, "images": append([]string{}, orphans...)})
	}
	for _, p := range orphans {
		fmt.Fprintln(out, p)
	}
	if !f.quiet {
		verb := "removed"
		if dry {
			verb = "would remove"
		}
		fmt.Fprintf(c.ErrOrStderr(), "%s %d image files no post uses\n", verb, len(orphans))
	}
	return nil
}
