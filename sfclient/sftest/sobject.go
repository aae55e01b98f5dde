package sftest

import (
	"net/http"
	"strings"
)

// handleResources answers GET /services/data/vNN.N: the resource list, a JSON object of
// resource name to path, as Salesforce does (api_rest resources_discoveryresource.htm);
// the sf CLI reads it when it logs in.
func handleResources(c *call) {
	base := "/services/data/v" + c.ver
	o := newOrdered()
	for _, name := range []string{"tooling", "metadata", "eclair", "folders", "chatter", "tabs", "appMenu", "quickActions",
		"queryAll", "analytics", "search"} {
		o.set(name, base+"/"+name)
	}
	o.set("identity", c.s.identityURL(c.user))
	for _, name := range []string{"composite", "parameterizedSearch", "theme", "event", "serviceTemplates", "recent",
		"connect", "licensing", "limits", "process", "async-queries", "query", "match", "compactLayouts",
		"knowledgeManagement", "sobjects", "actions", "support", "jobs"} {
		o.set(name, base+"/"+name)
	}
	writeJSON(c.w, http.StatusOK, o)
}

// handleSObjectGet answers GET /sobjects/{object}/{id}[?fields=a,b]: the record with
// attributes and every field (or those listed), for any object, User included (the sf CLI
// reads its user there at `org login access-token`). An unknown id answers 404 NOT_FOUND,
// a deleted one 404 ENTITY_IS_DELETED.
func handleSObjectGet(c *call) {
	t := c.s.org.tables[strings.ToLower(c.r.PathValue("object"))]
	if t == nil {
		writeErrors(c.w, http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
		return
	}
	rec := t.get(c.r.PathValue("id"))
	if rec == nil {
		writeErrors(c.w, http.StatusNotFound, "NOT_FOUND", "The requested resource does not exist")
		return
	}
	if rec.deleted {
		writeErrors(c.w, http.StatusNotFound, "ENTITY_IS_DELETED", "entity is deleted")
		return
	}
	fields := make([]*Field, 0, len(t.obj.Fields))
	if list := c.r.URL.Query().Get("fields"); list != "" {
		for _, name := range strings.Split(list, ",") {
			f := t.field(strings.TrimSpace(name))
			if f == nil {
				writeErrors(c.w, http.StatusBadRequest, "INVALID_FIELD", "No such column '"+strings.TrimSpace(name)+"' on sobject of type "+t.obj.Name)
				return
			}
			fields = append(fields, f)
		}
	} else {
		for i := range t.obj.Fields {
			fields = append(fields, &t.obj.Fields[i])
		}
	}
	o := newOrdered().set("attributes", attributes(t, rec, "/services/data/v"+c.ver))
	for _, f := range fields {
		o.set(f.Name, jsonValue(f, rec.get(f)))
	}
	writeJSON(c.w, http.StatusOK, o)
}

// columnMetadata is the answer to a query with columns=true: the selected columns, a
// relationship path as a column of the relationship with joinColumns, in the shape the sf
// CLI reads (salesforcecli/plugin-data src/commands/data/query.ts retrieveColumns).
func (q *soqlQuery) columnMetadata(t *table) *ordered {
	var cols []*ordered
	byRel := map[string]*ordered{}
	for i := range q.fields {
		r := &q.fields[i]
		if len(r.chain) == 0 {
			cols = append(cols, columnInfo(r.field.Name, r.field))
			continue
		}
		// One column per first relationship, nesting the rest.
		rel := r.chain[0].RelationshipName
		top := byRel[rel]
		if top == nil {
			top = columnInfo(rel, nil)
			byRel[rel] = top
			cols = append(cols, top)
		}
		cur := top
		for _, rf := range r.chain[1:] {
			cur = joinColumn(cur, rf.RelationshipName, nil)
		}
		joinColumn(cur, r.field.Name, r.field)
	}
	if cols == nil {
		cols = []*ordered{}
	}
	idSelected := false
	for i := range q.fields {
		if len(q.fields[i].chain) == 0 && q.fields[i].field.Name == "Id" {
			idSelected = true
		}
	}
	return newOrdered().set("columnMetadata", cols).set("entityName", t.obj.Name).set("groupBy", false).
		set("idSelected", idSelected).set("keyPrefix", t.obj.KeyPrefix)
}

// joinColumn returns the join column name of parent, adding it if needed.
func joinColumn(parent *ordered, name string, f *Field) *ordered {
	v, _ := parent.get("joinColumns")
	joins := v.([]*ordered)
	for _, j := range joins {
		if n, _ := j.get("columnName"); n == name {
			return j
		}
	}
	j := columnInfo(name, f)
	parent.set("joinColumns", append(joins, j))
	return j
}

// columnInfo describes one column; f is nil for a relationship.
func columnInfo(name string, f *Field) *ordered {
	apexType, k := "", kindText
	var insertable, updatable, custom bool
	if f != nil {
		apexType = strings.TrimPrefix(strings.TrimPrefix(soapType(f), "xsd:"), "tns:")
		k, insertable, updatable, custom = kindOf(f), f.Createable, f.Updateable, strings.HasSuffix(f.Name, "__c")
	}
	var apex any = apexType
	if f == nil {
		apex = nil
	}
	return newOrdered().set("aggregate", false).set("apexType", apex).set("booleanType", f != nil && k == kindBool).
		set("columnName", name).set("custom", custom).set("displayName", name).set("foreignKeyName", nil).
		set("insertable", insertable).set("joinColumns", []*ordered{}).set("numberType", f != nil && k == kindNumber).
		set("textType", f != nil && k == kindText).set("updatable", updatable)
}
