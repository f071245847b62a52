// history.js — the audit pages: the event log (/events, live), a post's history with word diffs,
// a member's history. Everything from the data goes in as text (never HTML).
import { getJSON } from "./api.js";
import { h, setText, show } from "./dom.js";
import { followLog } from "./live_log.js";

const TYPES = ["user_registered", "post_created", "post_edited", "post_deleted", "comment_created",
  "post_liked", "post_unliked", "user_followed", "user_unfollowed"];

const when = (at) => new Date(at * 1000).toLocaleString();

function postOf(ev) {
  const d = ev.data || {};
  return d.post?.id ?? d.comment?.post_id ?? d.post_id ?? null;
}

/** One event of the log, linking to what it touched. */
function eventItem(ev) {
  const pid = postOf(ev);
  const links = [];
  if (pid !== null) links.push(h("a", { href: `/posts/${pid}/history`, text: `post #${pid}` }));
  for (const who of [ev.data?.handle, ev.data?.followee].filter(Boolean)) {
    links.push(h("a", { href: `/users/${who}`, text: `@${who}` }));
  }
  if (ev.author) links.push(h("a", { href: `/users/${ev.author}/history`, text: `@${ev.author}'s history` }));
  return h("li", { class: "event", "data-seq": ev.seq, "data-type": ev.type },
    h("div", { class: "meta" }, h("span", { class: "seq", text: `#${ev.seq}` }), " · ",
      h("span", { class: "type", text: ev.type }), " · ",
      h("time", { text: when(ev.at), title: String(ev.at) })),
    h("p", { class: "summary", text: ev.summary || ev.type }),
    h("p", { class: "links" }, ...links.flatMap((a, i) => (i ? [" · ", a] : [a]))));
}

function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== "") q.set(k, v);
  return q.toString();
}

/** /events: filter form, newest first, new events arrive at the top (live_log.js); returns the
 * follower, which app.js connects to the socket. */
export function eventsPage(main, data) {
  const filters = data.filters || {};
  const type = h("select", { id: "filter-type", name: "type", "aria-label": "Event type" },
    h("option", { value: "", text: "all types" }),
    ...TYPES.map((t) => h("option", { value: t, text: t, selected: filters.type === t })));
  const member = h("input", { id: "filter-handle", name: "handle", placeholder: "member",
    "aria-label": "Member", value: filters.handle || "" });
  const form = h("form", { id: "event-filters", class: "filters", method: "get", action: "/events" },
    type, member, h("button", { type: "submit", text: "Filter" }));
  const list = h("ol", { id: "events", class: "events" }, ...data.events.map(eventItem));
  const more = h("button", { type: "button", id: "load-more", class: "more", text: "Older events",
    hidden: data.next === null });
  main.append(h("h1", { text: "Event log" }),
    h("p", { class: "note", text: "Every change in Ripple is an event in this append-only log; the "
      + "pages are projections of it. New events arrive at the top as they happen. Deleted posts "
      + "keep no body here, and likes show as counts." }),
    form, list, more);
  let next = data.next;
  const base = Object.fromEntries(Object.entries({ type: filters.type, handle: filters.handle })
    .filter(([, v]) => v));
  more.addEventListener("click", async () => {
    const res = await getJSON(`/api/events?${query({ ...base, before: next })}`);
    if (!res.ok) return;
    list.append(...res.data.events.map(eventItem));
    next = res.data.next;
    show(more, next !== null);
  });
  return followLog({ head: data.head, params: base, arrive(events) {
    for (const ev of events) {
      const item = eventItem(ev);
      item.classList.add("arrived"); // a brief highlight (CSS): it came while you watched
      list.prepend(item);
    }
  } });
}

function diffView(pieces) {
  return h("p", { class: "diff" }, ...pieces.map((p) => (p.op === "equal" ? p.text
    : h(p.op === "insert" ? "ins" : "del", { text: p.text }))));
}

function historyItem(ev) {
  const body = [];
  if (ev.body !== undefined) body.push(h("p", { class: "body", text: ev.body }));
  if (ev.diff) body.push(diffView(ev.diff));
  if (ev.comment !== undefined) body.push(h("p", { class: "body comment-text", text: ev.comment }));
  return h("li", { class: "event", "data-seq": ev.seq, "data-type": ev.type },
    h("div", { class: "meta" }, h("span", { class: "seq", text: `#${ev.seq}` }), " · ",
      h("time", { text: when(ev.at), title: String(ev.at) }), " · ",
      h("a", { href: `/posts/${ev.post_id ?? ""}?as_of=${ev.seq}`, class: "as-of", text: "view as of here" })),
    h("p", { class: "summary", text: ev.summary }), ...body);
}

/** /posts/<id>/history: oldest first, each edit as a word diff. */
export function postHistoryPage(main, data) {
  const items = (evs) => evs.map((e) => historyItem({ ...e, post_id: data.post_id }));
  const list = h("ol", { id: "history", class: "events" }, ...items(data.events));
  const more = h("button", { type: "button", id: "load-more", class: "more", text: "More",
    hidden: data.next === null });
  let next = data.next;
  more.addEventListener("click", async () => {
    const res = await getJSON(`/api/posts/${data.post_id}/history?after=${next}`);
    if (!res.ok) return;
    list.append(...items(res.data.events));
    next = res.data.next;
    show(more, next !== null);
  });
  main.append(h("h1", { text: `History of post #${data.post_id}` }),
    h("p", { class: "note" }, data.deleted ? "This post was deleted." : h("a", {
      href: `/posts/${data.post_id}`, text: "See the post" }), data.author ? " · by " : "",
    data.author ? h("a", { href: `/users/${data.author}`, text: `@${data.author}` }) : ""),
    list, more);
}

/** /users/<h>/history: the member's activity, newest first. */
export function userHistoryPage(main, data) {
  const list = h("ol", { id: "history", class: "events" }, ...data.events.map(eventItem));
  const more = h("button", { type: "button", id: "load-more", class: "more", text: "Older",
    hidden: data.next === null });
  let next = data.next;
  more.addEventListener("click", async () => {
    const res = await getJSON(`/api/users/${data.handle}/history?before=${next}`);
    if (!res.ok) return;
    list.append(...res.data.events.map(eventItem));
    next = res.data.next;
    show(more, next !== null);
  });
  const title = h("h1", {}, h("a", { href: `/users/${data.handle}`, text: `@${data.handle}` }), " · history");
  setText(title.lastChild, " · history");
  main.append(title, list, more);
}
