// Package report draws a run for people: a live progress bar on a terminal,
// plain lines otherwise, and the end-of-run summary table.
package report

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"text/tabwriter"
	"time"
	"unicode/utf8"

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

// Table writes the summary as a table: one row per source, then totals.
func Table(w io.Writer, s *pipeline.Summary) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SOURCE\tSTATUS\tNEW\tUPDATED\tUNCHANGED\tTIME\tERROR")
	for _, r := range s.Sources {
		msg := r.Error
		if msg == "" {
			msg = r.Note
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%s\t%s\n", clip(r.Name, 40), r.Status, r.New, r.Updated, r.Unchanged,
			r.Duration.Round(time.Millisecond), msg)
	}
	tw.Flush()
	failed := 0
	for _, r := range s.Sources {
		if r.Status == pipeline.StatusFailed {
			failed++
		}
	}
	fmt.Fprintf(w, "%d sources (%d failed), %d post files written, %d posts in total, %s\n",
		len(s.Sources), failed, s.PostsWritten, s.PostsTotal, time.Duration(s.DurationMS)*time.Millisecond)
}

func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
