// The page of backfill ui. It holds no state of its own that matters: the server keeps the
// org, the export and the jobs, and the run folders keep the runs; this script shows them
// (from the event stream) and sends what the buttons ask. Every value from the server is
// put in the page as text (textContent), never as markup.
"use strict";

const check = document.querySelector('meta[name="backfill-check"]').content;
const $ = (id) => document.getElementById(id);

let state = null; // the last state from the server
let runs = []; // the list of runs
let run = null; // the detail of the current run
let shownRun = ""; // the run whose reports the frames show
let lastUndoPlan = null; // the dry run the person saw: {planned, force, keep}

// ---- talking to the server ----

async function api(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: { "Content-Type": "application/json", "X-Backfill-Check": check },
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "same-origin",
  });
  let data = null;
  try { data = await res.json(); } catch (e) { data = null; }
  if (!res.ok) {
    const err = new Error((data && data.error && data.error.text) || ("The server answered " + res.status + "."));
    err.sentence = (data && data.error) || { tone: "bad", text: err.message };
    err.status = res.status;
    throw err;
  }
  return data;
}

// say shows a sentence (tone, text, todo) in a status element; null clears it.
function say(el, s) {
  el.textContent = "";
  el.className = "status";
  if (!s) return;
  el.classList.add(s.tone || "bad");
  const p = document.createElement("p");
  p.textContent = s.text;
  el.appendChild(p);
  if (s.todo) {
    const t = document.createElement("p");
    t.className = "todo";
    t.textContent = s.todo;
    el.appendChild(t);
  }
}

// attempt runs an action; a refusal is said in el.
async function attempt(el, fn) {
  try {
    return await fn();
  } catch (e) {
    say(el, e.sentence || { tone: "bad", text: String(e.message || e) });
    return null;
  }
}

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

const group = (n) => Number(n || 0).toLocaleString("en-US");
const plural = (n, noun) => group(n) + " " + noun + (n === 1 ? "" : "s");
const when = (t) => t ? new Date(t).toLocaleString() : "";

function bytes(n) {
  if (n >= 1e9) return (n / 1e9).toFixed(2) + " GB";
  if (n >= 1e6) return (n / 1e6).toFixed(1) + " MB";
  if (n >= 1e3) return (n / 1e3).toFixed(1) + " kB";
  return n + " bytes";
}

function orgWords(o) {
  if (!o) return "";
  const kind = o.sandbox ? "sandbox" : "production";
  let s = (o.name || o.instance_url || "the org") + (o.id ? " (" + o.id + ", " + kind + ")" : " (" + kind + ")");
  if (o.instance_url && o.name) s += " at " + o.instance_url;
  if (o.user) s += ", as " + o.user;
  return s;
}

// ---- the event stream ----

function connect() {
  const es = new EventSource("/api/events");
  es.addEventListener("open", () => { $("offline").hidden = true; });
  es.addEventListener("state", (ev) => { render(JSON.parse(ev.data)); });
  es.addEventListener("runs", () => { refreshRuns(); });
  es.addEventListener("error", () => {
    if (es.readyState !== EventSource.OPEN) $("offline").hidden = false;
  });
}

// ---- rendering the state ----

function taskOf(kind, runName) {
  if (!state) return null;
  return state.tasks.find((t) => t.kind === kind && (runName === undefined || t.run === runName)) || null;
}

function runTask(kinds) {
  if (!state || !state.current) return null;
  const ts = state.tasks.filter((t) => t.run === state.current && kinds.includes(t.kind));
  ts.sort((a, b) => new Date(b.started) - new Date(a.started));
  return ts[0] || null;
}

let seenEnded = {}; // task key -> ended time already handled

