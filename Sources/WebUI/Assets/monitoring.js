// Monitoring: the last hour's prediction rate and latency, live metrics from feedback beside
// the held-out figures, and drift per feature, each as a chart with its figures in a table.
"use strict";

import { api, element, every, heading, number, table } from "./core.js";
import { barChart, lineChart } from "./charts.js";

export async function monitoring() {
  const page = element("div", {}, heading(1, "Monitoring"));
  const trafficHolder = element("div", { id: "traffic" });
  const [drift, performance] = await Promise.all([api("GET", "/api/v1/predict/drift"), api("GET", "/api/v1/predict/performance")]);
  page.append(heading(2, "Traffic on this replica, last hour"), trafficHolder);
  const drawTraffic = async () => trafficHolder.replaceChildren(...traffic(await api("GET", "/api/v1/predict/traffic")));
  await drawTraffic();
  every(10000, drawTraffic);

  page.append(heading(2, "Live metrics from feedback"));
  for (const model of performance.models) {
    const names = Object.keys(model.metrics || {}).sort();
    const title = `${model.model_name} v${model.model_version} (${model.arm}), ${model.feedback} feedback`;
    if (names.length === 0) { page.append(element("p", {}, `${title}: no feedback yet.`)); continue; }
    const heldOut = model.held_out || {};
    page.append(heading(3, title),
      captioned("Live (solid bar) beside held-out (outlined bar)", barChart(names.map((name) => ({ name, value: model.metrics[name], reference: heldOut[name] })),
        { label: `${title}: live (solid) beside held-out (outlined)` })),
      table(["metric", "live", "held out"], names.map((name) => [name, number(model.metrics[name]), number(heldOut[name])])));
  }

  page.append(heading(2, `Drift over the last ${drift.window} records per model`));
  for (const model of drift.models) {
    const title = `${model.model_name} v${model.model_version} (${model.arm}), ${model.records} records`;
    if (!model.reference) { page.append(element("p", {}, `${title}: its bundle has no training profile.`)); continue; }
    const entries = [...(model.features || []), ...(model.prediction ? [model.prediction] : [])];
    // Over the threshold without being flagged: the window holds too few records to judge.
    const state = (e) => (e.drifted ? "drifted" : e.value > e.threshold ? "too few records" : "stable");
    page.append(heading(3, title));
    for (const statistic of [...new Set(entries.map((e) => e.statistic))]) {
      const group = entries.filter((e) => e.statistic === statistic);
      const what = statistic === "psi" ? "Population stability index" : "Jensen–Shannon distance";
      page.append(captioned(`${what}, the threshold dashed; ✘ drifted`, barChart(group.map((e) => ({ name: e.name, value: e.value, flagged: e.drifted })),
        { label: `${title}: ${statistic} per feature`, threshold: group[0].threshold })));
    }
    page.append(table(["", "feature", "statistic", "value", "threshold"], entries.map((e) => [
      element("span", { class: e.drifted ? "status-bad" : "status-ok" }, state(e)), e.name, e.statistic, number(e.value), number(e.threshold)])));
  }
  return page;
}

const captioned = (caption, chart) => element("figure", {}, chart, element("figcaption", {}, caption));

function traffic(report) {
  if (report.models.length === 0) return [element("p", {}, "No predictions served in the last hour.")];
  const series = (value) => report.models.map((m) => ({
    name: `${m.model_name} v${m.model_version} ${m.arm}`,
    points: m.points.filter((p) => Number.isFinite(value(p))).map((p) => [Date.parse(p.at), value(p)]),
  }));
  const chart = (label, value, unit) => captioned(label, lineChart(series(value), { label, unit }));
  return [
    chart("Requests per second", (p) => p.requests_per_second, "/s"),
    chart("Model time p99 (ms)", (p) => p.p99_ms, " ms"),
    chart("Model time p50 (ms)", (p) => p.p50_ms, " ms"),
  ];
}
