package hexo

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/feedpost/feedpost/internal/output"
)

// Author is a feed author's entry in a theme's authors data file
// (Volantis source/_data/author.yml, Stellar source/_data/authors.yml):
// the post's `author:` value is the entry's key.
type Author struct {
	Key    string // the posts' `author:` value
	Name   string
	Avatar string // the feed's icon
	URL    string // the feed's site
}

// UpdateAuthors adds to the YAML data file at path an entry for every
// author whose key it lacks, and to an existing entry the fields (name,
// avatar, url) it lacks; it changes nothing else. The file is the user's
// too (their own entries, comments, formatting), so it is edited as text:
// new entries are appended, missing fields are inserted under their entry,
// and every other byte stays as it was. A file that is not a YAML mapping
// is left alone with an error. It returns the keys of the entries it added
// or completed, and writes nothing when there are none.
func UpdateAuthors(path string, authors []Author) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("authors file %s: %w", path, err)
	}
	out, changed, err := addAuthors(data, authors)
	if err != nil {
		return nil, fmt.Errorf("authors file %s: %w; left as it is", path, err)
	}
	if len(changed) == 0 {
		return nil, nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("authors file %s: %w", path, err)
	}
	if _, err := output.WriteFile(path, out); err != nil {
		return nil, fmt.Errorf("authors file %s: %w", path, err)
	}
	return changed, nil
}

// authorFields are the fields of an entry, in the order they are written.
var authorFields = []string{"name", "avatar", "url"}

func (a Author) field(name string) string {
	switch name {
	case "name":
		return a.Name
	case "avatar":
		return a.Avatar
	}
	return a.URL
}

// addAuthors returns data with the missing entries and fields added, and
// the keys it added or completed.
func addAuthors(data []byte, authors []Author) ([]byte, []string, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, nil, fmt.Errorf("invalid YAML: %w", err)
	}
	var root *yaml.Node
	if len(doc.Content) > 0 {
		root = doc.Content[0]
		if root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null" {
			root = nil // a file of comments only
		} else if root.Kind != yaml.MappingNode || root.Style&yaml.FlowStyle != 0 {
			return nil, nil, errors.New("not a block mapping of author entries")
		}
	}
	nl := "\n"
	if bytes.Contains(data, []byte("\r\n")) {
		nl = "\r\n"
	}
	lines := strings.SplitAfter(string(data), "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	indent, indentSeen := 2, false
	entries := map[string]*yaml.Node{} // key → value
	keyLine := map[string]int{}
	if root != nil {
		for i := 0; i+1 < len(root.Content); i += 2 {
			k, v := root.Content[i], root.Content[i+1]
			entries[k.Value], keyLine[k.Value] = v, k.Line
			if v.Kind == yaml.MappingNode && v.Style&yaml.FlowStyle == 0 && len(v.Content) > 0 && !indentSeen {
				indent, indentSeen = max(1, v.Content[0].Column-k.Column), true // follow the user's indentation
			}
		}
	}

	sorted := slices.Clone(authors)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Key < sorted[j].Key })
	type insert struct {
		after int // 1-based line the new lines follow
		text  string
	}
	var inserts []insert
	var appended strings.Builder
	var changed []string
	seen := map[string]bool{}
	for _, a := range sorted {
		if a.Key == "" || seen[a.Key] {
			continue
		}
		seen[a.Key] = true
		v, ok := entries[a.Key]
		if !ok {
			appended.WriteString(output.Scalar(a.Key) + ":" + nl)
			for _, f := range authorFields {
				if val := a.field(f); val != "" {
					appended.WriteString(strings.Repeat(" ", indent) + f + ": " + output.Quote(val) + nl)
				}
			}
			changed = append(changed, a.Key)
			continue
		}
		if v.Kind != yaml.MappingNode || v.Style&yaml.FlowStyle != 0 || len(v.Content) == 0 {
			continue // the user's own shape: never touched
		}
		have := map[string]bool{}
		for i := 0; i+1 < len(v.Content); i += 2 {
			have[v.Content[i].Value] = true
		}
		var add strings.Builder
		pad := strings.Repeat(" ", v.Content[0].Column-1)
		for _, f := range authorFields {
			if val := a.field(f); val != "" && !have[f] {
				add.WriteString(pad + f + ": " + output.Quote(val) + nl)
			}
		}
		if add.Len() > 0 {
			inserts = append(inserts, insert{after: keyLine[a.Key], text: add.String()})
			changed = append(changed, a.Key)
		}
	}
	if len(changed) == 0 {
		return data, nil, nil
	}
	sort.Slice(inserts, func(i, j int) bool { return inserts[i].after > inserts[j].after })
	for _, in := range inserts {
		if in.after < 1 || in.after > len(lines) {
			return nil, nil, fmt.Errorf("entry at line %d: cannot place the new fields", in.after)
		}
		if !strings.HasSuffix(lines[in.after-1], "\n") {
			lines[in.after-1] += nl
		}
		lines = slices.Insert(lines, in.after, in.text)
	}
	text := strings.Join(lines, "")
	if appended.Len() > 0 {
		if text != "" && !strings.HasSuffix(text, "\n") {
			text += nl
		}
		text += appended.String()
	}
	// The edit must leave a mapping holding every entry it had and the new
	// ones, each a mapping where it was one: anything else means the text
	// was not what the parse said, and the user's file is not risked.
	var check yaml.Node
	if err := yaml.Unmarshal([]byte(text), &check); err != nil || len(check.Content) == 0 || check.Content[0].Kind != yaml.MappingNode {
		return nil, nil, fmt.Errorf("the edited file would not parse (%v)", err)
	}
	after := map[string]*yaml.Node{}
	m := check.Content[0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		after[m.Content[i].Value] = m.Content[i+1]
	}
	for k, v := range entries {
		if a, ok := after[k]; !ok || a.Kind != v.Kind {
			return nil, nil, fmt.Errorf("the edited file would lose the entry %q", k)
		}
	}
	for _, k := range changed {
		if a, ok := after[k]; !ok || a.Kind != yaml.MappingNode {
			return nil, nil, fmt.Errorf("the edited file would not hold the entry %q", k)
		}
	}
	return []byte(text), changed, nil
}