function render(s) {
  const before = state;
  state = s;
  $("runs-folder").textContent = s.runs;
  // Step 1.
  if (s.command_line) {
    $("choice-cli-row").hidden = false;
    const cl = s.command_line;
    $("choice-cli-label").textContent = "The login backfill ui was started with: " +
      (cl.alias ? "the Salesforce CLI login " + cl.alias : (cl.instance_url || "its org") + " (" + cl.login + ")");
  }
  const sel = $("sf-org");
  if (s.sf_orgs.length > 0 && sel.options.length !== s.sf_orgs.length) {
    const keep = sel.value;
    sel.textContent = "";
    for (const o of s.sf_orgs) {
      const label = o.name + (o.alias ? " (" + o.username + ")" : "") + (o.sandbox ? ", sandbox" : "") +
        (o.scratch ? ", scratch org" : "") + (o.default ? ", the default" : "") + (o.connected ? "" : ", login expired: " + (o.status || "not connected"));
      const opt = el("option", "", label);
      opt.value = o.name;
      sel.appendChild(opt);
    }
    if (keep) sel.value = keep;
    sel.disabled = false;
  }
  $("top-org").textContent = s.org ? "Org: " + orgWords(s.org) : "No org chosen yet";
  if (s.org) {
    const ok = { tone: "ok", text: "Using " + orgWords(s.org) + ".", todo: "Logged in with " + s.org.login + "." };
    if (!before || !before.org || before.org.id !== s.org.id || before.org.kind !== s.org.kind) say($("org-status"), ok);
  }
  // Step 2.
  $("sample-row").hidden = !(s.org && s.org.kind === "practice");
  if (s.export && (!before || !before.export || before.export.path !== s.export.path)) {
    say($("export-status"), { tone: "ok", text: "The export: " + s.export.name + " (" + bytes(s.export.size) + ")" + (s.export.sample ? ", the sample." : "."), todo: "Check the org in step 3, or plan the load in step 4." });
  }
  // Steps 3 and 4.
  renderTask(taskOf("check"), $("check-progress"), $("check-status"));
  const chk = taskOf("check");
  renderChecklist(chk && chk.result && chk.result.checks ? chk.result.checks : null);
  const pl = taskOf("plan");
  renderTask(pl, $("plan-progress"), $("plan-status"));
  // The run's tasks.
  renderTask(runTask(["approve"]), null, $("approve-status"));
  const imp = runTask(["import", "resume"]);
  renderTask(imp, $("import-progress"), $("import-status"));
  renderJobs(imp);
  renderTask(runTask(["verify"]), $("verify-progress"), $("verify-status"));
  renderTask(runTask(["undo_plan", "undo"]), $("undo-progress"), $("undo-status"));
  const vt = runTask(["verify"]);
  if (vt && vt.result && vt.result.outcomes) renderCounts($("verify-counts"), vt.result.outcomes, ["match", "newer", "differs", "missing"]);
  const ut = runTask(["undo_plan", "undo"]);
  if (ut && ut.state === "done" && ut.result) {
    if (ut.kind === "undo_plan") {
      lastUndoPlan = { planned: ut.result.planned || {}, force: !!ut.result.force, keep: !!ut.result.keep_updated_at };
      renderCounts($("undo-counts"), ut.result.planned || {}, ["delete", "restore", "skip", "gone", "same"]);
    } else if (ut.result.outcomes) {
      renderCounts($("undo-counts"), ut.result.outcomes, ["deleted", "restored", "restore_refused", "skipped_changed", "failed"]);
      if (ut.result.dry_run) lastUndoPlan = { planned: ut.result.planned || {}, force: !!ut.result.force, keep: !!ut.result.keep_updated_at };
      else lastUndoPlan = null;
    }
  }
  // A job that ended changes the run: read it again.
  let reread = s.current !== (before && before.current);
  for (const t of s.tasks) {
    const key = t.kind + "/" + (t.run || "");
    if (t.ended && seenEnded[key] !== t.ended) {
      seenEnded[key] = t.ended;
      if (!t.run || t.run === s.current) reread = true;
    }
  }
  if (reread) refreshRun();
  buttons();
}

// renderTask shows a task's steps as progress bars in prog and its outcome in status.
function renderTask(t, prog, status) {
  if (prog) {
    prog.textContent = "";
    if (t && t.state === "running") {
      const steps = t.steps.filter((st) => !st.part || st.step !== "upload" && st.step !== "results");
      for (const st of steps.slice(-4)) prog.appendChild(stepBar(st));
      if (steps.length === 0) prog.appendChild(el("p", "muted", "Starting…"));
    }
  }
  if (!status) return;
  if (!t) { say(status, null); return; }
  if (t.state === "running") {
    say(status, { tone: "run", text: runningWords(t) });
    return;
  }
  say(status, t.outcome);
}

