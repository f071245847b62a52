// a11y.js — what screen-reader and keyboard users need beyond the markup: two small live regions
// (polite and assertive) in page.html, an accessible confirmation <dialog>, the j/k/n shortcuts and
// their "?" overlay.
import { h } from "./dom.js";

/** Say `text` through the page's polite (#announce) or assertive (#alert) live region. */
export function announce(text, assertive = false) {
  const region = document.getElementById(assertive ? "alert" : "announce");
  if (!region) return;
  region.textContent = ""; // the same message twice is still read: clear, then set next frame
  requestAnimationFrame(() => { region.textContent = text; });
}

let dialogs = 0;

/** A modal confirmation; focus starts on Cancel and returns to where it was. Resolves true/false. */
export function confirmDialog({ title, text, confirm, danger = true }) {
  const n = ++dialogs;
  const opener = document.activeElement;
  const cancel = h("button", { type: "button", class: "secondary", value: "cancel", text: "Cancel" });
  const ok = h("button", { type: "button", class: danger ? "danger confirm" : "confirm",
                           value: "ok", text: confirm });
  const dialog = h("dialog", { class: "dialog", "aria-labelledby": `dlg-t-${n}`,
                               "aria-describedby": `dlg-d-${n}` },
    h("h2", { id: `dlg-t-${n}`, text: title }), h("p", { id: `dlg-d-${n}`, text }),
    h("div", { class: "dialog-actions" }, cancel, ok));
  document.body.append(dialog);
  return new Promise((resolve) => {
    cancel.addEventListener("click", () => dialog.close("cancel"));
    ok.addEventListener("click", () => dialog.close("ok"));
    dialog.addEventListener("close", () => {
      const yes = dialog.returnValue === "ok";
      dialog.remove();
      if (opener?.isConnected) opener.focus(); // the caller may move it on (e.g. after a delete)
      resolve(yes);
    });
    dialog.showModal();
    cancel.focus();
  });
}

const SHORTCUTS = [["j", "next post"], ["k", "previous post"], ["n", "write a new post"],
  ["?", "show this list"], ["Ctrl+Enter", "send the post or comment you are writing"],
  ["Esc", "cancel an edit, close a dialog"]];

function shortcutsOverlay() {
  const close = h("button", { type: "button", class: "secondary", text: "Close" });
  const dialog = h("dialog", { class: "dialog", id: "shortcuts", "aria-labelledby": "shortcuts-title" },
    h("h2", { id: "shortcuts-title", text: "Keyboard shortcuts" }),
    h("dl", { class: "shortcuts" }, ...SHORTCUTS.flatMap(([key, what]) =>
      [h("dt", {}, h("kbd", { text: key })), h("dd", { text: what })])),
    h("div", { class: "dialog-actions" }, close));
  close.addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  close.focus();
}

const typing = (el) => el && (el.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName));

/** Move focus to the next (+1) or previous (-1) post of the list. */
function step(direction) {
  const posts = [...document.querySelectorAll("#posts article")];
  if (!posts.length) return;
  const at = posts.findIndex((a) => a.contains(document.activeElement));
  let next;
  if (at >= 0) next = posts[Math.min(posts.length - 1, Math.max(0, at + direction))];
  else next = posts.find((a) => a.getBoundingClientRect().bottom > 60) || posts[0];
  next.focus();
  next.scrollIntoView({ block: "nearest" });
}

export function installShortcuts() {
  document.addEventListener("keydown", (e) => {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) return;
    if (document.querySelector("dialog[open]")) return;
    if (e.key === "j" || e.key === "k") { e.preventDefault(); step(e.key === "j" ? 1 : -1); }
    else if (e.key === "n" && document.getElementById("composer-body")) {
      e.preventDefault();
      document.getElementById("composer-body").focus();
    } else if (e.key === "?") { e.preventDefault(); shortcutsOverlay(); }
  });
}
