// Command backfill repairs a broken Northpass to Salesforce sync: it diffs the CE Data Export
// against the Enrollment records Salesforce already holds and loads the difference through the
// Bulk API 2.0, accounting for every input row.
//
// Output rules: results and summaries go to stdout; logs, progress and errors go to stderr.
// Only main calls os.Exit.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/northpass-tools/backfill/backfill"
)

func main() {
	stderr, restoreConsole := consoleStderr(os.Stderr) // Windows: ANSI sequences on, or stripped
	e := processEnv(stderr)
	code := processMain(interruptible(e.stderr, os.Args[1:], e.stderrTerminal), e)
	restoreConsole()
	os.Exit(code)
}

// processEnv is the env of this process: its standard streams (stderr as given),
// environment and terminals.
func processEnv(stderr io.Writer) *env {
	return &env{stdin: os.Stdin, stdout: os.Stdout, stderr: stderr, getenv: os.Getenv,
		stdinTerminal: isTerminal(os.Stdin), stderrTerminal: isTerminal(os.Stderr)}
}

// processMain runs the command of os.Args on e as the process does, under ctx (which Ctrl-C
// cancels, see interruptible): its error is printed last, and it returns the exit status.
// The test binary, acting as backfill, runs it too.
func processMain(ctx context.Context, e *env) int {
	err := e.main(ctx, os.Args[1:])
	printError(e.stderr, err)
	return exitCode(err)
}

// interruptible returns the context of a command: the first Ctrl-C (or SIGTERM) cancels it,
// and the command stops cleanly: it finishes the step in flight, journals it and exits 130.
// A second one ends the process at once, which is as safe as kill -9. `backfill org` is
// meant to be stopped that way, so it is not told about.
//
// On a terminal the message first clears the line, where a progress bar may be drawn.
func interruptible(stderr io.Writer, args []string, terminal bool) context.Context {
	serving := len(args) > 0 && args[0] == "org"
	ctx, stop := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sigs
		signal.Reset(os.Interrupt, syscall.SIGTERM)
		if !serving {
			if terminal {
				fmt.Fprint(stderr, "\r\033[K")
			}
			fmt.Fprintln(stderr, "backfill: interrupted; stopping after the current step (Ctrl-C again to quit at once)")
		}
		stop()
	}()
	return ctx
}

// printError writes err as the last lines on stderr: "backfill: what went wrong" and, when
// there is one, "hint: what to do".
func printError(w io.Writer, err error) {
	if err == nil || errors.Is(err, errHelp) {
		return
	}
	x := explain(err)
	fmt.Fprintf(w, "backfill: %s\n", x.msg)
	if x.hint != "" {
		fmt.Fprintf(w, "hint: %s\n", x.hint)
	}
}

// errHelp is returned after --help was printed: exit 0, print nothing more.
var errHelp = errors.New("help requested")

// env is what a command may touch of the outside world: main builds it from the process,
// tests build their own (so no test needs t.Setenv and tests can run in parallel).
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	// stdinTerminal says a person can answer questions on stdin; stderrTerminal that
	// progress bars can be drawn on stderr.
	stdinTerminal, stderrTerminal bool
	// pollInterval, when set, is how often Bulk jobs are polled (tests watch progress move).
	pollInterval time.Duration
	// observer, when set, also receives every job's progress events (tests hold a run at
	// a step).
	observer backfill.Observer
	// prompted is set once a confirmation prompt has shown the plan's summary.
	prompted bool
}

// command is one subcommand of backfill.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, e *env, args []string) error
}

