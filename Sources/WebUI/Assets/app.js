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

async function api(method, path, body) {
  const headers = { "Accept": "application/json" };
  if (session.access) headers["Authorization"] = "Bearer " + session.access;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
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

const pages = { "#/overview": overview };

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
