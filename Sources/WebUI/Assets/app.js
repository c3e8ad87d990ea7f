// mlopsd's dashboard: plain JavaScript modules, same origin as the API. Each page is a URL
// (#/page/argument…) that can be bookmarked; what a plain user may not do is not shown at all.
"use strict";

import { $, api, element, forget, isAdmin, keep, navigation, session, stopTimers } from "./core.js";
import { overview } from "./overview.js";
import { dataset, datasets, dataVersion } from "./data.js";
import { compareRuns, run, training } from "./training.js";
import { models } from "./models.js";
import { monitoring } from "./monitoring.js";
import { users } from "./users.js";

const pages = {
  overview, datasets, dataset, version: dataVersion, training, run, compare: compareRuns, models, monitoring, users,
};
const adminPages = new Set(["datasets", "dataset", "version", "training", "run", "compare", "users"]);

function signedOut() {
  forget();
  $("nav").hidden = $("logout").hidden = true;
  $("page").replaceChildren();
  $("login").hidden = false;
  $("username").focus();
}
session.onSignedOut = signedOut;

async function signIn(event) {
  event.preventDefault();
  $("login-error").textContent = "";
  try {
    keep(await api("POST", "/api/v1/auth/login", { username: $("username").value, password: $("password").value }));
    session.user = await api("GET", "/api/v1/auth/me");
    $("password").value = "";
    $("login").hidden = true;
    $("nav").hidden = $("logout").hidden = false;
    for (const link of document.querySelectorAll("[data-admin]")) link.hidden = !isAdmin();
    route();
  } catch (error) {
    $("login-error").textContent = error.message;
  }
}

async function signOut() {
  try { await api("POST", "/api/v1/auth/logout"); } finally { signedOut(); }
}

async function route() {
  // In-page anchors (the skip link) are not pages.
  if (location.hash && !location.hash.startsWith("#/")) return;
  if (!session.access) return signedOut();
  stopTimers();
  const current = navigation.current;
  const decoded = (part) => { try { return decodeURIComponent(part); } catch { return part; } };
  const [name, ...parts] = location.hash.replace(/^#\/?/, "").split("/").map(decoded);
  const key = pages[name] ? name : "overview";
  for (const link of document.querySelectorAll("#nav a")) {
    if (link.getAttribute("href") === `#/${key}`) link.setAttribute("aria-current", "page"); else link.removeAttribute("aria-current");
  }
  const page = $("page");
  page.setAttribute("aria-busy", "true");
  let content;
  try {
    content = adminPages.has(key) && !isAdmin() ? element("p", {}, "This page is for admins.") : await pages[key](...parts);
  } catch (error) {
    content = element("p", { role: "alert" }, error.message);
  }
  // The user moved on (or signed out) while this page loaded.
  if (current !== navigation.current || !session.access) return;
  page.replaceChildren(content);
  page.removeAttribute("aria-busy");
  // Keyboard and screen-reader users land on the new page's heading, not at the old focus.
  const title = page.querySelector("h1");
  if (title) { title.tabIndex = -1; title.focus({ preventScroll: true }); document.title = `${title.textContent} · mlopsd`; }
}

document.addEventListener("DOMContentLoaded", () => {
  $("login-form").addEventListener("submit", signIn);
  $("logout").addEventListener("click", signOut);
  $("skip").addEventListener("click", (event) => { event.preventDefault(); $("main").focus(); });
  // A link to the page already shown draws it again, with what changed since.
  $("nav").addEventListener("click", (event) => {
    const link = event.target.closest("a");
    if (link && link.getAttribute("href") === location.hash) route();
  });
  window.addEventListener("hashchange", route);
  signedOut();
});
