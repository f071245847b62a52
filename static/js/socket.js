// socket.js — live updates. The server only sends what concerns this tab (its rooms); every
// handler is idempotent because an event can arrive twice (a worker re-run) or after a resync.
import { io } from "/vendor/socket.io.esm.min.js";
import { getJSON } from "./api.js";

export function connectSocket(store, commands, setConnection, inspector = null) {
  const socket = io({ transports: ["websocket", "polling"], reconnectionDelayMax: 3000 });
  store.socket = socket;

  socket.on("connect", () => {
    // "live" once the server has joined this tab's rooms (the ack), not merely when connected.
    // Then catch up on what was emitted before that -- while away, and on the first connect too:
    // the page's initial state is a snapshot from when it was served.
    socket.emit("watch", { rooms: roomsFor(store) }, () => {
      setConnection(true);
      resync(store, commands);
    });
  });
  socket.on("disconnect", (reason) => {
    setConnection(false);
    // The server ends a socket when its session ended (logged out elsewhere): try again, and the
    // refusal below sends this tab to the login page. (A client-side disconnect stays down.)
    if (reason === "io server disconnect") socket.connect();
  });
  socket.on("connect_error", (err) => {
    setConnection(false);
    if (err?.data?.code === "session_ended") location.href = "/login"; // never a silent visitor
  });

  socket.on("post_created", (m) => commands.postConfirmed(m.post, m.command_id, m.version));
  socket.on("command_saved", (m) => commands.saved(m.command_id, m.timings));
  socket.on("command_succeeded", (m) => commands.succeeded(m.command_id, m.result, m.version, m.timings));
  socket.on("command_failed", (m) => commands.failed(m.command_id, { ...m.error, kind: "rejected" }));
  socket.on("demo", (m) => inspector?.onDemo(m)); // every tab: the banner follows the controls
  if (inspector) { // only a tab with the inspector open is in its room (and hears these)
    socket.on("system", (m) => inspector.onSystem(m));
    socket.on("events_appended", (m) => inspector.onEvents(m.events || []));
  }
  socket.on("post_edited", (m) => update(store, m, (p) => Object.assign(p, {
    body: m.body, edited_at: m.edited_at, edited: true })));
  socket.on("post_deleted", (m) => {
    store.seeVersion(m.version);
    const user = store.data.user;
    const shown = store.posts.has(m.post_id);
    if (store.page === "profile" && user?.handle === m.author && shown) user.posts -= 1;
    store.removePost(m.post_id);
    if (store.page === "post" && store.data.post?.id === m.post_id) store.data.deleted = true;
    store.changed();
  });
  socket.on("comment_created", (m) => {
    update(store, m, (p) => { p.comments = m.comments; });
    if (m.comment.author === store.me && store.pending.has(m.command_id)) {
      commands.commentConfirmed(m.comment, m.command_id, m.version);
    } else if (store.page === "post" && store.data.post?.id === m.post_id
               && store.data.post.comments_next == null // all older pages shown: it goes last
               && !store.comments.some((c) => c.id === m.comment.id)) {
      store.comments.push(m.comment);
      store.changed();
    }
  });
  for (const name of ["post_liked", "post_unliked"]) {
    socket.on(name, (m) => update(store, m, (p) => {
      p.likes = m.likes;
      if (m.user === store.me) p.liked = name === "post_liked";
    }));
  }
  for (const name of ["user_followed", "user_unfollowed"]) {
    socket.on(name, (m) => {
      store.seeVersion(m.version);
      const user = store.data.user;
      if (!user) return;
      if (user.handle === m.followee) {
        user.followers = m.followee_followers;
        if (m.follower === store.me) user.followed_by_me = name === "user_followed";
      }
      if (user.handle === m.follower) user.following = m.follower_following;
      store.changed();
    });
  }
  return socket;
}

function update(store, m, fn) {
  store.seeVersion(m.version);
  const post = store.posts.get(m.post_id);
  if (post) { fn(post); store.changed(); }
}

function roomsFor(store) {
  return [...pageRooms(store), ...(store.inspectorOpen ? ["inspector"] : [])];
}

function pageRooms(store) {
  if (store.page === "explore") return ["timeline"];
  if (store.page === "profile") return [`profile:${store.data.user.handle}`];
  if (store.page === "post" && store.data.post) return [`post:${store.data.post.id}`];
  if (store.page === "events") return ["log"]; // only the log head: the page fetches the events
  return []; // home: the feed arrives through this user's own room
}

/** Join or leave the inspector room as the panel opens or closes (the page's rooms stay). */
export function rewatch(store) {
  if (store.socket?.connected) store.socket.emit("watch", { rooms: roomsFor(store) });
}

export const PAGE_API = {
  home: () => "/api/feed",
  explore: () => "/api/timeline",
  profile: (s) => `/api/users/${s.data.user.handle}`,
  post: (s) => `/api/posts/${s.data.post.id}`,
};

/** After a reconnect: fetch this page's data again, merge what changed, re-check pending commands. */
export async function resync(store, commands) {
  const url = PAGE_API[store.page]?.(store);
  if (url) {
    const res = await getJSON(url);
    if (res.ok && res.data.version >= store.version) {
      if (res.data.posts) {
        const fresh = new Set(res.data.posts.map((p) => p.id));
        const oldest = Math.min(...fresh);
        for (const id of [...store.list]) if (id > oldest && !fresh.has(id)) store.removePost(id);
        for (const p of res.data.posts) store.upsertPost(p, true);
      }
      if (res.data.user) store.data.user = res.data.user;
      if (res.data.post) {
        store.upsertPost(res.data.post, false);
        for (const c of res.data.post.comment_list) {
          if (!store.comments.some((x) => x.id === c.id)) store.comments.push(c);
        }
      }
      store.seeVersion(res.data.version);
      store.changed();
    } else if (res.status === 404 && store.page === "post") { // deleted while we were away
      store.removePost(store.data.post.id);
      store.data.deleted = true;
      store.changed();
    }
  }
  await commands.watchdog(true);
}
