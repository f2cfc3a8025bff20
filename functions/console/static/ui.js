// Small DOM helpers: elements without innerHTML (data never becomes markup), panels, tables, messages.

export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "text") el.textContent = value;
    else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "value") el.value = value;
    else if (value === true) el.setAttribute(key, "");
    else el.setAttribute(key, String(value));
  }
  add(el, children);
  return el;
}

function add(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
}

// A panel: its heading (focused when shown), an intro, a live region for results, and a body.
export function panel(view, title, intro = "") {
  view.replaceChildren();
  const heading = h("h1", { tabindex: "-1" }, title);
  const status = h("div", { class: "status", role: "status", "aria-live": "polite" });
  const body = h("div");
  view.append(heading, intro ? h("p", { class: "intro" }, intro) : "", status, body);
  return { heading, status, body };
}

export function say(region, message, kind = "ok") {
  region.replaceChildren(
    kind === "error" ? h("p", { class: "error", role: "alert" }, message) : h("p", { class: "ok" }, message),
  );
}

export function refusal(err) {
  if (err && err.status === 0) return err.message;
  const why = err && err.message ? err.message : String(err);
  return err && err.status ? `Refused (${err.status}): ${why}` : `Failed: ${why}`;
}

// A load that failed: an error, never an empty default, with a way to try again.
export function loadError(container, what, err, retry) {
  container.replaceChildren(
    h(
      "div",
      { class: "error", role: "alert" },
      h("h2", {}, `Could not load ${what}`),
      h("p", {}, err && err.message ? err.message : String(err)),
      retry ? h("button", { type: "button", onclick: retry }, "Try again") : "",
    ),
  );
}

// Run one action from one button: only that button is busy; the result or the refusal is said.
export async function act(button, region, action) {
  if (button.disabled) return;
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  try {
    const message = await action();
    if (message) say(region, message, "ok");
  } catch (err) {
    say(region, refusal(err), "error");
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
  }
}

// columns: [{ label, cell: (row) => node|string, num?: bool }]
export function table(caption, columns, rows, empty = "None.") {
  if (!rows.length) return h("p", { class: "muted" }, empty);
  return h(
    "table",
    {},
    h("caption", {}, caption),
    h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col", class: c.num ? "num" : null }, c.label)))),
    h(
      "tbody",
      {},
      rows.map((row) => h("tr", {}, columns.map((c) => h("td", { class: c.num ? "num" : null }, c.cell(row))))),
    ),
  );
}

export function badge(text, kind = "") {
  return h("span", { class: `badge ${kind}`.trim() }, text);
}

const STATUS_KIND = {
  completed: "ok", succeeded: "ok", ok: "ok", confirmed: "ok", resolved: "ok",
  partial: "warn", held: "warn", "needs-review": "warn", "auto-matched": "plain", running: "plain", queued: "plain",
  failed: "bad", "not-consented": "bad", forbidden: "bad", error: "bad", unmatched: "warn", skipped: "plain",
  dismissed: "plain", open: "warn", unknown: "plain",
};

export function statusBadge(status) {
  return badge(status, STATUS_KIND[status] || "plain");
}

export function dryBadge(run) {
  return run.dryRun ? badge("dry run", "dry") : "";
}

export function when(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function plural(n, noun, many = `${noun}s`) {
  return `${n} ${n === 1 ? noun : many}`;
}

const OUTCOMES = ["created", "linked", "updated", "unchanged", "queued", "inactivated", "reactivated", "ignored", "failed"];

export function countsText(counts, dry = false) {
  const parts = OUTCOMES.filter((k) => counts && counts[k]).map((k) => `${counts[k]} ${k}`);
  if (!parts.length) return "no users";
  return (dry ? "would be: " : "") + parts.join(", ");
}

export { OUTCOMES };

export function download(href, label, name) {
  return h("a", { class: "button", href, download: name || true }, label);
}
