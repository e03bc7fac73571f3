package parse

import (
	"errors"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/itlightning/dateparse"
	"github.com/mmcdole/gofeed"
	jsonfeed "github.com/mmcdole/gofeed/json"
)

// dates reads the dates of one feed. Feeds write dates every way there is:
// RFC 822 with or without weekday or seconds, two-digit years, ISO 8601
// without seconds or zone, "2020/1/10 14:33:00", "2021年8月17日 14:56",
// "GMT+8", zone abbreviations, Unix timestamps. The long tail is left to
// libraries: github.com/itlightning/dateparse (a maintained fork of
// araddon/dateparse: one state machine for some hundred layouts, zone-less
// dates read in a given location), then gofeed's own list of layouts met in
// feeds. What neither does is done here first: offsets written "GMT+8",
// zone abbreviations read with a fixed table (Go's time package and
// dateparse give an abbreviation they do not know a zero offset), CST read
// as China's when the feed or the source is Chinese, dotted dates read day
// first.
type dates struct {
	loc     *time.Location // for dates that carry no zone
	chinese bool           // CST is China Standard Time (+08:00), not US Central
}

// newDates: loc nil means UTC. CST is China's when the feed's language is
// Chinese or the source's zone is one of China's (Taiwan's and Hong Kong's
// included: their feeds write CST for +08:00 too).
func newDates(loc *time.Location, feedLanguage string) dates {
	if loc == nil {
		loc = time.UTC
	}
	lang := strings.ToLower(strings.TrimSpace(feedLanguage))
	return dates{loc: loc, chinese: lang == "zh" || strings.HasPrefix(lang, "zh-") || strings.HasPrefix(lang, "zh_") ||
		chineseZones[loc.String()]}
}

var chineseZones = map[string]bool{
	"Asia/Shanghai": true, "Asia/Chongqing": true, "Asia/Chungking": true, "Asia/Harbin": true,
	"Asia/Urumqi": true, "Asia/Kashgar": true, "PRC": true, "Asia/Hong_Kong": true, "Hongkong": true,
	"Asia/Macau": true, "Asia/Macao": true, "Asia/Taipei": true, "ROC": true,
}

// first returns the first of texts that parses; zero when none does.
func (d dates) first(texts ...string) time.Time {
	for _, s := range texts {
		if t := d.parse(s); !t.IsZero() {
			return t
		}
	}
	return time.Time{}
}

// parse reads one date, in UTC; zero when absent or unreadable. The layouts
// nearly every feed uses are tried first, directly.
func (d dates) parse(s string) time.Time {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}
	}
	for _, layout := range []string{time.RFC1123Z, time.RFC3339} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	if strings.HasSuffix(s, " GMT") || strings.HasSuffix(s, " UTC") {
		if t, err := time.Parse(time.RFC1123, s); err == nil {
			return t.UTC()
		}
	}
	norm := d.normalise(s)
	t, err := dateparse.ParseIn(norm, d.loc, dateparse.RetryAmbiguousDateWithSwap(true), dateparse.SimpleErrorMessages(true))
	if err != nil {
		t, err = d.gofeedDate(norm, s)
	}
	if err != nil || t.Year() < 1900 || t.Year() > 9999 {
		return time.Time{}
	}
	return t.UTC()
}

// gofeedDate tries gofeed's list of layouts seen in feeds, which has odd
// spellings dateparse refuses ("Tue,17 Aug 2021", "14:56:06EST",
// "2:56 p.m."): on the normalised text, then on the text as written (its
// table of zone names knows layouts the numeric offset no longer fits), but
// not when that would read CST as US Central in a Chinese feed. gofeed reads
// a zone-less date as UTC: its wall clock is then taken in the source's zone.
func (d dates) gofeedDate(norm, orig string) (time.Time, error) {
	t, err := gofeedDate(norm)
	if err != nil && orig != norm && !(d.chinese && strings.Contains(orig, "CST")) {
		t, err = gofeedDate(orig)
	}
	if err == nil && t.Location() == time.UTC && !explicitUTC.MatchString(orig) {
		t = time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), d.loc)
	}
	return t, err
}

// gofeedDate is gofeed's lenient date parser. It is internal to gofeed; its
// JSON translator is the exported door to it, and a cheap one (no HTML
// scanning).
func gofeedDate(s string) (time.Time, error) {
	f := &jsonfeed.Feed{Items: []*jsonfeed.Item{{DatePublished: s}}}
	t, err := (&gofeed.DefaultJSONTranslator{}).Translate(f)
	if err != nil || len(t.Items) != 1 || t.Items[0].PublishedParsed == nil {
		return time.Time{}, errors.New("not a date")
	}
	return *t.Items[0].PublishedParsed, nil
}

