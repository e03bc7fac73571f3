package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/feedpost/feedpost/internal/config"
	"github.com/feedpost/feedpost/internal/doctor"
	"github.com/feedpost/feedpost/internal/schedule"
	"github.com/feedpost/feedpost/internal/store"
)

// CheckedSource is one source as `check` shows it.
type CheckedSource struct {
	Key      string   `json:"name"`
	URL      string   `json:"url"`
	Category []string `json:"category"`
	Author   string   `json:"author,omitempty"`
	Enabled  bool     `json:"enabled"`
	Limit    int      `json:"limit"`
	Interval string   `json:"interval"`
	Status   string   `json:"last_status,omitempty"`
	Failures int      `json:"failures,omitempty"`
	Error    string   `json:"last_error,omitempty"`
	// BackedOff is when a source that keeps failing is tried again ("" when
	// it is not backed off).
	BackedOff string `json:"backed_off_until,omitempty"`
}

// Check lists cfg's sources with their resolved URLs and categories, and the
// last known state from the store when there is one (states may be nil).
func Check(cfg *config.Config, states map[string]store.Source) []CheckedSource {
	out := make([]CheckedSource, 0, len(cfg.Sources))
	for _, s := range cfg.Sources {
		c := CheckedSource{Key: s.Key, URL: s.FetchURL, Category: s.Category, Author: s.Author,
			Enabled: s.Enabled, Limit: s.Limit, Interval: s.Interval.String()}
		if s.CategoryAuto {
			c.Category = []string{"auto"}
		}
		if st, ok := states[s.Key]; ok {
			c.Status, c.Failures, c.Error = st.LastStatus, st.Failures, st.LastError
			if schedule.Backoff(st.Failures) && st.NextFetch.After(time.Now()) {
				c.BackedOff = st.NextFetch.In(cfg.Site.Location).Format(time.RFC3339)
			}
		}
		out = append(out, c)
	}
	return out
}

// CheckTable writes Check's result for people.
func CheckTable(w io.Writer, cfg *config.Config, list []CheckedSource) {
	fmt.Fprintf(w, "config %s: ok, %s\n", cfg.Path, plural(len(list), "source", "sources"))
	var t table
	t.row("SOURCE", "URL", "CATEGORY", "LIMIT", "INTERVAL", "LAST")
	for _, c := range list {
		cat := strings.Join(c.Category, " / ")
		if cat == "" {
			cat = "(feed title)"
		}
		last := c.Status
		if !c.Enabled {
			last = "disabled"
		}
		if c.Failures > 0 {
			last = fmt.Sprintf("%s (%s: %s)", last, plural(c.Failures, "failure", "failures"), c.Error)
		}
		if c.BackedOff != "" {
			last += "; backed off until " + c.BackedOff + " (run --force to fetch now)"
		}
		t.row(c.Key, c.URL, cat, strconv.Itoa(c.Limit), c.Interval, last)
	}
	t.write(w)
}

// Findings writes the doctor's findings about the blog: one line each,
// marked by severity, the fix on the next line.
func Findings(w io.Writer, findings []doctor.Finding) {
	if len(findings) == 0 {
		return
	}
	fmt.Fprintln(w, "\nblog:")
	for _, f := range findings {
		mark := map[string]string{doctor.Error: "ERROR", doctor.Warning: "warn ", doctor.Info: "ok   "}[f.Severity]
		fmt.Fprintf(w, "  %s %s\n", mark, f.Message)
		if f.Fix != "" {
			fmt.Fprintf(w, "        fix: %s\n", f.Fix)
		}
	}
}
