// A run as an operator reads it: summary, each tenant's result, every user's outcome with its reason.
import { OUTCOMES, badge, countsText, dryBadge, h, plural, statusBadge, table, when } from "./ui.js";

// What needs a look first: failures and queued users, then changes, then the rest.
const SORT = ["failed", "queued", "created", "linked", "updated", "inactivated", "reactivated", "unchanged", "ignored"];

export function runSummary(run) {
  const dry = run.dryRun ? h("p", { class: "banner" }, "Dry run: nothing was written to the PSA. The outcomes say what a real run would do.") : "";
  return h(
    "div",
    {},
    dry,
    h(
      "p",
      {},
      statusBadge(run.status), " ", dryBadge(run), " ",
      `${run.type} run, ${run.trigger}, started ${when(run.startedAt)}`,
      run.completedAt ? `, ended ${when(run.completedAt)}` : "",
      run.requestedBy ? ` by ${run.requestedBy}` : "",
    ),
    h(
      "p",
      {},
      `Tenants: ${run.tenantsProcessed} of ${run.tenantsExpected} done — ${run.succeeded} succeeded, ${run.failed} failed, ${run.held} held. `,
      `Users: ${countsText(run.counts, run.dryRun)}. PSA writes: ${run.psaWrites}${run.dryRun ? " (would be made)" : ""}.`,
    ),
  );
}

export function tenantResults(run, dir) {
  return table(
    "Tenants in this run",
    [
      { label: "Tenant", cell: (t) => dir.tenantName(t.tenantId) },
      { label: "Client", cell: (t) => dir.clientName(t.clientId) },
      { label: "Status", cell: (t) => statusBadge(t.status) },
      { label: "Users", cell: (t) => countsText(t.counts, run.dryRun) },
      { label: "Pass", cell: (t) => t.passKind || "—" },
      { label: "Error and notes", cell: (t) => [t.error ? h("strong", {}, t.error) : "", (t.notes || []).map((n) => h("div", { class: "small muted" }, n))] },
    ],
    run.tenants,
    "No tenant was in this run (nothing was mapped).",
  );
}

export function userOutcomes(run, dir, idPrefix = "outcomes") {
  const rank = (o) => SORT.indexOf(o);
  const rows = run.tenants
    .flatMap((t) => (t.users || []).map((u) => ({ ...u, tenantId: t.tenantId })))
    .sort((a, b) => rank(a.outcome) - rank(b.outcome) || (a.displayName || a.userId).localeCompare(b.displayName || b.userId));
  const outcome = h("select", { id: `${idPrefix}-outcome` }, h("option", { value: "" }, "every outcome"), OUTCOMES.map((o) => h("option", { value: o }, o)));
  const tenants = [...new Set(rows.map((r) => r.tenantId))];
  const tenant = h("select", { id: `${idPrefix}-tenant` }, h("option", { value: "" }, "every tenant"), tenants.map((t) => h("option", { value: t }, dir.tenantName(t))));
  const search = h("input", { id: `${idPrefix}-search`, type: "search", placeholder: "name or reason" });
  const shown = h("p", { class: "small muted", "aria-live": "polite" });
  const holder = h("div");
  const draw = () => {
    const text = search.value.trim().toLowerCase();
    const picked = rows.filter(
      (r) =>
        (!outcome.value || r.outcome === outcome.value) &&
        (!tenant.value || r.tenantId === tenant.value) &&
        (!text || `${r.displayName || ""} ${r.reason}`.toLowerCase().includes(text)),
    );
    shown.textContent = `Showing ${picked.length} of the run's ${plural(rows.length, "user")}.`;
    holder.replaceChildren(
      table(
        run.dryRun ? "What would happen to each user" : "What happened to each user",
        [
          { label: "User", cell: (u) => u.displayName || u.userId },
          ...(tenants.length > 1 ? [{ label: "Tenant", cell: (u) => dir.tenantName(u.tenantId) }] : []),
          { label: "Outcome", cell: (u) => badge(u.outcome, u.outcome === "failed" ? "bad" : u.outcome === "queued" ? "warn" : "plain") },
          { label: "Reason", cell: (u) => u.reason },
          { label: "Contact", cell: (u) => u.contactId || "—" },
        ],
        picked,
        "No user matches these filters.",
      ),
    );
  };
  for (const control of [outcome, tenant]) control.addEventListener("change", draw);
  search.addEventListener("input", draw);
  draw();
  return h(
    "div",
    {},
    h(
      "div",
      { class: "toolbar" },
      h("label", { for: `${idPrefix}-outcome` }, "Outcome", outcome),
      tenants.length > 1 ? h("label", { for: `${idPrefix}-tenant` }, "Tenant", tenant) : "",
      h("label", { for: `${idPrefix}-search` }, "Find", search),
    ),
    shown,
    holder,
  );
}
