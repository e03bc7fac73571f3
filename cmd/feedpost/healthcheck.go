package main

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/spf13/cobra"
)

// healthcheckCommand is the container's HEALTHCHECK: the image has no curl,
// so feedpost asks its own /healthz. Exit 0 when it answers 200, 1 otherwise.
// Hidden: nobody types it.
func healthcheckCommand() *cobra.Command {
	var url string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:    "healthcheck",
		Short:  "Exit 0 when a running feedpost serve answers /healthz with 200",
		Args:   cobra.NoArgs,
		Hidden: true,
		RunE: func(c *cobra.Command, _ []string) error {
			ctx, cancel := context.WithTimeout(c.Context(), timeout)
			defer cancel()
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
			if err != nil {
				return &exitError{exitUsage, fmt.Errorf("--url: %w", err)}
			}
			// Exit 1 is "some sources failed" elsewhere, which execute
			// leaves to the summary to explain: say why here.
			unhealthy := func(format string, a ...any) error {
				fmt.Fprintf(c.ErrOrStderr(), "feedpost: healthcheck: "+format+"\n", a...)
				return &exitError{exitFailed, nil}
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return unhealthy("%v", err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return unhealthy("%s answered %s", url, resp.Status)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&url, "url", "http://127.0.0.1:8080/healthz", "health endpoint of the daemon")
	cmd.Flags().DurationVar(&timeout, "timeout", 5*time.Second, "give up after this long")
	return cmd
}
