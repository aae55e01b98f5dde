package sftest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Server is an in-memory Salesforce org served over real HTTP on loopback. Create one
// with [NewServer] in tests or [New] elsewhere; Close it when done ([NewServer] does that
// through t.Cleanup). All methods are safe for concurrent use, also while requests are
// being served.
//
// # Endpoints and call-count keys
//
// [Server.Calls] counts requests per endpoint under these keys (every request that reached
// the endpoint is counted, including those an injected fault then refused):
//
//	versions            GET  /services/data/
//	token               POST /services/oauth2/token
//	soap-login          POST /services/Soap/u/{ver}
//	userinfo            GET  /services/oauth2/userinfo
//	identity            GET  /id/{org}/{user}
//	query, query-all    GET  /services/data/{ver}/query?q=, /queryAll?q=
//	query-more          GET  /services/data/{ver}/query/{locator}-{n} (and queryAll/)
//	tooling-query       GET  /services/data/{ver}/tooling/query?q=
//	tooling-query-more  GET  /services/data/{ver}/tooling/query/{locator}-{n}
//	describe-global     GET  /services/data/{ver}/sobjects
//	resources           GET  /services/data/{ver} (the resource list)
//	describe            GET  /services/data/{ver}/sobjects/{object}/describe
//	sobject-get         GET  /services/data/{ver}/sobjects/{object}/{id}
//	limits              GET  /services/data/{ver}/limits
//	ingest-create       POST /services/data/{ver}/jobs/ingest
//	ingest-list         GET  /services/data/{ver}/jobs/ingest
//	ingest-upload       PUT  /services/data/{ver}/jobs/ingest/{id}/batches
//	ingest-close        PATCH /services/data/{ver}/jobs/ingest/{id} (UploadComplete or Aborted)
//	ingest-get          GET  /services/data/{ver}/jobs/ingest/{id}
//	ingest-delete       DELETE /services/data/{ver}/jobs/ingest/{id}
//	ingest-results      GET  .../{id}/successfulResults/, failedResults/, unprocessedrecords/
//	query-job-create    POST /services/data/{ver}/jobs/query
//	query-job-list      GET  /services/data/{ver}/jobs/query
//	query-job-get       GET  /services/data/{ver}/jobs/query/{id}
//	query-job-close     PATCH /services/data/{ver}/jobs/query/{id} (Aborted)
//	query-job-delete    DELETE /services/data/{ver}/jobs/query/{id}
//	query-job-results   GET  /services/data/{ver}/jobs/query/{id}/results
//	unknown             anything else (404 NOT_FOUND; fails the test when made by NewServer)
//
// Every response under /services/data/{ver}/ carries Sforce-Limit-Info (see the package
// doc) and decrements the DailyApiRequests limit; when it reaches 0 the calls answer 403
// REQUEST_LIMIT_EXCEEDED.
type Server struct {
	// URL is the instance URL (http://127.0.0.1:port, no trailing slash). It is also the
	// login URL for the token endpoint and SOAP login.
	URL string

	hs  *httptest.Server
	tb  TB
	cfg config

	mu          sync.Mutex
	org         *org
	calls       map[string]int
	total       int
	sessions    map[string]*session
	refresh     map[string]refreshGrant
	accessToken string
	faults      []*failure
	rowFaults   map[string]string // external id value -> sf__Error
	chaos       chaos             // SetFailureRate, FailRowsWhere and the fault counts
	latency     time.Duration     // SetLatency
	jobDelay    time.Duration     // SetJobDelay
	expireAfter int               // ExpireSessionsAfter
	maxUpload   int64             // SetMaxUploadBytes
	lock        contention        // SetLockContention
	appCalls    map[string]int    // REST calls per connected app name (Sforce-Limit-Info)
	holds       []*hold           // Hold
	closed      bool
	closing     chan struct{} // closed by Close: held calls end
}

type session struct {
	userID  string
	app     *ConnectedApp // the app the token was issued to; nil for AccessToken's
	calls   int
	expired bool
}

type refreshGrant struct {
	userID   string
	clientID string
}

// config holds the settings that only an [Option] makes; they are fixed once the server
// has started.
type config struct {
	seed        *Seed
	addr        string
	now         func() time.Time
	jwtAudience string
}

// Option configures a [Server] as it starts. An option for a fault knob is that knob's
// method applied before the first call: WithLatency(d) is [Server.SetLatency](d).
type Option func(*Server)

