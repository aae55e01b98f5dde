// Package sfclient is everything in backfill that speaks to Salesforce: authentication, SOQL
// queries (through github.com/simpleforce/simpleforce), describe, limits, identity and org
// checks, and our own Bulk API 2.0 ingest client on net/http. The wire facts it relies on are
// in docs/SALESFORCE.md; package sfclient/sftest emulates them for tests.
//
// # Logging in
//
// [New] logs in with the flow [Config.Flow] picks from the flags and the SF_* environment
// variables ([CredentialsFromEnv]): a Salesforce CLI login (--target-org), a bare access
// token, OAuth JWT bearer, refresh token, client credentials or username-password (all
// through golang.org/x/oauth2), or simpleforce's SOAP login() for API versions up to 64.0.
// Instance and login URLs must be https except on loopback. When a call gets 401
// INVALID_SESSION_ID the client logs in again once and replays the call; a bare access token
// cannot be renewed, so its expiry is reported with instructions instead.
//
// A Salesforce CLI login takes the instance URL from `sf org display` and the token from
// `sf org auth show-access-token` (org display hides it since CLI 2.136.8; with older CLIs,
// which lack show-access-token, org display's token is used). A redacted or empty token is
// never sent. [LoginFix] turns a refused login (a blocked or uninstalled app, a user not
// pre-authorized, a wrong key, secret, clock or audience, an unknown or expired CLI alias)
// into a one-line fix for the Salesforce admin.
//
// # Errors, retries and accounting
//
// Every non-2xx answer becomes an *[APIError] in one place, whatever the body (JSON error
// array, OAuth error object, SOAP fault, HTML page). errors.Is(err, [ErrSessionExpired]) and
// errors.Is(err, [ErrRequestLimit]) identify the conditions callers act on. Transient
// failures (502, 503, 504, 429, timeouts, connection resets) are retried with jittered
// exponential backoff that honours Retry-After, for GETs and for the writes that are safe
// to repeat (job create, job state changes, delete); REQUEST_LIMIT_EXCEEDED is never retried.
// Uploads are never resent once any byte went out: see [Client.UploadJobData].
// Errors and logs never contain tokens or query strings. [Client.CallCounts] reports the
// calls made per kind for the plan's report.
//
// # simpleforce
//
// simpleforce has no contexts, logs to the global std logger, panics on some error bodies
// and has a sticky Tooling() switch. The client therefore builds a fresh simpleforce client
// per call, bound to the call's context through its *http.Client, recovers its panics, and
// hands it typed errors from the transport. main should call [RedirectStdLog] once so its
// log lines go to zap at debug level, sanitised. Records come back as [Record] maps whose
// numbers are float64; use the typed accessors.
//
// # Concurrency
//
// A [Client] is safe for concurrent use.
package sfclient