const kindWords = {
  check: "Checking the org", plan: "Planning", approve: "Approving", import: "Importing", resume: "Resuming",
  verify: "Verifying", undo_plan: "Planning the undo", undo: "Undoing",
};

function runningWords(t) {
  const secs = Math.max(0, Math.round((new Date(state.now) - new Date(t.started)) / 1000));
  return kindWords[t.kind] + "… (" + secs + " s)";
}

function stepBar(st) {
  const row = el("div", "progress-row" + (st.ended ? " ended" : ""));
  const id = "step-" + st.id;
  const label = el("label", "", st.label.charAt(0).toUpperCase() + st.label.slice(1));
  label.htmlFor = id;
  const bar = el("progress");
  bar.id = id;
  if (st.total > 0) {
    bar.max = st.total;
    bar.value = Math.min(st.done, st.total);
  } else if (st.ended) {
    bar.max = 1;
    bar.value = 1;
  }
  const text = el("span", "muted", amount(st));
  row.append(label, bar, text);
  return row;
}

function amount(st) {
  const f = st.unit === "bytes" ? bytes : group;
  const done = f(st.done);
  const total = st.total > 0 ? " of " + f(st.total) : "";
  return (st.ended ? "done: " : "") + done + total + (st.unit === "bytes" ? "" : " " + st.unit);
}

// renderJobs shows the Bulk jobs of a load: per part, its job, upload and results.
function renderJobs(t) {
  const table = $("jobs");
  const body = table.tBodies[0];
  const parts = {};
  if (t) {
    for (const st of t.steps) {
      if (!st.part) continue;
      const p = parts[st.part] || (parts[st.part] = { part: st.part, job: "", upload: null, results: null });
      if (st.job) p.job = st.job;
      if (st.step === "upload") p.upload = st;
      if (st.step === "results") p.results = st;
    }
  }
  let rows = Object.values(parts);
  if (rows.length === 0 && run && run.jobs && run.jobs.length > 0) {
    rows = run.jobs.map((j) => ({ part: j.part, job: j.id, rows: j.rows, state: j.state, failed: j.failed }));
  }
  body.textContent = "";
  table.hidden = rows.length === 0;
  for (const p of rows) {
    const tr = el("tr");
    tr.append(el("td", "", String(p.part)), el("td", "mono", p.job || "…"));
    const rowsCell = el("td", "", p.rows !== undefined ? group(p.rows) : (p.results ? group(p.results.total) : ""));
    const prog = el("td");
    if (p.state) {
      prog.textContent = p.state + (p.failed ? ", " + plural(p.failed, "row") + " failed" : "");
    } else {
      const st = p.results || p.upload;
      if (st) {
        const what = p.results ? "results" : "upload";
        const bar = el("progress");
        bar.max = st.total || 1;
        bar.value = st.ended ? bar.max : Math.min(st.done, bar.max);
        bar.setAttribute("aria-label", "Part " + p.part + " " + what);
        prog.append(el("span", "muted", what + " "), bar);
      }
    }
    tr.append(rowsCell, prog);
    body.appendChild(tr);
  }
}

function renderChecklist(checks) {
  const list = $("checklist");
  list.textContent = "";
  if (!checks) return;
  const marks = { pass: "PASS", warn: "WARN", fail: "FAIL", skip: "SKIP" };
  for (const c of checks) {
    const li = el("li", "check-" + c.status);
    const head = el("p");
    head.append(el("span", "mark", marks[c.status] || c.status), " ", el("b", "", c.name + ": "), c.message);
    li.appendChild(head);
    if (c.fix) li.appendChild(el("p", "fix", "Fix: " + c.fix));
    list.appendChild(li);
  }
}

function renderCounts(dl, counts, order) {
  dl.textContent = "";
  for (const k of order) {
    if (!(k in counts)) continue;
    dl.append(el("dt", "", k.replace(/_/g, " ")), el("dd", "", group(counts[k])));
  }
}

// ---- the current run ----

async function refreshRun() {
  if (!state || !state.current) {
    run = null;
    renderRun();
    return;
  }
  try {
    run = await api("GET", "/api/runs/" + encodeURIComponent(state.current));
  } catch (e) {
    run = null;
  }
  renderRun();
  refreshRuns();
}

