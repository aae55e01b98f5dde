package sfclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"
)

// Defaults used when the corresponding [Config] field is zero.
const (
	DefaultAPIVersion      = "62.0"
	DefaultLoginURL        = "https://login.salesforce.com"
	DefaultSandboxLoginURL = "https://test.salesforce.com"
	DefaultTimeout         = 2 * time.Minute
	DefaultPollInterval    = time.Second
	DefaultMaxPollInterval = 10 * time.Second
	// DefaultMaxUploadBytes is the raw CSV size per Bulk ingest job: Salesforce accepts 100 MB
	// raw (150 MB after base64); like simple-salesforce we keep 1 MB in reserve, and count
	// decimal megabytes to be safe under either reading of "MB".
	DefaultMaxUploadBytes = 99_000_000
)

// Call kinds: the keys of [Client.CallCounts]. Every HTTP request (each retry and replay
// included) and every Salesforce CLI invocation counts once under its kind.
const (
	CallAuth        = "auth"         // token endpoint, SOAP login, each `sf` command (two per --target-org login)
	CallQuery       = "query"        // one SOQL page (first page and each nextRecordsUrl)
	CallTooling     = "tooling"      // one Tooling SOQL page
	CallDescribe    = "describe"     // describe global and sObject describe
	CallLimits      = "limits"       // /limits
	CallIdentity    = "identity"     // userinfo
	CallVersions    = "versions"     // /services/data/
	CallBulkCreate  = "bulk-create"  // POST jobs/ingest
	CallBulkUpload  = "bulk-upload"  // PUT jobs/ingest/{id}/batches
	CallBulkClose   = "bulk-close"   // PATCH state UploadComplete
	CallBulkAbort   = "bulk-abort"   // PATCH state Aborted
	CallBulkPoll    = "bulk-poll"    // GET jobs/ingest/{id}
	CallBulkResults = "bulk-results" // GET successfulResults / failedResults / unprocessedrecords
)

// RetryPolicy bounds the retries of transient failures (502, 503, 504, 429, timeouts and
// connection resets). The delay before retry n is a random duration in [d/2, d] with
// d = min(BaseDelay·2^(n-1), MaxDelay); a Retry-After header, when present, is used instead
// (not capped by MaxDelay).
type RetryPolicy struct {
	MaxAttempts int           // total attempts including the first; 0 means 4
	BaseDelay   time.Duration // 0 means 500ms
	MaxDelay    time.Duration // 0 means 20s
}

