package parse

import (
	"strings"
	"testing"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/simplifiedchinese"
)

func encodeIn(t *testing.T, e encoding.Encoding, s string) string {
	t.Helper()
	b, err := e.NewEncoder().String(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestLooksGBK(t *testing.T) {
	for in, want := range map[string]bool{
		encodeIn(t, simplifiedchinese.GBK, "新闻"):               true,
		encodeIn(t, simplifiedchinese.GBK, "ASCII 和 中文 mixed"): true,
		encodeIn(t, charmap.Windows1252, "Brøndby"):            false,
		encodeIn(t, charmap.Windows1252, "Größere Änderungen"): false,
		encodeIn(t, charmap.Windows1252, "“quoted”"):           false,
		"plain ASCII": false,
		encodeIn(t, simplifiedchinese.GBK, strings.Repeat("中", 9)): true,
	} {
		if got := looksGBK([]byte(in)); got != want {
			t.Errorf("looksGBK(%q) = %v, want %v", in, got, want)
		}
	}
}
