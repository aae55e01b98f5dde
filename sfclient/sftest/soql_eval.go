package sftest

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

type schema interface {
	table(name string) *table
}

// resolve checks object and field names against the schema and fills in the resolved
// fields, returning INVALID_TYPE / INVALID_FIELD errors as Salesforce words them.
func (q *soqlQuery) resolve(s schema) (*table, error) {
	t := s.table(q.from.text)
	if t == nil || !t.obj.Queryable {
		return nil, &queryError{Code: "INVALID_TYPE", Message: positioned(q.src, q.from.pos, fmt.Sprintf(
			"sObject type '%s' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.", q.from.text))}
	}
	res := func(r *fieldRef) error { return resolveRef(s, t, q.src, r) }
	for i := range q.fields {
		if err := res(&q.fields[i]); err != nil {
			return nil, err
		}
	}
	for i := range q.orderBy {
		if err := res(&q.orderBy[i].ref); err != nil {
			return nil, err
		}
	}
	var walk func(e expr) error
	walk = func(e expr) error {
		switch x := e.(type) {
		case *boolExpr:
			for _, a := range x.args {
				if err := walk(a); err != nil {
					return err
				}
			}
		case *notExpr:
			return walk(x.arg)
		case *cmpExpr:
			if err := res(&x.ref); err != nil {
				return err
			}
			return checkLiterals(q.src, x)
		}
		return nil
	}
	if q.where != nil {
		if err := walk(q.where); err != nil {
			return nil, err
		}
	}
	return t, nil
}

func resolveRef(s schema, t *table, src string, r *fieldRef) error {
	parts := strings.Split(r.path, ".")
	cur := t
	for i, part := range parts[:len(parts)-1] {
		if i == 0 && len(parts) > 1 && strings.EqualFold(part, cur.obj.Name) {
			continue // "Contact.Email" on Contact
		}
		rf := cur.rels[strings.ToLower(part)]
		if rf == nil {
			return &queryError{Code: "INVALID_FIELD", Message: positioned(src, r.pos, fmt.Sprintf(
				"Didn't understand relationship '%s' in field path. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names.", part))}
		}
		next := s.table(rf.ReferenceTo[0])
		if next == nil {
			return &queryError{Code: "INVALID_FIELD", Message: positioned(src, r.pos, fmt.Sprintf("Didn't understand relationship '%s' in field path.", part))}
		}
		r.chain = append(r.chain, rf)
		r.rels = append(r.rels, rf.RelationshipName)
		cur = next
	}
	name := parts[len(parts)-1]
	f := cur.field(name)
	if f == nil {
		return &queryError{Code: "INVALID_FIELD", Message: positioned(src, r.pos, fmt.Sprintf(
			"No such column '%s' on entity '%s'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.", name, cur.obj.Name))}
	}
	r.field = f
	return nil
}

// checkLiterals refuses literals whose type does not fit the field, as Salesforce does
// (e.g. a quoted datetime).
func checkLiterals(src string, c *cmpExpr) error {
	k := kindOf(c.ref.field)
	for _, lit := range c.values {
		if lit.val == nil {
			if c.op != "=" && c.op != "!=" && c.op != "IN" && c.op != "NOTIN" {
				return &queryError{Code: "INVALID_FIELD", Message: positioned(src, lit.tok.pos, "invalid operator on null")}
			}
			continue
		}
		ok := false
		switch lit.tok.kind {
		case tString:
			ok = k == kindText
		case tNumber:
			ok = k == kindNumber
		case tIdent:
			ok = k == kindBool
		case tDate:
			ok = k == kindDate
		case tDateTime:
			ok = k == kindDateTime
		}
		if ok && lit.tok.kind == tString && (c.ref.field.Type == "id" || c.ref.field.Type == "reference") && !validID(lit.val) {
			// Salesforce refuses the whole query for one Id literal that is not an Id.
			return &queryError{Code: "INVALID_QUERY_FILTER_OPERATOR", Message: positioned(src, lit.tok.pos, fmt.Sprintf("invalid ID field: %v", lit.val))}
		}
		if !ok {
			quote := "should not be enclosed in quotes"
			if k == kindText {
				quote = "should be enclosed in quotes"
			}
			return &queryError{Code: "INVALID_FIELD", Message: positioned(src, lit.tok.pos, fmt.Sprintf(
				"value of filter criterion for field '%s' must be of type %s and %s", c.ref.field.Name, k.soapName(), quote))}
		}
	}
	if c.op == "LIKE" && k != kindText {
		return &queryError{Code: "INVALID_FIELD", Message: positioned(src, c.ref.pos, fmt.Sprintf("invalid operator on field '%s'", c.ref.field.Name))}
	}
	return nil
}

