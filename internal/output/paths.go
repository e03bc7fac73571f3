package output

import (
	"path/filepath"
	"strings"
)

// Inside reports whether path is dir or lies inside it (both cleaned,
// compared as written: no symlinks are resolved).
func Inside(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}