function renderRun() {
  const has = !!run;
  $("run-head").hidden = !has;
  $("files").hidden = !has;
  if (!has) {
    $("plan-report-box").hidden = true;
    $("import-report-box").hidden = true;
    buttons();
    return;
  }
  $("run-name").textContent = run.name;
  $("run-state").textContent = run.state;
  $("run-state").className = "state s-" + run.state;
  $("run-detail").textContent = run.detail;
  $("run-org").textContent = run.org ? "Planned for " + orgWords(run.org) + "." : "";
  $("run-nologin").hidden = !run.no_login;
  if (run.no_login) $("run-nologin").textContent = run.no_login.text + " " + (run.no_login.todo || "");
  // The reports, read again when the run changed.
  const v = "?v=" + encodeURIComponent(run.state + "-" + (run.verify ? run.verify.at : "") + "-" + (run.undo ? run.undo.at : "") + "-" + Date.now());
  const base = "/runs/" + encodeURIComponent(run.name) + "/";
  showReport($("plan-report"), $("plan-report-box"), $("plan-report-link"), base + "plan-report.html" + v);
  const showImport = run.imported;
  $("import-report-box").hidden = !showImport;
  if (showImport) showReport($("import-report"), $("import-report-box"), $("import-report-link"), base + "report.html" + v);
  shownRun = run.name;
  // Files.
  const files = $("file-list");
  files.textContent = "";
  for (const f of run.files) {
    const a = el("a", "", f);
    a.href = base + "files/" + encodeURIComponent(f);
    a.setAttribute("download", f);
    const li = el("li");
    li.appendChild(a);
    files.appendChild(li);
  }
  // Approve.
  const ap = run.approval;
  $("approval").textContent = ap ? "Approved by " + ap.by + " on " + when(ap.at) + (ap.note ? ": " + ap.note : "") + "." : "Not approved yet.";
  $("approval").className = "status " + (ap ? "ok" : "");
  // Import.
  const load = run.to_insert + run.to_update;
  $("import-what").textContent = "Loads exactly the approved plan: " + plural(load, "row") + " (" + group(run.to_insert) +
    " new, " + group(run.to_update) + " updates) into " + (run.org ? orgWords(run.org) : "the plan's org") + ".";
  if (run.verify) renderCounts($("verify-counts"), run.verify.outcomes, ["match", "newer", "differs", "missing"]);
  if (run.undo && !runTask(["undo_plan", "undo"])) {
    const u = run.undo;
    renderCounts($("undo-counts"), u.dry_run ? u.planned : (u.outcomes || {}), u.dry_run ? ["delete", "restore", "skip", "gone", "same"] : ["deleted", "restored", "restore_refused", "skipped_changed", "failed"]);
  }
  renderJobs(runTask(["import", "resume"]));
  buttons();
}

function showReport(frame, box, link, src) {
  box.hidden = false;
  link.href = src;
  frame.src = src;
}

// fit sizes a report's frame to its document, so the page scrolls and the frame does not.
function fit(frame) {
  try {
    const doc = frame.contentDocument;
    if (doc && doc.documentElement) frame.style.height = (doc.documentElement.scrollHeight + 4) + "px";
  } catch (e) { /* not loaded */ }
}

// ---- buttons: enabled when their step can run ----