// validID reports whether v is a Salesforce Id: 15 or 18 letters and digits.
func validID(v any) bool {
	s, _ := v.(string)
	if len(s) != 15 && len(s) != 18 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}

// lookup follows a resolved reference from rec; ok is false when a relationship on the way
// is null.
func lookup(s schema, rec record, r *fieldRef) (any, bool) {
	cur := rec
	for _, rf := range r.chain {
		id, _ := cur.str(rf)
		if id == "" {
			return nil, false
		}
		t := s.table(rf.ReferenceTo[0])
		cur = t.get(id)
		if cur == nil {
			return nil, false
		}
	}
	return cur.get(r.field), true
}

// eval reports whether rec satisfies the condition e.
func eval(s schema, e expr, rec record) bool {
	switch x := e.(type) {
	case *boolExpr:
		for _, a := range x.args {
			v := eval(s, a, rec)
			if x.op == "AND" && !v {
				return false
			}
			if x.op == "OR" && v {
				return true
			}
		}
		return x.op == "AND"
	case *notExpr:
		return !eval(s, x.arg, rec)
	case *cmpExpr:
		v, _ := lookup(s, rec, &x.ref)
		return x.match(v)
	}
	return false
}

// match reports whether the value v of the compared field satisfies c.
func (c *cmpExpr) match(v any) bool {
	f := c.ref.field
	switch c.op {
	case "IN", "NOTIN":
		return c.in(v) == (c.op == "IN")
	case "LIKE":
		s, ok := v.(string)
		return ok && likeMatch(fmt.Sprint(c.values[0].val), s)
	case "=":
		return equalValues(f, v, c.values[0].val)
	case "!=":
		return !equalValues(f, v, c.values[0].val)
	}
	if v == nil || c.values[0].val == nil {
		return false
	}
	n := compareValues(f, v, c.values[0].val)
	switch c.op {
	case "<":
		return n < 0
	case "<=":
		return n <= 0
	case ">":
		return n > 0
	case ">=":
		return n >= 0
	}
	return false
}

// in reports whether v equals one of c's values. Text values are looked up in a set of
// normalised values, built on first use, so a long IN list costs one lookup per record.
func (c *cmpExpr) in(v any) bool {
	f := c.ref.field
	if sv, ok := v.(string); ok && kindOf(f) == kindText {
		if c.set == nil {
			c.set = map[string]bool{}
			for _, lit := range c.values {
				if ls, ok := lit.val.(string); ok {
					c.set[normText(f, ls)] = true
				}
			}
		}
		return c.set[normText(f, sv)]
	}
	for _, lit := range c.values {
		if equalValues(f, v, lit.val) {
			return true
		}
	}
	return false
}

func equalValues(f *Field, a, b any) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return compareValues(f, a, b) == 0
}

// normText is the form under which two text values of f compare equal.
func normText(f *Field, s string) string {
	if f.Type == "id" || f.Type == "reference" {
		return id15(s)
	}
	if !f.CaseSensitive {
		return strings.ToLower(s)
	}
	return s
}

// compareValues orders two non-nil values of field f. Text compares case-insensitively
// unless the field is case sensitive; ids compare on their first 15 characters.
func compareValues(f *Field, a, b any) int {
	switch x := a.(type) {
	case string:
		y, _ := b.(string)
		if f.Type == "id" || f.Type == "reference" {
			x, y = id15(x), id15(y)
			return strings.Compare(x, y)
		}
		if !f.CaseSensitive {
			x, y = strings.ToLower(x), strings.ToLower(y)
		}
		return strings.Compare(x, y)
	case float64:
		y, _ := b.(float64)
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	case bool:
		y, _ := b.(bool)
		switch {
		case x == y:
			return 0
		case !x:
			return -1
		}
		return 1
	case time.Time:
		y, _ := b.(time.Time)
		return x.Compare(y)
	}
	return 0
}

