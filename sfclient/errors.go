package sfclient

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Sentinel errors. Errors returned by [Client] methods wrap them (test with errors.Is), most
// often through an [*APIError].
var (
	// ErrSessionExpired means Salesforce answered 401 INVALID_SESSION_ID and the client could
	// not (or may not) log in again: a bare access token expired, or a re-login was already
	// tried once for this request.
	ErrSessionExpired = errors.New("salesforce session expired or invalid")

	// ErrRequestLimit means the org's rolling 24-hour API request allocation is used up
	// (403 REQUEST_LIMIT_EXCEEDED). It is never retried.
	ErrRequestLimit = errors.New("salesforce API request limit exceeded")

	// ErrJobFailed means a Bulk API 2.0 job ended Failed or Aborted; see [*JobError].
	ErrJobFailed = errors.New("bulk job did not complete")

	// ErrUploadInterrupted means a Bulk upload broke off after some of its data was sent and
	// the job was still Open, so the client cannot know whether Salesforce kept the data. The
	// job has been aborted and its rows were not loaded; see [*UploadError].
	ErrUploadInterrupted = errors.New("bulk upload interrupted")

	// ErrUploadTooLarge means an upload exceeded the per-job size limit.
	ErrUploadTooLarge = errors.New("bulk upload exceeds the per-job size limit")
)

// maxErrorBody bounds how much of an error response is read.
const maxErrorBody = 64 << 10

// APIError is a non-2xx answer from Salesforce, built by one function from any of the body
// shapes Salesforce sends: the REST/Bulk JSON error array, the OAuth token endpoint's
// {"error","error_description"} object, a SOAP fault, or an HTML or plain-text page (never
// JSON-decoded). It never carries the access token: Method and Path come from the request
// with its query string removed, and Message is scrubbed of anything shaped like a session id.
//
// errors.Is(err, [ErrSessionExpired]) and errors.Is(err, [ErrRequestLimit]) report the two
// conditions callers act on.
type APIError struct {
	StatusCode int      // HTTP status
	Code       string   // errorCode, OAuth error, SOAP exceptionCode, or ERROR_HTTP_<status>
	Message    string   // Salesforce's message; several errors are joined with "; "
	Fields     []string // fields named by the error, if any
	Method     string   // request method
	Path       string   // request path, without query string
	// RetryAfter is the Retry-After delay the response asked for; 0 when absent.
	RetryAfter time.Duration
	// Usage is the Sforce-Limit-Info of the response (or the last one seen), if known.
	Usage LimitInfo
}

// Error formats the error as "salesforce: GET /path: 400 CODE: message".
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("salesforce: ")
	if e.Method != "" {
		b.WriteString(e.Method + " " + e.Path + ": ")
	}
	b.WriteString(strconv.Itoa(e.StatusCode))
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if len(e.Fields) > 0 {
		b.WriteString(" (fields: " + strings.Join(e.Fields, ", ") + ")")
	}
	if u := e.Usage; e.isRequestLimit() && u.Max > 0 {
		fmt.Fprintf(&b, " (api-usage %d/%d", u.Used, u.Max)
		if u.AppMax > 0 {
			fmt.Fprintf(&b, ", per-app-api-usage %d/%d for %s", u.AppUsed, u.AppMax, u.AppName)
		}
		b.WriteString(" in the last 24 hours; wait for the allocation to recover or ask for a higher limit)")
	}
	return b.String()
}

// Is makes errors.Is(err, ErrSessionExpired) and errors.Is(err, ErrRequestLimit) work.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrSessionExpired:
		return e.isSessionExpired()
	case ErrRequestLimit:
		return e.isRequestLimit()
	}
	return false
}

// isSessionExpired follows jsforce: a 401 INVALID_SESSION_ID, except the two 401 messages
// that a new token would not cure (refreshing on them only loops).
func (e *APIError) isSessionExpired() bool {
	if e.StatusCode != http.StatusUnauthorized || e.Code != "INVALID_SESSION_ID" {
		return false
	}
	m := e.Message
	return !strings.Contains(m, "Connected app is not attached to Agent") &&
		!strings.Contains(m, "This session is not valid for use with the REST API")
}

func (e *APIError) isRequestLimit() bool {
	return e.Code == "REQUEST_LIMIT_EXCEEDED"
}

// IsTransient reports whether err is a condition that passes with time: a 502/503/504/429
// answer, REQUEST_LIMIT_EXCEEDED (the daily allowance comes back), a timeout or a lost
// connection. The client has already retried what it could before returning such an error;
// trying again later may succeed. Definite refusals (other 4xx) are not transient.
func IsTransient(err error) bool {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.retryable() || ae.isRequestLimit()
	}
	return transientNet(err)
}

