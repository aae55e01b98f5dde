package sfclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"
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

// JobSpec describes a Bulk API 2.0 ingest job to create.
type JobSpec struct {
	Object    string // sObject API name
	Operation string // "insert", "update", "upsert", "delete" or "hardDelete"
	// ExternalIDFieldName is required for upsert.
	ExternalIDFieldName string
}

// Job is the Bulk API 2.0 job info. Times are Salesforce's "+0000" datetimes; APIVersion is
// decoded from the JSON number Salesforce sends (or a string).
type Job struct {
	ID                      string
	Operation               string
	Object                  string
	CreatedByID             string
	CreatedDate             time.Time
	SystemModstamp          time.Time
	State                   string
	ExternalIDFieldName     string
	ConcurrencyMode         string
	ContentType             string
	APIVersion              string // "62.0"
	JobType                 string
	ContentURL              string // relative, no leading slash; only while Open
	LineEnding              string
	ColumnDelimiter         string
	NumberRecordsProcessed  int64
	NumberRecordsFailed     int64
	Retries                 int64
	TotalProcessingTime     int64 // milliseconds
	APIActiveProcessingTime int64
	ApexProcessingTime      int64
	ErrorMessage            string
}

// Terminal reports whether the job is JobComplete, Failed or Aborted.
func (j *Job) Terminal() bool {
	return j.State == StateJobComplete || j.State == StateFailed || j.State == StateAborted
}

// UnmarshalJSON decodes job info leniently (numeric or string apiVersion and counters,
// "+0000" or RFC 3339 dates, nulls).
func (j *Job) UnmarshalJSON(b []byte) error {
	var raw struct {
		ID                      string          `json:"id"`
		Operation               string          `json:"operation"`
		Object                  string          `json:"object"`
		CreatedByID             string          `json:"createdById"`
		CreatedDate             string          `json:"createdDate"`
		SystemModstamp          string          `json:"systemModstamp"`
		State                   string          `json:"state"`
		ExternalIDFieldName     string          `json:"externalIdFieldName"`
		ConcurrencyMode         string          `json:"concurrencyMode"`
		ContentType             string          `json:"contentType"`
		APIVersion              json.RawMessage `json:"apiVersion"`
		JobType                 string          `json:"jobType"`
		ContentURL              string          `json:"contentUrl"`
		LineEnding              string          `json:"lineEnding"`
		ColumnDelimiter         string          `json:"columnDelimiter"`
		NumberRecordsProcessed  json.RawMessage `json:"numberRecordsProcessed"`
		NumberRecordsFailed     json.RawMessage `json:"numberRecordsFailed"`
		Retries                 json.RawMessage `json:"retries"`
		TotalProcessingTime     json.RawMessage `json:"totalProcessingTime"`
		APIActiveProcessingTime json.RawMessage `json:"apiActiveProcessingTime"`
		ApexProcessingTime      json.RawMessage `json:"apexProcessingTime"`
		ErrorMessage            string          `json:"errorMessage"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*j = Job{ID: raw.ID, Operation: raw.Operation, Object: raw.Object, CreatedByID: raw.CreatedByID, State: raw.State,
		ExternalIDFieldName: raw.ExternalIDFieldName, ConcurrencyMode: raw.ConcurrencyMode, ContentType: raw.ContentType,
		JobType: raw.JobType, ContentURL: raw.ContentURL, LineEnding: raw.LineEnding, ColumnDelimiter: raw.ColumnDelimiter,
		ErrorMessage: raw.ErrorMessage}
	j.CreatedDate, _ = ParseTime(raw.CreatedDate)
	j.SystemModstamp, _ = ParseTime(raw.SystemModstamp)
	if v := strings.Trim(string(raw.APIVersion), `" `); v != "" && v != "null" {
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			v = strconv.FormatFloat(f, 'f', 1, 64)
		}
		j.APIVersion = v
	}
	for _, p := range []struct {
		dst *int64
		raw json.RawMessage
	}{{&j.NumberRecordsProcessed, raw.NumberRecordsProcessed}, {&j.NumberRecordsFailed, raw.NumberRecordsFailed},
		{&j.Retries, raw.Retries}, {&j.TotalProcessingTime, raw.TotalProcessingTime},
		{&j.APIActiveProcessingTime, raw.APIActiveProcessingTime}, {&j.ApexProcessingTime, raw.ApexProcessingTime}} {
		if v := strings.Trim(string(p.raw), `" `); v != "" && v != "null" {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				*p.dst = int64(f)
			}
		}
	}
	return nil
}

