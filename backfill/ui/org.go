package ui

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/northpass-tools/backfill/backfill"
	"github.com/northpass-tools/backfill/backfill/runfolder"
	"github.com/northpass-tools/backfill/sfclient"
	"github.com/northpass-tools/backfill/sfclient/sftest"
)

// Step 1, the org: the login given on the command line, a login of the Salesforce CLI
// (chosen from `sf org list`), or the practice org (the emulator of package sfclient/sftest
// with the demo Northpass org, in this process). Choosing one logs in and reads the
// Organization record, so the page names the org (its name, Id, kind and user) before
// anything else happens. The login's secrets stay in the server.

// The kinds of org.
const (
	orgCommandLine = "command_line"
	orgSF          = "sf"
	orgPractice    = "practice"
)

// orgView is an org as the page shows it: no secret.
type orgView struct {
	Kind        string `json:"kind"`
	Alias       string `json:"alias,omitempty"` // the Salesforce CLI login's alias or username
	Name        string `json:"name,omitempty"`
	ID          string `json:"id,omitempty"`
	InstanceURL string `json:"instance_url,omitempty"`
	Sandbox     bool   `json:"sandbox"`
	User        string `json:"user,omitempty"`
	Login       string `json:"login,omitempty"` // how it is logged in to, in words
}

// connected is the org chosen in step 1: what the page shows, and the login (with its
// secrets) the jobs use.
type connected struct {
	view orgView
	cfg  sfclient.Config
}

// commandLineView describes the login given on the command line, before it is used.
func commandLineView(cfg *sfclient.Config) *orgView {
	v := &orgView{Kind: orgCommandLine, InstanceURL: strings.TrimRight(cfg.InstanceURL, "/"), Sandbox: cfg.Sandbox, Alias: cfg.TargetOrg}
	v.Login = loginWords(*cfg)
	return v
}

// loginWords says how a login is given, without its secrets.
func loginWords(cfg sfclient.Config) string {
	flow, err := cfg.Flow()
	if err != nil {
		return "no usable login"
	}
	switch flow {
	case sfclient.FlowSFCLI:
		return "the Salesforce CLI login " + cfg.TargetOrg
	case sfclient.FlowAccessToken:
		return "an access token"
	case sfclient.FlowJWT:
		return "OAuth JWT bearer"
	case sfclient.FlowRefreshToken:
		return "an OAuth refresh token"
	case sfclient.FlowClientCredentials:
		return "OAuth client credentials"
	}
	return "a username and password"
}

// sfOrgView is a Salesforce CLI login as the page lists it.
type sfOrgView struct {
	Name        string `json:"name"` // what --target-org takes: the alias, or the username
	Alias       string `json:"alias,omitempty"`
	Username    string `json:"username"`
	InstanceURL string `json:"instance_url"`
	Sandbox     bool   `json:"sandbox"`
	Scratch     bool   `json:"scratch"`
	Default     bool   `json:"default"`
	Connected   bool   `json:"connected"`
	Status      string `json:"status,omitempty"`
}

func sfView(o sfclient.SFOrg) sfOrgView {
	return sfOrgView{Name: o.Name(), Alias: o.Alias, Username: o.Username, InstanceURL: o.InstanceURL, Sandbox: o.Sandbox,
		Scratch: o.Scratch, Default: o.Default, Connected: o.Connected(), Status: o.ConnectedStatus}
}

// findSFOrgs lists the Salesforce CLI's logins (sf org list).
func (s *Server) findSFOrgs(w http.ResponseWriter, r *http.Request) {
	orgs, err := sfclient.ListSFOrgs(r.Context(), s.opts.SFCommand)
	if err != nil {
		if errors.Is(err, sfclient.ErrNoSFCLI) {
			fail(w, http.StatusServiceUnavailable, pageErr("The Salesforce CLI is not installed on this computer, or cannot be started.",
				"Install the Salesforce CLI and log in to your org with it, or use the practice org."))
			return
		}
		fail(w, http.StatusBadGateway, pageErr("The Salesforce CLI could not list its logins: "+sentenceOf(err.Error()), "Try again, or choose another org."))
		return
	}
	s.mu.Lock()
	s.sfOrgs = orgs
	s.mu.Unlock()
	s.events.notify()
	views := []sfOrgView{}
	for _, o := range orgs {
		views = append(views, sfView(o))
	}
	writeJSON(w, http.StatusOK, views)
}

