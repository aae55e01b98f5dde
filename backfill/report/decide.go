package report

import (
	"fmt"
	"slices"
	"strings"

	"github.com/northpass-tools/backfill/backfill"
	"github.com/northpass-tools/backfill/backfill/runfolder"
)

// What every person who decides is shown, in the text summaries, the confirmation prompt
// and the report alike: the org, the approval and the command to run next.

// OrgLine names the org a run is for: its name, Id, Sandbox or Production, instance and
// the user it was logged in as; "" when o is nil (a summary without an org: clean).
func OrgLine(o *backfill.OrgInfo) string {
	if o == nil {
		return ""
	}
	kind := "Production"
	if o.Sandbox {
		kind = "Sandbox"
	}
	line := fmt.Sprintf("%s (%s), %s, %s", orDash(o.Name), orDash(o.ID), kind, orDash(o.InstanceURL))
	if o.User != "" {
		line += ", as " + o.User
	}
	return line
}

// ApprovalLine says who approved a plan, when and with what note; "" when a is nil.
func ApprovalLine(a *runfolder.Approval) string {
	if a == nil {
		return ""
	}
	line := fmt.Sprintf("by %s at %s", a.By, a.At.UTC().Format("2006-01-02 15:04 UTC"))
	if a.Note != "" {
		line += fmt.Sprintf(": %q", a.Note)
	}
	return line
}

// LoginWords names the login a plan was made with, as the words of a command ("" when the
// plan recorded none): the Salesforce CLI alias, or the instance (with its login host and
// sandbox flag when given). Credentials are never part of it.
func LoginWords(w backfill.Words, l *runfolder.Login) string {
	if l == nil {
		return ""
	}
	if l.TargetOrg != "" {
		return w.Option(backfill.OptTargetOrg, l.TargetOrg)
	}
	var out []string
	if l.InstanceURL != "" {
		out = append(out, w.Option(backfill.OptInstanceURL, l.InstanceURL))
	}
	if l.LoginURL != "" {
		out = append(out, w.Option(backfill.OptLoginURL, l.LoginURL))
	}
	if l.Sandbox {
		out = append(out, w.Option(backfill.OptSandbox, ""))
	}
	return strings.Join(out, " ")
}

// NextCommands are the commands a reviewer runs next on the plan s describes, with the
// login it was planned with: approve it, then load it (requiring the approval). None for
// a summary that is not a plan's, or a plan an import would refuse.
func NextCommands(w backfill.Words, s *backfill.Summary) []string {
	if s.Command != string(backfill.CmdPlan) || s.Ended() == backfill.StatusTooManyRejected || len(s.Preflight) > 0 {
		return nil
	}
	if s.Count(runfolder.ToInsert, runfolder.ToUpdate) == 0 {
		return nil
	}
	var login string
	if s.Org != nil {
		login = LoginWords(w, s.Org.Login)
	}
	load := join(w.Command(backfill.CmdImportPlan, s.RunFolder), w.Option(backfill.OptRequireApproval, ""), login)
	if s.Approval != nil {
		return []string{load}
	}
	return []string{join(w.Command(backfill.CmdApprove, s.RunFolder), w.Option(backfill.OptApprovedBy, "NAME")), load}
}

// join joins the words that are not "" with spaces.
func join(words ...string) string {
	var out []string
	for _, s := range words {
		if s != "" {
			out = append(out, s)
		}
	}
	return strings.Join(out, " ")
}

// ReplanWords is the command that makes the plan s describes again (cmd: plan, or import),
// with the options it was made with, the options add given as well (boolean options, such
// as update_stale), and its login. A summary that predates recorded options gives only its
// export.
func ReplanWords(w backfill.Words, s *backfill.Summary, cmd backfill.Command, add ...backfill.Option) string {
	words := []string{w.Command(cmd, "")}
	given := s.Options
	if given == nil {
		given = map[string]string{string(backfill.OptExport): s.Export.File}
	}
	for _, o := range backfill.ShapingOptions() {
		if v, ok := given[string(o)]; ok && !slices.Contains(add, o) {
			if v == "true" {
				v = ""
			}
			words = append(words, w.Option(o, v))
		}
	}
	for _, o := range add {
		words = append(words, w.Option(o, ""))
	}
	if s.Org != nil {
		words = append(words, LoginWords(w, s.Org.Login))
	}
	return join(words...)
}
