package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/northpass-tools/backfill/backfill"
)

// PrintPreflight writes rep as a checklist (format "table") or as indented JSON ("json").
// Each check reads without colour: a mark and a word (✓ PASS, ! WARN, ✗ FAIL, - SKIP), the
// message, and on warn and fail an indented "fix:" line.
func PrintPreflight(w io.Writer, rep *backfill.PreflightReport, format string) error {
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
		case backfill.CheckPass:
			mark, word = "✓", "PASS"
			n[0]++
		case backfill.CheckWarn:
			mark, word = "!", "WARN"
			n[1]++
		case backfill.CheckFail:
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
	fmt.Fprintf(&b, "\n%d passed, %s, %d failed, %d skipped: ", n[0], backfill.Plural(n[1], "warning"), n[2], n[3])
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
