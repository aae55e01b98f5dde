package sftest

import (
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func oauthError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, newOrdered().set("error", code).set("error_description", desc))
}

func (s *Server) app(clientID string) *ConnectedApp {
	for i := range s.org.seed.ConnectedApps {
		if s.org.seed.ConnectedApps[i].ClientID == clientID {
			return &s.org.seed.ConnectedApps[i]
		}
	}
	return nil
}

func handleToken(c *call) {
	s, r, w := c.s, c.r, c.w
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "malformed request body")
		return
	}
	var g grant
	switch r.Form.Get("grant_type") {
	case "password":
		g = s.passwordGrant(r.Form)
	case "urn:ietf:params:oauth:grant-type:jwt-bearer":
		g = s.jwtGrant(r.Form.Get("assertion"))
	case "client_credentials":
		g = s.clientCredentialsGrant(r)
	case "refresh_token":
		g = s.refreshGrant(r.Form)
	case "":
		g.code, g.desc = "invalid_request", "grant type is missing"
	default:
		g.code, g.desc = "unsupported_grant_type", "grant type not supported"
	}
	if g.code == "" {
		g.code, g.desc = s.refuseGrant(r, g)
	}
	if g.code != "" {
		oauthError(w, http.StatusBadRequest, g.code, g.desc)
		return
	}
	s.issueToken(w, g.user, g.app, g.opts)
}

// grant is the outcome of checking a token request: the user and app to issue a token
// for, or the OAuth error code and description.
type grant struct {
	user       *User
	app        *ConnectedApp
	opts       grantOptions
	jwt        bool
	code, desc string
}

func refused(code, desc string) grant { return grant{code: code, desc: desc} }

// passwordGrant checks the username-password flow.
func (s *Server) passwordGrant(form url.Values) grant {
	app := s.app(form.Get("client_id"))
	if app == nil {
		return refused("invalid_client_id", "client identifier invalid")
	}
	if form.Get("client_secret") != app.ClientSecret {
		return refused("invalid_client", "invalid client credentials")
	}
	u := s.org.seed.User(form.Get("username"))
	if u == nil || !u.IsActive || u.Password == "" || form.Get("password") != u.Password+u.SecurityToken {
		return refused("invalid_grant", "authentication failure")
	}
	return grant{user: u, app: app, opts: grantOptions{refresh: true, signed: true}}
}

// jwtGrant checks the JWT bearer flow.
func (s *Server) jwtGrant(assertion string) grant {
	u, app, code, desc := s.verifyAssertion(assertion)
	if u == nil {
		return refused(code, desc)
	}
	return grant{user: u, app: app, jwt: true}
}

// clientCredentialsGrant checks the client-credentials flow (secret in the body or Basic).
func (s *Server) clientCredentialsGrant(r *http.Request) grant {
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.Form.Get("client_id"), r.Form.Get("client_secret")
	}
	app := s.app(id)
	if app == nil {
		return refused("invalid_client_id", "client identifier invalid")
	}
	if secret != app.ClientSecret {
		return refused("invalid_client", "invalid client credentials")
	}
	if app.RunAs == "" {
		return refused("invalid_grant", "no client credentials user enabled")
	}
	return grant{user: s.org.seed.User(app.RunAs), app: app, opts: grantOptions{signed: true, apiInstanceURL: true}}
}

// refreshGrant checks the refresh-token flow.
func (s *Server) refreshGrant(form url.Values) grant {
	g, ok := s.refresh[form.Get("refresh_token")]
	if !ok {
		return refused("invalid_grant", "expired access/refresh token")
	}
	app := s.app(form.Get("client_id"))
	if app == nil || app.ClientID != g.clientID {
		return refused("invalid_client_id", "client identifier invalid")
	}
	if sec := form.Get("client_secret"); sec != "" && sec != app.ClientSecret {
		return refused("invalid_client", "invalid client credentials")
	}
	return grant{user: s.org.userByID(g.userID), app: app, opts: grantOptions{signed: true}}
}

type grantOptions struct {
	refresh        bool // include a refresh_token (the emulator issues one on the password grant)
	signed         bool // include issued_at and signature
	apiInstanceURL bool // client credentials add api_instance_url
}

