// view.js — renders post lists from the store. Each item keeps its DOM node for its whole life
// (keyed by the command that created it, or by post id), so pending -> confirmed never flickers.
import { ago, h, reconcile, setText, show } from "./dom.js";
import { fillTombstone } from "./timetravel.js";

const nodes = new Map(); // key -> <li>

function skeleton(key) {
  const li = h("li", { class: "post", "data-key": key },
    h("div", { class: "meta" },
      h("a", { class: "author" }), " · ", h("a", { class: "time" }),
      h("a", { class: "edited", text: " · edited", hidden: true })),
    h("p", { class: "body" }),
    h("form", { class: "edit-form", hidden: true },
      h("textarea", { class: "edit-body", rows: 3, maxlength: 500, "aria-label": "Edit post" }),
      h("button", { type: "submit", text: "Save" }),
      h("button", { type: "button", class: "link cancel-edit", text: "Cancel" })),
    h("div", { class: "status", role: "status" }),
    h("div", { class: "actions" },
      h("button", { type: "button", class: "like", "aria-pressed": "false" },
        "♥ ", h("span", { class: "count" })),
      h("a", { class: "comments-link" }),
      h("button", { type: "button", class: "link edit", text: "Edit", hidden: true }),
      h("button", { type: "button", class: "link delete", text: "Delete", hidden: true }),
      h("button", { type: "button", class: "retry", text: "Retry", hidden: true }),
      h("button", { type: "button", class: "link discard", text: "Discard", hidden: true })));
  return li;
}

function fill(li, item, store) {
  const q = (sel) => li.querySelector(sel);
  const draft = item.draft;
  const post = item.post || { author: store.me, body: draft.payload.body, likes: 0, comments: 0 };
  if (post.deleted) { fillTombstone(li, post); return; } // a past page: deleted since
  li.classList.toggle("pending", !!draft && draft.state === "pending");
  li.classList.toggle("failed", !!draft && draft.state === "failed");
  li.classList.toggle("deleting", !!item.deleting);
  li.dataset.postId = post.id ?? "";
  li.dataset.commandId = draft ? draft.command_id : (store.origin.get(post.id) || "");
  const author = q(".author");
  setText(author, `@${post.author}`);
  author.href = `/users/${post.author}`;
  const time = q(".time");
  setText(time, post.id ? ago(post.created_at) : "now");
  if (post.id) time.href = `/posts/${post.id}`; else time.removeAttribute("href");
  show(q(".edited"), !!post.edited || post.editState === "pending");
  if (post.id) q(".edited").href = `/posts/${post.id}/history`; // "edited" opens its history
  setText(q(".body"), post.body);

  const status = q(".status");
  let text = "";
  if (draft && draft.state === "pending") text = "sending…";
  else if (draft) text = `Not posted: ${draft.error?.message || "failed"}`;
  else if (item.deleting) text = "deleting…";
  else if (post.editState === "pending") text = "saving edit…";
  else if (post.editState === "failed") text = `Edit not saved: ${post.editError?.message}`;
  else if (post.deleteError) text = `Not deleted: ${post.deleteError.message}`;
  else if (post.elapsed !== undefined) text = `visible to everyone · ${post.elapsed} ms`;
  setText(status, text);
  status.className = `status${(draft && draft.state === "failed") || post.editState === "failed"
    || post.deleteError ? " error" : ""}`;

  const like = q(".like");
  show(like, !!post.id);
  like.setAttribute("aria-pressed", String(!!post.liked));
  like.classList.toggle("pending", !!post.likePending);
  like.disabled = !store.me || !!store.past;
  setText(q(".count"), String(post.likes || 0));
  const comments = q(".comments-link");
  show(comments, !!post.id && store.page !== "post");
  if (post.id) comments.href = `/posts/${post.id}`;
  setText(comments, `${post.comments || 0} comment${post.comments === 1 ? "" : "s"}`);
  const mine = !!post.id && post.author === store.me && !item.deleting && !store.past;
  show(q(".edit"), mine && !store.editing.has(post.id));
  show(q(".delete"), mine);
  const failed = (draft && draft.state === "failed") || post.editState === "failed" || !!post.deleteError;
  show(q(".retry"), failed);
  show(q(".discard"), failed);

  const form = q(".edit-form");
  const editing = store.editing.has(post.id);
  if (editing && form.hidden) q(".edit-body").value = post.draftBody ?? post.body;
  show(form, editing);
  show(q(".body"), !editing);
}

export function renderList(ol, store) {
  const items = store.visibleItems();
  const wanted = items.map((item) => {
    let li = nodes.get(item.key);
    if (!li) { li = skeleton(item.key); nodes.set(item.key, li); }
    fill(li, item, store);
    return li;
  });
  reconcile(ol, wanted);
  const keys = new Set(items.map((i) => i.key));
  for (const key of nodes.keys()) if (!keys.has(key)) nodes.delete(key);
  return items.length;
}

/** The item (draft or post) a click inside the list refers to. */
export function itemOf(target) {
  const li = target.closest("li.post");
  if (!li) return null;
  return { li, postId: li.dataset.postId ? Number(li.dataset.postId) : null,
           commandId: li.dataset.commandId || null };
}
