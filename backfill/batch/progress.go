package batch

import (
	"sync"
	"time"

	"github.com/northpass-tools/backfill/backfill"
)

// Progress follows every customer of a batch command for a display of one line per
// customer: what it is doing, the step it is at, how far and how fast. It is a [Watch]; a
// front end draws [Progress.Lines] as often as it likes.
type Progress struct {
	mu    sync.Mutex
	now   func() time.Time
	lines []Line
	index map[string]int
}

// Line is one customer's progress.
type Line struct {
	Customer string
	// Doing is the job it is running ("" while it waits), State where it stood when it
	// ended (then Ended is set).
	Doing backfill.Command
	State State
	Ended bool
	// Step is the last step the job reported, with how far it got (in Unit) and the rate
	// since the step started, per second.
	Step        backfill.Event
	HasStep     bool
	Rate        float64
	stepStarted time.Time
}

var _ Watch = (*Progress)(nil)

// NewProgress returns the progress of the customers named, in that order; now is the clock
// (nil for time.Now).
func NewProgress(names []string, now func() time.Time) *Progress {
	if now == nil {
		now = time.Now
	}
	p := &Progress{now: now, index: map[string]int{}}
	for i, n := range names {
		p.lines = append(p.lines, Line{Customer: n})
		p.index[n] = i
	}
	return p
}

// Observer implements [Watch].
func (p *Progress) Observer(customer string) backfill.Observer {
	return backfill.ObserverFunc(func(e backfill.Event) { p.observe(customer, e) })
}

func (p *Progress) observe(customer string, e backfill.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	l := p.line(customer)
	now := p.now()
	if e.Phase == backfill.PhaseStart || !l.HasStep || l.Step.ID != e.ID {
		l.stepStarted = now
	}
	l.Step, l.HasStep = e, true
	if el := now.Sub(l.stepStarted).Seconds(); el > 0 {
		l.Rate = float64(e.Done) / el
	} else {
		l.Rate = 0
	}
}

// Begin implements [Watch].
func (p *Progress) Begin(customer string, c backfill.Command) {
	p.mu.Lock()
	defer p.mu.Unlock()
	l := p.line(customer)
	l.Doing, l.Ended, l.HasStep = c, false, false
}

// End implements [Watch].
func (p *Progress) End(r Row) {
	p.mu.Lock()
	defer p.mu.Unlock()
	l := p.line(r.Customer)
	l.State, l.Ended = r.State, true
}

// Lines returns every customer's line, in order.
func (p *Progress) Lines() []Line {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Line(nil), p.lines...)
}

// line returns customer's line, adding one for a customer not named at the start.
func (p *Progress) line(customer string) *Line {
	i, ok := p.index[customer]
	if !ok {
		i = len(p.lines)
		p.index[customer] = i
		p.lines = append(p.lines, Line{Customer: customer})
	}
	return &p.lines[i]
}
