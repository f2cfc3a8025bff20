// Field rules, filters, exclusions and the safety brake: globally, or per tenant (inherited or overridden).
import { get, put } from "../api.js";
import { loadDirectory } from "../data.js";
import { badge, h, loadError, panel, refusal, say } from "../ui.js";

const CONTROLS = [
  ["name", "Name (first and last)"],
  ["email", "E-mail address"],
  ["phone", "Business phone"],
  ["mobile", "Mobile phone"],
  ["jobTitle", "Job title"],
  ["department", "Department"],
  ["officeLocation", "Office"],
  ["address", "Address (street, city, state, postal code, country)"],
  ["upn", "User principal name"],
];
const LISTS = [
  ["domains", "E-mail domains"],
  ["departments", "Departments"],
  ["officeLocations", "Offices"],
  ["groups", "Groups (object ids)"],
];
const USER_TYPES = { members: null, both: ["Member", "Guest"], guests: ["Guest"] };
const LICENSED = { any: null, yes: true, no: false };

export async function show(view, route, ctx) {
  const { status, body } = panel(
    view,
    "Field rules and filters",
    "What the sync may change and whom it considers. Global settings apply to every tenant; a tenant can override any of them.",
  );
  let dir;
  try {
    dir = await loadDirectory();
  } catch (err) {
    loadError(body, "the tenants", err, () => show(view, route, ctx));
    return;
  }
  const scope = h(
    "select",
    { id: "rules-scope" },
    h("option", { value: "" }, "Every tenant (global settings)"),
    dir.managed().map((t) => h("option", { value: t.tenantId }, `${dir.tenantName(t.tenantId)} (overrides)`)),
  );
  const initial = route.params.get("tenant");
  if (initial) scope.value = initial;
  const sections = h("div");
  const draw = async () => {
    sections.replaceChildren(h("p", { class: "muted" }, "Loading…"));
    const tenantId = scope.value || null;
    const q = tenantId ? `?tenantId=${encodeURIComponent(tenantId)}` : "";
    let data;
    try {
      const names = ["field-controls", "filters", "exclusions", "safety-brake"];
      const [scoped, global] = await Promise.all([
        Promise.all(names.map((n) => get(`/settings/${n}${q}`))),
        tenantId ? Promise.all(names.map((n) => get(`/settings/${n}`))) : null,
      ]);
      data = { scoped, global };
    } catch (err) {
      loadError(sections, "the settings", err, draw);
      return;
    }
    const [controls, filters, exclusions, brake] = data.scoped;
    const forms = tenantId
      ? [
          tenantControls(controls, data.global[0], tenantId, status, draw),
          tenantFilters(filters, data.global[1], tenantId, status, draw),
          tenantExclusions(exclusions, data.global[2], tenantId, status, draw),
          tenantBrake(brake, data.global[3], tenantId, status, draw),
        ]
      : [globalControls(controls, status), globalFilters(filters, status), globalExclusions(exclusions, status), globalBrake(brake, status)];
    sections.replaceChildren(...forms);
  };
  scope.addEventListener("change", draw);
  body.append(h("div", { class: "toolbar" }, h("label", { for: "rules-scope" }, "Settings for", scope)), sections);
  await draw();
}

