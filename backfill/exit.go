package backfill

import (
	"context"
	"errors"
	"fmt"
)

// Exit codes of the backfill command (DESIGN.md section 2). They are part of the contract:
// scripts branch on them.
const (
	ExitOK         = 0 // done, every row accounted for, no row failed
	ExitRuntime    = 1 // runtime error
	ExitUsage      = 2 // usage or unusable input; nothing was written to Salesforce
	ExitRowsFailed = 3 // finished, but some rows failed or were left unprocessed
	ExitPreflight  = 4 // preflight found a failing check
	// ExitInterrupted is the shell's code for a command stopped by Ctrl-C (128+SIGINT).
	ExitInterrupted = 130
)

// ExitError is an error that asks the command to end with a specific exit code. Hint, when
// set, is one line telling the user what to do about it.
type ExitError struct {
	Code int
	Err  error
	Hint string
}

func (e *ExitError) Error() string { return e.Err.Error() }

func (e *ExitError) Unwrap() error { return e.Err }

// UsageError returns an [ExitError] with [ExitUsage] for bad flags or unusable input.
func UsageError(hint string, format string, args ...any) error {
	return &ExitError{Code: ExitUsage, Err: fmt.Errorf(format, args...), Hint: hint}
}

// ExitCode maps err to the process exit code: 0 for nil, the code of the outermost
// [ExitError] in its chain, and [ExitRuntime] otherwise.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	if errors.Is(err, context.Canceled) {
		return ExitInterrupted // only a signal cancels the command's context
	}
	return ExitRuntime
}

// Hint returns the hint of the first [ExitError] in err's chain, or "".
func Hint(err error) string {
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Hint
	}
	return ""
}
