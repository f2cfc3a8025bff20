// A Secure Score trend as an inline SVG line chart, with the figures in a table for screen readers.
import { h } from "./ui.js";

const NS = "http://www.w3.org/2000/svg";

function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const c of children) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

// points: [{ date: "YYYY-MM-DD", currentScore, maxScore }]
export function scoreChart(points, title) {
  const W = 400;
  const H = 190;
  const pad = { left: 34, right: 10, top: 14, bottom: 30 };
  const max = Math.max(...points.map((p) => p.maxScore || p.currentScore), 1);
  const times = points.map((p) => Date.parse(p.date));
  const t0 = Math.min(...times);
  const t1 = Math.max(...times);
  const x = (t) => pad.left + (t1 === t0 ? (W - pad.left - pad.right) / 2 : ((t - t0) / (t1 - t0)) * (W - pad.left - pad.right));
  const y = (v) => pad.top + (1 - v / max) * (H - pad.top - pad.bottom);
  const first = points[0];
  const last = points[points.length - 1];
  const label = `${title}: ${points.length} daily scores from ${first.date} to ${last.date}; from ${first.currentScore} to ${last.currentScore} of ${last.maxScore ?? max}.`;
  const ticks = [0, 0.5, 1].map((f) => Math.round(max * f));
  const chart = svg(
    "svg",
    { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": label },
    svg("title", {}, label),
    ...ticks.map((v) => svg("line", { class: "grid", x1: pad.left, x2: W - pad.right, y1: y(v), y2: y(v) })),
    ...ticks.map((v) => svg("text", { x: pad.left - 6, y: y(v) + 4, "text-anchor": "end" }, v)),
    svg("line", { class: "axis", x1: pad.left, x2: W - pad.right, y1: H - pad.bottom, y2: H - pad.bottom }),
    svg("text", { x: pad.left, y: H - 8 }, first.date),
    svg("text", { x: W - pad.right, y: H - 8, "text-anchor": "end" }, last.date),
    svg("polyline", { class: "line", points: points.map((p, i) => `${x(times[i])},${y(p.currentScore)}`).join(" ") }),
    ...points.map((p, i) => svg("circle", { class: "dot", cx: x(times[i]), cy: y(p.currentScore), r: 3 })),
  );
  const figures = h(
    "details",
    {},
    h("summary", {}, "The figures"),
    h(
      "table",
      {},
      h("caption", {}, title),
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Day"), h("th", { scope: "col", class: "num" }, "Score"), h("th", { scope: "col", class: "num" }, "Of"))),
      h("tbody", {}, points.map((p) => h("tr", {}, h("td", {}, p.date), h("td", { class: "num" }, String(p.currentScore)), h("td", { class: "num" }, p.maxScore == null ? "—" : String(p.maxScore))))),
    ),
  );
  return h("div", { class: "chart" }, chart, figures);
}
