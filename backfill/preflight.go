package backfill

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/northpass-tools/backfill/csvdiff"
	"github.com/northpass-tools/backfill/sfclient"
)

// CheckStatus is the result of one preflight check.
type CheckStatus string

// Check statuses. Only [CheckFail] makes preflight fail (exit code [ExitPreflight]).
const (
	CheckPass CheckStatus = "pass"
	CheckWarn CheckStatus = "warn"
	CheckFail CheckStatus = "fail"
	CheckSkip CheckStatus = "skip" // could not run because an earlier check failed
)

// Check is one line of the preflight checklist. Fix is set on warn and fail: one line
// saying what to do, following the reconnection guide.
type Check struct {
	ID      int         `json:"id"`
	Name    string      `json:"name"`
	Status  CheckStatus `json:"status"`
	Message string      `json:"message"`
	Fix     string      `json:"fix,omitempty"`
}

// PreflightOrg is what preflight learned of the org.
type PreflightOrg struct {
	Name        string `json:"name"`
	ID          string `json:"id"`
	IsSandbox   bool   `json:"is_sandbox"`
	InstanceURL string `json:"instance_url"`
}

// PreflightUser is the user preflight ran as.
type PreflightUser struct {
	Username string `json:"username"`
	Profile  string `json:"profile"`
}

// PreflightReport is the result of [Preflight] and [RunPreflight]: the six checks of
// DESIGN.md section 5 in order, and what they found. Passed is true when no check failed
// (warnings and skips do not count as failures; a skip only follows a failure).
type PreflightReport struct {
	Checks          []Check       `json:"checks"`
	Org             PreflightOrg  `json:"org"`
	User            PreflightUser `json:"user"`
	Object          string        `json:"object"`
	ExternalIDField string        `json:"external_id_field"`
	Passed          bool          `json:"passed"`
}

// Check returns the check with the given id (1 to 6), or nil.
func (r *PreflightReport) Check(id int) *Check {
	for i := range r.Checks {
		if r.Checks[i].ID == id {
			return &r.Checks[i]
		}
	}
	return nil
}

// Failed returns the checks that failed.
func (r *PreflightReport) Failed() []Check {
	var out []Check
	for _, c := range r.Checks {
		if c.Status == CheckFail {
			out = append(out, c)
		}
	}
	return out
}

// The checks, in the order of the reconnection guide (DESIGN.md section 5).
const (
	checkLogin = iota + 1
	checkPackages
	checkUser
	checkTarget
	checkLimits
	checkSync
)

var checkNames = [...]string{
	checkLogin:    "Login and org",
	checkPackages: "Installed packages",
	checkUser:     "Integration user",
	checkTarget:   "Enrollment object and fields",
	checkLimits:   "API limits",
	checkSync:     "Live sync",
}

// Minimum package versions (DOMAIN.md section 2: Installed Packages must list Northpass 2.1
// and Gainsight Northpass Data Connector 1.0).
var (
	minNorthpass = sfclient.PackageVersion{Major: 2, Minor: 1}
	minConnector = sfclient.PackageVersion{Major: 1, Minor: 0}
)

// Limit estimates of check 5. They are deliberately generous: a failed load half way is
// worse than a warning.
const (
	apiCallsBase        = 10    // login, discovery, describe, count, job creation...
	apiCallsPerQuery    = 250   // candidate keys per existence query (real queries hold more)
	apiCallsPerPart     = 5     // create, upload, close, poll, results per 100 MB Bulk job
	apiCallsNoExport    = 25    // without --export: discovery, a count and a few queries
	bulkRowsPerBatch    = 10000 // Salesforce counts Bulk API 2.0 ingest in batches of 10,000 records
	limitWarnPercentage = 10    // warn when less than this share of a daily limit is left
)