func (s *Server) issueToken(w http.ResponseWriter, u *User, app *ConnectedApp, o grantOptions) {
	tok := s.newAppSession(u.ID, app)
	id := s.identityURL(u)
	resp := newOrdered().set("access_token", tok)
	if o.refresh {
		rt := strings.TrimPrefix(s.newSession(u.ID), s.org.seed.Organization.ID[:15]+"!")
		delete(s.sessions, s.org.seed.Organization.ID[:15]+"!"+rt)
		rt = "5Aep861" + rt
		s.refresh[rt] = refreshGrant{userID: u.ID, clientID: app.ClientID}
		resp.set("refresh_token", rt)
	}
	resp.set("instance_url", s.URL)
	if o.apiInstanceURL {
		resp.set("api_instance_url", s.URL)
	}
	resp.set("id", id).set("token_type", "Bearer")
	if o.signed {
		issued := strconv.FormatInt(time.Now().UnixMilli(), 10)
		mac := hmac.New(sha256.New, []byte(app.ClientSecret))
		mac.Write([]byte(id + issued))
		resp.set("issued_at", issued).set("signature", base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	}
	scope := "api web"
	if o.refresh {
		scope = "refresh_token api web"
	}
	resp.set("scope", scope)
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) identityURL(u *User) string {
	return fmt.Sprintf("%s/id/%s/%s", s.URL, s.org.seed.Organization.ID, u.ID)
}

// verifyAssertion checks a JWT bearer assertion: RS256 signed by the connected app named
// by iss, sub a user, aud the org's login host (see jwtAudiences), exp (number or string)
// in the future.
func (s *Server) verifyAssertion(assertion string) (*User, *ConnectedApp, string, string) {
	if assertion == "" {
		return nil, nil, "invalid_request", "assertion is missing"
	}
	p := jwt.NewParser(jwt.WithValidMethods([]string{"RS256"}), jwt.WithoutClaimsValidation())
	claims := jwt.MapClaims{}
	if _, _, err := p.ParseUnverified(assertion, claims); err != nil {
		return nil, nil, "invalid_grant", "invalid assertion"
	}
	iss, _ := claims["iss"].(string)
	app := s.app(iss)
	if app == nil {
		return nil, nil, "invalid_client_id", "client identifier invalid"
	}
	key, err := parsePublicKey(app.Certificate)
	if err != nil {
		return nil, nil, "invalid_grant", "invalid assertion"
	}
	if _, err := p.ParseWithClaims(assertion, jwt.MapClaims{}, func(*jwt.Token) (any, error) { return key, nil }); err != nil {
		return nil, nil, "invalid_grant", "invalid assertion"
	}
	if !audienceOK(claims["aud"], s.jwtAudiences()) {
		// Wording: forcedotcom/cli#3482 ("audience is invalid"); docs/SALESFORCE.md [S35].
		return nil, nil, "invalid_grant", "audience is invalid"
	}
	exp, ok := numericClaim(claims["exp"])
	if !ok {
		return nil, nil, "invalid_grant", "invalid assertion"
	}
	if time.Unix(exp, 0).Before(time.Now()) {
		// Wording: the token errors simple-salesforce handles ("expired authorization code"; docs/SALESFORCE.md [S20]).
		return nil, nil, "invalid_grant", "expired authorization code"
	}
	sub, _ := claims["sub"].(string)
	u := s.org.seed.User(sub)
	if u == nil {
		// Wording: simple-salesforce login.py special-cases it (docs/SALESFORCE.md [S20]).
		return nil, nil, "invalid_grant", "user hasn't approved this consumer"
	}
	return u, app, "", ""
}

func audienceOK(aud any, allowed []string) bool {
	var auds []string
	switch a := aud.(type) {
	case string:
		auds = []string{a}
	case []any:
		for _, x := range a {
			if s, ok := x.(string); ok {
				auds = append(auds, s)
			}
		}
	}
	for _, a := range auds {
		for _, ok := range allowed {
			if strings.TrimSuffix(a, "/") == ok {
				return true
			}
		}
	}
	return false
}

func numericClaim(v any) (int64, bool) {
	switch x := v.(type) {
	case float64:
		return int64(x), true
	case json.Number:
		f, err := x.Float64()
		return int64(f), err == nil
	case string:
		f, err := strconv.ParseFloat(x, 64)
		return int64(f), err == nil
	}
	return 0, false
}

func parsePublicKey(pemText string) (*rsa.PublicKey, error) {
	block, _ := pem.Decode([]byte(pemText))
	if block == nil {
		return nil, errors.New("no PEM block")
	}
	var key any
	var err error
	switch block.Type {
	case "CERTIFICATE":
		var cert *x509.Certificate
		cert, err = x509.ParseCertificate(block.Bytes)
		if err == nil {
			key = cert.PublicKey
		}
	case "PUBLIC KEY":
		key, err = x509.ParsePKIXPublicKey(block.Bytes)
	case "RSA PUBLIC KEY":
		key, err = x509.ParsePKCS1PublicKey(block.Bytes)
	default:
		err = fmt.Errorf("unexpected PEM block %q", block.Type)
	}
	if err != nil {
		return nil, err
	}
	rk, ok := key.(*rsa.PublicKey)
	if !ok {
		return nil, errors.New("not an RSA public key")
	}
	return rk, nil
}

func xmlEscape(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

const soapFaultTemplate = `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:sf="urn:fault.partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><soapenv:Fault><faultcode>sf:%[1]s</faultcode><faultstring>%[1]s: %[2]s</faultstring><detail><sf:%[3]s xsi:type="sf:%[3]s"><sf:exceptionCode>%[1]s</sf:exceptionCode><sf:exceptionMessage>%[2]s</sf:exceptionMessage></sf:%[3]s></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>`

func soapFault(w http.ResponseWriter, code, msg, kind string) {
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	w.WriteHeader(http.StatusInternalServerError)
	fmt.Fprintf(w, soapFaultTemplate, code, xmlEscape(msg), kind)
}

// handleSOAPLogin serves the partner API login() that simpleforce's LoginPassword uses.
// Like Salesforce, it refuses API 65.0 and later.
func handleSOAPLogin(c *call) {
	s, w := c.s, c.w
	ver := strings.TrimPrefix(c.r.PathValue("ver"), "v")
	n, err := strconv.ParseFloat(ver, 64)
	if _, ok := s.org.version("v" + ver); err != nil || !ok {
		soapFault(w, "UNSUPPORTED_API_VERSION", "Invalid Api version specified on URL", "UnexpectedErrorFault")
		return
	}
	if n >= 65 {
		soapFault(w, "INVALID_OPERATION", "login() is not supported in API version 65.0 and later; use OAuth", "UnexpectedErrorFault")
		return
	}
	var username, password string
	dec := xml.NewDecoder(io.LimitReader(c.r.Body, 1<<20))
	var cur string
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		switch t := tok.(type) {
		case xml.StartElement:
			cur = t.Name.Local
		case xml.EndElement:
			cur = ""
		case xml.CharData:
			switch cur {
			case "username":
				username += string(t)
			case "password":
				password += string(t)
			}
		}
	}
	u := s.org.seed.User(strings.TrimSpace(username))
	if u == nil || !u.IsActive || u.Password == "" || password != u.Password+u.SecurityToken {
		soapFault(w, "INVALID_LOGIN", "Invalid username, password, security token; or user locked out.", "LoginFault")
		return
	}
	sid := s.newSession(u.ID)
	orgID := s.org.seed.Organization.ID
	e := xmlEscape
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="urn:partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><loginResponse><result>`+
		`<metadataServerUrl>%[1]s/services/Soap/m/%[2]s/%[3]s</metadataServerUrl><passwordExpired>false</passwordExpired><sandbox>%[4]t</sandbox>`+
		`<serverUrl>%[1]s/services/Soap/u/%[2]s/%[3]s</serverUrl><sessionId>%[5]s</sessionId><userId>%[6]s</userId><userInfo>`+
		`<accessibilityMode>false</accessibilityMode><chatterExternal>false</chatterExternal><currencySymbol>$</currencySymbol><orgAttachmentFileSizeLimit>5242880</orgAttachmentFileSizeLimit>`+
		`<orgDefaultCurrencyIsoCode>USD</orgDefaultCurrencyIsoCode><orgDefaultCurrencyLocale>en_US</orgDefaultCurrencyLocale><orgDisallowHtmlAttachments>false</orgDisallowHtmlAttachments>`+
		`<orgHasPersonAccounts>false</orgHasPersonAccounts><organizationId>%[3]s</organizationId><organizationMultiCurrency>false</organizationMultiCurrency>`+
		`<organizationName>%[7]s</organizationName><profileId>%[8]s</profileId><roleId xsi:nil="true"/><sessionSecondsValid>7200</sessionSecondsValid>`+
		`<userDefaultCurrencyIsoCode xsi:nil="true"/><userEmail>%[9]s</userEmail><userFullName>%[10]s</userFullName><userId>%[6]s</userId>`+
		`<userLanguage>en_US</userLanguage><userLocale>en_US</userLocale><userName>%[11]s</userName><userTimeZone>America/Los_Angeles</userTimeZone>`+
		`<userType>%[12]s</userType><userUiSkin>Theme3</userUiSkin></userInfo></result></loginResponse></soapenv:Body></soapenv:Envelope>`,
		s.URL, ver, orgID, s.org.seed.Organization.IsSandbox, sid, u.ID, e(s.org.seed.Organization.Name), u.Profile.ID,
		e(u.Email), e(u.Name), e(u.Username), e(u.UserType))
}