// Config configures a [Client]. Secrets live only in Credentials, which should come from
// [CredentialsFromEnv]; the other fields map to command-line flags.
type Config struct {
	// InstanceURL is the org's URL (--instance-url); required with an access token, optional
	// otherwise (the token response names it). https, or http on loopback only.
	InstanceURL string
	// LoginURL is the OAuth / SOAP login host (--login-url). Empty means
	// https://login.salesforce.com, or https://test.salesforce.com when Sandbox is set.
	LoginURL string
	// Sandbox selects the sandbox login host when LoginURL is empty.
	Sandbox bool
	// APIVersion such as "62.0" (a leading "v" is accepted). Empty means [DefaultAPIVersion].
	APIVersion string
	// TargetOrg, when set, reuses a Salesforce CLI login: the instance URL from `sf org
	// display --target-org TargetOrg --json`, the token from `sf org auth show-access-token
	// --target-org TargetOrg --json` (or, with a CLI older than 2.136.8, which lacks it, from
	// org display). It takes precedence over every credential.
	TargetOrg string
	// SFCommand is the Salesforce CLI executable; empty means "sf" (looked up in PATH).
	SFCommand string
	// Credentials are the secrets; see [CredentialsFromEnv].
	Credentials Credentials
	// JWTAudience overrides the aud claim of the JWT bearer assertion (--jwt-audience), for
	// an Experience Cloud site. Empty means https://test.salesforce.com for sandboxes (Sandbox,
	// or a test/sandbox login URL) and https://login.salesforce.com otherwise, never the URL
	// the request goes to.
	JWTAudience string
	// Timeout bounds each ordinary request (not Bulk uploads and result downloads, which are
	// bounded by the transport's header timeout and the context). 0 means [DefaultTimeout].
	Timeout time.Duration
	// Retry bounds the retries of transient failures.
	Retry RetryPolicy
	// PollInterval and MaxPollInterval bound [Client.WaitJob]'s backoff. 0 means the defaults.
	PollInterval, MaxPollInterval time.Duration
	// MaxUploadBytes is the most raw CSV bytes per ingest job; 0 means [DefaultMaxUploadBytes].
	MaxUploadBytes int64
	// Sleep, if set, replaces the timer used between retries and polls (tests). It must
	// return ctx.Err() when ctx ends first.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Client talks to one Salesforce org: REST (SOQL through simpleforce, describe, limits,
// identity) and Bulk API 2.0 ingest. Create it with [New]. A Client is safe for concurrent use
// by multiple goroutines; re-authentication after an expired session is serialised.
type Client struct {
	cfg        Config
	log        *zap.Logger
	hc         *http.Client
	apiVersion string // "62.0"
	loginURL   string
	flow       Flow
	authFn     func(ctx context.Context) (session, error) // nil: cannot re-authenticate

	authMu sync.Mutex // serialises re-authentication

	mu     sync.Mutex
	sess   session
	counts map[string]int
	usage  LimitInfo
}

// session is the state of one login.
type session struct {
	token       string
	instanceURL string // no trailing slash
	identityURL string // https://login.salesforce.com/id/{org}/{user}, if known
	orgID       string
	userID      string
	username    string
	gen         int
}

// Validate checks cfg without any network call: the API version, the instance and login
// URLs (https, or http on loopback only), that the credentials name one login flow, and for
// --target-org that the Salesforce CLI can be found. Commands call it before any work, so a
// bad flag fails at once; [New] calls it too.
func (cfg Config) Validate() error {
	if _, err := normalizeVersion(cfg.APIVersion); err != nil {
		return err
	}
	if err := checkURL("login URL", cfg.loginURL()); err != nil {
		return err
	}
	if cfg.InstanceURL != "" {
		if err := checkURL("instance URL", strings.TrimRight(cfg.InstanceURL, "/")); err != nil {
			return err
		}
	}
	flow, err := cfg.Flow()
	if err != nil {
		return err
	}
	if flow == FlowSFCLI {
		if _, err := exec.LookPath(cfg.sfCommand()); err != nil {
			return fmt.Errorf("%w: --target-org needs it (%q is not on PATH)", ErrNoSFCLI, cfg.sfCommand())
		}
	}
	return nil
}

// ErrNoSFCLI means --target-org was given but the Salesforce CLI cannot be run.
var ErrNoSFCLI = errors.New("the Salesforce CLI (sf) is not installed")

func (cfg Config) loginURL() string {
	u := strings.TrimRight(cfg.LoginURL, "/")
	if u == "" {
		u = DefaultLoginURL
		if cfg.Sandbox {
			u = DefaultSandboxLoginURL
		}
	}
	return u
}

func (cfg Config) sfCommand() string {
	if cfg.SFCommand == "" {
		return "sf"
	}
	return cfg.SFCommand
}

// New validates cfg ([Config.Validate]), logs in with the flow [Config.Flow] picks, and
// returns a ready Client. A nil logger means zap.NewNop(). Authentication errors are
// returned as *[APIError] when Salesforce answered, wrapped with the flow's name.
func New(ctx context.Context, cfg Config, logger *zap.Logger) (*Client, error) {
	if logger == nil {
		logger = zap.NewNop()
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	ver, _ := normalizeVersion(cfg.APIVersion)
	loginURL := cfg.loginURL()
	cfg.InstanceURL = strings.TrimRight(cfg.InstanceURL, "/")
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = DefaultPollInterval
	}
	if cfg.MaxPollInterval <= 0 {
		cfg.MaxPollInterval = DefaultMaxPollInterval
	}
	if cfg.MaxUploadBytes <= 0 {
		cfg.MaxUploadBytes = DefaultMaxUploadBytes
	}
	if cfg.Retry.MaxAttempts <= 0 {
		cfg.Retry.MaxAttempts = 4
	}
	if cfg.Retry.BaseDelay <= 0 {
		cfg.Retry.BaseDelay = 500 * time.Millisecond
	}
	if cfg.Retry.MaxDelay <= 0 {
		cfg.Retry.MaxDelay = 20 * time.Second
	}
	cfg.SFCommand = cfg.sfCommand()
	flow, _ := cfg.Flow()
	c := &Client{
		cfg:        cfg,
		log:        logger.Named("sfclient"),
		apiVersion: ver,
		loginURL:   loginURL,
		flow:       flow,
		counts:     make(map[string]int),
	}
	base := http.DefaultTransport.(*http.Transport).Clone()
	base.DialContext = (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	base.TLSHandshakeTimeout = 15 * time.Second
	base.ResponseHeaderTimeout = cfg.Timeout
	base.ExpectContinueTimeout = 5 * time.Second
	c.hc = &http.Client{Transport: &transport{c: c, base: base}}
	if err := c.setupAuth(); err != nil {
		return nil, err
	}
	s, err := c.loginRetrying(ctx)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.sess = s
	c.mu.Unlock()
	c.log.Debug("logged in", zap.String("flow", string(flow)), zap.String("instance_url", s.instanceURL))
	return c, nil
}

// normalizeVersion turns "v62", "62" or "62.0" into "62.0".
func normalizeVersion(v string) (string, error) {
	v = strings.TrimPrefix(strings.TrimSpace(v), "v")
	if v == "" {
		return DefaultAPIVersion, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 20 || f > 200 {
		return "", fmt.Errorf("API version %q: want a number such as %s", v, DefaultAPIVersion)
	}
	return strconv.FormatFloat(f, 'f', 1, 64), nil
}

// checkURL enforces https except on loopback hosts.
func checkURL(what, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("%s %q: not an absolute URL", what, raw)
	}
	if u.User != nil {
		return fmt.Errorf("%s: must not contain credentials", what)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if isLoopback(u.Hostname()) {
			return nil
		}
		return fmt.Errorf("%s %s: must use https (plain http is only allowed on loopback)", what, u.Redacted())
	}
	return fmt.Errorf("%s %s: scheme %q not supported, want https", what, u.Redacted(), u.Scheme)
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// APIVersion returns the API version in use, e.g. "62.0".
func (c *Client) APIVersion() string { return c.apiVersion }

// InstanceURL returns the instance URL of the current session (no trailing slash).
func (c *Client) InstanceURL() string { return c.session().instanceURL }

// AuthFlow returns the flow the client logged in with.
func (c *Client) AuthFlow() Flow { return c.flow }

// CallCounts returns a snapshot of the number of calls made per kind (the Call* constants).
// Safe for concurrent use.
func (c *Client) CallCounts() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := make(map[string]int, len(c.counts))
	for k, v := range c.counts {
		m[k] = v
	}
	return m
}

// LastLimitInfo returns the API usage from the Sforce-Limit-Info header of the last response
// that carried one; ok is false before the first.
func (c *Client) LastLimitInfo() (info LimitInfo, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.usage, c.usage.Max > 0
}

func (c *Client) count(kind string) {
	if kind == "" {
		kind = "other"
	}
	c.mu.Lock()
	c.counts[kind]++
	c.mu.Unlock()
}

func (c *Client) session() session {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sess
}

// dataURL returns the instance URL joined with /services/data/vNN.N/ and p.
func (s session) dataURL(ver, p string) string {
	return s.instanceURL + "/services/data/v" + ver + "/" + strings.TrimPrefix(p, "/")
}

// ctxKey types the request-context values the transport reads.
type ctxKey int

const (
	kindKey ctxKey = iota
	simpleforceKey
)

func withKind(ctx context.Context, kind string) context.Context {
	return context.WithValue(ctx, kindKey, kind)
}

// transport counts calls, remembers Sforce-Limit-Info and logs each request at debug level
// (method, path without query, status, duration; never headers).
type transport struct {
	c    *Client
	base http.RoundTripper
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	kind, _ := req.Context().Value(kindKey).(string)
	t.c.count(kind)
	start := time.Now()
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		t.c.log.Debug("request failed", zap.String("kind", kind), zap.String("method", req.Method),
			zap.String("path", sanitizePath(req.URL)), zap.String("error", redact(err.Error())))
		return nil, err
	}
	if li, ok := parseLimitInfo(resp.Header.Get("Sforce-Limit-Info")); ok {
		t.c.mu.Lock()
		t.c.usage = li
		t.c.mu.Unlock()
	}
	t.c.log.Debug("request", zap.String("kind", kind), zap.String("method", req.Method),
		zap.String("path", sanitizePath(req.URL)), zap.Int("status", resp.StatusCode),
		zap.Duration("duration", time.Since(start)))
	if sf, _ := req.Context().Value(simpleforceKey).(bool); sf {
		// simpleforce would parse (and panic on, and log) the error body itself; hand it our
		// typed error instead, which its callers receive wrapped in a *url.Error.
		if err := checkResponse(resp); err != nil {
			t.c.fillUsage(err)
			return nil, err
		}
	}
	return resp, nil
}

// fillUsage completes a request-limit error with the last known usage.
func (c *Client) fillUsage(err error) {
	var ae *APIError
	if errors.As(err, &ae) && ae.Usage.Max == 0 {
		if li, ok := c.LastLimitInfo(); ok {
			ae.Usage = li
		}
	}
}

// do runs attempt until it succeeds, applying the client's policies:
//   - a session-expired error re-authenticates once (when the flow can) and replays the
//     attempt; the replay is safe for any method because Salesforce rejected the request;
//   - transient errors are retried with jittered exponential backoff, honouring Retry-After,
//     only when retry is true (the caller vouches that repeating the request is safe);
//   - REQUEST_LIMIT_EXCEEDED and other errors are returned at once.
func (c *Client) do(ctx context.Context, kind string, retry bool, attempt func(ctx context.Context, s session) error) error {
	ctx = withKind(ctx, kind)
	reauthed := false
	for n := 1; ; n++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		s := c.session()
		err := attempt(ctx, s)
		if err == nil {
			return nil
		}
		c.fillUsage(err)
		if errors.Is(err, ErrSessionExpired) {
			if reauthed || c.authFn == nil {
				return c.expiredError(err)
			}
			reauthed = true
			if rerr := c.reauth(ctx, s.gen); rerr != nil {
				return fmt.Errorf("log in again after the session expired: %w", rerr)
			}
			n--
			continue
		}
		if !retry || n >= c.cfg.Retry.MaxAttempts || !c.retryable(ctx, err) {
			if n > 1 && retry && c.retryable(ctx, err) {
				return fmt.Errorf("gave up after %d attempts: %w", n, err)
			}
			return err
		}
		d := c.backoff(n, err)
		c.log.Debug("retrying", zap.String("kind", kind), zap.Int("attempt", n), zap.Duration("delay", d), zap.String("error", redact(err.Error())))
		if err := c.sleep(ctx, d); err != nil {
			return err
		}
	}
}

