// commands.js — the optimistic write path. Every action adds a pending command to the store (so
// the view shows it in the same frame), sends it, and later resolves it from whichever answer comes
// first: the websocket event, the 202 of a re-send, or a status poll. Resolving is idempotent.
import { commandStatus, sendCommand } from "./api.js";
import { failureText, markAccepted, markSaved, markVisible } from "./stages.js";

const WATCHDOG_MS = 3000;

export class Commands {
  constructor(store) {
    this.store = store;
    this.lastCheck = new Map(); // command_id -> time of the last status check
  }

  // ---- actions ----------------------------------------------------------------------------------
  createPost(body) {
    const cmd = this.store.addPending("create_post", { body });
    performance.mark(`ripple:submit:${cmd.command_id}`);
    this.store.changed(); // renders synchronously: the pending item is in the DOM in this frame
    performance.mark(`ripple:pending:${cmd.command_id}`);
    this.send(cmd);
    return cmd;
  }

  comment(postId, body) { this.submit("create_comment", { post_id: postId, body }); }
  editPost(postId, body) { this.store.editing.delete(postId); this.submit("edit_post", { post_id: postId, body }); }
  deletePost(postId) { this.submit("delete_post", { post_id: postId }); }

  toggleLike(postId) {
    const want = !this.store.shownPost(postId).liked;
    this.store.likeIntent.set(postId, want);
    if (!this.inFlight(["like_post", "unlike_post"], (c) => c.payload.post_id === postId)) {
      this.submit(want ? "like_post" : "unlike_post", { post_id: postId });
    } else this.store.changed();
  }

  toggleFollow(handle) {
    const want = !this.store.shownFollow(handle).on;
    this.store.followIntent.set(handle, want);
    if (!this.inFlight(["follow_user", "unfollow_user"], (c) => c.payload.handle === handle)) {
      this.submit(want ? "follow_user" : "unfollow_user", { handle });
    } else this.store.changed();
  }

  retry(commandId) {
    const old = this.store.resolvePending(commandId);
    if (old) this.submit(old.type, old.payload); // a new command: the old one is recorded as failed
  }

  discard(commandId) { this.store.resolvePending(commandId); this.store.changed(); }

  submit(type, payload) {
    const cmd = this.store.addPending(type, payload);
    this.store.changed();
    this.send(cmd);
    return cmd;
  }

  inFlight(types, test) {
    return types.some((t) => this.store.pendingOf(t, (c) => c.state === "pending" && test(c)).length);
  }

  // ---- sending and learning outcomes ------------------------------------------------------------
  async send(cmd) {
    this.lastCheck.set(cmd.command_id, Date.now());
    const res = await sendCommand(cmd);
    if (res.ok) return this.applyStatus(res.data);
    if (res.status === 0 || res.status >= 500) return; // still pending: the watchdog sends it again
    let error = res.error;
    if (res.status === 429) {
      const wait = Number(res.retryAfter) || 60;
      error = { code: "rate_limited", message: `Too many actions: try again in ${wait} s.` };
    } else if (res.status === 401) {
      error = { code: "not_logged_in", message: "Your session ended: log in again." };
    }
    this.failed(cmd.command_id, { ...error, kind: "refused" }); // the endpoint said no (4xx)
  }

  applyStatus(status) {
    if (!status) return;
    const id = status.command_id;
    if (status.status === "queued") this.accepted(id);
    else if (status.status === "saved") this.saved(id, status.timings);
    else if (status.status === "succeeded") this.succeeded(id, status.result, status.version, status.timings);
    else if (status.status === "failed") this.failed(id, { ...status.error, kind: "rejected" });
  }

  accepted(commandId) { if (markAccepted(this.store, commandId)) this.store.changed(); }

  saved(commandId, timings) { if (markSaved(this.store, commandId, timings)) this.store.changed(); }

  visible(cmd) { return markVisible(this.store, cmd); }

  /** Re-check commands pending for a while: re-send the ones the server lost (same command_id). */
  async watchdog(force = false) {
    const now = Date.now();
    for (const cmd of [...this.store.pending.values()]) {
      if (cmd.state !== "pending") continue;
      if (!force && now - (this.lastCheck.get(cmd.command_id) || cmd.sentAt) < WATCHDOG_MS) continue;
      this.lastCheck.set(cmd.command_id, now);
      const res = await commandStatus(cmd.command_id);
      if (res.status === 404) this.send(cmd);
      else if (res.ok) this.applyStatus(res.data);
    }
  }

  startWatchdog() {
    setInterval(() => this.watchdog(), 1000);
  }

