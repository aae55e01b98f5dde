package ui_test

import (
	"crypto/sha256"
	"encoding/base64"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/northpass-tools/backfill/backfill/ui"
)

// TestSession: nothing is served without the session; the token is exchanged once for an
// HttpOnly, SameSite=Strict cookie and leaves the address.
func TestSession(t *testing.T) {
	s := serve(t, ui.Options{})
	for _, path := range []string{"/", "/api/state", "/static/app.js", "/api/runs", "/runs/x/report.html"} {
		res, err := http.Get(s.Origin() + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusUnauthorized {
			t.Errorf("GET %s without the session: %d, want 401", path, res.StatusCode)
		}
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	wrong := strings.Replace(s.URL(), "token=", "token=x", 1)
	if res, _ := noFollow.Get(wrong); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("a wrong token: %d, want 401", res.StatusCode)
	}
	res, err := noFollow.Get(s.URL())
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/" {
		t.Fatalf("the token: %d to %q, want 303 to /", res.StatusCode, res.Header.Get("Location"))
	}
	cookies := res.Cookies()
	if len(cookies) != 1 || !cookies[0].HttpOnly || cookies[0].SameSite != http.SameSiteStrictMode || cookies[0].Path != "/" {
		t.Fatalf("cookies %+v: want one HttpOnly, SameSite=Strict, Path=/", cookies)
	}
	if strings.Contains(s.URL(), cookies[0].Value) {
		t.Fatal("the cookie is the token: a leaked address would give the session")
	}
	// Spent: a second browser gets nothing.
	if res, _ := noFollow.Get(s.URL()); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("the token a second time: %d, want 401", res.StatusCode)
	}
	// The same browser, opening the address again, goes to the page.
	req, _ := http.NewRequest(http.MethodGet, s.URL(), nil)
	req.AddCookie(cookies[0])
	if res, _ := noFollow.Do(req); res.StatusCode != http.StatusSeeOther {
		t.Errorf("the address again with the session: %d, want 303", res.StatusCode)
	}
}

// TestHostCheck refuses a Host other than the address served (a DNS-rebinding page), even
// with the session.
func TestHostCheck(t *testing.T) {
	s := serve(t, ui.Options{})
	c := session(t, s)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(s.Origin(), "http://"))
	for host, want := range map[string]int{
		"evil.example:" + port: http.StatusMisdirectedRequest,
		"evil.example":         http.StatusMisdirectedRequest,
		"127.0.0.1:1":          http.StatusMisdirectedRequest,
		"127.0.0.1":            http.StatusMisdirectedRequest,
		"localhost:" + port:    http.StatusOK,
		"127.0.0.1:" + port:    http.StatusOK,
	} {
		code, _ := c.do(http.MethodGet, "/api/state", nil, func(r *http.Request) {
			r.Host = host
			if !strings.HasPrefix(host, "127.0.0.1:"+port) { // the jar sends the cookie by Host: send it anyway
				r.AddCookie(c.hc.Jar.Cookies(mustURL(t, s.Origin()))[0])
			}
		})
		if code != want {
			t.Errorf("Host %s: %d, want %d", host, code, want)
		}
	}
}

// TestCrossOrigin: a state change needs the page's Origin (or Sec-Fetch-Site same-origin)
// and its check value; refused ones change nothing.
func TestCrossOrigin(t *testing.T) {
	s := serve(t, ui.Options{})
	c := session(t, s)
	// POST /api/org with an unknown kind: 400 when the request is let through, 403 when not.
	cases := []struct {
		name string
		edit func(*http.Request)
		want int
	}{
		{"the page's own", func(*http.Request) {}, http.StatusBadRequest},
		{"another origin", func(r *http.Request) { r.Header.Set("Origin", "http://evil.example") }, http.StatusForbidden},
		{"another port", func(r *http.Request) { r.Header.Set("Origin", "http://127.0.0.1:1") }, http.StatusForbidden},
		{"a null origin", func(r *http.Request) { r.Header.Set("Origin", "null") }, http.StatusForbidden},
		{"no origin", func(r *http.Request) { r.Header.Del("Origin") }, http.StatusForbidden},
		{"no origin, same-origin fetch", func(r *http.Request) { r.Header.Del("Origin"); r.Header.Set("Sec-Fetch-Site", "same-origin") }, http.StatusBadRequest},
		{"no origin, cross-site fetch", func(r *http.Request) { r.Header.Del("Origin"); r.Header.Set("Sec-Fetch-Site", "cross-site") }, http.StatusForbidden},
		{"same-site fetch", func(r *http.Request) { r.Header.Set("Sec-Fetch-Site", "same-site") }, http.StatusForbidden},
		{"no check", func(r *http.Request) { r.Header.Del("X-Backfill-Check") }, http.StatusForbidden},
		{"a wrong check", func(r *http.Request) { r.Header.Set("X-Backfill-Check", "guess") }, http.StatusForbidden},
	}
	for _, tc := range cases {
		code, body := c.do(http.MethodPost, "/api/org", map[string]string{"kind": "nope"}, tc.edit)
		if code != tc.want {
			t.Errorf("%s: %d %s, want %d", tc.name, code, body, tc.want)
		}
	}
	// A form post (text/plain) with the right origin and check is still not JSON.
	code, _ := c.do(http.MethodPost, "/api/quit", nil, func(r *http.Request) { r.Header.Set("Content-Type", "text/plain") })
	if code != http.StatusBadRequest {
		t.Errorf("a text/plain post: %d, want 400", code)
	}
	select {
	case why := <-s.done:
		t.Fatalf("the server stopped: %s", why)
	default:
	}
}

