// Package sftest is an in-memory Salesforce org served over real HTTP, in the shape of
// net/http/httptest: [NewServer] starts one on loopback for a test, [New] for programs (the
// `backfill org` and `backfill demo` commands). NewServer takes a [TB], which *testing.T
// satisfies, so that sftest does not import package testing. It speaks the wire protocol
// documented in SALESFORCE.md closely enough that real clients (simpleforce,
// golang.org/x/oauth2, jsforce) work against it:
//
//   - OAuth token endpoint (password, JWT bearer, client credentials, refresh token),
//     userinfo and identity URLs, SOAP partner login() for API versions below 65.0;
//   - SOQL query, queryAll and queryMore with paging (Sforce-Query-Options batchSize), the
//     Tooling query of InstalledSubscriberPackage, describe global and describe, limits;
//   - Bulk API 2.0 ingest (insert, update, upsert, delete) with per-row validation and
//     result files, and Bulk API 2.0 query jobs.
//
// The org's content comes from a [Seed] (JSON; the built-in ones live in seeds/ and are
// embedded: [DemoSeed] is the demo Northpass org, [OtherNamesSeed] the same org under other
// API names). Faults can be injected while the server runs: see
// [Server.ExpireSessionsAfter], [Server.FailNext], [Server.Fail503],
// [Server.DropConnections], [Server.SetLatency], [Server.SetJobDelay],
// [Server.SetAPIRequestsRemaining], [Server.FailRow], and for soak tests the seeded random
// failures of [Server.SetFailureRate] and the row predicate of [Server.FailRowsWhere];
// [Server.Faults] counts what was injected. The options [WithExpireAfter], [WithFail503],
// [WithLatency] and [WithJobDelay] are the same knobs set before the first call.
//
// # SOQL subset
//
// SELECT field, Parent.field, Parent.Parent.field | COUNT() FROM object [WHERE cond]
// [ORDER BY field [ASC|DESC] [NULLS FIRST|LAST], ...] [LIMIT n] [OFFSET n]. Conditions use
// = != <> < <= > >= LIKE IN NOT IN, AND / OR / NOT and parentheses (AND and OR mixed at one
// level are refused, as Salesforce does); literals are quoted strings with SOQL escapes,
// numbers, true/false/null and unquoted date and datetime literals. Text compares
// case-insensitively unless the field is caseSensitive; ids compare on 15 characters.
// Statements over 100,000 characters, unknown fields and objects, and literals of the
// wrong type fail with MALFORMED_QUERY, INVALID_FIELD or INVALID_TYPE. Not supported:
// child subqueries, semi-joins, aggregates other than COUNT(), date functions and
// literals such as TODAY.
//
// # Bulk API 2.0 ingest behaviour
//
// Header columns must be field API names (case-insensitive) or RelationshipName.Field with
// an external-id or idLookup parent field; any other column fails the whole job with
// "InvalidBatch : Field name not found : X" (a UTF-8 BOM glued to the first header, or a
// CRLF file in an LF job, fail the same way). Rows are applied in upload order; results
// come back in a deterministic order that differs from it. Row errors use Salesforce's
// "CODE:message:fields --" format: REQUIRED_FIELD_MISSING, INVALID_EMAIL_ADDRESS,
// INVALID_FIELD (unparseable number, date, datetime or boolean; unknown foreign key),
// STRING_TOO_LONG, INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST, INVALID_CROSS_REFERENCE_KEY,
// DUPLICATE_VALUE (unique field), MISSING_ARGUMENT (empty key) and, for an object with
// Object.OldTimestampField, FIELD_CUSTOM_VALIDATION_EXCEPTION "Cannot update record due to
// old timestamp" when the incoming value is older than the stored one (equal is allowed).
// An empty cell leaves a field unchanged on update; #N/A sets it to null.
//
// Choices where Salesforce's behaviour is not documented: when one job contains the same
// external id more than once (compared like the field: case-insensitively unless it is
// caseSensitive), every row with that id fails with
// "DUPLICATE_EXTERNAL_ID:Duplicate external id specified: X:field --"; closing a job
// without an upload fails it; result files of an unfinished job hold only the header;
// the password grant also issues a refresh token, so the refresh flow can be tested; job
// processing happens at the first call after the job delay has passed.
package sftest
