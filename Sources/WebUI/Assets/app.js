// mlopsd's dashboard: plain JavaScript, same origin as the API. Tokens live in memory only (a
// reload signs out); the access token is refreshed a minute before it expires.
"use strict";

const session = { access: null, refresh: null, user: null, timer: null };
const $ = (id) => document.getElementById(id);

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child ?? "")));
  return node;
}

function table(headers, rows) {
  return element("table", {},
    element("thead", {}, element("tr", {}, ...headers.map((h) => element("th", { scope: "col" }, h)))),
    element("tbody", {}, ...rows.map((cells) => element("tr", {}, ...cells.map((c) => element("td", {}, c))))));
}

async function api(method, path, body, attempt = 0) {
  const headers = { "Accept": "application/json" };
  if (session.access) headers["Authorization"] = "Bearer " + session.access;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  // The edge's rate limits: wait as long as it asks (a few seconds at most), then try again.
  if (response.status === 429 && attempt < 3) {
    const seconds = Math.min(5, Number(response.headers.get("Retry-After")) || 1);
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    return api(method, path, body, attempt + 1);
  }
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (response.status === 401 && session.refresh && path !== "/api/v1/auth/refresh") {
    if (await refresh()) return api(method, path, body);
  }
  if (!response.ok) throw new Error((data && data.error && data.error.message) || response.statusText);
  return data;
}

