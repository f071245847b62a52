// dom.js — tiny helpers. User text only ever goes in through textContent (never innerHTML).

const ATTRS = ["href", "type", "name", "id", "placeholder", "maxlength", "minlength", "autocomplete",
  "required", "role", "for", "rows", "hidden", "pattern", "title", "value", "tabindex", "datetime"];

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false || v === null || v === undefined) continue;
    if (k === "class") el.className = v;
    else if (k === "text") el.textContent = v;
    else if (k.startsWith("data-") || k.startsWith("aria-") || ATTRS.includes(k)) {
      el.setAttribute(k, v === true ? "" : v);
    } else el[k] = v;
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false)
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

export function setText(el, text) { if (el.textContent !== text) el.textContent = text; }

export function show(el, visible) { el.hidden = !visible; }

export function setAttr(el, name, value) {
  if (value === null || value === undefined || value === false) el.removeAttribute(name);
  else if (el.getAttribute(name) !== String(value)) el.setAttribute(name, value);
}

/** "just now", "3 min", "2 h", then the date: how long ago `seconds` (epoch) was. */
export function ago(seconds) {
  const d = Math.max(0, Date.now() / 1000 - seconds);
  if (d < 60) return "just now";
  if (d < 3600) return `${Math.floor(d / 60)} min`;
  if (d < 86400) return `${Math.floor(d / 3600)} h`;
  const date = new Date(seconds * 1000);
  const sameYear = date.getFullYear() === new Date().getFullYear();
  return date.toLocaleDateString(undefined, sameYear ? { month: "short", day: "numeric" }
    : { year: "numeric", month: "short", day: "numeric" });
}

/** Point a <time> element at `seconds` (epoch): machine-readable datetime, exact title, relative
 * text. refreshTimes() keeps the text current (app.js runs it every minute). */
export function setTime(el, seconds) {
  const date = new Date(seconds * 1000);
  el.dataset.ts = String(seconds);
  setAttr(el, "datetime", date.toISOString());
  setAttr(el, "title", date.toLocaleString(undefined, { dateStyle: "full", timeStyle: "short" }));
  setText(el, ago(seconds));
}

export function timeEl(seconds, attrs = {}) {
  const el = h("time", attrs);
  setTime(el, seconds);
  return el;
}

export function refreshTimes(root = document) {
  for (const el of root.querySelectorAll("time[data-ts]")) setText(el, ago(Number(el.dataset.ts)));
}

/** A generated initials avatar (no uploads): "alice_b" -> "AB", a colour picked from the handle. */
export function avatar(handle, size = "") {
  const parts = handle.split(/[_0-9]+/).filter(Boolean);
  const initials = (parts.length > 1 ? parts[0][0] + parts[1][0] : handle.slice(0, 2)).toUpperCase();
  let hash = 0;
  for (const ch of handle) hash = (hash * 31 + ch.charCodeAt(0)) >>> 0;
  // The initials are drawn by CSS (content: attr(data-initials)): decoration, not text content.
  return h("span", { class: `avatar avatar-${hash % 8} ${size}`.trim(), "aria-hidden": "true",
                     "data-initials": initials });
}

export function plural(n, one, many = `${one}s`) { return `${n} ${n === 1 ? one : many}`; }

/** Put `nodes` into `parent` in this order, moving only the nodes that are out of place. */
export function reconcile(parent, nodes) {
  let cursor = parent.firstChild;
  for (const node of nodes) {
    if (node !== cursor) parent.insertBefore(node, cursor);
    else cursor = cursor.nextSibling;
  }
  while (cursor) { const next = cursor.nextSibling; cursor.remove(); cursor = next; }
}
