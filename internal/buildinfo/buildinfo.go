// Package buildinfo says which feedpost this is: version, commit and date,
// from what the linker was told (-ldflags -X, as the release script does)
// or else from what the Go toolchain recorded in the binary
// (debug.ReadBuildInfo), so that `go install …@v1.2.0` and a plain
// `go build` in a checkout answer too.
package buildinfo

import (
	"regexp"
	"runtime"
	"runtime/debug"
	"time"
)

// Info describes a build. Unknown fields are "".
type Info struct {
	Version  string `json:"version"`  // v1.2.0, a pseudo-version, or "devel"
	Commit   string `json:"commit"`   // full VCS revision
	Date     string `json:"date"`     // RFC 3339, UTC: the commit's time, so that a rebuild is identical
	Modified bool   `json:"modified"` // built from a work tree with uncommitted changes
	Go       string `json:"go"`       // toolchain
	Platform string `json:"platform"` // GOOS/GOARCH
}

// Read returns the build's Info: each of version, commit and date that is
// not empty (set with -ldflags "-X main.version=…") wins over the recorded
// build information.
func Read(version, commit, date string) Info {
	bi, _ := debug.ReadBuildInfo()
	return resolve(bi, version, commit, date)
}

// pseudoRE matches the tail of a pseudo-version (v0.0.0-20261201103000-
// 0123456789ab): the commit's UTC time and the first 12 digits of its hash.
var pseudoRE = regexp.MustCompile(`(?:^|[-.])(\d{14})-([0-9a-f]{12})(?:\+incompatible)?$`)

func resolve(bi *debug.BuildInfo, version, commit, date string) Info {
	info := Info{Version: version, Commit: commit, Date: date, Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi == nil {
		if info.Version == "" {
			info.Version = "devel"
		}
		return info
	}
	info.Go = bi.GoVersion
	var vcsTime string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			if info.Commit == "" {
				info.Commit = s.Value
			}
		case "vcs.time":
			vcsTime = s.Value
		case "vcs.modified":
			info.Modified = s.Value == "true"
		}
	}
	mv := bi.Main.Version
	if info.Version == "" {
		info.Version = mv
		if mv == "" || mv == "(devel)" {
			info.Version = "devel"
		}
	}
	if info.Date == "" {
		info.Date = vcsTime
	}
	// A module built by `go install …@<commit>` carries no VCS settings, but
	// its pseudo-version names the commit and its time.
	if m := pseudoRE.FindStringSubmatch(mv); m != nil {
		if info.Commit == "" {
			info.Commit = m[2]
		}
		if t, err := time.Parse("20060102150405", m[1]); info.Date == "" && err == nil {
			info.Date = t.UTC().Format(time.RFC3339)
		}
	}
	return info
}
