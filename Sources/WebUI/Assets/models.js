// Models: what is served now, and for admins the registry, promotion through the gates, pinned
// versions and the canary or shadow challenger.
"use strict";

import { actionButton, api, bytes, element, field, form, heading, isAdmin, link, number, reload, select, table, when } from "./core.js";
import { lowerIsBetter } from "./training.js";

export async function models() {
  const page = element("div", {}, heading(1, "Models"));
  const served = await api("GET", "/api/v1/predict/models");
  page.append(heading(2, "Served now"), served.models.length === 0 ? element("p", {}, "Nothing is served yet: promote a model.") : table(
    ["arm", "model", "version", "type", "traffic", "bundle", "memory"],
    served.models.map((m) => [m.arm, m.name, m.version, m.model_type,
      m.mode === "shadow" ? `shadow, agreement ${number(m.shadow && m.shadow.agreement, 3)}` : m.share !== undefined ? `canary ${number(m.share * 100, 1)}%` : "",
      bytes(m.bundle_bytes), bytes(m.memory_bytes)])));
  if (served.last_reload_error) page.append(element("p", { role: "status" }, "Last reload: " + served.last_reload_error));
  if (!isAdmin()) return page;

  const [registry, plan, configuration] = await Promise.all([
    api("GET", "/api/v1/train/models"), api("GET", "/api/v1/train/serving"), api("GET", "/api/v1/train/config")]);
  const versions = (registry.models || []).flatMap((m) => (m.versions || []).map((v) => ({ ...v, model_type: m.model_type })));
  page.append(heading(2, "Promote"), promotion(versions, configuration));
  page.append(heading(2, "Serving plan"), servingPlan(plan, versions));
  page.append(heading(2, "Registry"), registryTable(versions, plan));
  return page;
}

/// A button that calls the API, then draws the page again with what changed.
const action = (text, label, call) => actionButton(text, label, async () => { await call(); reload(); });

function registryTable(versions, plan) {
  const pinned = new Set((plan.pinned || []).map((p) => `${p.model_name}@${p.version}`));
  const challenger = plan.challenger && plan.challenger.model;
  return table(["model", "version", "aliases", "f1 / rmse", "trained", ""], versions.map((v) => {
    const aliases = [v.champion ? "champion" : null, pinned.has(`${v.name}@${v.version}`) ? "pinned" : null,
      challenger && challenger.model_name === v.name && challenger.version === v.version ? `challenger (${plan.challenger.mode})` : null].filter(Boolean);
    const metrics = v.metrics || {};
    const pin = pinned.has(`${v.name}@${v.version}`)
      ? action("Unpin", `Unpin ${v.name} v${v.version}`, () => api("DELETE", `/api/v1/train/models/${encodeURIComponent(v.name)}/pin?version=${encodeURIComponent(v.version)}`))
      : action("Pin", `Pin ${v.name} v${v.version}`, () => api("POST", `/api/v1/train/models/${encodeURIComponent(v.name)}/pin`, { version: v.version }));
    return [link(`#/run/${encodeURIComponent(v.run_id)}`, v.name), v.version, aliases.join(", "), number(metrics.f1 ?? metrics.rmse), when(v.created_at), v.champion ? "" : pin];
  }));
}