// WithSeed serves seed instead of [DemoSeed]. The server keeps its own copy.
func WithSeed(seed *Seed) Option { return func(s *Server) { s.cfg.seed = seed } }

// WithAddr sets the listen address (default 127.0.0.1:0). [New] requires it.
func WithAddr(addr string) Option { return func(s *Server) { s.cfg.addr = addr } }

// WithLatency delays every call by d: [Server.SetLatency] from the start.
func WithLatency(d time.Duration) Option { return func(s *Server) { s.SetLatency(d) } }

// WithJobDelay keeps closed Bulk jobs in progress for d: [Server.SetJobDelay] from the
// start.
func WithJobDelay(d time.Duration) Option { return func(s *Server) { s.SetJobDelay(d) } }

// WithExpireAfter expires every session after n authenticated calls:
// [Server.ExpireSessionsAfter] from the start.
func WithExpireAfter(n int) Option { return func(s *Server) { s.ExpireSessionsAfter(n) } }

// WithFail503 makes the first n calls, of any endpoint, answer 503 with a JSON body:
// [Server.Fail503](n, "", false) from the start.
func WithFail503(n int) Option { return func(s *Server) { s.Fail503(n, "", false) } }

// DefaultMaxUploadBytes is the upload limit of a new Server: 100 MiB, Salesforce's "100 MB"
// (docs/SALESFORCE.md [S41]).
const DefaultMaxUploadBytes = 100 << 20

// WithMaxUploadBytes refuses Bulk uploads larger than n bytes with 400
// EXCEEDED_MAX_SIZE_REQUEST: [Server.SetMaxUploadBytes](n) from the start.
func WithMaxUploadBytes(n int64) Option { return func(s *Server) { s.SetMaxUploadBytes(n) } }

// WithJWTAudience adds url, an Experience Cloud site URL, to the audiences a JWT bearer
// assertion may name (as [Seed.JWTAudience] does).
func WithJWTAudience(url string) Option { return func(s *Server) { s.cfg.jwtAudience = url } }

// WithClock replaces time.Now for record timestamps and job dates (not for delays).
func WithClock(now func() time.Time) Option { return func(s *Server) { s.cfg.now = now } }

// TB is the part of testing.TB that [NewServer] uses: *testing.T, *testing.B and
// *testing.F satisfy it. It is declared here so that programs built on sftest (`backfill
// org`, `backfill demo`) do not link package testing.
type TB interface {
	Helper()
	Cleanup(func())
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
}

// NewServer starts a server on 127.0.0.1:0 for a test and closes it in t.Cleanup. A call to
// an unknown path, or with a malformed API version, fails the test with t.Errorf, so client
// bugs such as a dropped /services/data prefix fail loudly. It calls t.Fatalf if the server
// cannot start.
func NewServer(t TB, opts ...Option) *Server {
	t.Helper()
	s, err := newServer(t, "127.0.0.1:0", opts)
	if err != nil {
		t.Fatalf("sftest: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// New starts a server without a [TB], listening on the address given by [WithAddr]
// (required). The caller must call Close.
func New(opts ...Option) (*Server, error) {
	return newServer(nil, "", opts)
}

// newServer starts a server listening on addr unless an option sets another address.
func newServer(tb TB, addr string, opts []Option) (*Server, error) {
	s := &Server{
		tb:        tb,
		cfg:       config{addr: addr, now: time.Now},
		calls:     map[string]int{},
		sessions:  map[string]*session{},
		refresh:   map[string]refreshGrant{},
		rowFaults: map[string]string{},
		appCalls:  map[string]int{},
		maxUpload: DefaultMaxUploadBytes,
		closing:   make(chan struct{}),
	}
	for _, o := range opts {
		o(s)
	}
	c := &s.cfg
	if c.addr == "" {
		return nil, errors.New("sftest.New: WithAddr is required")
	}
	if c.seed == nil {
		c.seed = DemoSeed()
	} else {
		c.seed = c.seed.Clone()
	}
	o, err := newOrg(c.seed, c.now)
	if err != nil {
		return nil, err
	}
	s.org = o
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	s.hs = httptest.NewUnstartedServer(s.routes())
	s.hs.Listener.Close()
	s.hs.Listener = ln
	s.hs.Start()
	s.URL = s.hs.URL
	s.accessToken = s.newSession(o.apiUser.ID)
	return s, nil
}

// Client returns an *http.Client for the server (no timeout, keep-alives on).
func (s *Server) Client() *http.Client { return s.hs.Client() }

// Close shuts the server down and blocks until all outstanding requests have finished.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	close(s.closing)
	s.mu.Unlock()
	s.hs.Close()
}

// AccessToken returns a token for the seed's API user, valid until sessions expire.
func (s *Server) AccessToken() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.accessToken
}

// NewAccessToken issues and returns a fresh token for the user with the given username.
func (s *Server) NewAccessToken(username string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.org.seed.User(username)
	if u == nil {
		return "", fmt.Errorf("no user %q", username)
	}
	return s.newSession(u.ID), nil
}

// Calls returns a copy of the call counts per endpoint key (see [Server]).
func (s *Server) Calls() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := make(map[string]int, len(s.calls))
	for k, v := range s.calls {
		m[k] = v
	}
	return m
}

