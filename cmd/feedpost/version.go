package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/feedpost/feedpost/internal/buildinfo"
)

// commit and date are set with -ldflags "-X main.commit=… -X main.date=…"
// (scripts/release.sh); left empty, the build information the Go toolchain
// recorded answers, as it does for version.
var commit, date string

// build is this binary's version, commit and date. The user agent and
// `feedpost version` read it; init resolves it before main runs.
var build buildinfo.Info

func init() {
	build = buildinfo.Read(version, commit, date)
	version = build.Version
}

func versionCommand(f *flags) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit and build date",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			out := c.OutOrStdout()
			if f.json {
				return json.NewEncoder(out).Encode(build)
			}
			fmt.Fprintln(out, "feedpost", build.Version)
			commit := orUnknown(build.Commit)
			if build.Modified {
				commit += " (modified)"
			}
			fmt.Fprintln(out, "commit:  ", commit)
			fmt.Fprintln(out, "date:    ", orUnknown(build.Date))
			fmt.Fprintln(out, "built by:", build.Go, build.Platform)
			return nil
		},
	}
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
