// The setup path, one primary action at a time: connect, discover, map, preview one client, sync it, sync the rest.
import { get, isFinal, post, recentRuns, runAndWait } from "../api.js";
import { connectButton } from "../connect.js";
import { loadDirectory } from "../data.js";
import { mappingTable } from "../mappings.js";
import { runSummary, userOutcomes } from "../outcomes.js";
import { act, countsText, h, loadError, panel, plural, say, table } from "../ui.js";

const ACK = "console.setup.connected";

const CONTRACT = [
  "Nothing is ever deleted: a user disabled or deleted in Microsoft makes the contact inactive, and a restored user makes it active again.",
  "A blank value in Entra never overwrites a value in the PSA.",
  "On existing contacts only the fields you allow are updated (Field rules); new contacts get every field Entra has.",
  "Only the tenant's own client is touched: a contact of another client with the same e-mail is never changed.",
  "Anything doubtful — a user who matches several contacts — waits in the review queue; nothing is guessed.",
  "If one run would inactivate many contacts at once, the safety brake holds them until you approve.",
];

async function state() {
  const [dir, runs, permissions] = await Promise.all([loadDirectory(), recentRuns(100), get("/consent/permissions")]);
  const final = runs.filter(isFinal);
  const previewRun = final.find((r) => r.dryRun && r.type === "tenant");
  const pilotRun = final.find((r) => !r.dryRun && r.type === "tenant");
  const allRun = final.find((r) => !r.dryRun && r.type !== "tenant");
  const [preview, pilot] = await Promise.all([
    previewRun ? get(`/runs/${encodeURIComponent(previewRun.runId)}`) : null,
    pilotRun ? get(`/runs/${encodeURIComponent(pilotRun.runId)}`) : null,
  ]);
  const managed = dir.managed();
  const done = {
    connect: localStorage.getItem(ACK) === "yes" || managed.length > 0,
    discover: managed.length > 0,
    map: dir.confirmed().length > 0 && dir.undecided().length === 0,
    preview: !!preview,
    pilot: !!pilot,
    rest: !!allRun,
  };
  return { dir, permissions, preview, pilot, allRun, done };
}

export async function isComplete() {
  const runs = await recentRuns(100);
  return runs.some((r) => isFinal(r) && !r.dryRun && r.type !== "tenant");
}

export async function show(view, route, ctx) {
  const { status, body } = panel(
    view,
    "Setup",
    "From nothing to the first real sync, one step at a time. Each step unlocks the next; you can come back and run discovery again at any time.",
  );
  const draw = async () => {
    let s;
    try {
      s = await state();
    } catch (err) {
      loadError(body, "the setup progress", err, draw);
      return;
    }
    body.replaceChildren(steps(s, status, draw, ctx));
  };
  await draw();
}