function buttons() {
  const s = state || { tasks: [] };
  const running = (kind, runName) => s.tasks.some((t) => t.state === "running" && t.kind === kind && (runName === undefined || t.run === runName));
  const runBusy = run ? s.tasks.some((t) => t.state === "running" && t.run === run.name) : false;
  $("check").disabled = !s.org || running("check");
  $("plan").disabled = !s.org || !s.export || running("plan");
  $("use-org").disabled = false;
  const st = run ? run.state : "";
  const usable = run && !run.no_login;
  $("approve").disabled = !run || st !== "planned" || runBusy || (run.next && run.next.step === "plan");
  $("approve-by").disabled = $("approve").disabled;
  $("approve-note").disabled = $("approve").disabled;
  $("import").disabled = !usable || st !== "approved" || runBusy;
  const interruptedImport = st === "interrupted" && run.next && run.next.label.indexOf("import") >= 0;
  const interruptedUndo = st === "interrupted" && !interruptedImport;
  $("resume").hidden = !interruptedImport;
  $("resume").disabled = !usable || runBusy;
  $("undo-resume").hidden = !interruptedUndo;
  $("undo-resume").disabled = !usable || runBusy;
  const imp = runTask(["import", "resume"]);
  $("stop").hidden = !(imp && imp.state === "running");
  $("verify").disabled = !usable || !(st === "imported" || st === "verified") || runBusy;
  const undoable = st === "imported" || st === "verified" || (st === "undone" && run.next);
  $("undo-plan").disabled = !usable || !undoable || runBusy;
  const planned = lastUndoPlan && ((lastUndoPlan.planned.delete || 0) + (lastUndoPlan.planned.restore || 0)) > 0;
  $("undo").disabled = !usable || !undoable || runBusy || !planned ||
    lastUndoPlan.force !== $("undo-force").checked || lastUndoPlan.keep !== $("undo-keep").checked;
}

// ---- the earlier runs ----

async function refreshRuns() {
  try {
    runs = await api("GET", "/api/runs");
  } catch (e) {
    return;
  }
  const list = $("runs");
  list.textContent = "";
  if (runs.length === 0) {
    list.appendChild(el("li", "muted", "No runs yet."));
    return;
  }
  for (const r of runs) {
    const li = el("li", "run" + (state && r.name === state.current ? " current" : ""));
    const head = el("p", "run-title");
    head.append(el("b", "", r.name), " ", el("span", "state s-" + r.state, r.state));
    li.appendChild(head);
    if (r.org) li.appendChild(el("p", "muted", orgWords(r.org)));
    li.appendChild(el("p", "", r.detail + (r.rows ? " " + plural(r.to_load, "row") + " to load of " + group(r.rows) + "." : "")));
    if (r.no_login && r.next) li.appendChild(el("p", "muted", r.no_login.text));
    const bar = el("p", "buttons");
    if (r.state !== "unfinished" && r.state !== "planning") {
      const open = el("button", "quiet", "Open");
      open.type = "button";
      open.setAttribute("aria-label", "Open run " + r.name);
      open.addEventListener("click", () => openRun(r.name, null));
      bar.appendChild(open);
    }
    if (r.next && !r.busy) {
      const b = el("button", "", r.next.label);
      b.type = "button";
      b.setAttribute("aria-label", r.next.label + ": run " + r.name);
      b.addEventListener("click", () => nextAction(r));
      bar.appendChild(b);
    }
    li.appendChild(bar);
    list.appendChild(li);
  }
}

const stepOf = { approve: "step-approve", import: "step-import", resume: "step-import", verify: "step-verify", undo: "step-undo", plan: "step-plan" };

async function openRun(name, step) {
  const r = await attempt($("plan-status"), () => api("POST", "/api/runs/" + encodeURIComponent(name) + "/open"));
  if (!r) return;
  run = r;
  if (state) state.current = name;
  renderRun();
  refreshRuns();
  const target = $(step ? stepOf[step] : "step-plan");
  target.scrollIntoView({ block: "start" });
  const focus = { approve: "approve-by", import: "import", verify: "verify", undo: "undo-plan", plan: "plan" }[step];
  if (focus) $(focus).focus(); else target.querySelector("h2").setAttribute("tabindex", "-1"), target.querySelector("h2").focus();
}

async function nextAction(r) {
  if (r.next.step === "resume") {
    await openRun(r.name, null);
    const status = r.next.label.indexOf("undo") >= 0 ? $("undo-status") : $("import-status");
    $(r.next.label.indexOf("undo") >= 0 ? "step-undo" : "step-import").scrollIntoView({ block: "start" });
    await attempt(status, () => api("POST", "/api/runs/" + encodeURIComponent(r.name) + "/resume"));
    return;
  }
  await openRun(r.name, r.next.step);
}

// ---- confirmations ----

