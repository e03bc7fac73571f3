// Command check lints feedpost's container files where no Docker engine
// runs (CI): the Dockerfile with BuildKit's own build checks — the rules of
// `docker build --check`, run in-process from github.com/moby/buildkit —
// plus the image's requirements (non-root user, HEALTHCHECK, /data volume,
// static binary); and the compose file with compose-go, the loader behind
// `docker compose config` (schema, interpolation, references, every
// profile), plus the paths its build contexts name.
//
// It is a module of its own so that BuildKit's and compose-go's many
// dependencies stay out of feedpost's go.mod. Run it from this folder:
//
//	go run . -dockerfile ../../Dockerfile -compose ../compose.yaml
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/frontend/dockerfile/dockerfile2llb"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	digest "github.com/opencontainers/go-digest"
)

func main() {
	var dockerfiles, composes list
	flag.Var(&dockerfiles, "dockerfile", "Dockerfile to lint (repeatable)")
	flag.Var(&composes, "compose", "compose file to validate (repeatable)")
	flag.Parse()
	if len(dockerfiles)+len(composes) == 0 || flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	ok := true
	for _, f := range dockerfiles {
		problems, err := lintDockerfile(f)
		ok = report(f, problems, err) && ok
	}
	for _, f := range composes {
		problems, err := checkCompose(f)
		ok = report(f, problems, err) && ok
	}
	if !ok {
		os.Exit(1)
	}
}

type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(s string) error { *l = append(*l, s); return nil }

func report(file string, problems []string, err error) bool {
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", file, err)
		return false
	}
	for _, p := range problems {
		fmt.Fprintf(os.Stderr, "%s:%s\n", file, p)
	}
	if len(problems) == 0 {
		fmt.Printf("%s: ok\n", file)
	}
	return len(problems) == 0
}

// offlineImages answers BuildKit's questions about base images without a
// registry: an empty linux config, so the checks that need none run and
// nothing is fetched.
type offlineImages struct{}

func (offlineImages) ResolveImageConfig(_ context.Context, ref string, _ sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	cfg := []byte(`{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]},"rootfs":{"type":"layers","diff_ids":[]}}`)
	return ref, digest.FromBytes(cfg), cfg, nil
}

// lintDockerfile runs BuildKit's build checks on the Dockerfile at path, and
// then the image's own requirements on its last stage.
func lintDockerfile(path string) ([]string, error) {
	dt, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	src := llb.NewSourceMap(nil, path, "Dockerfile", dt)
	src.Definition = &llb.Definition{}
	res, err := dockerfile2llb.DockerfileLint(context.Background(), dt, dockerfile2llb.ConvertOpt{SourceMap: src, MetaResolver: offlineImages{}})
	if err != nil {
		return nil, err
	}
	if res.Error != nil {
		return nil, fmt.Errorf("%s", res.Error.Message)
	}
	var problems []string
	for _, w := range res.Warnings {
		line := 0
		if w.Location != nil && len(w.Location.Ranges) > 0 {
			line = int(w.Location.Ranges[0].Start.Line)
		}
		problems = append(problems, fmt.Sprintf("%d: %s: %s (%s)", line, w.RuleName, w.Detail, w.URL))
	}
	return append(problems, requirements(dt)...), nil
}

// requirements are what feedpost's image promises (README, "Deploy"),
// checked on the last stage: a non-root USER, a HEALTHCHECK, a VOLUME
// /data, a CMD that starts `serve`, a /tmp when the base is empty (SQLite
// needs one for its temporary files), and a build stage with CGO_ENABLED=0
// (a static binary, for an image without libc).
func requirements(dt []byte) []string {
	ast, err := parser.Parse(strings.NewReader(string(dt)))
	if err != nil {
		return []string{"0: " + err.Error()}
	}
	stages, _, err := instructions.Parse(ast.AST, nil)
	if err != nil || len(stages) == 0 {
		return []string{fmt.Sprintf("0: no stage (%v)", err)}
	}
	var problems []string
	last := stages[len(stages)-1]
	var user string
	var health, volume, serve, tmp bool
	for _, c := range last.Commands {
		switch c := c.(type) {
		case *instructions.CopyCommand:
			tmp = tmp || strings.TrimSuffix(c.DestPath, "/") == "/tmp"
		case *instructions.UserCommand:
			user = c.User
		case *instructions.HealthCheckCommand:
			health = c.Health != nil && len(c.Health.Test) > 0 && c.Health.Test[0] != "NONE"
		case *instructions.VolumeCommand:
			for _, v := range c.Volumes {
				volume = volume || v == "/data"
			}
		case *instructions.CmdCommand:
			serve = len(c.CmdLine) > 0 && c.CmdLine[0] == "serve"
		}
	}
	if u, _, _ := strings.Cut(user, ":"); u == "" || u == "root" || u == "0" {
		problems = append(problems, fmt.Sprintf("%d: the last stage must run as a non-root USER", last.Location[0].Start.Line))
	}
	if !health {
		problems = append(problems, "0: the last stage has no HEALTHCHECK")
	}
	if !volume {
		problems = append(problems, "0: the last stage has no VOLUME /data")
	}
	if last.BaseName == "scratch" && !tmp {
		problems = append(problems, "0: the last stage is FROM scratch without a /tmp: SQLite cannot open the store")
	}
	if !serve {
		problems = append(problems, "0: the default command (CMD) is not serve")
	}
	if len(stages) < 2 || !strings.Contains(string(dt), "CGO_ENABLED=0") {
		problems = append(problems, "0: not a multi-stage build of a static binary (CGO_ENABLED=0)")
	}
	return problems
}

// checkCompose loads the compose file the way `docker compose config`
// does, with every profile on, and checks that each build context and
// Dockerfile it names exists.
func checkCompose(path string) ([]string, error) {
	opts, err := cli.NewProjectOptions([]string{path}, cli.WithOsEnv, cli.WithProfiles([]string{"*"}), cli.WithResolvedPaths(true))
	if err != nil {
		return nil, err
	}
	p, err := opts.LoadProject(context.Background())
	if err != nil {
		return nil, err
	}
	var problems []string
	names := p.ServiceNames()
	for _, name := range names {
		s := p.Services[name]
		if b := s.Build; b != nil {
			if st, err := os.Stat(b.Context); err != nil || !st.IsDir() {
				problems = append(problems, fmt.Sprintf(" service %s: build context %s is not a folder", name, b.Context))
			}
			df := b.Dockerfile
			if df == "" {
				df = "Dockerfile"
			}
			if !filepath.IsAbs(df) {
				df = filepath.Join(b.Context, df)
			}
			if _, err := os.Stat(df); err != nil {
				problems = append(problems, fmt.Sprintf(" service %s: %v", name, err))
			}
		}
		for _, v := range s.Volumes {
			if v.Type == types.VolumeTypeBind {
				if _, err := os.Stat(v.Source); err != nil {
					problems = append(problems, fmt.Sprintf(" service %s: bind mount %v", name, err))
				}
			}
		}
	}
	if len(problems) == 0 {
		var profiles []string
		for _, name := range names {
			profiles = append(profiles, p.Services[name].Profiles...)
		}
		fmt.Printf("%s: services %s; profiles %s\n", path, strings.Join(names, ", "), strings.Join(profiles, ", "))
	}
	return problems, nil
}
