// Tenants and mappings: discovery (again, any time), the consent link, each tenant's client; preview or sync one.
import { post, runAndWait, isFinal } from "../api.js";
import { connectButton } from "../connect.js";
import { loadDirectory } from "../data.js";
import { mappingTable } from "../mappings.js";
import { act, countsText, h, loadError, panel, plural, say } from "../ui.js";

export async function show(view, route, ctx) {
  const { status, body } = panel(
    view,
    "Tenants and mappings",
    "Every customer tenant, how the app reaches it, and the PSA client it is synced to. A tenant is synced only once its client is confirmed.",
  );
  const discover = h("button", { type: "button" }, "Run discovery");
  const list = h("div");
  const draw = async () => {
    let dir;
    try {
      dir = await loadDirectory();
    } catch (err) {
      loadError(list, "the tenants and mappings", err, draw);
      return;
    }
    const runButtons = (tenant) => {
      const name = dir.tenantName(tenant.tenantId);
      const preview = h("button", { type: "button", "aria-label": `Preview a dry run of ${name}` }, "Preview");
      const sync = h("button", { type: "button", "aria-label": `Sync now: ${name}` }, "Sync now");
      const start = (button, dryRun) =>
        act(button, status, async () => {
          const run = await runAndWait({ type: "tenant", tenantId: tenant.tenantId, dryRun }, (r) => {
            if (!isFinal(r)) say(status, `${name}: running…`);
          });
          return h(
            "span",
            {},
            `${name}: ${dryRun ? "dry run" : "sync"} ${run.status} — ${countsText(run.counts, dryRun)}. `,
            h("a", { href: `#/runs/${encodeURIComponent(run.runId)}` }, "Open the run"),
          );
        });
      preview.addEventListener("click", () => start(preview, true));
      sync.addEventListener("click", () => start(sync, false));
      return [preview, sync];
    };
    const { element } = mappingTable(dir, status, draw, { rowActions: runButtons });
    const managed = dir.managed();
    list.replaceChildren(
      h("p", { class: "small muted" }, `${plural(managed.length, "tenant")}, ${dir.confirmed().length} mapped, ${dir.undecided().length} waiting for a decision.`),
      element,
      left(dir),
    );
    const highlight = route.params.get("tenant");
    if (highlight) list.querySelector(`[id="client-${CSS.escape(highlight)}"]`)?.scrollIntoView({ block: "center" });
  };
  discover.addEventListener("click", () =>
    act(discover, status, async () => {
      const result = await post("/discovery");
      await draw();
      return `Discovery found ${plural(result.found, "tenant")}${result.left ? `; ${result.left} no longer managed` : ""}.`;
    }),
  );
  body.append(h("div", { class: "toolbar" }, discover, connectButton()), list);
  await draw();
}

function left(dir) {
  const gone = dir.tenants.filter((t) => !t.managed);
  if (!gone.length) return "";
  return h(
    "details",
    {},
    h("summary", {}, `${plural(gone.length, "tenant")} no longer managed`),
    h("ul", { class: "plain" }, gone.map((t) => h("li", {}, `${t.displayName || t.tenantId} — left ${t.leftAt ? t.leftAt.slice(0, 10) : ""}`))),
  );
}