// Fix texts, from the reconnection guide (DOMAIN.md sections 2, 5 and 6).
const (
	fixLogin = "check --target-org / --instance-url and the SF_* environment variables (backfill preflight --help lists them); " +
		"the integration user must be authorized (reconnection guide step 4)"
	fixInstalledPackages = "Setup > Installed Packages should list Northpass 2.1 and Gainsight Northpass Data Connector 1.0"
	fixNorthpass         = "upgrade the Northpass package to 2.1 from AppExchange (reconnection guide step 1)"
	fixConnector         = "install Gainsight Northpass Data Connector 1.0 from AppExchange, \"Install for Admins Only\" (reconnection guide step 2)"
	fixAdmin             = "create a dedicated integration user who is not a System Administrator, give it the Northpass Standard User permission set, " +
		"authorize it in Northpass (Apps > Integrations > Salesforce > Salesforce Instance Setup > Authorize) and run backfill as that user"
	fixModifyAll = "remove Modify All Data from the integration user (least privilege): it needs the Northpass Standard User permission set, not admin rights"
	fixAccess    = "assign the Northpass Standard User permission set to the integration user and check field-level security " +
		"(Setup > Object Manager > Enrollment > Fields & Relationships)"
	fixLimitsFail = "wait for the rolling 24-hour usage to free up (Setup > Company Information shows API requests in the last 24 hours), " +
		"ask Salesforce for a higher limit, or load in smaller slices with a later --since"
	fixLimitsWarn = "less than 10% of a daily limit is left and other integrations share it: load outside business hours or check who uses the API"
	fixSync       = "verify the data sync: enroll a test learner in a Northpass course, wait up to 30 minutes, then check the Enrollments tab in Salesforce; " +
		"if nothing arrives, re-authorize from Northpass (Apps > Integrations > Salesforce)"
)

// Preflight runs `backfill preflight`: it logs in to cfg.Org and runs the six checks of
// DESIGN.md section 5, reading only. With cfg.Export set it first scans the export (an
// unusable file is a usage error, exit 2, and no check runs) so that check 4 verifies the
// column mapping and check 5 sizes the load. It prints the checklist to stdout, or the
// report as JSON when cfg.Format is "json".
//
// A failed login is check 1 failing, not an error. When any check fails, Preflight returns
// the report together with an *[ExitError] whose Code is [ExitPreflight]; other errors
// (bad configuration, an unusable export, a cancelled ctx) come with a nil report or the
// report so far.
func Preflight(ctx context.Context, cfg Config, stdout io.Writer) (*PreflightReport, error) {
	if err := cfg.validateCommon(); err != nil {
		return nil, err
	}
	var idx *csvdiff.Index
	if cfg.Export != "" {
		var err error
		if idx, err = scanExport(ctx, &cfg); err != nil {
			return nil, err
		}
	}
	var rep *PreflightReport
	c, err := sfclient.New(ctx, cfg.Org, cfg.logger())
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		rep = loginFailed(&cfg, err)
	} else {
		rep = RunPreflight(ctx, c, &cfg, idx)
	}
	if ctx.Err() != nil {
		return rep, ctx.Err()
	}
	if err := PrintPreflight(stdout, rep, cfg.Format); err != nil {
		return rep, err
	}
	if failed := rep.Failed(); len(failed) > 0 {
		names := make([]string, len(failed))
		for i, f := range failed {
			names[i] = fmt.Sprintf("%d (%s)", f.ID, strings.ToLower(f.Name))
		}
		return rep, &ExitError{Code: ExitPreflight,
			Err:  fmt.Errorf("preflight failed: check %s", strings.Join(names, ", ")),
			Hint: "follow the fix lines of the checklist, then run backfill preflight again"}
	}
	return rep, nil
}

// loginFailed is the report when no session could be made: check 1 fails, the rest skip.
func loginFailed(cfg *Config, err error) *PreflightReport {
	rep := &PreflightReport{Org: PreflightOrg{InstanceURL: cfg.Org.InstanceURL}}
	rep.add(checkLogin, CheckFail, "cannot log in: "+err.Error(), fixLogin)
	for id := checkPackages; id <= checkSync; id++ {
		rep.add(id, CheckSkip, "not run: no Salesforce session (check 1)", "")
	}
	return rep
}

