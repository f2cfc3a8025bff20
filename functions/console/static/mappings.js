// Tenant -> client mappings: suggestions with score and reason; confirm (in bulk), choose, import, skip, unmap.
import { del, post } from "./api.js";
import { act, badge, h, plural, refusal, say, statusBadge } from "./ui.js";

const REASONS = { domain: "same domain", "secondary-domain": "billing e-mail domain", name: "similar name" };

export function candidateText(dir, c) {
  return `${dir.clientName(c.clientId)} (${Math.round(c.score * 100)}%)`;
}

function candidate(dir, c) {
  return h(
    "div",
    { class: "small candidate-line" },
    h("strong", {}, dir.clientName(c.clientId)),
    ` — score ${Math.round(c.score * 100)}%, ${REASONS[c.reason] || c.reason}`,
    c.detail ? h("div", { class: "muted" }, c.detail) : "",
  );
}

function decided(mapping) {
  return mapping.status === "confirmed" || mapping.status === "skipped";
}

// rowActions(tenant, mapping) may add buttons to a confirmed row (the tenants panel adds preview / sync).
export function mappingTable(dir, region, onChanged, { rowActions = () => [], caption = "Tenants and their clients" } = {}) {
  const tenants = dir.managed();
  const checks = [];
  const anyUndecided = tenants.some((t) => !decided(dir.mapping(t.tenantId)));
  const body = tenants.map((tenant) => {
    const mapping = dir.mapping(tenant.tenantId);
    const name = dir.tenantName(tenant.tenantId);
    const best = mapping.candidates && mapping.candidates[0];
    let check = "";
    let select = null;
    if (!decided(mapping)) {
      const taken = new Set((mapping.candidates || []).map((c) => c.clientId));
      select = h(
        "select",
        { id: `client-${tenant.tenantId}`, class: "client-pick", "aria-label": `Client for ${name}` },
        h("option", { value: "" }, "Choose a client…"),
        (mapping.candidates || []).map((c, i) => h("option", { value: c.clientId, selected: i === 0 }, candidateText(dir, c))),
        h("optgroup", { label: "Other clients" }, dir.clients.filter((c) => !taken.has(c.id)).map((c) => h("option", { value: c.id }, c.name))),
      );
      check = h("input", { type: "checkbox", "aria-label": `Select ${name}`, checked: mapping.status === "auto-matched" && !!best });
      checks.push({ check, select, tenant, mapping });
    }
    const decide = (button, action, extra = {}) =>
      act(button, region, async () => {
        const done = await post(`/mappings/${encodeURIComponent(tenant.tenantId)}`, { action, ...extra });
        await onChanged();
        if (action === "import") return `${name} is imported as a new client (${done.clientId}) and mapped to it.`;
        if (action === "skip") return `${name} is skipped: its users are not synced.`;
        return `${name} is mapped to ${dir.clientName(done.clientId)}.`;
      });
    let actions;
    if (mapping.status === "confirmed") {
      const unmap = h("button", { type: "button", class: "danger", "aria-label": `Unmap ${name}` }, "Unmap");
      unmap.addEventListener("click", () =>
        act(unmap, region, async () => {
          await del(`/mappings/${encodeURIComponent(tenant.tenantId)}`);
          await onChanged();
          return `${name} is no longer mapped; its contacts are left as they are.`;
        }),
      );
      actions = [...rowActions(tenant, mapping), unmap];
    } else if (mapping.status === "skipped") {
      const undo = h("button", { type: "button", "aria-label": `Undo skip of ${name}` }, "Undo skip");
      undo.addEventListener("click", () =>
        act(undo, region, async () => {
          await del(`/mappings/${encodeURIComponent(tenant.tenantId)}`);
          await onChanged();
          return `${name} is back among the tenants to map.`;
        }),
      );
      actions = [undo];
    } else {
      const map = h("button", { type: "button", "aria-label": `Map ${name} to the chosen client` }, "Map");
      map.addEventListener("click", () => {
        if (!select.value) return say(region, `Choose a client for ${name} first.`, "error");
        return decide(map, "map", { clientId: select.value });
      });
      const imp = h("button", { type: "button", "aria-label": `Import as new client: ${name}` }, "Import as new client");
      imp.addEventListener("click", () => decide(imp, "import"));
      const skip = h("button", { type: "button", "aria-label": `Skip ${name}` }, "Skip");
      skip.addEventListener("click", () => decide(skip, "skip"));
      actions = [select, map, imp, skip];
    }
    return h(
      "tr",
      {},
      anyUndecided ? h("td", {}, check) : "",
      h(
        "td",
        {},
        h("strong", {}, name),
        tenant.source === "registered" ? [" ", badge("no GDAP", "plain")] : "",
        h("div", { class: "small muted" }, tenant.domains.join(", ") || "no verified domain"),
      ),
      h("td", {}, statusBadge(tenant.health), tenant.healthMessage ? h("div", { class: "small muted" }, tenant.healthMessage.slice(0, 160)) : ""),
      h(
        "td",
        {},
        statusBadge(mapping.status),
        mapping.status === "confirmed" ? h("div", {}, dir.clientName(mapping.clientId)) : "",
        !decided(mapping) && !(mapping.candidates || []).length ? h("div", { class: "small muted" }, "No suggestion: choose a client or import the tenant.") : "",
        !decided(mapping) ? (mapping.candidates || []).map((c) => candidate(dir, c)) : "",
      ),
      h("td", {}, h("div", { class: "row" }, actions)),
    );
  });
  if (!tenants.length) return { element: h("p", { class: "muted" }, "No tenant has been discovered yet."), pending: 0 };
  const bulk = h("button", { type: "button", class: "primary" });
  const label = () => {
    const n = checks.filter((c) => c.check.checked).length;
    bulk.textContent = `Confirm ${plural(n, "selected match", "selected matches")}`;
    bulk.disabled = n === 0;
  };
  for (const c of checks) c.check.addEventListener("change", label);
  label();
  bulk.addEventListener("click", () =>
    act(bulk, region, async () => {
      const done = [];
      const refused = [];
      for (const { check, select, tenant, mapping } of checks.filter((c) => c.check.checked)) {
        const name = dir.tenantName(tenant.tenantId);
        const best = mapping.candidates && mapping.candidates[0];
        if (!select.value) {
          refused.push(`${name}: no client chosen`);
          continue;
        }
        const body = best && select.value === best.clientId ? { action: "confirm" } : { action: "map", clientId: select.value };
        try {
          const m = await post(`/mappings/${encodeURIComponent(tenant.tenantId)}`, body);
          done.push(`${name} → ${dir.clientName(m.clientId)}`);
        } catch (err) {
          refused.push(`${name}: ${refusal(err)}`);
        }
        check.checked = false;
      }
      await onChanged();
      const parts = [];
      if (done.length) parts.push(`Confirmed ${done.length}: ${done.join("; ")}.`);
      if (refused.length) parts.push(`Not confirmed ${refused.length}: ${refused.join("; ")}.`);
      if (refused.length) throw new Error(parts.join(" "));
      return parts.join(" ");
    }),
  );
  const element = h(
    "div",
    {},
    checks.length ? h("div", { class: "toolbar" }, bulk, h("span", { class: "small muted" }, "Selected rows are confirmed to the client chosen in their row.")) : "",
    h(
      "table",
      { class: "wide" },
      h("caption", {}, caption),
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          [anyUndecided ? "Select" : null, "Tenant", "Connection", "Suggestion or client", "Decide"]
            .filter(Boolean)
            .map((c) => h("th", { scope: "col" }, c)),
        ),
      ),
      h("tbody", {}, body),
    ),
  );
  return { element, pending: checks.length };
}