// One form per section: Save sends one PUT; a refusal names its field next to the input, nothing is saved.
function section(legend, intro, fields, saveLabel, save, status) {
  const error = h("p", { class: "field-error", id: `${saveLabel.replace(/\W+/g, "-")}-error`, hidden: true });
  const button = h("button", { type: "submit", class: "primary" }, saveLabel);
  const form = h("form", { novalidate: true }, h("fieldset", {}, h("legend", {}, legend), intro ? h("p", { class: "small muted" }, intro) : "", fields, error, h("div", { class: "toolbar" }, button)));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    for (const bad of form.querySelectorAll("[aria-invalid]")) {
      bad.removeAttribute("aria-invalid");
      bad.removeAttribute("aria-describedby");
    }
    error.hidden = true;
    button.disabled = true;
    try {
      say(status, await save());
    } catch (err) {
      const target = err.field ? form.querySelector(`[data-field="${CSS.escape(err.field)}"]`) : null;
      error.textContent = `Not saved: ${err.message}`;
      error.hidden = false;
      if (target) {
        target.setAttribute("aria-invalid", "true");
        target.setAttribute("aria-describedby", error.id);
        target.focus();
      }
      say(status, `${legend} not saved. ${refusal(err)}`, "error");
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

const onOff = (v) => (v ? "on" : "off");
const listText = (v) => (Array.isArray(v) ? v.join(", ") : "");
const parseList = (text) => {
  const items = text.split(/[,\n]/).map((s) => s.trim()).filter(Boolean);
  return items.length ? items : null;
};
const userTypesKey = (v) => (!v ? "members" : v.includes("Member") && v.includes("Guest") ? "both" : v.includes("Guest") ? "guests" : "members");
const licensedKey = (v) => (v === true ? "yes" : v === false ? "no" : "any");
const describeFilter = (key, v) => {
  if (key === "userTypes") return { members: "members only", both: "members and guests", guests: "guests only" }[userTypesKey(v)];
  if (key === "licensed") return { any: "any", yes: "licensed only", no: "unlicensed only" }[licensedKey(v)];
  return Array.isArray(v) && v.length ? v.join(", ") : "all";
};

function userTypesSelect(id, value) {
  return h(
    "select",
    { id, "data-field": "userTypes" },
    h("option", { value: "members", selected: userTypesKey(value) === "members" }, "Members only"),
    h("option", { value: "both", selected: userTypesKey(value) === "both" }, "Members and guests"),
    h("option", { value: "guests", selected: userTypesKey(value) === "guests" }, "Guests only"),
  );
}

function licensedSelect(id, value) {
  return h(
    "select",
    { id, "data-field": "licensed" },
    h("option", { value: "any", selected: licensedKey(value) === "any" }, "Licensed or not"),
    h("option", { value: "yes", selected: licensedKey(value) === "yes" }, "Licensed only"),
    h("option", { value: "no", selected: licensedKey(value) === "no" }, "Unlicensed only"),
  );
}

// --- global ------------------------------------------------------------------------------------

function globalControls(controls, status) {
  const boxes = CONTROLS.map(([key, label]) => [key, h("input", { type: "checkbox", id: `fc-${key}`, "data-field": key, checked: !!controls[key] }), label]);
  return section(
    "Field rules",
    "On contacts that already exist, a field is overwritten only when its rule is on and Entra has a value: a blank never overwrites. New contacts get every field Entra has.",
    h("div", { class: "controls" }, boxes.map(([key, box, label]) => h("label", { for: `fc-${key}` }, box, label))),
    "Save field rules",
    async () => {
      const body = Object.fromEntries(boxes.map(([key, box]) => [key, box.checked]));
      const saved = await put("/settings/field-controls", body);
      const on = CONTROLS.filter(([k]) => saved[k]).map(([, l]) => l.split(" (")[0].toLowerCase());
      return `Field rules saved for every tenant: the sync may update ${on.join(", ") || "no field"}.`;
    },
    status,
  );
}

function globalFilters(filters, status) {
  const types = userTypesSelect("f-userTypes", filters.userTypes);
  const lic = licensedSelect("f-licensed", filters.licensed);
  const lists = LISTS.map(([key, label]) => [key, label, h("input", { id: `f-${key}`, "data-field": key, value: listText(filters[key]), size: 40 })]);
  return section(
    "Filters",
    "A user is synced only if they meet every filter that is set. Leave a list empty to take every value, including values that appear later.",
    [
      h("div", { class: "row" }, h("label", { for: "f-userTypes" }, "User types"), types),
      lists.map(([key, label, input]) => h("div", { class: "row" }, h("label", { for: `f-${key}` }, label), input, h("span", { class: "small muted" }, key === "groups" ? "comma-separated; members of nested groups count; empty = all" : "comma-separated; empty = all"))),
      h("div", { class: "row" }, h("label", { for: "f-licensed" }, "Licence"), lic),
    ],
    "Save filters",
    async () => {
      const body = { userTypes: USER_TYPES[types.value], licensed: LICENSED[lic.value] };
      for (const [key, , input] of lists) body[key] = parseList(input.value);
      await put("/settings/filters", body);
      return "Filters saved for every tenant.";
    },
    status,
  );
}

function globalExclusions(exclusions, status) {
  const area = h("textarea", { id: "ex-patterns", "data-field": "patterns", rows: 5, spellcheck: "false" });
  area.value = (exclusions.patterns || []).join("\n");
  return section(
    "Exclusions",
    "Regular expressions, one per line, checked against the part of the e-mail address and UPN before the @. Anchor them (^svc[-_.]) so they do not catch real people such as Abbott or Talbot.",
    [h("label", { for: "ex-patterns" }, "Exclusion patterns"), area],
    "Save exclusion patterns",
    async () => {
      const patterns = area.value.split("\n").map((s) => s.trim()).filter(Boolean);
      const saved = await put("/settings/exclusions", { patterns });
      return `Exclusion patterns saved for every tenant (${saved.patterns.length}).`;
    },
    status,
  );
}

function brakeInputs(prefix, brake, disabled = false) {
  const min = h("input", { id: `${prefix}-min`, type: "number", min: 0, step: 1, "data-field": "minContacts", value: String(brake.minContacts), disabled });
  const pct = h("input", { id: `${prefix}-pct`, type: "number", min: 0, max: 100, step: "any", "data-field": "percent", value: String(brake.percent), disabled });
  return { min, pct, fields: [h("div", { class: "row" }, h("label", { for: `${prefix}-min` }, "At least"), min, h("span", {}, "contacts")), h("div", { class: "row" }, h("label", { for: `${prefix}-pct` }, "Or percent"), pct, h("span", {}, "% of the tenant's linked contacts"))] };
}

function globalBrake(brake, status) {
  const { min, pct, fields } = brakeInputs("sb", brake);
  return section(
    "Safety brake",
    "When one run would inactivate more than the larger of these two, its inactivations are held until someone approves them.",
    fields,
    "Save safety brake",
    async () => {
      const saved = await put("/settings/safety-brake", { minContacts: Number(min.value), percent: Number(pct.value) });
      return `Safety brake saved: holds more than max(${saved.minContacts}, ${saved.percent} %) inactivations in one run.`;
    },
    status,
  );
}

// --- per tenant --------------------------------------------------------------------------------

const stateBadge = (overridden) => (overridden ? badge("overridden", "warn") : badge("inherited", "plain"));

function tenantControls(view, global, tenantId, status, draw) {
  const rows = CONTROLS.map(([key, label]) => {
    const has = Object.prototype.hasOwnProperty.call(view.overrides, key);
    const select = h(
      "select",
      { id: `tfc-${key}`, "data-field": key },
      h("option", { value: "", selected: !has }, `Inherit (global: ${onOff(global[key])})`),
      h("option", { value: "on", selected: has && view.overrides[key] === true }, "On for this tenant"),
      h("option", { value: "off", selected: has && view.overrides[key] === false }, "Off for this tenant"),
    );
    return [key, select, h("div", { class: "row" }, h("label", { for: `tfc-${key}` }, label), select, stateBadge(has), h("span", { class: "small muted" }, `now ${onOff(view.effective[key])}`))];
  });
  return section(
    "Field rules",
    "Each rule inherits the global setting unless this tenant overrides it.",
    rows.map(([, , row]) => row),
    "Save field rules",
    async () => {
      const body = {};
      for (const [key, select] of rows) if (select.value) body[key] = select.value === "on";
      const saved = await put(`/settings/field-controls?tenantId=${encodeURIComponent(tenantId)}`, body);
      await draw();
      const n = Object.keys(saved.overrides).length;
      return n ? `Field rules saved: this tenant overrides ${n} of them.` : "Field rules saved: this tenant inherits every global rule.";
    },
    status,
  );
}

function tenantFilters(view, global, tenantId, status, draw) {
  const keys = [["userTypes", "User types"], ...LISTS, ["licensed", "Licence"]];
  const rows = keys.map(([key, label]) => {
    const has = Object.prototype.hasOwnProperty.call(view.overrides, key);
    const lifted = has && view.overrides[key] === null;
    const mode = h(
      "select",
      { id: `tf-${key}-mode`, "aria-label": `${label}: inherit, set or lift` },
      h("option", { value: "inherit", selected: !has }, `Inherit (global: ${describeFilter(key, global[key])})`),
      h("option", { value: "set", selected: has && !lifted }, "Set for this tenant"),
      h("option", { value: "lift", selected: lifted }, "No filter for this tenant"),
    );
    const current = has && !lifted ? view.overrides[key] : global[key];
    const input =
      key === "userTypes"
        ? userTypesSelect(`tf-${key}`, current)
        : key === "licensed"
          ? licensedSelect(`tf-${key}`, current)
          : h("input", { id: `tf-${key}`, "data-field": key, value: listText(current), size: 30 });
    const sync = () => {
      input.disabled = mode.value !== "set";
    };
    mode.addEventListener("change", sync);
    sync();
    return [key, mode, input, h("div", { class: "row" }, h("label", { for: `tf-${key}` }, label), mode, input, stateBadge(has))];
  });
  return section(
    "Filters",
    "Inherit the global filter, set this tenant's own, or lift the filter for this tenant only.",
    rows.map(([, , , row]) => row),
    "Save filters",
    async () => {
      const body = {};
      for (const [key, mode, input] of rows) {
        if (mode.value === "lift") body[key] = null;
        if (mode.value !== "set") continue;
        if (key === "userTypes") body[key] = USER_TYPES[input.value];
        else if (key === "licensed") body[key] = LICENSED[input.value];
        else body[key] = parseList(input.value);
      }
      const saved = await put(`/settings/filters?tenantId=${encodeURIComponent(tenantId)}`, body);
      await draw();
      return `Filters saved: this tenant overrides ${Object.keys(saved.overrides).length} of them.`;
    },
    status,
  );
}

function tenantExclusions(view, global, tenantId, status, draw) {
  const has = Array.isArray(view.overrides.patterns);
  const inherit = h("input", { type: "checkbox", id: "tex-inherit", checked: !has });
  const area = h("textarea", { id: "tex-patterns", "data-field": "patterns", rows: 5, spellcheck: "false" });
  area.value = (has ? view.overrides.patterns : global.patterns).join("\n");
  const sync = () => {
    area.disabled = inherit.checked;
  };
  inherit.addEventListener("change", sync);
  sync();
  return section(
    "Exclusions",
    "This tenant uses the global patterns unless it has its own list (which replaces the global one).",
    [h("div", { class: "row" }, h("label", { for: "tex-inherit" }, inherit, " Use the global patterns"), stateBadge(has)), h("label", { for: "tex-patterns" }, "This tenant's exclusion patterns"), area],
    "Save exclusion patterns",
    async () => {
      const body = inherit.checked ? {} : { patterns: area.value.split("\n").map((s) => s.trim()).filter(Boolean) };
      await put(`/settings/exclusions?tenantId=${encodeURIComponent(tenantId)}`, body);
      await draw();
      return inherit.checked ? "Exclusions saved: this tenant uses the global patterns." : "Exclusions saved: this tenant has its own patterns.";
    },
    status,
  );
}

function tenantBrake(view, global, tenantId, status, draw) {
  const has = Object.keys(view.overrides).length > 0;
  const inherit = h("input", { type: "checkbox", id: "tsb-inherit", checked: !has });
  const { min, pct, fields } = brakeInputs("tsb", view.effective, !has);
  inherit.addEventListener("change", () => {
    min.disabled = pct.disabled = inherit.checked;
  });
  return section(
    "Safety brake",
    `Global: holds more than max(${global.minContacts}, ${global.percent} %) inactivations in one run.`,
    [h("div", { class: "row" }, h("label", { for: "tsb-inherit" }, inherit, " Use the global brake"), stateBadge(has)), fields],
    "Save safety brake",
    async () => {
      const body = inherit.checked ? {} : { minContacts: Number(min.value), percent: Number(pct.value) };
      await put(`/settings/safety-brake?tenantId=${encodeURIComponent(tenantId)}`, body);
      await draw();
      return inherit.checked ? "Safety brake saved: this tenant uses the global brake." : "Safety brake saved for this tenant.";
    },
    status,
  );
}