func (r *PreflightReport) add(id int, st CheckStatus, msg, fix string) {
	if st == CheckPass || st == CheckSkip {
		fix = ""
	}
	r.Checks = append(r.Checks, Check{ID: id, Name: checkNames[id], Status: st, Message: msg, Fix: fix})
	r.Passed = len(r.Failed()) == 0
}

// preflight is one run of the checks.
type preflight struct {
	c   *sfclient.Client
	cfg *Config
	idx *csvdiff.Index
	log *zap.Logger
	rep *PreflightReport

	pkgs    []sfclient.InstalledPackage
	pkgsErr error
	userID  string
	object  string // set when check 4 could describe the object
}

// RunPreflight runs the six checks with an existing client, without printing. cfg supplies
// --sandbox (cfg.Org.Sandbox), --object, --external-id-field, --mapping, --update-stale and
// --since. idx is the scanned export, or nil without --export: then check 4 verifies the
// object and the external id field only, and check 5 uses a fixed small estimate.
//
// Every check runs and reports; a check that needs what an earlier one could not provide
// is [CheckSkip]. Salesforce errors become failing checks, so RunPreflight returns no
// error; if ctx ends, the remaining checks fail with ctx's error.
func RunPreflight(ctx context.Context, c *sfclient.Client, cfg *Config, idx *csvdiff.Index) *PreflightReport {
	p := &preflight{c: c, cfg: cfg, idx: idx, log: cfg.logger(), rep: &PreflightReport{Passed: true}}
	p.rep.Org.InstanceURL = c.InstanceURL()
	if !p.login(ctx) {
		for id := checkPackages; id <= checkSync; id++ {
			p.rep.add(id, CheckSkip, "not run: no Salesforce session (check 1)", "")
		}
		return p.rep
	}
	p.packages(ctx)
	p.user(ctx)
	p.targetCheck(ctx)
	p.limits(ctx)
	p.sync(ctx)
	for _, ch := range p.rep.Checks {
		p.log.Info("preflight check", zap.Int("id", ch.ID), zap.String("check", ch.Name), zap.String("status", string(ch.Status)),
			zap.String("message", ch.Message))
	}
	return p.rep
}

// login is check 1. It returns false when there is no working session.
func (p *preflight) login(ctx context.Context) bool {
	org, err := p.c.Organization(ctx)
	if err != nil {
		if errors.Is(err, sfclient.ErrSessionExpired) {
			p.rep.add(checkLogin, CheckFail, "cannot log in: "+err.Error(), fixLogin)
			return false
		}
		p.rep.add(checkLogin, CheckFail, "logged in, but cannot read the Organization record: "+err.Error(), fixLogin)
		return true
	}
	p.rep.Org = PreflightOrg{Name: org.Name, ID: org.ID, IsSandbox: org.IsSandbox, InstanceURL: p.c.InstanceURL()}
	transport := "over https"
	if u, err := url.Parse(p.c.InstanceURL()); err != nil || u.Scheme != "https" {
		// sfclient.New refuses plain http except on loopback.
		transport = "over plain http on loopback (a local emulator such as backfill org, not a real org)"
	}
	who := fmt.Sprintf("logged in to %s (%s) at %s %s", org.Name, org.ID, p.c.InstanceURL(), transport)
	kind := "a production org"
	if org.IsSandbox {
		kind = "a sandbox"
	}
	switch {
	case org.IsSandbox && !p.cfg.Org.Sandbox:
		p.rep.add(checkLogin, CheckFail, who+"; it is a sandbox but --sandbox was not given",
			"add --sandbox if this sandbox is the org to load; to load production, log in to the production org instead")
	case !org.IsSandbox && p.cfg.Org.Sandbox:
		p.rep.add(checkLogin, CheckFail, who+"; it is a production org but --sandbox was given",
			"drop --sandbox to load this production org, or log in to the sandbox you meant (--target-org / --instance-url)")
	default:
		p.rep.add(checkLogin, CheckPass, who+"; "+kind+", as expected", "")
	}
	return true
}

