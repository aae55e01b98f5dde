package sftest

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// The SOQL engine (the subset doc.go describes) runs a statement in three stages, one file
// each:
//
//   - soql_lex.go: lex splits the statement into tokens (identifiers, quoted strings with
//     SOQL escapes, numbers, date and datetime literals, operators);
//   - soql_parse.go: parseSOQL builds a soqlQuery from the tokens, with no knowledge of
//     the org;
//   - soql_eval.go: soqlQuery.resolve binds its names to a schema (REST or Tooling),
//     soqlQuery.run selects, orders and pages the records, soqlQuery.project shapes them
//     as JSON.
//
// compileSOQL chains parsing and resolving for the handlers. Every stage reports failures
// as a *queryError, answered with HTTP 400.

// maxSOQLLength is Salesforce's default statement length limit.
const maxSOQLLength = 100000

// queryError is a SOQL error answered with HTTP 400 and errorCode Code.
type queryError struct {
	Code    string // MALFORMED_QUERY, INVALID_FIELD, INVALID_TYPE
	Message string
}

func (e *queryError) Error() string { return e.Code + ": " + e.Message }

// malformed builds a MALFORMED_QUERY error in Salesforce's layout: the statement, a caret
// under the offending column, then "ERROR at Row:R:Column:C" and the reason.
func malformed(src string, pos int, reason string) *queryError {
	return &queryError{Code: "MALFORMED_QUERY", Message: positioned(src, pos, reason)}
}

// positioned lays reason out under the line of src that holds byte offset pos, with a
// caret under its column, as Salesforce's query errors do.
func positioned(src string, pos int, reason string) string {
	if pos > len(src) {
		pos = len(src)
	}
	row := 1 + strings.Count(src[:pos], "\n")
	lineStart := strings.LastIndex(src[:pos], "\n") + 1
	col := utf8.RuneCountInString(src[lineStart:pos]) + 1
	line := src[lineStart:]
	if i := strings.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	if len(line) > 200 {
		line = line[:200] + "..."
	}
	caret := strings.Repeat(" ", min(col-1, 200)) + "^"
	return fmt.Sprintf("\n%s\n%s\nERROR at Row:%d:Column:%d\n%s", line, caret, row, col, reason)
}

// compileSOQL parses src and resolves it against sch: the two stages every query, REST,
// Tooling or Bulk, goes through before it runs.
func compileSOQL(src string, sch schema) (*soqlQuery, *table, error) {
	q, err := parseSOQL(src)
	if err != nil {
		return nil, nil, err
	}
	t, err := q.resolve(sch)
	if err != nil {
		return nil, nil, err
	}
	return q, t, nil
}
