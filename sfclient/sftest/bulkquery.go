package sftest

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// queryJob is a Bulk API 2.0 query job. Its rows are computed when it is created.
type queryJob struct {
	id, object, operation, query string
	apiVersion                   string
	createdBy                    string
	created                      time.Time
	createdAt                    time.Time // wall clock, for the delay
	delay                        time.Duration
	state                        string
	delimiter, lineEnding        string
	header                       []string
	rows                         [][]string
	errorMessage                 string
	jobLife
}

func (o *org) queryJob(id string) *queryJob {
	for _, j := range o.queryJobs {
		if !j.gone && id15(j.id) == id15(id) {
			return j
		}
	}
	return nil
}

func (j *queryJob) info() *ordered {
	o := newOrdered().set("id", j.id).set("operation", j.operation).set("object", j.object).
		set("createdById", j.createdBy).set("createdDate", formatTime(j.created)).set("systemModstamp", formatTime(j.created)).
		set("state", j.state).set("concurrencyMode", "Parallel").set("contentType", "CSV").
		set("apiVersion", jsonNumber(j.apiVersion)).set("jobType", "V2Query").set("lineEnding", j.lineEnding).
		set("columnDelimiter", j.delimiter).set("numberRecordsProcessed", len(j.rows)).set("retries", 0).
		set("totalProcessingTime", 0)
	if j.state == StateFailed {
		o.set("errorMessage", j.errorMessage)
	}
	return o
}

func handleQueryJobCreate(c *call) {
	s := c.s
	var req struct {
		Operation       string `json:"operation"`
		Query           string `json:"query"`
		ContentType     string `json:"contentType"`
		ColumnDelimiter string `json:"columnDelimiter"`
		LineEnding      string `json:"lineEnding"`
	}
	if !readJSONBody(c, &req) {
		return
	}
	if req.Operation != "query" && req.Operation != "queryAll" {
		writeErrors(c.w, http.StatusBadRequest, "INVALIDJOB", "InvalidJob : Invalid job operation: "+req.Operation)
		return
	}
	le, del, ok := csvFormat(c, req.LineEnding, req.ColumnDelimiter)
	if !ok {
		return
	}
	sch := restSchema{s.org}
	q, t, err := compileSOQL(req.Query, sch)
	if err != nil {
		writeQueryError(c.w, err)
		return
	}
	if q.count {
		writeErrors(c.w, http.StatusBadRequest, "API_ERROR", "Aggregate queries are not supported by Bulk API 2.0 query jobs")
		return
	}
	now := s.org.now().UTC().Truncate(time.Second)
	j := &queryJob{id: makeID("750", 300000+s.org.nextSeq()), object: t.obj.Name, operation: req.Operation, query: req.Query,
		apiVersion: c.ver, createdBy: c.user.ID, created: now, createdAt: time.Now(), delay: s.jobDelay,
		state: StateUploadComplete, delimiter: del, lineEnding: le}
	for _, f := range q.fields {
		j.header = append(j.header, f.path)
	}
	for _, rec := range q.run(sch, t, req.Operation == "queryAll", c.user) {
		row := make([]string, len(q.fields))
		for i := range q.fields {
			v, _ := lookup(sch, rec, &q.fields[i])
			row[i] = csvValue(v)
		}
		j.rows = append(j.rows, row)
	}
	if l := s.org.limits["DailyBulkV2QueryJobs"]; l != nil {
		l.Remaining--
	}
	s.org.queryJobs = append(s.org.queryJobs, j)
	writeJSON(c.w, http.StatusOK, j.info())
}

func (c *call) queryJob() *queryJob {
	j := c.s.org.queryJob(c.r.PathValue("id"))
	if j == nil {
		writeErrors(c.w, http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
	}
	return j
}

func handleQueryJobList(c *call) {
	recs := []*ordered{}
	for _, j := range c.s.org.queryJobs {
		if !j.gone {
			recs = append(recs, j.info())
		}
	}
	writeJSON(c.w, http.StatusOK, newOrdered().set("done", true).set("records", recs).set("nextRecordsUrl", nil))
}

func handleQueryJobGet(c *call) {
	if j := c.queryJob(); j != nil {
		writeJSON(c.w, http.StatusOK, j.info())
	}
}

func handleQueryJobPatch(c *call) {
	j := c.queryJob()
	if j == nil {
		return
	}
	var req struct {
		State string `json:"state"`
	}
	if !readJSONBody(c, &req) {
		return
	}
	if req.State != StateAborted || j.state == StateJobComplete || j.state == StateAborted || j.state == StateFailed {
		writeErrors(c.w, http.StatusBadRequest, "INVALIDJOBSTATE", fmt.Sprintf("Invalid state transition from %s to %s", j.state, req.State))
		return
	}
	j.state = StateAborted
	j.ended(c.s.org)
	writeJSON(c.w, http.StatusOK, j.info())
}

func handleQueryJobDelete(c *call) {
	j := c.queryJob()
	if j == nil {
		return
	}
	j.gone, j.rows = true, nil
	c.w.WriteHeader(http.StatusNoContent)
}

// handleQueryJobResults pages the CSV with maxRecords (default 50,000) and an opaque
// locator; Sforce-Locator is the literal "null" on the last page.
func handleQueryJobResults(c *call) {
	j := c.queryJob()
	if j == nil {
		return
	}
	if j.state != StateJobComplete {
		writeErrors(c.w, http.StatusPreconditionFailed, "JOB_NOT_COMPLETE",
			"can only download query results of successfully completed bulk job with status: JOB_COMPLETE. Current status: "+strings.ToUpper(j.state))
		return
	}
	max := 50000
	if v := c.r.URL.Query().Get("maxRecords"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			writeErrors(c.w, http.StatusBadRequest, "INVALID_PARAMETER_VALUE", "maxRecords must be a positive integer")
			return
		}
		max = n
	}
	offset := 0
	if loc := c.r.URL.Query().Get("locator"); loc != "" {
		n, err := strconv.Atoi(loc)
		if err != nil || n < 0 || n > len(j.rows) {
			writeErrors(c.w, http.StatusBadRequest, "INVALID_LOCATOR", "Invalid locator: "+loc)
			return
		}
		offset = n
	}
	end := min(offset+max, len(j.rows))
	next := "null"
	if end < len(j.rows) {
		next = strconv.Itoa(end)
	}
	h := c.w.Header()
	h.Set("Content-Type", "text/csv")
	// Salesforce's spelling (query-get-job-results.md); Header.Set would canonicalise
	// the second to Sforce-Numberofrecords.
	h["Sforce-Locator"] = []string{next}
	h["Sforce-NumberOfRecords"] = []string{strconv.Itoa(end - offset)}
	c.w.WriteHeader(http.StatusOK)
	writeQuotedCSV(c.w, j.header, j.rows[offset:end])
}
