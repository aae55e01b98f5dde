package ui

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/northpass-tools/backfill/backfill"
	"github.com/northpass-tools/backfill/backfill/runfolder"
	"github.com/northpass-tools/backfill/sfclient"
	"github.com/northpass-tools/backfill/sfclient/sftest"
)

// DefaultIdleTimeout is how long the server waits, with no request and no job running,
// before it exits.
const DefaultIdleTimeout = time.Hour

// Options configure a [Server].
type Options struct {
	// Front gives the jobs their logger, version and clock; the page sets Progress, Render
	// and Words itself, and never Confirm (it asks on the page before it starts a job).
	Front backfill.Front
	// Addr is the listen address; it must be loopback. "" means 127.0.0.1:0 (a free port).
	Addr string
	// Runs is the folder run folders go in (and uploaded exports, in its exports folder);
	// "" means backfill-runs.
	Runs string
	// Org is the login given on the command line, with its credentials; nil for none.
	Org *sfclient.Config
	// SFCommand is the Salesforce CLI; "" means "sf".
	SFCommand string
	// IdleTimeout is how long the server waits, idle, before it exits; 0 means
	// [DefaultIdleTimeout].
	IdleTimeout time.Duration
	// PracticeJobDelay is how long the practice org takes to process a Bulk job.
	PracticeJobDelay time.Duration
}

// Server is the page's HTTP server. Create it with [New], run it with [Server.Serve].
type Server struct {
	opts   Options
	log    *zap.Logger
	runs   string
	ln     net.Listener
	hs     *http.Server
	origin string          // http://127.0.0.1:PORT
	hosts  map[string]bool // the Host values accepted

	auth *auth

	// base is the context of every job; cancelling it stops them all.
	base   context.Context
	cancel context.CancelFunc
	jobs   sync.WaitGroup
	quit   chan string // why the server stops, once
	stop   sync.Once
	done   chan struct{} // closed when the server stops: event streams end
	active atomic.Int64  // unix nanoseconds of the last request

	// probeMu orders looking at a run folder's lock (inUse) with a job claiming the folder
	// (start); it is taken before mu.
	probeMu sync.Mutex

	mu       sync.Mutex
	org      *connected // the org chosen in step 1
	sfOrgs   []sfclient.SFOrg
	export   *exportFile
	current  string           // the run shown in steps 4 to 8
	tasks    map[string]*task // by key: "check", "plan", or "run:" and the run's name
	practice *sftest.Server

	events *broadcaster
}

// New checks opts, listens on the loopback address and returns the server; nothing is
// served until [Server.Serve]. A server that is not served is closed with [Server.Close].
func New(opts Options) (*Server, error) {
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	if opts.Runs == "" {
		opts.Runs = runfolder.DefaultParent
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = DefaultIdleTimeout
	}
	if err := CheckLoopback(opts.Addr); err != nil {
		return nil, err
	}
	if st, err := os.Stat(opts.Runs); err == nil && !st.IsDir() {
		return nil, fmt.Errorf("runs folder %s is a file, not a folder", opts.Runs)
	}
	addr := opts.Addr
	if host, port, _ := net.SplitHostPort(addr); host == "localhost" {
		addr = net.JoinHostPort("127.0.0.1", port)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", opts.Addr, err)
	}
	a, err := newAuth()
	if err != nil {
		ln.Close()
		return nil, err
	}
	log := opts.Front.Logger
	if log == nil {
		log = zap.NewNop()
	}
	s := &Server{opts: opts, log: log.Named("ui"), runs: opts.Runs, ln: ln, auth: a,
		quit: make(chan string, 1), done: make(chan struct{}), tasks: map[string]*task{}, events: newBroadcaster()}
	host := ln.Addr().String() // 127.0.0.1:PORT or [::1]:PORT
	_, port, _ := net.SplitHostPort(host)
	s.origin = "http://" + host
	s.hosts = map[string]bool{host: true, net.JoinHostPort("localhost", port): true}
	s.base, s.cancel = context.WithCancel(context.Background())
	s.hs = &http.Server{Handler: s.handler(), ReadHeaderTimeout: 10 * time.Second, ErrorLog: zap.NewStdLog(s.log)}
	s.touch()
	return s, nil
}

// URL is the address to open: the page, with the one-time token that starts its session.
func (s *Server) URL() string { return s.origin + "/?token=" + s.auth.token }

// Origin is the page's origin, http://127.0.0.1:PORT.
func (s *Server) Origin() string { return s.origin }

// Serve serves the page until ctx is cancelled, the page asks the server to stop, or it has
// been idle for the idle timeout. Then it stops the jobs still running (as Ctrl-C does:
// each finishes its step in flight and journals it, so Resume finishes it) and waits for
// them. It returns why it stopped.
func (s *Server) Serve(ctx context.Context) (string, error) {
	errc := make(chan error, 1)
	go func() { errc <- s.hs.Serve(s.ln) }()
	idle := time.NewTicker(min(s.opts.IdleTimeout/4, time.Minute))
	defer idle.Stop()
	var why string
	for why == "" {
		select {
		case <-ctx.Done():
			why = "interrupted"
		case why = <-s.quit:
		case err := <-errc:
			s.shutdown()
			return "", err
		case <-idle.C:
			if s.idle() {
				why = fmt.Sprintf("idle for %s", s.opts.IdleTimeout)
			}
		}
	}
	s.log.Info("stopping", zap.String("why", why))
	s.shutdown()
	return why, nil
}

// shutdown stops the jobs, waits for them, ends the event streams and the HTTP server, and
// the practice org.
func (s *Server) shutdown() {
	s.cancel()
	s.jobs.Wait()
	close(s.done)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s.hs.Shutdown(ctx)
	s.mu.Lock()
	if s.practice != nil {
		s.practice.Close()
	}
	s.mu.Unlock()
}

// Close stops listening, for a server that will not be served.
func (s *Server) Close() error {
	s.cancel()
	return s.ln.Close()
}

// requestStop asks Serve to stop, for why.
func (s *Server) requestStop(why string) {
	s.stop.Do(func() { s.quit <- why })
}

// touch records activity now.
func (s *Server) touch() { s.active.Store(time.Now().UnixNano()) }

// idle reports whether nothing happened for the idle timeout and no job runs.
func (s *Server) idle() bool {
	if s.running() > 0 {
		s.touch()
		return false
	}
	return time.Since(time.Unix(0, s.active.Load())) >= s.opts.IdleTimeout
}

// CheckLoopback refuses a listen address that is not loopback (127.0.0.1, ::1 or
// localhost): the page can load data into Salesforce.
func CheckLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%q is not a loopback address", host)
	}
	return nil
}

// runDir is the run folder of a run's name, or an error for a name that is not one run
// folder directly under the runs folder.
func (s *Server) runDir(name string) (string, error) {
	if !plainName(name) {
		return "", errNoRun
	}
	dir := filepath.Join(s.runs, name)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return "", errNoRun
	}
	return dir, nil
}

var errNoRun = errors.New("no such run")

// plainName reports whether name is a plain file or folder name: no separator, not . or
// .., not hidden.
func plainName(name string) bool {
	return name != "" && name[0] != '.' && filepath.Base(name) == name && filepath.IsLocal(name) &&
		!strings.ContainsAny(name, `/\:`)
}

// baseName is the last element of a path, as runs are named on the page.
func baseName(dir string) string { return filepath.Base(filepath.Clean(dir)) }
