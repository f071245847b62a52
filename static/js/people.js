// people.js — members as cards (initials avatar, handle, Follow button): the empty home feed's
// suggestions and the followers / following lists. Follow buttons carry aria-pressed and say
// "sending" while pending (not only a dashed border).
import { avatar, h, plural, setText, show } from "./dom.js";

export function followButton(handle) {
  return h("button", { type: "button", class: "follow", "data-handle": handle, "aria-pressed": "false" });
}

/** Show `state` ({on, pending}) on a Follow button. */
export function refreshFollow(btn, state, visible = true) {
  show(btn, visible);
  setText(btn, state.on ? "Following" : "Follow");
  btn.setAttribute("aria-pressed", String(!!state.on));
  btn.classList.toggle("on", !!state.on);
  btn.classList.toggle("pending", !!state.pending);
}

function card(handle, detail, me) {
  return h("li", { class: "person" }, avatar(handle, "large"),
    h("div", { class: "who" }, h("a", { href: `/users/${handle}`, text: `@${handle}` }),
      detail ? h("span", { class: "detail", text: detail }) : null),
    me && me !== handle ? followButton(handle) : null);
}

export function emptyFeed(suggestions, me) {
  const list = suggestions || [];
  return h("section", { class: "empty-feed", id: "empty-feed", "aria-labelledby": "empty-title" },
    h("h2", { id: "empty-title", text: "Your feed is empty: follow someone to fill your feed." }),
    list.length ? h("p", { class: "lead", text: "Popular on Ripple:" }) : null,
    list.length ? h("ul", { class: "suggestions people" }, ...list.map((s) =>
      card(s.handle, plural(s.followers, "follower"), me))) : null,
    h("p", {}, "Or look around on ", h("a", { href: "/explore", text: "Explore" }), "."));
}

/** /users/<h>/followers|following: who follows them, whom they follow (newest first). */
export function followList({ handle, which, total, ...rest }, me) {
  const handles = rest[which] || [];
  const label = total === 1 && which === "followers" ? "follower" : which;
  return h("section", { class: "profile follow-list" },
    h("h1", {}, h("a", { href: `/users/${handle}`, text: `@${handle}` }), ` · ${total} ${label}`),
    handles.length ? h("ul", { class: "people" }, ...handles.map((x) => card(x, "", me)))
      : h("p", { class: "empty", text: "No one yet." }));
}

/** Bring every Follow button under `root` up to date with the store. */
export function refreshPeople(root, store) {
  for (const btn of root.querySelectorAll(".people .follow")) {
    refreshFollow(btn, store.shownFollow(btn.dataset.handle));
  }
}
