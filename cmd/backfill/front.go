package main

import (
	"errors"
	"github.com/northpass-tools/backfill/backfill"
	"github.com/northpass-tools/backfill/backfill/report"
	"github.com/northpass-tools/backfill/sfclient"
)

// login reads the login's credentials from the environment into org (secrets never come
// from flags), with the poll interval tests ask for.
func (e *env) login(org *sfclient.Config) {
	org.Credentials = sfclient.CredentialsFromEnv(e.getenv)
	if e.pollInterval > 0 {
		org.PollInterval, org.MaxPollInterval = e.pollInterval, e.pollInterval
	}
}

// front sets up what a job shows people through on the command line: the one logger,
// progress bars on a terminal (progress lines in the log otherwise), the question before an
// import when a person can answer on stdin, report.html, and the flags and commands its
// sentences name. done flushes the log.
func (e *env) front(lo logOptions) (backfill.Front, func(), error) {
	// Progress bars and log lines share stderr: on a terminal the log writes through the
	// bars, which clear their line first.
	var bars *report.Bars
	logOut := e.stderr
	if !lo.quiet && e.stderrTerminal {
		bars = report.NewBars(e.stderr)
		logOut = bars.Writer()
	}
	log, err := newLogger(logOut, lo, e.stderrTerminal)
	if err != nil {
		return backfill.Front{}, nil, usage("", "%v", err)
	}
	f := backfill.Front{Logger: log, Render: reportView.Renderer(), Words: sh, Version: version}
	switch {
	case lo.quiet:
	case bars != nil:
		f.Progress = bars
	default:
		f.Progress = report.NewProgressLog(log) // without a terminal, long steps log their progress
	}
	if shown, also := f.Progress, e.observer; also != nil && shown != nil {
		f.Progress = backfill.ObserverFunc(func(ev backfill.Event) { shown.Observe(ev); also.Observe(ev) })
	} else if also != nil {
		f.Progress = also
	}
	if e.stdinTerminal && e.stdin != nil {
		confirm := report.Confirm(e.stdin, e.stdout)
		f.Confirm = func(s *backfill.Summary) (bool, error) {
			e.prompted = true
			return confirm(s)
		}
	}
	// simpleforce writes to the standard logger: route it into this command's log. This is
	// the command line's one change to process-wide state; the job makes none.
	restore := sfclient.RedirectStdLog(log)
	return f, func() { restore(); log.Sync() }, nil
}

// printSummary prints sum (when the job got that far) and returns err. After a
// confirmation prompt, which printed the plan's summary, it prints only what the load adds
// to it, and nothing when the prompt was answered no.
func (e *env) printSummary(sum *backfill.Summary, format string, err error) error {
	if sum == nil || (e.prompted && errors.Is(err, backfill.ErrCancelled)) {
		return err
	}
	print := report.PrintSummary
	if e.prompted {
		print = report.PrintLoaded
	}
	if perr := print(e.stdout, sum, format); perr != nil && err == nil {
		err = perr
	}
	return err
}
