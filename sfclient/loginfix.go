package sfclient

import (
	"errors"
	"strings"
)

// LoginFix returns, for an error returned by [New] (a refused login) or by a later call
// that had to log in again, a one-line fix a Salesforce admin can follow, or "" when it
// knows none. It covers the Salesforce CLI login of --target-org ([ErrNoSFCLI], an unknown
// alias, an expired login; their error text already ends with the same fix) and the
// refusals of the OAuth token endpoint and of SOAP login() (*[APIError]: blocked or
// uninstalled apps, users not pre-authorized, wrong keys or secrets, JWT audience and clock,
// IP restrictions, inactive users). The fix never contains a secret.
func LoginFix(err error) string {
	if err == nil {
		return ""
	}
	var ce *cliError
	if errors.As(err, &ce) {
		return ce.fix
	}
	if errors.Is(err, ErrNoSFCLI) {
		return "install the Salesforce CLI (npm install --global @salesforce/cli), or log in with SF_* variables instead of --target-org"
	}
	var ae *APIError
	if !errors.As(err, &ae) {
		return ""
	}
	msg := strings.ToLower(ae.Message)
	for _, f := range loginFixes {
		if (f.code != "" && strings.EqualFold(ae.Code, f.code)) || (f.desc != "" && strings.Contains(msg, f.desc)) {
			return f.fix
		}
	}
	return ""
}

// loginFixes map a token endpoint refusal to its fix: by OAuth error code (or SOAP
// exceptionCode) or by a lower-case fragment of error_description; the first match wins,
// so the invalid_grant variants are told apart by their description. The bodies and their
// sources are in testdata/fixtures (README.md) and sftest/auth_policy.go.
var loginFixes = []struct{ code, desc, fix string }{
	{"OAUTH_APP_BLOCKED", "this app is blocked by admin",
		"unblock the app in Setup > Connected Apps OAuth Usage, or use an External Client App installed in this org " +
			"(uninstalled connected apps are blocked since Sept 2025)"},
	{"invalid_app_access", "not admin approved",
		`in the app's policies set Permitted Users to "Admin approved users are pre-authorized" and assign the integration user's profile or permission set` +
			" (or install the app in this org)"},
	{"OAUTH_EC_APP_NOT_FOUND", "external client app is not installed",
		"install the External Client App in this org (Setup > External Client App Manager), or use an app created in this org"},
	{"invalid_client_id", "client identifier invalid",
		"SF_CLIENT_ID is not the consumer key of an External Client App in this org, or the app is not active yet (new apps take up to 10 minutes)"},
	{"invalid_client", "invalid client credentials",
		"SF_CLIENT_SECRET does not match the consumer key in SF_CLIENT_ID: copy both again from the app's OAuth settings"},
	{"", "hasn't approved this consumer",
		`pre-authorize the user for the JWT flow: set the app's Permitted Users to "Admin approved users are pre-authorized" and assign the user's profile or permission set`},
	{"", "expired authorization code",
		"the JWT assertion was refused as expired or not yet valid: check this machine's clock (sync it with NTP)"},
	{"", "audience is invalid",
		"for a sandbox use --sandbox or --login-url https://test.salesforce.com; for an Experience Cloud site pass its URL with --jwt-audience"},
	{"", "invalid assertion",
		"the JWT was not signed by the key of the certificate in the app: check SF_JWT_KEY_FILE against the app's digital certificate, and SF_CLIENT_ID"},
	{"", "authentication failure",
		"check SF_USERNAME, SF_PASSWORD and SF_SECURITY_TOKEN (a new one is mailed after a password reset), and that the user is not locked out"},
	{"INVALID_LOGIN", "",
		"check SF_USERNAME, SF_PASSWORD and SF_SECURITY_TOKEN (a new one is mailed after a password reset), and that the user is not locked out"},
	{"", "inactive user",
		"reactivate the integration user (Setup > Users), or log in as an active user"},
	{"", "ip restricted",
		`add this machine's IP address to the profile's Login IP Ranges, or set the app's IP Relaxation to "Relax IP restrictions"`},
	{"", "no client credentials user enabled",
		"in the app's OAuth policies enable the Client Credentials Flow and set its Run As user (an active API user)"},
	{"", "expired access/refresh token",
		"SF_REFRESH_TOKEN has expired or was revoked: get a new refresh token, or use the JWT flow (SF_JWT_KEY_FILE), which needs none"},
}
