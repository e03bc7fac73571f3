package report

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/feedpost/feedpost/internal/config"
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
	fmt.Fprintf(w, "config %s: ok, %d sources\n", cfg.Path, len(list))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SOURCE\tURL\tCATEGORY\tLIMIT\tINTERVAL\tLAST")
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
			last = fmt.Sprintf("%s (%d failures: %s)", last, c.Failures, c.Error)
		}
		if c.BackedOff != "" {
			last += "; backed off until " + c.BackedOff
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", c.Key, c.URL, cat, c.Limit, c.Interval, last)
	}
	tw.Flush()
}
