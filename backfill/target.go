package backfill

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/northpass-tools/backfill/backfill/runfolder"
	"github.com/northpass-tools/backfill/csvdiff"
	"github.com/northpass-tools/backfill/sfclient"
)

// Target is where the export goes: the object, its external id field and the mapping of
// export columns to fields, as discovered (docs/CONTRACT.md §8) or overridden by options.
type Target struct {
	Namespace       string
	Object          string
	ObjectLabel     string
	Createable      bool // this user may create records of Object
	Updateable      bool // ... and update them
	ExternalIDField string
	Fields          map[string]*sfclient.Field // by lower-case API name
	Columns         []MappedColumn             // loaded, in export order; the key column is one of them
	ReadOnly        []MappedColumn             // mapped to fields this user cannot write: left out
	Unmapped        []UnmappedColumn           // left out, with why (ReadOnly ones included)
	Constants       map[string]string          // field -> value from the .sdl
	header          *csvdiff.Header            // the export's header, once mapped
	order           []*sfclient.Field          // Fields in describe's order
}

// foldKeys reports whether keys compare case-insensitively: the external id field is not
// "Unique, case-sensitive" (describe caseSensitive), Salesforce's default. Ids never fold:
// a 15-character Id is case-sensitive, and a query for a lowered one finds nothing.
func (t *Target) foldKeys() bool {
	if strings.EqualFold(t.ExternalIDField, "Id") {
		return false
	}
	f := t.Field(t.ExternalIDField)
	return f == nil || !f.CaseSensitive
}

// scanSpec is how the export is read for this target: keys compared as the external id
// field compares them, and the layout of every column loaded into a date field decided.
func (t *Target) scanSpec() scanSpec {
	spec := scanSpec{fold: t.foldKeys()}
	for _, c := range t.Columns {
		if c.Field.Type == "date" || c.Field.Type == "datetime" {
			spec.dates = append(spec.dates, c.Column)
		}
	}
	return spec
}

// keysWord says how keys were compared, for the summary.
func keysWord(fold bool) string {
	if fold {
		return "case-insensitively"
	}
	return "case-sensitively"
}

// MappedColumn is one export column and the field it loads.
type MappedColumn struct {
	Index  int // export column index
	Column string
	Field  *sfclient.Field
	Source string // "sdl", "api name", "label" or "key"
}

// UnmappedColumn is an export column left out of the upload, with why.
type UnmappedColumn struct {
	Column string
	Why    string
}

// Field returns the field named name (case-insensitive), or nil.
func (t *Target) Field(name string) *sfclient.Field { return t.Fields[strings.ToLower(name)] }

// Summary forms of the mapping.
func (t *Target) mappingSummary() ([]runfolder.Mapping, []string) {
	m := make([]runfolder.Mapping, 0, len(t.Columns))
	for _, c := range t.Columns {
		m = append(m, runfolder.Mapping{Column: c.Column, Field: c.Field.Name, Type: c.Field.Type, Source: c.Source})
	}
	var u []string
	for _, c := range t.Unmapped {
		u = append(u, c.Column+" ("+c.Why+")")
	}
	return m, u
}

// fieldIndex finds a target's fields by API name and by label.
type fieldIndex struct {
	byName  map[string]*sfclient.Field   // lower-case API name
	byLabel map[string][]*sfclient.Field // csvdiff.FoldName of the label
}

func (t *Target) index() fieldIndex {
	ix := fieldIndex{byName: map[string]*sfclient.Field{}, byLabel: map[string][]*sfclient.Field{}}
	for _, f := range t.Fields {
		ix.byName[strings.ToLower(f.Name)] = f
		ix.byLabel[csvdiff.FoldName(f.Label)] = append(ix.byLabel[csvdiff.FoldName(f.Label)], f)
	}
	return ix
}

// columnRoles says which export columns play a role the engine detected: the key, the
// enrollment date the cutoff applies to (the detected one, or a chosen cutoff column named
// like it) and the updated-at column.
func columnRoles(h *csvdiff.Header, chosenDates bool) map[int]csvdiff.Role {
	roles := map[int]csvdiff.Role{h.Key: csvdiff.RoleKey}
	for i, d := range h.Dates {
		if (i == 0 && !chosenDates) || csvdiff.IsAlias(csvdiff.RoleEnrollmentDate, h.Names[d]) {
			roles[d] = csvdiff.RoleEnrollmentDate
		}
	}
	if h.Updated >= 0 {
		roles[h.Updated] = csvdiff.RoleUpdatedAt
	}
	return roles
}