var (
	// "GMT+8", "UTC+08:00", "GMT-0500", "GMT +8".
	gmtOffset = regexp.MustCompile(`(?i)\b(?:GMT|UTC|UT)\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?\b`)
	// A numeric offset already in the text: "+0800", "-07:00", after the
	// clock or a space (not the "-2021" of "17-08-2021").
	numericOffset = regexp.MustCompile(`(?:\d:\d\d(?::\d\d)?(?:[.,]\d+)?|\s)\s*[+-]\d{2}:?\d{2}\b`)
	// A trailing "(China Standard Time)", as JavaScript's Date.toString writes.
	zoneComment = regexp.MustCompile(`\s*\([^()]*\)\s*$`)
	// A word that may be a zone abbreviation.
	zoneWord = regexp.MustCompile(`\b[A-Z]{2,5}\b`)
	// "14时56分06秒", "14点56分".
	chineseClock = regexp.MustCompile(`(\d{1,2})\s*[时時点點]\s*(\d{1,2})\s*分(?:\s*(\d{1,2})\s*秒)?`)
	// "17.08.2021": dotted dates put the day first (German, Russian...).
	dottedDate = regexp.MustCompile(`^(\d{1,2})\.(\d{1,2})\.(\d{4})\b`)
	// A date that names UTC: the zone-less reading does not apply.
	explicitUTC = regexp.MustCompile(`(?i)\b(?:gmt|utc|ut|z)\b|\dz\b|[+-]0{1,2}:?00\b`)
	// "2:56 p.m."
	dottedMeridiem = regexp.MustCompile(`(?i)\b([ap])\.m\.`)
	// "14:56:06EST": a zone glued to the clock.
	gluedZone = regexp.MustCompile(`(\d)([A-Z]{2,5})\b`)
)

// zoneOffsets are the zone abbreviations seen in feed dates, in seconds east
// of UTC. Ambiguous ones take the reading that dominates feeds (IST, which
// is India, Ireland and Israel, is left out); CST is decided per feed.
var zoneOffsets = map[string]int{
	"UT": 0, "UTC": 0, "GMT": 0, "Z": 0, "WET": 0,
	"WEST": 1 * 3600, "BST": 1 * 3600, "CET": 1 * 3600, "MET": 1 * 3600,
	"CEST": 2 * 3600, "MEST": 2 * 3600, "EET": 2 * 3600, "EEST": 3 * 3600, "MSK": 3 * 3600,
	"EST": -5 * 3600, "EDT": -4 * 3600, "CDT": -5 * 3600,
	"MST": -7 * 3600, "MDT": -6 * 3600, "PST": -8 * 3600, "PDT": -7 * 3600,
	"AKST": -9 * 3600, "AKDT": -8 * 3600, "HST": -10 * 3600,
	"BJT": 8 * 3600, "CCT": 8 * 3600, "HKT": 8 * 3600, "SGT": 8 * 3600, "AWST": 8 * 3600,
	"JST": 9 * 3600, "KST": 9 * 3600, "ACST": 9*3600 + 1800, "AEST": 10 * 3600, "AEDT": 11 * 3600,
	"NZST": 12 * 3600, "NZDT": 13 * 3600,
}

// normalise rewrites what dateparse does not read into what it does: the
// zone as a numeric offset, Chinese clock words as "hh:mm:ss".
func (d dates) normalise(s string) string {
	s = zoneComment.ReplaceAllString(s, "")
	s = strings.ReplaceAll(s, "北京时间", " +0800")
	s = dottedDate.ReplaceAllString(s, "$3-$2-$1")
	s = gluedZone.ReplaceAllString(s, "$1 $2")
	s = dottedMeridiem.ReplaceAllStringFunc(s, func(m string) string { return strings.ToUpper(m[:1]) + "M" })
	s = chineseClock.ReplaceAllStringFunc(s, func(m string) string {
		g := chineseClock.FindStringSubmatch(m)
		if g[3] == "" {
			g[3] = "0"
		}
		return g[1] + ":" + g[2] + ":" + g[3]
	})
	s = gmtOffset.ReplaceAllStringFunc(s, func(m string) string {
		g := gmtOffset.FindStringSubmatch(m)
		h, _ := strconv.Atoi(g[2])
		mm := g[3]
		if mm == "" {
			mm = "00"
		}
		return " " + g[1] + twoDigits(h) + mm
	})
	hasOffset := numericOffset.MatchString(s)
	s = zoneWord.ReplaceAllStringFunc(s, func(w string) string {
		off, ok := zoneOffsets[w]
		if w == "CST" {
			off, ok = -6*3600, true
			if d.chinese {
				off = 8 * 3600
			}
		}
		switch {
		case !ok:
			return w
		case hasOffset: // "-0700 MST": the number says it
			return ""
		}
		hasOffset = true
		return formatOffset(off)
	})
	return strings.Join(strings.Fields(s), " ")
}

func formatOffset(sec int) string {
	sign := "+"
	if sec < 0 {
		sign, sec = "-", -sec
	}
	return sign + twoDigits(sec/3600) + twoDigits(sec%3600/60)
}

func twoDigits(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

// unixDate reads a Unix timestamp given as a JSON number: seconds, or
// milliseconds when it is too large to be seconds of this era (1e11 s is the
// year 5138, 1e11 ms is 1973). Zero when out of range.
func unixDate(f float64) time.Time {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return time.Time{}
	}
	if math.Abs(f) >= 1e11 {
		f /= 1000
	}
	if f < 0 || f > 253402300799 { // 9999-12-31T23:59:59Z
		return time.Time{}
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC()
}