func (s *Server) userinfo(u *User) *ordered {
	orgID := s.org.seed.Organization.ID
	first, last, _ := strings.Cut(u.Name, " ")
	base := s.URL + "/services/data/v{version}/"
	urls := newOrdered().
		set("enterprise", s.URL+"/services/Soap/c/{version}/"+orgID).
		set("metadata", s.URL+"/services/Soap/m/{version}/"+orgID).
		set("partner", s.URL+"/services/Soap/u/{version}/"+orgID).
		set("rest", base).
		set("sobjects", base+"sobjects/").
		set("search", base+"search/").
		set("query", base+"query/").
		set("recent", base+"recent/").
		set("tooling_soap", s.URL+"/services/Soap/T/{version}/"+orgID).
		set("tooling_rest", base+"tooling/").
		set("profile", s.URL+"/"+u.ID).
		set("feeds", base+"chatter/feeds").
		set("groups", base+"chatter/groups").
		set("users", base+"chatter/users").
		set("feed_items", base+"chatter/feed-items").
		set("feed_elements", base+"chatter/feed-elements").
		set("custom_domain", s.URL)
	return newOrdered().
		set("sub", s.identityURL(u)).
		set("user_id", u.ID).
		set("organization_id", orgID).
		set("preferred_username", u.Username).
		set("nickname", strings.SplitN(u.Username, "@", 2)[0]).
		set("name", u.Name).
		set("email", u.Email).
		set("email_verified", true).
		set("given_name", first).
		set("family_name", last).
		set("zoneinfo", "America/Los_Angeles").
		set("photos", newOrdered().set("picture", s.URL+"/profilephoto/005/F").set("thumbnail", s.URL+"/profilephoto/005/T")).
		set("profile", s.URL+"/"+u.ID).
		set("picture", s.URL+"/profilephoto/005/F").
		set("address", map[string]any{}).
		set("is_salesforce_integration_user", false).
		set("urls", urls).
		set("active", u.IsActive).
		set("user_type", "STANDARD").
		set("language", "en_US").
		set("locale", "en_US").
		set("utcOffset", -28800000).
		set("updated_at", "2025-01-15T09:00:00Z").
		set("is_app_installed", true)
}

