package main

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// The GitHub Actions workflows (deploy/github-actions) are run here as far as
// they need no GitHub service: their own `run:` steps, read from the workflow
// file that `feedpost init --github-actions` wrote, run by bash the way the
// runner runs them, with the runner's variables, against the example feeds
// served like RSSHub routes, and a local bare repository as `origin`. The
// steps that are actions (checkout, cache, Pages) are GitHub's: the test does
// by hand what they would (a fresh work tree, a lost cache).

// ghWorkflow is the part of a workflow file the test needs.
type ghWorkflow struct {
	Env  map[string]string `yaml:"env"`
	Jobs map[string]struct {
		Env   map[string]string `yaml:"env"`
		Steps []ghStep          `yaml:"steps"`
	} `yaml:"jobs"`
}

type ghStep struct {
	ID               string            `yaml:"id"`
	Run              string            `yaml:"run"`
	Env              map[string]string `yaml:"env"`
	WorkingDirectory string            `yaml:"working-directory"`
	Shell            string            `yaml:"shell"`
}

func readWorkflow(t *testing.T, path string) *ghWorkflow {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var w ghWorkflow
	if err := yaml.Unmarshal(data, &w); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return &w
}

// runner is a stand-in for the Actions runner: a workspace, the runner's
// variables and a PATH with feedpost on it.
type runner struct {
	t         *testing.T
	wf        *ghWorkflow
	workspace string
	env       []string
}

func newRunner(t *testing.T, wf *ghWorkflow, workspace, bin string) *runner {
	t.Helper()
	temp := t.TempDir()
	home := filepath.Join(temp, "home") // no git identity, as on a runner: the steps bring their own
	os.Mkdir(home, 0o755)
	env := []string{"PATH=" + filepath.Dir(bin) + string(os.PathListSeparator) + os.Getenv("PATH"), "HOME=" + home,
		"GIT_CONFIG_NOSYSTEM=1", "CI=true", "GITHUB_ACTIONS=true", "GITHUB_WORKSPACE=" + workspace,
		"GITHUB_EVENT_NAME=schedule", "GITHUB_REF_NAME=main", "GITHUB_RUN_ID=4242", "GITHUB_RUN_ATTEMPT=1",
		"RUNNER_TEMP=" + temp, "RUNNER_OS=Linux", "TZ=UTC", "NO_COLOR=1"}
	for _, k := range []string{"GOCACHE", "GOPATH", "GOMODCACHE", "GOFLAGS", "GOTOOLCHAIN"} { // unused by the steps; keeps go quiet if one is
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	return &runner{t: t, wf: wf, workspace: workspace, env: env}
}

var exprRE = regexp.MustCompile(`\$\{\{\s*(.*?)\s*\}\}`)

// expand evaluates the one kind of expression a run step may use here,
// ${{ env.NAME }}; any other needs GitHub, and fails the test.
func (r *runner) expand(s string, env map[string]string) string {
	return exprRE.ReplaceAllStringFunc(s, func(m string) string {
		e := exprRE.FindStringSubmatch(m)[1]
		if name, ok := strings.CutPrefix(e, "env."); ok {
			if v, ok := env[name]; ok {
				return v
			}
		}
		r.t.Fatalf("a step the test runs uses ${{ %s }}, which only GitHub can evaluate: pass it through env:", e)
		return ""
	})
}

// step runs the run: step id of job and returns what it wrote to
// $GITHUB_OUTPUT and its output.
func (r *runner) step(job, id string) (map[string]string, string) {
	r.t.Helper()
	var s *ghStep
	for i, st := range r.wf.Jobs[job].Steps {
		if st.ID == id {
			s = &r.wf.Jobs[job].Steps[i]
		}
	}
	if s == nil || s.Run == "" {
		r.t.Fatalf("job %s has no run: step with id %s", job, id)
	}
	if s.Shell != "" {
		r.t.Fatalf("step %s: shell %s; the test runs bash, the runner's default", id, s.Shell)
	}
	env := map[string]string{}
	for _, m := range []map[string]string{r.wf.Env, r.wf.Jobs[job].Env, s.Env} {
		for k, v := range m {
			env[k] = r.expand(v, env)
		}
	}
	dir := r.workspace
	if s.WorkingDirectory != "" {
		dir = filepath.Join(r.workspace, r.expand(s.WorkingDirectory, env))
	}
	script := filepath.Join(r.t.TempDir(), "step.sh")
	if err := os.WriteFile(script, []byte(r.expand(s.Run, env)), 0o644); err != nil {
		r.t.Fatal(err)
	}
	outputs := filepath.Join(r.t.TempDir(), "output")
	cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", script) // the runner's `shell: bash`
	cmd.Dir = dir
	cmd.Env = append([]string{}, r.env...)
	for _, k := range []string{"GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_PATH", "GITHUB_STEP_SUMMARY"} {
		f := outputs
		if k != "GITHUB_OUTPUT" {
			f += "." + k
		}
		cmd.Env = append(cmd.Env, k+"="+f)
	}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		r.t.Fatalf("step %s: %v\n%s", id, err, out)
	}
	got := map[string]string{}
	if f, err := os.Open(outputs); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), "="); ok {
				got[k] = v
			}
		}
		f.Close()
	}
	return got, string(out)
}

