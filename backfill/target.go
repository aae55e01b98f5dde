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
// export columns to fields, as discovered (DESIGN.md section 4) or overridden by flags.
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

// labelKey is how labels and headers are compared: case, spaces, '_' and '-' ignored.
func labelKey(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(s)) {
		switch r {
		case ' ', '_', '-', '\t':
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// mapColumns maps the export's columns to the target's fields: the .sdl mapping when given,
// else a header equal to a field's API name, else equal to its label. The key column always
// loads the external id field. Columns whose field cannot be written are left out with a
// reason.
func (t *Target) mapColumns(h *csvdiff.Header, sdl *Mapping, sdlName string) error {
	t.Columns, t.ReadOnly, t.Unmapped = nil, nil, nil
	byName := map[string]*sfclient.Field{}
	byLabel := map[string][]*sfclient.Field{}
	for _, f := range t.Fields {
		byName[strings.ToLower(f.Name)] = f
		byLabel[labelKey(f.Label)] = append(byLabel[labelKey(f.Label)], f)
	}
	ext := t.Field(t.ExternalIDField)
	if ext == nil {
		return fmt.Errorf("field %s is not on %s", t.ExternalIDField, t.Object)
	}
	if sdl != nil {
		t.Constants = map[string]string{}
		for f, v := range sdl.Constants {
			fd := byName[strings.ToLower(f)]
			if fd == nil {
				return targetErr("fix the field name in the mapping file", "%s: constant for unknown field %s on %s", sdlName, f, t.Object)
			}
			t.Constants[fd.Name] = v
		}
		seen := map[string]bool{}
		for _, col := range sdl.Order {
			found := false
			for _, n := range h.Names {
				if n == col || labelKey(n) == labelKey(col) {
					found = true
				}
			}
			if !found {
				return targetErr(fmt.Sprintf("the export's headers are: %s", strings.Join(h.Names, ", ")),
					"%s maps column %q, which the export does not have", sdlName, col)
			}
			for _, f := range sdl.Columns[col] {
				if byName[strings.ToLower(f)] == nil {
					return targetErr("fix the field name in the mapping file (API names, e.g. ns__Field__c)",
						"%s maps %q to %s, which %s does not have", sdlName, col, f, t.Object)
				}
				if seen[strings.ToLower(f)] {
					return targetErr("map each field once", "%s maps field %s twice", sdlName, f)
				}
				seen[strings.ToLower(f)] = true
			}
		}
	}
	used := map[string]string{} // field -> column
	for i, col := range h.Names {
		var fields []*sfclient.Field
		source := ""
		switch {
		case i == h.Key:
			fields, source = []*sfclient.Field{ext}, "key"
		case sdl != nil:
			for c, fs := range sdl.Columns {
				if c == col || labelKey(c) == labelKey(col) {
					for _, f := range fs {
						fields = append(fields, byName[strings.ToLower(f)])
					}
					source = "sdl"
				}
			}
		case byName[strings.ToLower(col)] != nil:
			fields, source = []*sfclient.Field{byName[strings.ToLower(col)]}, "api name"
		case len(byLabel[labelKey(col)]) == 1:
			fields, source = byLabel[labelKey(col)], "label"
		case len(byLabel[labelKey(col)]) > 1:
			var names []string
			for _, f := range byLabel[labelKey(col)] {
				names = append(names, f.Name)
			}
			sort.Strings(names)
			t.Unmapped = append(t.Unmapped, UnmappedColumn{col, "several fields have this label: " + strings.Join(names, ", ") + "; map it in a .sdl file"})
			continue
		}
		if len(fields) == 0 {
			why := "no field with this API name or label"
			if sdl != nil {
				why = "not in " + sdlName
			}
			t.Unmapped = append(t.Unmapped, UnmappedColumn{col, why})
			continue
		}
		for _, f := range fields {
			switch {
			case !f.Createable && !f.Updateable:
				t.ReadOnly = append(t.ReadOnly, MappedColumn{Index: i, Column: col, Field: f, Source: source})
				t.Unmapped = append(t.Unmapped, UnmappedColumn{col, f.Name + " is read-only for this user"})
				continue
			case used[strings.ToLower(f.Name)] != "":
				t.Unmapped = append(t.Unmapped, UnmappedColumn{col, f.Name + " is already loaded from column " + strconv.Quote(used[strings.ToLower(f.Name)])})
				continue
			}
			used[strings.ToLower(f.Name)] = col
			t.Columns = append(t.Columns, MappedColumn{Index: i, Column: col, Field: f, Source: source})
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
