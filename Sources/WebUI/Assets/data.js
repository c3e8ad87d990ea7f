// Datasets: upload with progress, each dataset's profile, and the versions made from it
// (raw → processed split → feature set) with the parameters that made them.
"use strict";

import { api, bytes, element, field, form, heading, jobProgress, link, number, percent, select, table, upload, when } from "./core.js";
import { barChart, histogram } from "./charts.js";

const datasetLink = (id) => link(`#/dataset/${encodeURIComponent(id)}`, id);
const versionLink = (version) => link(`#/version/${encodeURIComponent(version)}`, version);
const parentLink = (parent) => (parent.startsWith("ds-") ? datasetLink(parent) : versionLink(parent));

export async function datasets() {
  const page = element("div", {}, heading(1, "Datasets"));
  page.append(uploadForm());
  const [listing, versions] = await Promise.all([api("GET", "/api/v1/data/datasets?limit=100"), api("GET", "/api/v1/data/versions?limit=100")]);
  page.append(heading(2, "Uploaded"), table(["dataset", "name", "rows", "columns", "size", "uploaded"],
    listing.datasets.map((d) => [datasetLink(d.id), d.name, String(d.rows), String(d.columns), bytes(d.size), `${when(d.created_at)} by ${d.uploaded_by}`])));
  page.append(heading(2, "Versions"), versionTable(versions.versions));
  return page;
}

function versionTable(versions) {
  return table(["version", "kind", "made from", "size", "created"],
    versions.map((v) => [versionLink(v.version), v.kind, parentLink(v.parent), bytes(v.size), `${when(v.created_at)} by ${v.created_by}`]));
}

function uploadForm() {
  const file = element("input", { id: "upload-file", type: "file", accept: ".csv,text/csv", required: true });
  const name = element("input", { id: "upload-name", pattern: "[A-Za-z0-9][A-Za-z0-9._\\-]{0,99}", placeholder: "the file's name" });
  const progress = element("progress", { id: "upload-progress", max: "1", value: "0", "aria-label": "upload progress" });
  const status = element("span", { role: "status", id: "upload-status" });
  return element("section", { "aria-labelledby": "upload-title" }, heading(2, "Upload a CSV"),
    form("upload-form", [field("CSV file", file), field("Name (optional)", name), element("p", {}, progress, " ", status)], "Upload", async () => {
      const body = new FormData();
      body.append("file", file.files[0]);
      if (name.value) body.append("name", name.value);
      status.textContent = "uploading";
      const detail = await upload("/api/v1/data/datasets", body, (fraction) => {
        progress.value = fraction;
        status.textContent = fraction < 1 ? `uploading ${percent(fraction, 0)}` : "profiling";
      });
      location.hash = `#/dataset/${encodeURIComponent(detail.id)}`;
    }));
}

export async function dataset(id) {
  const detail = await api("GET", `/api/v1/data/datasets/${encodeURIComponent(id)}`);
  const profile = detail.profile || {};
  const page = element("div", {}, heading(1, `Dataset ${detail.name}`));
  page.append(element("dl", { class: "facts" },
    [["id", detail.id], ["rows", detail.rows], ["columns", detail.columns], ["size", bytes(detail.size)], ["MD5", detail.md5],
      ["duplicate rows", profile.duplicate_rows], ["uploaded", `${when(detail.created_at)} by ${detail.uploaded_by}`]]
      .map(([name, value]) => [element("dt", {}, name), element("dd", {}, String(value ?? ""))])));

  const columns = profile.columns || [];
  const warnings = columns.flatMap((c) => [
    ...c.flags.map((flag) => `${c.name}: ${flag === "id_like" ? "every value distinct, an identifier rather than a feature" : "a single value, no information"}`),
    ...(c.missing_fraction > 0.3 ? [`${c.name}: ${percent(c.missing_fraction)} missing`] : []),
  ]);
  page.append(heading(2, "Warnings"), warnings.length ? element("ul", { id: "warnings" }, warnings.map((w) => element("li", {}, w))) : element("p", {}, "None."));
  page.append(heading(2, "Profile"), table(["column", "kind", "missing", "distinct", "summary", "distribution"], columns.map((c) => [
    c.name, c.kind, `${c.missing} (${percent(c.missing_fraction)})`, String(c.distinct),
    c.min !== undefined ? `min ${number(c.min)}, max ${number(c.max)}, mean ${number(c.mean)}, sd ${number(c.std)}` : "",
    distribution(c),
  ])));

  page.append(heading(2, "Preprocess"), preprocessForm(detail.id, columns));
  page.append(heading(2, "Lineage"), await lineage(detail.id));
  return page;
}

function distribution(column) {
  if (column.histogram) return histogram(column.histogram, column.min, column.max, `${column.name}: histogram of ${column.count} values`);
  if (column.top) {
    return barChart(column.top.map((t) => ({ name: t.value, value: t.count })),
      { label: `${column.name}: most frequent values`, format: (v) => String(v) });
  }
  return "";
}