// transientNet reports timeouts and lost connections: the system's errors for a connection
// reset, refused or aborted (lostConnection: the errno values differ on Windows), an
// unexpected EOF, a deadline, a net.Error timeout, or, for errors that lost their type on
// the way, a message saying so (in any case: Windows words it otherwise).
func transientNet(err error) bool {
	if lostConnection(err) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	msg := strings.ToLower(err.Error())
	for _, s := range lostConnectionWords {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// lostConnectionWords are what messages of a lost connection say (lower case): net/http's
// for a server that closed the connection without answering, the Unix and the Windows
// texts of a reset or aborted connection.
var lostConnectionWords = []string{
	"server closed", "connection reset", "broken pipe",
	"forcibly closed by the remote host", "connection was aborted", "network name is no longer available",
}

// lostConnection reports whether err holds one of the system's errno values for a
// connection that was reset, refused or aborted (connErrnos, per system).
func lostConnection(err error) bool {
	var errno syscall.Errno
	return errors.As(err, &errno) && slices.Contains(connErrnos, errno)
}

// retryable reports whether the status is a transient server-side condition.
func (e *APIError) retryable() bool {
	switch e.StatusCode {
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout, http.StatusTooManyRequests:
		return !e.isRequestLimit()
	}
	return false
}

// JobError is returned by [Client.WaitJob] when a job ends Failed or Aborted. It wraps
// [ErrJobFailed].
type JobError struct {
	Job *Job
}

// Error describes the job's end state and Salesforce's errorMessage.
func (e *JobError) Error() string {
	s := fmt.Sprintf("bulk job %s %s", e.Job.ID, strings.ToLower(e.Job.State))
	if e.Job.ErrorMessage != "" {
		s += ": " + e.Job.ErrorMessage
	}
	return s
}

// Unwrap returns [ErrJobFailed].
func (e *JobError) Unwrap() error { return ErrJobFailed }

// UploadError is returned when a Bulk upload failed in a way that left the job unusable.
// JobID names the job (already aborted when State is "Aborted"); Err is the cause, often
// [ErrUploadInterrupted] joined with the network error.
type UploadError struct {
	JobID string
	State string // the job state read after the failure ("" if it could not be read)
	Err   error
}

// Error names the job and the cause.
func (e *UploadError) Error() string {
	return fmt.Sprintf("upload to bulk job %s: %v", e.JobID, e.Err)
}

// Unwrap returns the cause.
func (e *UploadError) Unwrap() error { return e.Err }

// checkResponse is the single place where an HTTP response becomes an error. It returns nil
// for 2xx. Otherwise it reads at most maxErrorBody bytes of the body, closes it and returns
// an *APIError.
func checkResponse(resp *http.Response) error {
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		return nil
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	resp.Body.Close()
	e := parseErrorBody(resp.StatusCode, resp.Header.Get("Content-Type"), body)
	if resp.Request != nil {
		e.Method = resp.Request.Method
		e.Path = sanitizePath(resp.Request.URL)
	}
	e.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	if li, ok := parseLimitInfo(resp.Header.Get("Sforce-Limit-Info")); ok {
		e.Usage = li
	}
	return e
}

// parseErrorBody decodes every error body shape Salesforce sends.
func parseErrorBody(status int, contentType string, body []byte) *APIError {
	e := &APIError{StatusCode: status}
	trimmed := bytes.TrimSpace(body)
	ct := strings.ToLower(contentType)
	switch {
	case strings.Contains(ct, "html") || looksLikeHTML(trimmed):
		e.Code = "ERROR_HTTP_" + strconv.Itoa(status)
		e.Message = "HTML error page instead of an API answer (org unreachable, under maintenance, or wrong My Domain URL?)"
		if t := htmlTitle(trimmed); t != "" {
			e.Message += ": " + t
		}
	case len(trimmed) > 0 && trimmed[0] == '[' || bytes.Equal(trimmed, []byte("null")):
		var arr []struct {
			Message   string   `json:"message"`
			ErrorCode string   `json:"errorCode"`
			Fields    []string `json:"fields"`
		}
		if json.Unmarshal(trimmed, &arr) != nil {
			e.setText(status, trimmed)
			break
		}
		if len(arr) == 0 { // [] or null: simpleforce panics here; we do not
			e.Code = "ERROR_HTTP_" + strconv.Itoa(status)
			e.Message = http.StatusText(status)
			break
		}
		e.Code, e.Fields = arr[0].ErrorCode, arr[0].Fields
		msgs := make([]string, 0, len(arr))
		for _, a := range arr {
			m := strings.TrimSpace(a.Message)
			if a.ErrorCode != e.Code && a.ErrorCode != "" {
				m = a.ErrorCode + ": " + m
			}
			msgs = append(msgs, m)
		}
		e.Message = strings.Join(msgs, "; ")
	case len(trimmed) > 0 && trimmed[0] == '{':
		var obj struct {
			Error       string   `json:"error"`
			Description string   `json:"error_description"`
			Message     string   `json:"message"`
			ErrorCode   string   `json:"errorCode"`
			Fields      []string `json:"fields"`
		}
		if json.Unmarshal(trimmed, &obj) != nil {
			e.setText(status, trimmed)
			break
		}
		if obj.Error != "" || obj.Description != "" {
			e.Code, e.Message = obj.Error, obj.Description
		} else {
			e.Code, e.Message, e.Fields = obj.ErrorCode, obj.Message, obj.Fields
		}
		if e.Code == "" {
			e.Code = "ERROR_HTTP_" + strconv.Itoa(status)
		}
	case len(trimmed) > 0 && trimmed[0] == '<':
		var f struct {
			Code    string `xml:"Body>Fault>faultcode"`
			String  string `xml:"Body>Fault>faultstring"`
			ExCode  string `xml:"Body>Fault>detail>LoginFault>exceptionCode"`
			ExCode2 string `xml:"Body>Fault>detail>UnexpectedErrorFault>exceptionCode"`
			ExMsg   string `xml:"Body>Fault>detail>LoginFault>exceptionMessage"`
		}
		if xml.Unmarshal(trimmed, &f) != nil || (f.Code == "" && f.String == "") {
			e.setText(status, trimmed)
			break
		}
		e.Code = firstNonEmpty(f.ExCode, f.ExCode2, strings.TrimPrefix(f.Code, "sf:"))
		e.Message = firstNonEmpty(f.ExMsg, f.String)
	default:
		e.setText(status, trimmed)
	}
	e.Message = redact(e.Message)
	return e
}

func (e *APIError) setText(status int, body []byte) {
	e.Code = "ERROR_HTTP_" + strconv.Itoa(status)
	e.Message = truncate(strings.TrimSpace(string(body)), 200)
	if e.Message == "" {
		e.Message = http.StatusText(status)
	}
}

func looksLikeHTML(b []byte) bool {
	head := strings.ToLower(string(b[:min(len(b), 512)]))
	return strings.HasPrefix(head, "<!doctype html") || strings.Contains(head, "<html")
}

var titleRE = regexp.MustCompile(`(?is)<title[^>]*>(.*?)</title>`)

func htmlTitle(b []byte) string {
	m := titleRE.FindSubmatch(b)
	if m == nil {
		return ""
	}
	return truncate(strings.Join(strings.Fields(string(m[1])), " "), 120)
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// sessionIDRE matches Salesforce session ids / access tokens ("00D…!…").
var sessionIDRE = regexp.MustCompile(`00D[A-Za-z0-9]{12,15}![A-Za-z0-9._-]+`)

// redact removes anything shaped like a session id from s.
func redact(s string) string {
	return sessionIDRE.ReplaceAllString(s, "[REDACTED]")
}

// sanitizePath returns the URL's path only: no query string (SOQL, tokens), no userinfo.
func sanitizePath(u *url.URL) string {
	if u == nil {
		return ""
	}
	p := u.EscapedPath()
	if u.RawQuery != "" {
		p += "?…"
	}
	return p
}

// parseRetryAfter reads delay-seconds or an HTTP date; 0 when absent or unparseable.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil {
		if n < 0 {
			return 0
		}
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// LimitInfo is the org's API usage as the Sforce-Limit-Info header reports it
// ("api-usage=25/5000; per-app-api-usage=17/250(appName=sample-connected-app)"): Used
// requests of Max in the rolling 24 hours, and, when the session belongs to a connected app
// with its own allocation, that app's usage (AppUsed of AppMax; zero when absent).
type LimitInfo struct {
	Used, Max       int
	AppName         string
	AppUsed, AppMax int
}

// parseLimitInfo parses Sforce-Limit-Info. Its parts are separated by semicolons in the
// documentation (REST API Developer Guide, "Limit Info Header") and by commas in some
// answers; both are accepted, with any spaces. ok is false without a valid api-usage part;
// a malformed per-app part is ignored.
func parseLimitInfo(v string) (info LimitInfo, ok bool) {
	parts := strings.FieldsFunc(v, func(r rune) bool { return r == ';' || r == ',' })
	for _, part := range parts {
		key, val, found := strings.Cut(part, "=")
		if !found {
			continue
		}
		switch strings.ToLower(strings.TrimSpace(key)) {
		case "api-usage":
			if used, max, good := parseUsage(val); good && !ok {
				info.Used, info.Max, ok = used, max, true
			}
		case "per-app-api-usage":
			// 17/250(appName=sample-connected-app)
			usage, app, _ := strings.Cut(val, "(")
			name, closed := strings.CutSuffix(strings.TrimSpace(app), ")")
			name, named := strings.CutPrefix(name, "appName=")
			if used, max, good := parseUsage(usage); good && closed && named {
				info.AppName, info.AppUsed, info.AppMax = strings.TrimSpace(name), used, max
			}
		}
	}
	if !ok {
		return LimitInfo{}, false
	}
	return info, true
}

// parseUsage parses "25/5000" (spaces allowed): used >= 0 of max > 0.
func parseUsage(v string) (used, max int, ok bool) {
	u, m, found := strings.Cut(v, "/")
	if !found {
		return 0, 0, false
	}
	used, err1 := strconv.Atoi(strings.TrimSpace(u))
	max, err2 := strconv.Atoi(strings.TrimSpace(m))
	if err1 != nil || err2 != nil || used < 0 || max <= 0 {
		return 0, 0, false
	}
	return used, max, true
}
