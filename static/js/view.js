// view.js — renders post lists from the store. Each item keeps its DOM node for its whole life
// (keyed by the command that created it, or by post id), so pending -> confirmed never flickers.
// New posts arriving above a reader who has scrolled down wait behind the "N new posts" pill.
import { announce } from "./a11y.js";
import { textField } from "./compose.js";
import { avatar, h, plural, reconcile, setAttr, setText, setTime, show } from "./dom.js";
import { commandLabel, failureText } from "./stages.js";
import { fillTombstone } from "./timetravel.js";

const nodes = new Map(); // key -> <li>
const fields = new WeakMap(); // <li> -> its edit box (compose.js textField)
/** Failures a Retry can fix (the network, the server); a rule's rejection is offered Edit instead. */
const RETRYABLE = new Set(["not_applied", "rate_limited", "network", "not_logged_in"]);
export const retryable = (error) => !!error && (RETRYABLE.has(error.code) || /^http_5/.test(error.code || ""));

function skeleton(key) {
  const id = `post-${key.replace(/[^\w-]/g, "-")}`;
  const edit = textField({ id: `${id}-edit`, label: "Edit post", cls: "edit-body" });
  const li = h("li", { class: "post", "data-key": key },
    h("article", { tabindex: "-1", "aria-labelledby": `${id}-author ${id}-time` },
      h("div", { class: "meta" }, h("span", { class: "avatar-slot" }),
        h("a", { class: "author", id: `${id}-author` }),
        h("span", { class: "when" }, "· ",
          h("a", { class: "time time-link" }, h("time", { id: `${id}-time` }))),
        h("a", { class: "edited", text: " · edited", hidden: true })),
      h("p", { class: "body" }),
      h("form", { class: "edit-form", hidden: true }, edit.box,
        h("div", { class: "composer-row" }, edit.counter,
          h("button", { type: "button", class: "secondary cancel-edit", text: "Cancel" }),
          h("button", { type: "submit", text: "Save" })), edit.hint),
      h("div", { class: "status" }),
      h("div", { class: "actions" },
        h("button", { type: "button", class: "like", "aria-pressed": "false" },
          h("span", { "aria-hidden": "true" }, "♥ ", h("span", { class: "count" }))),
        h("a", { class: "comments-link" }),
        h("button", { type: "button", class: "link edit", text: "Edit", hidden: true }),
        h("button", { type: "button", class: "link delete", text: "Delete", hidden: true }),
        h("button", { type: "button", class: "retry", text: "Retry", hidden: true }),
        h("button", { type: "button", class: "revise", text: "Edit", hidden: true }),
        h("button", { type: "button", class: "secondary discard", text: "Discard", hidden: true }))));
  fields.set(li, edit);
  return li;
}

/** What went wrong with this item, if anything: {text, error, kind} (kind: post | edit | delete). */
function failure(item, post) {
  const d = item.draft;
  if (d && d.state === "failed") return { text: `Not posted: ${d.error?.message || "failed"}`, error: d.error, kind: "post", label: failureText(d.error) };
  if (post.editState === "failed") return { text: `Edit not saved: ${post.editError?.message}`, error: post.editError, kind: "edit", label: `edit ${failureText(post.editError)}` };
  if (post.deleteError) return { text: `Not deleted: ${post.deleteError.message}`, error: post.deleteError, kind: "delete", label: `delete ${failureText(post.deleteError)}` };
  return null;
}