function steps(s, status, draw, ctx) {
  const order = ["connect", "discover", "map", "preview", "pilot", "rest"];
  const complete = s.done.rest;
  const current = complete ? null : order.find((k) => !s.done[k]);
  const pilotTenant = s.preview ? s.preview.tenantId : null;
  const pilotName = pilotTenant ? clientOf(s, pilotTenant) : "the client";
  const confirmed = s.dir.confirmed();
  const titles = {
    connect: "Connect: what the app may read, and what it promises",
    discover: "Discover your customer tenants",
    map: "Match each tenant to its PSA client",
    preview: "Preview a dry run for one client",
    pilot: `Sync ${s.done.preview ? pilotName : "that client"}`,
    rest: s.done.map ? `Sync the remaining ${plural(Math.max(confirmed.length - 1, 0), "client")}` : "Sync the remaining clients",
  };
  const summaries = {
    connect: "Read-only access to Microsoft Graph; contacts are never deleted, blanks never overwrite.",
    discover: `${plural(s.dir.managed().length, "tenant")} found: ${s.dir.managed().map((t) => s.dir.tenantName(t.tenantId)).join(", ")}.`,
    map: `${plural(confirmed.length, "tenant")} mapped, ${plural(s.dir.managed().filter((t) => s.dir.mapping(t.tenantId).status === "skipped").length, "tenant")} skipped.`,
    preview: s.preview ? `${clientOf(s, s.preview.tenantId)}: ${countsText(s.preview.counts, true)}.` : "",
    pilot: s.pilot ? `${clientOf(s, s.pilot.tenantId)}: ${countsText(s.pilot.counts)}.` : "",
    rest: s.allRun ? `Every mapped client synced: ${countsText(s.allRun.counts)}.` : "",
  };
  const content = {
    connect: () => connectStep(s, draw),
    discover: () => discoverStep(status, draw),
    map: () => mapStep(s, status, draw),
    preview: () => previewStep(s, status, draw),
    pilot: () => pilotStep(s, status, draw, pilotName),
    rest: () => restStep(s, status, draw),
  };
  const list = h(
    "ol",
    { class: "steps" },
    order.map((key) => {
      const isCurrent = key === current;
      const isDone = s.done[key] && !isCurrent;
      return h(
        "li",
        { class: isCurrent ? "current" : isDone ? "done" : "", "aria-current": isCurrent ? "step" : null },
        h("h2", {}, titles[key], h("span", { class: "visually-hidden" }, isCurrent ? " (current step)" : isDone ? " (done)" : " (later)")),
        isDone && summaries[key] ? h("p", { class: "summary" }, summaries[key]) : "",
        isCurrent ? content[key]() : "",
      );
    }),
  );
  if (!complete) return list;
  const again = h("button", { type: "button" }, "Discover again");
  again.addEventListener("click", () => act(again, status, async () => discover(draw)));
  return h(
    "div",
    {},
    h(
      "div",
      { class: "card" },
      h("h2", {}, "Setup is complete"),
      h("p", {}, "Every mapped client is in step. The app now syncs every hour on its own; the daily view shows what needs you."),
      h("div", { class: "toolbar" }, h("a", { class: "button primary", href: "#/attention" }, "Open the daily view"), again, connectButton()),
    ),
    list,
  );
}

function clientOf(s, tenantId) {
  const mapping = s.dir.mapping(tenantId);
  return mapping.clientId ? s.dir.clientName(mapping.clientId) : s.dir.tenantName(tenantId);
}

function connectStep(s, draw) {
  const go = h("button", { type: "button", class: "primary" }, "Continue to discovery");
  go.addEventListener("click", () => {
    localStorage.setItem(ACK, "yes");
    draw();
  });
  return h(
    "div",
    {},
    h("p", {}, "The app reads each customer tenant through Microsoft Graph with these application permissions. Every one is read-only: nothing is ever written to a tenant."),
    table(
      "Microsoft Graph permissions",
      [
        { label: "In plain words", cell: (p) => h("strong", {}, p.plainWords) },
        { label: "Why", cell: (p) => p.why },
        { label: "Permission", cell: (p) => [h("code", {}, p.name), p.partnerOnly ? h("div", { class: "small muted" }, "your own (partner) tenant only") : ""] },
      ],
      s.permissions,
    ),
    h("h3", {}, "What the sync promises about your PSA contacts"),
    h("ul", { class: "plain" }, CONTRACT.map((line) => h("li", {}, line))),
    h("div", { class: "toolbar" }, go),
  );
}

async function discover(draw) {
  const result = await post("/discovery");
  await draw();
  const names = result.tenants.filter((t) => t.managed).map((t) => t.displayName || t.tenantId).sort();
  return `Discovery found ${plural(result.found, "tenant")}${names.length ? `: ${names.join(", ")}` : ""}${result.left ? `; ${result.left} left` : ""}.`;
}

