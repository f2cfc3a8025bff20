// Safety-brake approvals: tenants whose inactivations are held, the users concerned, and the approval.
import { get, isFinal, post, waitForRun } from "../api.js";
import { act, countsText, h, loadError, panel, plural, say, table, when } from "../ui.js";

export async function show(view, route, ctx) {
  const { status, body } = panel(
    view,
    "Safety brake",
    "When one run would inactivate more contacts than the brake allows, nothing is inactivated in that tenant until you approve. Approval runs the tenant again and applies the inactivations that still hold (users still disabled or deleted).",
  );
  const list = h("div");
  const draw = async () => {
    let held;
    let brake;
    try {
      [held, brake] = await Promise.all([get("/brakes"), get("/settings/safety-brake")]);
    } catch (err) {
      loadError(list, "the held inactivations", err, draw);
      return;
    }
    list.replaceChildren(
      h("p", { class: "small muted" }, `The brake holds more than max(${brake.minContacts}, ${brake.percent} %) inactivations in one run. `, h("a", { href: "#/rules" }, "Change it")),
      held.length ? h("div", {}, held.map((b) => card(b, status, draw, ctx))) : h("p", { class: "card" }, "Nothing is held: no tenant waits for an approval."),
    );
    const focus = route.params.get("tenant");
    if (focus) list.querySelector(`[data-tenant="${CSS.escape(focus)}"]`)?.scrollIntoView({ block: "start" });
  };
  body.append(list);
  await draw();
}

function card(b, status, draw, ctx) {
  const n = b.inactivations.length;
  const approve = h("button", { type: "button", class: "primary", "aria-label": `Approve ${plural(n, "inactivation")} in ${b.tenantName}` }, `Approve ${plural(n, "inactivation")}`);
  approve.addEventListener("click", () =>
    act(approve, status, async () => {
      const started = await post(`/tenants/${encodeURIComponent(b.tenantId)}/approve-inactivations`, {});
      const run = await waitForRun(started.runId, (r) => {
        if (!isFinal(r)) say(status, `Approved; applying the inactivations in ${b.tenantName}…`);
      });
      await draw();
      return `Approved for ${b.tenantName}: ${countsText(run.counts)} (run ${run.status}).`;
    }),
  );
  return h(
    "div",
    { class: "card", "data-tenant": b.tenantId },
    h("h2", {}, `${b.tenantName}: ${plural(n, "inactivation")} held`),
    h(
      "p",
      { class: "small muted" },
      `Client ${b.clientName || b.clientId || "—"} · held by the run of ${when(b.heldAt)}`,
      b.runId ? [" · ", h("a", { href: `#/runs/${encodeURIComponent(b.runId)}` }, "open that run")] : "",
    ),
    table(
      `Contacts that would be inactivated in ${b.tenantName}`,
      [
        { label: "User", cell: (u) => u.displayName || u.userId },
        { label: "Why", cell: (u) => (u.reason.match(/\(([^)]*)\)/) || [null, u.reason])[1] },
        { label: "Contact", cell: (u) => u.contactId || "—" },
      ],
      b.inactivations,
      "The holding run's users are not known (held before runs kept them); approval still applies only what still holds.",
    ),
    h("div", { class: "toolbar" }, approve),
  );
}