// packages is check 2: Northpass >= 2.1 and Gainsight Northpass Data Connector >= 1.0.
func (p *preflight) packages(ctx context.Context) {
	p.pkgs, p.pkgsErr = p.c.InstalledPackages(ctx)
	if p.pkgsErr != nil {
		p.rep.add(checkPackages, CheckFail, "cannot list the installed packages: "+p.pkgsErr.Error(),
			"check Setup > Installed Packages by hand: it should list Northpass 2.1 and Gainsight Northpass Data Connector 1.0")
		return
	}
	np, npOK := northpassNamespace(p.pkgs)
	dc, dcOK := dataConnector(p.pkgs)
	var problems, fixes, found []string
	switch {
	case !npOK:
		problems = append(problems, "the Northpass package is not installed")
		fixes = append(fixes, fixNorthpass)
	case np.Version.Compare(minNorthpass) < 0:
		problems = append(problems, fmt.Sprintf("Northpass %s is installed; %s or later is required", shortVersion(np.Version), shortVersion(minNorthpass)))
		fixes = append(fixes, fixNorthpass)
	default:
		found = append(found, fmt.Sprintf("%s %s (namespace %s)", np.Name, shortVersion(np.Version), np.Namespace))
	}
	switch {
	case !dcOK:
		problems = append(problems, "Gainsight Northpass Data Connector is not installed")
		fixes = append(fixes, fixConnector)
	case dc.Version.Compare(minConnector) < 0:
		problems = append(problems, fmt.Sprintf("Gainsight Northpass Data Connector %s is installed; %s or later is required", shortVersion(dc.Version), shortVersion(minConnector)))
		fixes = append(fixes, fixConnector)
	default:
		found = append(found, fmt.Sprintf("%s %s", dc.Name, shortVersion(dc.Version)))
	}
	if len(problems) > 0 {
		p.rep.add(checkPackages, CheckFail, strings.Join(problems, "; "), strings.Join(fixes, "; then ")+"; "+fixInstalledPackages)
		return
	}
	p.rep.add(checkPackages, CheckPass, strings.Join(found, " and ")+" are installed", "")
}

// dataConnector finds the Gainsight Northpass Data Connector (case-insensitive).
func dataConnector(pkgs []sfclient.InstalledPackage) (sfclient.InstalledPackage, bool) {
	for _, p := range pkgs {
		n := strings.ToLower(p.Name)
		if strings.Contains(n, northpassPackage) && strings.Contains(n, connectorPackage) {
			return p, true
		}
	}
	return sfclient.InstalledPackage{}, false
}

// shortVersion formats a package version as Setup shows it: "2.1", or "2.1.3" / "2.1.3.7"
// when the patch or build is set.
func shortVersion(v sfclient.PackageVersion) string {
	s := fmt.Sprintf("%d.%d", v.Major, v.Minor)
	if v.Patch != 0 || v.Build != 0 {
		s += "." + strconv.Itoa(v.Patch)
	}
	if v.Build != 0 {
		s += "." + strconv.Itoa(v.Build)
	}
	return s
}

