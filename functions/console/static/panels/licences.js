// Licences (the unused-licence report, CSV) and each mapped client's Secure Score trend.
import { get } from "../api.js";
import { scoreChart } from "../chart.js";
import { loadDirectory } from "../data.js";
import { download, h, loadError, panel, table, when } from "../ui.js";

const SKUS = {
  SPB: "Microsoft 365 Business Premium",
  O365_BUSINESS_PREMIUM: "Microsoft 365 Business Standard",
  O365_BUSINESS: "Microsoft 365 Apps for business",
  O365_BUSINESS_ESSENTIALS: "Microsoft 365 Business Basic",
};

const unknown = (v) => (v === null || v === undefined ? h("span", { class: "muted", title: "unknown: the tenant has no Entra ID P1" }, "unknown") : String(v));

export async function show(view, route, ctx) {
  const { body } = panel(
    view,
    "Licences and Secure Score",
    "Licences as of each tenant's last full sync: what is paid for, what is used, and what could be reclaimed. And each client's Microsoft Secure Score over time.",
  );
  const report = h("div");
  const scores = h("div");
  body.append(
    h("h2", {}, "Unused licences"),
    h("div", { class: "toolbar" }, download("/api/licenses?format=csv", "Download the licence report (CSV)", "licenses.csv")),
    report,
    h("h2", {}, "Secure Score"),
    scores,
  );
  const drawReport = async () => {
    let rows;
    try {
      rows = await get("/licenses");
    } catch (err) {
      loadError(report, "the licence report", err, drawReport);
      return;
    }
    report.replaceChildren(
      table(
        "Licences per tenant and product",
        [
          { label: "Tenant", cell: (r) => r.tenantName || r.tenantId },
          { label: "Product", cell: (r) => [SKUS[r.skuPartNumber] || r.skuPartNumber || r.skuId, h("div", { class: "small muted" }, r.skuPartNumber || "")] },
          { label: "Paid for", num: true, cell: (r) => unknown(r.prepaid) },
          { label: "Assigned", num: true, cell: (r) => unknown(r.consumed) },
          { label: "Not assigned", num: true, cell: (r) => unknown(r.available) },
          { label: "On disabled users", num: true, cell: (r) => String(r.assignedDisabled) },
          { label: "No sign-in for 30 days", num: true, cell: (r) => unknown(r.noSignIn30Days) },
          { label: "No sign-in for 90 days", num: true, cell: (r) => unknown(r.noSignIn90Days) },
          { label: "As of", cell: (r) => h("span", { class: "nowrap" }, when(r.computedAt)) },
        ],
        rows,
        "No licence figures yet: they are read on each tenant's full sync.",
      ),
    );
  };
  const drawScores = async () => {
    let dir;
    let trends;
    try {
      dir = await loadDirectory();
      trends = await Promise.all(dir.confirmed().map(async (row) => ({ ...row, trend: await get(`/clients/${encodeURIComponent(row.client.id)}/secure-score`) })));
    } catch (err) {
      loadError(scores, "the Secure Scores", err, drawScores);
      return;
    }
    scores.replaceChildren(
      trends.length
        ? h("div", { class: "grid2" }, trends.map((t) => scoreCard(t)))
        : h("p", { class: "muted" }, "No client is mapped yet."),
    );
  };
  await Promise.all([drawReport(), drawScores()]);
}

function change(v, days) {
  if (v === null || v === undefined) return `${days}-day change not known yet`;
  return `${days}-day change ${v > 0 ? "+" : ""}${v}`;
}

function scoreCard({ client, tenant, trend }) {
  const title = `Secure Score of ${client.name}`;
  if (!trend.history.length) {
    return h("div", { class: "card" }, h("h3", {}, client.name), h("p", { class: "muted" }, "No Secure Score recorded yet: it is read on each full sync."));
  }
  const latest = trend.latest;
  return h(
    "div",
    { class: "card" },
    h("h3", {}, client.name),
    h("p", {}, h("span", { class: "figure" }, `${latest.currentScore}`), ` of ${latest.maxScore ?? "?"} on ${latest.date} · ${change(trend.change7Days, 7)} · ${change(trend.change30Days, 30)}`),
    trend.history.length > 1
      ? scoreChart(trend.history, title)
      : h("p", { class: "small muted" }, "One score so far: the trend grows by a point with each day's full sync."),
  );
}
