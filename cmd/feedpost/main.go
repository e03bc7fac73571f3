// Command feedpost turns feeds into a news site: Hexo posts, Hugo posts and a
// site of its own. This file only wires the CLI; the work lives in internal/.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/feedpost/feedpost/internal/config"
	"github.com/feedpost/feedpost/internal/doctor"
	"github.com/feedpost/feedpost/internal/pipeline"
	"github.com/feedpost/feedpost/internal/report"
	"github.com/feedpost/feedpost/internal/serve"
	"github.com/feedpost/feedpost/internal/store"
)

// version is set at build time with -ldflags "-X main.version=…"; left
// empty, version.go fills it from the build information.
var version string

// Exit codes (docs/cli.md, "Exit codes").
const (
	exitOK      = 0
	exitFailed  = 1 // some sources failed
	exitUsage   = 2 // bad usage or bad config
	exitSIGINT  = 130
	exitSIGTERM = 143
)

// exitError carries an exit code through cobra.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }

type flags struct {
	config string
	quiet  bool
	json   bool
	addr   string
	role   string
	force  bool
}

func main() {
	// A soft memory limit keeps the heap of a big site build near it (the GC
	// works harder instead of growing); GOMEMLIMIT overrides it.
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
	os.Exit(execute(os.Args[1:], os.Stdout, os.Stderr))
}

// defaultMemoryLimit is the soft heap limit when GOMEMLIMIT is unset.
const defaultMemoryLimit = 256 << 20