// user is check 3: a dedicated integration user. Fail when its profile is named "System
// Administrator" (case-insensitive; other admin-like profiles are judged by the permission
// alone), warn when it holds Modify All Data through its profile or any permission set.
func (p *preflight) user(ctx context.Context) {
	id, err := p.c.CurrentUserID(ctx)
	if err != nil {
		p.rep.add(checkUser, CheckFail, "cannot tell which user is logged in: "+err.Error(), fixLogin)
		return
	}
	p.userID = id
	u, err := p.c.User(ctx, id)
	if err != nil {
		p.rep.add(checkUser, CheckFail, "cannot read the logged-in user: "+err.Error(), fixLogin)
		return
	}
	p.rep.User = PreflightUser{Username: u.Username, Profile: u.ProfileName}
	who := fmt.Sprintf("running as %s (profile %s)", u.Username, u.ProfileName)
	if strings.EqualFold(strings.TrimSpace(u.ProfileName), "System Administrator") {
		p.rep.add(checkUser, CheckFail, who+": the sync and the backfill must use a dedicated integration user, not a System Administrator", fixAdmin)
		return
	}
	psas, err := p.c.PermissionSetAssignments(ctx, id)
	if err != nil {
		p.rep.add(checkUser, CheckFail, who+"; cannot read its permission sets: "+err.Error(), fixModifyAll)
		return
	}
	var grants, sets []string
	if u.ProfilePermissionsModifyAllData {
		grants = append(grants, "profile "+u.ProfileName)
	}
	for _, ps := range psas {
		if ps.IsOwnedByProfile {
			if ps.PermissionsModifyAllData && !u.ProfilePermissionsModifyAllData {
				grants = append(grants, "profile "+u.ProfileName)
			}
			continue
		}
		sets = append(sets, ps.Label)
		if ps.PermissionsModifyAllData {
			grants = append(grants, "permission set "+ps.Label)
		}
	}
	sort.Strings(sets)
	if len(sets) > 0 {
		who += ", permission sets: " + strings.Join(sets, ", ")
	}
	if len(grants) > 0 {
		p.rep.add(checkUser, CheckWarn, who+"; it has Modify All Data through "+strings.Join(grants, ", "), fixModifyAll)
		return
	}
	p.rep.add(checkUser, CheckPass, who+"; a dedicated user without Modify All Data", "")
}

