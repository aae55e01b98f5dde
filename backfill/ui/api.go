package ui

import (
	"embed"
	"encoding/json"
	"html/template"
	"io"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"
)

//go:embed static
var static embed.FS

// indexTemplate is the page: static markup that app.js fills; the check value state changes
// carry is its one value. It is parsed when first served, not at every start of the process.
var indexTemplate = sync.OnceValue(func() *template.Template {
	return template.Must(template.ParseFS(static, "static/index.html"))
})

// handler routes the page's requests, behind the guard.
func (s *Server) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.serveIndex)
	assets, _ := fs.Sub(static, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(assets)))
	mux.HandleFunc("GET /api/state", s.serveState)
	mux.HandleFunc("GET /api/events", s.serveEvents)
	mux.HandleFunc("GET /api/runs", s.serveRuns)
	mux.HandleFunc("GET /api/runs/{name}", s.serveRun)
	mux.HandleFunc("POST /api/sf-orgs", s.findSFOrgs)
	mux.HandleFunc("POST /api/org", s.chooseOrg)
	mux.HandleFunc("POST /api/export", s.uploadExport)
	mux.HandleFunc("POST /api/export/sample", s.useSample)
	mux.HandleFunc("POST /api/check", s.check)
	mux.HandleFunc("POST /api/plan", s.plan)
	mux.HandleFunc("POST /api/runs/{name}/open", s.openRun)
	mux.HandleFunc("POST /api/runs/{name}/approve", s.approve)
	mux.HandleFunc("POST /api/runs/{name}/import", s.importRun)
	mux.HandleFunc("POST /api/runs/{name}/resume", s.resume)
	mux.HandleFunc("POST /api/runs/{name}/verify", s.verify)
	mux.HandleFunc("POST /api/runs/{name}/undo-plan", s.undoPlan)
	mux.HandleFunc("POST /api/runs/{name}/undo", s.undo)
	mux.HandleFunc("POST /api/runs/{name}/stop", s.stopRun)
	mux.HandleFunc("POST /api/quit", s.quitServer)
	mux.HandleFunc("GET /runs/{name}/report.html", s.serveReport)
	mux.HandleFunc("GET /runs/{name}/plan-report.html", s.serveReport)
	mux.HandleFunc("GET /runs/{name}/files/{file}", s.serveFile)
	return s.guard(mux)
}

func (s *Server) serveIndex(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	indexTemplate().Execute(w, struct{ Check string }{s.auth.check})
}

// writeJSON answers v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// writeError answers the page's sentence for a refusal.
func writeError(w http.ResponseWriter, status int, s sentence) {
	if s.Tone == "" {
		s.Tone = "bad"
	}
	writeJSON(w, status, struct {
		Error sentence `json:"error"`
	}{s})
}

// fail answers err in the page's words, with status.
func fail(w http.ResponseWriter, status int, err error) { writeError(w, status, *explain(err)) }

// readJSON decodes a small JSON body into v (an empty body leaves v as it is).
func readJSON(r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return pageErr("The request is not JSON.", "")
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return err
	}
	if len(b) == 0 {
		return nil
	}
	if err := json.Unmarshal(b, v); err != nil {
		return pageErr("The request could not be read.", "Reload the page.")
	}
	return nil
}

// stateView is what the page shows outside the runs: the orgs, the export, the jobs.
type stateView struct {
	Version     string      `json:"version"`
	CommandLine *orgView    `json:"command_line,omitempty"` // the login given on the command line, not yet connected
	Org         *orgView    `json:"org,omitempty"`          // the org chosen in step 1
	SFOrgs      []sfOrgView `json:"sf_orgs"`
	Export      *exportView `json:"export,omitempty"`
	Current     string      `json:"current,omitempty"` // the run shown in steps 4 to 8
	Tasks       []taskView  `json:"tasks"`
	Runs        string      `json:"runs"` // the runs folder
	Now         time.Time   `json:"now"`
	Idle        string      `json:"idle"`
}

func (s *Server) state() stateView {
	s.mu.Lock()
	v := stateView{Version: s.opts.Front.Version, Current: s.current, Runs: s.runs, Now: time.Now(), Tasks: []taskView{},
		SFOrgs: []sfOrgView{}, Idle: s.opts.IdleTimeout.String()}
	if s.opts.Org != nil {
		v.CommandLine = commandLineView(s.opts.Org)
	}
	if s.org != nil {
		o := s.org.view
		v.Org = &o
	}
	for _, o := range s.sfOrgs {
		v.SFOrgs = append(v.SFOrgs, sfView(o))
	}
	if s.export != nil {
		v.Export = s.export.view()
	}
	tasks := make([]*task, 0, len(s.tasks))
	for _, t := range s.tasks {
		tasks = append(tasks, t)
	}
	s.mu.Unlock()
	for _, t := range tasks {
		v.Tasks = append(v.Tasks, t.view())
	}
	return v
}

func (s *Server) serveState(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.state())
}

// serveEvents streams the state as server-sent events: a "state" event whenever a job
// moves (at most five a second), a "runs" event when the list of runs may have changed,
// and a comment every 20 seconds that keeps the connection open. It ends when the server
// stops, which the page shows.
func (s *Server) serveEvents(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	sub := s.events.subscribe()
	defer s.events.unsubscribe(sub)
	send := func(event string, v any) bool {
		b, _ := json.Marshal(v)
		if _, err := io.WriteString(w, "event: "+event+"\ndata: "+string(b)+"\n\n"); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if !send("state", s.state()) {
		return
	}
	keep := time.NewTicker(20 * time.Second)
	defer keep.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-s.done:
			return
		case <-keep.C:
			if _, err := io.WriteString(w, ": keep\n\n"); err != nil || rc.Flush() != nil {
				return
			}
		case what := <-sub:
			if what&changedRuns != 0 && !send("runs", struct{}{}) {
				return
			}
			if !send("state", s.state()) {
				return
			}
			select { // at most five states a second
			case <-time.After(200 * time.Millisecond):
			case <-r.Context().Done():
				return
			}
		}
	}
}

// quitServer stops the server, as asked from the page; the jobs still running are stopped
// as Ctrl-C stops them, unless the page did not confirm that.
func (s *Server) quitServer(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Force bool `json:"force"`
	}
	if err := readJSON(r, &req); err != nil {
		fail(w, http.StatusBadRequest, err)
		return
	}
	if n := s.running(); n > 0 && !req.Force {
		writeError(w, http.StatusConflict, *bad("A job is running: stopping now interrupts it.", "Resume finishes an interrupted import later."))
		return
	}
	writeJSON(w, http.StatusAccepted, ok("backfill ui is stopping. You can close this tab.", ""))
	go s.requestStop("asked from the page")
}

// mediaType is the Content-Type of a run-folder file served for download.
func mediaType(name string) string {
	switch path.Ext(name) {
	case ".csv":
		return "text/csv; charset=utf-8"
	case ".json":
		return "application/json"
	}
	return "application/octet-stream"
}