func (c *Client) expiredError(err error) error {
	switch c.flow {
	case FlowAccessToken:
		return fmt.Errorf("the access token in SF_ACCESS_TOKEN has expired or was revoked; get a new one "+
			"(e.g. run 'sf org login web' then 'sf org auth show-access-token --target-org ALIAS --json', or use --target-org ALIAS "+
			"or an OAuth flow so backfill can log in again): %w", err)
	case FlowSFCLI:
		// sf hands out its stored token even when it cannot refresh it.
		return &cliError{msg: fmt.Sprintf("the Salesforce CLI login for --target-org %s has expired or was revoked (sf could not refresh it): %v",
			c.cfg.TargetOrg, err), fix: sfFix(sfExpired, c.cfg.TargetOrg), kind: sfExpired, err: err}
	default:
		return fmt.Errorf("session expired again right after logging in: %w", err)
	}
}

// retryable reports whether err is transient: 502/503/504/429 answers, timeouts and
// connection resets. The caller's own cancellation is never retryable.
func (c *Client) retryable(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	var ce *consumedError
	if errors.As(err, &ce) {
		return false
	}
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.retryable()
	}
	return transientNet(err)
}

func (c *Client) backoff(n int, err error) time.Duration {
	var ae *APIError
	if errors.As(err, &ae) && ae.RetryAfter > 0 {
		return ae.RetryAfter
	}
	d := c.cfg.Retry.BaseDelay << (n - 1)
	if d > c.cfg.Retry.MaxDelay || d <= 0 {
		d = c.cfg.Retry.MaxDelay
	}
	return d/2 + rand.N(d/2+1)
}