func (c *Client) ingestURL(s session, p string) string {
	u := s.dataURL(c.apiVersion, "jobs/ingest")
	if p != "" {
		u += "/" + p
	}
	return u
}

// sendJSON performs one request with an optional JSON body and decodes a JSON answer into
// out (when out is non-nil).
func (c *Client) sendJSON(ctx context.Context, s session, method, u string, in, out any) error {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := newRequest(ctx, s, method, u, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json; charset=UTF-8")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return cleanErr(err)
	}
	if err := checkResponse(resp); err != nil {
		return err
	}
	defer drain(resp.Body)
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			return fmt.Errorf("decode %s %s answer: %w", method, sanitizePath(req.URL), err)
		}
	}
	return nil
}

// CreateIngestJob creates a Bulk API 2.0 ingest job (CSV, LF line endings, comma delimiter)
// and returns it in state Open.
//
// The POST is retried on transient failures: if Salesforce created a job but the answer was
// lost, the retry leaves an empty Open job behind, which never loads any data.
func (c *Client) CreateIngestJob(ctx context.Context, spec JobSpec) (*Job, error) {
	if spec.Object == "" || spec.Operation == "" {
		return nil, errors.New("create bulk job: object and operation are required")
	}
	if spec.Operation == "upsert" && spec.ExternalIDFieldName == "" {
		return nil, errors.New("create bulk job: upsert needs an external id field")
	}
	in := map[string]string{"object": spec.Object, "operation": spec.Operation, "contentType": "CSV",
		"lineEnding": "LF", "columnDelimiter": "COMMA"}
	if spec.ExternalIDFieldName != "" {
		in["externalIdFieldName"] = spec.ExternalIDFieldName
	}
	var job Job
	err := c.do(ctx, CallBulkCreate, true, func(ctx context.Context, s session) error {
		return c.sendJSON(ctx, s, http.MethodPost, c.ingestURL(s, ""), in, &job)
	})
	if err != nil {
		return nil, fmt.Errorf("create bulk %s job for %s: %w", spec.Operation, spec.Object, err)
	}
	if job.ID == "" {
		return nil, fmt.Errorf("create bulk %s job for %s: answer without job id", spec.Operation, spec.Object)
	}
	c.log.Debug("bulk job created", zap.String("job", job.ID), zap.String("object", spec.Object), zap.String("operation", spec.Operation))
	return &job, nil
}

// JobInfo reads a job's state and counters (GET jobs/ingest/{id}).
func (c *Client) JobInfo(ctx context.Context, jobID string) (*Job, error) {
	var job Job
	err := c.do(ctx, CallBulkPoll, true, func(ctx context.Context, s session) error {
		return c.sendJSON(ctx, s, http.MethodGet, c.ingestURL(s, jobID), nil, &job)
	})
	if err != nil {
		return nil, fmt.Errorf("read bulk job %s: %w", jobID, err)
	}
	return &job, nil
}

// setState PATCHes the job state. Setting a state is idempotent, so the PATCH is retried;
// when a retry is refused because the first attempt had already moved the job, the state
// read afterwards decides.
func (c *Client) setState(ctx context.Context, kind, jobID, state string, done func(string) bool) (*Job, error) {
	var job Job
	err := c.do(ctx, kind, true, func(ctx context.Context, s session) error {
		return c.sendJSON(ctx, s, http.MethodPatch, c.ingestURL(s, jobID), map[string]string{"state": state}, &job)
	})
	if err == nil {
		return &job, nil
	}
	var ae *APIError
	if errors.As(err, &ae) && ae.StatusCode >= 400 && ae.StatusCode < 500 && !ae.isRequestLimit() && !ae.isSessionExpired() {
		if j, jerr := c.JobInfo(ctx, jobID); jerr == nil && done(j.State) {
			return j, nil
		}
	}
	return nil, err
}

// CloseJob marks the upload complete (state UploadComplete) so Salesforce processes the job.
func (c *Client) CloseJob(ctx context.Context, jobID string) (*Job, error) {
	j, err := c.setState(ctx, CallBulkClose, jobID, StateUploadComplete, func(s string) bool {
		return s == StateUploadComplete || s == StateInProgress || s == StateJobComplete
	})
	if err != nil {
		return nil, fmt.Errorf("close bulk job %s: %w", jobID, err)
	}
	return j, nil
}