func execute(args []string, stdout, stderr io.Writer) int {
	config.Version = version
	var f flags
	root := &cobra.Command{
		Use:           "feedpost",
		Short:         "Turn RSS/Atom/JSON feeds into Hexo posts, Hugo posts and a news site",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetArgs(args)
	root.PersistentFlags().StringVarP(&f.config, "config", "c", "feedpost.yaml", "config file")
	root.PersistentFlags().BoolVarP(&f.quiet, "quiet", "q", false, "print only errors")
	root.PersistentFlags().BoolVar(&f.json, "json", false, "print the summary as one JSON object on stdout")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return &exitError{exitUsage, err} })

	runCmd := &cobra.Command{
		Use:   "run",
		Short: "Fetch every source once, write/refresh posts, build the outputs",
		Long: `Fetch every source once, write/refresh posts, build the outputs, print a summary.

A source that failed 3 times in a row is backed off: later runs skip it
("skipped (backed off until …)") until its next try, which doubles with
every further failure up to a day. --force fetches backed-off sources now.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error { return runCycle(c, &f, false) },
	}
	runCmd.Flags().BoolVar(&f.force, "force", false, "also fetch sources that are backed off after repeated failures")
	root.AddCommand(
		runCmd,
		&cobra.Command{
			Use:   "build",
			Short: "Rewrite all outputs from the store without fetching",
			Args:  cobra.NoArgs,
			RunE:  func(c *cobra.Command, _ []string) error { return runCycle(c, &f, true) },
		},
		&cobra.Command{
			Use:   "check",
			Short: "Validate the config, list the sources, and check the blog it writes into (exit 1 if something would break it)",
			Args:  cobra.NoArgs,
			RunE:  func(c *cobra.Command, _ []string) error { return check(c, &f) },
		},
		serveCommand(&f),
		pruneCommand(&f),
		versionCommand(&f),
		initCommand(&f),
		healthcheckCommand(),
	)
	root.AddCommand(opmlCommands(&f)...)
	root.AddCommand(storeCommand(&f))
	err := root.ExecuteContext(context.Background())
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil && ee.code != exitFailed {
			fmt.Fprintln(stderr, "feedpost:", ee.err)
		}
		return ee.code
	}
	// cobra's own usage errors (unknown command, bad args)
	fmt.Fprintln(stderr, "feedpost:", err)
	return exitUsage
}

func loadConfig(f *flags) (*config.Config, error) {
	cfg, err := config.Load(f.config)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			err = fmt.Errorf("%w\n(feedpost reads ./feedpost.yaml unless -c names another file: "+
				"try `feedpost run -c examples/feedpost.yaml`, or copy examples/feedpost.yaml to start your own)", err)
		}
		return nil, &exitError{exitUsage, err}
	}
	return cfg, nil
}

// openProject loads the config and opens its store for a command that
// fetches or writes (exclusively, for a SQLite store); both failures are
// exit code 2 (nothing written).
func openProject(ctx context.Context, f *flags) (*config.Config, *store.Store, error) {
	cfg, err := loadConfig(f)
	if err != nil {
		return nil, nil, err
	}
	st, err := store.Open(ctx, cfg.Store, store.Options{Exclusive: true})
	if err != nil {
		return nil, nil, &exitError{exitUsage, fmt.Errorf("store %s: %w", store.Redact(cfg.Store), err)}
	}
	return cfg, st, nil
}

// runCycle is `run` (fetch) and `build` (from the store only).
func runCycle(c *cobra.Command, f *flags, buildOnly bool) error {
	cfg, st, err := openProject(c.Context(), f)
	if err != nil {
		return err
	}
	defer st.Close()

	ctx, stop := context.WithCancel(c.Context())
	defer stop()
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	var got os.Signal
	go func() {
		select {
		case got = <-sigs:
			stop() // in-flight writes finish; no new source starts
		case <-ctx.Done():
		}
	}()

	stderr := c.ErrOrStderr()
	var prog *report.Progress
	opt := pipeline.Options{IgnoreBackoff: f.force}
	if cfg.Images.Proxy == "builtin" {
		secret, err := serve.Secret(ctx, cfg, st)
		if err != nil {
			return &exitError{exitUsage, err}
		}
		opt.ProxyURL = serve.BuiltinProxyURL(cfg, secret)
	}
	if !f.quiet && !f.json {
		prog = report.NewProgress(stderr, isTerminal(stderr))
		opt.Progress = prog
	}
	r := pipeline.New(cfg, st, opt)
	defer r.Close()
	var sum *pipeline.Summary
	if buildOnly {
		sum, err = r.Build(ctx)
	} else {
		sum, err = r.Run(ctx)
	}
	if prog != nil {
		prog.Finish()
	}
	stop()
	// A summary, even of an interrupted run: what was written is written.
	if sum != nil {
		switch {
		case f.json:
			enc := json.NewEncoder(c.OutOrStdout())
			if err := enc.Encode(sum); err != nil {
				return err
			}
		case f.quiet:
		case buildOnly:
			report.BuildSummary(stderr, sum)
		default:
			report.Table(stderr, sum)
		}
	}
	if got != nil {
		code, name := exitSIGINT, "SIGINT (Ctrl-C)"
		if got == syscall.SIGTERM {
			code, name = exitSIGTERM, "SIGTERM"
		}
		return &exitError{code, fmt.Errorf("stopped by %s; the posts written so far are kept, the next run does the rest", name)}
	}
	if err != nil {
		return &exitError{exitFailed, err}
	}
	if sum.Failed() {
		if f.quiet {
			for _, s := range sum.Sources {
				if s.Status == pipeline.StatusFailed {
					fmt.Fprintf(stderr, "source %s: %s\n", s.Name, s.Error)
				}
			}
		}
		return &exitError{exitFailed, nil}
	}
	return nil
}

func check(c *cobra.Command, f *flags) error {
	cfg, err := loadConfig(f)
	if err != nil {
		return err
	}
	out := c.OutOrStdout()
	var states map[string]store.Source
	if _, err := os.Stat(cfg.Store); err == nil || store.IsURL(cfg.Store) {
		if st, err := store.Open(c.Context(), cfg.Store, store.Options{}); err == nil {
			states = map[string]store.Source{}
			if all, err := st.Sources(c.Context()); err == nil {
				for _, s := range all {
					states[s.Key] = s
				}
			}
			st.Close()
		}
	}
	list := report.Check(cfg, states)
	findings := doctor.Check(cfg, doctor.Options{})
	if f.json {
		if findings == nil {
			findings = []doctor.Finding{}
		}
		if err := json.NewEncoder(out).Encode(map[string]any{"config": cfg.Path, "sources": list, "findings": findings}); err != nil {
			return err
		}
	} else {
		report.CheckTable(out, cfg, list)
		report.Findings(out, findings)
	}
	if doctor.Breaks(findings) {
		return &exitError{exitFailed, nil} // the findings say why
	}
	return nil
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
