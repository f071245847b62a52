// app.js — bootstraps a page: reads the inert initial state, builds the store, wires the view,
// the optimistic commands and the socket together.
import { installShortcuts } from "./a11y.js";
import { getJSON, postJSON } from "./api.js";
import { Commands } from "./commands.js";
import { h, show } from "./dom.js";
import { Inspector } from "./inspector.js";
import { followClick, wireComments, wireList, wirePeople } from "./interact.js";
import { landing } from "./landing.js";
import { authForm, commentsSection, composer, pageHeading, profileHeader, refreshComments,
         refreshProfile } from "./pages.js";
import { emptyFeed, followList, refreshPeople } from "./people.js";
import { newPostsPill } from "./pill.js";
import { startShell } from "./shell.js";
import { PAGE_API, connectSocket, rewatch } from "./socket.js";
import { Store } from "./store.js";
import { eventsPage, postHistoryPage, userHistoryPage } from "./history.js";
import { isPast, timeTravelBar } from "./timetravel.js";
import { renderList } from "./view.js";

const initial = JSON.parse(document.getElementById("initial-state").textContent);
const main = document.getElementById("main");
const store = new Store(initial);
const commands = new Commands(store);
const inspector = store.me ? new Inspector(store, { demo: initial.demo, guest: initial.guest,
  crowdDefault: initial.crowd_default }) : null;
window.ripple = { store, commands, inspector }; // for the curious (and the e2e tests)

const ownProfile = initial.page !== "profile" || initial.data.user?.handle === initial.me;
if (ownProfile) {
  const link = document.querySelector(`[data-nav="${initial.page}"]`);
  link?.classList.add("active");
  link?.setAttribute("aria-current", "page");
}
let socket = null; // this tab's live connection (closed first when it logs out: no reconnect race)
document.getElementById("logout")?.addEventListener("click", async () => {
  socket?.disconnect();
  await postJSON("/api/logout", {});
  location.href = "/explore";
});
installShortcuts();

const AUTH_PAGES = { login: "/api/login", signup: "/api/signup" };
const TITLES = { home: "Home", explore: "Explore" };

if (AUTH_PAGES[initial.page]) {
  main.append(authForm(initial.page, async (handle, password) => {
    const res = await postJSON(AUTH_PAGES[initial.page], { handle, password });
    if (res.ok) { location.href = "/"; return ""; }
    if (res.status === 429) return `Too many attempts: try again in ${res.retryAfter || 60} s.`;
    return res.error.message;
  }));
} else if (initial.page === "landing") {
  main.append(landing(initial));
} else if (initial.page === "follows") {
  const shell = startShell(store, main);
  main.append(followList(initial.data, store.me));
  wirePeople(main, store, commands);
  store.subscribe(() => refreshPeople(main, store));
  store.changed();
  goLive(shell);
} else if (initial.page === "events") {
  const shell = startShell(store, main);
  const log = eventsPage(main, initial.data);
  window.ripple.log = log.state;
  goLive(shell, log);
  setInterval(() => rewatch(store), 30_000); // the worker feeds the `log` room while watched (60 s)
} else if (initial.page === "post_history") {
  postHistoryPage(main, initial.data);
} else if (initial.page === "user_history") {
  userHistoryPage(main, initial.data);
} else if (initial.page === "notfound") {
  main.append(pageHeading("Not found"),
    h("p", { class: "empty", text: `That ${initial.data.what || "page"} does not exist (or was deleted).` }));
} else {
  startFeedPage();
}