function discoverStep(status, draw) {
  const go = h("button", { type: "button", class: "primary" }, "Discover tenants");
  go.addEventListener("click", () => act(go, status, () => discover(draw)));
  return h(
    "div",
    {},
    h("p", {}, "Finds the customer tenants you manage through GDAP (active relationships) and reads each one's name and verified domains. Nothing is synced yet."),
    h("div", { class: "toolbar" }, go, connectButton("Connect a tenant without GDAP instead")),
  );
}

function mapStep(s, status, draw) {
  const { element } = mappingTable(s.dir, status, draw, { caption: "Suggested clients" });
  return h(
    "div",
    {},
    h("p", {}, "Each tenant's client is suggested from shared domains and similar names, with a score and the reason. Nothing is synced until a mapping is confirmed. Confirm the good suggestions together; choose, import or skip the rest."),
    element,
  );
}

function clientPicker(s, id) {
  return h(
    "select",
    { id },
    s.dir.confirmed().map(({ tenant, client }) => h("option", { value: tenant.tenantId }, `${client.name} (${s.dir.tenantName(tenant.tenantId)})`)),
  );
}

function progressSay(status) {
  return (run) => {
    if (!isFinal(run)) say(status, `Running: ${run.tenantsProcessed} of ${plural(run.tenantsExpected, "tenant")} done…`);
  };
}

function previewStep(s, status, draw) {
  const pick = clientPicker(s, "preview-client");
  const go = h("button", { type: "button", class: "primary" }, "Preview a dry run");
  go.addEventListener("click", () =>
    act(go, status, async () => {
      const run = await runAndWait({ type: "tenant", tenantId: pick.value, dryRun: true }, progressSay(status));
      await draw();
      return `Dry run ${run.status}: ${countsText(run.counts, true)}. Nothing was written.`;
    }),
  );
  return h(
    "div",
    {},
    h("p", {}, "A dry run compares the tenant's users with the client's contacts and says what it would do to each one, with the reason. It writes nothing."),
    h("div", { class: "toolbar" }, h("label", { for: "preview-client" }, "Client to preview", pick), go),
  );
}

function pilotStep(s, status, draw, pilotName) {
  const go = h("button", { type: "button", class: "primary" }, `Sync ${pilotName} now`);
  go.addEventListener("click", () =>
    act(go, status, async () => {
      const run = await runAndWait({ type: "tenant", tenantId: s.preview.tenantId }, progressSay(status));
      await draw();
      return `${pilotName} synced (${run.status}): ${countsText(run.counts)}.`;
    }),
  );
  const again = h("button", { type: "button" }, "Preview again");
  again.addEventListener("click", () =>
    act(again, status, async () => {
      const run = await runAndWait({ type: "tenant", tenantId: s.preview.tenantId, dryRun: true }, progressSay(status));
      await draw();
      return `Dry run ${run.status}: ${countsText(run.counts, true)}.`;
    }),
  );
  return h(
    "div",
    {},
    h("p", {}, `The preview of ${pilotName} below is what a real sync will do. Check it, then sync this one client.`),
    h("div", { class: "toolbar" }, go, again),
    h("h3", {}, "The preview"),
    runSummary(s.preview),
    userOutcomes(s.preview, s.dir, "preview"),
  );
}

function restStep(s, status, draw) {
  const others = Math.max(s.dir.confirmed().length - 1, 0);
  const go = h("button", { type: "button", class: "primary" }, `Sync the remaining ${plural(others, "client")}`);
  go.addEventListener("click", () =>
    act(go, status, async () => {
      const run = await runAndWait({ type: "initial" }, progressSay(status));
      await draw();
      return `Every mapped client synced (${run.status}): ${countsText(run.counts)}.`;
    }),
  );
  return h(
    "div",
    {},
    h("p", {}, `${clientOf(s, s.pilot.tenantId)} is in step: ${countsText(s.pilot.counts)}. Now the first sync of every mapped client (the one already synced is compared again and left unchanged).`),
    h("div", { class: "toolbar" }, go),
    runSummary(s.pilot),
  );
}
