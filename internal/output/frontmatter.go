package output

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"go.yaml.in/yaml/v3"
)

// maxFrontMatter bounds how much of a post file ReadDate reads: front matter
// is a few hundred bytes, and a file without its closing --- must not be
// read whole.
const maxFrontMatter = 256 << 10

// ReadDate returns the time under key (e.g. "date") in the YAML front matter
// of the post file at path: a quoted RFC 3339 string, as feedpost writes
// it, or a YAML timestamp, as a hand-written post may have it.
//
// The pipeline asks for it when the store has lost an item it already wrote
// (a new store, or a CI cache that was evicted): the post file is then the
// only record of when the item was first seen, and keeping that date is what
// makes a re-run leave the file alone. A missing file is an error that
// satisfies errors.Is(err, fs.ErrNotExist).
func ReadDate(path, key string) (time.Time, error) {
	f, err := os.Open(path)
	if err != nil {
		return time.Time{}, err
	}
	defer f.Close()
	fm, err := frontMatter(bufio.NewReader(io.LimitReader(f, maxFrontMatter)))
	if err != nil {
		return time.Time{}, fmt.Errorf("%s: %w", path, err)
	}
	var m map[string]any
	if err := yaml.Unmarshal(fm, &m); err != nil {
		return time.Time{}, fmt.Errorf("%s: front matter: %w", path, err)
	}
	switch v := m[key].(type) {
	case time.Time:
		return v, nil
	case string:
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return time.Time{}, fmt.Errorf("%s: front matter %s: %w", path, key, err)
		}
		return t, nil
	case nil:
		return time.Time{}, fmt.Errorf("%s: front matter has no %s", path, key)
	default:
		return time.Time{}, fmt.Errorf("%s: front matter %s is a %T, not a date", path, key, v)
	}
}

// frontMatter returns the lines between the opening and the closing ---.
func frontMatter(r *bufio.Reader) ([]byte, error) {
	first, err := r.ReadBytes('\n')
	if !bytes.Equal(bytes.TrimRight(first, "\r\n"), []byte("---")) {
		if err != nil && err != io.EOF {
			return nil, err
		}
		return nil, errors.New("no front matter (the file does not start with ---)")
	}
	var fm []byte
	for {
		line, err := r.ReadBytes('\n')
		if bytes.Equal(bytes.TrimRight(line, "\r\n"), []byte("---")) {
			return fm, nil
		}
		fm = append(fm, line...)
		if err == io.EOF {
			return nil, errors.New("front matter has no closing ---")
		}
		if err != nil {
			return nil, err
		}
	}
}