function confirmDialog(title, text, org, yes) {
  const d = $("confirm");
  $("confirm-title").textContent = title;
  $("confirm-text").textContent = text;
  $("confirm-yes").textContent = yes;
  const dl = $("confirm-org");
  dl.textContent = "";
  if (org) {
    const add = (k, v) => { if (v) dl.append(el("dt", "", k), el("dd", "", v)); };
    add("Org", org.name);
    add("Org Id", org.id);
    add("Kind", org.sandbox ? "Sandbox" : "Production");
    add("Address", org.instance_url);
    add("User", org.user);
  }
  return new Promise((resolve) => {
    d.returnValue = "no";
    d.addEventListener("close", () => resolve(d.returnValue === "yes"), { once: true });
    d.showModal();
    $("confirm-no").focus();
  });
}

// ---- the buttons' actions ----

function settings() {
  const v = (id) => $(id).value;
  return {
    since: v("set-since"), date_columns: v("set-date-columns"), key_column: v("set-key-column"),
    updated_column: v("set-updated-column"), date_format: v("set-date-format"), encoding: v("set-encoding"),
    max_rejected: v("set-max-rejected"), update_stale: $("set-update-stale").checked,
    skipped_before_cutoff: $("set-skipped").checked, object: v("set-object"),
    external_id_field: v("set-external-id"), order_by: v("set-order-by"),
  };
}

function chosenKind() {
  const c = document.querySelector('input[name="org"]:checked');
  return c ? c.value : "";
}

async function useOrg() {
  const kind = chosenKind();
  const status = $("org-status");
  if (!kind) { say(status, { tone: "bad", text: "Choose an org first." }); return; }
  const alias = kind === "sf" ? $("sf-org").value : "";
  if (kind === "sf" && !alias) { say(status, { tone: "bad", text: "Choose a Salesforce CLI login first.", todo: "Press Find my Salesforce CLI logins." }); return; }
  say(status, { tone: "run", text: "Logging in…" });
  $("use-org").disabled = true;
  const o = await attempt(status, () => api("POST", "/api/org", { kind, alias }));
  $("use-org").disabled = false;
  if (o) say(status, { tone: "ok", text: "Using " + orgWords(o) + ".", todo: "Logged in with " + o.login + ". Now choose the export in step 2." });
}

async function findSF() {
  const status = $("org-status");
  say(status, { tone: "run", text: "Asking the Salesforce CLI for its logins…" });
  const orgs = await attempt(status, () => api("POST", "/api/sf-orgs"));
  if (!orgs) return;
  if (orgs.length === 0) say(status, { tone: "warn", text: "The Salesforce CLI has no logins.", todo: "Log in to your org with the Salesforce CLI, then press Find again." });
  else say(status, { tone: "ok", text: "The Salesforce CLI has " + plural(orgs.length, "login") + ".", todo: "Choose one, then press Use this org." });
}

function upload(file) {
  const status = $("export-status");
  if (!file) return;
  const xhr = new XMLHttpRequest();
  xhr.open("POST", "/api/export");
  xhr.setRequestHeader("X-Backfill-Check", check);
  xhr.setRequestHeader("X-File-Name", encodeURIComponent(file.name));
  xhr.setRequestHeader("Content-Type", "application/octet-stream");
  $("upload").hidden = false;
  const bar = $("upload-progress");
  bar.max = file.size || 1;
  bar.value = 0;
  xhr.upload.addEventListener("progress", (e) => {
    bar.value = e.loaded;
    $("upload-text").textContent = bytes(e.loaded) + " of " + bytes(file.size);
  });
  say(status, { tone: "run", text: "Copying " + file.name + " (" + bytes(file.size) + ")…" });
  xhr.addEventListener("load", () => {
    $("upload").hidden = true;
    let data = null;
    try { data = JSON.parse(xhr.responseText); } catch (e) { data = null; }
    if (xhr.status !== 200) {
      say(status, (data && data.error) || { tone: "bad", text: "The upload failed (" + xhr.status + ")." });
      return;
    }
    say(status, { tone: "ok", text: "The export: " + data.name + " (" + bytes(data.size) + ").", todo: "Check the org in step 3, or plan the load in step 4." });
  });
  xhr.addEventListener("error", () => {
    $("upload").hidden = true;
    say(status, { tone: "bad", text: "The upload stopped: backfill ui is not answering." });
  });
  xhr.send(file);
}

async function runStep(statusEl, path, body) {
  say(statusEl, { tone: "run", text: "Starting…" });
  await attempt(statusEl, () => api("POST", path, body));
}