// git runs git in dir with an identity (the test's own commits).
func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=test", "GIT_AUTHOR_EMAIL=test@example.com",
		"GIT_COMMITTER_NAME=test", "GIT_COMMITTER_EMAIL=test@example.com", "GIT_CONFIG_NOSYSTEM=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// newRepo makes dir a git repository whose origin is a bare repository
// beside it, as actions/checkout leaves the work tree.
func newRepo(t *testing.T, dir string) {
	t.Helper()
	origin := dir + ".git"
	git(t, filepath.Dir(dir), "init", "-q", "--bare", "-b", "main", origin)
	os.MkdirAll(dir, 0o755)
	git(t, dir, "init", "-q", "-b", "main")
	git(t, dir, "remote", "add", "origin", origin)
}

func commitAll(t *testing.T, dir, msg string) {
	t.Helper()
	git(t, dir, "add", "-A")
	git(t, dir, "commit", "-q", "-m", msg)
	git(t, dir, "push", "-q", "origin", "HEAD:main")
}

// initWorkflow runs `feedpost init --github-actions` in dir with the example
// routes, commits and pushes what it wrote, and returns the workflow.
func initWorkflow(t *testing.T, bin, dir string) *ghWorkflow {
	t.Helper()
	rsshub, routes := fakeRSSHub(t)
	args := []string{"init", "--github-actions", "--rsshub", rsshub}
	for _, r := range routes {
		args = append(args, "--route", r)
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("feedpost init: %v\n%s", err, out)
	}
	commitAll(t, dir, "feedpost init")
	return readWorkflow(t, filepath.Join(dir, ".github", "workflows", "feedpost.yml"))
}

type fileState struct {
	data  string
	mtime time.Time
}

func snapshot(t *testing.T, pattern string) map[string]fileState {
	t.Helper()
	files, _ := filepath.Glob(pattern)
	out := map[string]fileState{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		st, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		out[f] = fileState{string(data), st.ModTime()}
	}
	return out
}

func needTools(t *testing.T, tools ...string) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary and runs the workflow's steps")
	}
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not on PATH", tool)
		}
	}
}

var dateRE = regexp.MustCompile(`(?m)^date: '([^']*)'$`)

// TestHexoWorkflowSurvivesALostStore runs the Hexo workflow's steps twice
// against the example, with the store deleted in between, as when GitHub
// evicts the cache: the second run changes no post file (bytes and mtime),
// commits nothing and keeps the first-seen date of the undated item.
func TestHexoWorkflowSurvivesALostStore(t *testing.T) {
	needTools(t, "git", "bash")
	work := t.TempDir()
	bin := buildFeedpost(t, t.TempDir())
	blog := hexoFixture(t, work)
	newRepo(t, blog)
	writeFile(t, filepath.Join(blog, ".gitignore"), "node_modules/\npublic/\ndb.json\n.feedpost/\n")
	commitAll(t, blog, "a Hexo blog")
	wf := initWorkflow(t, bin, blog)
	r := newRunner(t, wf, blog, bin)
	steps := []string{"run", "commit"}
	_, nodeErr := exec.LookPath("node")
	if _, err := os.Stat(filepath.Join(blog, "node_modules", "hexo")); err == nil && nodeErr == nil {
		steps = append(steps, "build")
	} else {
		t.Log("the blog's build step is not run: node or testdata/hexo-site/node_modules is missing (bash .ci/run installs them)")
	}
	cycle := func() map[string]string {
		var out map[string]string
		for _, id := range steps {
			o, log := r.step("update", id)
			if id == "commit" {
				out = o
				t.Logf("commit step:\n%s", log)
			}
		}
		return out
	}

	start := time.Now().Add(-time.Second)
	if out := cycle(); out["publish"] != "true" {
		t.Fatalf("first run: publish = %q, want true", out["publish"])
	}
	msg := git(t, blog, "log", "-1", "--format=%B", "origin/main")
	if !regexp.MustCompile(`^feedpost: \d+ new posts\n\n- `).MatchString(msg) {
		t.Errorf("commit message:\n%s", msg)
	}
	if files := git(t, blog, "show", "--name-only", "--format=", "origin/main"); strings.Contains(files, ".feedpost") || !strings.Contains(files, "source/_posts/") {
		t.Errorf("the commit holds:\n%s", files)
	}
	posts := filepath.Join(blog, "source", "_posts", "*.md")
	if len(steps) == 3 {
		for f := range snapshot(t, posts) {
			id := strings.TrimSuffix(filepath.Base(f), ".md")
			if _, err := os.Stat(filepath.Join(blog, "public", "posts", id, "index.html")); err != nil {
				t.Errorf("hexo generate made no page for %s: %v", id, err)
			}
		}
	}

	// The history: an undated item was first seen long ago. Its post is
	// dated by that, and only the (soon lost) store remembers it too.
	var undated []string
	for f, s := range snapshot(t, posts) {
		m := dateRE.FindStringSubmatch(s.data)
		if m == nil {
			continue
		}
		if d, err := time.Parse(time.RFC3339, m[1]); err == nil && d.After(start) {
			undated = append(undated, f)
			// Its updated: is its date too (the feed gives neither).
			data := strings.Replace(s.data, m[0], "date: '2020-01-02T08:00:00+08:00'", 1)
			data = strings.Replace(data, "updated: '"+m[1]+"'", "updated: '2020-01-02T08:00:00+08:00'", 1)
			writeFile(t, f, data)
		}
	}
	if len(undated) == 0 {
		t.Fatal("the example has no undated item: the test would prove nothing")
	}
	commitAll(t, blog, "posts first seen long ago")
	head := git(t, blog, "rev-parse", "origin/main")
	before := snapshot(t, posts)

	if err := os.RemoveAll(filepath.Join(blog, ".feedpost")); err != nil { // the cache was evicted
		t.Fatal(err)
	}
	if out := cycle(); out["publish"] != "false" {
		t.Errorf("second run: publish = %q, want false", out["publish"])
	}
	after := snapshot(t, posts)
	if len(after) != len(before) {
		t.Errorf("%d post files before, %d after", len(before), len(after))
	}
	var changed []string
	for f, s := range before {
		if after[f] != s {
			changed = append(changed, filepath.Base(f))
		}
	}
	sort.Strings(changed)
	if len(changed) > 0 {
		t.Errorf("the run after the store was lost changed %d post files: %v", len(changed), changed)
	}
	if got := git(t, blog, "rev-parse", "origin/main"); got != head {
		t.Errorf("the second run pushed a commit:\n%s", git(t, blog, "log", "-1", "--stat", "origin/main"))
	}
	if _, err := os.Stat(filepath.Join(blog, ".feedpost", "feedpost.db")); err != nil {
		t.Errorf("the second run left no store to cache: %v", err)
	}
}

