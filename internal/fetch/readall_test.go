package fetch

import (
	"strings"
	"testing"
)

// readAll reads everything whatever the hint says (a wrong Content-Length,
// a file that grew), and never more than one byte past the limit.
func TestReadAll(t *testing.T) {
	body := strings.Repeat("x", 10000)
	for _, tc := range []struct {
		name        string
		hint, limit int64
		want        int
	}{
		{"no hint", 0, 20000, 10000},
		{"exact hint", 10000, 20000, 10000},
		{"hint too small", 100, 20000, 10000},
		{"hint too large", 15000, 20000, 10000},
		{"hint over the limit", 50000, 20000, 10000},
		{"body over the limit", 10000, 5000, 5001},
		{"body over the limit, no hint", 0, 5000, 5001},
	} {
		got, err := readAll(strings.NewReader(body), tc.hint, tc.limit)
		if err != nil || len(got) != tc.want || strings.Trim(string(got), "x") != "" {
			t.Errorf("%s: %d bytes, %v; want %d", tc.name, len(got), err, tc.want)
		}
	}
}
