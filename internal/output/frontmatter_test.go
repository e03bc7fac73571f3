package output

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestReadDate(t *testing.T) {
	shanghai := time.FixedZone("", 8*3600)
	cases := []struct {
		name, file string
		want       time.Time
		err        string // substring of the error; "" = no error
	}{
		{"quoted RFC 3339", "---\ntitle: 'a'\ndate: '2021-08-17T14:56:06+08:00'\n---\n\n<div></div>\n",
			time.Date(2021, 8, 17, 14, 56, 6, 0, shanghai), ""},
		{"CRLF lines", "---\r\ntitle: 'a'\r\ndate: '2021-08-17T14:56:06+08:00'\r\n---\r\n",
			time.Date(2021, 8, 17, 14, 56, 6, 0, shanghai), ""},
		{"YAML timestamp", "---\ndate: 2021-08-17 06:56:06\n---\n", time.Date(2021, 8, 17, 6, 56, 6, 0, time.UTC), ""},
		{"date in the body only", "---\ntitle: x\n---\ndate: '2021-08-17T14:56:06+08:00'\n", time.Time{}, "no date"},
		{"no front matter", "date: '2021-08-17T14:56:06+08:00'\n", time.Time{}, "no front matter"},
		{"not closed", "---\ndate: '2021-08-17T14:56:06+08:00'\n", time.Time{}, "no closing ---"},
		{"not a date", "---\ndate: 'yesterday'\n---\n", time.Time{}, "front matter date"},
		{"a list", "---\ndate: [1, 2]\n---\n", time.Time{}, "not a date"},
		{"bad YAML", "---\ndate: '2021\n---\n", time.Time{}, "front matter"},
		{"empty file", "", time.Time{}, "no front matter"},
	}
	dir := t.TempDir()
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, string(rune('a'+i))+".md")
			if err := os.WriteFile(path, []byte(c.file), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := ReadDate(path, "date")
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) || !strings.Contains(err.Error(), path) {
					t.Fatalf("err = %v, want one naming %s and saying %q", err, path, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equal(c.want) {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
	if _, err := ReadDate(filepath.Join(dir, "missing.md"), "date"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v, want fs.ErrNotExist", err)
	}
}
