// Needs attention: worst first, each item naming its tenants and clients, with one action.
import { get, post, recentRuns } from "../api.js";
import { openConsentDialog } from "../connect.js";
import { loadDirectory } from "../data.js";
import { act, badge, countsText, dryBadge, h, loadError, panel, say, statusBadge, when } from "../ui.js";

const SEVERITY = { critical: ["Critical", "bad"], warning: ["Warning", "warn"], notice: ["To do", "plain"] };

export async function show(view, route, ctx) {
  const { status, body } = panel(view, "Needs attention", "What needs you, worst first. Each item names the tenants and clients concerned and offers one action.");
  // After an action: the list and the nav's count of items, read again.
  const redraw = async () => {
    await draw();
    await ctx.refreshNav();
  };
  const draw = async () => {
    let items;
    let runs;
    let dir;
    try {
      [items, runs, dir] = await Promise.all([get("/attention"), recentRuns(1), loadDirectory()]);
    } catch (err) {
      loadError(body, "what needs attention", err, draw);
      return;
    }
    const last = runs[0];
    body.replaceChildren(
      h(
        "div",
        { class: "summary-strip" },
        h(
          "div",
          { class: "card" },
          h("span", { class: "small muted" }, "Last run"),
          last
            ? [
                h("span", { class: "figure" }, statusBadge(last.status), " ", dryBadge(last)),
                h("span", { class: "small" }, `${last.type}, ${when(last.startedAt)}: ${countsText(last.counts, last.dryRun)} `),
                h("a", { href: `#/runs/${encodeURIComponent(last.runId)}` }, "Open the run"),
              ]
            : h("span", { class: "figure" }, "No run yet"),
        ),
        h(
          "div",
          { class: "card" },
          h("span", { class: "small muted" }, "Tenants"),
          h("span", { class: "figure" }, String(dir.managed().length)),
          h("span", { class: "small" }, `${dir.confirmed().length} mapped, ${dir.undecided().length} waiting for a decision`),
        ),
      ),
      items.length
        ? h("ol", { class: "attention", "aria-label": "Items, worst first" }, items.map((item) => row(item, status, redraw, ctx)))
        : h("p", { class: "card" }, "Nothing needs attention: every tenant is reachable and mapped, nothing waits for review or approval, and no tenant keeps failing."),
    );
  };
  await draw();
}

function row(item, status, draw, ctx) {
  const [label, kind] = SEVERITY[item.severity] || [item.severity, "plain"];
  const who = item.subjects.map((s) => (s.clientName ? `${s.tenantName} (client ${s.clientName})` : s.tenantName));
  return h(
    "li",
    { class: item.severity },
    badge(label, kind),
    h(
      "div",
      {},
      h("h2", {}, item.title),
      item.detail ? h("p", { class: "small" }, item.detail) : "",
      h("p", { class: "small muted" }, `${item.subjects.length > 1 ? "Tenants" : "Tenant"}: ${who.join(", ")}`),
    ),
    action(item, status, draw, ctx),
  );
}

function action(item, status, draw, ctx) {
  const a = item.action;
  const tenant = a.tenantId ? `?tenant=${encodeURIComponent(a.tenantId)}` : "";
  const name = item.subjects.length === 1 ? item.subjects[0].tenantName : "";
  const button = h("button", { type: "button", class: "primary", "aria-label": name ? `${a.label}: ${name}` : a.label }, a.label);
  const go = {
    "consent-link": () => openConsentDialog(),
    discover: () =>
      act(button, status, async () => {
        const result = await post("/discovery");
        await draw();
        return `Discovery read ${result.found} tenants again.`;
      }),
    "open-run": () => ctx.navigate(`#/runs/${encodeURIComponent(a.runId)}`),
    "approve-brake": () => ctx.navigate(`#/brakes${tenant}`),
    review: () => ctx.navigate(`#/review${tenant}`),
    map: () => ctx.navigate("#/tenants"),
    "retry-subscription": () =>
      act(button, status, async () => {
        const result = await post(`/subscriptions/${encodeURIComponent(a.tenantId)}`);
        await draw();
        const tenant = name || "this tenant";
        if (result.status === "active") return `Change notifications are on for ${tenant}.`;
        // A refusal is an answer (200), not a failed call: said as an error all the same.
        say(status, `${tenant}: Graph refused again: ${result.error || "no reason given"}`, "error");
      }),
  }[a.kind];
  button.addEventListener("click", () => go && go());
  return button;
}
