// "Connect a tenant": the admin-consent link for a tenant without GDAP, in a dialog.
import { get } from "./api.js";
import { h, refusal, say, when } from "./ui.js";

export function connectButton(label = "Connect a tenant without GDAP", cls = "") {
  return h("button", { type: "button", class: cls || null, onclick: () => openConsentDialog() }, label);
}

export function openConsentDialog() {
  const status = h("div", { class: "status", role: "status", "aria-live": "polite" });
  const result = h("div");
  const getLink = h("button", { type: "button", class: "primary" }, "Get the consent link");
  const close = h("button", { type: "button" }, "Close");
  const dialog = h(
    "dialog",
    { "aria-labelledby": "consent-title" },
    h("h2", { id: "consent-title" }, "Connect a tenant without GDAP"),
    h(
      "p",
      {},
      "Send this link to a Global Administrator of the customer's tenant. They sign in with Microsoft, see the " +
        "app's read-only permissions and accept. Microsoft then sends them back here: the tenant is registered, " +
        "read, and shown under Tenants and mappings, ready to map to a client.",
    ),
    h("p", { class: "small muted" }, "The link works for 15 minutes; get a new one for each administrator."),
    h("div", { class: "toolbar" }, getLink, close),
    status,
    result,
  );
  close.addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => dialog.remove());
  getLink.addEventListener("click", async () => {
    getLink.disabled = true;
    try {
      const link = await get("/consent/link");
      const field = h("input", { class: "url", id: "consent-url", readonly: true, value: link.url });
      const copy = h("button", { type: "button" }, "Copy link");
      copy.addEventListener("click", async () => {
        try {
          await navigator.clipboard.writeText(link.url);
          say(status, "Link copied.");
        } catch {
          field.select();
          say(status, "Select the link and copy it (the browser refused to copy).", "error");
        }
      });
      result.replaceChildren(
        h("label", { for: "consent-url" }, "Admin-consent link"),
        field,
        h("p", { class: "small muted" }, `Expires at ${when(link.expiresAt)}. Returns to ${link.redirectUri}.`),
        h("div", { class: "toolbar" }, copy, h("a", { class: "button", href: link.url }, "Open the consent page here")),
      );
      say(status, "Consent link ready.");
    } catch (err) {
      say(status, refusal(err), "error");
    } finally {
      getLink.disabled = false;
    }
  });
  document.body.append(dialog);
  dialog.showModal();
  getLink.focus();
  return dialog;
}
