// compose.js — a text box for posts, comments and edits: a counter linked by aria-describedby and
// announced near the limit, and a hint that says why a text cannot be sent (blank, too long)
// instead of silently ignoring or cutting it (no maxlength: a long paste is kept whole).
import { announce } from "./a11y.js";
import { h, setText, show } from "./dom.js";

export const MAX_CHARS = 500;
const NEAR = 20;

export function textField({ id, label, rows = 3, placeholder = "", cls = "" }) {
  const box = h("textarea", { id, class: cls, rows, placeholder, "aria-label": label,
                              "aria-describedby": `${id}-count ${id}-hint` });
  const counter = h("span", { id: `${id}-count`, class: "counter", text: `0/${MAX_CHARS}` });
  const hint = h("p", { id: `${id}-hint`, class: "hint", hidden: true });
  let zone = "ok";

  function say(message, assertive = false) {
    setText(hint, message || "");
    show(hint, !!message);
    if (message) announce(message, assertive);
  }

  function update() {
    const n = box.value.trim().length;
    setText(counter, `${n}/${MAX_CHARS}`);
    counter.classList.toggle("over", n > MAX_CHARS);
    box.setAttribute("aria-invalid", String(n > MAX_CHARS));
    const now = n > MAX_CHARS ? "over" : n >= MAX_CHARS - NEAR ? "near" : "ok";
    if (now !== zone) {
      if (now === "near") announce(`${MAX_CHARS - n} characters left`);
      if (now === "over") say(tooLong(n));
      if (now !== "over" && zone === "over") say("");
      zone = now;
    }
    if (now === "over") setText(hint, tooLong(n));
    else if (n > 0 && !hint.hidden && zone !== "over") say("");
  }

  box.addEventListener("input", update);
  box.addEventListener("paste", (e) => {
    const text = e.clipboardData?.getData("text") ?? "";
    if (text && !text.trim()) say("That paste was only spaces or blank lines: there is nothing to post.");
  });

  return {
    box, counter, hint, update,
    /** The text to send, or null (with the reason shown, announced and focus kept in the box). */
    value() {
      const body = box.value.trim();
      if (!body) say("Write something first: spaces and blank lines alone can't be posted.", true);
      else if (body.length > MAX_CHARS) say(tooLong(body.length), true);
      else { say(""); return body; }
      box.focus();
      return null;
    },
    set(text) { box.value = text; update(); },
    clear() { box.value = ""; zone = "ok"; say(""); update(); },
  };
}

function tooLong(n) {
  return `Too long: ${n} characters, the limit is ${MAX_CHARS}. Shorten it by ${n - MAX_CHARS}.`;
}