// sleep waits d or until ctx ends.
func (c *Client) sleep(ctx context.Context, d time.Duration) error {
	if c.cfg.Sleep != nil {
		return c.cfg.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// reauth logs in again unless another goroutine already did since generation gen.
func (c *Client) reauth(ctx context.Context, gen int) error {
	c.authMu.Lock()
	defer c.authMu.Unlock()
	if c.session().gen != gen {
		return nil
	}
	c.log.Info("session expired; logging in again", zap.String("flow", string(c.flow)))
	s, err := c.loginRetrying(ctx)
	if err != nil {
		return err
	}
	c.mu.Lock()
	s.gen = c.sess.gen + 1
	c.sess = s
	c.mu.Unlock()
	return nil
}

// loginRetrying logs in, retrying transient failures (503s, timeouts, resets) of the token
// endpoint like any other call: a token request has no side effect to repeat. Refusals
// (bad credentials) are returned at once.
func (c *Client) loginRetrying(ctx context.Context) (session, error) {
	for n := 1; ; n++ {
		s, err := c.login(ctx)
		if err == nil || n >= c.cfg.Retry.MaxAttempts || !c.retryable(ctx, err) {
			return s, err
		}
		d := c.backoff(n, err)
		c.log.Warn("login failed; retrying", zap.Int("attempt", n), zap.Duration("in", d), zap.Error(err))
		if err := c.sleep(ctx, d); err != nil {
			return session{}, err
		}
	}
}

// newRequest builds a request with the session's bearer token and JSON accept header.
func newRequest(ctx context.Context, s session, method, u string, body io.Reader) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+s.token)
	req.Header.Set("Accept", "application/json")
	return req, nil
}

// cleanErr strips the query string from the URL inside a *url.Error and unwraps our own
// *APIError from it, so errors never carry SOQL or tokens and callers see the typed error.
func cleanErr(err error) error {
	if err == nil {
		return nil
	}
	var ae *APIError
	if errors.As(err, &ae) {
		return ae
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		u, perr := url.Parse(ue.URL)
		if perr == nil {
			return &url.Error{Op: ue.Op, URL: u.Scheme + "://" + u.Host + sanitizePath(u), Err: ue.Err}
		}
		return &url.Error{Op: ue.Op, URL: "(url omitted)", Err: ue.Err}
	}
	return err
}
