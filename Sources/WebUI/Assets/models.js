// Models: what is served now, and for admins the registry, promotion through the gates, pinned
// versions and the canary or shadow challenger.
"use strict";

import { api, bytes, element, field, form, heading, isAdmin, link, number, reload, select, table, when } from "./core.js";
import { lowerIsBetter } from "./training.js";

export async function models() {
  const page = element("div", {}, heading(1, "Models"));
  const served = await api("GET", "/api/v1/predict/models");
  page.append(heading(2, "Served now"), table(
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

const action = (label, run) => {
  const button = element("button", { type: "button" }, label);
  button.addEventListener("click", async () => {
    button.disabled = true;
    try { await run(); reload(); } catch (error) { button.replaceWith(element("span", { role: "alert" }, error.message)); }
  });
  return button;
};

function registryTable(versions, plan) {
  const pinned = new Set((plan.pinned || []).map((p) => `${p.model_name}@${p.version}`));
  const challenger = plan.challenger && plan.challenger.model;
  return table(["model", "version", "aliases", "f1 / rmse", "trained", ""], versions.map((v) => {
    const aliases = [v.champion ? "champion" : null, pinned.has(`${v.name}@${v.version}`) ? "pinned" : null,
      challenger && challenger.model_name === v.name && challenger.version === v.version ? `challenger (${plan.challenger.mode})` : null].filter(Boolean);
    const metrics = v.metrics || {};
    const pin = pinned.has(`${v.name}@${v.version}`)
      ? action(`Unpin ${v.name} v${v.version}`, () => api("DELETE", `/api/v1/train/models/${encodeURIComponent(v.name)}/pin?version=${encodeURIComponent(v.version)}`))
      : action(`Pin ${v.name} v${v.version}`, () => api("POST", `/api/v1/train/models/${encodeURIComponent(v.name)}/pin`, { version: v.version }));
    return [link(`#/run/${encodeURIComponent(v.run_id)}`, v.name), v.version, aliases.join(", "), number(metrics.f1 ?? metrics.rmse), when(v.created_at), v.champion ? "" : pin];
  }));
}

/// The gates the promotion applies, checked here against the best candidate first so the page
/// shows which fails and by how much; the train role checks them again when asked to promote.
function promotion(versions, configuration) {
  const experiments = [...new Set(versions.map((v) => v.experiment_name))].sort();
  if (experiments.length === 0) return element("p", {}, "Nothing to promote yet.");
  const newest = versions.reduce((a, b) => (a.created_at > b.created_at ? a : b));
  const experiment = select("promote-experiment", experiments.map((e) => [e, e]), newest.experiment_name);
  const metricNames = [...new Set(versions.flatMap((v) => Object.keys(v.metrics || {})))].sort();
  const metric = select("promote-metric", metricNames.map((m) => [m, m]), metricNames.includes("f1") ? "f1" : metricNames.includes("rmse") ? "rmse" : metricNames[0]);
  const gates = element("textarea", { id: "promote-gates", rows: "3", "aria-describedby": "gates-help" },
    Object.entries(configuration.min_metrics || {}).map(([name, value]) => `${name} ${value}`).join("\n"));
  const help = element("p", { id: "gates-help", class: "help" }, "One gate per line: a metric and its bound, e.g. f1 0.8 (at most, for rmse, mae, mape and log_loss).");
  const check = element("div", { id: "gate-check", "aria-live": "polite" });
  const parsed = () => Object.fromEntries(gates.value.split("\n").map((line) => line.trim().split(/\s+/)).filter((p) => p.length === 2 && p[0])
    .map(([name, value]) => [name, Number(value)]));
  const preview = () => {
    const candidates = versions.filter((v) => v.experiment_name === experiment.value && Number.isFinite((v.metrics || {})[metric.value]));
    const lower = lowerIsBetter.has(metric.value);
    const best = candidates.sort((a, b) => (a.metrics[metric.value] - b.metrics[metric.value]) * (lower ? 1 : -1))[0];
    if (!best) return check.replaceChildren(element("p", {}, `No run of ${experiment.value} reports ${metric.value}.`));
    const rows = Object.entries(parsed()).map(([name, bound]) => {
      // Cross-validated gates (cv_f1) are on the tracked run, not in the registry: the train role checks them.
      const value = (best.metrics || {})[name];
      const low = lowerIsBetter.has(name.replace(/^cv_/, ""));
      const bounds = `${low ? "≤" : "≥"} ${number(bound)}`;
      if (!Number.isFinite(value)) return [name, bounds, "", name.startsWith("cv_") ? "checked when promoting" : element("span", { class: "status-bad" }, "not reported")];
      const margin = low ? bound - value : value - bound;
      return [name, bounds, number(value), element("span", { class: margin >= 0 ? "status-ok" : "status-bad" },
        margin >= 0 ? `passes by ${number(margin)}` : `fails by ${number(-margin)}`)];
    });
    check.replaceChildren(element("p", {}, `Best by ${metric.value}: ${best.name} v${best.version} (${number(best.metrics[metric.value])}).`),
      rows.length ? table(["gate", "bound", "value", "result"], rows) : element("p", {}, "No gates: the best run is promoted."));
  };
  for (const control of [experiment, metric, gates]) control.addEventListener("input", preview);
  preview();
  return form("promote-form", [field("Experiment", experiment), field("Metric", metric), field("Gates", gates), help, check], "Promote the best", async () => {
    await api("POST", "/api/v1/train/fetch-best-model", { experiment_name: experiment.value, metric: metric.value, min_metrics: parsed() });
    reload();
  });
}

function servingPlan(plan, versions) {
  const holder = element("div", { id: "serving-plan" });
  const champion = plan.champion;
  holder.append(element("p", {}, champion ? `Champion: ${champion.model_name} v${champion.version}, promoted ${when(champion.promoted_at)} by ${champion.promoted_by}.` : "No champion."));
  if (plan.pinned && plan.pinned.length) {
    holder.append(table(["pinned model", "version", ""], plan.pinned.map((p) => [p.model_name, p.version,
      action(`Unpin ${p.model_name} v${p.version}`, () => api("DELETE", `/api/v1/train/models/${encodeURIComponent(p.model_name)}/pin?version=${encodeURIComponent(p.version)}`))])));
  }
  const challenger = plan.challenger;
  if (challenger) {
    holder.append(element("p", {}, `Challenger: ${challenger.model.model_name} v${challenger.model.version}, ${challenger.mode === "shadow" ? "in shadow" : `canary on ${number(challenger.share * 100, 1)}% of requests`}. `,
      action("Promote the challenger", () => api("POST", "/api/v1/train/canary/promote")), " ",
      action("Remove the challenger", () => api("DELETE", "/api/v1/train/canary"))));
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
