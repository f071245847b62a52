// dom.js — tiny helpers. User text only ever goes in through textContent (never innerHTML).

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false || v === null || v === undefined) continue;
    if (k === "class") el.className = v;
    else if (k === "text") el.textContent = v;
    else if (k.startsWith("data-") || k.startsWith("aria-") || ["href", "type", "name", "id",
      "placeholder", "maxlength", "minlength", "autocomplete", "required", "role", "for",
      "rows", "hidden", "pattern", "title", "value"].includes(k)) el.setAttribute(k, v === true ? "" : v);
    else el[k] = v;
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false)
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

export function setText(el, text) { if (el.textContent !== text) el.textContent = text; }

export function show(el, visible) { el.hidden = !visible; }

export function ago(seconds) {
  const d = Math.max(0, Date.now() / 1000 - seconds);
  if (d < 45) return "just now";
  if (d < 3600) return `${Math.round(d / 60)}m`;
  if (d < 86400) return `${Math.round(d / 3600)}h`;
  return new Date(seconds * 1000).toLocaleDateString();
}

/** Put `nodes` into `parent` in this order, moving only the nodes that are out of place. */
export function reconcile(parent, nodes) {
  let cursor = parent.firstChild;
  for (const node of nodes) {
    if (node !== cursor) parent.insertBefore(node, cursor);
    else cursor = cursor.nextSibling;
  }
  while (cursor) { const next = cursor.nextSibling; cursor.remove(); cursor = next; }
}
