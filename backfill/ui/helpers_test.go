package ui_test

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/northpass-tools/backfill/backfill"
	"github.com/northpass-tools/backfill/backfill/runfolder"
	"github.com/northpass-tools/backfill/backfill/ui"
	"github.com/northpass-tools/backfill/sfclient"
	"github.com/northpass-tools/backfill/sfclient/sftest"
)

// sample is the sample export, in the repository.
var sample, _ = filepath.Abs(filepath.Join("..", "demo", "sample", "export.csv"))

// server is a running page server of a test.
type server struct {
	*ui.Server
	runs string
	stop context.CancelFunc
	done chan string // why Serve returned
}

// serve starts a page server on loopback with opts (Runs defaults to a temporary folder)
// and stops it at the end of the test.
func serve(t *testing.T, opts ui.Options) *server {
	t.Helper()
	if opts.Runs == "" {
		opts.Runs = filepath.Join(t.TempDir(), "runs")
	}
	if opts.Front.Logger == nil {
		opts.Front = backfill.Front{Logger: zaptest.NewLogger(t), Version: "test"}
	}
	srv, err := ui.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &server{Server: srv, runs: opts.Runs, stop: cancel, done: make(chan string, 1)}
	go func() {
		why, err := srv.Serve(ctx)
		if err != nil {
			t.Errorf("serve: %v", err)
		}
		s.done <- why
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-s.done:
		case <-time.After(30 * time.Second):
			t.Error("the server did not stop")
		}
	})
	return s
}

// stopped waits for Serve to return after stop and says why it did.
func (s *server) stopped(t *testing.T) string {
	t.Helper()
	s.stop()
	select {
	case why := <-s.done:
		s.done <- why // for the cleanup
		return why
	case <-time.After(30 * time.Second):
		t.Fatal("the server did not stop")
	}
	return ""
}

// emulator is an emulated org for the command line's login, with fast polling.
func emulator(t *testing.T, opts ...sftest.Option) (*sftest.Server, *sfclient.Config) {
	t.Helper()
	srv := sftest.NewServer(t, opts...)
	return srv, &sfclient.Config{InstanceURL: srv.URL, Credentials: sfclient.Credentials{AccessToken: srv.AccessToken()},
		PollInterval: 20 * time.Millisecond, MaxPollInterval: 100 * time.Millisecond}
}

// client is an HTTP client that has the page's session (the token exchanged for the
// cookie) and sends state changes as the page does.
type client struct {
	t      *testing.T
	s      *server
	hc     *http.Client
	check  string
	origin string
}

func session(t *testing.T, s *server) *client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &client{t: t, s: s, hc: &http.Client{Jar: jar}, origin: s.Origin()}
	res, err := c.hc.Get(s.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b := readAll(t, res)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", s.URL(), res.StatusCode, b)
	}
	const meta = `name="backfill-check" content="`
	i := strings.Index(b, meta)
	if i < 0 {
		t.Fatalf("the page has no check value: %s", b)
	}
	c.check = b[i+len(meta):]
	c.check = c.check[:strings.IndexByte(c.check, '"')]
	return c
}

func readAll(t *testing.T, res *http.Response) string {
	t.Helper()
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := res.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return b.String()
}

// runFolder is the one run folder under runs.
func runFolder(t *testing.T, runs string) string {
	t.Helper()
	entries, err := os.ReadDir(runs)
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for _, e := range entries {
		if e.IsDir() && e.Name() != ui.ExportsDir {
			dirs = append(dirs, e.Name())
		}
	}
	if len(dirs) != 1 {
		t.Fatalf("run folders under %s: %v, want one", runs, dirs)
	}
	return filepath.Join(runs, dirs[0])
}

// onDisk is what a run folder holds.
type onDisk struct {
	plan    runfolder.Plan
	journal *runfolder.JournalState
	summary backfill.Summary
	folder  *runfolder.Folder
}

func readDisk(t *testing.T, dir string) *onDisk {
	t.Helper()
	f, err := runfolder.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	d := &onDisk{folder: f}
	if err := f.ReadJSON(runfolder.PlanFile, &d.plan); err != nil {
		t.Fatal(err)
	}
	if err := f.CheckSeal(&d.plan); err != nil {
		t.Fatalf("seal: %v", err)
	}
	if d.journal, err = f.ReadJournal(); err != nil {
		t.Fatal(err)
	}
	if err := f.ReadJSON(runfolder.SummaryFile, &d.summary); err != nil {
		t.Fatal(err)
	}
	return d
}
