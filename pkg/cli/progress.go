package cli

import (
	"fmt"
	"io"
	"time"

	"github.com/schollz/progressbar/v3"
)

// LogEvery is how often a Progress logs a line when stderr is not a terminal.
var LogEvery = 10 * time.Second

// Progress reports work done on stderr: a progress bar when stderr is a
// terminal, otherwise a line every LogEvery; nothing with --quiet. It is
// not safe for concurrent use: call Add from the goroutine that writes.
type Progress struct {
	tool  string
	unit  string
	total int64 // 0 when unknown
	done  int64
	w     io.Writer
	bar   *progressbar.ProgressBar
	start time.Time
	last  time.Time
	off   bool
}

// Progress starts a progress report for total units (0 = unknown), e.g.
// e.Progress(n, "rows").
func (e *Env) Progress(total int64, unit string) *Progress {
	p := &Progress{tool: e.Tool, unit: unit, total: total, w: e.Stderr, start: time.Now(), off: e.Quiet()}
	p.last = p.start
	if !p.off && IsTerminal(e.Stderr) {
		max := total
		if max <= 0 {
			max = -1
		}
		p.bar = progressbar.NewOptions64(max,
			progressbar.OptionSetWriter(e.Stderr),
			progressbar.OptionSetDescription(e.Tool),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString(unit),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
	}
	return p
}

// Add records n more units done.
func (p *Progress) Add(n int64) {
	p.done += n
	if p.off {
		return
	}
	if p.bar != nil {
		p.bar.Add64(n)
		return
	}
	if now := time.Now(); now.Sub(p.last) >= LogEvery {
		p.last = now
		fmt.Fprintf(p.w, "%s: %s\n", p.tool, p.status(now))
	}
}

// Describe sets the text a terminal's bar shows before it ("epoch 3 of
// 50, loss -0.79"); without a bar it does nothing.
func (p *Progress) Describe(s string) {
	if p.bar != nil {
		p.bar.Describe(p.tool + " " + s)
	}
}

// Done returns the units recorded so far.
func (p *Progress) Done() int64 { return p.done }

// Elapsed returns the time since the progress started.
func (p *Progress) Elapsed() time.Duration { return time.Since(p.start) }

func (p *Progress) status(now time.Time) string {
	rate := float64(p.done) / now.Sub(p.start).Seconds()
	if p.total > 0 {
		eta := ""
		if rate > 0 && p.done < p.total {
			eta = fmt.Sprintf(", ETA %s", (time.Duration(float64(p.total-p.done) / rate * float64(time.Second))).Round(time.Second))
		}
		return fmt.Sprintf("%d/%d %s (%.0f%%), %.3g %s/s%s", p.done, p.total, p.unit, 100*float64(p.done)/float64(p.total), rate, p.unit, eta)
	}
	return fmt.Sprintf("%d %s, %.3g %s/s", p.done, p.unit, rate, p.unit)
}

// Finish ends the bar (the summary line is the tool's, see Env.Summary).
func (p *Progress) Finish() {
	if p.bar != nil {
		p.bar.Finish()
		p.bar = nil
	}
}
