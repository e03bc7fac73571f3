package parse

import (
	"slices"
	"strings"

	"github.com/gogs/chardet"
	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// detectSample bounds how much of the body charset detection reads; the
// detector itself looks at no more than 8 KB of text outside tags.
const detectSample = 64 << 10

// detectConfidence is the chardet confidence (1–100) from which its answer
// is taken. Below it chardet guesses: a few Chinese characters score 10, as
// do a few accented Latin letters, whatever the charset.
const detectConfidence = 50

// A detector picks the charset of a body that is not UTF-8 and declares none
// (or wrongly declares UTF-8). The name returned is the WHATWG name of the
// decoder, for the note.
type detector func(data []byte) (encoding.Encoding, string)

// detectCharset is the detector Parse uses, as browsers and feedparser
// detect: what the statistical detector (gogs/chardet, a port of ICU's) is
// sure of; else fallbackCharset.
func detectCharset(data []byte) (encoding.Encoding, string) {
	sample := data[:min(len(data), detectSample)]
	if enc, name := chardetGuess(sample); enc != nil {
		return enc, name
	}
	return fallbackCharset(sample)
}

// fallbackCharset is GB18030 when the bytes look like GBK text (short
// Chinese texts, where the statistical detector is unsure), else
// windows-1252, the web's default for legacy bytes.
//
// FuzzParse uses it alone: chardet runs its recognizers in goroutines whose
// order varies, so the fuzzer's coverage of an input varies from run to run
// and it spends its time minimizing what it cannot reproduce. FuzzCharset
// covers detectCharset whole.
func fallbackCharset(sample []byte) (encoding.Encoding, string) {
	if looksGBK(sample) {
		return simplifiedchinese.GB18030, "gb18030"
	}
	return charmap.Windows1252, "windows-1252"
}

// chardetGuess returns the detector's answer when it is confident and names
// a charset x/net/html/charset decodes (UTF-16/32 and the ISO-2022 variants
// WHATWG maps to "replacement" are left out: without a BOM they are not what
// an ASCII-compatible XML body is). Among equally confident answers the
// first by name wins, so the result does not depend on the detector's
// goroutine scheduling.
func chardetGuess(sample []byte) (encoding.Encoding, string) {
	all, err := chardet.NewHtmlDetector().DetectAll(sample)
	if err != nil || len(all) == 0 || all[0].Confidence < detectConfidence {
		return nil, ""
	}
	var best []string
	for _, r := range all {
		if r.Confidence == all[0].Confidence {
			best = append(best, r.Charset)
		}
	}
	slices.Sort(best)
	for _, label := range best {
		enc, name := charset.Lookup(label)
		if enc == nil || name == "replacement" || strings.HasPrefix(name, "utf-") {
			continue
		}
		return enc, name
	}
	return nil, ""
}

// looksGBK reports whether every byte above ASCII is part of a well-formed
// GBK pair and most pairs lie in GB2312's range of common characters (both
// bytes 0xA1–0xFE). Latin-1 text fails it: its accented letters stand alone
// or before ASCII letters.
func looksGBK(data []byte) bool {
	pairs, common := 0, 0
	for i := 0; i < len(data); i++ {
		b := data[i]
		if b < 0x80 {
			continue
		}
		if i+1 == len(data) {
			break // the sample may end inside a pair
		}
		if b == 0x80 || b == 0xFF {
			return false
		}
		t := data[i+1]
		if t < 0x40 || t == 0x7F || t == 0xFF {
			return false
		}
		pairs++
		if b >= 0xA1 && t >= 0xA1 {
			common++
		}
		i++
	}
	return pairs > 0 && common*5 >= pairs*4
}