// TestSiteWorkflowKeepsTheStore runs the built-in site's workflow steps: the
// store goes to the feedpost-state branch (without the proxy secret), and a
// run whose cache is gone restores it from there and builds the same site.
func TestSiteWorkflowKeepsTheStore(t *testing.T) {
	needTools(t, "git", "bash", "tar")
	bin := buildFeedpost(t, t.TempDir())
	repo := filepath.Join(t.TempDir(), "news")
	newRepo(t, repo)
	writeFile(t, filepath.Join(repo, ".gitignore"), ".feedpost/\npublic/\n")
	commitAll(t, repo, "a repository for the news site")
	wf := initWorkflow(t, bin, repo)
	r := newRunner(t, wf, repo, bin)

	out, log := r.step("update", "fallback")
	if out["snapshot"] != "true" || !strings.Contains(log, "No store anywhere") {
		t.Errorf("fallback on the first run: %v\n%s", out, log)
	}
	r.step("update", "run")
	pages := filepath.Join(repo, "public", "posts", "*", "index.html")
	first := snapshot(t, pages)
	if len(first) < 20 {
		t.Fatalf("the site has %d post pages", len(first))
	}
	writeFile(t, filepath.Join(repo, ".feedpost", "feedpost.secret"), "never to be pushed")
	r.step("update", "keep-store")
	files := git(t, repo, "ls-tree", "-r", "--name-only", "origin/feedpost-state")
	if !strings.Contains(files, "feedpost.db") || strings.Contains(files, "secret") {
		t.Errorf("the feedpost-state branch holds:\n%s", files)
	}
	if n := git(t, repo, "rev-list", "--count", "origin/feedpost-state"); n != "1" {
		t.Errorf("the feedpost-state branch has %s commits", n)
	}
	r.step("update", "keep-store") // replaces its commit
	if n := git(t, repo, "rev-list", "--count", "origin/feedpost-state"); n != "1" {
		t.Errorf("after a second snapshot the feedpost-state branch has %s commits, want 1", n)
	}

	// A new runner: the checkout has neither the store nor the site, and the
	// cache is gone.
	for _, d := range []string{".feedpost", "public"} {
		if err := os.RemoveAll(filepath.Join(repo, d)); err != nil {
			t.Fatal(err)
		}
	}
	if _, log := r.step("update", "fallback"); !strings.Contains(log, "restored the one of") {
		t.Errorf("fallback:\n%s", log)
	}
	r.step("update", "run")
	second := snapshot(t, pages)
	if len(second) != len(first) {
		t.Errorf("%d post pages before, %d after the store came back from the branch", len(first), len(second))
	}
	for f, s := range first {
		if !bytes.Equal([]byte(second[f].data), []byte(s.data)) {
			t.Errorf("%s differs after the store came back from the branch", f)
		}
	}
}
