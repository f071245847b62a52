// stages.js — the stages a command goes through, as this tab sees them, and their wording:
//   sending…  (only in this tab) → accepted (202: waiting in the queue) → saved (committed to the
//   write DB; others cannot see it yet) → visible to everyone · N ms (projected and announced).
// A refusal at the endpoint (4xx) and a rejection by the business rules read differently.
// Also the tab's command history (last 20, kept in localStorage) that the inspector shows.

export const STAGES = ["sending", "accepted", "saved", "visible"];

const NOUN = { create_post: "", create_comment: "", like_post: "like", unlike_post: "unlike",
  follow_user: "follow", unfollow_user: "unfollow", edit_post: "edit", delete_post: "delete" };

/** {text, cls} for a command at a stage; `ms` is the browser's round trip for "visible". */
export function stageLabel(type, stage, ms) {
  const noun = NOUN[type] ?? type;
  const pre = noun ? `${noun} ` : "";
  const text = {
    sending: `${pre}sending…`,
    accepted: `${pre}accepted · waiting in the queue`,
    saved: `${pre}saved · not visible to others yet`,
    visible: `${pre}visible to everyone · ${ms} ms`,
  }[stage] || "";
  return { text, cls: `stage stage-${stage}` };
}

/** The wording of a failure: refused at the endpoint (4xx) or rejected by the rules. */
export function failureText(error) {
  const message = error?.message || "failed";
  return error?.kind === "refused" ? `refused by the server: ${message}` : `rejected: ${message}`;
}

/** A pending command's label (or its failure); null when it has none to show. */
export function commandLabel(cmd) {
  if (!cmd) return null;
  if (cmd.state === "failed") return { text: failureText(cmd.error), cls: "stage stage-failed error" };
  return stageLabel(cmd.type, cmd.stage || "sending");
}

// ---- moving a pending command along (store: store.js) -------------------------------------------
/** The endpoint answered 202: the command waits in the queue. True if the stage changed. */
export function markAccepted(store, commandId) {
  if (!store.setStage(commandId, "accepted")) return false;
  store.history.track(commandId, { stage: "accepted", accepted: Date.now() });
  return true;
}

/** The worker committed it to the write DB (command_saved): others cannot see it yet. */
export function markSaved(store, commandId, timings) {
  if (store.pending.get(commandId)?.stage === "sending") store.history.track(commandId, { accepted: Date.now() });
  store.history.track(commandId, { stage: "saved", timings });
  return store.setStage(commandId, "saved");
}

/** The last stage, on this tab's clock (sent → confirmed); remembers the label for its item.
 * Returns the milliseconds. */
export function markVisible(store, cmd) {
  const now = Date.now();
  const ms = now - cmd.sentAt;
  store.history.track(cmd.command_id, { stage: "visible", confirmed: now });
  const p = cmd.payload;
  const key = p.handle ? `profile:${p.handle}`
    : cmd.type !== "create_comment" && p.post_id ? `post:${p.post_id}` : null;
  if (key) store.done.set(key, { type: cmd.type, ms, command_id: cmd.command_id });
  return ms;
}

// ---- this tab's command history (the inspector's list) ------------------------------------------
const HISTORY_MAX = 20;
const historyKey = (me) => `ripple.history.v1.${me}`;

export class History {
  constructor(me, storage = globalThis.localStorage) {
    this.me = me;
    this.storage = storage;
    this.items = [];
    this.listeners = [];
    try { this.items = JSON.parse(storage?.getItem(historyKey(me)) || "[]"); } catch { this.items = []; }
  }

  /** Record what we learned about a command (merged into its entry; newest first). */
  track(commandId, patch, create = false) {
    if (!this.me) return;
    let item = this.items.find((x) => x.command_id === commandId);
    if (!item && !create) return; // another tab's command: not this tab's list
    if (!item) {
      item = { command_id: commandId, stage: "sending", timings: null };
      this.items.unshift(item);
      this.items.length = Math.min(this.items.length, HISTORY_MAX);
    }
    if (patch.stage && STAGES.indexOf(patch.stage) < STAGES.indexOf(item.stage)) delete patch.stage;
    for (const [k, v] of Object.entries(patch)) if (v !== undefined && v !== null) item[k] = v;
    try { this.storage?.setItem(historyKey(this.me), JSON.stringify(this.items)); } catch { /* full */ }
    for (const fn of this.listeners) fn(item);
  }

  subscribe(fn) { this.listeners.push(fn); }
}

/** The waterfall of one command: server stages as server differences, the round trip as browser
 * differences; never one clock minus the other. Rows {label, clock, from, ms} (from = offset in
 * ms from the first mark of the same clock), in stage order; missing marks are left out. */
export function waterfall(item) {
  const rows = [];
  const t = item.timings || {};
  const server = [["waiting in the queue", "accepted_at", "taken_at"],
    ["worker → write DB (commit)", "taken_at", "committed_at"],
    ["projector → read models", "committed_at", "projected_at"],
    ["announce (Socket.IO)", "projected_at", "notified_at"]];
  for (const [label, a, b] of server) {
    if (typeof t[a] === "number" && typeof t[b] === "number") {
      rows.push({ label, clock: "server", from: t[a] - t.accepted_at, ms: t[b] - t[a] });
    }
  }
  const browser = [["browser → endpoint (202)", "sent", "accepted"],
    ["round trip: sent → confirmed", "sent", "confirmed"]];
  for (const [label, a, b] of browser) {
    if (typeof item[a] === "number" && typeof item[b] === "number") {
      rows.push({ label, clock: "browser", from: 0, ms: item[b] - item[a] });
    }
  }
  return rows;
}
