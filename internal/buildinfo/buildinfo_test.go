package buildinfo

import (
	"runtime/debug"
	"testing"
)

func TestResolve(t *testing.T) {
	vcs := []debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
		{Key: "vcs.time", Value: "2026-12-01T10:30:00Z"}, {Key: "vcs.modified", Value: "true"}}
	cases := []struct {
		name                  string
		bi                    *debug.BuildInfo
		version, commit, date string // -ldflags
		want                  Info
	}{
		{"go build in a checkout", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs}, "", "", "",
			Info{Version: "devel", Commit: "0123456789abcdef0123456789abcdef01234567", Date: "2026-12-01T10:30:00Z", Modified: true}},
		{"go install @tag", &debug.BuildInfo{Main: debug.Module{Version: "v1.2.0"}}, "", "", "",
			Info{Version: "v1.2.0"}},
		{"go install @commit", &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261201103000-0123456789ab"}}, "", "", "",
			Info{Version: "v0.0.0-20261201103000-0123456789ab", Commit: "0123456789ab", Date: "2026-12-01T10:30:00Z"}},
		{"pseudo-version after a tag", &debug.BuildInfo{Main: debug.Module{Version: "v1.2.1-0.20261201103000-0123456789ab"}}, "", "", "",
			Info{Version: "v1.2.1-0.20261201103000-0123456789ab", Commit: "0123456789ab", Date: "2026-12-01T10:30:00Z"}},
		{"-ldflags win", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs}, "v1.3.0", "abc", "2026-12-02T00:00:00Z",
			Info{Version: "v1.3.0", Commit: "abc", Date: "2026-12-02T00:00:00Z", Modified: true}},
		{"only the version set", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs}, "v1.3.0", "", "",
			Info{Version: "v1.3.0", Commit: "0123456789abcdef0123456789abcdef01234567", Date: "2026-12-01T10:30:00Z", Modified: true}},
		{"no build info", nil, "", "", "", Info{Version: "devel"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := resolve(c.bi, c.version, c.commit, c.date)
			got.Go, got.Platform = "", ""
			if got != c.want {
				t.Errorf("got %+v\nwant %+v", got, c.want)
			}
		})
	}
}
