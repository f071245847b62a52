// pages.js — the page layouts around the post list: composer, profile header, post page with
// comments, empty states, and the login/sign-up forms. Built once; `refresh` updates them.
import { ago, h, setText, show } from "./dom.js";
import { commandLabel } from "./stages.js";

export const CQRS_NOTE = "Your post shows here at once. Others see it a moment later, when the "
  + "read side has it (that is CQRS: writes and reads travel separately).";

export function composer(onSubmit) {
  const text = h("textarea", { id: "composer-body", name: "body", rows: 3, maxlength: 500,
    placeholder: "What's happening?", "aria-label": "New post" });
  const count = h("span", { class: "counter", text: "0/500" });
  const form = h("form", { id: "composer", class: "composer" }, text,
    h("div", { class: "composer-row" }, count,
      h("button", { type: "submit", id: "post-button", text: "Post" })),
    h("p", { class: "note", text: CQRS_NOTE }));
  text.addEventListener("input", () => setText(count, `${text.value.trim().length}/500`));
  text.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) form.requestSubmit();
  });
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const body = text.value.trim();
    if (!body) { text.focus(); return; }
    onSubmit(body);
    text.value = ""; // cleared and ready for the next post in the same frame
    setText(count, "0/500");
    text.focus();
  });
  return form;
}

export function profileHeader(store, onFollow) {
  const el = h("section", { class: "profile" },
    h("h1", { class: "handle" }), h("p", { class: "joined" }),
    h("p", { class: "counts" },
      h("span", { class: "posts" }), " · ",
      h("a", { class: "followers" }), " · ", h("a", { class: "following" })),
    h("button", { type: "button", class: "follow", hidden: true }),
    h("span", { class: "status", role: "status" }));
  el.querySelector(".follow").addEventListener("click", () => onFollow(store.data.user.handle));
  return el;
}

export function refreshProfile(el, store) {
  const u = store.shownProfile();
  setText(el.querySelector(".handle"), `@${u.handle}`);
  setText(el.querySelector(".joined"), `joined ${ago(u.joined)}`);
  setText(el.querySelector(".posts"), `${u.posts} post${u.posts === 1 ? "" : "s"}`);
  setText(el.querySelector(".followers"), `${u.followers} follower${u.followers === 1 ? "" : "s"}`);
  setText(el.querySelector(".following"), `${u.following} following`);
  el.querySelector(".followers").href = `/users/${u.handle}/followers`;
  el.querySelector(".following").href = `/users/${u.handle}/following`;
  const btn = el.querySelector(".follow");
  show(btn, !!store.me && store.me !== u.handle);
  setText(btn, u.followed_by_me ? "Following" : "Follow");
  btn.classList.toggle("on", !!u.followed_by_me);
  btn.classList.toggle("pending", !!u.followPending);
  const label = store.followStatus(u.handle);
  const status = el.querySelector(".status");
  setText(status, label?.text || "");
  status.className = `status ${label?.cls || ""}`.trim();
  status.dataset.commandId = label?.command_id || "";
}

export function commentsSection(onComment) {
  const text = h("textarea", { id: "comment-body", rows: 2, maxlength: 500,
    placeholder: "Write a comment", "aria-label": "New comment" });
  const form = h("form", { id: "comment-form", class: "composer" }, text,
    h("div", { class: "composer-row" }, h("button", { type: "submit", text: "Comment" })));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const body = text.value.trim();
    if (!body) return;
    onComment(body);
    text.value = "";
  });
  return h("section", { class: "comments" }, h("h2", { text: "Comments" }),
    h("ol", { id: "comments", class: "comment-list" }), form);
}

