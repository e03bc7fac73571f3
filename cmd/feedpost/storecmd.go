package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/feedpost/feedpost/internal/store"
)

// storeCommand is `feedpost store copy --from A --to B`: move a store to
// another backend (SQLite into PostgreSQL when one machine is not enough,
// or back).
func storeCommand(f *flags) *cobra.Command {
	cmd := &cobra.Command{Use: "store", Short: "Work on stores: copy one into another (SQLite ⇄ PostgreSQL)"}
	var from, to string
	cp := &cobra.Command{
		Use:   "copy --from STORE --to STORE",
		Short: "Copy everything from one store into another; run again, it changes nothing; counts are checked",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if from == "" || to == "" {
				return &exitError{exitUsage, fmt.Errorf("store copy needs --from and --to (a SQLite file or a postgres:// URL)")}
			}
			src, err := store.Open(c.Context(), from, store.Options{Exclusive: true})
			if err != nil {
				return &exitError{exitUsage, err}
			}
			defer src.Close()
			dst, err := store.Open(c.Context(), to, store.Options{Exclusive: true})
			if err != nil {
				return &exitError{exitUsage, err}
			}
			defer dst.Close()
			counts, err := store.Copy(c.Context(), src, dst)
			if f.json {
				out := map[string]any{"from": src.Name(), "to": dst.Name(), "tables": counts, "error": ""}
				if err != nil {
					out["error"] = err.Error()
				}
				json.NewEncoder(c.OutOrStdout()).Encode(out)
			} else if !f.quiet {
				for _, t := range counts {
					fmt.Fprintf(c.ErrOrStderr(), "%-8s %7d rows → %7d\n", t.Table, t.From, t.To)
				}
			}
			if err != nil {
				return &exitError{exitFailed, err}
			}
			if !f.quiet && !f.json {
				fmt.Fprintf(c.ErrOrStderr(), "copied %s to %s\n", src.Name(), dst.Name())
			}
			return nil
		},
	}
	cp.Flags().StringVar(&from, "from", "", "the store to copy: a SQLite file or a postgres:// URL")
	cp.Flags().StringVar(&to, "to", "", "the store to copy into (created and migrated when new)")
	cmd.AddCommand(cp)
	return cmd
}