  /** On page load: every command still pending from before the reload is sent again. */
  resendAll() {
    for (const cmd of this.store.pending.values()) if (cmd.state === "pending") this.send(cmd);
  }

  // ---- outcomes (from the socket, a 202 or a poll; each may arrive more than once) ---------------
  succeeded(commandId, result, version, timings) {
    const s = this.store;
    const cmd = s.pending.get(commandId);
    s.seeVersion(version);
    if (timings) s.history.track(commandId, { timings });
    if (!cmd) return;
    if (cmd.type === "create_post" && result?.post) return this.postConfirmed(result.post, commandId);
    if (cmd.type === "create_comment" && result?.comment) return this.commentConfirmed(result.comment, commandId);
    this.visible(cmd);
    s.resolvePending(commandId);
    const post = s.posts.get(cmd.payload.post_id);
    if (cmd.type === "edit_post" && post) Object.assign(post, { body: cmd.payload.body, edited: true });
    if (cmd.type === "delete_post") s.removePost(cmd.payload.post_id);
    if ((cmd.type === "like_post" || cmd.type === "unlike_post") && post) {
      const liked = cmd.type === "like_post";
      if (!!post.liked !== liked) post.likes = Math.max(0, (post.likes || 0) + (liked ? 1 : -1));
      post.liked = liked;
      this.followUp(s.likeIntent, cmd.payload.post_id, post.liked, ["like_post", "unlike_post"],
        (c) => c.payload.post_id === cmd.payload.post_id, (w) => w ? "like_post" : "unlike_post",
        { post_id: cmd.payload.post_id });
    }
    if (cmd.type === "follow_user" || cmd.type === "unfollow_user") {
      const user = s.data.user;
      const on = cmd.type === "follow_user";
      s.followedMap().set(cmd.payload.handle, on);
      if (user && user.handle === cmd.payload.handle && !!user.followed_by_me !== on) {
        user.followers = Math.max(0, (user.followers || 0) + (on ? 1 : -1));
        user.followed_by_me = on;
      }
      this.followUp(s.followIntent, cmd.payload.handle, cmd.type === "follow_user",
        ["follow_user", "unfollow_user"], (c) => c.payload.handle === cmd.payload.handle,
        (w) => w ? "follow_user" : "unfollow_user", { handle: cmd.payload.handle });
    }
    s.changed();
  }

  /** After a toggle lands: if the user has since chosen otherwise, send that; else forget intent. */
  followUp(intents, key, confirmed, types, test, typeFor, payload) {
    const want = intents.get(key);
    if (want === undefined || this.inFlight(types, test)) return;
    if (want === confirmed) intents.delete(key);
    else this.submit(typeFor(want), payload);
  }

  failed(commandId, error) {
    const s = this.store;
    const cmd = s.pending.get(commandId);
    if (!cmd) return;
    s.history.track(commandId, { stage: "failed", error: failureText(error) });
    if (["like_post", "unlike_post", "follow_user", "unfollow_user"].includes(cmd.type)) {
      s.resolvePending(commandId); // a toggle rolls back to the confirmed state, with the reason
      s.likeIntent.delete(cmd.payload.post_id);
      s.followIntent.delete(cmd.payload.handle);
      s.notice = { kind: "error", text: failureText(error) };
    } else s.failPending(commandId, error);
    s.changed();
  }

  postConfirmed(post, commandId, version) {
    const s = this.store;
    s.seeVersion(version);
    const cmd = s.pending.get(commandId);
    if (cmd) {
      s.origin.set(post.id, commandId);
      s.elapsed.set(post.id, this.visible(cmd));
      s.resolvePending(commandId);
      performance.mark(`ripple:confirmed:${commandId}`);
    }
    const inList = s.page === "home" || s.page === "explore"
      || (s.page === "profile" && s.data.user?.handle === post.author);
    const own = s.page === "profile" && s.data.user?.handle === post.author;
    if (own && !s.posts.has(post.id)) s.data.user.posts += 1;
    if (inList || s.posts.has(post.id)) s.upsertPost(post, inList);
    s.changed();
  }

  commentConfirmed(comment, commandId, version) {
    const s = this.store;
    s.seeVersion(version);
    const cmd = s.pending.get(commandId);
    if (cmd) s.done.set(`comment:${comment.id}`, { type: cmd.type, ms: this.visible(cmd), command_id: commandId });
    s.resolvePending(commandId);
    if (s.page === "post" && s.data.post?.id === comment.post_id
        && !s.comments.some((c) => c.id === comment.id)) s.comments.push(comment);
    s.changed();
  }
}