/// The gates the promotion applies, checked here the way the train role checks them (the best
/// run that passes every gate wins), so the page shows which run would be promoted and which gate
/// fails by how much before anything is sent; the train role checks them again.
function promotion(versions, configuration) {
  const experiments = [...new Set(versions.map((v) => v.experiment_name))].sort();
  if (experiments.length === 0) return element("p", {}, "Nothing to promote yet.");
  const newest = versions.reduce((a, b) => (a.created_at > b.created_at ? a : b));
  const experiment = select("promote-experiment", experiments.map((e) => [e, e]), newest.experiment_name);
  const metricNames = [...new Set(versions.flatMap((v) => Object.keys(v.metrics || {})))].sort();
  const metric = select("promote-metric", metricNames.map((m) => [m, m]), metricNames.includes("f1") ? "f1" : metricNames.includes("rmse") ? "rmse" : metricNames[0]);
  const gates = element("textarea", { id: "promote-gates", rows: "3", "aria-describedby": "gates-help" },
    Object.entries(configuration.min_metrics || {}).map(([name, value]) => `${name} ${value}`).join("\n"));
  const help = element("p", { id: "gates-help", class: "help" }, "One gate per line: a metric (or cv_ and a metric) and its bound, e.g. f1 0.8; a bound is a maximum for rmse, mae, mape and log_loss.");
  const check = element("div", { id: "gate-check", "aria-live": "polite" });
  const parsed = () => gates.value.split("\n").map((line) => line.trim()).filter(Boolean).map((line) => {
    const [name, bound, ...rest] = line.split(/\s+/);
    const known = metricNames.includes(name.replace(/^cv_/, ""));
    const problem = rest.length || bound === undefined || !Number.isFinite(Number(bound)) ? "write a metric and a number"
      : !known ? "no run reports this metric" : null;
    return { name, bound: Number(bound), problem, lower: lowerIsBetter.has(name.replace(/^cv_/, "")) };
  });
  // Cross-validated gates (cv_f1) are on the tracked run, not in the registry: the train role checks them.
  const verdict = (version, gate) => {
    const value = (version.metrics || {})[gate.name];
    if (!Number.isFinite(value)) return { value, margin: gate.name.startsWith("cv_") ? undefined : -Infinity };
    return { value, margin: gate.lower ? gate.bound - value : value - gate.bound };
  };
  const preview = () => {
    const list = parsed();
    const lower = lowerIsBetter.has(metric.value);
    const ranked = versions.filter((v) => v.experiment_name === experiment.value && Number.isFinite((v.metrics || {})[metric.value]))
      .sort((a, b) => (a.metrics[metric.value] - b.metrics[metric.value]) * (lower ? 1 : -1));
    if (ranked.length === 0) return check.replaceChildren(element("p", {}, `No run of ${experiment.value} reports ${metric.value}.`));
    const usable = list.filter((g) => !g.problem);
    const passes = (v) => usable.every((g) => !(verdict(v, g).margin < 0));
    const winner = ranked.find(passes);
    const shown = winner || ranked[0];
    const summary = winner
      ? `Would promote ${winner.name} v${winner.version} (${metric.value} ${number(winner.metrics[metric.value])})${winner === ranked[0] ? ", the best" : `, the best that passes every gate (${ranked.indexOf(winner)} better ones fail one)`}.`
      : `No run passes every gate; the best, ${shown.name} v${shown.version}, fails as below.`;
    const rows = list.map((gate) => {
      const bounds = `${gate.lower ? "≤" : "≥"} ${Number.isFinite(gate.bound) ? number(gate.bound) : "?"}`;
      if (gate.problem) return [gate.name, bounds, "", element("span", { class: "status-bad" }, gate.problem)];
      const { value, margin } = verdict(shown, gate);
      if (margin === undefined) return [gate.name, bounds, "", "checked when promoting"];
      if (!Number.isFinite(value)) return [gate.name, bounds, "", element("span", { class: "status-bad" }, "not reported")];
      return [gate.name, bounds, number(value), element("span", { class: margin >= 0 ? "status-ok" : "status-bad" },
        margin >= 0 ? `passes by ${number(margin)}` : `fails by ${number(-margin)}`)];
    });
    check.replaceChildren(element("p", {}, summary),
      rows.length ? table(["gate", "bound", `${shown.name} v${shown.version}`, "result"], rows) : element("p", {}, "No gates: the best run is promoted."));
  };
  for (const control of [experiment, metric, gates]) control.addEventListener("input", preview);
  preview();
  return form("promote-form", [field("Experiment", experiment), field("Metric", metric), field("Gates", gates), help, check], "Promote", async () => {
    const list = parsed();
    const wrong = list.find((g) => g.problem === "write a metric and a number");
    if (wrong) throw new Error(`Gate '${wrong.name}': ${wrong.problem}`);
    await api("POST", "/api/v1/train/fetch-best-model", {
      experiment_name: experiment.value, metric: metric.value, min_metrics: Object.fromEntries(list.map((g) => [g.name, g.bound])) });
    reload();
  });
}

function servingPlan(plan, versions) {
  const holder = element("div", { id: "serving-plan" });
  const champion = plan.champion;
  holder.append(element("p", {}, champion ? `Champion: ${champion.model_name} v${champion.version}, promoted ${when(champion.promoted_at)} by ${champion.promoted_by}.` : "No champion."));
  if (plan.pinned && plan.pinned.length) {
    holder.append(table(["pinned model", "version", ""], plan.pinned.map((p) => [p.model_name, p.version,
      action("Unpin", `Unpin ${p.model_name} v${p.version}`, () => api("DELETE", `/api/v1/train/models/${encodeURIComponent(p.model_name)}/pin?version=${encodeURIComponent(p.version)}`))])));
  }
  const challenger = plan.challenger;
  if (challenger) {
    holder.append(element("p", {}, `Challenger: ${challenger.model.model_name} v${challenger.model.version}, ${challenger.mode === "shadow" ? "in shadow" : `canary on ${number(challenger.share * 100, 1)}% of requests`}. `,
      action("Promote the challenger", "Promote the challenger", () => api("POST", "/api/v1/train/canary/promote")), " ",
      action("Remove the challenger", "Remove the challenger", () => api("DELETE", "/api/v1/train/canary"))));
  }
  const names = [...new Set(versions.map((v) => v.name))];
  if (!champion || names.length === 0) return holder;
  const name = select("challenger-name", names.map((n) => [n, n]), names.find((n) => n !== champion.model_name) || names[0]);
  const version = element("input", { id: "challenger-version", placeholder: "the newest" });
  const mode = select("challenger-mode", [["canary", "canary: answers a share of requests"], ["shadow", "shadow: predicts on a copy, never answers"]], "canary");
  const share = element("input", { id: "challenger-share", type: "number", min: "0", max: "100", step: "1", value: "10" });
  holder.append(form("challenger-form", [field("Challenger", name), field("Version", version), field("Mode", mode), field("Canary share (%)", share)],
    "Set the challenger", async () => {
      const body = { challenger: name.value, mode: mode.value };
      if (version.value) body.version = version.value;
      if (mode.value === "canary") body.share = Number(share.value) / 100;
      await api("PUT", "/api/v1/train/canary", body);
      reload();
    }));
  return holder;
}
