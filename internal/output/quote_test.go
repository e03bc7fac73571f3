package output

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// controlValues hold the characters YAML parsers read differently or refuse
// raw (issue 12, item 9): C0 and C1 controls, DEL, NEL, the line and
// paragraph separators, a BOM and the noncharacters.
var controlValues = []string{
	"标题\u0085NEL", "a\u2028b", "a\u2029b", "\ufeffBOM", "c1\u0080\u009f", "del\x7f", "bell\x07",
	"nel then marker\u0085--- x", "ls then marker\u2028... y", "nonchar\ufffe\uffff", "all\u0085\u2028\u2029\ufeff\u0080\x01",
}

// TestQuoteControls: every such value reads back as itself in go-yaml (Hugo)
// and, when Node and the Hexo test site are installed, in js-yaml (Hexo), and
// no such character is written raw.
func TestQuoteControls(t *testing.T) {
	var doc strings.Builder
	for i, v := range controlValues {
		q := Quote(v)
		for _, r := range q {
			if needsEscape(r) {
				t.Errorf("Quote(%q) = %q writes %U raw", v, q, r)
			}
		}
		doc.WriteString("k" + string(rune('a'+i)) + ": " + q + "\n")
	}
	var goYAML map[string]string
	if err := yaml.Unmarshal([]byte(doc.String()), &goYAML); err != nil {
		t.Fatalf("go-yaml: %v\n%s", err, doc.String())
	}
	for i, v := range controlValues {
		if got := goYAML["k"+string(rune('a'+i))]; got != v {
			t.Errorf("go-yaml reads Quote(%q) as %q", v, got)
		}
	}
	if got := Quote("bad\xffutf8"); got != "\"bad\ufffdutf8\"" {
		t.Errorf("invalid UTF-8: %s", got)
	}

	jsYAML, err := filepath.Abs(filepath.Join("..", "..", "testdata", "hexo-site", "node_modules", "js-yaml"))
	if err != nil {
		t.Fatal(err)
	}
	node, err := exec.LookPath("node")
	if _, serr := os.Stat(jsYAML); err != nil || serr != nil {
		t.Skip("node or testdata/hexo-site/node_modules (js-yaml, Hexo's YAML parser) missing; run `bash .ci/run`")
	}
	script := `const y = require(process.argv[1]); let s = ""; process.stdin.on("data", d => s += d);
process.stdin.on("end", () => process.stdout.write(JSON.stringify(y.load(s))));`
	cmd := exec.Command(node, "-e", script, jsYAML)
	cmd.Stdin = strings.NewReader(doc.String())
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("js-yaml: %v", err)
	}
	var js map[string]string
	if err := json.Unmarshal(out, &js); err != nil {
		t.Fatal(err)
	}
	for i, v := range controlValues {
		if got := js["k"+string(rune('a'+i))]; got != v {
			t.Errorf("js-yaml reads Quote(%q) as %q", v, got)
		}
	}
}