// TotalCalls returns the number of requests served, of every endpoint.
func (s *Server) TotalCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total
}

// ResetCalls sets all call counts to zero.
func (s *Server) ResetCalls() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = map[string]int{}
	s.total = 0
}

// newSession must be called with s.mu held.
func (s *Server) newSession(userID string) string { return s.newAppSession(userID, nil) }

// newAppSession issues a token for userID through app (nil: none); s.mu is held.
func (s *Server) newAppSession(userID string, app *ConnectedApp) string {
	b := make([]byte, 24)
	rand.Read(b)
	tok := s.org.seed.Organization.ID[:15] + "!" + hex.EncodeToString(b)
	s.sessions[tok] = &session{userID: userID, app: app}
	return tok
}

// call is one request in flight.
type call struct {
	s    *Server
	w    http.ResponseWriter
	r    *http.Request
	name string
	ver  string // "62.0"
	user *User
	sess *session
}

type route struct {
	name string
	auth bool // needs a Bearer token
	rest bool // under /services/data/{ver}: version check, limits, Sforce-Limit-Info
	h    func(c *call)
}

var versionRE = regexp.MustCompile(`^v\d+\.\d$`)

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	add := func(pattern string, rt route) {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) { s.serve(w, r, rt) })
	}
	data := "/services/data/{ver}"
	add("GET /services/data/{$}", route{name: "versions", h: handleVersions})
	add("GET /services/data", route{name: "versions", h: handleVersions})
	add("POST /services/oauth2/token", route{name: "token", h: handleToken})
	add("POST /services/Soap/u/{ver}", route{name: "soap-login", h: handleSOAPLogin})
	add("POST /services/Soap/u/{ver}/{$}", route{name: "soap-login", h: handleSOAPLogin})
	add("GET /services/oauth2/userinfo", route{name: "userinfo", auth: true, h: handleUserinfo})
	add("GET /id/{org}/{user}", route{name: "identity", auth: true, h: handleIdentity})
	rest := func(method, path, name string, h func(*call)) {
		add(method+" "+data+path, route{name: name, auth: true, rest: true, h: h})
	}
	rest("GET", "/query", "query", handleQuery)
	rest("GET", "/query/{$}", "query", handleQuery)
	rest("GET", "/queryAll", "query-all", handleQuery)
	rest("GET", "/queryAll/{$}", "query-all", handleQuery)
	rest("GET", "/query/{locator}", "query-more", handleQueryMore)
	rest("GET", "/queryAll/{locator}", "query-more", handleQueryMore)
	rest("GET", "/tooling/query", "tooling-query", handleQuery)
	rest("GET", "/tooling/query/{$}", "tooling-query", handleQuery)
	rest("GET", "/tooling/query/{locator}", "tooling-query-more", handleQueryMore)
	rest("GET", "/sobjects", "describe-global", handleDescribeGlobal)
	rest("GET", "/sobjects/{$}", "describe-global", handleDescribeGlobal)
	rest("GET", "/sobjects/{object}/describe", "describe", handleDescribe)
	rest("GET", "/sobjects/{object}/describe/{$}", "describe", handleDescribe)
	rest("GET", "/sobjects/{object}/{id}", "sobject-get", handleSObjectGet)
	rest("GET", "/sobjects/{object}/{id}/{$}", "sobject-get", handleSObjectGet)
	rest("GET", "", "resources", handleResources)
	rest("GET", "/{$}", "resources", handleResources)
	rest("GET", "/limits", "limits", handleLimits)
	rest("GET", "/limits/{$}", "limits", handleLimits)
	rest("POST", "/jobs/ingest", "ingest-create", handleIngestCreate)
	rest("POST", "/jobs/ingest/{$}", "ingest-create", handleIngestCreate)
	rest("GET", "/jobs/ingest", "ingest-list", handleIngestList)
	rest("GET", "/jobs/ingest/{$}", "ingest-list", handleIngestList)
	rest("PUT", "/jobs/ingest/{id}/batches", "ingest-upload", handleIngestUpload)
	rest("PUT", "/jobs/ingest/{id}/batches/{$}", "ingest-upload", handleIngestUpload)
	rest("PATCH", "/jobs/ingest/{id}", "ingest-close", handleIngestPatch)
	rest("PATCH", "/jobs/ingest/{id}/{$}", "ingest-close", handleIngestPatch)
	rest("GET", "/jobs/ingest/{id}", "ingest-get", handleIngestGet)
	rest("GET", "/jobs/ingest/{id}/{$}", "ingest-get", handleIngestGet)
	rest("DELETE", "/jobs/ingest/{id}", "ingest-delete", handleIngestDelete)
	rest("DELETE", "/jobs/ingest/{id}/{$}", "ingest-delete", handleIngestDelete)
	for _, kind := range []string{"successfulResults", "failedResults", "unprocessedrecords", "unprocessedRecords"} {
		rest("GET", "/jobs/ingest/{id}/"+kind, "ingest-results", handleIngestResults)
		rest("GET", "/jobs/ingest/{id}/"+kind+"/{$}", "ingest-results", handleIngestResults)
	}
	rest("POST", "/jobs/query", "query-job-create", handleQueryJobCreate)
	rest("POST", "/jobs/query/{$}", "query-job-create", handleQueryJobCreate)
	rest("GET", "/jobs/query", "query-job-list", handleQueryJobList)
	rest("GET", "/jobs/query/{$}", "query-job-list", handleQueryJobList)
	rest("GET", "/jobs/query/{id}", "query-job-get", handleQueryJobGet)
	rest("GET", "/jobs/query/{id}/{$}", "query-job-get", handleQueryJobGet)
	rest("PATCH", "/jobs/query/{id}", "query-job-close", handleQueryJobPatch)
	rest("DELETE", "/jobs/query/{id}", "query-job-delete", handleQueryJobDelete)
	rest("GET", "/jobs/query/{id}/results", "query-job-results", handleQueryJobResults)
	rest("GET", "/jobs/query/{id}/results/{$}", "query-job-results", handleQueryJobResults)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { s.unknown(w, r) })
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Salesforce answers "//services/..." (the sf CLI sends it when the instance URL
		// ends with a slash) as "/services/..."; ServeMux would redirect it instead.
		if strings.Contains(r.URL.Path, "//") {
			for strings.Contains(r.URL.Path, "//") {
				r.URL.Path = strings.ReplaceAll(r.URL.Path, "//", "/")
			}
			r.URL.RawPath = ""
		}
		// ServeMux would redirect a path with "/./" or "/../"; that is a client bug here.
		if strings.Contains(r.URL.Path, "/./") || strings.Contains(r.URL.Path, "/../") {
			s.unknown(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// unknown answers 404 NOT_FOUND and fails the test: the client built a wrong URL.
func (s *Server) unknown(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.calls["unknown"]++
	s.total++
	s.mu.Unlock()
	if s.tb != nil {
		s.tb.Errorf("sftest: unexpected request %s %s (no such endpoint)", r.Method, r.URL.Path)
	}
	writeErrors(w, http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
}

// serve answers one call to route rt: the injected fault and latency first, then the
// checks of version, session and API limit, then the handler, with s.mu held.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, rt route) {
	s.mu.Lock()
	s.calls[rt.name]++
	s.total++
	latency := s.latency
	h := s.takeHold(rt.name)
	f := s.takeFault(rt.name)
	if f == nil {
		f = s.randomFault(rt.name, rt.rest)
	}
	if f != nil {
		s.countCallFault(rt.name)
	}
	s.mu.Unlock()

	if h != nil && !h.wait(r.Context(), s.closing) {
		dropConnection(w)
		return
	}
	if latency > 0 {
		if sleepCtx(r.Context(), latency) != nil {
			return
		}
	}
	if f != nil {
		writeFault(w, f)
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	c := &call{s: s, w: w, r: r, name: rt.name}
	if !s.admit(c, rt) {
		return
	}
	s.org.advanceJobs(s)
	rt.h(c)
}

// writeFault answers a call with the injected failure f.
func writeFault(w http.ResponseWriter, f *Failure) {
	if f.DropConnection {
		dropConnection(w)
		return
	}
	status := f.Status
	if status == 0 {
		status = http.StatusServiceUnavailable
	}
	if f.HTML {
		w.Header().Set("Content-Type", "text/html;charset=UTF-8")
		w.WriteHeader(status)
		fmt.Fprintf(w, "<html><head><title>%d %s</title></head><body><h1>%s</h1><p>Salesforce is temporarily unavailable.</p></body></html>\n",
			status, http.StatusText(status), http.StatusText(status))
		return
	}
	code := f.Code
	if code == "" {
		code = "SERVER_UNAVAILABLE"
	}
	msg := f.Message
	if msg == "" {
		msg = "Server Unavailable"
	}
	writeErrors(w, status, code, msg)
}

// admit checks the API version and the session, and counts the call against
// DailyApiRequests, as the route requires; it answers the call itself and returns false
// when one fails. s.mu is held.
func (s *Server) admit(c *call, rt route) bool {
	w, r := c.w, c.r
	if rt.rest {
		ver := r.PathValue("ver")
		v, ok := s.org.version(ver)
		if !ok {
			if !versionRE.MatchString(ver) && ver != "latest" && s.tb != nil {
				s.tb.Errorf("sftest: malformed API version %q in %s %s", ver, r.Method, r.URL.Path)
			}
			writeErrors(w, http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
			return false
		}
		c.ver = v
	}
	if rt.auth {
		u, sess, status, code, msg := s.authenticate(r)
		if u == nil {
			if rt.rest {
				s.limitHeader(w, nil)
			}
			writeErrors(w, status, code, msg)
			return false
		}
		c.user, c.sess = u, sess
	}
	if rt.rest {
		l := s.org.limits["DailyApiRequests"]
		if l.Remaining <= 0 {
			s.limitHeader(w, c.sess)
			writeErrors(w, http.StatusForbidden, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
			return false
		}
		l.Remaining--
		if c.sess != nil && c.sess.app != nil {
			s.appCalls[c.sess.app.Name]++
		}
		s.limitHeader(w, c.sess)
	}
	return true
}

// limitHeader sets Sforce-Limit-Info in the documented form, with the per-app usage for a
// session of a connected app: "api-usage=25/5000; per-app-api-usage=17/250(appName=X)"
// (developer.salesforce.com api_rest headers_api_usage.htm). The per-app maximum is
// ConnectedApp.DailyAPIRequests, or the org's when that is 0.
func (s *Server) limitHeader(w http.ResponseWriter, sess *session) {
	l := s.org.limits["DailyApiRequests"]
	v := fmt.Sprintf("api-usage=%d/%d", l.Max-l.Remaining, l.Max)
	if sess != nil && sess.app != nil {
		appMax := sess.app.DailyAPIRequests
		if appMax <= 0 {
			appMax = l.Max
		}
		v += fmt.Sprintf("; per-app-api-usage=%d/%d(appName=%s)", s.appCalls[sess.app.Name], appMax, sess.app.Name)
	}
	w.Header().Set("Sforce-Limit-Info", v)
}

// authenticate checks the Bearer token; s.mu is held.
func (s *Server) authenticate(r *http.Request) (*User, *session, int, string, string) {
	h := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok {
		tok, ok = strings.CutPrefix(h, "OAuth ")
	}
	sess := s.sessions[strings.TrimSpace(tok)]
	if !ok || sess == nil || sess.expired {
		return nil, nil, http.StatusUnauthorized, "INVALID_SESSION_ID", "Session expired or invalid"
	}
	if s.expireAfter > 0 && sess.calls >= s.expireAfter {
		sess.expired = true
		s.chaos.counts.SessionsExpired++
		return nil, nil, http.StatusUnauthorized, "INVALID_SESSION_ID", "Session expired or invalid"
	}
	sess.calls++
	u := s.org.userByID(sess.userID)
	if u == nil || !u.IsActive {
		return nil, nil, http.StatusUnauthorized, "INVALID_SESSION_ID", "Session expired or invalid"
	}
	return u, sess, 0, "", ""
}

// dropConnection closes the TCP connection without a response.
func dropConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0) // RST instead of FIN: "connection reset by peer"
	}
	conn.Close()
}

// apiError is one element of Salesforce's REST error array.
type apiError struct {
	Message   string   `json:"message"`
	ErrorCode string   `json:"errorCode"`
	Fields    []string `json:"fields,omitempty"`
}

func writeErrors(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, []apiError{{Message: msg, ErrorCode: code}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := marshalJSON(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	w.Write(b)
}

// Failure describes an injected failure for [Server.FailNext].
type Failure struct {
	// Endpoint limits the failure to one call-count key (see [Server]); "" means any.
	Endpoint string
	// Status is the HTTP status; 0 means 503.
	Status int
	// Code and Message fill the JSON error body; defaults SERVER_UNAVAILABLE and
	// "Server Unavailable".
	Code, Message string
	// HTML answers a text/html page instead of JSON, as gateways do.
	HTML bool
	// DropConnection closes the connection without any response (a reset).
	DropConnection bool
}

type failure struct {
	n int
	f Failure
}

// takeFault returns the failure for this call, if any; s.mu is held.
func (s *Server) takeFault(endpoint string) *Failure {
	for i, f := range s.faults {
		if f.f.Endpoint != "" && f.f.Endpoint != endpoint {
			continue
		}
		f.n--
		if f.n <= 0 {
			s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
		}
		ff := f.f
		return &ff
	}
	return nil
}

// hold is one [Server.Hold]: the call it caught, and its release.
type hold struct {
	endpoint string
	arrived  chan struct{}
	release  chan struct{}
	once     sync.Once
}

// takeHold returns the pending hold of endpoint and removes it; s.mu is held.
func (s *Server) takeHold(endpoint string) *hold {
	for i, h := range s.holds {
		if h.endpoint == endpoint {
			s.holds = append(s.holds[:i:i], s.holds[i+1:]...)
			return h
		}
	}
	return nil
}

// wait announces the held call and waits for its release; false when the caller went away
// or the server is closing first (the connection is then closed without an answer).
func (h *hold) wait(ctx context.Context, closing <-chan struct{}) bool {
	close(h.arrived)
	select {
	case <-h.release:
		return true
	case <-ctx.Done():
	case <-closing:
	}
	return false
}

// Hold makes the next call to endpoint (a [Server.Calls] key) wait before the emulator
// looks at it: arrived is closed when the call comes in, and the call goes on when release
// is called, or ends unanswered when its client goes away. Tests use it to act at a known
// step (kill or interrupt a client while the call is in flight) without timing. release
// may be called more than once; Close ends a call still held without an answer.
func (s *Server) Hold(endpoint string) (arrived <-chan struct{}, release func()) {
	h := &hold{endpoint: endpoint, arrived: make(chan struct{}), release: make(chan struct{})}
	s.mu.Lock()
	s.holds = append(s.holds, h)
	s.mu.Unlock()
	return h.arrived, func() { h.once.Do(func() { close(h.release) }) }
}

// FailNext makes the next n calls matching f.Endpoint fail as f describes. Failures queue
// in the order added; each call consumes at most one.
func (s *Server) FailNext(n int, f Failure) {
	if n <= 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &failure{n: n, f: f})
}

// Fail503 makes the next n calls to endpoint ("" = any) answer 503 Server Unavailable;
// with html true the body is an HTML page.
func (s *Server) Fail503(n int, endpoint string, html bool) {
	s.FailNext(n, Failure{Endpoint: endpoint, Status: http.StatusServiceUnavailable, HTML: html})
}

// DropConnections makes the next n calls to endpoint ("" = any) close the connection
// without a response.
func (s *Server) DropConnections(n int, endpoint string) {
	s.FailNext(n, Failure{Endpoint: endpoint, DropConnection: true})
}

// ClearFaults removes pending FailNext failures, row failures (FailRow, FailRowsWhere) and
// the SetFailureRate failures. [Server.Faults] keeps counting from where it was.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
	s.rowFaults = map[string]string{}
	s.clearChaos()
}

// ExpireSessionsAfter expires every session, present and future, once it has made n
// authenticated calls: call n+1 answers 401 INVALID_SESSION_ID. A fresh token from the
// token endpoint works again for n calls. 0 turns expiry off.
func (s *Server) ExpireSessionsAfter(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireAfter = n
}

// ExpireSessions invalidates every token issued so far, including [Server.AccessToken]'s.
func (s *Server) ExpireSessions() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sess := range s.sessions {
		sess.expired = true
	}
}

// SetLatency delays every subsequent call by d.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// SetJobDelay keeps Bulk jobs closed from now on in UploadComplete and then InProgress for
// d before they complete; 0 completes them on the next call.
func (s *Server) SetJobDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.jobDelay = d
}

// SetAPIRequestsRemaining sets DailyApiRequests' Remaining; 0 makes every REST call
// answer 403 REQUEST_LIMIT_EXCEEDED.
func (s *Server) SetAPIRequestsRemaining(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.org.limits["DailyApiRequests"].Remaining = n
}

// FailRow makes every Bulk ingest row whose external id (or Id for update) equals value
// fail with sfError, e.g. "UNABLE_TO_LOCK_ROW:unable to obtain exclusive access to this
// record:--". It stays in force until ClearFaults.
func (s *Server) FailRow(value, sfError string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rowFaults[value] = sfError
}

// Limits returns a copy of the org's limits.
func (s *Server) Limits() map[string]Limit {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := map[string]Limit{}
	for k, v := range s.org.limits {
		m[k] = *v
	}
	return m
}

// Records returns copies of the records of object (all fields, datetimes as time.Time in
// UTC, numbers as float64), in insertion order, without soft-deleted ones (see
// [Server.DeletedRecords]).
func (s *Server) Records(object string) []map[string]any { return s.recordMaps(object, false) }

// recordMaps returns copies of object's records, those in the Recycle Bin or the others.
func (s *Server) recordMaps(object string, deleted bool) []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.currentTable(object)
	if t == nil {
		return nil
	}
	var out []map[string]any
	for _, rec := range t.records {
		if rec.deleted == deleted {
			out = append(out, t.values(rec))
		}
	}
	return out
}

