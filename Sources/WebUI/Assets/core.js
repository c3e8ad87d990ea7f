// What every page uses: the session (tokens in memory only, so a reload signs out), calls to the
// API with a refresh after a 401, DOM building with text nodes only, and the timers a page runs.
"use strict";

export const session = { access: null, refresh: null, user: null, timer: null, onSignedOut: () => {} };
export const $ = (id) => document.getElementById(id);
export const isAdmin = () => Boolean(session.user && session.user.role === "admin");

export function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== undefined && value !== null && value !== false) node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export const link = (href, text) => element("a", { href }, text);
export const heading = (level, text) => element(`h${level}`, {}, text);

export function table(headers, rows, caption) {
  return element("table", {},
    caption ? element("caption", {}, caption) : null,
    element("thead", {}, element("tr", {}, headers.map((h) => element("th", { scope: "col" }, h)))),
    element("tbody", {}, rows.map((cells) => element("tr", {}, cells.map((c) => element("td", {}, c))))));
}

/// A table whose columns sort on a click (or Enter) on their header; `columns` are
/// `{ label, value(row) for sorting, render(row) for the cell }`.
export function sortableTable(columns, rows, { sortBy = 0, descending = false, caption } = {}) {
  const holder = element("div", { class: "scroll" });
  const draw = () => {
    const column = columns[sortBy];
    const sorted = [...rows].sort((a, b) => {
      const x = column.value(a), y = column.value(b);
      if (x === y) return 0;
      if (x === undefined || x === null) return 1;
      if (y === undefined || y === null) return -1;
      return (x < y ? -1 : 1) * (descending ? -1 : 1);
    });
    const headers = columns.map((c, index) => {
      if (!c.value) return element("th", { scope: "col" }, c.label);
      const button = element("button", { type: "button", class: "sort", "data-column": String(index) }, c.label, index === sortBy ? (descending ? " ▼" : " ▲") : "");
      button.addEventListener("click", () => {
        descending = index === sortBy ? !descending : Boolean(c.descending);
        sortBy = index;
        draw();
        holder.querySelector(`th button[data-column="${index}"]`).focus();
      });
      return element("th", { scope: "col", "aria-sort": index === sortBy ? (descending ? "descending" : "ascending") : "none" }, button);
    });
    holder.replaceChildren(element("table", {},
      caption ? element("caption", {}, caption) : null,
      element("thead", {}, element("tr", {}, headers)),
      element("tbody", {}, sorted.map((row) => element("tr", {}, columns.map((c) => element("td", {}, c.render(row))))))));
  };
  draw();
  return holder;
}

export class APIFailure extends Error {
  constructor(status, envelope, fallback) {
    const error = (envelope && envelope.error) || {};
    const details = (error.details || []).map((d) => `${d.field}: ${d.problem}`);
    super([error.message || fallback, ...details].join(" — "));
    this.status = status;
    this.code = error.code;
    this.details = error.details || [];
  }
}

const wait = (seconds) => new Promise((resolve) => setTimeout(resolve, seconds * 1000));

async function call(method, path, body, attempt, accept) {
  const headers = { "Accept": accept };
  if (session.access) headers["Authorization"] = "Bearer " + session.access;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  // The edge's rate limits: wait as long as it asks (a few seconds at most), then try again.
  if (response.status === 429 && attempt < 3) {
    await wait(Math.min(5, Number(response.headers.get("Retry-After")) || 1));
    return call(method, path, body, attempt + 1, accept);
  }
  if (response.status === 401 && session.refresh && path !== "/api/v1/auth/refresh" && attempt < 3) {
    if (await refresh()) return call(method, path, body, attempt + 1, accept);
  }
  return response;
}

export async function api(method, path, body) {
  const response = await call(method, path, body, 0, "application/json");
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!response.ok) throw new APIFailure(response.status, data, response.statusText);
  return data;
}

/// An image the API serves behind the token, as a URL an <img> can show (the page's policy
/// allows blob: images only).
export async function imageURL(path) {
  const response = await call("GET", path, undefined, 0, "image/svg+xml");
  if (!response.ok) throw new APIFailure(response.status, null, response.statusText);
  return URL.createObjectURL(await response.blob());
}

/// A file upload with progress: fetch cannot report an upload's progress, XMLHttpRequest can.
export async function upload(path, form, onProgress) {
  try {
    return await send(path, form, onProgress);
  } catch (error) {
    if (error.status !== 401 || !(await refresh())) throw error;
    return send(path, form, onProgress);
  }
}

function send(path, form, onProgress) {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open("POST", path);
    request.setRequestHeader("Authorization", "Bearer " + session.access);
    request.setRequestHeader("Accept", "application/json");
    request.upload.addEventListener("progress", (event) => { if (event.lengthComputable) onProgress(event.loaded / event.total); });
    request.addEventListener("load", () => {
      let data = null;
      try { data = JSON.parse(request.responseText); } catch { data = null; }
      if (request.status >= 200 && request.status < 300) resolve(data);
      else reject(new APIFailure(request.status, data, request.statusText || "upload failed"));
    });
    request.addEventListener("error", () => reject(new Error("The upload was interrupted")));
    request.send(form);
  });
}

