package sftest

import (
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Bulk API 2.0 job states.
const (
	StateOpen           = "Open"
	StateUploadComplete = "UploadComplete"
	StateInProgress     = "InProgress"
	StateJobComplete    = "JobComplete"
	StateFailed         = "Failed"
	StateAborted        = "Aborted"
)

var delimiters = map[string]rune{"COMMA": ',', "TAB": '\t', "PIPE": '|', "SEMICOLON": ';', "CARET": '^', "BACKQUOTE": '`'}

type ingestJob struct {
	id, object, operation, extIDField string
	lineEnding, delimiter             string
	apiVersion                        string
	createdBy                         string
	created, modstamp                 time.Time
	state                             string
	uploaded                          bool
	data                              []byte // the upload, until it is processed
	uploadedBytes                     int
	closedAt                          time.Time
	delay                             time.Duration
	processed, failed                 int
	// uploadRows counts the upload's lines after the header; shown is what
	// numberRecordsProcessed says while the job is InProgress: Salesforce reports its
	// internal batches as they finish, so the count grows before the job completes.
	uploadRows, shown              int
	errorMessage                   string
	header                         []string
	success, failures, unprocessed [][]string
	jobLife
}

func (o *org) job(id string) *ingestJob {
	for _, j := range o.jobs {
		if !j.gone && id15(j.id) == id15(id) {
			return j
		}
	}
	return nil
}

func (j *ingestJob) info(full bool) *ordered {
	o := newOrdered().set("id", j.id).set("operation", j.operation).set("object", j.object).
		set("createdById", j.createdBy).set("createdDate", formatTime(j.created)).
		set("systemModstamp", formatTime(j.modstamp)).set("state", j.state)
	if j.extIDField != "" {
		o.set("externalIdFieldName", j.extIDField)
	}
	o.set("concurrencyMode", "Parallel").set("contentType", "CSV").set("apiVersion", json.Number(j.apiVersion))
	if full {
		o.set("jobType", "V2Ingest")
	}
	if j.state == StateOpen {
		o.set("contentUrl", fmt.Sprintf("services/data/v%s/jobs/ingest/%s/batches", j.apiVersion, j.id))
	}
	o.set("lineEnding", j.lineEnding).set("columnDelimiter", j.delimiter)
	if full {
		ms := 0
		if j.processed > 0 {
			ms = 40 + j.processed/10
		}
		processed := j.processed
		if j.state == StateInProgress {
			processed = j.shown
		}
		o.set("numberRecordsProcessed", processed).set("numberRecordsFailed", j.failed).set("retries", 0).
			set("totalProcessingTime", ms).set("apiActiveProcessingTime", ms).set("apexProcessingTime", 0)
		if j.state == StateFailed {
			o.set("errorMessage", j.errorMessage)
		}
	}
	return o
}

// csvFormat applies the defaults LF and COMMA to a job's lineEnding and columnDelimiter;
// it answers 400 and returns false when either is not one Salesforce knows.
func csvFormat(c *call, lineEnding, delimiter string) (string, string, bool) {
	if lineEnding == "" {
		lineEnding = "LF"
	}
	if delimiter == "" {
		delimiter = "COMMA"
	}
	if _, ok := delimiters[delimiter]; !ok || (lineEnding != "LF" && lineEnding != "CRLF") {
		writeErrors(c.w, http.StatusBadRequest, "INVALIDJOB", "InvalidJob : Invalid lineEnding or columnDelimiter")
		return "", "", false
	}
	return lineEnding, delimiter, true
}

func readJSONBody(c *call, v any) bool {
	b, err := c.body(1 << 20)
	if err != nil {
		writeErrors(c.w, http.StatusBadRequest, "JSON_PARSER_ERROR", fmt.Sprintf("Cannot deserialize request body: %v", err))
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(v); err != nil {
		writeErrors(c.w, http.StatusBadRequest, "JSON_PARSER_ERROR", fmt.Sprintf("Cannot deserialize request body: %v", err))
		return false
	}
	return true
}

func handleIngestCreate(c *call) {
	s := c.s
	var req struct {
		Object              string `json:"object"`
		Operation           string `json:"operation"`
		ExternalIDFieldName string `json:"externalIdFieldName"`
		ContentType         string `json:"contentType"`
		LineEnding          string `json:"lineEnding"`
		ColumnDelimiter     string `json:"columnDelimiter"`
		AssignmentRuleID    string `json:"assignmentRuleId"`
	}
	if !readJSONBody(c, &req) {
		return
	}
	switch req.Operation {
	case "insert", "update", "upsert", "delete", "hardDelete":
	default:
		writeErrors(c.w, http.StatusBadRequest, "INVALIDJOB", fmt.Sprintf("InvalidJob : Invalid job operation: %s", req.Operation))
		return
	}
	t := s.org.tables[strings.ToLower(req.Object)]
	if t == nil || !t.obj.Createable {
		writeErrors(c.w, http.StatusBadRequest, "INVALIDENTITY", fmt.Sprintf("Entity '%s' is not supported by the Bulk API.", req.Object))
		return
	}
	ext := ""
	if req.Operation == "upsert" {
		if req.ExternalIDFieldName == "" {
			writeErrors(c.w, http.StatusBadRequest, "INVALIDJOB", "InvalidJob : External ID field is required for upsert operation")
			return
		}
		f := t.field(req.ExternalIDFieldName)
		if f == nil || (!f.ExternalID && f.Name != "Id") {
			writeErrors(c.w, http.StatusBadRequest, "INVALIDJOB", fmt.Sprintf("InvalidJob : Field %s is not an external ID field of %s", req.ExternalIDFieldName, t.obj.Name))
			return
		}
		ext = f.Name
	}
	if req.ContentType != "" && req.ContentType != "CSV" {
		writeErrors(c.w, http.StatusBadRequest, "INVALIDJOB", fmt.Sprintf("InvalidJob : Unsupported content type: %s", req.ContentType))
		return
	}
	le, del, ok := csvFormat(c, req.LineEnding, req.ColumnDelimiter)
	if !ok {
		return
	}
	now := s.org.now().UTC().Truncate(time.Second)
	j := &ingestJob{
		id: makeID("750", 300000+s.org.nextSeq()), object: t.obj.Name, operation: req.Operation, extIDField: ext,
		lineEnding: le, delimiter: del, apiVersion: c.ver, createdBy: c.user.ID, created: now, modstamp: now, state: StateOpen,
	}
	s.org.jobs = append(s.org.jobs, j)
	writeJSON(c.w, http.StatusOK, j.info(false))
}

func handleIngestList(c *call) {
	recs := []*ordered{}
	for _, j := range c.s.org.jobs {
		if !j.gone {
			recs = append(recs, j.info(true))
		}
	}
	writeJSON(c.w, http.StatusOK, newOrdered().set("done", true).set("records", recs).set("nextRecordsUrl", nil))
}

// job finds the ingest job of the path, or answers 404 for an unknown, deleted or expired
// one with Salesforce's NOT_FOUND body for a missing REST resource,
// [{"message":"The requested resource does not exist","errorCode":"NOT_FOUND"}]
// (the REST API guide's errorcodes.htm; docs/SALESFORCE.md). No recorded answer for a
// job Salesforce deleted after 7 days was found in the jsforce, simple-salesforce or
// issue corpora; it is assumed to be the same.
func (c *call) job() *ingestJob {
	j := c.s.org.job(c.r.PathValue("id"))
	if j == nil {
		writeErrors(c.w, http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
	}
	return j
}

func handleIngestGet(c *call) {
	if j := c.job(); j != nil {
		writeJSON(c.w, http.StatusOK, j.info(true))
	}
}

func handleIngestUpload(c *call) {
	s := c.s
	j := c.job()
	if j == nil {
		return
	}
	if j.uploaded && j.state == StateOpen {
		writeErrors(c.w, http.StatusBadRequest, "INVALIDJOBSTATE", fmt.Sprintf("Found multiple contents for job: <%s>, please 'Close' / 'Abort' / 'Delete' the current Job then create a new Job and make sure you only do 'PUT' once on a given Job.", j.id))
		return
	}
	if j.state != StateOpen {
		writeErrors(c.w, http.StatusBadRequest, "INVALIDJOBSTATE", fmt.Sprintf("Job %s is not in Open state: %s", j.id, j.state))
		return
	}
	if ct := c.r.Header.Get("Content-Type"); !strings.HasPrefix(strings.ToLower(ct), "text/csv") {
		writeErrors(c.w, http.StatusBadRequest, "INVALIDJOB", fmt.Sprintf("InvalidJob : Unsupported content type for upload: %q; use text/csv", ct))
		return
	}
	limit := s.maxUpload
	data, err := c.body(limit)
	if err != nil {
		writeErrors(c.w, http.StatusBadRequest, "INVALIDJOB", "InvalidJob : could not read content")
		return
	}
	if strings.EqualFold(c.r.Header.Get("Content-Encoding"), "gzip") && int64(len(data)) <= limit {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			writeErrors(c.w, http.StatusBadRequest, "INVALIDJOB", "InvalidJob : invalid gzip content")
			return
		}
		if data, err = io.ReadAll(io.LimitReader(zr, limit+1)); err != nil {
			writeErrors(c.w, http.StatusBadRequest, "INVALIDJOB", "InvalidJob : could not read content")
			return
		}
	}
	if int64(len(data)) > limit {
		writeErrors(c.w, http.StatusBadRequest, "EXCEEDED_MAX_SIZE_REQUEST", fmt.Sprintf("Exceeded max size limit of %d bytes for job data", limit))
		return
	}
	if j.uploaded || j.state != StateOpen { // another call changed the job while this one read
		writeErrors(c.w, http.StatusBadRequest, "INVALIDJOBSTATE", fmt.Sprintf("Job %s is not in Open state: %s", j.id, j.state))
		return
	}
	j.data, j.uploadedBytes = data, len(data)
	j.uploadRows = max(0, bytes.Count(data, []byte("\n"))-1)
	j.uploaded = true
	j.modstamp = s.org.now().UTC().Truncate(time.Second)
	c.w.WriteHeader(http.StatusCreated)
}

func handleIngestPatch(c *call) {
	s := c.s
	j := c.job()
	if j == nil {
		return
	}
	var req struct {
		State string `json:"state"`
	}
	if !readJSONBody(c, &req) {
		return
	}
	switch {
	case req.State == StateUploadComplete && j.state == StateOpen:
		j.state = StateUploadComplete
		j.closedAt = time.Now()
		j.delay = s.jobDelay
	case req.State == StateAborted && (j.state == StateOpen || j.state == StateUploadComplete || j.state == StateInProgress):
		j.state = StateAborted
		j.parseForUnprocessed()
		j.ended(s.org)
	default:
		writeErrors(c.w, http.StatusBadRequest, "INVALIDJOBSTATE", fmt.Sprintf("Invalid state transition from %s to %s", j.state, req.State))
		return
	}
	j.modstamp = s.org.now().UTC().Truncate(time.Second)
	writeJSON(c.w, http.StatusOK, j.info(true))
}

func handleIngestDelete(c *call) {
	j := c.job()
	if j == nil {
		return
	}
	if j.state == StateOpen || j.state == StateInProgress {
		writeErrors(c.w, http.StatusBadRequest, "INVALIDJOBSTATE", fmt.Sprintf("Cannot delete job %s in state %s", j.id, j.state))
		return
	}
	j.vanish()
	c.w.WriteHeader(http.StatusNoContent)
}

func handleIngestResults(c *call) {
	j := c.job()
	if j == nil {
		return
	}
	kind := strings.ToLower(strings.TrimSuffix(c.r.URL.Path, "/"))
	kind = kind[strings.LastIndexByte(kind, '/')+1:]
	var head []string
	var rows [][]string
	final := j.state == StateJobComplete || j.state == StateFailed || j.state == StateAborted
	switch kind {
	case "successfulresults":
		head = append([]string{"sf__Id", "sf__Created"}, j.header...)
		if final {
			rows = j.success
		}
	case "failedresults":
		head = append([]string{"sf__Id", "sf__Error"}, j.header...)
		if final {
			rows = j.failures
		}
	default:
		head = j.header
		if final {
			rows = j.unprocessed
		}
	}
	c.w.Header().Set("Content-Type", "text/csv")
	c.w.WriteHeader(http.StatusOK)
	writeQuotedCSV(c.w, head, rows)
}

// writeQuotedCSV writes every value double-quoted with LF line endings, as Salesforce does.
func writeQuotedCSV(w io.Writer, head []string, rows [][]string) {
	var b bytes.Buffer
	line := func(vals []string) {
		for i, v := range vals {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('"')
			b.WriteString(strings.ReplaceAll(v, `"`, `""`))
			b.WriteByte('"')
		}
		b.WriteByte('\n')
	}
	if len(head) > 0 {
		line(head)
	}
	for _, r := range rows {
		line(r)
	}
	w.Write(b.Bytes())
}

// advanceJobs moves closed jobs along by elapsed time, processes the due ones and makes
// those past the retention vanish.
func (o *org) advanceJobs(s *Server) {
	defer o.sweepJobs()
	for _, j := range o.jobs {
		if j.state != StateUploadComplete && j.state != StateInProgress {
			continue
		}
		el := time.Since(j.closedAt)
		switch {
		case el >= j.delay:
			o.process(s, j)
		case el >= j.delay/2:
			j.state = StateInProgress
			j.shown = int(int64(j.uploadRows) * int64(el-j.delay/2) / int64(j.delay-j.delay/2))
		}
	}
	for _, j := range o.queryJobs {
		if (j.state == StateUploadComplete || j.state == StateInProgress) && time.Since(j.createdAt) >= j.delay {
			j.state = StateJobComplete
			j.ended(o)
		} else if j.state == StateUploadComplete && time.Since(j.createdAt) >= j.delay/2 {
			j.state = StateInProgress
		}
	}
}

func (j *ingestJob) reader() *csv.Reader {
	r := csv.NewReader(bytes.NewReader(j.data))
	r.Comma = delimiters[j.delimiter]
	r.FieldsPerRecord = -1
	r.ReuseRecord = false
	return r
}

// parseForUnprocessed fills header and unprocessed rows from the upload, for jobs that end
// without processing (Aborted, Failed).
func (j *ingestJob) parseForUnprocessed() {
	r := j.reader()
	head, err := r.Read()
	if err != nil {
		return
	}
	j.header = head
	j.unprocessed = nil
	for {
		rec, err := r.Read()
		if err != nil {
			break
		}
		j.unprocessed = append(j.unprocessed, rec)
	}
}

// fail ends j Failed with msg before any row was applied: every uploaded row is
// unprocessed.
func (j *ingestJob) fail(o *org, msg string) {
	j.state = StateFailed
	j.errorMessage = msg
	j.parseForUnprocessed()
	j.ended(o)
}

// body reads the request's body, at most limit+1 bytes, with s.mu released meanwhile: a
// client that stalls mid-body, or dies while something still holds its socket open (Wine's
// server does for a killed process), must not stop the org for every other caller. Reading
// only here, after the checks that refuse a call, keeps Expect: 100-continue meaningful: a
// refused call is answered before its body is asked for.
func (c *call) body(limit int64) ([]byte, error) {
	c.s.mu.Unlock()
	defer c.s.mu.Lock()
	return io.ReadAll(io.LimitReader(c.r.Body, limit+1))
}
