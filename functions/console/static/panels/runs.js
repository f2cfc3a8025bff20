// Runs: newest first with filters, and one run's tenants and every user's outcome with its reason; CSV export.
import { get } from "../api.js";
import { loadDirectory } from "../data.js";
import { runSummary, tenantResults, userOutcomes } from "../outcomes.js";
import { countsText, download, dryBadge, h, loadError, panel, plural, statusBadge, table, when } from "../ui.js";

export async function show(view, route, ctx) {
  if (route.rest[0]) return detail(view, route.rest[0]);
  const { body } = panel(view, "Runs", "Every sync, newest first: what started it, how each tenant went, and what happened to each user. Dry runs are marked.");
  const filters = {
    type: h("select", { id: "runs-type" }, ["", "initial", "all-tenants", "tenant"].map((v) => h("option", { value: v }, v || "every type"))),
    status: h("select", { id: "runs-status" }, ["", "completed", "partial", "failed", "running", "queued"].map((v) => h("option", { value: v }, v || "every status"))),
    kind: h("select", { id: "runs-kind" }, [["", "real and dry runs"], ["real", "real runs only"], ["dry", "dry runs only"]].map(([v, l]) => h("option", { value: v }, l))),
    trigger: h("select", { id: "runs-trigger" }, ["", "manual", "timer", "webhook", "notification"].map((v) => h("option", { value: v }, v || "every trigger"))),
  };
  const labels = { type: "Type", status: "Status", kind: "Dry or real", trigger: "Started by" };
  const shown = h("p", { class: "small muted", "aria-live": "polite" });
  const list = h("div");
  const more = h("button", { type: "button", hidden: true }, "Load older runs");
  let runs = [];
  let next = null;
  let dir = null;
  const draw = () => {
    const picked = runs.filter(
      (r) =>
        (!filters.type.value || r.type === filters.type.value) &&
        (!filters.status.value || r.status === filters.status.value) &&
        (!filters.kind.value || r.dryRun === (filters.kind.value === "dry")) &&
        (!filters.trigger.value || r.trigger === filters.trigger.value),
    );
    shown.textContent = `Showing ${picked.length} of the ${plural(runs.length, "run")} loaded${next ? " (older runs not loaded yet)" : ""}.`;
    list.replaceChildren(
      table(
        "Runs, newest first",
        [
          { label: "Started", cell: (r) => h("a", { href: `#/runs/${encodeURIComponent(r.runId)}` }, when(r.startedAt)) },
          { label: "Run", cell: (r) => [r.type, r.tenantId ? ` · ${dir.tenantName(r.tenantId)}` : "", " ", dryBadge(r)] },
          { label: "Started by", cell: (r) => r.requestedBy ? `${r.trigger} (${r.requestedBy})` : r.trigger },
          { label: "Status", cell: (r) => statusBadge(r.status) },
          { label: "Tenants", cell: (r) => `${r.succeeded} ok, ${r.failed} failed, ${r.held} held of ${r.tenantsExpected}` },
          { label: "Users", cell: (r) => countsText(r.counts, r.dryRun) },
        ],
        picked,
        runs.length ? "No loaded run matches these filters." : "No run yet.",
      ),
    );
  };
  const load = async () => {
    try {
      const [page, directory] = await Promise.all([get(`/runs?limit=25${next ? `&after=${encodeURIComponent(next)}` : ""}`), dir ? dir : loadDirectory()]);
      dir = directory;
      runs = runs.concat(page.runs);
      next = page.next;
      more.hidden = !next;
      draw();
    } catch (err) {
      loadError(list, "the runs", err, load);
    }
  };
  for (const select of Object.values(filters)) select.addEventListener("change", draw);
  more.addEventListener("click", load);
  body.append(
    h("div", { class: "toolbar" }, Object.entries(filters).map(([key, select]) => h("label", { for: select.id }, labels[key], select))),
    shown,
    list,
    more,
  );
  await load();
}

async function detail(view, runId) {
  const { body } = panel(view, "Run", "");
  const heading = view.querySelector("h1");
  let run;
  let dir;
  try {
    [run, dir] = await Promise.all([get(`/runs/${encodeURIComponent(runId)}`), loadDirectory()]);
  } catch (err) {
    loadError(body, `run ${runId}`, err, () => detail(view, runId));
    return;
  }
  const kind = { initial: "Initial", "all-tenants": "All-tenants", tenant: "Tenant" }[run.type] || run.type;
  heading.textContent = `${kind} ${run.dryRun ? "dry run" : "run"} of ${when(run.startedAt)}${run.tenantId ? ` · ${dir.tenantName(run.tenantId)}` : ""}`;
  body.append(
    h("p", {}, h("a", { href: "#/runs" }, "← All runs")),
    runSummary(run),
    h("div", { class: "toolbar" }, download(`/api/runs/${encodeURIComponent(run.runId)}/outcomes.csv`, "Download the outcomes (CSV)", `run-${run.runId}.csv`)),
    h("h2", {}, "Tenants"),
    tenantResults(run, dir),
    h("h2", {}, "Users"),
    userOutcomes(run, dir, "run"),
  );
}
