package hexo

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestAddAuthors(t *testing.T) {
	qtt := Author{Key: "趣头条", Name: "趣头条", Avatar: "https://qtt.example/i.png", URL: "https://qtt.example/"}
	kr := Author{Key: "36氪", Name: "36氪", URL: "https://36kr.example/"}
	tests := []struct {
		name    string
		in      string
		authors []Author
		want    string
		changed []string
		err     string
	}{
		{"new file", "", []Author{qtt, kr},
			"'36氪':\n  name: '36氪'\n  url: 'https://36kr.example/'\n" +
				"趣头条:\n  name: '趣头条'\n  avatar: 'https://qtt.example/i.png'\n  url: 'https://qtt.example/'\n",
			[]string{"36氪", "趣头条"}, ""},
		{"the user's entries, comments and style stay byte for byte",
			"# 作者们\nme:   # 我\n    name: \"我\"\n    avatar: /me.png\n\n# 结尾注释", []Author{qtt},
			"# 作者们\nme:   # 我\n    name: \"我\"\n    avatar: /me.png\n\n# 结尾注释\n" +
				"趣头条:\n    name: '趣头条'\n    avatar: 'https://qtt.example/i.png'\n    url: 'https://qtt.example/'\n",
			[]string{"趣头条"}, ""},
		{"an existing entry gets only its missing fields",
			"趣头条:\n  name: 趣头条的自定义名字 # 用户改过\n  bio: 新闻\nother: {name: x}\n", []Author{qtt},
			"趣头条:\n  avatar: 'https://qtt.example/i.png'\n  url: 'https://qtt.example/'\n  name: 趣头条的自定义名字 # 用户改过\n  bio: 新闻\nother: {name: x}\n",
			[]string{"趣头条"}, ""},
		{"a complete entry is left alone",
			"趣头条:\n  name: 别名\n  avatar: /a.png\n  url: /\n", []Author{qtt},
			"趣头条:\n  name: 别名\n  avatar: /a.png\n  url: /\n", nil, ""},
		{"an entry of the user's own shape is left alone",
			"趣头条: {name: 别名}\n'36氪': 一个字符串\n", []Author{qtt, kr},
			"趣头条: {name: 别名}\n'36氪': 一个字符串\n", nil, ""},
		{"CRLF file", "me:\r\n  name: 我\r\n", []Author{kr},
			"me:\r\n  name: 我\r\n'36氪':\r\n  name: '36氪'\r\n  url: 'https://36kr.example/'\r\n", []string{"36氪"}, ""},
		{"comments only", "# 还没有作者\n", []Author{kr},
			"# 还没有作者\n'36氪':\n  name: '36氪'\n  url: 'https://36kr.example/'\n", []string{"36氪"}, ""},
		{"invalid YAML is not touched", "me: [unclosed\n", []Author{kr}, "", nil, "invalid YAML"},
		{"a list is not touched", "- a\n- b\n", []Author{kr}, "", nil, "not a block mapping"},
		{"a flow mapping is not touched", "{me: {name: x}}\n", []Author{kr}, "", nil, "not a block mapping"},
		{"keys that need quoting", "", []Author{{Key: "@at: x", Name: "@at: x"}},
			"'@at: x':\n  name: '@at: x'\n", []string{"@at: x"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, changed, err := addAuthors([]byte(tt.in), tt.authors)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("want error %q, got %v", tt.err, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tt.want)
			}
			if !slices.Equal(changed, tt.changed) {
				t.Errorf("changed %q, want %q", changed, tt.changed)
			}
		})
	}
}

func TestUpdateAuthorsFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "source", "_data", "author.yml")
	a := []Author{{Key: "源", Name: "源", URL: "https://s.example/"}}
	changed, err := UpdateAuthors(path, a)
	if err != nil || len(changed) != 1 {
		t.Fatalf("first update: %v %v", changed, err)
	}
	info, _ := os.Stat(path)
	changed, err = UpdateAuthors(path, a)
	info2, _ := os.Stat(path)
	if err != nil || len(changed) != 0 || !info.ModTime().Equal(info2.ModTime()) {
		t.Fatalf("second update changed %v (%v) or rewrote the file", changed, err)
	}
	os.WriteFile(path, []byte("broken: [\n"), 0o644)
	if _, err := UpdateAuthors(path, a); err == nil || !strings.Contains(err.Error(), "left as it is") {
		t.Fatalf("broken file: %v", err)
	}
	if data, _ := os.ReadFile(path); string(data) != "broken: [\n" {
		t.Fatalf("broken file changed: %q", data)
	}
}