// targetCheck is check 4: the object, its external id field and, with an export, the
// mapped fields exist and this user can write them; required fields are mapped. Mapped
// fields must be createable; they must also be updateable with --update-stale, and a field
// that is not is a warning otherwise (rows that update records would leave it unchanged).
func (p *preflight) targetCheck(ctx context.Context) {
	fail := func(msg, fix string) { p.rep.add(checkTarget, CheckFail, msg, fix) }
	object := p.cfg.Object
	if object == "" {
		np, ok := northpassNamespace(p.pkgs)
		switch {
		case p.pkgsErr != nil:
			p.rep.add(checkTarget, CheckSkip, "not run: the installed packages are unknown (check 2); name the object with --object to check it", "")
			return
		case !ok || np.Namespace == "":
			p.rep.add(checkTarget, CheckSkip, "not run: the Northpass package is not installed (check 2), so its Enrollment object cannot be found; name it with --object to check it anyway", "")
			return
		}
		g, err := p.c.DescribeGlobal(ctx)
		if err != nil {
			fail("cannot list the org's objects: "+err.Error(), fixAccess)
			return
		}
		matches, inNS := enrollmentObjects(g, np.Namespace)
		switch len(matches) {
		case 0:
			list := "none visible"
			if len(inNS) > 0 {
				list = strings.Join(inNS, ", ")
			}
			fail(fmt.Sprintf("no object labelled \"Enrollment\" in namespace %s (objects there: %s)", np.Namespace, list),
				fixAccess+"; or name the object with --object")
			return
		case 1:
			object = matches[0]
		default:
			fail(fmt.Sprintf("several objects labelled \"Enrollment\" in namespace %s: %s", np.Namespace, strings.Join(matches, ", ")),
				"choose one with --object")
			return
		}
	}
	d, err := p.c.Describe(ctx, object)
	if err != nil {
		var ae *sfclient.APIError
		if errors.As(err, &ae) && ae.StatusCode == 404 {
			fail(fmt.Sprintf("object %s does not exist or is not visible to this user", object), fixAccess+"; or check --object")
			return
		}
		fail("cannot describe "+object+": "+err.Error(), fixAccess)
		return
	}
	t := targetFromDescribe(d)
	p.rep.Object, p.object = t.Object, t.Object
	if !d.Createable || !d.Updateable {
		fail(fmt.Sprintf("this user cannot %s %s records", missingAccess(d.Createable, d.Updateable), t.Object), fixAccess)
		return
	}
	if err := t.chooseExternalID(p.cfg.ExternalIDField); err != nil {
		fix := Hint(err)
		if fix == "" {
			fix = fixAccess
		}
		fail(err.Error(), fix)
		return
	}
	p.rep.ExternalIDField = t.ExternalIDField
	head := fmt.Sprintf("%s (%s) with upsert key %s", t.Object, t.ObjectLabel, t.ExternalIDField)
	if p.idx == nil {
		ext := t.Field(t.ExternalIDField)
		if bad := p.unwritable([]*Field{ext}, nil); len(bad) > 0 {
			p.rep.add(checkTarget, p.writeStatus(bad), head+"; the upsert key is not writable: "+joinBad(bad), fixAccess)
			return
		}
		p.rep.add(checkTarget, CheckPass, head+", both writable for this user; pass --export to check the column mapping too", "")
		return
	}
	h := &p.idx.Header
	var sdl *Mapping
	if p.cfg.MappingFile != "" {
		f, err := os.Open(p.cfg.MappingFile)
		if err != nil {
			fail("cannot read the mapping file: "+err.Error(), "check --mapping")
			return
		}
		sdl, err = ParseSDL(f, p.cfg.MappingFile)
		f.Close()
		if err != nil {
			fail(err.Error(), "fix the mapping file (Data Loader .sdl: CSV Header=Field__c lines)")
			return
		}
	}
	// Map once as if every field were writable, to see which columns the export means to
	// load and into which fields, then judge those fields by what this user may do.
	open := &Target{Object: t.Object, ExternalIDField: t.ExternalIDField, Fields: make(map[string]*Field, len(t.Fields))}
	for k, f := range t.Fields {
		w := *f
		w.Createable, w.Updateable = true, true
		open.Fields[k] = &w
	}
	if err := open.mapColumns(h, sdl, p.cfg.MappingFile); err != nil {
		fix := Hint(err)
		if fix == "" {
			fix = fixAccess
		}
		fail(err.Error(), fix)
		return
	}
	fields := make([]*Field, len(open.Columns))
	cols := make([]string, len(open.Columns))
	for i, mc := range open.Columns {
		fields[i], cols[i] = t.Field(mc.Field.Name), mc.Column
	}
	bad := p.unwritable(fields, cols)
	if err := t.mapColumns(h, sdl, p.cfg.MappingFile); err != nil {
		fail(err.Error(), fixAccess)
		return
	}
	var msgs, fixes []string
	st := CheckPass
	if len(bad) > 0 {
		st = p.writeStatus(bad)
		msgs = append(msgs, "mapped fields this user cannot write: "+joinBad(bad))
		fixes = append(fixes, fixAccess)
	}
	if miss := t.missingRequired(); len(miss) > 0 {
		st = CheckFail
		msgs = append(msgs, "required fields no column sets (new records would fail): "+strings.Join(miss, ", "))
		fixes = append(fixes, "add the columns to the export or map them in a .sdl file (--mapping)")
	}
	if st != CheckPass {
		p.rep.add(checkTarget, st, head+"; "+strings.Join(msgs, "; "), strings.Join(fixes, "; "))
		return
	}
	msg := fmt.Sprintf("%s; %d export columns map to fields this user can write, every required field is mapped", head, len(t.Columns))
	if n := len(t.Unmapped); n > 0 {
		var names []string
		for _, u := range t.Unmapped {
			names = append(names, strconv.Quote(u.Column))
		}
		msg += fmt.Sprintf("; %d left out (no matching field): %s", n, strings.Join(names, ", "))
	}
	p.rep.add(checkTarget, CheckPass, msg, "")
}

// badField is a mapped field this user cannot fully write.
type badField struct {
	field, column, why string
	fatal              bool
}

// unwritable lists the fields (with their export columns, when known) that are not
// createable, or not updateable.
func (p *preflight) unwritable(fields []*Field, cols []string) []badField {
	var out []badField
	for i, f := range fields {
		if f.Createable && f.Updateable {
			continue
		}
		b := badField{field: f.Name, why: "not updateable", fatal: !f.Createable || p.cfg.UpdateStale}
		switch {
		case !f.Createable && !f.Updateable:
			b.why = "read-only"
		case !f.Createable:
			b.why = "not createable"
		}
		if cols != nil {
			b.column = cols[i]
		}
		out = append(out, b)
	}
	return out
}