function preprocessForm(datasetID, columns) {
  const target = select("pp-target", columns.map((c) => [c.name, c.name]), columns.length ? columns[columns.length - 1].name : "");
  const task = select("pp-task", [["", "detect from the target"], ["classification", "classification"], ["regression", "regression"]], "");
  const testSize = element("input", { id: "pp-test-size", type: "number", min: "0.05", max: "0.95", step: "0.05", value: "0.3" });
  const drop = element("input", { id: "pp-drop", placeholder: "column, column" });
  const dedupe = element("input", { id: "pp-dedupe", type: "checkbox", checked: true });
  const progress = element("div", { id: "pp-progress" });
  return element("div", {}, form("preprocess-form", [field("Target", target), field("Task", task), field("Test share", testSize),
    field("Drop columns (comma-separated)", drop), element("div", { class: "check" }, dedupe, element("label", { for: "pp-dedupe" }, "Drop duplicate rows"))],
  "Preprocess", async () => {
    const body = { dataset_id: datasetID, target: target.value, test_size: Number(testSize.value), dedupe: dedupe.checked,
      drop: drop.value.split(",").map((s) => s.trim()).filter(Boolean) };
    if (task.value) body.task = task.value;
    const accepted = await api("POST", "/api/v1/data/preprocess", body);
    progress.replaceChildren(jobProgress("data", accepted.job_id, (job) => {
      if (job.status === "completed") progress.append(element("p", {}, "Processed split ", versionLink(job.result.version), " is ready."));
    }));
  }), progress);
}

/// Everything made from a dataset: its processed splits, and the feature sets built on each.
async function lineage(datasetID) {
  const processed = (await api("GET", `/api/v1/data/versions?parent=${encodeURIComponent(datasetID)}&limit=100`)).versions;
  if (processed.length === 0) return element("p", { id: "lineage" }, "Nothing made from this dataset yet.");
  // One request at a time: a dataset with many splits must not spend the edge's rate budget at once.
  const branches = [];
  for (const p of processed) {
    const features = (await api("GET", `/api/v1/data/versions?parent=${encodeURIComponent(p.version)}&limit=100`)).versions;
    branches.push(element("li", {}, versionLink(p.version), ` processed split, target ${p.manifest.target} (${when(p.created_at)})`,
      features.length ? element("ul", {}, features.map((f) => element("li", {}, versionLink(f.version), ` feature set, ${f.manifest.summary ? f.manifest.summary.feature_count : "?"} features`))) : null));
  }
  return element("ul", { id: "lineage", class: "tree" }, element("li", {}, datasetID, " raw upload", element("ul", {}, branches)));
}

export async function dataVersion(version) {
  const detail = await api("GET", `/api/v1/data/versions/${encodeURIComponent(version)}`);
  const manifest = detail.manifest || {};
  const page = element("div", {}, heading(1, `${detail.kind === "features" ? "Feature set" : "Processed split"} ${detail.version}`));
  page.append(element("dl", { class: "facts" },
    [["made from", parentLink(detail.parent)], ["task", manifest.task], ["target", manifest.target], ["files", `${detail.nfiles}, ${bytes(detail.size)}`],
      ["DVC hash", detail.md5], ["created", `${when(detail.created_at)} by ${detail.created_by}`]]
      .filter(([, value]) => value !== undefined).map(([name, value]) => [element("dt", {}, name), element("dd", {}, value)])));
  page.append(heading(2, "Lineage"), table(["input", "kind", "MD5"], (manifest.inputs || []).map((i) => [parentLink(i.id), i.kind, i.md5])));
  page.append(heading(2, "Parameters"), table(["parameter", "value"],
    Object.entries(manifest.parameters || {}).map(([name, value]) => [name, typeof value === "object" ? JSON.stringify(value) : String(value)])));
  const report = manifest.report || manifest.summary;
  if (report) {
    page.append(heading(2, detail.kind === "features" ? "Summary" : "Report"), table(["", ""],
      Object.entries(report).filter(([name]) => name !== "feature_names").map(([name, value]) =>
        [name, typeof value === "object" ? JSON.stringify(value) : String(value)])));
  }
  if (detail.kind === "processed") {
    const children = (await api("GET", `/api/v1/data/versions?parent=${encodeURIComponent(version)}&limit=100`)).versions;
    page.append(heading(2, "Feature sets built from it"), children.length ? versionTable(children) : element("p", {}, "None yet."));
    page.append(heading(2, "Build features"), featuresForm(version));
  }
  page.append(element("p", {}, link(`#/training/${encodeURIComponent(version)}`, "Train on this version")));
  return page;
}

function featuresForm(processedVersion) {
  const encoding = select("fs-encoding", [["one_hot", "one-hot"], ["ordinal", "ordinal"]], "one_hot");
  const imbalance = select("fs-imbalance", [["none", "none"], ["class_weights", "class weights"], ["smote", "SMOTE"]], "none");
  const maxCategories = element("input", { id: "fs-max-categories", type: "number", min: "1", value: "20" });
  const checks = [["fs-scale", "Scale numeric columns", true], ["fs-datetime", "Expand date-times", true], ["fs-missing", "Add missing-value indicators", false]]
    .map(([id, text, checked]) => element("div", { class: "check" }, element("input", { id, type: "checkbox", checked }), element("label", { for: id }, text)));
  const progress = element("div", { id: "fs-progress" });
  return element("div", {}, form("features-form", [field("Encoding", encoding), field("Imbalance", imbalance), field("Most categories per column", maxCategories), checks],
    "Build features", async () => {
      const box = (id) => document.getElementById(id).checked;
      const accepted = await api("POST", "/api/v1/data/build-features", { processed_version: processedVersion, options: {
        encoding: encoding.value, imbalance: imbalance.value, max_categories: Number(maxCategories.value),
        scale: box("fs-scale"), expand_datetime: box("fs-datetime"), missing_indicators: box("fs-missing") } });
      progress.replaceChildren(jobProgress("data", accepted.job_id, (job) => {
        if (job.status === "completed") progress.append(element("p", {}, "Feature set ", versionLink(job.result.version), " is ready. ", link(`#/training/${encodeURIComponent(job.result.version)}`, "Train on it")));
      }));
    }), progress);
}
