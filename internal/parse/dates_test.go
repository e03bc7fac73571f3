package parse

import (
	"testing"
	"time"
)

func mustLoad(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// TestDates is the list of issue 12 and its kin. want is the instant in
// RFC 3339; "" means the text must not be read as a date.
func TestDates(t *testing.T) {
	shanghai := mustLoad(t, "Asia/Shanghai")
	berlin := mustLoad(t, "Europe/Berlin")
	tests := []struct {
		in   string
		loc  *time.Location
		lang string
		want string
	}{
		// The common layouts, unchanged.
		{"Tue, 17 Aug 2021 06:56:06 GMT", nil, "", "2021-08-17T06:56:06Z"},
		{"Tue, 17 Aug 2021 14:56:06 +0800", nil, "", "2021-08-17T06:56:06Z"},
		{"2021-08-17T14:56:06+08:00", nil, "", "2021-08-17T06:56:06Z"},
		{"2021-08-17T06:56:06.123Z", nil, "", "2021-08-17T06:56:06.123Z"},
		// Zone-less: read in the source's zone, UTC without one.
		{"2018-01-06T08:00", shanghai, "", "2018-01-06T00:00:00Z"},
		{"2018-01-06T08:00", nil, "", "2018-01-06T08:00:00Z"},
		{"2020/1/10 14:33:00", shanghai, "", "2020-01-10T06:33:00Z"},
		{"2021-08-17 14:56:06", shanghai, "", "2021-08-17T06:56:06Z"},
		{"2021-08-17 14:56:06", berlin, "", "2021-08-17T12:56:06Z"}, // summer time
		{"2021-01-17 14:56:06", berlin, "", "2021-01-17T13:56:06Z"},
		{"2021-08-17 14:56", shanghai, "", "2021-08-17T06:56:00Z"},
		{"2021-08-17", shanghai, "", "2021-08-16T16:00:00Z"},
		{"Tue, 17 Aug 2021 14:56:06", shanghai, "", "2021-08-17T06:56:06Z"},
		// Chinese.
		{"2021年8月17日 14:56", shanghai, "", "2021-08-17T06:56:00Z"},
		{"2021年08月17日 14:56:06", shanghai, "", "2021-08-17T06:56:06Z"},
		{"2021年8月17日 14时56分", shanghai, "", "2021-08-17T06:56:00Z"},
		{"2021年8月17日 14时56分06秒", shanghai, "", "2021-08-17T06:56:06Z"},
		{"2021年8月17日", shanghai, "", "2021-08-16T16:00:00Z"},
		{"2021-08-17 14:56:06 北京时间", nil, "", "2021-08-17T06:56:06Z"},
		// RFC 822 without weekday, two-digit years.
		{"17 Aug 2021 14:56:06 +0800", nil, "", "2021-08-17T06:56:06Z"},
		{"Tue, 17 Aug 21 14:56:06 +0800", nil, "", "2021-08-17T06:56:06Z"},
		{"17 Aug 21 14:56 +0800", nil, "", "2021-08-17T06:56:00Z"},
		{"Tuesday, 17-Aug-21 14:56:06 GMT", nil, "", "2021-08-17T14:56:06Z"},
		{"8/17/21 14:56", shanghai, "", "2021-08-17T06:56:00Z"},
		// Offsets written as GMT+n.
		{"Tue, 17 Aug 2021 14:56:06 GMT+8", nil, "", "2021-08-17T06:56:06Z"},
		{"Tue, 17 Aug 2021 14:56:06 GMT+08:00", nil, "", "2021-08-17T06:56:06Z"},
		{"2021-08-17 14:56:06 UTC+8", nil, "", "2021-08-17T06:56:06Z"},
		{"2021-08-17 14:56:06 GMT-5", nil, "", "2021-08-17T19:56:06Z"},
		{"2021-08-17 14:56:06 UTC+5:30", nil, "", "2021-08-17T09:26:06Z"},
		{"Tue Aug 17 2021 14:56:06 GMT+0800 (China Standard Time)", nil, "", "2021-08-17T06:56:06Z"},
		// CST: China when the feed or the source is Chinese, US Central otherwise.
		{"Tue, 17 Aug 2021 14:56:06 CST", nil, "zh-cn", "2021-08-17T06:56:06Z"},
		{"Tue, 17 Aug 2021 14:56:06 CST", shanghai, "", "2021-08-17T06:56:06Z"},
		{"Tue, 17 Aug 2021 14:56:06 CST", mustLoad(t, "Asia/Taipei"), "", "2021-08-17T06:56:06Z"},
		{"Tue, 17 Aug 2021 14:56:06 CST", nil, "", "2021-08-17T20:56:06Z"},
		{"Tue, 17 Aug 2021 14:56:06 CST", berlin, "en-us", "2021-08-17T20:56:06Z"},
		{"Tue Aug 17 14:56:06 CST 2021", nil, "zh", "2021-08-17T06:56:06Z"},
		{"2021-08-17 14:56:06 CST", nil, "zh-TW", "2021-08-17T06:56:06Z"},
		// Other abbreviations, whatever the host's zone.
		{"Mon, 02 Jan 2006 15:04:05 EST", nil, "", "2006-01-02T20:04:05Z"},
		{"Mon, 02 Jan 2006 15:04:05 PDT", nil, "", "2006-01-02T22:04:05Z"},
		{"Mon, 02 Jan 2006 15:04:05 CEST", nil, "", "2006-01-02T13:04:05Z"},
		{"Mon, 02 Jan 2006 15:04:05 JST", nil, "", "2006-01-02T06:04:05Z"},
		{"Mon, 02 Jan 2006 15:04:05 -0700 MST", nil, "", "2006-01-02T22:04:05Z"}, // the number wins
		{"Mon, 2 Jan 2006 15:4:5 -0700", nil, "", "2006-01-02T22:04:05Z"},
		// Unix timestamps written as text.
		{"1629183366", nil, "", "2021-08-17T06:56:06Z"},
		{"1629183366000", nil, "", "2021-08-17T06:56:06Z"},
		// The long tail.
		{"August 17, 2021 2:56 PM", shanghai, "", "2021-08-17T06:56:00Z"},
		{"17.08.2021 14:56", shanghai, "", "2021-08-17T06:56:00Z"},
		{"31/03/2023 10:00", nil, "", "2023-03-31T10:00:00Z"},
		// Odd spellings from gofeed's list of layouts met in feeds.
		{"Tue,17 Aug 2021 14:56 EST", nil, "", "2021-08-17T19:56:00Z"},
		{"Tue, 17 Aug 2021 14:56:06EST", nil, "", "2021-08-17T19:56:06Z"},
		{"17-08-2021 14:56:06 EST", nil, "", "2021-08-17T19:56:06Z"},
		{"Tue, 17 Aug 2021 14 -0500", nil, "", "2021-08-17T19:00:00Z"},
		{"August 17, 2021, 2:56 p.m.", shanghai, "", "2021-08-17T06:56:00Z"},
		{"Tue, 17 Aug 2021 14:56:06 Z", shanghai, "", "2021-08-17T14:56:06Z"},
		// Not dates.
		{"Tue, 17 Aug 14:56:06 EST", nil, "", ""}, // no year
		{"", nil, "", ""},
		{"   ", nil, "", ""},
		{"not a date", nil, "", ""},
		{"0000-00-00 00:00:00", nil, "", ""},
		{"刚刚", nil, "", ""},
	}
	for _, tt := range tests {
		d := newDates(tt.loc, tt.lang)
		got := d.parse(tt.in)
		var want time.Time
		if tt.want != "" {
			var err error
			if want, err = time.Parse(time.RFC3339Nano, tt.want); err != nil {
				t.Fatal(err)
			}
		}
		if !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("parse(%q) in %v, lang %q = %v, want %v", tt.in, tt.loc, tt.lang, got, want)
		}
	}
}