// writeStatus is fail when any of bad is fatal, else warn.
func (p *preflight) writeStatus(bad []badField) CheckStatus {
	for _, b := range bad {
		if b.fatal {
			return CheckFail
		}
	}
	return CheckWarn
}

func joinBad(bad []badField) string {
	parts := make([]string, len(bad))
	for i, b := range bad {
		if b.column != "" {
			parts[i] = fmt.Sprintf("%s (column %q: %s)", b.field, b.column, b.why)
		} else {
			parts[i] = fmt.Sprintf("%s (%s)", b.field, b.why)
		}
	}
	return strings.Join(parts, ", ")
}

// missingAccess names what the user may not do of create and update.
func missingAccess(createable, updateable bool) string {
	switch {
	case !createable && !updateable:
		return "create or update"
	case !createable:
		return "create"
	}
	return "update"
}

// limits is check 5: enough DailyApiRequests and DailyBulkApiBatches for the load.
func (p *preflight) limits(ctx context.Context) {
	lim, err := p.c.Limits(ctx)
	if err != nil {
		fix := fixLogin
		if errors.Is(err, sfclient.ErrRequestLimit) {
			fix = fixLimitsFail
		}
		p.rep.add(checkLimits, CheckFail, "cannot read the org's limits: "+err.Error(), fix)
		return
	}
	needAPI, needBatches, basis := p.estimate()
	st := CheckPass
	var parts []string
	for _, l := range []struct {
		name string
		need int64
	}{{"DailyApiRequests", needAPI}, {"DailyBulkApiBatches", needBatches}} {
		v, ok := lim[l.name]
		if !ok {
			parts = append(parts, l.name+" is not reported by the org")
			st = worse(st, CheckWarn)
			continue
		}
		s := fmt.Sprintf("%s %s of %s remaining, needs about %s", l.name, group(v.Remaining), group(v.Max), group(l.need))
		switch {
		case v.Remaining < l.need:
			s += " (not enough)"
			st = worse(st, CheckFail)
		case v.Remaining*100 < v.Max*limitWarnPercentage:
			s += fmt.Sprintf(" (under %d%% left)", limitWarnPercentage)
			st = worse(st, CheckWarn)
		}
		parts = append(parts, s)
	}
	msg := strings.Join(parts, "; ") + " (" + basis + ")"
	switch st {
	case CheckFail:
		p.rep.add(checkLimits, st, msg, fixLimitsFail)
	case CheckWarn:
		p.rep.add(checkLimits, st, msg, fixLimitsWarn)
	default:
		p.rep.add(checkLimits, st, msg, "")
	}
}

// estimate sizes the load: API requests and Bulk batches, and what the estimate is based on.
func (p *preflight) estimate() (api, batches int64, basis string) {
	if p.idx == nil {
		return apiCallsNoExport, 1, "estimate without --export; pass it to size the load"
	}
	n := int64(p.idx.NumCandidates())
	var parts int64
	if n > 0 {
		parts = 1
		if st, err := os.Stat(p.cfg.Export); err == nil && p.idx.Rows() > 0 {
			est := st.Size() * n / int64(p.idx.Rows())
			parts = max(1, ceilDiv(est, maxUploadBytes(p.cfg)))
		}
	}
	api = apiCallsBase + ceilDiv(n, apiCallsPerQuery) + apiCallsPerPart*parts
	batches = ceilDiv(n, bulkRowsPerBatch)
	return api, batches, fmt.Sprintf("%s candidate rows in %d Bulk job(s)", group(n), parts)
}

func ceilDiv(a, b int64) int64 { return (a + b - 1) / b }

// worse returns the more severe of two statuses.
func worse(a, b CheckStatus) CheckStatus {
	rank := map[CheckStatus]int{CheckPass: 0, CheckSkip: 1, CheckWarn: 2, CheckFail: 3}
	if rank[b] > rank[a] {
		return b
	}
	return a
}