// TestPolicies: every response has the strict Content-Security-Policy; the page loads no
// inline script or style and nothing from the network; the check value is the page's only
// secret and no token reaches it.
func TestPolicies(t *testing.T) {
	s := serve(t, ui.Options{})
	c := session(t, s)
	res, err := c.hc.Get(s.Origin() + "/")
	if err != nil {
		t.Fatal(err)
	}
	page := readAll(t, res)
	csp := res.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "base-uri 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe") || strings.Contains(csp, "http") {
		t.Errorf("CSP %q allows inline code or another origin", csp)
	}
	for h, want := range map[string]string{"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "Cache-Control": "no-store"} {
		if got := res.Header.Get(h); got != want {
			t.Errorf("%s: %q, want %q", h, got, want)
		}
	}
	if m := regexp.MustCompile(`<script(?: [^>]*)?>[^<]|<style|style=|\son[a-z]+=|https?://`).FindString(page); m != "" {
		t.Errorf("the page has inline code or a network address: %q", m)
	}
	if strings.Contains(page, strings.TrimPrefix(s.URL()[strings.Index(s.URL(), "token="):], "token=")) {
		t.Error("the page holds the token")
	}
	for path, ct := range map[string]string{"/static/app.js": "text/javascript", "/static/app.css": "text/css"} {
		res, err := c.hc.Get(s.Origin() + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if !strings.HasPrefix(res.Header.Get("Content-Type"), ct) || res.Header.Get("Content-Security-Policy") == "" {
			t.Errorf("%s: %q, CSP %q", path, res.Header.Get("Content-Type"), res.Header.Get("Content-Security-Policy"))
		}
	}
}

// TestNoSecretReachesThePage: the command line's access token and the practice org's
// never appear in what the page reads, nor in the run folder.
func TestNoSecretReachesThePage(t *testing.T) {
	emu, login := emulator(t)
	s := serve(t, ui.Options{Org: login})
	c := session(t, s)
	c.post("/api/org", map[string]string{"kind": "command_line"}, http.StatusOK, nil)
	upload(t, c, sample)
	plan := c.run("/api/plan", "plan", map[string]any{})
	if plan.State != "done" {
		t.Fatalf("plan: %+v", plan.Outcome)
	}
	_, state := c.do(http.MethodGet, "/api/state", nil)
	_, runs := c.do(http.MethodGet, "/api/runs", nil)
	secrets := []string{emu.AccessToken()}
	var st apiState
	c.get("/api/state", &st)
	for _, text := range []string{state, runs} {
		for _, sec := range secrets {
			if strings.Contains(text, sec) {
				t.Fatalf("the page reads a secret: %s", text)
			}
		}
	}
	checkNoSecret(t, runFolder(t, s.runs), secrets)
}

// TestReportFrame: the inline report is report.html's renderer with the page's words, its
// one style allowed by its hash, sandboxed, framed by the page only.
func TestReportFrame(t *testing.T) {
	_, login := emulator(t)
	s := serve(t, ui.Options{Org: login})
	c := session(t, s)
	c.post("/api/org", map[string]string{"kind": "command_line"}, http.StatusOK, nil)
	upload(t, c, sample)
	c.run("/api/plan", "plan", map[string]any{})
	var st apiState
	c.get("/api/state", &st)
	res, err := c.hc.Get(s.Origin() + "/runs/" + st.Current + "/plan-report.html")
	if err != nil {
		t.Fatal(err)
	}
	page := readAll(t, res)
	if res.StatusCode != http.StatusOK || !strings.Contains(page, "backfill plan report") {
		t.Fatalf("plan-report.html: %d", res.StatusCode)
	}
	style := regexp.MustCompile(`(?s)<style>(.*?)</style>`).FindStringSubmatch(page)
	sum := sha256.Sum256([]byte(style[1]))
	csp := res.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "style-src 'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'") || !strings.Contains(csp, "sandbox") ||
		strings.Contains(csp, "script") || !strings.Contains(csp, "frame-ancestors 'self'") {
		t.Fatalf("the report's CSP %q", csp)
	}
	if strings.Contains(page, "<script") {
		t.Error("the report has a script")
	}
	if !strings.Contains(page, "stale") || strings.Contains(page, `class="command"`) {
		t.Error("the report of the sample shows no stale rows, or a command line to copy: the page has buttons")
	}
	text := regexp.MustCompile(`(?s)<style>.*?</style>|<[^>]+>`).ReplaceAllString(page, " ")
	pageWords(t, "the inline report", text)

	// Files download from the run folder only: nothing above it, no hidden file.
	for path, want := range map[string]int{
		"/runs/" + st.Current + "/files/ledger.csv":     http.StatusOK,
		"/runs/" + st.Current + "/files/.lock":          http.StatusNotFound,
		"/runs/" + st.Current + "/files/..%2Fexports":   http.StatusNotFound,
		"/runs/..%2F" + st.Current + "/files/plan.json": http.StatusNotFound,
		"/runs/exports/files/x":                         http.StatusNotFound,
	} {
		res, err := c.hc.Get(s.Origin() + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != want {
			t.Errorf("GET %s: %d, want %d", path, res.StatusCode, want)
		}
		if want == http.StatusOK && !strings.HasPrefix(res.Header.Get("Content-Disposition"), "attachment") {
			t.Errorf("GET %s is not a download: %q", path, res.Header.Get("Content-Disposition"))
		}
	}
}
