package sfclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"

	"go.uber.org/zap"
)

// The --target-org login (FlowSFCLI) asks the Salesforce CLI twice:
//
//   - `sf org display --target-org ALIAS --json` for the instance URL, username and org id;
//   - `sf org auth show-access-token --target-org ALIAS --json` for the access token.
//
// Since Salesforce CLI 2.136.8 (2026-05-27) `org display` prints the token as
// "[REDACTED] Use 'sf org auth show-access-token' to view" (forcedotcom/cli#3560,
// salesforcecli/plugin-org#1673). Older CLIs do not know show-access-token but print the
// token in clear, so the display token is the fallback when it is usable. A redacted or
// empty token is never sent. Both commands refresh the CLI's own session first, so running
// them again is how this flow re-authenticates. Fixtures of their output, captured from
// Salesforce CLI 2.150.6, are in testdata/fixtures (README.md there names each source).

// sfEnvelope is the JSON every sf command prints with --json: status 0 and a result, or a
// non-zero status with the error's name and message.
type sfEnvelope struct {
	Status  int             `json:"status"`
	Name    string          `json:"name"`
	Message string          `json:"message"`
	Result  json.RawMessage `json:"result"`
}

// sfOrg is the result of `sf org display --json` and of `sf org auth show-access-token
// --json` (which has accessToken only, or with some versions instanceUrl and username).
type sfOrg struct {
	AccessToken     string `json:"accessToken"`
	InstanceURL     string `json:"instanceUrl"`
	Username        string `json:"username"`
	ID              string `json:"id"`
	ConnectedStatus string `json:"connectedStatus"`
}

// sfFailure classifies what went wrong with a Salesforce CLI login.
type sfFailure int

const (
	sfOther        sfFailure = iota
	sfUnknownAlias           // no login under that alias or username
	sfExpired                // the login expired or was revoked; sf could not refresh it
)

// cliError is a failed --target-org login: one line saying what sf reported, and the fix
// ([LoginFix] returns it); err, when set, is the underlying error (errors.Is/As see it).
type cliError struct {
	msg, fix string
	kind     sfFailure
	err      error
}

func (e *cliError) Error() string { return e.msg + "; " + e.fix }
func (e *cliError) Unwrap() error { return e.err }

// loginSFCLI logs in with the Salesforce CLI's login named by --target-org.
func (c *Client) loginSFCLI(ctx context.Context) (session, error) {
	alias := c.cfg.TargetOrg
	var org sfOrg
	if err := c.runSF(ctx, &org, "org", "display"); err != nil {
		return session{}, err
	}
	if status := org.ConnectedStatus; status != "" && status != "Connected" && classifySF("", status) == sfExpired {
		// sf prints the stale token with status 0 when it cannot refresh the login; the
		// status says why (the error code or message of the refresh).
		return session{}, &cliError{msg: fmt.Sprintf("sf org display --target-org %s: the CLI could not refresh this login (connectedStatus: %s)",
			alias, oneLine(redact(status))), fix: sfFix(sfExpired, alias), kind: sfExpired}
	}
	var tok sfOrg
	showErr := c.runSF(ctx, &tok, "org", "auth", "show-access-token")
	token := tok.AccessToken
	var ce *cliError
	switch {
	case showErr == nil && usableToken(token):
	case errors.As(showErr, &ce) && ce.kind != sfOther:
		return session{}, showErr // a login problem (unknown alias, expired): the display token is no better
	case usableToken(org.AccessToken):
		// A CLI older than 2.136.8: no show-access-token, and org display shows the token.
		c.log.Debug("using the access token of sf org display", zap.NamedError("show_access_token", showErr))
		token = org.AccessToken
	case errors.Is(showErr, ErrNoSFCLI):
		return session{}, showErr
	default:
		why := "sf org auth show-access-token --target-org " + alias + " answered without a usable token"
		if ce != nil {
			why = ce.msg
		} else if showErr != nil {
			why = showErr.Error()
		}
		return session{}, &cliError{msg: fmt.Sprintf("sf org display --target-org %s gives no usable access token (hidden since Salesforce CLI 2.136.8), and %s",
			alias, why), fix: fmt.Sprintf("upgrade the Salesforce CLI (npm install --global @salesforce/cli@latest) or run 'sf org login web --alias %s' again", alias)}
	}
	instance := org.InstanceURL
	if instance == "" {
		instance = tok.InstanceURL
	}
	if instance == "" {
		return session{}, &cliError{msg: fmt.Sprintf("sf org display --target-org %s: no instance URL", alias), fix: sfFix(sfOther, alias)}
	}
	return session{token: token, instanceURL: instance, username: firstNonEmpty(org.Username, tok.Username), orgID: org.ID}, nil
}