func handleUserinfo(c *call) {
	writeJSON(c.w, http.StatusOK, c.s.userinfo(c.user))
}

// handleIdentity serves the identity URL of the token response; only a user's own.
func handleIdentity(c *call) {
	s := c.s
	if id15(c.r.PathValue("user")) != id15(c.user.ID) || id15(c.r.PathValue("org")) != id15(s.org.seed.Organization.ID) {
		c.w.Header().Set("Content-Type", "text/plain;charset=UTF-8")
		c.w.WriteHeader(http.StatusForbidden)
		io.WriteString(c.w, "Bad_Id")
		return
	}
	o := s.userinfo(c.user)
	id := newOrdered().set("id", s.identityURL(c.user)).set("asserted_user", true).set("user_id", c.user.ID).
		set("organization_id", s.org.seed.Organization.ID).set("username", c.user.Username).set("nickname", o.vals["nickname"]).
		set("display_name", c.user.Name).set("email", c.user.Email)
	for _, k := range o.keys {
		if _, ok := id.get(k); !ok && k != "sub" && k != "preferred_username" && k != "name" {
			id.set(k, o.vals[k])
		}
	}
	writeJSON(c.w, http.StatusOK, id)
}

func handleVersions(c *call) {
	var out []*ordered
	for _, v := range c.s.org.versions {
		out = append(out, newOrdered().set("label", versionLabel(v)).set("url", "/services/data/v"+v).set("version", v))
	}
	writeJSON(c.w, http.StatusOK, out)
}
