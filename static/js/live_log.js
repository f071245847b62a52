// live_log.js — keeps the /events list live: new events arrive at the top.
//
// The socket message (`log_head {"head"}`, room `log`) says only where the log now ends; the page
// then asks GET /api/events?after=<its cursor> with its own filters (type, member). So every event
// shown went through the same privacy rules as the page's first load (no deleted bodies, likes as
// counts), and the filters hold for live arrivals. While the socket is down (or not up yet) the
// page polls the same URL every 2 s instead.
import { getJSON } from "./api.js";

const POLL_MS = 2000;

/**
 * `head`: the cursor to start from (the first answer's `head`); `params`: the page's filters;
 * `arrive(events)`: puts a batch (oldest first) at the top of the list.
 */
export function followLog({ head, params, arrive }) {
  let cursor = head;
  let known = head; // the newest log head the socket told of
  let busy = false;
  let again = false;
  let poller = null;
  const state = { live: false, fetches: 0 };

  async function fetchNew() {
    for (;;) {
      const q = new URLSearchParams({ ...params, after: cursor, limit: 200 });
      state.fetches += 1;
      const res = await getJSON(`/api/events?${q}`);
      if (!res.ok) return false;
      const fresh = res.data.events.filter((e) => e.seq > cursor);
      if (fresh.length) arrive(fresh);
      // `next`: a full page came, go on from it. Else the answer's `head` is a safe cursor: the
      // answer is the log up to it, so every event up to it was in the answer (or filtered out).
      const next = res.data.next;
      cursor = Math.max(cursor, next ?? Math.max(res.data.head, fresh.at(-1)?.seq ?? 0));
      if (next === null) return true;
    }
  }

  async function catchUp() {
    if (busy) { again = true; return; }
    busy = true;
    let ok = false;
    try {
      do { again = false; ok = await fetchNew(); } while (again);
    } finally { busy = false; }
    // the answer's cut can lag the pushed head by a moment (the privacy index still catching up)
    if (ok && state.live && cursor < known) setTimeout(catchUp, 500);
  }

  function poll(on) {
    clearInterval(poller);
    poller = on ? setInterval(catchUp, POLL_MS) : null;
  }

  poll(true); // until the socket says it is live
  return {
    state,
    /** The socket's state: live → pushed heads (catch up on what came meanwhile); down → poll. */
    connection(up) {
      state.live = up;
      poll(!up);
      if (up) catchUp();
    },
    /** `log_head`: the log ends at `n` now. */
    onHead(n) {
      known = Math.max(known, n);
      if (n > cursor) catchUp();
    },
  };
}
