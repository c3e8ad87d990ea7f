// Training: start a job, watch it, compare what it made. The leaderboard is the registry's
// versions per experiment; a run page reads the run back from the tracker with its plots.
"use strict";

import { api, element, field, form, heading, imageURL, jobProgress, link, number, recentJobs, select, sortableTable, table, when } from "./core.js";
import { barChart } from "./charts.js";

const modelTypes = ["baseline", "logistic_regression", "linear_regression", "decision_tree", "random_forest", "gradient_boosting"];
const metrics = ["f1", "accuracy", "roc_auc", "precision", "recall", "f1_macro", "log_loss", "rmse", "mae", "r2", "mape"];
/// Lower is better for these; every other metric, higher.
export const lowerIsBetter = new Set(["rmse", "mae", "mape", "log_loss"]);
const runLink = (runID, text) => link(`#/run/${encodeURIComponent(runID)}`, text);

export async function training(preselected) {
  const page = element("div", {}, heading(1, "Training"));
  const [versions, configuration, registry] = await Promise.all([
    api("GET", "/api/v1/data/versions?limit=100"), api("GET", "/api/v1/train/config"), api("GET", "/api/v1/train/models")]);
  page.append(heading(2, "Start a job"), trainForm(versions.versions, configuration, preselected));
  page.append(heading(2, "Jobs"), await recentJobs(["train"]));
  page.append(heading(2, "Leaderboard"), leaderboard(registry));
  return page;
}

function trainForm(versions, configuration, preselected) {
  const version = select("train-version", [["", "the newest"], ...versions.map((v) => [v.version, `${v.version} (${v.kind}, ${when(v.created_at)})`])], preselected || "");
  const chosen = new Set(configuration.model_types || []);
  const types = element("fieldset", { id: "train-types" }, element("legend", {}, "Model types"), modelTypes.map((type) =>
    element("div", { class: "check" }, element("input", { type: "checkbox", id: `type-${type}`, value: type, checked: chosen.has(type) }),
      element("label", { for: `type-${type}` }, type.replace(/_/g, " ")))));
  const metric = select("train-metric", [["", "the task's default"], ...metrics.map((m) => [m, m])], "");
  const imbalance = select("train-imbalance", ["auto", "none", "class_weights", "smote"].map((i) => [i, i]), configuration.imbalance || "auto");
  const experiment = element("input", { id: "train-experiment", value: configuration.experiment_name || "mlopsd", required: true, maxlength: "200" });
  const tune = element("input", { id: "train-tune", type: "checkbox" });
  const trials = element("input", { id: "train-trials", type: "number", min: "1", max: "500", value: "20" });
  const method = select("train-method", [["random", "random search"], ["halving", "successive halving"]], "random");
  const progress = element("div", { id: "train-progress" });
  return element("div", {}, form("train-form", [
    field("Data version", version), types, field("Metric", metric), field("Imbalance", imbalance), field("Experiment", experiment),
    element("div", { class: "check" }, tune, element("label", { for: "train-tune" }, "Tune hyperparameters")),
    field("Trials per model type", trials), field("Search", method),
  ], "Train", async () => {
    const body = { experiment_name: experiment.value, imbalance: imbalance.value,
      model_types: [...types.querySelectorAll("input:checked")].map((input) => input.value) };
    if (version.value.startsWith("fs-")) body.features_version = version.value;
    if (version.value.startsWith("pp-")) body.processed_version = version.value;
    if (metric.value) body.metric = metric.value;
    if (tune.checked) body.tuning = { trials: Number(trials.value), method: method.value };
    const accepted = await api("POST", "/api/v1/train", body);
    progress.replaceChildren(jobProgress("train", accepted.job_id, (job) => {
      if (job.status !== "completed") return;
      const result = job.result;
      progress.append(table(["", "model", "version", result.metric, "fit"], result.leaderboard.map((entry, index) => [
        index === 0 ? "best" : "", entry.run_id ? runLink(entry.run_id, entry.model_name) : entry.model_name, entry.version || "",
        number(entry.metrics[result.metric]), `${number(entry.fit_seconds, 2)} s`]), `Experiment ${result.experiment_name}, by ${result.metric}`));
    }));
  }), progress);
}

