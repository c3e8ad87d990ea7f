// Charts drawn as SVG in the page: no library, no inline style (the policy forbids it), colours
// from app.css classes, and every value also written as text so no chart needs colour to be read.
"use strict";

const namespace = "http://www.w3.org/2000/svg";

export function svg(tag, attributes = {}, ...children) {
  const node = document.createElementNS(namespace, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

const shorten = (text, length) => (text.length > length ? text.slice(0, length - 1) + "…" : text);
const format3 = (value) => (Number.isFinite(value) ? String(Number(value.toPrecision(3))) : "");

function figure(label, width, height, children) {
  return svg("svg", { viewBox: `0 0 ${width} ${height}`, class: "chart", role: "img", "aria-label": label },
    svg("title", {}, label), children);
}

/// Horizontal bars, one row per item: `{ name, value, reference?, flagged? }`. A reference (the
/// held-out figure beside a live one) is an outlined bar under the solid one; a threshold is a
/// dashed line. Flagged rows carry a ✘ before their value.
export function barChart(items, { label, threshold, format = format3, max } = {}) {
  const withReference = items.some((i) => Number.isFinite(i.reference));
  const row = 24, left = 170, right = withReference ? 130 : 80, width = 600;
  const values = items.flatMap((i) => [i.value, i.reference]).filter(Number.isFinite);
  const top = Math.max(max ?? 0, threshold ?? 0, ...values, 1e-12);
  const scale = (value) => (Math.max(0, value) / top) * (width - left - right);
  const height = items.length * row + 24;
  const children = items.map((item, index) => {
    const y = index * row + 4;
    const parts = [svg("text", { x: left - 6, y: y + 14, class: "label", "text-anchor": "end" }, svg("title", {}, item.name), shorten(item.name, 26))];
    if (Number.isFinite(item.reference)) parts.push(svg("rect", { x: left, y: y + 1, width: scale(item.reference), height: row - 6, class: "reference" }));
    if (Number.isFinite(item.value)) {
      parts.push(svg("rect", { x: left, y: y + (Number.isFinite(item.reference) ? 6 : 2), width: Math.max(1, scale(item.value)),
        height: Number.isFinite(item.reference) ? row - 16 : row - 8, class: item.flagged ? "bar flagged" : "bar" }));
    }
    const text = `${item.flagged ? "✘ " : ""}${format(item.value)}${Number.isFinite(item.reference) ? ` / ${format(item.reference)}` : ""}`;
    parts.push(svg("text", { x: width - right + 4, y: y + 14, class: "value" }, text));
    return svg("g", {}, parts);
  });
  if (Number.isFinite(threshold)) {
    const x = left + scale(threshold);
    children.push(svg("line", { x1: x, x2: x, y1: 0, y2: height - 18, class: "threshold" }),
      svg("text", { x, y: height - 4, class: "axis", "text-anchor": "middle" }, `threshold ${format(threshold)}`));
  }
  return figure(label, width, height, children);
}

/// A column's distribution: ten bins from min to max, each with its range and count as a tooltip.
export function histogram(counts, min, max, label) {
  const width = 160, height = 40, step = width / counts.length;
  const top = Math.max(1, ...counts);
  const binWidth = (max - min) / counts.length;
  return figure(label, width, height, counts.map((count, index) =>
    svg("rect", { x: index * step + 1, y: height - (count / top) * height, width: step - 2, height: Math.max(count > 0 ? 1 : 0, (count / top) * height), class: "bar" },
      svg("title", {}, `${format3(min + index * binWidth)} to ${format3(min + (index + 1) * binWidth)}: ${count}`))));
}

/// Lines over time: `series` are `{ name, points: [[milliseconds, value]] }`, told apart by dash
/// pattern as well as colour, with the newest value of each written in the legend.
export function lineChart(series, { label, unit = "", format = format3 } = {}) {
  const width = 600, left = 56, right = 12, top = 12, bottom = 28 + 18 * series.length, height = 150 + bottom;
  const points = series.flatMap((s) => s.points);
  if (points.length === 0) return figure(label, width, 40, [svg("text", { x: 8, y: 24, class: "axis" }, "no data yet")]);
  const times = points.map((p) => p[0]);
  const start = Math.min(...times), end = Math.max(...times, start + 1);
  const high = Math.max(...points.map((p) => p[1]), 1e-12) * 1.1;
  const x = (t) => left + ((t - start) / (end - start)) * (width - left - right);
  const y = (v) => top + (1 - v / high) * (height - top - bottom);
  const children = [
    svg("line", { x1: left, x2: width - right, y1: y(0), y2: y(0), class: "axis-line" }),
    svg("line", { x1: left, x2: left, y1: top, y2: y(0), class: "axis-line" }),
    svg("text", { x: left - 4, y: top + 8, class: "axis", "text-anchor": "end" }, format(high)),
    svg("text", { x: left - 4, y: y(0), class: "axis", "text-anchor": "end" }, "0"),
    svg("text", { x: left, y: height - bottom + 16, class: "axis" }, new Date(start).toLocaleTimeString()),
    svg("text", { x: width - right, y: height - bottom + 16, class: "axis", "text-anchor": "end" }, new Date(end).toLocaleTimeString()),
  ];
  series.forEach((s, index) => {
    if (s.points.length === 0) return;
    const path = s.points.map((p, i) => `${i === 0 ? "M" : "L"}${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join(" ");
    children.push(svg("path", { d: path, class: `line line-${index % 4}` }));
    // A line needs two points; until there are enough to read as a line, each is marked.
    if (s.points.length < 30) {
      for (const p of s.points) children.push(svg("circle", { cx: x(p[0]).toFixed(1), cy: y(p[1]).toFixed(1), r: 3, class: `point line-${index % 4}` }));
    }
    const latest = s.points[s.points.length - 1][1];
    const legendY = height - bottom + 36 + index * 18;
    children.push(svg("line", { x1: left, x2: left + 24, y1: legendY - 4, y2: legendY - 4, class: `line line-${index % 4}` }),
      svg("text", { x: left + 30, y: legendY, class: "axis" }, `${shorten(s.name, 60)}: ${format(latest)}${unit} now`));
  });
  return figure(label, width, height, children);
}
