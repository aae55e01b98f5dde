package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/northpass-tools/backfill/backfill"
)

// The test binary acts as backfill in one way: testscript.Main (TestMain, script_test.go)
// copies it onto PATH under the name backfill, and run under that name it is backfillMain, which is the
// real program (processMain) with three knobs for tests. The txtar scripts run it with exec;
// the tests and benchmarks that need a process of its own (kill -9, Ctrl-C, a terminal,
// peak memory) run it through backfillBin.
//
// The knobs, read from the environment:
//
//	BACKFILL_TEST_POLL=300ms       poll Bulk jobs this often (a bar has time to move)
//	BACKFILL_TEST_RSS_FILE=PATH    write the peak RSS (kB) to PATH at the end
//	BACKFILL_TEST_HOLD=STEP        hold the job at the first progress event of STEP (a
//	                               backfill.Step, e.g. write_folder) that is neither its
//	                               start nor its end, after writing holdLine to stderr;
//	                               the hold ends when Ctrl-C (SIGINT) has cancelled the
//	                               command's context, so the job goes on with it cancelled
//	                               mid-step, or never (kill -9)

// holdLine is what a child held by BACKFILL_TEST_HOLD writes on stderr, with the step.
const holdLine = "backfill test: holding at "

// backfillMain is backfill as the test binary runs it.
func backfillMain() {
	e := processEnv(os.Stderr)
	ctx := interruptible(e.stderr, os.Args[1:], e.stderrTerminal)
	if d, err := time.ParseDuration(os.Getenv("BACKFILL_TEST_POLL")); err == nil {
		e.pollInterval = d
	}
	if step := os.Getenv("BACKFILL_TEST_HOLD"); step != "" {
		e.observer = holdAt(ctx, backfill.Step(step), e.stderr)
	}
	code := processMain(ctx, e)
	if f := os.Getenv("BACKFILL_TEST_RSS_FILE"); f != "" {
		writePeakRSS(f)
	}
	os.Exit(code)
}

// holdAt returns the observer of BACKFILL_TEST_HOLD; ctx is the command's.
func holdAt(ctx context.Context, step backfill.Step, stderr io.Writer) backfill.Observer {
	held := false
	return backfill.ObserverFunc(func(ev backfill.Event) {
		if held || ev.Step != step || ev.Phase != backfill.PhaseProgress || ev.Done == 0 || ev.Done == ev.Total {
			return
		}
		held = true
		fmt.Fprintf(stderr, "%s%s\n", holdLine, step)
		<-ctx.Done()
	})
}

// backfillBin is the path of the test binary as backfill (TestMain put it on PATH).
func backfillBin(tb testing.TB) string {
	tb.Helper()
	path, err := exec.LookPath("backfill")
	if err != nil {
		tb.Fatalf("backfill is not on PATH (TestMain puts it there): %v", err)
	}
	return path
}

// child is backfill running in a process of its own.
type child struct {
	cmd    *exec.Cmd
	done   chan struct{} // closed when the process has ended and stderr is read
	stdout syncBuffer
	stderr syncBuffer
	held   chan struct{} // closed when the child writes holdLine (BACKFILL_TEST_HOLD)
}

// startChild starts backfill with args, and vars ("NAME=value") added to the test's
// environment without its SF_ and BACKFILL_TEST_ variables (a developer's login or knob
// never reaches a child).
func startChild(t *testing.T, vars []string, args ...string) *child {
	t.Helper()
	c := &child{cmd: exec.Command(backfillBin(t), args...), done: make(chan struct{}), held: make(chan struct{})}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SF_") && !strings.HasPrefix(kv, "BACKFILL_TEST_") {
			c.cmd.Env = append(c.cmd.Env, kv)
		}
	}
	c.cmd.Env = append(c.cmd.Env, vars...)
	c.cmd.Stdout = &c.stdout
	pipe, err := c.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(c.done)
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			fmt.Fprintln(&c.stderr, sc.Text())
			if strings.HasPrefix(sc.Text(), holdLine) {
				close(c.held)
			}
		}
		io.Copy(io.Discard, pipe)
		c.cmd.Wait()
	}()
	t.Cleanup(func() {
		c.cmd.Process.Kill()
		<-c.done
	})
	return c
}

// childRun is how a child backfill ended.
type childRun struct {
	code     int  // exit code (-1 when killed)
	signaled bool // the signal was sent before the child ended on its own
	stderr   string
	pid      int
}

// signalAt sends the child sig once at is closed, and waits for it to end. The child may
// end first, on its own; a child that neither ends nor reaches at within a minute fails
// the test.
func (c *child) signalAt(t *testing.T, at <-chan struct{}, sig syscall.Signal) childRun {
	t.Helper()
	r := childRun{pid: c.cmd.Process.Pid}
	select {
	case <-c.done:
		t.Logf("child ended on its own: %v", c.cmd.ProcessState)
	case <-at:
		if err := c.cmd.Process.Signal(sig); err != nil {
			t.Fatalf("signal %v: %v", sig, err)
		}
		<-c.done
		r.signaled = true
		if ws, ok := c.cmd.ProcessState.Sys().(syscall.WaitStatus); sig == syscall.SIGKILL && (!ok || !ws.Signaled()) {
			t.Logf("child ended before the kill")
			r.signaled = false
		}
	case <-time.After(time.Minute):
		t.Fatalf("the child neither ended nor reached the signal's moment in a minute:\n%s", c.stderr.String())
	}
	r.code, r.stderr = c.cmd.ProcessState.ExitCode(), c.stderr.String()
	return r
}

// runAndSignal starts backfill with args (SF_ACCESS_TOKEN=token), sends it sig once at is
// closed, and waits for it to end.
func runAndSignal(t *testing.T, token string, at <-chan struct{}, sig syscall.Signal, args ...string) childRun {
	t.Helper()
	return startChild(t, []string{"SF_ACCESS_TOKEN=" + token}, args...).signalAt(t, at, sig)
}