func TestUnixDate(t *testing.T) {
	for in, want := range map[float64]string{
		1629183366:      "2021-08-17T06:56:06Z",
		1629183366.5:    "2021-08-17T06:56:06.5Z",
		1629183366000:   "2021-08-17T06:56:06Z",
		0:               "1970-01-01T00:00:00Z",
		-5:              "",
		1e20:            "",
		253402300799000: "9999-12-31T23:59:59Z",
	} {
		got := unixDate(in)
		if (want == "" && !got.IsZero()) || (want != "" && got.Format(time.RFC3339Nano) != want) {
			t.Errorf("unixDate(%v) = %v, want %q", in, got, want)
		}
	}
}

// TestFeedDates checks that Parse reads dates in the source's zone and with
// the feed's language, in every format.
func TestFeedDates(t *testing.T) {
	shanghai := mustLoad(t, "Asia/Shanghai")
	tests := []struct {
		name, data string
		loc        *time.Location
		published  string
		updated    string
	}{
		{"RSS zone-less pubDate in the source's zone",
			`<rss><channel><item><title>t</title><pubDate>2020/1/10 14:33:00</pubDate></item></channel></rss>`,
			shanghai, "2020-01-10T06:33:00Z", ""},
		{"RSS zone-less pubDate without a zone: UTC",
			`<rss><channel><item><title>t</title><pubDate>2020/1/10 14:33:00</pubDate></item></channel></rss>`,
			nil, "2020-01-10T14:33:00Z", ""},
		{"RSS CST with a Chinese <language>",
			`<rss><channel><language>zh-cn</language><item><pubDate>Tue, 17 Aug 2021 14:56:06 CST</pubDate></item></channel></rss>`,
			nil, "2021-08-17T06:56:06Z", ""},
		{"RSS CST in English",
			`<rss><channel><language>en-us</language><item><pubDate>Tue, 17 Aug 2021 14:56:06 CST</pubDate></item></channel></rss>`,
			nil, "2021-08-17T20:56:06Z", ""},
		{"RSS pubDate in CDATA (not renamed)",
			`<rss><channel><item><pubDate><![CDATA[2021-08-17 14:56:06]]></pubDate></item></channel></rss>`,
			shanghai, "2021-08-17T06:56:06Z", ""},
		{"RDF dc:date",
			`<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
			<item rdf:about="x"><dc:date>2021-08-17T14:56</dc:date></item></rdf:RDF>`,
			shanghai, "2021-08-17T06:56:00Z", ""},
		{"Atom zone-less, xml:lang zh",
			`<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="zh-CN"><entry><published>2021-08-17 14:56:06</published><updated>Tue, 17 Aug 2021 15:00:00 CST</updated></entry></feed>`,
			nil, "2021-08-17T14:56:06Z", "2021-08-17T07:00:00Z"},
		{"JSON Feed Unix timestamps",
			`{"version": "https://jsonfeed.org/version/1.1", "items": [{"id": "1", "date_published": 1629183366, "date_modified": 1629183366000}]}`,
			nil, "2021-08-17T06:56:06Z", "2021-08-17T06:56:06Z"},
		{"JSON Feed 1.1 language and zone-less date",
			`{"version": "https://jsonfeed.org/version/1.1", "language": "zh-CN", "items": [{"id": "1", "date_published": "2021年8月17日 14:56", "date_modified": "2021-08-17 15:00:00 CST"}]}`,
			shanghai, "2021-08-17T06:56:00Z", "2021-08-17T07:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := Parse([]byte(tt.data), "", "", Options{Location: tt.loc})
			if err != nil {
				t.Fatal(err)
			}
			if len(f.Items) != 1 {
				t.Fatalf("%d items", len(f.Items))
			}
			it := f.Items[0]
			check := func(what string, got time.Time, want string) {
				if want == "" {
					if !got.IsZero() {
						t.Errorf("%s = %v, want none", what, got)
					}
					return
				}
				if w, _ := time.Parse(time.RFC3339, want); !got.Equal(w) {
					t.Errorf("%s = %v, want %s", what, got, want)
				}
			}
			check("published", it.Published, tt.published)
			check("updated", it.Updated, tt.updated)
		})
	}
}