// chooseOrg logs in to the org asked for and makes it the org of step 1.
func (s *Server) chooseOrg(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Kind  string `json:"kind"`
		Alias string `json:"alias"`
	}
	if err := readJSON(r, &req); err != nil {
		fail(w, http.StatusBadRequest, err)
		return
	}
	var cfg sfclient.Config
	view := orgView{Kind: req.Kind}
	switch req.Kind {
	case orgCommandLine:
		if s.opts.Org == nil {
			fail(w, http.StatusBadRequest, pageErr("backfill ui was started without a login.", "Choose a Salesforce CLI login or the practice org."))
			return
		}
		cfg = *s.opts.Org
	case orgSF:
		o, found := s.sfOrg(req.Alias)
		if !found {
			fail(w, http.StatusBadRequest, pageErr("The Salesforce CLI has no login named "+req.Alias+".", "Press Find my Salesforce CLI logins, then choose one."))
			return
		}
		cfg = sfclient.Config{TargetOrg: o.Name(), SFCommand: s.opts.SFCommand, Sandbox: o.Sandbox}
		view.Alias = o.Name()
	case orgPractice:
		srv, err := s.practiceOrg()
		if err != nil {
			fail(w, http.StatusInternalServerError, err)
			return
		}
		cfg = practiceLogin(srv)
	default:
		fail(w, http.StatusBadRequest, pageErr("Choose an org.", ""))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Minute)
	defer cancel()
	c, err := sfclient.New(ctx, cfg, s.log)
	if err == nil {
		var org *sfclient.Organization
		if org, err = c.Organization(ctx); err == nil {
			view.Name, view.ID, view.Sandbox, view.InstanceURL = org.Name, org.ID, org.IsSandbox, c.InstanceURL()
			if req.Kind != orgCommandLine {
				cfg.Sandbox = org.IsSandbox // the page names the org's kind; the person confirms it
			}
			if ui, err := c.UserInfo(ctx); err == nil {
				view.User = ui.PreferredUsername
			}
		}
	}
	if err != nil {
		fail(w, http.StatusBadGateway, loginErr(err))
		return
	}
	view.Login = loginWords(cfg)
	if req.Kind == orgPractice {
		view.Login = "the practice org, in this program: nothing leaves this computer"
	}
	s.mu.Lock()
	s.org = &connected{view: view, cfg: cfg}
	s.mu.Unlock()
	s.events.notifyRuns() // which runs this page can work on may have changed
	writeJSON(w, http.StatusOK, view)
}

// sfOrg finds a login of the last sf org list by its name.
func (s *Server) sfOrg(name string) (sfclient.SFOrg, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, o := range s.sfOrgs {
		if o.Name() == name || o.Username == name {
			return o, true
		}
	}
	return sfclient.SFOrg{}, false
}

// practiceOrg starts the practice org on first use.
func (s *Server) practiceOrg() (*sftest.Server, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.practice != nil {
		return s.practice, nil
	}
	delay := s.opts.PracticeJobDelay
	srv, err := sftest.New(sftest.WithAddr("127.0.0.1:0"), sftest.WithSeed(sftest.DemoSeed()), sftest.WithJobDelay(delay))
	if err != nil {
		return nil, pageErr("The practice org could not start: "+sentenceOf(err.Error()), "")
	}
	s.practice = srv
	return srv, nil
}

// practiceLogin is the login to the practice org.
func practiceLogin(srv *sftest.Server) sfclient.Config {
	return sfclient.Config{InstanceURL: srv.URL, Credentials: sfclient.Credentials{AccessToken: srv.AccessToken()},
		PollInterval: 100 * time.Millisecond, MaxPollInterval: 500 * time.Millisecond}
}

// loginErr is a failed login as the jobs report one.
func loginErr(err error) error { return &backfill.LoginError{Err: err} }

// folderLogin is the login for a job on a run folder planned with plan: the Salesforce CLI
// login it was planned with (the job reuses it), the practice org when the plan was made
// for it, or the command line's or step 1's login for the plan's org. Without one, the
// page cannot work on the folder and says why.
func (s *Server) folderLogin(plan *runfolder.Plan) (sfclient.Config, error) {
	if l := plan.Login; l != nil && l.TargetOrg != "" {
		return sfclient.Config{SFCommand: s.opts.SFCommand}, nil
	}
	s.mu.Lock()
	practice, chosen := s.practice, s.org
	s.mu.Unlock()
	if practice != nil && sameHost(practice.URL, plan.InstanceURL) {
		return practiceLogin(practice), nil
	}
	if chosen != nil && chosen.view.Kind != orgPractice && sameHost(chosen.view.InstanceURL, plan.InstanceURL) {
		return chosen.cfg, nil
	}
	if o := s.opts.Org; o != nil && o.TargetOrg == "" && (o.InstanceURL == "" || sameHost(o.InstanceURL, plan.InstanceURL)) {
		// An OAuth login names no instance: the job logs in at the plan's and refuses
		// another org.
		return *o, nil
	}
	if localURL(plan.InstanceURL) {
		return sfclient.Config{}, pageErr("This run was made with a practice org that is no longer running (it lives only as long as backfill ui).",
			"Plan again with the practice org.")
	}
	org := plan.InstanceURL
	if plan.Seal != nil && plan.Seal.OrgName != "" {
		org = plan.Seal.OrgName + " (" + plan.InstanceURL + ")"
	}
	return sfclient.Config{}, pageErr("This page has no login for "+org+", the org this run was planned for.",
		"Choose that org in step 1 (a Salesforce CLI login for it), or start backfill ui with a login for it.")
}

// sameHost reports whether two URLs have the same host (and port).
func sameHost(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	return err1 == nil && err2 == nil && ua.Host != "" && strings.EqualFold(ua.Host, ub.Host)
}

// localURL reports whether u is an org on this machine (a practice org, backfill org).
func localURL(u string) bool {
	p, err := url.Parse(u)
	if err != nil {
		return false
	}
	h := p.Hostname()
	return h == "127.0.0.1" || h == "::1" || h == "localhost"
}