// AbortJob aborts a job; rows not yet processed are not loaded.
func (c *Client) AbortJob(ctx context.Context, jobID string) (*Job, error) {
	j, err := c.setState(ctx, CallBulkAbort, jobID, StateAborted, func(s string) bool { return s == StateAborted })
	if err != nil {
		return nil, fmt.Errorf("abort bulk job %s: %w", jobID, err)
	}
	return j, nil
}

// WaitJob polls the job until it reaches a terminal state, waiting PollInterval at first and
// growing by half each time up to MaxPollInterval; it selects on ctx.Done and a timer and
// returns ctx.Err() when ctx ends. A JobComplete job is returned with a nil error (check
// NumberRecordsFailed: rows can fail in a complete job); Failed or Aborted come back with a
// *[JobError] wrapping [ErrJobFailed]. onPoll, when not nil, is called with every job info
// read, terminal or not (for progress).
func (c *Client) WaitJob(ctx context.Context, jobID string, onPoll func(*Job)) (*Job, error) {
	interval := c.cfg.PollInterval
	for {
		j, err := c.JobInfo(ctx, jobID)
		if err != nil {
			return nil, err
		}
		if onPoll != nil {
			onPoll(j)
		}
		if j.Terminal() {
			if j.State != StateJobComplete {
				return j, &JobError{Job: j}
			}
			return j, nil
		}
		if err := c.sleep(ctx, interval); err != nil {
			return nil, err
		}
		interval = min(interval+interval/2, c.cfg.MaxPollInterval)
	}
}

// consumedError marks a failure after part of a non-replayable body or download was already
// transferred: it is neither retried nor replayed (it deliberately has no Unwrap).
type consumedError struct{ err error }

func (e *consumedError) Error() string { return e.err.Error() }

// countingReader counts bytes and refuses to read past max.
type countingReader struct {
	r   io.Reader
	n   int64
	max int64
}

func (cr *countingReader) Read(p []byte) (int, error) {
	n, err := cr.r.Read(p)
	cr.n += int64(n)
	if cr.max > 0 && cr.n > cr.max {
		return n, fmt.Errorf("%w (%d bytes)", ErrUploadTooLarge, cr.max)
	}
	return n, err
}

// UploadJobData streams r as the job's CSV data (PUT jobs/ingest/{id}/batches). The data
// must start with the header row, use LF line endings and stay within MaxUploadBytes; r is
// read once and never buffered whole. Salesforce accepts one upload per job.
//
// Failure handling, chosen so that data is never sent twice:
//   - a 401 or connection failure before any byte of r was read is replayed (the request is
//     sent with Expect: 100-continue, so a rejected request does not consume r);
//   - once bytes were sent, nothing is re-sent: the job state is read; if the job has left
//     Open the upload is taken as done; if it is still Open the outcome is unknown, so the job
//     is aborted and an *[UploadError] wrapping [ErrUploadInterrupted] is returned;
//   - a definite 4xx refusal is returned as *[APIError] inside an *[UploadError].
func (c *Client) UploadJobData(ctx context.Context, jobID string, r io.Reader) error {
	return c.upload(ctx, jobID, r, c.cfg.MaxUploadBytes)
}

func (c *Client) upload(ctx context.Context, jobID string, r io.Reader, max int64) error {
	cr := &countingReader{r: r, max: max}
	var size int64 = -1
	if l, ok := r.(interface{ Len() int }); ok {
		size = int64(l.Len())
	}
	err := c.do(ctx, CallBulkUpload, true, func(ctx context.Context, s session) error {
		if cr.n > 0 {
			return &consumedError{errors.New("upload body already consumed")}
		}
		req, err := newRequest(ctx, s, http.MethodPut, c.ingestURL(s, jobID+"/batches"), io.NopCloser(cr))
		if err != nil {
			return err
		}
		req.ContentLength = size
		if size == 0 {
			req.Body = http.NoBody
		}
		req.Header.Set("Content-Type", "text/csv")
		req.Header.Set("Expect", "100-continue")
		resp, err := c.hc.Do(req)
		if err == nil {
			err = checkResponse(resp)
			if err == nil {
				drain(resp.Body)
				return nil
			}
		}
		err = cleanErr(err)
		var ae *APIError
		definite := errors.As(err, &ae) && ae.StatusCode < 500 && !ae.isSessionExpired()
		if cr.n > 0 && !definite {
			return &consumedError{err}
		}
		return err
	})
	if err == nil {
		return nil
	}
	var ce *consumedError
	if !errors.As(err, &ce) {
		c.abortQuietly(ctx, jobID)
		return &UploadError{JobID: jobID, Err: err}
	}
	// Bytes were sent and the answer is unknown: read the job state, never resend.
	j, jerr := c.JobInfo(ctx, jobID)
	if jerr != nil {
		return &UploadError{JobID: jobID, Err: errors.Join(ErrUploadInterrupted, ce.err, jerr)}
	}
	switch j.State {
	case StateUploadComplete, StateInProgress, StateJobComplete:
		c.log.Warn("bulk upload answer lost but the job has left Open; not resending", zap.String("job", jobID), zap.String("state", j.State))
		return nil
	case StateOpen:
		c.log.Warn("bulk upload interrupted with the job still Open; aborting it instead of resending", zap.String("job", jobID))
		if _, aerr := c.AbortJob(ctx, jobID); aerr != nil {
			return &UploadError{JobID: jobID, State: j.State, Err: errors.Join(ErrUploadInterrupted, ce.err, aerr)}
		}
		return &UploadError{JobID: jobID, State: StateAborted, Err: errors.Join(ErrUploadInterrupted, ce.err)}
	}
	return &UploadError{JobID: jobID, State: j.State, Err: errors.Join(ErrUploadInterrupted, ce.err)}
}

