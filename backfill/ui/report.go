package ui

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"mime"
	"net/http"
	"os"
	"regexp"
	"strings"

	"github.com/northpass-tools/backfill/backfill"
	"github.com/northpass-tools/backfill/backfill/report"
	"github.com/northpass-tools/backfill/backfill/runfolder"
)

// The reports the page shows inline: report.html's own renderer (package report), fed the
// run's summary.json (plan-report.html: the plan's summary) and the page's words, served to
// a frame. The report is one self-contained document with one inline style element; its
// Content-Security-Policy allows that style by its hash and nothing else (no script runs in
// it, and the frame is sandboxed too).

var styleBlock = regexp.MustCompile(`(?s)<style>(.*?)</style>`)

// reportPolicy is the Content-Security-Policy of a rendered report: its own style elements,
// by hash; data: images; framed by the page only; sandboxed (same origin, so the page can
// size the frame, and no script).
func reportPolicy(page []byte) string {
	var hashes []string
	for _, m := range styleBlock.FindAllSubmatch(page, -1) {
		sum := sha256.Sum256(m[1])
		hashes = append(hashes, "'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'")
	}
	style := "'none'"
	if len(hashes) > 0 {
		style = strings.Join(hashes, " ")
	}
	return "default-src 'none'; style-src " + style + "; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'self'; sandbox allow-same-origin"
}

// serveReport renders the run's report (report.html: summary.json) or its plan's
// (plan-report.html: plan-summary.json, or summary.json before the import).
func (s *Server) serveReport(w http.ResponseWriter, r *http.Request) {
	dir, err := s.runDir(r.PathValue("name"))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	f, err := runfolder.Open(dir)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	name := runfolder.SummaryFile
	if strings.HasSuffix(r.URL.Path, "/"+runfolder.PlanReportFile) && f.Has(runfolder.PlanSummaryFile) {
		name = runfolder.PlanSummaryFile
	}
	var sum backfill.Summary
	if err := f.ReadJSON(name, &sum); err != nil {
		http.Error(w, "this run has no summary yet", http.StatusNotFound)
		return
	}
	pageSummary(&sum)
	var b bytes.Buffer
	if err := report.Render(&b, &sum, report.View{Words: Words{}}); err != nil {
		http.Error(w, "the report cannot be shown", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Security-Policy", reportPolicy(b.Bytes()))
	h.Set("X-Frame-Options", "SAMEORIGIN")
	h.Set("Content-Type", "text/html; charset=utf-8")
	w.Write(b.Bytes())
}

// serveFile sends one file of a run folder for download: a plain name directly in the
// folder, opened inside it (a link cannot lead out of it).
func (s *Server) serveFile(w http.ResponseWriter, r *http.Request) {
	dir, err := s.runDir(r.PathValue("name"))
	file := r.PathValue("file")
	if err != nil || !plainName(file) {
		http.NotFound(w, r)
		return
	}
	f, err := os.OpenInRoot(dir, file)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", mediaType(file))
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": file}))
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	http.ServeContent(w, r, file, st.ModTime(), io.ReadSeeker(f))
}