const runPath = (what) => "/api/runs/" + encodeURIComponent(run.name) + "/" + what;

async function importRun() {
  if (!run) return;
  const load = run.to_insert + run.to_update;
  const yes = await confirmDialog("Import into " + (run.org ? run.org.name : "the org") + "?",
    "This writes " + plural(load, "record") + " to Salesforce: " + group(run.to_insert) + " new and " + group(run.to_update) +
    " updated, exactly as the approved plan says. Check the org below is the one you mean.", run.org, "Import now");
  if (!yes) return;
  await runStep($("import-status"), runPath("import"), { org_id: run.org ? run.org.id : "" });
}

async function undoNow() {
  if (!run || !lastUndoPlan) return;
  const p = lastUndoPlan.planned;
  const yes = await confirmDialog("Undo the import in " + (run.org ? run.org.name : "the org") + "?",
    "This deletes " + plural(p.delete || 0, "record") + " the import created (they stay in the Recycle Bin for 15 days) and restores " +
    plural(p.restore || 0, "record") + " it updated, as the dry run showed.", run.org, "Undo now");
  if (!yes) return;
  await runStep($("undo-status"), runPath("undo"), { planned: p, force: lastUndoPlan.force, keep_updated_at: lastUndoPlan.keep });
}

async function quit() {
  try {
    const r = await api("POST", "/api/quit", {});
    say($("alert"), r);
    $("alert").hidden = false;
  } catch (e) {
    if (e.status === 409) {
      const yes = await confirmDialog("Stop backfill ui while a job runs?", e.sentence.text + " " + (e.sentence.todo || ""), null, "Stop backfill ui");
      if (!yes) return;
      const r = await attempt($("alert"), () => api("POST", "/api/quit", { force: true }));
      $("alert").hidden = false;
      if (r) say($("alert"), r);
      return;
    }
    say($("alert"), e.sentence);
    $("alert").hidden = false;
  }
}

// ---- wiring ----

function wire() {
  for (const r of document.querySelectorAll('input[name="org"]')) {
    r.addEventListener("change", () => { $("sf-picker").hidden = chosenKind() !== "sf"; });
  }
  $("find-sf").addEventListener("click", findSF);
  $("use-org").addEventListener("click", useOrg);
  $("export-file").addEventListener("change", (e) => upload(e.target.files[0]));
  const drop = $("drop");
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    if (e.dataTransfer.files.length > 0) upload(e.dataTransfer.files[0]);
  });
  $("use-sample").addEventListener("click", () => attempt($("export-status"), () => api("POST", "/api/export/sample")));
  $("check").addEventListener("click", () => runStep($("check-status"), "/api/check", settings()));
  $("plan").addEventListener("click", () => runStep($("plan-status"), "/api/plan", settings()));
  $("approve-form").addEventListener("submit", (e) => {
    e.preventDefault();
    if (!run) return;
    runStep($("approve-status"), runPath("approve"), { by: $("approve-by").value, note: $("approve-note").value });
  });
  $("import").addEventListener("click", importRun);
  $("resume").addEventListener("click", () => runStep($("import-status"), runPath("resume")));
  $("undo-resume").addEventListener("click", () => runStep($("undo-status"), runPath("resume")));
  $("stop").addEventListener("click", () => attempt($("import-status"), async () => say($("import-status"), await api("POST", runPath("stop")))));
  $("verify").addEventListener("click", () => runStep($("verify-status"), runPath("verify")));
  $("undo-plan").addEventListener("click", () => runStep($("undo-status"), runPath("undo-plan"),
    { force: $("undo-force").checked, keep_updated_at: $("undo-keep").checked }));
  $("undo").addEventListener("click", undoNow);
  $("undo-force").addEventListener("change", buttons);
  $("undo-keep").addEventListener("change", buttons);
  $("refresh-runs").addEventListener("click", refreshRuns);
  $("quit").addEventListener("click", quit);
  for (const f of [$("plan-report"), $("import-report")]) f.addEventListener("load", () => fit(f));
  let resizing = 0;
  window.addEventListener("resize", () => {
    clearTimeout(resizing);
    resizing = setTimeout(() => { fit($("plan-report")); fit($("import-report")); }, 150);
  });
}

wire();
buttons();
connect();
refreshRuns();
