package main

import (
	"fmt"
	"os"
	"slices"

	"github.com/northpass-tools/backfill/csvdiff/csvdifftest"
)

// exportVariants are the other CE-shaped exports make bench measures besides the
// reference job: each is the reference job's profile and size reshaped one way.
var exportVariants = []struct {
	name, what string
	shape      func(c *csvdifftest.Config)
}{
	{"seed-7", "the reference profile with another seed (7): other values, dates and keys", func(c *csvdifftest.Config) { c.Seed = 7 }},
	{"quote-all", "every field quoted, as some spreadsheet tools save CSV", func(c *csvdifftest.Config) { c.Quoting = csvdifftest.QuoteAll }},
	{"quote-none", "no field quoted (names without commas and quotes)", func(c *csvdifftest.Config) { c.Quoting = csvdifftest.QuoteNone }},
	{"reordered", "the columns in reverse order (the key last, \"Updated At\" first), \"Enrolled At\" as the cutoff column", func(c *csvdifftest.Config) {
		cols := slices.Clone(csvdifftest.ReferenceHeader)
		slices.Reverse(cols)
		cols[slices.Index(cols, "Enrollment Date")] = "Enrolled At"
		c.Columns = cols
	}},
}

// measureVariants measures backfill clean and the anchor (its form, by its runner) on each
// variant, alternating, o.runs times after a warm-up that checks they agree.
func measureVariants(o runOptions, anchor *tool, bin, since string, meter *rssMeter, tmp string) ([]Variant, error) {
	var out []Variant
	for _, v := range exportVariants {
		cfg := o.cfg
		v.shape(&cfg)
		export, existing, err := csvdifftest.CachedFiles(cfg, csvdifftest.ReferenceCutoff)
		if err != nil {
			return nil, err
		}
		st, err := os.Stat(export)
		if err != nil {
			return nil, err
		}
		job, err := duckJobFor(export, existing, since, tmp)
		if err != nil {
			return nil, err
		}
		bf, duck := backfillOn(bin, export, existing, since), duckTool(job, anchor.form, anchor.runner)
		fmt.Printf("bench: variant %s (%.1f MB): backfill and DuckDB %s (%s)\n", v.name, float64(st.Size())/1e6, anchor.form.name, anchor.runner.name)
		counts, err := measure([]*tool{bf, duck}, o.runs, meter, tmp)
		if err != nil {
			return nil, fmt.Errorf("variant %s: %w", v.name, err)
		}
		r := Variant{Name: v.name, What: v.what, ExportBytes: st.Size(), Counts: counts,
			BackfillS: round3(median(bf.RunsS)), BackfillRSS: round1(median(bf.RunsRSSMB)),
			DuckDBS: round3(median(duck.RunsS)), DuckDBRSS: round1(median(duck.RunsRSSMB)),
			BackfillRunsS: bf.RunsS, DuckDBRunsS: duck.RunsS}
		r.WallVsDuckDB = round2(r.BackfillS / r.DuckDBS)
		fmt.Printf("bench: variant %s: backfill %.3f s, DuckDB %.3f s: %.2f×\n", v.name, r.BackfillS, r.DuckDBS, r.WallVsDuckDB)
		out = append(out, r)
	}
	return out, nil
}
