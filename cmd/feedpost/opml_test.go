package main

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/feedpost/feedpost/internal/config"
)

const testOPML = `<?xml version="1.0" encoding="UTF-8"?>
<opml version="1.0">
  <head><title>feeds</title></head>
  <body>
    <outline text="新媒体">
      <outline text="趣头条">
        <outline type="rss" text="分类" xmlUrl="https://rsshub.app/qutoutiao/category/1"/>
      </outline>
      <outline type="rss" text="cnBeta" xmlUrl="https://www.cnbeta.com/backend.php"/>
    </outline>
    <outline type="rss" text="Existing" xmlUrl="https://example.com/existing.xml"/>
  </body>
</opml>`

// opmlRun runs feedpost with args and returns its exit code, stdout and stderr.
func opmlRun(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := execute(args, &out, &errb)
	return code, out.String(), errb.String()
}

func opmlWriteFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestImportOPMLPrints(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "feeds.opml")
	opmlWriteFile(t, file, testOPML)
	code, out, errb := opmlRun(t, "import-opml", file, "--category-from-outline", "-c", filepath.Join(dir, "missing.yaml"))
	want := `sources:
  - url: https://rsshub.app/qutoutiao/category/1
    name: 分类
    category: [新媒体, 趣头条]
  - url: https://www.cnbeta.com/backend.php
    name: cnBeta
    category: [新媒体]
  - url: https://example.com/existing.xml
    name: Existing
`
	if code != 0 || out != want {
		t.Errorf("exit %d, stderr %q, stdout:\n%s\nwant:\n%s", code, errb, out, want)
	}

	// With a config that sets rsshub:, RSSHub URLs become routes.
	cfgPath := filepath.Join(dir, "feedpost.yaml")
	opmlWriteFile(t, cfgPath, "rsshub: https://hub.example.com\nsources:\n  - url: https://example.com/existing.xml\n")
	code, out, _ = opmlRun(t, "import-opml", file, "-c", cfgPath)
	if code != 0 || !strings.Contains(out, "  - route: /qutoutiao/category/1\n    name: 分类\n") || strings.Contains(out, "category:") {
		t.Errorf("exit %d, stdout:\n%s", code, out)
	}
}

func TestImportOPMLWrite(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "feeds.opml")
	opmlWriteFile(t, file, testOPML)
	cfgPath := filepath.Join(dir, "feedpost.yaml")
	orig := `# my news site
site:
  title: 新闻 # the title

rsshub: https://rsshub.app
sources:
    # keep this comment
    - url: https://example.com/existing.xml
      category: [旧]
# trailing comment`
	opmlWriteFile(t, cfgPath, orig)

	code, out, errb := opmlRun(t, "-c", cfgPath, "import-opml", file, "--category-from-outline", "--write")
	if code != 0 || out != "" || !strings.Contains(errb, "added 2 sources") || !strings.Contains(errb, "1 already there") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errb)
	}
	data, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	want := orig + `
    - route: /qutoutiao/category/1
      name: 分类
      category: [新媒体, 趣头条]
    - url: https://www.cnbeta.com/backend.php
      name: cnBeta
      category: [新媒体]
`
	if string(data) != want {
		t.Errorf("config after --write:\n%s\nwant:\n%s", data, want)
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, s := range cfg.Sources {
		keys = append(keys, s.Key)
	}
	if want := []string{"https://example.com/existing.xml", "分类", "cnBeta"}; !reflect.DeepEqual(keys, want) {
		t.Errorf("keys %q, want %q", keys, want)
	}

	// A second import adds nothing and leaves the file as it is.
	code, _, errb = opmlRun(t, "-c", cfgPath, "import-opml", file, "--write")
	after, _ := os.ReadFile(cfgPath)
	if code != 0 || !strings.Contains(errb, "nothing to add") || string(after) != want {
		t.Errorf("second import: exit %d, stderr %q, file changed: %v", code, errb, string(after) != want)
	}
}

func TestImportOPMLWriteRefuses(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "feeds.opml")
	opmlWriteFile(t, file, testOPML)
	configs := map[string]string{
		"not last":  "sources:\n  - url: https://example.org/a.xml\nsite:\n  title: x\n",
		"flow list": "sources: [{url: https://example.org/a.xml}]\n",
	}
	for name, body := range configs {
		cfgPath := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".yaml")
		opmlWriteFile(t, cfgPath, body)
		code, _, errb := opmlRun(t, "-c", cfgPath, "import-opml", file, "--write")
		after, _ := os.ReadFile(cfgPath)
		if code != exitUsage || !strings.Contains(errb, "cannot simply be appended") || string(after) != body {
			t.Errorf("%s: exit %d, stderr %q, file changed: %v", name, code, errb, string(after) != body)
		}
	}
	// A broken OPML is a usage error naming the cause.
	bad := filepath.Join(dir, "bad.opml")
	opmlWriteFile(t, bad, `<rss version="2.0"></rss>`)
	code, _, errb := opmlRun(t, "import-opml", bad)
	if code != exitUsage || !strings.Contains(errb, "not an OPML file") {
		t.Errorf("bad OPML: exit %d, stderr %q", code, errb)
	}
	code, _, errb = opmlRun(t, "import-opml", filepath.Join(dir, "nope.opml"))
	if code != exitUsage || !strings.Contains(errb, "no such file") {
		t.Errorf("missing OPML: exit %d, stderr %q", code, errb)
	}
}

func TestExportOPML(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "feedpost.yaml")
	opmlWriteFile(t, cfgPath, `rsshub: https://rsshub.app
rsshub_key: secret
sources:
  - route: /qutoutiao/category/1
    category: [新媒体, 趣头条, 分类]
  - url: https://www.cnbeta.com/backend.php
    name: cnBeta
`)
	code, out, errb := opmlRun(t, "-c", cfgPath, "export-opml")
	if code != 0 || !strings.Contains(out, `<outline text="分类" title="分类">`) ||
		!strings.Contains(out, `xmlUrl="https://rsshub.app/qutoutiao/category/1"`) || strings.Contains(out, "secret") {
		t.Errorf("exit %d, stderr %q, stdout:\n%s", code, errb, out)
	}

	// -o writes the file; importing it back gives the same sources.
	opmlPath := filepath.Join(dir, "out.opml")
	if code, _, errb := opmlRun(t, "-c", cfgPath, "export-opml", "-o", opmlPath); code != 0 {
		t.Fatalf("export -o: exit %d, stderr %q", code, errb)
	}
	if data, err := os.ReadFile(opmlPath); err != nil || string(data) != out {
		t.Errorf("-o file differs from stdout: %v", err)
	}
	code, yml, errb := opmlRun(t, "-c", cfgPath, "import-opml", opmlPath, "--category-from-outline")
	want := `sources:
  - route: /qutoutiao/category/1
    category: [新媒体, 趣头条, 分类]
  - url: https://www.cnbeta.com/backend.php
    name: cnBeta
`
	if code != 0 || yml != want {
		t.Errorf("re-import: exit %d, stderr %q:\n%s\nwant:\n%s", code, errb, yml, want)
	}

	if code, _, _ := opmlRun(t, "-c", filepath.Join(dir, "missing.yaml"), "export-opml"); code != exitUsage {
		t.Errorf("missing config: exit %d, want %d", code, exitUsage)
	}
}
