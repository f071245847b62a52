// timetravel.js — a page as of an event: the banner, the scrubber (drag, or step ±1 event), "Back
// to live", and tombstones. A past page is frozen: no socket, no composer, no actions.
import { getJSON } from "./api.js";
import { h, setText, show } from "./dom.js";

export const isPast = (store) => typeof store.data.as_of === "number";

/** This page's URL as of `seq` (null: live). */
export function urlAt(seq) {
  const url = new URL(location.href);
  url.searchParams.delete("at");
  if (seq === null) url.searchParams.delete("as_of"); else url.searchParams.set("as_of", String(seq));
  return url.pathname + url.search;
}

function when(at) {
  return new Date(at * 1000).toLocaleString();
}

/** The time-travel section at the top of a list page (home, explore, profile, post). */
export function timeTravelBar(store) {
  const past = isPast(store);
  const asOf = past ? store.data.as_of : null;
  const banner = h("p", { id: "time-banner", class: "time-banner", role: "status", hidden: !past },
    h("span", { class: "where", text: past ? `You are viewing Ripple as of event #${asOf}` : "" }),
    h("span", { class: "at" }), " — ",
    h("a", { id: "back-to-live", href: urlAt(null), text: "Back to live" }),
    h("span", { class: "newer" }));
  const toggle = h("button", { type: "button", id: "time-travel", class: "link",
    text: past ? "" : "Time travel", hidden: past });
  const row = h("div", { class: "time-row" }, toggle, historyLinks(store));
  const bar = h("section", { class: "time-travel", "aria-label": "Time travel" }, banner, row);
  // The scrubber is built when first wanted: at once on a past page, on "Time travel" on a live one
  // (focused then, once enabled).
  let focus = false;
  const open = () => {
    const parts = scrubber(store);
    bar.append(parts.scrub);
    fill(store, { banner, ...parts }).then(() => { if (focus) parts.range.focus(); });
    return parts;
  };
  if (past) open();
  toggle.addEventListener("click", () => { show(toggle, false); focus = true; open(); });
  return bar;
}

function scrubber(store) {
  const past = isPast(store);
  const asOf = past ? store.data.as_of : null;
  const range = h("input", { id: "time-scrubber", type: "range", min: 0, max: asOf ?? 0,
    value: asOf ?? 0, "aria-label": "Event number to view the page at" });
  const label = h("output", { id: "time-label", for: "time-scrubber", text: past ? `#${asOf}` : "" });
  const back = h("button", { type: "button", id: "step-back", class: "step", text: "◀ 1 event",
    "aria-label": "One event back" });
  const fwd = h("button", { type: "button", id: "step-forward", class: "step", text: "1 event ▶",
    "aria-label": "One event forward" });
  const scrub = h("div", { class: "scrubber", "aria-busy": "true" }, back, range, fwd, label);
  // Until the log's head is known the range is 0..as_of: a drag or ◀ would land on a version
  // nobody aimed at (a live page's range is 0..0), so the controls wait for it (see fill).
  for (const control of [range, back, fwd]) control.disabled = true;
  const go = (seq) => { location.href = urlAt(seq); };
  range.addEventListener("input", () => setText(label, `#${range.value}`));
  range.addEventListener("change", () => go(Number(range.value)));
  back.addEventListener("click", () => go(Math.max(0, Number(range.value) - 1)));
  fwd.addEventListener("click", () => {
    const next = Number(range.value) + 1;
    go(next >= Number(range.max) && !past ? null : Math.min(next, Number(range.max)));
  });
  return { scrub, range, label, back, fwd };
}

async function fill(store, { banner, scrub, range, label, back, fwd }) {
  const head = await getJSON("/api/events?limit=1");
  if (!head.ok) return;  // the scrubber stays disabled; "Back to live" still works
  const top = head.data.head;
  range.max = String(top);
  range.disabled = back.disabled = false;
  scrub.removeAttribute("aria-busy");
  if (!isPast(store)) {
    range.value = String(top);
    setText(label, `#${top} (live)`);
    fwd.disabled = true;
    return;
  }
  const asOf = store.data.as_of;
  const newer = top - asOf;
  setText(banner.querySelector(".newer"), ` · ${newer} newer event${newer === 1 ? "" : "s"}`);
  fwd.disabled = asOf >= top;
  if (asOf === 0) { setText(banner.querySelector(".at"), " · before the first event"); return; }
  const ev = await getJSON(`/api/events?after=${asOf - 1}&limit=1`);
  if (ev.ok && ev.data.events.length) setText(banner.querySelector(".at"), ` · ${when(ev.data.events[0].at)}`);
}

function historyLinks(store) {
  if (store.page === "profile" && store.data.user) {
    const handle = store.data.user.handle;
    return h("a", { class: "history-link", href: `/users/${handle}/history`, text: `@${handle}'s history` });
  }
  if (store.page === "post" && store.data.post) {
    return h("a", { class: "history-link", href: `/posts/${store.data.post.id}/history`,
      text: "This post's history" });
  }
  return h("a", { class: "history-link", href: "/events", text: "Event log" });
}

/** A post deleted since the page's version, as others see it: who, and that it is gone. */
export function fillTombstone(li, post) {
  li.classList.add("tombstone");
  li.dataset.postId = post.id;
  const author = li.querySelector(".author");
  setText(author, `@${post.author}`);
  author.href = `/users/${post.author}`;
  setText(li.querySelector(".time"), "");
  setText(li.querySelector(".body"), "This post was deleted since.");
  for (const sel of [".actions", ".edit-form", ".edited", ".status"]) show(li.querySelector(sel), false);
}