function expiresIn(token) {
  try {
    const claims = JSON.parse(atob(token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
    return claims.exp * 1000 - Date.now();
  } catch { return 0; }
}

function keep(tokens) {
  session.access = tokens.access_token;
  session.refresh = tokens.refresh_token;
  clearTimeout(session.timer);
  session.timer = setTimeout(refresh, Math.max(5000, expiresIn(session.access) - 60000));
}

async function refresh() {
  try {
    keep(await api("POST", "/api/v1/auth/refresh", { refresh_token: session.refresh }));
    return true;
  } catch {
    signedOut();
    return false;
  }
}

function signedOut() {
  clearTimeout(session.timer);
  Object.assign(session, { access: null, refresh: null, user: null });
  $("nav").hidden = $("logout").hidden = true;
  $("page").replaceChildren();
  $("login").hidden = false;
  $("username").focus();
}

async function signIn(event) {
  event.preventDefault();
  $("login-error").textContent = "";
  try {
    keep(await api("POST", "/api/v1/auth/login", { username: $("username").value, password: $("password").value }));
    session.user = await api("GET", "/api/v1/auth/me");
    $("password").value = "";
    $("login").hidden = true;
    $("nav").hidden = $("logout").hidden = false;
    $("users-link").hidden = !isAdmin();
    route();
  } catch (error) {
    $("login-error").textContent = error.message;
  }
}

async function signOut() {
  try { await api("POST", "/api/v1/auth/logout"); } finally { signedOut(); }
}

const roles = ["auth", "data", "train", "predict"];

async function overview() {
  const page = element("div", {}, element("h1", {}, "Overview"));
  // Liveness, which answers 200 while the process is up; readiness answers 503 when not ready,
  // which the browser would log as a failed load.
  const health = await Promise.all(roles.map(async (role) => {
    try {
      const report = await api("GET", `/api/v1/${role}/health`);
      return [role, element("span", { class: "status-ok" }, "up"), report.version, `${Math.round(report.uptime_seconds)} s`];
    } catch { return [role, element("span", { class: "status-bad" }, "unreachable"), "", ""]; }
  }));
  page.append(element("h2", {}, "Roles"), table(["role", "state", "version", "uptime"], health));

  const served = await api("GET", "/api/v1/predict/models").catch(() => ({ models: [] }));
  page.append(element("h2", {}, "Served models"), table(
    ["arm", "model", "version", "type", "loaded"],
    served.models.map((m) => [m.arm, m.name, m.version, m.model_type, new Date(m.loaded_at).toLocaleString()])));

  if (session.user && session.user.role === "admin") {
    const jobs = [];
    for (const role of ["data", "train"]) {
      const listing = await api("GET", `/api/v1/${role}/jobs?limit=10`).catch(() => ({ jobs: [] }));
      for (const job of listing.jobs) jobs.push(job);
    }
    jobs.sort((a, b) => (a.created_at < b.created_at ? 1 : -1));
    page.append(element("h2", {}, "Recent jobs"), table(
      ["created", "type", "status", "progress", "message"],
      jobs.slice(0, 10).map((j) => [new Date(j.created_at).toLocaleString(), j.job_type, j.status,
        element("progress", { max: "100", value: String(j.progress), "aria-label": `${j.job_type} ${j.progress}%` }), j.message || ""])));
  }
  return page;
}

const isAdmin = () => Boolean(session.user && session.user.role === "admin");
const number = (value, digits = 4) => (typeof value === "number" ? value.toFixed(digits).replace(/\.?0+$/, "") : "");
const bytes = (value) =>
  typeof value !== "number" ? "" : value < 1048576 ? `${(value / 1024).toFixed(1)} KB` : `${(value / 1048576).toFixed(2)} MB`;

async function models() {
  const page = element("div", {}, element("h1", {}, "Models"));
  const served = await api("GET", "/api/v1/predict/models");
  page.append(element("h2", {}, "Served now"), table(
    ["arm", "model", "version", "type", "traffic", "bundle", "memory"],
    served.models.map((m) => [m.arm, m.name, m.version, m.model_type,
      m.mode === "shadow" ? `shadow, agreement ${number(m.shadow && m.shadow.agreement, 3)}` : m.share !== undefined ? `canary ${number(m.share * 100, 1)}%` : "",
      bytes(m.bundle_bytes), bytes(m.memory_bytes)])));
  if (served.last_reload_error) page.append(element("p", { role: "status" }, "Last reload: " + served.last_reload_error));
  if (isAdmin()) {
    const registry = await api("GET", "/api/v1/train/models");
    const rows = [];
    for (const model of registry.models || []) {
      for (const version of model.versions || []) {
        const metrics = version.metrics || {};
        rows.push([version.champion ? "champion" : "", model.name, version.version, model.model_type,
          number(metrics.f1 ?? metrics.rmse), new Date(version.created_at).toLocaleString()]);
      }
    }
    page.append(element("h2", {}, "Registry"), table(["", "name", "version", "type", "f1 / rmse", "created"], rows));
  }
  return page;
}

async function monitoring() {
  const page = element("div", {}, element("h1", {}, "Monitoring"));
  const [drift, performance] = await Promise.all([api("GET", "/api/v1/predict/drift"), api("GET", "/api/v1/predict/performance")]);
  page.append(element("h2", {}, "Live metrics from feedback"), table(
    ["model", "arm", "feedback", "metric", "live", "held out"],
    performance.models.flatMap((m) => {
      const names = Object.keys(m.metrics || {}).sort();
      return names.length === 0 ? [[`${m.model_name} v${m.model_version}`, m.arm, "0", "", "", ""]]
        : names.map((name) => [`${m.model_name} v${m.model_version}`, m.arm, String(m.feedback), name, number(m.metrics[name]), number((m.held_out || {})[name])]);
    })));
  page.append(element("h2", {}, `Drift over the last ${drift.window} records per model`));
  for (const model of drift.models) {
    const title = `${model.model_name} v${model.model_version} (${model.arm}), ${model.records} records`;
    if (!model.reference) {
      page.append(element("p", {}, `${title}: its bundle has no training profile.`));
      continue;
    }
    const entries = [...(model.features || []), ...(model.prediction ? [model.prediction] : [])];
    page.append(element("h3", {}, title), table(["", "feature", "statistic", "value", "threshold"],
      // Over the threshold without being flagged: the window holds too few records to judge.
      entries.map((e) => [element("span", { class: e.drifted ? "status-bad" : "status-ok" },
        e.drifted ? "drifted" : e.value > e.threshold ? "too few records" : "stable"),
        e.name, e.statistic, number(e.value), number(e.threshold)])));
  }
  return page;
}

async function users() {
  const page = element("div", {}, element("h1", {}, "Users"));
  if (!isAdmin()) return page.append(element("p", {}, "Only admins manage accounts.")), page;
  const listing = await api("GET", "/api/v1/auth/users?limit=200");
  const rows = listing.users.map((user) => {
    const toggle = element("button", { type: "button", "data-user": user.username, "aria-label": `${user.disabled ? "Enable" : "Disable"} ${user.username}` },
      user.disabled ? "Enable" : "Disable");
    toggle.addEventListener("click", () => change(user.username, { disabled: !user.disabled }));
    const role = element("button", { type: "button", "aria-label": `Make ${user.username} ${user.role === "admin" ? "a user" : "an admin"}` },
      user.role === "admin" ? "Make user" : "Make admin");
    role.addEventListener("click", () => change(user.username, { role: user.role === "admin" ? "user" : "admin" }));
    const own = session.user && user.username === session.user.username;
    return [user.username, user.email, user.role, user.disabled ? "disabled" : "active", own ? "" : element("span", {}, toggle, " ", role)];
  });
  page.append(table(["username", "email", "role", "state", ""], rows));

  const form = element("form", { id: "create-user" },
    element("h2", {}, "New account"),
    element("label", { for: "new-username" }, "Username"), element("input", { id: "new-username", required: "", autocomplete: "off" }),
    element("label", { for: "new-email" }, "Email"), element("input", { id: "new-email", type: "email", required: "" }),
    element("label", { for: "new-password" }, "Password (8 to 72 characters)"),
    element("input", { id: "new-password", type: "password", required: "", minlength: "8", maxlength: "72", autocomplete: "new-password" }),
    element("label", { for: "new-role" }, "Role"),
    element("select", { id: "new-role" }, element("option", { value: "user" }, "user"), element("option", { value: "admin" }, "admin")),
    element("button", { type: "submit" }, "Create"),
    element("p", { id: "create-error", role: "alert" }));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await api("POST", "/api/v1/auth/users", {
        username: $("new-username").value, email: $("new-email").value, password: $("new-password").value, role: $("new-role").value });
      route();
    } catch (error) { $("create-error").textContent = error.message; }
  });
  page.append(form);
  return page;
}

async function change(username, fields) {
  try {
    await api("PATCH", `/api/v1/auth/users/${encodeURIComponent(username)}`, fields);
  } finally { route(); }
}

const pages = { "#/overview": overview, "#/models": models, "#/monitoring": monitoring, "#/users": users };

async function route() {
  if (!session.access) return signedOut();
  const render = pages[location.hash] || overview;
  try {
    $("page").replaceChildren(await render());
  } catch (error) {
    $("page").replaceChildren(element("p", { role: "alert" }, error.message));
  }
}

document.addEventListener("DOMContentLoaded", () => {
  $("login-form").addEventListener("submit", signIn);
  $("logout").addEventListener("click", signOut);
  window.addEventListener("hashchange", route);
  signedOut();
});
