package main

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/feedpost/feedpost/internal/serve"
)

// serveCommand is `feedpost serve`: the daemon. SIGINT and SIGTERM are a
// normal stop (exit 0) after in-flight requests and writes finish.
func serveCommand(f *flags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Daemon: refresh sources on their interval; serve the site, the image proxy, /healthz and /metrics",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			cfg, st, err := openProject(c.Context(), f)
			if err != nil {
				return err
			}
			defer st.Close()
			level := slog.LevelInfo
			if f.quiet {
				level = slog.LevelWarn
			}
			var handler slog.Handler = slog.NewTextHandler(c.ErrOrStderr(), &slog.HandlerOptions{Level: level})
			if f.json {
				handler = slog.NewJSONHandler(c.ErrOrStderr(), &slog.HandlerOptions{Level: level})
			}
			srv, err := serve.New(cfg, st, serve.Options{Addr: f.addr, Role: f.role, Logger: slog.New(handler)})
			if err != nil {
				return &exitError{exitUsage, err}
			}
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			if err := srv.Run(ctx); err != nil {
				return &exitError{exitFailed, err}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&f.addr, "addr", ":8080", "listen address")
	cmd.Flags().StringVar(&f.role, "role", serve.RoleAll, "what this process does: all, fetch, build or web (all but `all` need a PostgreSQL store)")
	return cmd
}
