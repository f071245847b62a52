// app.js — bootstraps a page: reads the inert initial state, builds the store, wires the view,
// the optimistic commands and the socket together.
import { getJSON, postJSON } from "./api.js";
import { Commands } from "./commands.js";
import { h, setText, show } from "./dom.js";
import { authForm, commentsSection, composer, emptyFeed, followList, profileHeader,
         refreshComments, refreshProfile } from "./pages.js";
import { PAGE_API, connectSocket } from "./socket.js";
import { Store } from "./store.js";
import { itemOf, renderList } from "./view.js";
import { isPast, timeTravelBar } from "./timetravel.js";
import { eventsPage, postHistoryPage, userHistoryPage } from "./history.js";

const initial = JSON.parse(document.getElementById("initial-state").textContent);
const main = document.getElementById("main");
const store = new Store(initial);
const commands = new Commands(store);
window.ripple = { store, commands }; // for the curious (and the e2e tests): inspect the state

const ownProfile = initial.page !== "profile" || initial.data.user?.handle === initial.me;
if (ownProfile) document.querySelector(`[data-nav="${initial.page}"]`)?.classList.add("active");
document.getElementById("logout")?.addEventListener("click", async () => {
  await postJSON("/api/logout", {});
  location.href = "/explore";
});

const AUTH_PAGES = { login: "/api/login", signup: "/api/signup" };

if (AUTH_PAGES[initial.page]) {
  main.append(authForm(initial.page, async (handle, password) => {
    const res = await postJSON(AUTH_PAGES[initial.page], { handle, password });
    if (res.ok) { location.href = "/"; return ""; }
    if (res.status === 429) return `Too many attempts: try again in ${res.retryAfter || 60} s.`;
    return res.error.message;
  }));
} else if (initial.page === "follows") {
  main.append(followList(initial.data));
} else if (initial.page === "events") {
  eventsPage(main, initial.data);
} else if (initial.page === "post_history") {
  postHistoryPage(main, initial.data);
} else if (initial.page === "user_history") {
  userHistoryPage(main, initial.data);
} else if (initial.page === "notfound") {
  main.append(h("p", { class: "empty", text: `That ${initial.data.what || "page"} does not exist (or was deleted).` }));
} else {
  startFeedPage();
}

function startFeedPage() {
  const notice = h("p", { id: "notice", class: "notice", role: "alert", hidden: true });
  const list = h("ol", { id: "posts", class: "posts" });
  const past = isPast(store); // a page as of an event: frozen, no composer, no actions, no socket
  store.past = past;
  if (past) { store.pending.clear(); document.body.classList.add("past"); }
  const parts = [timeTravelBar(store), notice];
  let header = null;
  let comments = null;
  let empty = null;
  if (store.page === "profile") parts.push(header = profileHeader(store, (x) => commands.toggleFollow(x)));
  if (store.me && !past && (store.page === "home" || store.page === "explore")) {
    parts.push(composer((body) => commands.createPost(body)));
  }
  parts.push(list);
  const more = h("button", { type: "button", id: "load-more", class: "more", text: "Load more",
                             hidden: true });
  if (store.page !== "post" && !past) parts.push(more);
  more.addEventListener("click", () => loadMore(more));
  if (store.page === "home") parts.push(empty = emptyFeed(store.data.suggestions));
  if (store.page === "post") {
    parts.push(comments = commentsSection((body) => commands.comment(store.data.post.id, body)));
    comments.addEventListener("click", (e) => {
      const id = e.target.dataset.command;
      if (e.target.matches(".retry")) commands.retry(id);
      if (e.target.matches(".discard")) commands.discard(id);
    });
  }
  main.append(...parts);
  list.addEventListener("click", (e) => onListClick(e));
  list.addEventListener("submit", (e) => {
    e.preventDefault();
    const item = itemOf(e.target);
    const body = e.target.querySelector(".edit-body").value.trim();
    if (item && body) commands.editPost(item.postId, body);
  });

  store.subscribe(() => {
    const count = renderList(list, store);
    if (header) refreshProfile(header, store);
    if (comments) refreshComments(comments, store, store.me);
    if (empty) show(empty, count === 0);
    show(more, store.next !== null && store.page !== "post");
    if (store.page === "post" && store.data.deleted) {
      setText(notice, "This post was deleted.");
      show(notice, true);
    } else if (store.notice) {
      setText(notice, store.notice.text);
      show(notice, true);
      store.notice = null;
      setTimeout(() => show(notice, false), 5000);
    }
  });
  store.changed();

  if (store.me && !past) {
    const dot = document.getElementById("connection");
    connectSocket(store, commands, (up) => {
      show(dot, true);
      setText(dot, up ? "live" : "reconnecting…");
      dot.classList.toggle("down", !up);
    });
    commands.resendAll();
    commands.startWatchdog();
  }
}

/** The next page of the list (cursor = the oldest post id shown), appended below. */
async function loadMore(button) {
  button.disabled = true;
  const res = await getJSON(`${PAGE_API[store.page](store)}?before=${store.next}`);
  button.disabled = false;
  if (res.ok) {
    for (const p of res.data.posts) store.upsertPost(p, true);
    store.next = res.data.next;
  } else store.notice = { kind: "error", text: res.error.message };
  store.changed();
}

function onListClick(e) {
  const item = itemOf(e.target);
  if (!item) return;
  const btn = e.target.closest("button");
  if (!btn) return;
  if (btn.matches(".like")) commands.toggleLike(item.postId);
  else if (btn.matches(".edit")) { store.editing.add(item.postId); store.changed(); }
  else if (btn.matches(".cancel-edit")) { store.editing.delete(item.postId); store.changed(); }
  else if (btn.matches(".delete")) commands.deletePost(item.postId);
  else if (btn.matches(".retry") || btn.matches(".discard")) {
    const post = item.postId ? store.shownPost(item.postId) : null;
    const id = post?.editCommand || post?.deleteCommand || item.commandId;
    if (btn.matches(".retry")) commands.retry(id); else commands.discard(id);
  }
}