// runSF runs `sf ARGS... --target-org ALIAS --json` and decodes its result into out. A CLI
// that cannot be started gives an error wrapping [ErrNoSFCLI]; a failure sf reports gives
// a *cliError.
func (c *Client) runSF(ctx context.Context, out any, args ...string) error {
	c.count(CallAuth)
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	alias := c.cfg.TargetOrg
	name := "sf " + strings.Join(args, " ")
	cmd := exec.CommandContext(ctx, c.cfg.SFCommand, append(args, "--target-org", alias, "--json")...)
	cmd.WaitDelay = 5 * time.Second // a child holding stdout open must not hang us
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	if runErr != nil && cmd.ProcessState == nil && ctx.Err() == nil {
		return fmt.Errorf("%w: run %s for --target-org: %w; install it (npm install --global @salesforce/cli) or log in with SF_* variables",
			ErrNoSFCLI, c.cfg.SFCommand, runErr)
	}
	if ctx.Err() != nil {
		return fmt.Errorf("%s --target-org %s: %w", name, alias, ctx.Err())
	}
	env, decErr := decodeSF(stdout.Bytes())
	if decErr != nil {
		if e, err := decodeSF(stderr.Bytes()); err == nil {
			env, decErr = e, nil
		}
	}
	switch {
	case decErr == nil && env.Status != 0:
		return sfError(name, alias, env.Name, env.Message)
	case runErr != nil:
		text := strings.TrimSpace(stderr.String())
		if text == "" {
			text = strings.TrimSpace(stdout.String())
		}
		return sfError(name, alias, "", runErr.Error()+": "+text)
	case decErr != nil:
		return fmt.Errorf("%s --target-org %s: unexpected output: %w", name, alias, decErr)
	}
	if err := json.Unmarshal(env.Result, out); err != nil {
		return fmt.Errorf("%s --target-org %s: unexpected result: %w", name, alias, err)
	}
	return nil
}

// decodeSF decodes sf's JSON, tolerating lines printed before it.
func decodeSF(b []byte) (sfEnvelope, error) {
	var env sfEnvelope
	if i := bytes.IndexByte(b, '{'); i > 0 {
		b = b[i:]
	}
	err := json.Unmarshal(b, &env)
	return env, err
}

// sfError builds the *cliError for a failure sf reported: its name and message on one
// line, without secrets, and the fix for its kind.
func sfError(cmd, alias, name, msg string) *cliError {
	text := truncate(oneLine(redact(msg)), 300)
	if name != "" {
		text = name + ": " + text
	}
	kind := classifySF(name, msg)
	return &cliError{msg: fmt.Sprintf("%s --target-org %s: %s", cmd, alias, strings.TrimSuffix(text, ".")),
		fix: sfFix(kind, alias), kind: kind}
}

// classifySF tells an unknown alias and an expired login from other failures, by sf's
// error name or message (or an org's connectedStatus, which is one of them).
func classifySF(name, msg string) sfFailure {
	n, m := strings.ToLower(name), strings.ToLower(msg)
	switch {
	case strings.Contains(n, "namedorgnotfound") || strings.Contains(m, "no authorization information found"):
		return sfUnknownAlias
	case strings.Contains(n, "refreshtokenautherror") || strings.Contains(m, "refreshtokenautherror") ||
		containsAny(m, "expired or revoked", "invalid_grant", "expired access/refresh token", "session expired or invalid", "invalid_session_id"):
		return sfExpired
	}
	return sfOther
}

// sfFix is the one-line fix for a failure of the given kind.
func sfFix(kind sfFailure, alias string) string {
	switch kind {
	case sfUnknownAlias:
		return fmt.Sprintf("run 'sf org login web --alias %s' (add --instance-url https://test.salesforce.com for a sandbox), "+
			"or pass an alias 'sf org list' shows", alias)
	case sfExpired:
		return fmt.Sprintf("run 'sf org login web --alias %s' to log in again", alias)
	}
	return fmt.Sprintf("run 'sf org login web --alias %s' to log in", alias)
}

// usableToken reports whether tok can be sent as a Bearer token: not empty, not sf's
// "[REDACTED] Use 'sf org auth show-access-token' to view" placeholder, no spaces.
func usableToken(tok string) bool {
	return tok != "" && !strings.Contains(strings.ToUpper(tok), "REDACTED") && !strings.ContainsAny(tok, " \t\r\n")
}

// oneLine collapses runs of white space (sf messages span lines) into single spaces.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