// commands lists the subcommands in the order of the work: check, plan, load, finish,
// prove, take back; then the offline and local tools.
func commands() []command {
	return []command{
		{"preflight", "check the org is ready (packages, integration user, object, limits, live sync); reads only", runPreflight},
		{"plan", "dry run: diff the export against the org and write the run folder and report", runPlan},
		{"approve", "record who approved a reviewed plan, in its sealed plan.json (offline)", runApprove},
		{"import", "plan, confirm, then upsert through the Bulk API 2.0 (or --plan DIR: load a reviewed plan)", runImport},
		{"resume", "finish an interrupted import (or undo) from its run folder", runResume},
		{"verify", "prove an import: read back every record it loaded and compare it with the upload", runVerify},
		{"retry", "load the rows an import failed or left unprocessed again (or your corrected error.csv)", runRetry},
		{"undo", "take an import back: delete what it created, restore what it updated (dry run without --yes)", runUndo},
		{"ui", "the whole backfill in the browser: a page on loopback over the same steps", runUI},
		{"batch", "many customers: plan, status, import, resume, verify and undo over a runbook CSV", runBatch},
		{"clean", "offline: diff the export against a CSV of existing records", runClean},
		{"org", "serve a local Salesforce-compatible org (the emulator) on loopback", runOrg},
		{"demo", "run preflight, plan, import and verify on the sample export against a local demo org", runDemo},
		{"version", "print version and build info", runVersion},
	}
}

// main is the whole program behind main, testable: it parses args, runs one command and
// returns its error (nil, or one that exitCode maps to the exit status).
func (e *env) main(ctx context.Context, args []string) error {
	defer startProfile(e.getenv)()
	return e.run(ctx, args)
}

func (e *env) run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		e.usage(e.stderr)
		return usage("run 'backfill help' for the list of commands", "no command given")
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help":
		// backfill help CMD prints what backfill CMD --help prints.
		if len(rest) > 1 {
			return usage("run 'backfill help COMMAND'", "help takes one command, not %d", len(rest))
		}
		if len(rest) == 0 || isHelp(rest[0]) {
			e.usage(e.stdout)
			return nil
		}
		name, rest = rest[0], []string{"--help"}
	case "-h", "--help":
		e.usage(e.stdout)
		return nil
	case "--version":
		name = "version"
	}
	for _, c := range commands() {
		if c.name == name {
			err := c.run(ctx, e, rest)
			if errors.Is(err, errHelp) {
				return nil
			}
			return err
		}
	}
	return unknownCommand(name)
}

func isHelp(arg string) bool { return arg == "help" || arg == "-h" || arg == "--help" }

// unknownCommand is the usage error for a command that does not exist, with the commands
// it may have meant in the hint.
func unknownCommand(name string) error {
	const list = "run 'backfill help' for the list of commands"
	if strings.HasPrefix(name, "-") {
		return usage("flags go after the command, as in backfill plan --export FILE; "+list,
			"unknown command %q: a flag before the command", name)
	}
	var names []string
	for _, c := range commands() {
		names = append(names, c.name)
	}
	hint := list
	if dym := didYouMean(suggest(name, names), quoteCommand); dym != "" {
		hint = dym + " (" + list + ")"
	}
	return usage(hint, "unknown command %q", name)
}

// usage prints the top-level help: the commands in the order of the work, the usual
// sequence and the exit codes.
func (e *env) usage(w io.Writer) {
	var b strings.Builder
	b.WriteString("backfill loads Northpass learning data that never reached Salesforce.\n\n")
	b.WriteString("Usage:\n  backfill <command> [flags]\n  backfill help <command>\n\nCommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(&b, "  %-10s %s\n", c.name, c.summary)
	}
	b.WriteString("\nUsual sequence: preflight → plan → review report.html → import --plan DIR → verify DIR\n")
	b.WriteString("\nRun 'backfill help <command>' (or 'backfill <command> --help') for the flags of a command.\n")
	fmt.Fprintf(&b, "Exit codes: %d done; %d runtime error; %d usage or unusable input; %d some rows failed or\n",
		exitOK, exitRuntime, exitUsage, exitRowsFailed)
	fmt.Fprintf(&b, "were left unprocessed; %d preflight failed; %d interrupted (Ctrl-C; resume finishes an import).\n",
		exitPreflight, exitInterrupted)
	io.WriteString(w, b.String())
}
