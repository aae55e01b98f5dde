package backfill

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/northpass-tools/backfill/backfill/runfolder"
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
// docs/CONTRACT.md §13 in order, and what they found. Passed is true when no check failed
// (warnings and skips do not count as failures; a skip only follows a failure).
type PreflightReport struct {
	Checks []Check       `json:"checks"`
	Org    PreflightOrg  `json:"org"`
	User   PreflightUser `json:"user"`
	// SyncUser is the live sync's user as check 3 found it (nil when it could not tell).
	SyncUser        *PreflightUser `json:"sync_user,omitempty"`
	Object          string         `json:"object"`
	ExternalIDField string         `json:"external_id_field"`
	Passed          bool           `json:"passed"`
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

// The checks, in the order of the reconnection guide (docs/CONTRACT.md §13).
const (
	checkLogin = iota + 1
	checkPackages
	checkUser
	checkTarget
	checkLimits
	checkSync
)

// need is what a check needs from the checks before it; without it the check is skipped.
type need int

const (
	needSession need = 1 << iota // a working login (check 1)
	needUser                     // the logged-in user is known (check 3)
	needObject                   // the Enrollment object is known (check 4)
)

// checkDef is one entry of the checklist: a new check is one more entry in checks.
type checkDef struct {
	id    int
	name  string
	needs need
	run   func(p *preflight, ctx context.Context) result
}

// result is what one check found: a status, a message and, on warn and fail, a fix.
type result struct {
	status   CheckStatus
	msg, fix string
}

func pass(msg string) result      { return result{status: CheckPass, msg: msg} }
func warn(msg, fix string) result { return result{CheckWarn, msg, fix} }
func fail(msg, fix string) result { return result{CheckFail, msg, fix} }
func skip(format string, args ...any) result {
	return result{status: CheckSkip, msg: fmt.Sprintf(format, args...)}
}

// checks are in the order they run: check 4 finds the Enrollment object before check 3
// reads who writes its records. The report lists them by id.
var checks = []checkDef{
	{checkLogin, "Login and org", 0, (*preflight).login},
	{checkPackages, "Installed packages", needSession, (*preflight).packages},
	{checkTarget, "Enrollment object and fields", needSession, (*preflight).target},
	{checkUser, "Integration user", needSession, (*preflight).user},
	{checkLimits, "API limits", needSession, (*preflight).limits},
	{checkSync, "Live sync", needSession | needUser | needObject, (*preflight).sync},
}

// skipReason says why a check that needs n cannot run, or "" when it can.
func (p *preflight) skipReason(n need) string {
	switch {
	case n&needSession != 0 && !p.session:
		return "not run: no Salesforce session (check 1)"
	case n&needObject != 0 && p.object == "":
		return "not run: the Enrollment object is unknown (check 4)"
	case n&needUser != 0 && p.userID == "":
		return "not run: the logged-in user is unknown (check 3)"
	}
	return ""
}

// Minimum package versions (the reconnection guide: Installed Packages must list Northpass 2.1
// and Gainsight Northpass Data Connector 1.0).
var (
	minNorthpass = sfclient.PackageVersion{Major: 2, Minor: 1}
	minConnector = sfclient.PackageVersion{Major: 1, Minor: 0}
)

// Limit estimates of check 5. They are deliberately generous: a failed load half way is
// worse than a warning.
const (
	apiCallsBase     = 10    // login, discovery, describe, count, job creation...
	apiCallsPerQuery = 250   // candidate keys per existence query (real queries hold more)
	apiCallsPerPart  = 5     // create, upload, close, poll, results per 100 MB Bulk job
	apiCallsNoExport = 25    // without --export: discovery, a count and a few queries
	bulkRowsPerBatch = 10000 // Salesforce counts Bulk API 2.0 ingest in batches of 10,000 records
	// followUpBatches is the margin per job for a follow-up job (lock failures, rows an
	// aborted job never processed): small, one batch.
	followUpBatches     = 1
	limitWarnPercentage = 10 // warn when less than this share of a daily limit is left
)

// Fix texts, from the reconnection guide (docs/NORTHPASS.md §1.2, §1.4).
const (
	fixInstalledPackages = "Setup > Installed Packages should list Northpass 2.1 and Gainsight Northpass Data Connector 1.0"
	fixNorthpass         = "upgrade the Northpass package to 2.1 from AppExchange (reconnection guide step 1)"
	fixConnector         = "install Gainsight Northpass Data Connector 1.0 from AppExchange, \"Install for Admins Only\" (reconnection guide step 2)"
	fixAdmin             = "create a dedicated integration user who is not a System Administrator, give it the Northpass Standard User permission set, " +
		"and authorize the Northpass connection as it (Apps > Integrations > Salesforce > Salesforce Instance Setup > Authorize)"
	fixModifyAll  = "remove Modify All Data from the integration user (least privilege): it needs the Northpass Standard User permission set, not admin rights"
	fixLimitsWarn = "less than 10% of a daily limit is left and other integrations share it: load outside business hours or check who uses the API"
	fixSync       = "verify the data sync: enroll a test learner in a Northpass course, wait up to 30 minutes, then check the Enrollments tab in Salesforce; " +
		"if nothing arrives, re-authorize from Northpass (Apps > Integrations > Salesforce)"
)

// Preflight logs in to opts.Org and runs the six checks, reading only. With Export.File set
// it first scans the export (an unusable file is an error and no check runs) so that check
// 4 verifies the column mapping and check 5 sizes the load.
//
// A failed login is check 1 failing, not an error. The report's Passed says whether every
// check passed; errors are for bad options, an unusable export or a cancelled ctx (with
// the report so far, or nil).
func Preflight(ctx context.Context, opts PreflightOptions) (*PreflightReport, error) {
	if opts.Export.File != "" {
		if err := opts.Export.validate(); err != nil {
			return nil, err
		}
	}
	if err := validateOrg(opts.Org, opts.Target.Mapping); err != nil {
		return nil, err
	}
	j := newJob(opts.Front)
	defer j.close()
	co := opts.checkOptions()
	var idx *csvdiff.Index
	deferred := false // the key column comes from the .sdl, known after discovery
	if opts.Export.File != "" {
		if _, err := readHeader(&opts.Export); err != nil {
			if deferred = opts.Export.KeyColumn == "" && opts.Target.Mapping != "" && errors.Is(err, csvdiff.ErrNoKeyColumn); !deferred {
				return nil, err
			}
		}
		var err error
		// Keys compare case-insensitively here (Salesforce's default): check 5 only counts them.
		if !deferred {
			if idx, err = scanExport(ctx, j, &opts.Export, scanSpec{fold: true}); err != nil {
				return nil, err
			}
		}
	}
	var rep *PreflightReport
	sf, err := j.connect(ctx, opts.Org)
	switch {
	case err != nil:
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		rep = loginFailed(j.words(), opts.Org.InstanceURL, err)
	case deferred:
		po := PlanOptions{Export: opts.Export, Target: opts.Target, Org: opts.Org, UpdateStale: opts.UpdateStale}
		t, err := targetForExport(ctx, sf, j, &po, nil)
		if err != nil {
			return nil, err
		}
		co.export = &po.Export
		if idx, err = scanExport(ctx, j, &po.Export, t.scanSpec()); err != nil {
			return nil, err
		}
		rep = runChecks(ctx, sf, j, co, exportScope(idx))
	default:
		rep = runChecks(ctx, sf, j, co, exportScope(idx))
	}
	if ctx.Err() != nil {
		return rep, ctx.Err()
	}
	return rep, nil
}

// checkOptions are what the checks need of a job's options.
func (o *PreflightOptions) checkOptions() checkOptions {
	return checkOptions{export: &o.Export, target: o.Target, org: o.Org, updateStale: o.UpdateStale}
}

// exportScope is the scope of a preflight of the export idx (nil without one).
func exportScope(idx *csvdiff.Index) checkScope {
	scope := checkScope{idx: idx}
	if idx != nil {
		scope.header = &idx.Header
	}
	return scope
}

// FailedNames lists the failed checks as "3 (integration user)".
func (r *PreflightReport) FailedNames() []string {
	var names []string
	for _, f := range r.Failed() {
		names = append(names, fmt.Sprintf("%d (%s)", f.ID, strings.ToLower(f.Name)))
	}
	return names
}

// loginFailed is the report when no session could be made: check 1 fails, the rest skip.
func loginFailed(w Words, instanceURL string, err error) *PreflightReport {
	rep := &PreflightReport{Org: PreflightOrg{InstanceURL: instanceURL}}
	rep.add(checks[0], fail("cannot log in: "+errorText(err), loginFix(w, err, CmdPreflight)))
	for _, c := range checks[1:] {
		rep.add(c, skip("not run: no Salesforce session (check 1)"))
	}
	rep.sortChecks()
	return rep
}

// sortChecks puts the checks in the order of their ids, as reports list them.
func (r *PreflightReport) sortChecks() {
	slices.SortStableFunc(r.Checks, func(a, b Check) int { return a.ID - b.ID })
}

// errorText is an error's message without the wrapping a LoginError adds.
func errorText(err error) string {
	var le *LoginError
	if errors.As(err, &le) {
		return le.Err.Error()
	}
	return err.Error()
}

func (r *PreflightReport) add(c checkDef, res result) {
	if res.status == CheckPass || res.status == CheckSkip {
		res.fix = ""
	}
	r.Checks = append(r.Checks, Check{ID: c.id, Name: c.name, Status: res.status, Message: res.msg, Fix: res.fix})
	r.Passed = len(r.Failed()) == 0
}

// preflight is one run of the checks, with what the checks learn for those after them.
type preflight struct {
	sf    Salesforce
	opts  checkOptions
	w     Words
	idx   *csvdiff.Index
	scope checkScope
	log   *zap.Logger
	rep   *PreflightReport

	session bool
	pkgs    []sfclient.InstalledPackage
	pkgsErr error
	userID  string
	object  string // set when check 4 could describe the object
	// syncUserID is the live sync's user, when check 3 could tell it ("" otherwise).
	syncUserID string
}

// RunPreflight runs the checks with an existing session, without printing. opts supplies
// the sandbox flag of the login (Org.Sandbox), the target options, UpdateStale and the
// cutoff; idx is the scanned export, or nil without one: then check 4 verifies the object
// and the external id field only, and check 5 uses a fixed small estimate.
//
// Every check runs and reports; a check that needs what an earlier one could not provide
// is [CheckSkip]. Salesforce errors become failing checks, so RunPreflight returns no
// error; if ctx ends, the remaining checks fail with ctx's error.
func RunPreflight(ctx context.Context, sf Salesforce, opts PreflightOptions, idx *csvdiff.Index) *PreflightReport {
	j := newJob(opts.Front)
	defer j.close()
	return runChecks(ctx, sf, j, opts.checkOptions(), exportScope(idx))
}

// checkOptions are the options the checks read: the export (its cutoff and file, for check
// 5 and 6; nil when none), the target overrides, the login (Sandbox) and whether rows will
// update records.
type checkOptions struct {
	export      *ExportOptions
	target      TargetOptions
	org         sfclient.Config
	updateStale bool
}

// since is the cutoff the checks use.
func (o checkOptions) since() time.Time {
	if o.export == nil {
		return DefaultCutoff
	}
	return o.export.Since
}

// blockingChecks are the checks that stop a load (exit 4): login and --sandbox, the
// packages, the integration user, the object and fields, the limits. The live sync (6)
// only warns.
var blockingChecks = []int{checkLogin, checkPackages, checkUser, checkTarget, checkLimits}

// checkScope is what one run of the checks covers.
type checkScope struct {
	ids    []int           // the checks to run; nil means all
	idx    *csvdiff.Index  // the scanned export (check 5 sizes the load), or nil
	header *csvdiff.Header // the export's header (check 4 maps it), or nil
	target *Target         // a target the caller discovered and mapped already, or nil
	plan   *runfolder.Plan // a plan folder's plan (import --plan, resume): its fields and parts
}

func (s checkScope) runs(id int) bool {
	if s.ids == nil {
		return true
	}
	for _, i := range s.ids {
		if i == id {
			return true
		}
	}
	return false
}

// runChecks runs the checks of scope, in order.
func runChecks(ctx context.Context, sf Salesforce, j *job, opts checkOptions, scope checkScope) *PreflightReport {
	p := &preflight{sf: sf, opts: opts, w: j.words(), idx: scope.idx, scope: scope, log: j.log, rep: &PreflightReport{Passed: true}}
	p.rep.Org.InstanceURL = sf.InstanceURL()
	for _, c := range checks {
		if !scope.runs(c.id) {
			continue
		}
		res := skip("%s", p.skipReason(c.needs))
		if res.msg == "" {
			res = c.run(p, ctx)
		}
		p.rep.add(c, res)
		// The checklist (or the summary) shows every check; the log repeats only what needs a look.
		level := zap.DebugLevel
		if res.status == CheckWarn || res.status == CheckFail {
			level = zap.WarnLevel
		}
		p.log.Log(level, "preflight check", zap.Int("id", c.id), zap.String("check", c.name), zap.String("status", string(res.status)),
			zap.String("message", res.msg))
	}
	p.rep.sortChecks()
	return p.rep
}

// login is check 1: the session works and the org is the kind --sandbox says.
func (p *preflight) login(ctx context.Context) result {
	org, err := p.sf.Organization(ctx)
	if err != nil {
		if errors.Is(err, sfclient.ErrSessionExpired) {
			return fail("cannot log in: "+err.Error(), p.fixLogin())
		}
		p.session = true
		return fail("logged in, but cannot read the Organization record: "+err.Error(), p.fixLogin())
	}
	p.session = true
	p.rep.Org = PreflightOrg{Name: org.Name, ID: org.ID, IsSandbox: org.IsSandbox, InstanceURL: p.sf.InstanceURL()}
	transport := "over https"
	if u, err := url.Parse(p.sf.InstanceURL()); err != nil || u.Scheme != "https" {
		// sfclient refuses plain http except on loopback.
		transport = "over plain http on loopback (a local emulator such as " + p.w.Command(CmdOrg, "") + ", not a real org)"
	}
	who := fmt.Sprintf("logged in to %s (%s) at %s %s", org.Name, org.ID, p.sf.InstanceURL(), transport)
	kind := "a production org"
	if org.IsSandbox {
		kind = "a sandbox"
	}
	switch {
	case org.IsSandbox && !p.opts.org.Sandbox:
		return fail(who+"; it is a sandbox but "+p.w.Option(OptSandbox, "")+" was not given",
			"add "+p.w.Option(OptSandbox, "")+" if this sandbox is the org to load; to load production, log in to the production org instead")
	case !org.IsSandbox && p.opts.org.Sandbox:
		return fail(who+"; it is a production org but "+p.w.Option(OptSandbox, "")+" was given",
			"drop "+p.w.Option(OptSandbox, "")+" to load this production org, or log in to the sandbox you meant ("+
				p.w.Option(OptTargetOrg, "")+" / "+p.w.Option(OptInstanceURL, "")+")")
	}
	return pass(who + "; " + kind + ", as expected")
}

// packages is check 2: Northpass >= 2.1 and Gainsight Northpass Data Connector >= 1.0.
func (p *preflight) packages(ctx context.Context) result {
	p.pkgs, p.pkgsErr = p.sf.InstalledPackages(ctx)
	if p.pkgsErr != nil {
		return fail("cannot list the installed packages: "+p.pkgsErr.Error(),
			"check Setup > Installed Packages by hand: it should list Northpass 2.1 and Gainsight Northpass Data Connector 1.0")
	}
	np, npOK := northpassPackageOf(p.pkgs)
	dc, dcOK := dataConnectorOf(p.pkgs)
	var problems, fixes, found []string
	// missing names the package when it is absent, name when an old version is installed.
	check := func(ok bool, pkg sfclient.InstalledPackage, missing, name string, min sfclient.PackageVersion, fix, extra string) {
		switch {
		case !ok:
			problems = append(problems, missing+" is not installed")
			fixes = append(fixes, fix)
		case pkg.Version.Compare(min) < 0:
			problems = append(problems, fmt.Sprintf("%s %s is installed; %s or later is required", name, shortVersion(pkg.Version), shortVersion(min)))
			fixes = append(fixes, fix)
		default:
			found = append(found, fmt.Sprintf("%s %s%s", pkg.Name, shortVersion(pkg.Version), extra))
		}
	}
	check(npOK, np, "the Northpass package", "Northpass", minNorthpass, fixNorthpass, fmt.Sprintf(" (namespace %s)", np.Namespace))
	check(dcOK, dc, "Gainsight Northpass Data Connector", "Gainsight Northpass Data Connector", minConnector, fixConnector, "")
	if len(problems) > 0 {
		return fail(strings.Join(problems, "; "), strings.Join(fixes, "; then ")+"; "+fixInstalledPackages)
	}
	return pass(strings.Join(found, " and ") + " are installed")
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

// target is check 4: the object, its external id field and, with an export, the mapped
// fields exist and this user can write them; required fields are mapped. Mapped fields must
// be createable; they must also be updateable with --update-stale, and a field that is not
// is a warning otherwise (rows that update records would leave it unchanged). It uses the
// same discovery as plan.
func (p *preflight) target(ctx context.Context) result {
	t, res, ok := p.findTarget(ctx)
	if !ok {
		return res
	}
	if !t.Createable || !t.Updateable {
		return fail(fmt.Sprintf("this user cannot %s %s records", missingAccess(t.Createable, t.Updateable), t.Object), fixAccess)
	}
	p.rep.ExternalIDField = t.ExternalIDField
	head := fmt.Sprintf("%s (%s) with upsert key %s", t.Object, t.ObjectLabel, t.ExternalIDField)
	if pl := p.scope.plan; pl != nil {
		return p.planFields(t, pl, head)
	}
	if t.header == nil {
		if bad := p.unwritable([]MappedColumn{{Field: t.Field(t.ExternalIDField)}}); len(bad) > 0 {
			return result{p.writeStatus(bad), head + "; the upsert key is not writable: " + joinBad(bad), fixAccess}
		}
		return pass(head + ", both writable for this user; pass " + p.w.Option(OptExport, "") + " to check the column mapping too")
	}
	var msgs, fixes []string
	st := CheckPass
	if bad := p.unwritable(append(append([]MappedColumn{}, t.Columns...), t.ReadOnly...)); len(bad) > 0 {
		st = p.writeStatus(bad)
		msgs = append(msgs, "mapped fields this user cannot write: "+joinBad(bad))
		fixes = append(fixes, fixAccess)
	}
	if miss := t.missingRequired(); len(miss) > 0 {
		st = CheckFail
		msgs = append(msgs, "required fields no column sets (new records would fail): "+strings.Join(miss, ", "))
		fixes = append(fixes, "add the columns to the export or map them in a .sdl file ("+p.w.Option(OptMapping, "")+")")
	}
	if st != CheckPass {
		return result{st, head + "; " + strings.Join(msgs, "; "), strings.Join(fixes, "; ")}
	}
	msg := fmt.Sprintf("%s; %d export columns map to fields this user can write, every required field is mapped", head, len(t.Columns))
	if n := len(t.Unmapped); n > 0 {
		var names []string
		for _, u := range t.Unmapped {
			names = append(names, strconv.Quote(u.Column))
		}
		msg += fmt.Sprintf("; %d left out (no matching field): %s", n, strings.Join(names, ", "))
	}
	return pass(msg)
}

// findTarget gives check 4 its target: the one the caller mapped, or discovery's (the same
// discovery plan uses). ok is false with the check's result when there is none.
func (p *preflight) findTarget(ctx context.Context) (*Target, result, bool) {
	if t := p.scope.target; t != nil {
		p.rep.Object, p.object = t.Object, t.Object
		return t, result{}, true
	}
	to := p.opts.target
	if pl := p.scope.plan; pl != nil {
		to.Object, to.ExternalIDField = pl.Object, pl.ExternalIDField
	}
	if to.Object == "" {
		np, ok := northpassPackageOf(p.pkgs)
		switch {
		case p.pkgsErr != nil:
			return nil, skip("not run: the installed packages are unknown (check 2); name the object with %s to check it", p.w.Option(OptObject, "")), false
		case !ok || np.Namespace == "":
			return nil, skip("not run: the Northpass package is not installed (check 2), so its Enrollment object cannot be found; name it with %s to check it anyway",
				p.w.Option(OptObject, "")), false
		}
	}
	chosenDates := p.opts.export != nil && len(p.opts.export.DateColumns) > 0
	t, err := discover(ctx, p.sf, p.w, to, chosenDates, p.scope.header, p.pkgs)
	if t != nil {
		p.rep.Object, p.object = t.Object, t.Object
	}
	if err != nil {
		var te *TargetError
		if errors.As(err, &te) {
			return nil, fail(te.Msg, te.Fix), false
		}
		return nil, fail("cannot find the Enrollment object: "+err.Error(), fixAccess), false
	}
	return t, result{}, true
}

// planFields judges a plan's fields (to_import.csv's header) for check 4 before a load of
// that plan.
func (p *preflight) planFields(t *Target, pl *runfolder.Plan, head string) result {
	var cols []MappedColumn
	var gone []string
	for _, name := range pl.Fields {
		if f := t.Field(name); f != nil {
			cols = append(cols, MappedColumn{Column: name, Field: f})
		} else {
			gone = append(gone, name)
		}
	}
	if len(gone) > 0 {
		return fail(head+"; the plan loads fields this user cannot see: "+strings.Join(gone, ", "), fixAccess)
	}
	if bad := p.unwritable(cols); len(bad) > 0 {
		return result{p.writeStatus(bad), head + "; the plan's fields this user cannot write: " + joinBad(bad), fixAccess}
	}
	return pass(fmt.Sprintf("%s; the plan's %d fields are writable for this user", head, len(cols)))
}

// badField is a mapped field this user cannot fully write.
type badField struct {
	field, column, why string
	fatal              bool
}

// unwritable lists the mapped fields (with their export columns) that are not createable,
// or not updateable.
func (p *preflight) unwritable(cols []MappedColumn) []badField {
	var out []badField
	for _, c := range cols {
		f := c.Field
		if f.Createable && f.Updateable {
			continue
		}
		b := badField{field: f.Name, column: c.Column, why: "not updateable", fatal: !f.Createable || p.opts.updateStale}
		switch {
		case !f.Createable && !f.Updateable:
			b.why = "read-only"
		case !f.Createable:
			b.why = "not createable"
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
func (p *preflight) limits(ctx context.Context) result {
	lim, err := p.sf.Limits(ctx)
	if err != nil {
		fix := p.fixLogin()
		if errors.Is(err, sfclient.ErrRequestLimit) {
			fix = p.fixLimitsFail()
		}
		return fail("cannot read the org's limits: "+err.Error(), fix)
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
		s := fmt.Sprintf("%s %s of %s remaining, needs about %s", l.name, Group(v.Remaining), Group(v.Max), Group(l.need))
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
		return fail(msg, p.fixLimitsFail())
	case CheckWarn:
		return warn(msg, fixLimitsWarn)
	}
	return pass(msg)
}

// estimate sizes the load: API requests and Bulk batches, and what the estimate is based on.
func (p *preflight) estimate() (api, batches int64, basis string) {
	if pl := p.scope.plan; pl != nil {
		n := int64(pl.Rows())
		for _, pt := range pl.Parts {
			batches += ceilDiv(int64(pt.Rows), bulkRowsPerBatch) + followUpBatches
		}
		api = apiCallsBase + ceilDiv(n, apiCallsPerQuery) + apiCallsPerPart*int64(len(pl.Parts))
		return api, batches, fmt.Sprintf("the plan's %s rows in %d Bulk job(s); batches: 1 per 10,000 rows of each job, plus 1 per job for a follow-up", Group(n), len(pl.Parts))
	}
	if p.idx == nil {
		return apiCallsNoExport, 1, "estimate without " + p.w.Option(OptExport, "") + "; pass it to size the load"
	}
	n := int64(p.idx.NumCandidates())
	var parts int64
	if n > 0 {
		parts = 1
		if st, err := os.Stat(p.opts.export.File); err == nil && p.idx.Rows() > 0 {
			est := st.Size() * n / int64(p.idx.Rows())
			parts = max(1, ceilDiv(est, maxUploadBytes(p.opts.org)))
		}
	}
	api = apiCallsBase + ceilDiv(n, apiCallsPerQuery) + apiCallsPerPart*parts
	batches = ceilDiv(n, bulkRowsPerBatch) + followUpBatches*parts
	return api, batches, fmt.Sprintf("%s candidate rows in %d Bulk job(s); batches: 1 per 10,000 rows, plus 1 per job for a follow-up", Group(n), parts)
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

// sync is check 6, the guide's "Verify Data Sync": the newest Enrollment last modified by
// the live sync's user (check 3's; the running user when check 3 could not tell it), and
// whether it is on or after the cutoff. Records written by an earlier backfill as the same
// user count too.
func (p *preflight) sync(ctx context.Context) result {
	obj := p.object
	uid, who := p.userID, p.rep.User.Username
	if p.syncUserID != "" {
		uid, who = p.syncUserID, p.rep.SyncUser.Username
	}
	soql := "SELECT Id, LastModifiedDate FROM " + obj + " WHERE LastModifiedById = " + sfclient.QuoteString(uid) +
		" ORDER BY LastModifiedDate DESC LIMIT 1"
	var id string
	var at time.Time
	err := p.sf.Query(ctx, soql, func(r sfclient.Record) error {
		id = r.String("Id")
		at, _ = r.Time("LastModifiedDate")
		return nil
	})
	if err != nil {
		return fail("cannot query "+obj+": "+err.Error(), fixAccess)
	}
	if who == "" {
		who = uid
	}
	since := p.opts.since()
	cutoff := since.UTC().Format(time.RFC3339)
	switch {
	case id == "":
		return warn(fmt.Sprintf("no %s record was written by %s: the sync has not run as this user", obj, who), fixSync)
	case at.Before(since):
		return warn(fmt.Sprintf("the newest %s written by %s is %s at %s, before the cutoff %s: nothing since the reconnection",
			obj, who, id, at.UTC().Format(time.RFC3339), cutoff), fixSync)
	}
	return pass(fmt.Sprintf("the newest %s written by %s is %s at %s, on or after the cutoff %s",
		obj, who, id, at.UTC().Format(time.RFC3339), cutoff))
}

// PreflightError stops a load: a blocking preflight check failed, and nothing was written
// to Salesforce. Its Report says which.
type PreflightError struct {
	Report *PreflightReport
}

func (e *PreflightError) Error() string {
	return "preflight failed: check " + strings.Join(e.Report.FailedNames(), ", ") + ": nothing was written to Salesforce"
}

// fixLogin is the fix of a check that found the login unusable.
func (p *preflight) fixLogin() string {
	return "check " + p.w.Login() + " (" + p.w.Help(CmdPreflight) + " lists them); the integration user must be authorized (reconnection guide step 4)"
}

// fixLimitsFail is the fix of a limit that is used up.
func (p *preflight) fixLimitsFail() string {
	return "wait for the rolling 24-hour usage to free up (Setup > Company Information shows API requests in the last 24 hours), " +
		"ask Salesforce for a higher limit, or load in smaller slices with a later " + p.w.Option(OptSince, "")
}

// preflightWarnings says, for a plan, what an import of it would refuse on.
func preflightWarnings(rep *PreflightReport) []Warning {
	failed := rep.Failed()
	if len(failed) == 0 {
		return nil
	}
	var names []string
	for _, c := range failed {
		names = append(names, fmt.Sprintf("%d (%s): %s", c.ID, strings.ToLower(c.Name), c.Message))
	}
	return []Warning{{Kind: "preflight", Count: len(failed),
		Message: "import would refuse to load this plan: preflight check " + strings.Join(names, "; "),
		Fix:     failed[0].Fix}}
}
