// Package ui is `backfill ui`: the whole backfill in the admin's browser, on a page served
// on loopback. The page walks the steps of the reconnection guide in order: the org (the
// login given on the command line, a Salesforce CLI login, or the built-in practice org),
// the export (uploaded and streamed to disk), Check (preflight), Plan (live progress, then
// the plan report inline, rendered by package report as report.html is), Approve, Import
// (exactly the approved plan, after a confirmation naming the org, with progress per Bulk
// job), Verify and Undo (its dry run first). A list of the run folders under the runs
// folder gives each one's state and next action.
//
// The page is another front end of the same jobs: it fills [backfill.Front] with its own
// [Words] (settings and buttons, never flags or shell commands), an Observer per job that
// feeds the page's progress, and a report renderer; it maps the jobs' typed errors to its
// own sentences (errors.go). Every state lives in the run folder, so the command line and
// the page take turns on one folder; the folder's lock keeps them from writing at once. A
// job runs in the server, not in the tab: closing the tab leaves it running, and stopping
// the server interrupts it as Ctrl-C does, leaving a folder Resume finishes.
//
// # Security
//
// The server listens on loopback only. The first request carries a one-time token (the URL
// printed on stdout), exchanged for an HttpOnly, SameSite=Strict session cookie; every
// request needs that session, and a Host header other than the address served (DNS
// rebinding) is refused before anything else. State changes are POSTs whose Origin (or
// Sec-Fetch-Site) is the page's own and which carry the page's check value in a header, which
// no other origin can send without a CORS preflight this server never answers. Every
// response has a strict Content-Security-Policy: scripts and styles from the server only,
// nothing from the network, no inline script; reports are shown in a sandboxed frame whose
// only style is allowed by its hash. Secrets (tokens, passwords, keys) stay in the server:
// the page gets the org's name, Id, address and user, and the run folder gets what the
// command line writes. The server exits when asked, or after a long idle time.
package ui