// currentTable processes the jobs that are due and returns object's table, or nil; s.mu
// is held.
func (s *Server) currentTable(object string) *table {
	s.org.advanceJobs(s)
	return s.org.table(object)
}

// AddRecord inserts a record into object, filling Id and system fields; it returns the Id.
// Values use the stored types (see [Server.Records]); datetimes may also be strings.
func (s *Server) AddRecord(object string, values map[string]any) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.org.table(object)
	if t == nil {
		return "", fmt.Errorf("no object %s", object)
	}
	rec := t.newRow()
	for k, v := range values {
		f := t.field(k)
		if f == nil {
			return "", fmt.Errorf("object %s has no field %s", object, k)
		}
		cv, err := storedValue(f, v)
		if err != nil {
			return "", fmt.Errorf("field %s: %w", k, err)
		}
		t.set(rec, f, cv)
	}
	s.org.insert(t, rec, s.org.apiUser.ID)
	return rec.id(), nil
}

// JobInfo is a Bulk API 2.0 job as [Server.Jobs] reports it.
type JobInfo struct {
	ID                  string
	Kind                string // "ingest" or "query"
	Object              string
	Operation           string
	ExternalIDFieldName string
	State               string
	RecordsProcessed    int
	RecordsFailed       int
	ErrorMessage        string
	UploadedBytes       int
}