// abortQuietly aborts a job after a failure, logging (not returning) its own error.
func (c *Client) abortQuietly(ctx context.Context, jobID string) {
	if ctx.Err() != nil {
		return
	}
	if _, err := c.AbortJob(ctx, jobID); err != nil {
		c.log.Warn("could not abort bulk job", zap.String("job", jobID), zap.String("error", redact(err.Error())))
	}
}

// ResultKind names one of a job's three result files.
type ResultKind string

// The result files of an ingest job.
const (
	// ResultsSuccessful: "sf__Id","sf__Created", then the uploaded columns.
	ResultsSuccessful ResultKind = "successfulResults"
	// ResultsFailed: "sf__Id","sf__Error", then the uploaded columns.
	ResultsFailed ResultKind = "failedResults"
	// ResultsUnprocessed: the uploaded columns of the rows Salesforce never attempted
	// (failed or aborted job).
	ResultsUnprocessed ResultKind = "unprocessedrecords"
)

// JobResults streams one of the job's result CSVs to w, as Salesforce sends it (every value
// quoted; row order differs from the upload); NUL bytes are dropped. It returns the number of
// bytes written. The download is retried only while nothing has been written to w.
func (c *Client) JobResults(ctx context.Context, jobID string, kind ResultKind, w io.Writer) (int64, error) {
	switch kind {
	case ResultsSuccessful, ResultsFailed, ResultsUnprocessed:
	default:
		return 0, fmt.Errorf("unknown result kind %q", kind)
	}
	return c.results(ctx, jobID, string(kind)+"/", w)
}

// results downloads one result file. It is retried only while nothing has been written to w.
func (c *Client) results(ctx context.Context, jobID, which string, w io.Writer) (int64, error) {
	cw := &nulFilterWriter{w: w}
	err := c.do(ctx, CallBulkResults, true, func(ctx context.Context, s session) error {
		if cw.n > 0 {
			return &consumedError{errors.New("result download already started")}
		}
		req, err := newRequest(ctx, s, http.MethodGet, c.ingestURL(s, jobID+"/"+which), nil)
		if err != nil {
			return err
		}
		req.Header.Set("Accept", "text/csv")
		resp, err := c.hc.Do(req)
		if err != nil {
			return cleanErr(err)
		}
		if err := checkResponse(resp); err != nil {
			return err
		}
		defer resp.Body.Close()
		if _, err := io.Copy(cw, resp.Body); err != nil {
			if cw.n > 0 {
				return &consumedError{cleanErr(err)}
			}
			return cleanErr(err)
		}
		return nil
	})
	if err != nil {
		var ce *consumedError
		if errors.As(err, &ce) {
			err = ce.err
		}
		return cw.n, fmt.Errorf("download %s of bulk job %s: %w", strings.TrimSuffix(which, "/"), jobID, err)
	}
	return cw.n, nil
}

// nulFilterWriter drops NUL bytes (Salesforce result files rarely contain them) and counts
// the bytes written.
type nulFilterWriter struct {
	w io.Writer
	n int64
}

func (f *nulFilterWriter) Write(p []byte) (int, error) {
	q := p
	if bytes.IndexByte(p, 0) >= 0 {
		q = bytes.ReplaceAll(p, []byte{0}, nil)
	}
	n, err := f.w.Write(q)
	f.n += int64(n)
	if err != nil {
		return 0, err
	}
	return len(p), nil
}