function fill(li, item, store) {
  const q = (sel) => li.querySelector(sel);
  const draft = item.draft;
  const post = item.post || { author: store.me, body: draft.payload.body, likes: 0, comments: 0 };
  if (post.deleted) { fillTombstone(li, post); return; } // a past page: deleted since
  const failed = failure(item, post);
  li.classList.toggle("pending", !!draft && draft.state === "pending");
  li.classList.toggle("failed", !!failed);
  li.classList.toggle("deleting", !!item.deleting);
  li.dataset.postId = post.id ?? "";
  li.dataset.commandId = draft ? draft.command_id : (store.origin.get(post.id) || "");
  if (!q(".avatar")) q(".avatar-slot").replaceWith(avatar(post.author));
  const author = q(".author");
  setText(author, `@${post.author}`);
  author.href = `/users/${post.author}`;
  const timeLink = q(".time-link");
  setTime(q("time"), post.id ? post.created_at : draft.sentAt / 1000);
  if (post.id) timeLink.href = `/posts/${post.id}`; else timeLink.removeAttribute("href");
  show(q(".when"), !(draft && draft.state === "failed"));
  show(q(".edited"), !!post.edited || post.editState === "pending");
  if (post.id) q(".edited").href = `/posts/${post.id}/history`; // "edited" opens its history
  if (post.id) q(".edited").href = `/posts/${post.id}/history`; // "edited" opens its history
  setText(q(".body"), post.body);

  const status = q(".status");
  // the stage of this item's latest command (stages.js), or what failed and why
  const label = failed ? { text: failed.label, cls: "stage stage-failed error" }
    : draft ? commandLabel(draft) : store.postStatus(post.id);
  const text = label?.text || "";
  setText(status, text);
  status.className = `status ${label?.cls || ""}`.trim();
  status.dataset.commandId = label?.command_id || draft?.command_id || "";
  setAttr(status, "role", text && !failed ? "status" : null); // no empty live regions

  const like = q(".like");
  show(like, !!post.id);
  like.setAttribute("aria-pressed", String(!!post.liked));
  like.classList.toggle("pending", !!post.likePending);
  setAttr(like, "aria-label", `Like, ${plural(post.likes || 0, "like")}${post.likePending ? ", sending" : ""}`);
  like.disabled = !store.me || !!store.past;
  setText(q(".count"), String(post.likes || 0));
  const comments = q(".comments-link");
  show(comments, !!post.id && store.page !== "post");
  if (post.id) comments.href = `/posts/${post.id}`;
  setText(comments, plural(post.comments || 0, "comment"));
  const editing = store.editing.has(post.id);
  const mine = !!post.id && post.author === store.me && !item.deleting && !store.past;
  show(q(".edit"), mine && !editing && !failed);
  show(q(".delete"), mine && !editing && !failed);
  show(q(".retry"), !!failed && retryable(failed.error));
  show(q(".revise"), !!failed && failed.kind !== "delete");
  show(q(".discard"), !!failed);

  const form = q(".edit-form");
  if (editing && form.hidden) fields.get(li).set(post.draftBody ?? post.body);
  show(form, editing);
  show(q(".body"), !editing);
  noticeFailure(li, failed, post);
}

/** A new failure is announced assertively; focus moves to its first action only when focus was
 * in the composer or on this item, never from elsewhere. */
function noticeFailure(li, failed, post) {
  const was = li.dataset.failed === "1";
  li.dataset.failed = failed ? "1" : "";
  if (!failed || was || !li.isConnected) return;
  announce(`${failed.text}${post.body ? ` (“${post.body.slice(0, 60)}”)` : ""}`, true);
  const active = document.activeElement;
  const composer = document.getElementById("composer");
  if (li.contains(active) || composer?.contains(active)) {
    li.querySelector(".actions button:not([hidden]):is(.retry, .revise, .discard)")?.focus();
  }
}

/** Render the list; `pill` ({held, reading()}) collects new posts above a reader scrolled down. */
export function renderList(ol, store, pill) {
  const items = store.visibleItems();
  const firstShown = items.findIndex((i) => nodes.has(i.key));
  const reading = pill && firstShown >= 0 && pill.reading();
  const wanted = [];
  items.forEach((item, index) => {
    let li = nodes.get(item.key);
    if (!li && pill && (pill.held.has(item.key) || (reading && index < firstShown && !item.draft))) {
      pill.held.add(item.key);
      return;
    }
    if (!li) { li = skeleton(item.key); nodes.set(item.key, li); }
    fill(li, item, store);
    wanted.push(li);
  });
  reconcile(ol, wanted);
  const keys = new Set(items.map((i) => i.key));
  for (const key of nodes.keys()) if (!keys.has(key)) nodes.delete(key);
  if (pill) for (const key of pill.held) if (!keys.has(key)) pill.held.delete(key);
  return items.length;
}

/** The item (draft or post) a click inside the list refers to. */
export function itemOf(target) {
  const li = target.closest("li.post");
  if (!li) return null;
  return { li, postId: li.dataset.postId ? Number(li.dataset.postId) : null,
           commandId: li.dataset.commandId || null };
}

export const editField = (li) => fields.get(li);