export function refreshComments(section, store, me) {
  const ol = section.querySelector("ol");
  const postId = store.data.post?.id;
  const drafts = [...store.pending.values()]
    .filter((c) => c.type === "create_comment" && c.payload.post_id === postId);
  const count = store.posts.get(postId)?.comments;
  setText(section.querySelector("h2"), count === undefined ? "Comments" : `Comments (${count})`);
  ol.replaceChildren(
    ...store.comments.map((c) => {
      const done = store.doneLabel(`comment:${c.id}`);
      return h("li", { class: "comment", "data-comment-id": c.id, "data-command-id": done?.command_id },
        h("a", { class: "author", href: `/users/${c.author}`, text: `@${c.author}` }),
        h("span", { class: "time", text: ` · ${ago(c.created_at)}` }),
        h("p", { class: "body", text: c.body }),
        done ? h("div", { class: `status ${done.cls}`, role: "status", text: done.text }) : null);
    }),
    ...drafts.map((c) => h("li", { class: `comment ${c.state}`, "data-command-id": c.command_id },
      h("span", { class: "author", text: `@${me}` }),
      h("p", { class: "body", text: c.payload.body }),
      h("div", { class: `status ${commandLabel(c).cls}`, role: "status", text: commandLabel(c).text }),
      c.state === "failed" ? h("div", { class: "actions" },
        h("button", { type: "button", class: "retry", "data-command": c.command_id, text: "Retry" }),
        h("button", { type: "button", class: "link discard", "data-command": c.command_id,
          text: "Discard" })) : null)));
  show(section.querySelector("form"), !!me && !store.data.deleted);
}

/** /users/<h>/followers|following: who follows them, whom they follow (newest first). */
export function followList({ handle, which, total, ...rest }) {
  const handles = rest[which] || [];
  const label = total === 1 && which === "followers" ? "follower" : which;
  return h("section", { class: "profile follow-list" },
    h("h1", {}, h("a", { href: `/users/${handle}`, text: `@${handle}` }), ` · ${total} ${label}`),
    handles.length ? h("ul", { class: "suggestions" }, ...handles.map((x) =>
      h("li", {}, h("a", { href: `/users/${x}`, text: `@${x}` }))))
      : h("p", { class: "empty", text: "No one yet." }));
}

export function emptyFeed(suggestions) {
  return h("div", { class: "empty", id: "empty-feed" },
    h("p", { text: "Your feed is empty: follow someone to fill your feed." }),
    suggestions?.length ? h("ul", { class: "suggestions" }, ...suggestions.map((s) =>
      h("li", {}, h("a", { href: `/users/${s}`, text: `@${s}` })))) : null,
    h("p", {}, "Or look around on ", h("a", { href: "/explore", text: "Explore" }), "."));
}

export function authForm(kind, onSubmit) {
  const isSignup = kind === "signup";
  const error = h("p", { class: "error", role: "alert", hidden: true });
  const handle = h("input", { id: "handle", name: "handle", required: true, minlength: 3,
    maxlength: 20, autocomplete: "username", pattern: "[A-Za-z0-9_]{3,20}" });
  const password = h("input", { id: "password", name: "password", type: "password", required: true,
    minlength: isSignup ? 8 : 1, autocomplete: isSignup ? "new-password" : "current-password" });
  const form = h("form", { id: `${kind}-form`, class: "auth" },
    h("h1", { text: isSignup ? "Join Ripple" : "Log in" }),
    h("label", { for: "handle", text: "Handle" }), handle,
    isSignup ? h("small", { text: "3–20 letters, digits or _" }) : null,
    h("label", { for: "password", text: "Password" }), password,
    isSignup ? h("small", { text: "8 characters or more" }) : null,
    error,
    h("button", { type: "submit", text: isSignup ? "Sign up" : "Log in" }),
    h("p", {}, isSignup ? "Have an account? " : "New here? ",
      h("a", { href: isSignup ? "/login" : "/signup", text: isSignup ? "Log in" : "Sign up" })));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const message = await onSubmit(handle.value.trim(), password.value);
    setText(error, message || "");
    show(error, !!message);
  });
  return form;
}