// likeMatch matches s against a LIKE pattern (% any run, _ one character, \% \_ literal),
// case-insensitively.
func likeMatch(pattern, s string) bool {
	p := []rune(strings.ToLower(pattern))
	r := []rune(strings.ToLower(s))
	var match func(pi, si int) bool
	match = func(pi, si int) bool {
		for pi < len(p) {
			switch c := p[pi]; {
			case c == '%':
				for k := si; k <= len(r); k++ {
					if match(pi+1, k) {
						return true
					}
				}
				return false
			case c == '_':
				if si >= len(r) {
					return false
				}
			case c == '\\' && pi+1 < len(p):
				pi++
				if si >= len(r) || r[si] != p[pi] {
					return false
				}
			default:
				if si >= len(r) || r[si] != c {
					return false
				}
			}
			pi++
			si++
		}
		return si == len(r)
	}
	return match(0, 0)
}

// run executes q against s for user and returns the matching records (not yet projected):
// the records user may see (an OauthToken of another user is hidden from users without
// Customize Application), filtered, ordered and limited.
func (q *soqlQuery) run(s schema, t *table, all bool, user *User) []record {
	var out []record
	for _, rec := range t.records {
		if !all && rec.deleted {
			continue
		}
		if t.obj.Name == "OauthToken" && !tokenVisible(user, t, rec) {
			continue
		}
		if q.where != nil && !eval(s, q.where, rec) {
			continue
		}
		out = append(out, rec)
	}
	if len(q.orderBy) > 0 {
		sort.SliceStable(out, func(i, j int) bool { return q.less(s, out[i], out[j]) })
	}
	if q.offset > 0 {
		if q.offset >= len(out) {
			out = nil
		} else {
			out = out[q.offset:]
		}
	}
	if q.limit >= 0 && len(out) > q.limit {
		out = out[:q.limit]
	}
	return out
}

// less orders two records by q's ORDER BY items.
func (q *soqlQuery) less(s schema, x, y record) bool {
	for _, it := range q.orderBy {
		a, _ := lookup(s, x, &it.ref)
		b, _ := lookup(s, y, &it.ref)
		switch {
		case a == nil && b == nil:
			continue
		case a == nil:
			return it.nullsFirst
		case b == nil:
			return !it.nullsFirst
		}
		c := compareValues(it.ref.field, a, b)
		if c == 0 {
			continue
		}
		if it.desc {
			return c > 0
		}
		return c < 0
	}
	return false
}

// project builds the JSON record for rec: attributes, then the selected fields in order,
// with parent relationships as nested objects carrying their own attributes (or null).
func (q *soqlQuery) project(s schema, t *table, rec record, urlBase string) *ordered {
	o := newOrdered()
	o.set("attributes", attributes(t, rec, urlBase))
	for i := range q.fields {
		r := &q.fields[i]
		cur, curRec := o, rec
		for _, rf := range r.chain {
			name := rf.RelationshipName
			if v, ok := cur.get(name); ok {
				if v == nil {
					curRec = nil
					break
				}
				id, _ := curRec.str(rf)
				curRec = s.table(rf.ReferenceTo[0]).get(id)
				cur = v.(*ordered)
				continue
			}
			id, _ := curRec.str(rf)
			pt := s.table(rf.ReferenceTo[0])
			var parent record
			if id != "" {
				parent = pt.get(id)
			}
			if parent == nil {
				cur.set(name, nil)
				curRec = nil
				break
			}
			child := newOrdered()
			child.set("attributes", attributes(pt, parent, urlBase))
			cur.set(name, child)
			cur, curRec = child, parent
		}
		if curRec == nil {
			continue
		}
		cur.set(r.field.Name, jsonValue(r.field, curRec.get(r.field)))
	}
	return o
}

func attributes(t *table, rec record, urlBase string) *ordered {
	return newOrdered().set("type", t.obj.Name).set("url", fmt.Sprintf("%s/sobjects/%s/%s", urlBase, t.obj.Name, rec.id()))
}