/// Every registered version of an experiment, sortable by any metric; two ticked rows compare.
function leaderboard(registry) {
  const versions = (registry.models || []).flatMap((m) => (m.versions || []).map((v) => ({ ...v, model_type: m.model_type })));
  if (versions.length === 0) return element("p", {}, "No model trained yet.");
  const experiments = [...new Set(versions.map((v) => v.experiment_name))].sort();
  const holder = element("div", { id: "leaderboard" });
  const chooser = select("leaderboard-experiment", experiments.map((e) => [e, e]), versions.reduce((a, b) => (a.created_at > b.created_at ? a : b)).experiment_name);
  const ticked = new Set();
  const compare = element("button", { type: "button", id: "compare", disabled: true }, "Compare the two ticked runs");
  compare.addEventListener("click", () => { location.hash = `#/compare/${[...ticked].map(encodeURIComponent).join("/")}`; });
  const draw = () => {
    ticked.clear();
    compare.disabled = true;
    const rows = versions.filter((v) => v.experiment_name === chooser.value);
    const names = [...new Set(rows.flatMap((v) => Object.keys(v.metrics || {})))].sort();
    const first = names.includes("f1") ? "f1" : names.includes("rmse") ? "rmse" : names[0];
    const columns = [
      { label: "compare", render: (v) => {
        const box = element("input", { type: "checkbox", "aria-label": `compare ${v.name} v${v.version}`, checked: ticked.has(v.run_id) });
        box.addEventListener("change", () => {
          if (box.checked) ticked.add(v.run_id); else ticked.delete(v.run_id);
          compare.disabled = ticked.size !== 2;
        });
        return box;
      } },
      { label: "model", value: (v) => v.name, render: (v) => [runLink(v.run_id, v.name), v.champion ? " (champion)" : ""] },
      { label: "version", value: (v) => Number(v.version), render: (v) => v.version },
      ...names.map((name) => ({ label: name, value: (v) => (v.metrics || {})[name], descending: !lowerIsBetter.has(name), render: (v) => number((v.metrics || {})[name]) })),
      { label: "trained", value: (v) => v.created_at, descending: true, render: (v) => when(v.created_at) },
    ];
    holder.replaceChildren(sortableTable(columns, rows, { sortBy: 3 + names.indexOf(first), descending: !lowerIsBetter.has(first),
      caption: `Experiment ${chooser.value}: ${rows.length} runs; pick a column to sort` }));
  };
  chooser.addEventListener("change", draw);
  draw();
  return element("div", {}, field("Experiment", chooser), holder, compare);
}

async function plots(detail) {
  return element("div", { class: "plots" }, await Promise.all(detail.plots.map(async (plot) => {
    const source = await imageURL(`/api/v1/train/runs/${encodeURIComponent(detail.run_id)}/plots/${plot}`);
    const image = element("img", { src: source, alt: `${plot.replace(/_/g, " ")} of ${detail.name}`, width: "480", height: "400" });
    // Once drawn, the image keeps its pixels; the blob can go.
    image.addEventListener("load", () => URL.revokeObjectURL(source), { once: true });
    return element("figure", {}, image, element("figcaption", {}, plot.replace(/_/g, " ")));
  })));
}

const sortedEntries = (object) => Object.entries(object || {}).sort(([a], [b]) => (a < b ? -1 : 1));

export async function run(runID) {
  const detail = await api("GET", `/api/v1/train/runs/${encodeURIComponent(runID)}`);
  const page = element("div", {}, heading(1, `Run ${detail.tags.model_type || detail.name}`));
  page.append(element("dl", { class: "facts" }, [["run", detail.run_id], ["status", detail.status], ["started", when(detail.start_time)], ["ended", when(detail.end_time)],
    ["data", detail.tags.features_version || detail.tags.processed_version || detail.tags.data_version], ["job", detail.tags.mlopsd_job_id]]
    .filter(([, value]) => value).map(([name, value]) => [element("dt", {}, name), element("dd", {}, value)])));
  page.append(heading(2, "Metrics"), table(["metric", "value"], sortedEntries(detail.metrics).map(([name, value]) => [name, number(value)])));
  if (detail.feature_importance.length) {
    const top = detail.feature_importance.slice(0, 15);
    page.append(heading(2, "Feature importance"), barChart(top.map((f) => ({ name: f.feature, value: f.importance })), { label: `${detail.name}: the ${top.length} most important features` }));
  }
  page.append(heading(2, "Plots"), await plots(detail));
  page.append(heading(2, "Parameters"), table(["parameter", "value"], sortedEntries(detail.params)));
  page.append(heading(2, "Tags"), table(["tag", "value"], sortedEntries(detail.tags)));
  return page;
}

/// Two runs side by side: metrics with their difference, parameters with the differing ones
/// marked, and their plots.
export async function compareRuns(first, second) {
  const [a, b] = await Promise.all([first, second].map((id) => api("GET", `/api/v1/train/runs/${encodeURIComponent(id)}`)));
  const title = (r) => `${r.tags.model_type || r.name} (${r.run_id.slice(0, 8)})`;
  const page = element("div", {}, heading(1, `Compare ${title(a)} and ${title(b)}`));
  const metricNames = [...new Set([...Object.keys(a.metrics), ...Object.keys(b.metrics)])].sort();
  page.append(heading(2, "Metrics"), table(["metric", title(a), title(b), "difference"], metricNames.map((name) => {
    const difference = b.metrics[name] - a.metrics[name];
    return [name, number(a.metrics[name]), number(b.metrics[name]), Number.isFinite(difference) ? (difference > 0 ? "+" : "") + number(difference) : ""];
  })));
  const paramNames = [...new Set([...Object.keys(a.params), ...Object.keys(b.params)])].sort();
  page.append(heading(2, "Parameters"), table(["parameter", title(a), title(b), ""], paramNames.map((name) =>
    [name, a.params[name] ?? "—", b.params[name] ?? "—", a.params[name] === b.params[name] ? "" : element("strong", {}, "differs")])));
  page.append(heading(2, "Plots"), element("div", { class: "side-by-side" },
    element("section", {}, heading(3, title(a)), await plots(a)), element("section", {}, heading(3, title(b)), await plots(b))));
  return page;
}
