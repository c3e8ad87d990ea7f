// The overview: is every role up, what is served and since when, what is running.
"use strict";

import { api, element, heading, isAdmin, number, recentJobs, table, when } from "./core.js";

const roles = ["auth", "data", "train", "predict"];

export async function overview() {
  const page = element("div", {}, heading(1, "Overview"));
  // Liveness (the process answers) and readiness (its databases answer, and the predict role has
  // a champion loaded); a role that is not ready answers 503 with what it waits for.
  const health = await Promise.all(roles.map(async (role) => {
    const [live, ready] = await Promise.allSettled([api("GET", `/api/v1/${role}/health`), api("GET", `/api/v1/${role}/ready`)]);
    if (live.status === "rejected") return [role, element("span", { class: "status-bad" }, "unreachable"), "", "", ""];
    const readiness = ready.status === "fulfilled" ? element("span", { class: "status-ok" }, "ready")
      : element("span", { class: "status-bad" }, ready.reason.details.length
        ? `not ready: ${ready.reason.details.map((d) => `${d.field} ${d.problem}`).join("; ")}` : `not ready: ${ready.reason.message}`);
    return [role, element("span", { class: "status-ok" }, "up"), readiness, live.value.version, `${Math.round(live.value.uptime_seconds)} s`];
  }));
  page.append(heading(2, "Roles"), table(["role", "live", "ready", "version", "uptime"], health));

  const [served, plan] = await Promise.all([
    api("GET", "/api/v1/predict/models").catch(() => ({ models: [] })),
    isAdmin() ? api("GET", "/api/v1/train/serving").catch(() => null) : null,
  ]);
  page.append(heading(2, "Champion"), championCard(served.models.find((m) => m.arm === "champion"), plan && plan.champion));
  page.append(heading(2, "Served models"), served.models.length === 0 ? element("p", {}, "None yet.") : table(
    ["arm", "model", "version", "type", "loaded"],
    served.models.map((m) => [m.arm, m.name, m.version, m.model_type, when(m.loaded_at)])));

  if (isAdmin()) page.append(heading(2, "Recent jobs"), await recentJobs(["data", "train"]));
  return page;
}

/// What the predict role serves as champion, and from the train role (admins) who promoted it
/// when, on which metric.
function championCard(served, promoted) {
  if (!served && !promoted) return element("p", { id: "champion" }, "No champion yet: train a model and promote it.");
  const metrics = (promoted && promoted.metrics) || (served && served.metrics) || {};
  const metric = promoted && promoted.metric;
  const facts = [
    ["model", (served && served.name) || promoted.model_name],
    ["version", (served && served.version) || promoted.version],
    ["type", (served && served.model_type) || promoted.model_type],
    metric ? ["promoted on", `${metric} = ${number(metrics[metric])}`] : null,
    promoted ? ["promoted", `${when(promoted.promoted_at)} by ${promoted.promoted_by}`] : null,
    served ? ["serving since", when(served.loaded_at)] : ["serving", "not loaded yet"],
  ].filter(Boolean);
  return element("div", { id: "champion" },
    element("dl", { class: "facts" }, facts.map(([name, value]) => [element("dt", {}, name), element("dd", {}, value)])),
    table(["held-out metric", "value"], Object.keys(metrics).sort().map((name) => [name, number(metrics[name])])));
}