function expiresIn(token) {
  try {
    const claims = JSON.parse(atob(token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
    return claims.exp * 1000 - Date.now();
  } catch { return 0; }
}

export function keep(tokens) {
  session.access = tokens.access_token;
  session.refresh = tokens.refresh_token;
  clearTimeout(session.timer);
  session.timer = setTimeout(refresh, Math.max(5000, expiresIn(session.access) - 60000));
}

// A refresh token is good for one use: requests that meet a 401 together share one refresh.
let refreshing = null;
function refresh() {
  refreshing ??= (async () => {
    try {
      keep(await api("POST", "/api/v1/auth/refresh", { refresh_token: session.refresh }));
      return true;
    } catch {
      forget();
      session.onSignedOut();
      return false;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

export function forget() {
  clearTimeout(session.timer);
  Object.assign(session, { access: null, refresh: null, user: null });
  stopTimers();
}

// Pages poll what moves. Each navigation has a number: a page still loading when the user moves
// on finds it changed, and neither draws nor keeps polling.
export const navigation = { current: 0 };
const timers = new Set();

/// Runs `tick` every `milliseconds`, one at a time, until it answers false or the page changes.
export function every(milliseconds, tick) {
  const page = navigation.current;
  const schedule = () => {
    const timer = setTimeout(async () => {
      timers.delete(timer);
      if (page !== navigation.current) return;
      let again = true;
      try { again = (await tick()) !== false; } catch { /* the next tick tries again */ }
      if (again && page === navigation.current) schedule();
    }, milliseconds);
    timers.add(timer);
  };
  schedule();
}

export function stopTimers() {
  navigation.current += 1;
  for (const timer of timers) clearTimeout(timer);
  timers.clear();
}

export const number = (value, digits = 4) => (typeof value === "number" && Number.isFinite(value) ? String(Number(value.toFixed(digits))) : "");
export const percent = (fraction, digits = 1) =>
  typeof fraction !== "number" ? "" : fraction > 0 && fraction < 0.001 ? "<0.1%" : `${(fraction * 100).toFixed(digits)}%`;
export const bytes = (value) =>
  typeof value !== "number" ? "" : value < 1048576 ? `${(value / 1024).toFixed(1)} KB` : `${(value / 1048576).toFixed(2)} MB`;
export const when = (date) => (date ? new Date(date).toLocaleString() : "");

/// A labelled control; `id` names both.
export function field(label, control) {
  return element("div", { class: "field" }, element("label", { for: control.id }, label), control);
}

export function select(id, options, selected) {
  return element("select", { id, name: id }, options.map(([value, text]) =>
    element("option", { value, selected: value === selected }, text)));
}

/// A form whose submission runs `action`; a failure shows in its alert, named by the API.
export function form(id, children, submitLabel, action) {
  const alert = element("p", { role: "alert", id: `${id}-error` });
  const submit = element("button", { type: "submit" }, submitLabel);
  const node = element("form", { id }, children, submit, alert);
  node.addEventListener("submit", async (event) => {
    event.preventDefault();
    alert.textContent = "";
    submit.disabled = true;
    try { await action(); } catch (error) { alert.textContent = error.message; } finally { submit.disabled = false; }
  });
  return node;
}

const finished = (status) => ["completed", "failed", "cancelled"].includes(status);

/// A small button that runs `run` once; a failure takes its place, named by the API. `label` says
/// what it does to whom for screen readers, `text` is what it shows.
export function actionButton(text, label, run) {
  const button = element("button", { type: "button", class: "small", "aria-label": label }, text);
  button.addEventListener("click", async () => {
    button.disabled = true;
    try { await run(); } catch (error) { button.replaceWith(element("span", { role: "alert" }, error.message)); }
  });
  return button;
}

/// Asks a role to cancel a job; the fit in progress stops at its next check.
const cancelButton = (role, job, label) =>
  actionButton("Cancel", label, () => api("POST", `/api/v1/${role}/jobs/${encodeURIComponent(job)}/cancel`));

/// A job's progress bar and message, polled until it ends; `done(job)` runs once when it has.
export function jobProgress(role, jobID, done) {
  const bar = element("progress", { max: "100", value: "0", "aria-label": "progress" });
  const message = element("span", { role: "status" }, "queued");
  const cancel = cancelButton(role, jobID, "Cancel this job");
  const holder = element("p", { class: "job", "data-job": jobID }, bar, " ", message, " ", cancel);
  every(1000, async () => {
    const job = await api("GET", `/api/v1/${role}/status/${encodeURIComponent(jobID)}`);
    bar.value = job.progress;
    bar.setAttribute("aria-label", `${job.job_type} ${job.progress}%`);
    message.textContent = job.status === "failed" ? `failed: ${job.error || job.message}` : `${job.status}: ${job.message || ""}`;
    holder.dataset.status = job.status;
    if (finished(job.status)) {
      cancel.remove();
      done(job);
      return false;
    }
    return true;
  });
  return holder;
}

/// The latest jobs of the given roles, newest first, refreshed every two seconds.
export async function recentJobs(roles, limit = 10) {
  const load = async () => {
    const listings = await Promise.all(roles.map((role) =>
      api("GET", `/api/v1/${role}/jobs?limit=${limit}`).then((l) => l.jobs.map((job) => ({ ...job, role })), () => [])));
    return listings.flat().sort((a, b) => (a.created_at < b.created_at ? 1 : -1)).slice(0, limit);
  };
  const draw = (jobs) => table(["created", "type", "status", "progress", "message", ""],
    jobs.map((j) => [when(j.created_at), j.job_type, j.status,
      element("progress", { max: "100", value: String(j.progress), "aria-label": `${j.job_type} ${j.progress}%` }),
      j.error || j.message || "", finished(j.status) ? "" : cancelButton(j.role, j.job_id, `Cancel the ${j.job_type} job of ${when(j.created_at)}`)]));
  const holder = element("div", { id: "jobs" }, draw(await load()));
  every(2000, async () => { holder.replaceChildren(draw(await load())); });
  return holder;
}

/// Draws the current page again, after an action changed what it shows.
export const reload = () => window.dispatchEvent(new HashChangeEvent("hashchange"));