// roleField finds the field of a role: the one whose API name or label is one of the role's
// names (csvdiff's alias table, the one that detected the column).
func (ix fieldIndex) roleField(r csvdiff.Role) *sfclient.Field {
	var byLabel *sfclient.Field
	for _, f := range ix.byName {
		switch {
		case csvdiff.IsAlias(r, f.Name):
			return f
		case byLabel == nil && csvdiff.IsAlias(r, f.Label):
			byLabel = f
		}
	}
	return byLabel
}

// mapColumns maps the export's columns to the target's fields: the .sdl mapping when given,
// else a header equal to a field's API name, else equal to its label, else (for a column
// with a role) the field of its role. The key column always loads the external id field, and
// the enrollment-date column must load a field: a cutoff date that would not reach
// Salesforce is an error. Columns whose field cannot be written are left out with a reason.
func (t *Target) mapColumns(w Words, h *csvdiff.Header, roles map[int]csvdiff.Role, sdl *Mapping, sdlName string) error {
	t.Columns, t.ReadOnly, t.Unmapped = nil, nil, nil
	ix := t.index()
	ext := t.Field(t.ExternalIDField)
	if ext == nil {
		return fmt.Errorf("field %s is not on %s", t.ExternalIDField, t.Object)
	}
	if sdl != nil {
		if err := t.checkSDL(h, sdl, sdlName, ix); err != nil {
			return err
		}
	}
	used := map[string]string{} // lower-case field -> column
	for i, col := range h.Names {
		fields, source, why := columnFields(i, col, h, sdl, ix, ext)
		if role, ok := roles[i]; ok && len(fields) == 0 && sdl == nil {
			if f := ix.roleField(role); f != nil {
				fields, source = []*sfclient.Field{f}, "role"
			}
		}
		if len(fields) == 0 {
			if roles[i] == csvdiff.RoleEnrollmentDate && i != h.Key {
				return t.unloadedDateErr(w, col, sdlName)
			}
			if why == "" && sdl != nil {
				why = "not in " + sdlName
			}
			t.Unmapped = append(t.Unmapped, UnmappedColumn{col, why})
			continue
		}
		for _, f := range fields {
			if f == ext && i != h.Key {
				return t.twoKeysErr(w, h, col, source, sdlName)
			}
			mc := MappedColumn{Index: i, Column: col, Field: f, Source: source}
			switch prev := used[strings.ToLower(f.Name)]; {
			case !f.Createable && !f.Updateable:
				t.ReadOnly = append(t.ReadOnly, mc)
				t.Unmapped = append(t.Unmapped, UnmappedColumn{col, f.Name + " is read-only for this user"})
			case prev != "":
				t.Unmapped = append(t.Unmapped, UnmappedColumn{col, f.Name + " is already loaded from column " + strconv.Quote(prev)})
			default:
				used[strings.ToLower(f.Name)] = col
				t.Columns = append(t.Columns, mc)
			}
		}
	}
	return nil
}

// twoKeysErr refuses a column other than the key column that maps to the external id field
// (by name, label, role or the .sdl; source says how): the key column loads it, and two
// columns cannot. Which one holds the external id is the user's to say.
func (t *Target) twoKeysErr(w Words, h *csvdiff.Header, col, source, sdlName string) error {
	how := map[string]string{"api name": "by API name", "label": "by label", "role": "by its name", "sdl": "in " + sdlName}[source]
	fix := fmt.Sprintf("pass %s, or map the columns in a .sdl file (%s) that leaves %q out", w.Option(OptKeyColumn, col), w.Option(OptMapping, ""), col)
	if sdlName != "" {
		fix = fmt.Sprintf("map the external id field from one column only in %s, or pass %s", sdlName, w.Option(OptKeyColumn, col))
	}
	return targetErr(fix, "columns %q (the key column) and %q (%s) would both load the external id field %s",
		h.KeyName(), col, how, t.ExternalIDField).by(OptKeyColumn)
}

