// Package sftest is an in-memory Salesforce org served over real HTTP, in the shape of
// net/http/httptest: [NewServer] starts one on loopback for a test, [New] for programs (the
// `backfill org` and `backfill demo` commands). NewServer takes a [TB], which *testing.T
// satisfies, so that sftest does not import package testing. It speaks the wire protocol
// documented in docs/SALESFORCE.md closely enough that real clients (simpleforce,
// golang.org/x/oauth2, jsforce) work against it:
//
//   - OAuth token endpoint (password, JWT bearer, client credentials, refresh token),
//     userinfo and identity URLs, SOAP partner login() for API versions below 65.0;
//   - SOQL query, queryAll and queryMore with paging (Sforce-Query-Options batchSize), the
//     column metadata of a query (columns=true), the Tooling query of
//     InstalledSubscriberPackage, describe global and describe, limits, the resource list
//     (GET /services/data/vNN.N) and records by id (GET /sobjects/{object}/{id}, User
//     included);
//   - Bulk API 2.0 ingest (insert, update, upsert, delete, hardDelete) with per-row
//     validation and result files, and Bulk API 2.0 query jobs.
//
// The real Salesforce CLI (sf) and jsforce run against it: `make sf-check` and `make
// jsforce-check`. Paths with repeated slashes (//services/..., which sf sends when the
// instance URL ends with a slash) are served as Salesforce does. Every REST response
// carries Sforce-Limit-Info in the documented form, "api-usage=25/5000" and, for a token
// issued to a connected app, "; per-app-api-usage=17/250(appName=X)" (the app's
// ConnectedApp.DailyAPIRequests, or the org's maximum); headers use Salesforce's
// spelling (Sforce-NumberOfRecords, Sforce-Locator).
//
// # OAuth as in 2026
//
// A JWT bearer assertion's aud must be https://login.salesforce.com, or
// https://test.salesforce.com in a sandbox org (Organization.IsSandbox), or the Experience
// Cloud site URL of [WithJWTAudience] or Seed.JWTAudience, whatever URL it is posted to;
// any other (the emulator's own URL included) answers 400 {"error":"invalid_grant",
// "error_description":"audience is invalid"}. The access policies users meet are knobs of
// the seed, each refusing a token request with Salesforce's body (auth_policy.go cites the
// source of each wording): Seed.TrustedIPRanges (invalid_grant "ip restricted"), an
// inactive User (invalid_grant "inactive user"; the password grant says "authentication
// failure"), ConnectedApp.ExternalClientApp without Installed (OAUTH_EC_APP_NOT_FOUND
// "External client app is not installed in this org"), ConnectedApp.Blocked
// (OAUTH_APP_BLOCKED "this app is blocked by admin", except for users with Modify All
// Data), ConnectedApp.AdminApprovedOnly for users not in AdminApprovedUsers
// (invalid_app_access "user is not admin approved to access this app"; for JWT,
// invalid_grant "user hasn't approved this consumer"). An expired assertion answers
// invalid_grant "expired authorization code".
//
// The org's content comes from a [Seed] (JSON; the built-in ones live in seeds/ and are
// embedded: [DemoSeed] is the demo Northpass org, [OtherNamesSeed] the same org under other
// API names). Faults can be injected while the server runs: see
// [Server.ExpireSessionsAfter], [Server.FailNext], [Server.Fail503],
// [Server.DropConnections], [Server.SetLatency], [Server.SetJobDelay],
// [Server.SetAPIRequestsRemaining], [Server.FailRow], [Server.SetMaxUploadBytes], and for
// soak tests the seeded random failures of [Server.SetFailureRate] and the row predicate of
// [Server.FailRowsWhere]; [Server.Faults] counts what was injected. The options
// [WithExpireAfter], [WithFail503], [WithLatency], [WithJobDelay] and
// [WithMaxUploadBytes] are the same knobs set before the first call. [Server.Hold] holds
// the next call to an endpoint until the test releases it, so that a test kills or
// interrupts a client at a known step instead of racing a timer.
//
// What people and Salesforce do to an org and its jobs meanwhile: [Server.EditRecord] and
// [Server.DeleteRecord] change a record as a person in the UI would (LastModifiedDate from
// the server clock, LastModifiedById an admin of the seed other than the API user);
// [Server.SetJobState] aborts or fails a job that has not ended (all its rows then listed by
// unprocessedrecords); [Server.SetJobRetention] (default 7 days, server clock) and
// [Server.ExpireJobs] make ended jobs vanish, their job info, PATCH, DELETE and result
// endpoints then answering 404 [{"message":"The requested resource does not exist",
// "errorCode":"NOT_FOUND"}], the NOT_FOUND of any missing REST resource;
// [Server.SetLockContention] and [Server.SetBulkBatchesRemaining] are the record-lock and
// daily-batch limits of the next section.
//
// # SOQL subset
//
// SELECT field, Parent.field, Parent.Parent.field | COUNT() FROM object [WHERE cond]
// [ORDER BY field [ASC|DESC] [NULLS FIRST|LAST], ...] [LIMIT n] [OFFSET n]. Conditions use
// = != <> < <= > >= LIKE IN NOT IN, AND / OR / NOT and parentheses (AND and OR mixed at one
// level are refused, as Salesforce does); literals are quoted strings with SOQL escapes,
// numbers, true/false/null and unquoted date and datetime literals. Text compares
// case-insensitively unless the field is caseSensitive; ids compare on 15 characters.
// Statements over 100,000 characters, a field selected twice, unknown fields and objects,
// and literals of the wrong type fail with MALFORMED_QUERY, INVALID_FIELD or INVALID_TYPE;
// an Id or reference field compared with a string that is not an Id (15 or 18 letters and
// digits) fails the whole query with INVALID_QUERY_FILTER_OPERATOR "invalid ID field: X",
// as Salesforce answers. Not supported:
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
// STRING_TOO_LONG, INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST, NUMBER_OUTSIDE_VALID_RANGE (more
// digits before the point than precision-scale), FIELD_INTEGRITY_EXCEPTION (a date before
// 1700 or after 4000), INVALID_CROSS_REFERENCE_KEY, DUPLICATE_VALUE (unique field),
// MISSING_ARGUMENT (empty key) and, for an object with
// Object.OldTimestampField, FIELD_CUSTOM_VALIDATION_EXCEPTION "Cannot update record due to
// old timestamp" when the incoming value is older than the stored one (equal is allowed),
// for upsert and update jobs alike. An empty cell leaves a field unchanged on update; #N/A
// sets it to null. Each row is checked cell by cell in header order (the first refusal is
// its error), then for required fields. A restricted picklist's value is compared with the
// active values' API names case-insensitively (Salesforce Help 000386557; API Developer
// Guide, "Field Types", Picklist) and stored as the picklist spells it; spaces count. The
// rules, their wording and their sources are in docs/SALESFORCE.md ("Refusals"); package
// backfill foresees the same refusals from describe, and a test checks both agree row by
// row.
//
// # Who wrote what: OauthToken
//
// The OauthToken object (Seed.OAuthTokens: app name, user, created, last used, use count;
// no token values) is the "connection's authorized user" the reconnection guide asks
// about: the user who authorized the Northpass connection. As in Salesforce (Object
// Reference, OauthToken, "Special Access Rules"), a user with Customize Application
// (Profile or PermissionSet PermissionsCustomizeApplication) sees every user's tokens, any
// other user only its own. The demo seed's integration user holds the token of the app
// "Gainsight Northpass Data Connector" (the connected app's real name is not public).
// Seed.SyncAs (backfill org --sync-user) makes another user the live sync's: its token,
// and every seeded record created and last modified by it, as records the connection
// wrote.
//
// Update and delete jobs, and upserts on Id, match rows by their Id column (15 or 18
// characters; an upsert row with an empty Id inserts): a success row
// is "sf__Id","sf__Created" (false) and the upload's columns; an Id of no record fails with
// INVALID_CROSS_REFERENCE_KEY "invalid cross reference id", an Id in the Recycle Bin with
// ENTITY_IS_DELETED "entity is deleted", a malformed one with MALFORMED_ID. Delete is a soft
// delete: the record goes to the Recycle Bin (IsDeleted true), which query and
// [Server.Records] leave out and queryAll and [Server.DeletedRecords] return; hardDelete
// removes it. External ids and unique fields compare case-insensitively unless the field
// is caseSensitive (describe reports it; false by default as in Salesforce): upsert
// matching, the duplicate check within a job, DUPLICATE_VALUE and SOQL's =, !=, IN and NOT
// IN.
//
// Salesforce processes a job in internal batches of 10,000 rows, in parallel. Each
// processed job takes ceil(rows/10,000) batches from DailyBulkApiBatches (/limits; Max
// 15,000 unless the seed sets it); a job that needs more than remain ends Failed with
// errorMessage "ExceededQuota : The job or batch you tried to create exceeds the allowed
// number for the past 24-hour period (...)" (the description of Bulk API's ExceededQuota)
// and all its rows unprocessed. [Server.SetLockContention] splits jobs into batches of a
// chosen size and fails the rows that meet a record locked by an earlier batch with
// "UNABLE_TO_LOCK_ROW:unable to obtain exclusive access to this record or 1 records: Id:--".
//
// Choices where Salesforce's behaviour is not documented: a restricted picklist value with
// a leading or trailing space is refused (no source says whether Salesforce trims it
// first); a date out of range is FIELD_INTEGRITY_EXCEPTION with the emulator's own
// message; when one job contains the same
// external id more than once (compared like the field: case-insensitively unless it is
// caseSensitive), every row with that id fails with
// "DUPLICATE_EXTERNAL_ID:Duplicate external id specified: X:field --"; closing a job
// without an upload fails it; result files of an unfinished job hold only the header;
// the password grant also issues a refresh token, so the refresh flow can be tested; job
// processing happens at the first call after the job delay has passed; a job's upload is
// dropped once it is processed (the result files keep the rows); a deleted or unknown
// record at GET /sobjects/{object}/{id} answers 404 ENTITY_IS_DELETED or NOT_FOUND.
//
// Records are stored compactly (record.go): about 700 bytes per demo Enrollment, against
// 2 KB before; TestEnrollmentMemory measures it with SFTEST_MEMORY=1.
package sftest
