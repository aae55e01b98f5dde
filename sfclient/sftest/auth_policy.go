package sftest

import (
	"net"
	"net/http"
	"strings"
)

// jwtAudiences are the audiences a JWT bearer assertion may name, whatever URL it is
// posted to: https://test.salesforce.com for a sandbox org, https://login.salesforce.com
// otherwise, and the Experience Cloud site URL of WithJWTAudience or Seed.JWTAudience (help
// article "OAuth 2.0 JWT Bearer Flow for Server-to-Server Integration"; docs/SALESFORCE.md
// "2026 realities"). The emulator's own URL is not one: a client must not derive aud from
// the instance or My Domain URL.
func (s *Server) jwtAudiences() []string {
	auds := []string{"https://login.salesforce.com"}
	if s.org.seed.Organization.IsSandbox {
		auds = []string{"https://test.salesforce.com"}
	}
	for _, a := range []string{s.cfg.jwtAudience, s.org.seed.JWTAudience} {
		if a != "" {
			auds = append(auds, strings.TrimSuffix(a, "/"))
		}
	}
	return auds
}

// refuseGrant applies the org's and the app's access policies to a token request that
// passed its credentials check: the OAuth error code and description of the first that
// refuses it, or "" (s.mu is held). The wording of each body is cited next to it.
func (s *Server) refuseGrant(r *http.Request, g grant) (code, desc string) {
	u, app := g.user, g.app
	switch {
	case !s.trustedIP(r):
		// forceworkbench/forceworkbench#772 and sfdx-actions/setup-sfdx#17:
		// "invalid_grant: ip restricted" (Login IP Ranges of the profile or the org).
		return "invalid_grant", "ip restricted"
	case u == nil || !u.IsActive:
		// The refresh and JWT flows of a deactivated user; the password flow answers
		// "authentication failure" before this (docs/SALESFORCE.md [S20]).
		return "invalid_grant", "inactive user"
	case app.ExternalClientApp && !app.Installed:
		// forcedotcom/cli#3482 ("External client app is not installed in this org") and
		// the error code OAUTH_EC_APP_NOT_FOUND reported with it (PipedreamHQ/pipedream#21557).
		return "OAUTH_EC_APP_NOT_FOUND", "External client app is not installed in this org"
	case app.Blocked && !u.Profile.PermissionsModifyAllData:
		// help.salesforce.com 005132365 (uninstalled connected apps blocked since Sept 2025,
		// except for users with "Approve Uninstalled Connected Apps", which admins have);
		// body as reported in n8n-io/n8n#21589: {"error":"OAUTH_APP_BLOCKED",
		// "error_description":"this app is blocked by admin"}.
		return "OAUTH_APP_BLOCKED", "this app is blocked by admin"
	case app.AdminApprovedOnly && !app.approved(u) && g.jwt:
		// JWT needs the user pre-authorized: simple-salesforce login.py special-cases
		// "user hasn't approved this consumer" (docs/SALESFORCE.md [S20]).
		return "invalid_grant", "user hasn't approved this consumer"
	case app.AdminApprovedOnly && !app.approved(u):
		// forcedotcom/cli#3260: "invalid_app_access::user is not admin approved to access
		// this app" (code and description joined by the CLI); help.salesforce.com 005228017.
		return "invalid_app_access", "user is not admin approved to access this app"
	}
	return "", ""
}

// approved reports whether u is among the app's admin-approved (pre-authorized) users.
func (a *ConnectedApp) approved(u *User) bool {
	for _, name := range a.AdminApprovedUsers {
		if strings.EqualFold(name, u.Username) {
			return true
		}
	}
	return false
}

// trustedIP reports whether the request comes from one of Seed.TrustedIPRanges (all
// addresses when there are none).
func (s *Server) trustedIP(r *http.Request) bool {
	ranges := s.org.seed.TrustedIPRanges
	if len(ranges) == 0 {
		return true
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip := net.ParseIP(host)
	for _, cidr := range ranges {
		if _, n, err := net.ParseCIDR(cidr); err == nil && ip != nil && n.Contains(ip) {
			return true
		}
	}
	return false
}