// group formats n with thousands separators.
func group(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// sync is check 6, the guide's "Verify Data Sync": the newest Enrollment last modified by
// the running user (the integration user when check 3 passes), and whether it is on or after
// the cutoff. Records written by an earlier backfill as the same user count too.
func (p *preflight) sync(ctx context.Context) {
	switch {
	case p.object == "":
		p.rep.add(checkSync, CheckSkip, "not run: the Enrollment object is unknown (check 4)", "")
		return
	case p.userID == "":
		p.rep.add(checkSync, CheckSkip, "not run: the logged-in user is unknown (check 3)", "")
		return
	}
	obj := p.object
	soql := "SELECT Id, LastModifiedDate FROM " + obj + " WHERE LastModifiedById = " + sfclient.QuoteString(p.userID) +
		" ORDER BY LastModifiedDate DESC LIMIT 1"
	var id string
	var at time.Time
	err := p.c.Query(ctx, soql, func(r sfclient.Record) error {
		id = r.String("Id")
		at, _ = r.Time("LastModifiedDate")
		return nil
	})
	if err != nil {
		p.rep.add(checkSync, CheckFail, "cannot query "+obj+": "+err.Error(), fixAccess)
		return
	}
	who := p.rep.User.Username
	if who == "" {
		who = p.userID
	}
	cutoff := p.cfg.Since.UTC().Format(time.RFC3339)
	switch {
	case id == "":
		p.rep.add(checkSync, CheckWarn, fmt.Sprintf("no %s record was written by %s: the sync has not run as this user", obj, who), fixSync)
	case at.Before(p.cfg.Since):
		p.rep.add(checkSync, CheckWarn, fmt.Sprintf("the newest %s written by %s is %s at %s, before the cutoff %s: nothing since the reconnection",
			obj, who, id, at.UTC().Format(time.RFC3339), cutoff), fixSync)
	default:
		p.rep.add(checkSync, CheckPass, fmt.Sprintf("the newest %s written by %s is %s at %s, on or after the cutoff %s",
			obj, who, id, at.UTC().Format(time.RFC3339), cutoff), "")
	}
}

// PrintPreflight writes rep as a checklist (format "table") or as indented JSON ("json").
// Each check reads without colour: a mark and a word (✓ PASS, ! WARN, ✗ FAIL, - SKIP), the
// message, and on warn and fail an indented "fix:" line.
func PrintPreflight(w io.Writer, rep *PreflightReport, format string) error {
	if format == "json" {
		b, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return err
		}
		_, err = w.Write(append(b, '\n'))
		return err
	}
	var b strings.Builder
	b.WriteString("Preflight")
	if o := rep.Org; o.Name != "" {
		kind := "production"
		if o.IsSandbox {
			kind = "sandbox"
		}
		fmt.Fprintf(&b, " of %s (%s, %s) at %s", o.Name, o.ID, kind, o.InstanceURL)
	} else if o.InstanceURL != "" {
		fmt.Fprintf(&b, " of %s", o.InstanceURL)
	}
	if u := rep.User; u.Username != "" {
		fmt.Fprintf(&b, " as %s (%s)", u.Username, u.Profile)
	}
	b.WriteString("\n\n")
	var n [4]int
	for _, c := range rep.Checks {
		mark, word := "-", "SKIP"
		switch c.Status {
		case CheckPass:
			mark, word = "✓", "PASS"
			n[0]++
		case CheckWarn:
			mark, word = "!", "WARN"
			n[1]++
		case CheckFail:
			mark, word = "✗", "FAIL"
			n[2]++
		default:
			n[3]++
		}
		fmt.Fprintf(&b, "%s %s  %d. %s: %s\n", mark, word, c.ID, c.Name, c.Message)
		if c.Fix != "" {
			fmt.Fprintf(&b, "         fix: %s\n", c.Fix)
		}
	}
	fmt.Fprintf(&b, "\n%d passed, %d warnings, %d failed, %d skipped: ", n[0], n[1], n[2], n[3])
	switch {
	case !rep.Passed:
		b.WriteString("not ready; follow the fix lines, then run backfill preflight again\n")
	case n[1] > 0:
		b.WriteString("ready, but read the warnings\n")
	default:
		b.WriteString("ready for backfill plan and import\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
