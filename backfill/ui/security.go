package ui

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"strings"
	"sync"

	"go.uber.org/zap"
)

// The session: the URL printed on stdout carries a one-time token; the first request that
// brings it gets a session cookie (HttpOnly, SameSite=Strict) and the token is spent. Every
// other request needs the cookie. State changes also need the check value, which the page
// reads from its own markup and sends in a header: another origin can neither read it nor
// send a custom header without a CORS preflight, which this server never answers.

const (
	cookieName  = "backfill_ui"
	checkHeader = "X-Backfill-Check"
)

// auth holds the token and the session.
type auth struct {
	mu      sync.Mutex
	token   string // spent once exchanged
	spent   bool
	session string // the cookie's value, once the token was exchanged
	check   string // the value state changes carry in checkHeader
}

func newAuth() (*auth, error) {
	a := &auth{}
	var err error
	if a.token, err = secret(); err != nil {
		return nil, err
	}
	if a.session, err = secret(); err != nil {
		return nil, err
	}
	if a.check, err = secret(); err != nil {
		return nil, err
	}
	return a, nil
}

// secret returns 32 random bytes, base64url.
func secret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func same(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// exchange spends the token: it returns the session when token is the unspent token.
func (a *auth) exchange(token string) (string, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.spent || !same(token, a.token) {
		return "", false
	}
	a.spent = true
	return a.session, true
}

// hasSession reports whether r carries the session cookie.
func (a *auth) hasSession(r *http.Request) bool {
	c, err := r.Cookie(cookieName)
	if err != nil {
		return false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.spent && same(c.Value, a.session)
}

// contentPolicy is the page's Content-Security-Policy: its own scripts, styles and
// connections only; nothing from the network, no inline script or style, no plugin, no
// form posting elsewhere; it may frame only its own reports and be framed by nobody.
const contentPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"frame-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// headers sets what every response carries.
func headers(h http.Header) {
	h.Set("Content-Security-Policy", contentPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
}

// guard wraps the routes: the Host check (DNS rebinding), the session (or the token's
// exchange), and for a state change the same-origin check.
func (s *Server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		headers(w.Header())
		if !s.hosts[r.Host] {
			// A page of another site whose name was made to resolve to 127.0.0.1.
			s.log.Warn("refused a request for another host (DNS rebinding?)", zap.String("host", r.Host), zap.String("path", r.URL.Path))
			http.Error(w, "backfill ui answers only at "+s.origin, http.StatusMisdirectedRequest)
			return
		}
		if token := r.URL.Query().Get("token"); token != "" && r.Method == http.MethodGet && r.URL.Path == "/" {
			s.exchange(w, r, token)
			return
		}
		if !s.auth.hasSession(r) {
			s.refuse(w, r)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if why := s.crossOrigin(r); why != "" {
				s.log.Warn("refused a state change from outside the page", zap.String("why", why), zap.String("path", r.URL.Path))
				writeError(w, http.StatusForbidden, sentence{Text: "This request did not come from the backfill page (" + why + ") and was refused."})
				return
			}
		}
		if r.URL.Path != "/api/events" {
			s.touch()
		}
		next.ServeHTTP(w, r)
	})
}

// exchange trades the one-time token for the session cookie, then sends the browser to the
// page without the token in its address.
func (s *Server) exchange(w http.ResponseWriter, r *http.Request, token string) {
	session, ok := s.auth.exchange(token)
	if !ok {
		if s.auth.hasSession(r) { // the same browser, opening the address again
			http.Redirect(w, r, "/", http.StatusSeeOther)
			return
		}
		s.refuse(w, r)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: session, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, "/", http.StatusSeeOther)
	s.log.Info("the page's session started")
}

// refusedPage is what a request without the session gets: no script, no style.
const refusedPage = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>backfill ui: no session</title></head>
<body><main><h1>This page needs its session</h1>
<p>Open the address that <b>backfill ui</b> printed when it started. That address works once, in one browser:
if it was already used, stop backfill ui and start it again for a new one.</p></main></body></html>
`

// refuse answers a request without the session.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/api/") {
		writeError(w, http.StatusUnauthorized, sentence{Text: "This page has no session: open the address backfill ui printed when it started."})
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusUnauthorized)
	w.Write([]byte(refusedPage))
}

// crossOrigin says why a state change is refused, or "" when it is the page's own: its
// Origin is the page's (or, without one, Sec-Fetch-Site says same-origin), and it carries
// the check value.
func (s *Server) crossOrigin(r *http.Request) string {
	switch origin, site := r.Header.Get("Origin"), r.Header.Get("Sec-Fetch-Site"); {
	case origin != "" && origin != "http://"+r.Host: // the Host was checked
		return "it came from " + origin
	case origin == "" && site != "same-origin":
		return "its origin is unknown"
	case site != "" && site != "same-origin":
		return "it came from another site"
	}
	if !same(r.Header.Get(checkHeader), s.auth.check) {
		return "its check is missing"
	}
	return ""
}
