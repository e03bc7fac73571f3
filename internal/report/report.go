// Package report draws a run for people: a live progress bar on a terminal,
// plain lines otherwise, and the end-of-run summary table.
package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/feedpost/feedpost/internal/pipeline"
)

// Progress implements pipeline.Progress on a writer (stderr).
type Progress struct {
	w    io.Writer
	tty  bool
	mu   sync.Mutex
	done int
	tot  int
	new  int
	upd  int
	fail int
}

// NewProgress draws on w: a bar redrawn in place when tty, plain lines
// otherwise (logs, CI).
func NewProgress(w io.Writer, tty bool) *Progress { return &Progress{w: w, tty: tty} }

// Start implements pipeline.Progress.
func (p *Progress) Start(total int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tot = total
	if p.tty {
		p.draw()
	}
}

// SourceDone implements pipeline.Progress.
func (p *Progress) SourceDone(r pipeline.SourceResult) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	p.new += r.New
	p.upd += r.Updated
	if r.Status == pipeline.StatusFailed {
		p.fail++
	}
	if p.tty {
		p.draw()
		return
	}
	line := fmt.Sprintf("[%d/%d] %s: %s", p.done, p.tot, r.Name, r.Status)
	if r.New+r.Updated > 0 {
		line += fmt.Sprintf(" (%d new, %d updated)", r.New, r.Updated)
	}
	if r.Error != "" {
		line += ": " + r.Error
	}
	fmt.Fprintln(p.w, line)
}

// Finish ends the bar line on a terminal.
func (p *Progress) Finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty {
		fmt.Fprint(p.w, "\r\033[K")
	}
}

func (p *Progress) draw() {
	const width = 30
	filled := 0
	if p.tot > 0 {
		filled = p.done * width / p.tot
	}
	fmt.Fprintf(p.w, "\r\033[K[%s%s] %d/%d sources · %d new · %d updated · %d failed",
		strings.Repeat("█", filled), strings.Repeat("░", width-filled), p.done, p.tot, p.new, p.upd, p.fail)
}

// Table writes the summary of a run as a table: one row per source, then
// the totals and the note.
func Table(w io.Writer, s *pipeline.Summary) {
	var t table
	t.row("SOURCE", "STATUS", "NEW", "UPDATED", "UNCHANGED", "DUPLICATES", "TIME", "ERROR / NOTE")
	failed := 0
	for _, r := range s.Sources {
		if r.Status == pipeline.StatusFailed {
			failed++
		}
		msg := r.Error
		if msg == "" {
			msg = r.Note
		}
		t.row(clip(r.Name, 40), status(r), strconv.Itoa(r.New), strconv.Itoa(r.Updated), strconv.Itoa(r.Unchanged),
			strconv.Itoa(r.Duplicates), r.Duration.Round(time.Millisecond).String(), msg)
	}
	t.write(w)
	fmt.Fprintf(w, "%s (%d failed), %s written, %s in total, %s\n",
		plural(len(s.Sources), "source", "sources"), failed, plural(s.PostsWritten, "post file", "post files"),
		plural(s.PostsTotal, "post", "posts"), time.Duration(s.DurationMS)*time.Millisecond)
	images(w, s)
	note(w, s)
}

// images writes what mirroring did (images.proxy: mirror), when it did
// anything.
func images(w io.Writer, s *pipeline.Summary) {
	if c := s.Images; c != (pipeline.ImageCounts{}) {
		fmt.Fprintf(w, "images: %d mirrored, %d reused, %d failed (shown through images.fallback, tried again later)\n",
			c.Mirrored, c.Reused, c.Failed)
	}
}

// status is a source's status for people: a backed-off source says until
// when, and how to fetch it anyway.
func status(r pipeline.SourceResult) string {
	if r.Status == pipeline.StatusSkipped && !r.BackedOffUntil.IsZero() {
		return "skipped (backed off until " + r.BackedOffUntil.Format("2006-01-02 15:04 -07:00") + ", --force to fetch now)"
	}
	return r.Status
}

// BuildSummary writes the summary of `feedpost build`, which fetches
// nothing: what it wrote, not a table of sources.
func BuildSummary(w io.Writer, s *pipeline.Summary) {
	fmt.Fprintf(w, "built from the store: %s rewritten of %s, %s of the built-in site written, %s\n",
		plural(s.PostsWritten, "post file", "post files"), plural(s.PostsTotal, "post", "posts"),
		plural(s.PagesWritten, "page", "pages"), time.Duration(s.DurationMS)*time.Millisecond)
	images(w, s)
	note(w, s)
}

// note prints the summary's note (the builder's: another process builds,
// a theme's authors file left alone…).
func note(w io.Writer, s *pipeline.Summary) {
	if s.Note != "" {
		fmt.Fprintln(w, "note:", s.Note)
	}
}
