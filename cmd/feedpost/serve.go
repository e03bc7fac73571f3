package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/feedpost/feedpost/internal/serve"
)

// serveCommand is `feedpost serve`: the daemon. Its exit codes:
//
//	0        stopped by SIGINT/SIGTERM after every in-flight request finished
//	1        the server failed while running (the error is logged)
//	2        bad config or usage, or the address cannot be listened on
//	130/143  stopped by SIGINT/SIGTERM, but requests still running after
//	         --grace were cut (the message says how many)
func serveCommand(f *flags) *cobra.Command {
	var grace time.Duration
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Daemon: refresh sources on their interval; serve the site, the image proxy, /healthz and /metrics",
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if grace <= 0 {
				return &exitError{exitUsage, fmt.Errorf("--grace must be more than 0, got %v", grace)}
			}
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
			log := slog.New(handler)
			srv, err := serve.New(cfg, st, serve.Options{Addr: f.addr, Role: f.role, Logger: log, Grace: grace})
			if err != nil {
				return &exitError{exitUsage, err}
			}

			ctx, stop := context.WithCancel(context.Background())
			defer stop()
			sigs := make(chan os.Signal, 1)
			signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
			defer signal.Stop(sigs)
			got := make(chan os.Signal, 1)
			go func() {
				select {
				case sig := <-sigs:
					log.Info("stopping", "signal", sig.String())
					got <- sig
					stop()
				case <-ctx.Done():
				}
			}()

			err = srv.Run(ctx)
			var le *serve.ListenError
			var de *serve.DrainError
			switch {
			case err == nil:
				return nil
			case errors.As(err, &le):
				return &exitError{exitUsage, err}
			case errors.As(err, &de):
				code, name := exitSIGTERM, "SIGTERM"
				select {
				case sig := <-got:
					if sig == os.Interrupt {
						code, name = exitSIGINT, "SIGINT"
					}
				default:
				}
				return &exitError{code, fmt.Errorf("stopped by %s: %w", name, err)}
			}
			return &exitError{exitFailed, err}
		},
	}
	cmd.Flags().StringVar(&f.addr, "addr", ":8080", "listen address")
	cmd.Flags().StringVar(&f.role, "role", serve.RoleAll, "what this process does: all, fetch, build or web (all but `all` need a PostgreSQL store)")
	cmd.Flags().DurationVar(&grace, "grace", serve.DefaultGrace, "on SIGINT/SIGTERM, how long in-flight requests may take to finish before they are cut")
	return cmd
}
