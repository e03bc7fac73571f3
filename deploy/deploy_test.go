package deploy

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/feedpost/feedpost/internal/config"
)

// Both workflows run on a schedule and on demand, and install feedpost from
// this module's own path: a renamed module must not leave them installing
// something else.
func TestWorkflowsInstallThisModule(t *testing.T) {
	gomod, err := os.ReadFile(filepath.Join("..", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	module := regexp.MustCompile(`(?m)^module (\S+)$`).FindSubmatch(gomod)[1]
	for _, name := range []string{HexoWorkflow, SiteWorkflow} {
		data, err := fs.ReadFile(GitHubActions, name)
		if err != nil {
			t.Fatal(err)
		}
		var wf struct {
			On map[string]any `yaml:"on"`
		}
		if err := yaml.Unmarshal(data, &wf); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, ok := wf.On["schedule"]; !ok {
			t.Errorf("%s: no schedule", name)
		}
		if _, ok := wf.On["workflow_dispatch"]; !ok {
			t.Errorf("%s: no workflow_dispatch", name)
		}
		for _, want := range []string{"go install \"" + string(module) + "/cmd/feedpost@$VERSION\"", "go list -m -f '{{.Version}}' " + string(module) + "@latest"} {
			if !strings.Contains(string(data), want) {
				t.Errorf("%s lacks %s", name, want)
			}
		}
	}
}

// The image's own config loads, and writes only under the /data volume.
func TestContainerConfig(t *testing.T) {
	cfg, err := config.Load("feedpost.container.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{cfg.Store, cfg.Site.Dir, cfg.Images.CacheDir} {
		if !strings.HasPrefix(p, "/data/") {
			t.Errorf("%s is outside the /data volume", p)
		}
	}
	if cfg.Hexo.Dir != "" || cfg.Hugo.Dir != "" {
		t.Errorf("hexo.dir %q, hugo.dir %q: nothing is mounted for them", cfg.Hexo.Dir, cfg.Hugo.Dir)
	}
	if len(cfg.RSSHub) != 1 || cfg.RSSHub[0] != "http://rsshub:1200" {
		t.Errorf("rsshub %v, want the compose service", cfg.RSSHub)
	}
	compose, err := os.ReadFile("compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(compose), "rsshub:\n    image: diygod/rsshub") {
		t.Error("compose.yaml does not name its RSSHub service rsshub")
	}
}

var units = []string{"feedpost.service", "feedpost-run.service", "feedpost-run.timer"}

// TestSystemdUnits runs `systemd-analyze verify` on the units, in a root
// that has the system's own units and feedpost where the units expect it,
// and fails on any complaint (verify exits 0 on unknown keys and bad values,
// so its output is what counts). It scores the services with
// `systemd-analyze security` and fails above an exposure of 2.0.
func TestSystemdUnits(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed (apt-get install systemd; bash .ci/run does)")
	}
	system := "/usr/lib/systemd/system"
	if _, err := os.Stat(filepath.Join(system, "multi-user.target")); err != nil {
		t.Skipf("no system units in %s", system)
	}
	root := t.TempDir()
	lib := filepath.Join(root, "usr", "lib", "systemd")
	etc := filepath.Join(root, "etc", "systemd", "system")
	bin := filepath.Join(root, "usr", "local", "bin")
	for _, d := range []string{lib, etc, bin} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := exec.Command("cp", "-a", system, lib).CombinedOutput(); err != nil {
		t.Fatalf("copy the system units: %v\n%s", err, out)
	}
	// verify checks that ExecStart names an executable: the install path the
	// units document.
	if err := os.WriteFile(filepath.Join(bin, "feedpost"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, u := range units {
		data, err := os.ReadFile(u)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(etc, u), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(analyze, append([]string{"verify", "--root=" + root}, units...)...)
	out, err := cmd.CombinedOutput()
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}

	overall := regexp.MustCompile(`Overall exposure level for \S+: ([0-9.]+) (\S+)`)
	for _, u := range units {
		if !strings.HasSuffix(u, ".service") {
			continue
		}
		out, err := exec.Command(analyze, "security", "--offline=yes", "--no-pager", "./"+u).CombinedOutput()
		m := overall.FindSubmatch(out)
		if err != nil || m == nil {
			t.Errorf("systemd-analyze security %s: %v\n%s", u, err, out)
			continue
		}
		score, _ := strconv.ParseFloat(string(m[1]), 64)
		t.Logf("%s: exposure %s %s", u, m[1], m[2])
		if score > 2.0 {
			t.Errorf("%s: exposure %.1f (%s), want ≤ 2.0\n%s", u, score, m[2], out)
		}
	}
}
