// pages.js — the page layouts around the post list: heading, composer, profile header, post page
// with comments, and the login/sign-up forms. Built once; `refresh` updates them.
import { announce } from "./a11y.js";
import { textField } from "./compose.js";
import { avatar, h, plural, reconcile, setAttr, setText, show, timeEl } from "./dom.js";
import { followButton, refreshFollow } from "./people.js";
import { commandLabel, failureText } from "./stages.js";

export const CQRS_NOTE = "Your post shows here at once. Others see it a moment later, when the "
  + "read side has it (that is CQRS: writes and reads travel separately).";

export function pageHeading(text, hidden = false) {
  return h("h1", { class: hidden ? "page-title sr-only" : "page-title", text });
}

export function composer(onSubmit) {
  const field = textField({ id: "composer-body", label: "New post", placeholder: "What's happening?" });
  field.box.name = "body";
  const form = h("form", { id: "composer", class: "composer" }, field.box,
    h("div", { class: "composer-row" }, field.counter,
      h("button", { type: "submit", id: "post-button", text: "Post" })), field.hint,
    h("p", { class: "note", text: CQRS_NOTE }));
  field.box.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); form.requestSubmit(); }
  });
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const body = field.value();
    if (body === null) return;
    onSubmit(body);
    field.clear(); // cleared and ready for the next post in the same frame
    field.box.focus();
  });
  form.field = field;
  return form;
}

export function profileHeader(store, onFollow) {
  const el = h("section", { class: "profile" },
    h("div", { class: "profile-top" }, h("span", { class: "avatar-slot" }),
      h("h1", { class: "handle" })),
    h("p", { class: "joined" }, "joined ", h("time", { class: "joined-at" })),
    h("p", { class: "counts" },
      h("span", { class: "posts" }), " · ",
      h("a", { class: "followers" }), " · ", h("a", { class: "following" })),
    followButton(store.data.user.handle),
    h("span", { class: "status follow-status" }));
  el.querySelector(".follow").addEventListener("click", () => onFollow(store.data.user.handle));
  el.querySelector(".avatar-slot").replaceWith(avatar(store.data.user.handle, "large"));
  return el;
}

export function refreshProfile(el, store) {
  const u = store.shownProfile();
  setText(el.querySelector(".handle"), `@${u.handle}`);
  const joined = el.querySelector(".joined-at");
  if (joined.dataset.ts !== String(u.joined)) joined.replaceWith(timeEl(u.joined, { class: "joined-at" }));
  setText(el.querySelector(".posts"), plural(u.posts, "post"));
  setText(el.querySelector(".followers"), plural(u.followers, "follower"));
  setText(el.querySelector(".following"), `${u.following} following`);
  el.querySelector(".followers").href = `/users/${u.handle}/followers`;
  el.querySelector(".following").href = `/users/${u.handle}/following`;
  refreshFollow(el.querySelector(".follow"), { on: u.followed_by_me, pending: u.followPending },
                !!store.me && store.me !== u.handle);
  const label = store.followStatus(u.handle); // the latest follow/unfollow's stage (stages.js)
  const status = el.querySelector(".follow-status");
  setText(status, label?.text || "");
  status.className = `status follow-status ${label?.cls || ""}`.trim();
  status.dataset.commandId = label?.command_id || "";
  setAttr(status, "role", label?.text ? "status" : null);
}

export function commentsSection(onComment) {
  const field = textField({ id: "comment-body", label: "New comment", rows: 2,
                            placeholder: "Write a comment" });
  const form = h("form", { id: "comment-form", class: "composer" }, field.box,
    h("div", { class: "composer-row" }, field.counter, h("button", { type: "submit", text: "Comment" })),
    field.hint);
  field.box.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); form.requestSubmit(); }
  });
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const body = field.value();
    if (body === null) return;
    onComment(body);
    field.clear();
  });
  const section = h("section", { class: "comments", "aria-labelledby": "comments-title" },
    h("h2", { id: "comments-title", text: "Comments" }),
    h("ol", { id: "comments", class: "comment-list" }), form);
  section.field = field;
  return section;
}

const commentNodes = new Map(); // key -> <li>: kept across renders so focus is never lost

function commentNode(key, c, me) {
  const author = c.author || me;
  return h("li", { class: "comment", "data-key": key, "data-comment-id": c.id },
    h("div", { class: "meta" }, avatar(author),
      h("a", { class: "author", href: `/users/${author}`, text: `@${author}` }),
      c.created_at ? [" · ", timeEl(c.created_at, { class: "time" })] : null),
    h("p", { class: "body", text: c.body ?? c.payload.body }));
}

export function refreshComments(section, store, me) {
  const ol = section.querySelector("ol");
  const postId = store.data.post?.id;
  const drafts = [...store.pending.values()]
    .filter((c) => c.type === "create_comment" && c.payload.post_id === postId);
  const count = store.posts.get(postId)?.comments;
  setText(section.querySelector("h2"), count === undefined ? "Comments" : `Comments (${count})`);
  const wanted = [];
  for (const c of store.comments) {
    const key = `id:${c.id}`;
    if (!commentNodes.has(key)) commentNodes.set(key, commentNode(key, c, me));
    const li = commentNodes.get(key);
    refreshDone(li, store.doneLabel(`comment:${c.id}`));
    wanted.push(li);
  }
  for (const c of drafts) {
    const key = `c:${c.command_id}`;
    if (!commentNodes.has(key)) commentNodes.set(key, commentNode(key, c, me));
    const li = commentNodes.get(key);
    refreshDraft(li, c, section);
    wanted.push(li);
  }
  reconcile(ol, wanted);
  const keep = new Set(wanted);
  for (const [key, li] of commentNodes) if (!keep.has(li)) commentNodes.delete(key);
  show(section.querySelector("form"), !!me && !store.data.deleted);
}

/** A confirmed comment this tab sent keeps its last stage ("visible to everyone · N ms"). */
function refreshDone(li, done) {
  let status = li.querySelector(".status");
  if (!done) { status?.remove(); return; }
  if (!status) li.append(status = h("div", { class: "status", role: "status" }));
  setText(status, done.text);
  status.className = `status ${done.cls}`;
  li.dataset.commandId = done.command_id || "";
}

function refreshDraft(li, c, section) {
  const failed = c.state === "failed";
  const was = li.classList.contains("failed");
  li.className = `comment ${c.state}`;
  li.dataset.commandId = c.command_id;
  let status = li.querySelector(".status");
  if (!status) li.append(status = h("div", { class: "status" }));
  const label = commandLabel(c); // the comment's stage, or its refusal / rejection (stages.js)
  setText(status, failed ? failureText(c.error) : label.text);
  status.className = `status ${label.cls}`;
  setAttr(status, "role", failed ? null : "status"); // the rejection is announced assertively
  if (!failed || was) return;
  const actions = h("div", { class: "actions" },
    h("button", { type: "button", class: "revise", "data-command": c.command_id, text: "Edit" }),
    h("button", { type: "button", class: "secondary discard", "data-command": c.command_id,
                  text: "Discard" }));
  li.append(actions);
  announce(`Comment not posted: ${c.error?.message}`, true);
  const active = document.activeElement;
  if (li.contains(active) || section.querySelector("form").contains(active)) actions.firstChild.focus();
}

export { authForm } from "./auth.js";