// unloadedDateErr says the cutoff column would not be loaded, and how to map it.
func (t *Target) unloadedDateErr(w Words, col, sdlName string) error {
	names := csvdiff.Aliases(csvdiff.RoleEnrollmentDate)
	example := "ns__Enrollment_Date__c"
	if f := t.index().roleField(csvdiff.RoleEnrollmentDate); f != nil {
		example = f.Name
	}
	where := "no field of " + t.Object + " has its name or label, nor a name like " + strings.Join(names, ", ")
	if sdlName != "" {
		where = sdlName + " does not map it"
	}
	return targetErr(fmt.Sprintf("map it in a Data Loader .sdl file with %s, e.g. %s=%s", w.Option(OptMapping, ""), col, example),
		"the enrollment date column %q (the cutoff) would not be loaded into Salesforce: %s", col, where).by(OptMapping)
}

// columnFields says which fields export column i loads and how it was decided, or why none.
func columnFields(i int, col string, h *csvdiff.Header, sdl *Mapping, ix fieldIndex, ext *sfclient.Field) (fields []*sfclient.Field, source, why string) {
	switch labels := ix.byLabel[csvdiff.FoldName(col)]; {
	case i == h.Key:
		return []*sfclient.Field{ext}, "key", ""
	case sdl != nil:
		for c, fs := range sdl.Columns {
			if c == col || csvdiff.FoldName(c) == csvdiff.FoldName(col) {
				for _, f := range fs {
					fields = append(fields, ix.byName[strings.ToLower(f)])
				}
				source = "sdl"
			}
		}
		return fields, source, ""
	case ix.byName[strings.ToLower(col)] != nil:
		return []*sfclient.Field{ix.byName[strings.ToLower(col)]}, "api name", ""
	case len(labels) == 1:
		return labels, "label", ""
	case len(labels) > 1:
		var names []string
		for _, f := range labels {
			names = append(names, f.Name)
		}
		sort.Strings(names)
		return nil, "", "several fields have this label: " + strings.Join(names, ", ") + "; map it in a .sdl file"
	}
	return nil, "", "no field with this API name or label"
}

// checkSDL checks a .sdl mapping against the export's headers and the target's fields, and
// takes its constants.
func (t *Target) checkSDL(h *csvdiff.Header, sdl *Mapping, sdlName string, ix fieldIndex) error {
	t.Constants = map[string]string{}
	for f, v := range sdl.Constants {
		fd := ix.byName[strings.ToLower(f)]
		if fd == nil {
			return targetErr("fix the field name in the mapping file", "%s: constant for unknown field %s on %s", sdlName, f, t.Object).by(OptMapping)
		}
		t.Constants[fd.Name] = v
	}
	seen := map[string]bool{}
	for _, col := range sdl.Order {
		found := false
		for _, n := range h.Names {
			found = found || n == col || csvdiff.FoldName(n) == csvdiff.FoldName(col)
		}
		if !found {
			return targetErr(fmt.Sprintf("the export's headers are: %s", strings.Join(h.Names, ", ")),
				"%s maps column %q, which the export does not have", sdlName, col).by(OptMapping)
		}
		for _, f := range sdl.Columns[col] {
			if ix.byName[strings.ToLower(f)] == nil {
				return targetErr("fix the field name in the mapping file (API names, e.g. ns__Field__c)",
					"%s maps %q to %s, which %s does not have", sdlName, col, f, t.Object).by(OptMapping)
			}
			if seen[strings.ToLower(f)] {
				return targetErr("map each field once", "%s maps field %s twice", sdlName, f).by(OptMapping)
			}
			seen[strings.ToLower(f)] = true
		}
	}
	return nil
}

// missingRequired lists required fields that no column or constant sets.
func (t *Target) missingRequired() []string {
	set := map[string]bool{}
	for _, c := range t.Columns {
		set[strings.ToLower(c.Field.Name)] = true
	}
	for f := range t.Constants {
		set[strings.ToLower(f)] = true
	}
	var out []string
	for _, f := range t.Fields {
		if f.Required() && !set[strings.ToLower(f.Name)] {
			out = append(out, f.Name)
		}
	}
	sort.Strings(out)
	return out
}

// constantFields returns the fields set by .sdl constants, sorted.
func (t *Target) constantFields() []string {
	out := make([]string, 0, len(t.Constants))
	for f := range t.Constants {
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}
