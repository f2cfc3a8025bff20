// The review queue: users the sync could not match to one contact. Link to an existing contact of the
// mapped client (its candidates, or another contact of that client only), create a new contact, or dismiss.
import { get, post } from "../api.js";
import { loadDirectory } from "../data.js";
import { act, h, loadError, panel, plural, statusBadge, when } from "../ui.js";

export async function show(view, route, ctx) {
  const { status, body } = panel(
    view,
    "Review queue",
    "Users who match several contacts. Nothing was written to any of them; choose what is right. Only contacts of the tenant's own client can be chosen.",
  );
  const which = h(
    "select",
    { id: "review-status" },
    [["open", "waiting for a decision"], ["resolved", "resolved"], ["dismissed", "dismissed"], ["all", "all"]].map(([v, l]) => h("option", { value: v }, l)),
  );
  const list = h("div");
  const only = route.params.get("tenant");
  const draw = async () => {
    let items;
    let dir;
    try {
      [items, dir] = await Promise.all([get(`/ambiguities?status=${which.value}`), loadDirectory()]);
    } catch (err) {
      loadError(list, "the review queue", err, draw);
      return;
    }
    if (only) items = items.filter((a) => a.tenantId === only);
    const clients = [...new Set(items.map((a) => dir.mapping(a.tenantId).clientId).filter(Boolean))];
    let contacts;
    try {
      contacts = new Map(await Promise.all(clients.map(async (id) => [id, await get(`/clients/${encodeURIComponent(id)}/contacts`)])));
    } catch (err) {
      loadError(list, "the clients' contacts", err, draw);
      return;
    }
    list.replaceChildren(
      h("p", { class: "small muted" }, `${plural(items.length, "item")}${only ? ` in ${dir.tenantName(only)}` : ""}.`, only ? [" ", h("a", { href: "#/review" }, "Show every tenant")] : ""),
      items.length
        ? h("div", {}, items.map((a) => item(a, dir, contacts.get(dir.mapping(a.tenantId).clientId) || [], status, draw)))
        : h("p", { class: "card" }, which.value === "open" ? "Nothing waits for review." : "No item has this status."),
    );
  };
  which.addEventListener("change", draw);
  body.append(h("div", { class: "toolbar" }, h("label", { for: "review-status" }, "Show", which)), list);
  await draw();
}

function contactText(c) {
  const name = [c.firstName, c.lastName].filter(Boolean).join(" ") || c.id;
  const emails = [c.email, ...(c.additionalEmails || [])].filter(Boolean).join(", ");
  return `${name} — ${emails || "no e-mail"}${c.title ? ` — ${c.title}` : ""}${c.active === false ? " (inactive)" : ""}`;
}

function item(a, dir, contacts, status, draw) {
  const mapping = dir.mapping(a.tenantId);
  const who = a.displayName || a.email || a.userId;
  const card = h("div", { class: "card" });
  const heading = h("h2", {}, who, " ", statusBadge(a.status));
  const where = h("p", { class: "small muted" }, `${a.email || "no e-mail"} · tenant ${dir.tenantName(a.tenantId)} · client ${dir.clientName(mapping.clientId)}${a.createdAt ? ` · queued ${when(a.createdAt)}` : ""}`);
  if (a.status !== "open") {
    card.append(heading, where, h("p", {}, `Settled (${a.resolution || a.status})${a.contactId ? ` to contact ${a.contactId}` : ""}${a.resolvedBy ? ` by ${a.resolvedBy}` : ""}.`));
    return card;
  }
  if (mapping.status !== "confirmed") {
    card.append(heading, where, h("p", { class: "error" }, "The tenant is not mapped to a client any more: map it again to settle this item."));
    return card;
  }
  const byId = new Map(contacts.map((c) => [c.id, c]));
  const group = `pick-${a.tenantId}-${a.userId}`;
  const radios = a.candidateContactIds.map((id, i) =>
    h(
      "div",
      { class: "candidate" },
      h("input", { type: "radio", name: group, id: `${group}-${id}`, value: id, checked: i === 0 }),
      h("label", { for: `${group}-${id}` }, byId.has(id) ? contactText(byId.get(id)) : `${id} (no longer a contact of this client)`),
    ),
  );
  const others = contacts.filter((c) => !a.candidateContactIds.includes(c.id));
  const otherRadio = h("input", { type: "radio", name: group, id: `${group}-other`, value: "__other" });
  const other = h("select", { id: `${group}-other-contact`, "aria-label": `Another contact of ${dir.clientName(mapping.clientId)}` }, others.map((c) => h("option", { value: c.id }, contactText(c))));
  other.addEventListener("change", () => {
    otherRadio.checked = true;
  });
  const link = h("button", { type: "button", class: "primary", "aria-label": `Link to the chosen contact: ${who}` }, "Link to the chosen contact");
  const create = h("button", { type: "button", "aria-label": `Create a new contact for ${who}` }, "Create a new contact");
  const dismiss = h("button", { type: "button", "aria-label": `Dismiss ${who}` }, "Dismiss");
  const path = `/ambiguities/${encodeURIComponent(a.tenantId)}/${encodeURIComponent(a.userId)}`;
  link.addEventListener("click", () =>
    act(link, status, async () => {
      const picked = card.querySelector(`input[name="${CSS.escape(group)}"]:checked`);
      const contactId = picked && picked.value === "__other" ? other.value : picked ? picked.value : "";
      if (!contactId) throw new Error("choose a contact first");
      const done = await post(path, { action: "existing", contactId });
      await draw();
      return `${who} is linked to ${byId.has(done.contactId) ? contactText(byId.get(done.contactId)) : done.contactId}.`;
    }),
  );
  create.addEventListener("click", () =>
    act(create, status, async () => {
      const done = await post(path, { action: "new" });
      await draw();
      return `A new contact (${done.contactId}) was created for ${who}.`;
    }),
  );
  dismiss.addEventListener("click", () =>
    act(dismiss, status, async () => {
      await post(path, { action: "dismiss" });
      await draw();
      return `${who} is dismissed and will not be queued again.`;
    }),
  );
  card.append(
    heading,
    where,
    h(
      "fieldset",
      {},
      h("legend", {}, `Contacts of ${dir.clientName(mapping.clientId)} that match ${who}`),
      radios,
      others.length ? h("div", { class: "candidate" }, otherRadio, h("label", { for: `${group}-other` }, "Another contact of this client:"), other) : "",
    ),
    h("div", { class: "toolbar" }, link, create, dismiss),
  );
  return card;
}
