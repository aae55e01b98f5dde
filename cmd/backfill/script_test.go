package main

import (
	"errors"
	"flag"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/northpass-tools/backfill/sfclient/sftest"
)

var update = flag.Bool("update", false, "rewrite the golden files and the scripts' expected output")

// TestScripts pins the CLI contract (exit codes 0-4, whether stdout is empty, the key stderr
// lines) in the txtar scripts of testdata/script, run by testscript against the real
// binary (the test binary acting as `backfill`, see TestMain), as age's cmd/age does.
//
// Scripts get three extra commands: `org [--sandbox] [--fail-row KEY]...` starts an emulated
// org for the rest of the script and sets INSTANCE_URL and SF_ACCESS_TOKEN; `exits CODE
// PROGRAM ARGS...` runs PROGRAM like exec and checks its exact exit status; `runhint CODE
// REGEXP` runs the command line a hint printed (hint_test.go).
//
// testscript (github.com/rogpeppe/go-internal) is a test-only dependency: scripts read like
// the shell sessions the README shows, which Go tables of sentence substrings did not.
func TestScripts(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		Cmds:                map[string]func(*testscript.TestScript, bool, []string){"org": scriptOrg, "exits": scriptExits, "runhint": scriptRunHint},
		UpdateScripts:       *update,
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			// BACKFILL_ONLY_PATH is a PATH holding the backfill command and nothing else
			// (no sf CLI), the first entry testscript puts on PATH.
			path := env.Getenv("PATH")
			if i := strings.IndexByte(path, os.PathListSeparator); i >= 0 {
				path = path[:i]
			}
			env.Setenv("BACKFILL_ONLY_PATH", path)
			return nil
		},
	})
}

// scriptOrg is the scripts' `org` command.
func scriptOrg(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! org")
	}
	seed := sftest.DemoSeed()
	var failRows []string
	for i := 0; i < len(args); i++ {
		switch args[i] {
		case "--sandbox":
			seed.Organization.IsSandbox = true
		case "--fail-row":
			if i+1 == len(args) {
				ts.Fatalf("usage: org [--sandbox] [--fail-row KEY]...")
			}
			i++
			failRows = append(failRows, args[i])
		default:
			ts.Fatalf("usage: org [--sandbox] [--fail-row KEY]...")
		}
	}
	srv, err := sftest.New(sftest.WithAddr("127.0.0.1:0"), sftest.WithSeed(seed))
	ts.Check(err)
	for _, k := range failRows {
		srv.FailRow(k, "FIELD_CUSTOM_VALIDATION_EXCEPTION:Learner is archived:--")
	}
	ts.Defer(srv.Close)
	ts.Setenv("INSTANCE_URL", srv.URL)
	ts.Setenv("SF_ACCESS_TOKEN", srv.AccessToken())
}

// scriptExits is the scripts' `exits CODE PROGRAM ARGS...` command.
func scriptExits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits CODE PROGRAM [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	err = ts.Exec(args[1], args[2:]...)
	code := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		ts.Fatalf("%s: %v", args[1], err)
	}
	if code != want {
		ts.Fatalf("%s exited %d, want %d", args[1], code, want)
	}
}