function startFeedPage() {
  const shell = startShell(store, main);
  const list = h("ol", { id: "posts", class: "posts", "aria-label": "Posts" });
  const past = isPast(store); // a page as of an event: frozen, no composer, no actions, no socket
  store.past = past;
  if (past) { store.pending.clear(); document.body.classList.add("past"); }
  const parts = [timeTravelBar(store)];
  let header = null;
  let comments = null;
  let empty = null;
  let form = null;
  if (TITLES[store.page]) parts.push(pageHeading(TITLES[store.page]));
  if (store.page === "post") {
    parts.push(pageHeading(`Post by @${store.data.post?.author}`, true));
  }
  if (store.page === "profile") parts.push(header = profileHeader(store, (x) => followClick(store, commands, x)));
  if (store.page === "profile" && store.me && store.me === store.data.user?.handle) {
    parts.push(logoutAllButton());
  }
  if (store.me && !past && (TITLES[store.page] || (store.page === "profile" && ownProfile))) {
    parts.push(form = composer((body) => commands.createPost(body)));
  }
  const pill = newPostsPill(list, () => store.changed());
  parts.push(pill.element, list);
  const more = h("button", { type: "button", id: "load-more", class: "more", text: "Load more",
                             hidden: true });
  const end = h("p", { id: "end-of-feed", class: "end", text: "You're all caught up: that's every post.",
                       hidden: true });
  if (store.page !== "post" && !past) parts.push(more, end);
  more.addEventListener("click", () => loadMore(more));
  if (store.page === "home") parts.push(empty = emptyFeed(store.data.suggestions, store.me));
  let moreComments = null;
  if (store.page === "post") {
    parts.push(comments = commentsSection((body) => commands.comment(store.data.post.id, body)));
    parts.push(moreComments = h("button", { type: "button", id: "more-comments", class: "more",
                                            text: "More comments", hidden: true }));
    moreComments.addEventListener("click", () => loadMoreComments(moreComments));
    wireComments(comments, commands, store);
  }
  main.append(...parts);
  wireList(list, store, commands, form);
  if (empty) wirePeople(empty, store, commands);

  store.subscribe(() => {
    const count = renderList(list, store, store.page === "post" ? null : pill);
    pill.refresh();
    if (header) refreshProfile(header, store);
    if (comments) refreshComments(comments, store, store.me);
    if (empty) { show(empty, count === 0); refreshPeople(empty, store); }
    show(more, store.next !== null && store.page !== "post");
    show(end, store.next === null && count > 0);
    if (moreComments) show(moreComments, store.data.post?.comments_next != null);
    if (store.page === "post" && store.data.deleted) shell.say("This post was deleted.", false);
  });
  store.changed();
  goLive(shell);
}

function goLive(shell, log = null) {
  if (store.past) return; // a page that shows the past does not change
  // Logged out too: Explore, profiles, post pages and the log go live (public rooms only).
  socket = connectSocket(store, commands, (up) => { shell.connection(up); log?.connection(up); },
                         inspector);
  if (log) socket.on("log_head", (m) => log.onHead(m.head));
  if (!store.me) return;
  commands.resendAll();
  commands.startWatchdog();
}

/** "Log out everywhere" (own profile only): ends every session of this member, sockets included. */
function logoutAllButton() {
  const btn = h("button", { type: "button", id: "logout-all", class: "link",
                            text: "Log out everywhere" });
  btn.addEventListener("click", async () => {
    btn.disabled = true;
    socket?.disconnect();
    const res = await postJSON("/api/logout-all", {});
    if (res.ok || res.status === 401) { location.href = "/explore"; return; }
    btn.disabled = false;
    socket?.connect();
    store.notice = { kind: "error", text: res.error.message };
    store.changed();
  });
  return btn;
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

/** The next page of a post's comments (a long thread arrives a page at a time), appended below. */
async function loadMoreComments(button) {
  const post = store.data.post;
  button.disabled = true;
  const res = await getJSON(`/api/posts/${post.id}/comments?after=${post.comments_next}`);
  button.disabled = false;
  if (res.ok) {
    for (const c of res.data.comments) {
      if (!store.comments.some((x) => x.id === c.id)) store.comments.push(c);
    }
    post.comments_next = res.data.next;
  } else store.notice = { kind: "error", text: res.error.message };
  store.changed();
}
