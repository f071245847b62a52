// store.js — the one owner of client state. The view renders from it; only its methods change it.
// Confirmed data is what the server's read models said; pending commands are the optimistic layer
// on top, kept in localStorage until the server has answered them, so a reload loses nothing.
// Each pending command also has a stage (stages.js): sending → accepted → saved → visible.
import { History, commandLabel, stageLabel } from "./stages.js";

const storageKey = (me) => `ripple.pending.v1.${me}`;

export class Store {
  constructor({ page, me, data }) {
    this.page = page;
    this.me = me;
    this.data = data || {};
    this.version = this.data.version || 0;
    this.posts = new Map();      // id -> post, as the read side says
    this.list = [];              // ids shown in this page's list, newest first
    this.next = this.data.next ?? null; // cursor of the next page of the list (null: no more)
    this.comments = [];          // post page: confirmed comments, oldest first
    this.pending = new Map();    // command_id -> {command_id, type, payload, sentAt, state, error}
    this.origin = new Map();     // post id -> the command_id that created it (keeps its DOM node)
    this.elapsed = new Map();    // post id -> ms from submit to "visible to everyone"
    this.likeIntent = new Map(); // post id -> liked state the user chose last (while in flight)
    this.followIntent = new Map(); // handle -> following state the user chose last
    this.editing = new Set();    // post ids whose edit form is open
    this.notice = null;          // a short message for the user {text, kind}
    this.done = new Map();       // "post:<id>" | "comment:<id>" | "profile:<h>" -> {type, ms, command_id}
    this.history = new History(me); // this tab's last 20 commands (the inspector's list)
    this.listeners = [];
    for (const p of this.data.posts || []) this.upsertPost(p, true);
    if (this.data.post) {
      this.upsertPost(this.data.post, this.page === "post"); // the post page shows the post itself
      this.comments = this.data.post.comment_list || [];
    }
    this.loadPending();
  }

  subscribe(fn) { this.listeners.push(fn); }
  changed() { for (const fn of this.listeners) fn(this); }

  // ---- confirmed data -------------------------------------------------------------------------
  upsertPost(post, inList) {
    const prev = this.posts.get(post.id);
    this.posts.set(post.id, prev ? { ...prev, ...post } : post);
    if (inList && !this.list.includes(post.id)) {
      this.list.push(post.id);
      this.list.sort((a, b) => b - a);
    }
  }

  removePost(id) {
    this.posts.delete(id);
    this.list = this.list.filter((x) => x !== id);
  }

  seeVersion(v) { if (typeof v === "number" && v > this.version) this.version = v; }

  // ---- pending commands (the optimistic layer) ------------------------------------------------
  addPending(type, payload) {
    const cmd = { command_id: crypto.randomUUID(), type, payload, sentAt: Date.now(),
                  state: "pending", stage: "sending", error: null };
    this.pending.set(cmd.command_id, cmd);
    this.savePending();
    this.history.track(cmd.command_id, { type, sent: cmd.sentAt, stage: "sending" }, true);
    return cmd;
  }

  /** A pending command reached `stage` (never moves back: answers may arrive out of order). */
  setStage(id, stage) {
    const cmd = this.pending.get(id);
    const order = ["sending", "accepted", "saved"];
    if (cmd && cmd.state === "pending" && order.indexOf(stage) > order.indexOf(cmd.stage || "sending")) {
      cmd.stage = stage;
      this.savePending();
      return true;
    }
    return false;
  }

  /** The status line of a post: its latest command's stage (edit, delete, like), or how long the
   * last one took to be visible to everyone. {text, cls, command_id} or null. */
  postStatus(id) {
    const cmds = [...this.pending.values()].filter((c) => c.payload.post_id === id
      && c.type !== "create_comment").sort((a, b) => a.sentAt - b.sentAt);
    const last = cmds.pop();
    if (last) return { ...commandLabel(last), command_id: last.command_id };
    const done = this.doneLabel(`post:${id}`);
    if (done || !this.elapsed.has(id)) return done;
    return { ...stageLabel("create_post", "visible", this.elapsed.get(id)), command_id: this.origin.get(id) };
  }

  /** The follow button's status line on a profile: the latest follow/unfollow's stage. */
  followStatus(handle) {
    const last = [...this.pending.values()].filter((c) => c.payload.handle === handle)
      .sort((a, b) => a.sentAt - b.sentAt).pop();
    if (last) return { ...commandLabel(last), command_id: last.command_id };
    return this.doneLabel(`profile:${handle}`);
  }

  doneLabel(key) {
    const d = this.done.get(key);
    return d ? { ...stageLabel(d.type, "visible", d.ms), command_id: d.command_id } : null;
  }