// Jobs returns the Bulk jobs (ingest, then query) in creation order.
func (s *Server) Jobs() []JobInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.org.advanceJobs(s)
	var out []JobInfo
	for _, j := range s.org.jobs {
		out = append(out, JobInfo{
			ID: j.id, Kind: "ingest", Object: j.object, Operation: j.operation, ExternalIDFieldName: j.extIDField,
			State: j.state, RecordsProcessed: j.processed, RecordsFailed: j.failed, ErrorMessage: j.errorMessage,
			UploadedBytes: j.uploadedBytes,
		})
	}
	for _, j := range s.org.queryJobs {
		out = append(out, JobInfo{
			ID: j.id, Kind: "query", Object: j.object, Operation: j.operation, State: j.state,
			RecordsProcessed: len(j.rows), ErrorMessage: j.errorMessage,
		})
	}
	return out
}

// versionLabel names the release of an API version: 62.0 is "Winter '25".
func versionLabel(v string) string {
	n, err := strconv.ParseFloat(v, 64)
	if err != nil || n < 31 {
		return v
	}
	idx := int(n) - 31
	season := []string{"Summer", "Winter", "Spring"}[idx%3]
	return fmt.Sprintf("%s '%02d", season, 14+(idx+2)/3)
}

// sleepCtx waits d or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
