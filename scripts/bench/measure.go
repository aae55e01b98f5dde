package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// rssMeter runs a command and measures its wall time and peak RSS. The peak RSS is the
// child's own: GNU time's %M (time is a small process, so the rusage it reads is not
// inflated by a large parent's pages), or else the child's VmHWM read from /proc while it
// runs (which can miss growth in its last milliseconds). Go's own rusage of a child is not
// used: a child started from a large parent can report the parent's RSS.
type rssMeter struct {
	dir    string // for GNU time's output files
	time   string // GNU time's path, "" when there is none
	method string
}

const gnuTime = "/usr/bin/time"

func newRSSMeter(dir string) *rssMeter {
	m := &rssMeter{dir: dir, method: "none (no GNU time, no /proc)"}
	probe := filepath.Join(dir, "time-probe")
	if err := exec.Command(gnuTime, "-f", "%M", "-o", probe, gnuTime, "--version").Run(); err == nil {
		if kb, err := readTimeOutput(probe); err == nil && kb > 0 {
			m.time, m.method = gnuTime, gnuTime+" -f %M"
			return m
		}
	}
	if _, err := os.Stat("/proc/self/status"); err == nil && runtime.GOOS == "linux" {
		m.method = "/proc/PID/status VmHWM, polled"
	}
	return m
}

// run runs argv and returns its wall time, peak RSS in kB (0 when unknown) and stdout.
func (m *rssMeter) run(argv []string) (wall time.Duration, rssKB int64, stdout []byte, err error) {
	var out, errOut bytes.Buffer
	rssFile := filepath.Join(m.dir, "time-output")
	if m.time != "" {
		argv = append([]string{m.time, "-f", "%M", "-o", rssFile, "--"}, argv...)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, nil, err
	}
	var polled chan int64
	if m.time == "" && strings.HasPrefix(m.method, "/proc") {
		polled = make(chan int64, 1)
		go func() { polled <- pollVmHWM(cmd.Process.Pid) }()
	}
	err = cmd.Wait()
	wall = time.Since(start)
	if err != nil {
		return 0, 0, nil, fmt.Errorf("%s: %w: %s", strings.Join(argv, " "), err, lastLines(errOut.String(), 10))
	}
	switch {
	case m.time != "":
		rssKB, err = readTimeOutput(rssFile)
	case polled != nil:
		rssKB = <-polled
	}
	return wall, rssKB, out.Bytes(), err
}

// pollVmHWM reads pid's VmHWM every millisecond until the process is gone, and returns the
// largest value read, in kB.
func pollVmHWM(pid int) int64 {
	path := fmt.Sprintf("/proc/%d/status", pid)
	var peak int64
	for {
		raw, err := os.ReadFile(path)
		if err != nil {
			return peak
		}
		v, ok := statusField(raw, "VmHWM:")
		if !ok { // a zombie: its memory is gone
			return peak
		}
		peak = max(peak, v)
		time.Sleep(time.Millisecond)
	}
}

// statusField returns the number in kB of a /proc/PID/status line such as "VmHWM:  1234 kB".
func statusField(status []byte, name string) (int64, bool) {
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, name); ok {
			v, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return v, err == nil
		}
	}
	return 0, false
}

// readTimeOutput reads the kB that GNU time's -f %M wrote, on the file's last line (a
// "Command exited with non-zero status" line may come first).
func readTimeOutput(path string) (int64, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	return strconv.ParseInt(strings.TrimSpace(lines[len(lines)-1]), 10, 64)
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