  failPending(id, error) {
    const cmd = this.pending.get(id);
    if (!cmd) return;
    cmd.state = "failed";
    cmd.error = error;
    this.savePending();
  }

  resolvePending(id) {
    const cmd = this.pending.get(id);
    if (cmd) {
      this.pending.delete(id);
      this.savePending();
    }
    return cmd;
  }

  pendingOf(type, test = () => true) {
    return [...this.pending.values()].filter((c) => c.type === type && test(c));
  }

  loadPending() {
    if (!this.me) return;
    try {
      for (const c of JSON.parse(localStorage.getItem(storageKey(this.me)) || "[]")) {
        this.pending.set(c.command_id, c);
      }
    } catch { /* a corrupt entry is dropped rather than breaking the page */ }
  }

  savePending() {
    if (this.me) localStorage.setItem(storageKey(this.me), JSON.stringify([...this.pending.values()]));
  }

  // ---- derived views ----------------------------------------------------------------------------
  /** The post list as shown: pending new posts first (newest first), then confirmed posts. */
  visibleItems() {
    // A pending post shows only in lists it will belong to: the home feed, the timeline and the
    // author's own profile (never on another member's profile, nor on a post page).
    const ownList = this.page === "home" || this.page === "explore"
      || (this.page === "profile" && this.data.user?.handle === this.me);
    const drafts = !ownList ? [] : this.pendingOf("create_post")
      .sort((a, b) => b.sentAt - a.sentAt)
      .map((c) => ({ key: `c:${c.command_id}`, draft: c }));
    const deleting = new Set(this.pendingOf("delete_post", (c) => c.state === "pending")
      .map((c) => c.payload.post_id));
    const posts = this.list.filter((id) => this.posts.has(id)).map((id) => {
      const origin = this.origin.get(id);
      return { key: origin ? `c:${origin}` : `p:${id}`, post: this.shownPost(id),
               deleting: deleting.has(id) };
    });
    return [...drafts, ...posts];
  }

  /** A confirmed post with the user's own pending likes and edits laid over it. */
  shownPost(id) {
    const post = { ...this.posts.get(id) };
    const likes = this.pendingOf("like_post", (c) => c.payload.post_id === id)
      .concat(this.pendingOf("unlike_post", (c) => c.payload.post_id === id))
      .filter((c) => c.state === "pending").sort((a, b) => a.sentAt - b.sentAt);
    const intent = this.likeIntent.get(id);
    const want = intent !== undefined ? intent
      : likes.length ? likes[likes.length - 1].type === "like_post" : undefined;
    if (want !== undefined && want !== !!post.liked) {
      post.likes = (post.likes || 0) + (want ? 1 : -1);
      post.liked = want;
      post.likePending = true;
    }
    if (likes.length) post.likePending = true; // still in flight, even if it shows the wanted state
    const edit = this.pendingOf("edit_post", (c) => c.payload.post_id === id).pop();
    if (edit) {
      post.editState = edit.state;
      post.editError = edit.error;
      post.editCommand = edit.command_id;
      if (edit.state === "pending") post.body = edit.payload.body;
      else post.draftBody = edit.payload.body;
    }
    const del = this.pendingOf("delete_post", (c) => c.payload.post_id === id).pop();
    if (del && del.state === "failed") {
      post.deleteError = del.error;
      post.deleteCommand = del.command_id;
    }
    post.elapsed = this.elapsed.get(id);
    return post;
  }
}

/** The profile being viewed, with the user's pending follow/unfollow laid over it. */
Store.prototype.shownProfile = function shownProfile() {
  const user = { ...(this.data.user || {}) };
  const intent = this.followIntent.get(user.handle);
  if (intent !== undefined && intent !== !!user.followed_by_me) {
    user.followers = (user.followers || 0) + (intent ? 1 : -1);
    user.followed_by_me = intent;
    user.followPending = true;
  }
  return user;
};

/** Whether the user follows `handle`, as shown ({on, pending}): the confirmed state (the profile,
 * or the suggestions and follow lists) with the user's pending follow/unfollow laid over it. */
Store.prototype.shownFollow = function shownFollow(handle) {
  if (this.data.user?.handle === handle) {
    const u = this.shownProfile();
    return { on: !!u.followed_by_me, pending: !!u.followPending };
  }
  const on = !!this.followedMap().get(handle);
  const intent = this.followIntent.get(handle);
  if (intent !== undefined && intent !== on) return { on: intent, pending: true };
  return { on, pending: false };
};

Store.prototype.followedMap = function followedMap() {
  this.followed ??= new Map((this.data.i_follow || []).map((x) => [x, true]));
  return this.followed;
};
