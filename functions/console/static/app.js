// The console: hash routes to panels, the nav's current page, focus on the panel's heading, the
// consent callback's banner. Every panel calls the JSON API only.
import { get } from "./api.js";
import { h } from "./ui.js";
import * as attention from "./panels/attention.js";
import * as brakes from "./panels/brakes.js";
import * as licences from "./panels/licences.js";
import * as review from "./panels/review.js";
import * as rules from "./panels/rules.js";
import * as runs from "./panels/runs.js";
import * as setup from "./panels/setup.js";
import * as tenants from "./panels/tenants.js";

const ROUTES = { setup, attention, tenants, rules, runs, review, brakes, licences };
const view = document.getElementById("view");
const banner = document.getElementById("banner");

function parse() {
  const raw = location.hash.replace(/^#\/?/, "");
  const [path, query = ""] = raw.split("?");
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  return { name: parts[0] || "", rest: parts.slice(1), params: new URLSearchParams(query) };
}

export function navigate(hash) {
  if (location.hash === hash) render();
  else location.hash = hash;
}

const ctx = { navigate, refreshNav: () => refreshNav() };

async function render() {
  const route = parse();
  const module = ROUTES[route.name];
  if (!module) {
    let complete = false;
    try {
      complete = await setup.isComplete();
    } catch {
      complete = false; // the setup panel shows the load error itself
    }
    location.replace(`#/${complete ? "attention" : "setup"}`);
    return;
  }
  for (const link of document.querySelectorAll("#nav a")) {
    if (link.getAttribute("href") === `#/${route.name}`) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  document.title = `${document.querySelector(`#nav a[href="#/${route.name}"]`).textContent.replace(/\d+.*$/, "").trim()} · Contact sync console`;
  const shown = module.show(view, route, ctx);
  const heading = view.querySelector("h1");
  if (heading && !view.contains(document.activeElement)) heading.focus();
  await shown;
  refreshNav();
}

async function refreshNav() {
  const link = document.querySelector('#nav a[href="#/attention"]');
  link.querySelector(".count")?.remove();
  try {
    const items = await get("/attention");
    if (items.length) {
      link.append(h("span", { class: "count" }, String(items.length), h("span", { class: "visually-hidden" }, " items")));
    }
  } catch {
    link.append(h("span", { class: "count", title: "could not load what needs attention" }, "?"));
  }
}

async function consentBanner() {
  const params = new URLSearchParams(location.search);
  const consented = params.get("consented");
  const failed = params.get("consentError");
  if (!consented && !failed) return;
  history.replaceState(null, "", `/${consented ? "#/tenants" : location.hash || "#/tenants"}`);
  if (failed) {
    banner.replaceChildren(h("div", { class: "banner bad", role: "alert" }, `The tenant's administrator did not consent: ${failed}`));
    return;
  }
  let text = `Tenant ${consented} is connected.`;
  try {
    const tenant = (await get("/tenants")).find((t) => t.tenantId === consented);
    if (tenant) {
      text =
        tenant.health === "ok"
          ? `${tenant.displayName || consented} is connected: registered and read (${tenant.domains.join(", ") || "no verified domain"}). Map it to a client below.`
          : `${tenant.displayName || consented} is registered, but Microsoft Graph answered ${tenant.health}: ${tenant.healthMessage || ""}`;
    }
  } catch (err) {
    text += ` (Its details could not be loaded: ${err.message})`;
  }
  banner.replaceChildren(h("div", { class: "banner", role: "status" }, text));
}

window.addEventListener("hashchange", () => {
  banner.replaceChildren();
  render();
});
consentBanner().finally(render);
