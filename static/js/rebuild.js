// rebuild.js — the inspector's "Rebuild read models" button (demo mode only): starts the live
// blue/green rebuild (POST /api/demo/rebuild) and shows its progress as it happens.
//
// Progress is PUSHED, not polled: the worker's inspector feed already sends the `system` report to
// the inspector room whenever it changes (at most 4 times a second, from one emitter per instance,
// only while some tab has the inspector open), and the rebuild's progress is a field of that report
// (`rebuild`). So a running rebuild costs no new timer or channel, and every open inspector, not
// only the tab that clicked, watches the same rebuild. Without a socket the inspector falls back to
// polling GET /api/system (inspector.js), which carries the same field.
import { postJSON } from "./api.js";
import { h, setText, show } from "./dom.js";

const num = (n) => Math.round(n || 0).toLocaleString("en");
const duration = (s) => (s < 1 ? `${Math.max(1, Math.round(s * 1000))} ms` : `${s.toFixed(1)} s`);

export function rebuildPanel({ guest }) {
  const button = h("button", { type: "button", id: "rebuild-button", class: "rebuild-button",
    text: "Rebuild read models", "aria-describedby": "rebuild-what" });
  const bar = h("progress", { id: "rebuild-progress", max: 1, value: 0 });
  const label = h("label", { for: "rebuild-progress", id: "rebuild-label", text: "Rebuild progress" });
  const figures = h("p", { id: "rebuild-figures", class: "figures" });
  const status = h("p", { id: "rebuild-status", class: "status-line", role: "status",
                          "aria-live": "polite" });
  const error = h("p", { id: "rebuild-error", class: "error", role: "alert", hidden: true });
  const meter = h("div", { class: "meter", hidden: true }, label, bar, figures);
  const el = h("section", { class: "rebuild", id: "rebuild", "aria-labelledby": "rebuild-title" },
    h("h3", { id: "rebuild-title", text: "Rebuild the read models" }),
    h("p", { class: "note", id: "rebuild-what", text: "Replays the whole event log into a new set of "
      + "keys while the current set keeps serving (commands keep confirming), catches up, then "
      + "switches in one step (blue/green)." }),
    guest ? h("p", { class: "note", text: "Guests may watch but not start it: sign up to try." }) : null,
    button, meter, status, error);
  button.disabled = !!guest;
  let state = "idle";

  button.addEventListener("click", async () => {
    button.disabled = true;
    const res = await postJSON("/api/demo/rebuild", {});
    show(error, !res.ok);
    if (res.ok) { setText(error, ""); el.update(res.data); return; }
    setText(error, res.status === 409 ? "A rebuild is already running: its progress is below."
      : `refused by the server: ${res.error.message}`);
    button.disabled = state === "running";
  });

  /** Show a rebuild status ({state, done, total, rate, eta_s, seq, finished_at, ...}). */
  el.update = (s) => {
    if (!s) return;
    state = s.state;
    const running = s.state === "running";
    button.disabled = !!guest || running;
    show(meter, s.state !== "idle");
    if (running && !s.total) bar.removeAttribute("value"); // not counted yet: indeterminate
    else {
      bar.max = Math.max(1, s.total || s.done || 0);
      bar.value = running ? s.done || 0 : bar.max;
    }
    if (running) {
      setText(figures, `${num(s.done)} of ${num(s.total)} events · ${num(s.rate)} events/s · `
        + `about ${duration(s.eta_s || 0)} left`);
      setText(status, "Rebuilding: the current read models keep serving meanwhile.");
    } else if (s.state === "done") {
      const took = s.finished_at && s.started_at ? ` in ${duration(s.finished_at - s.started_at)}` : "";
      setText(figures, `${num(s.done)} events replayed${took} · ${num(s.rate)} events/s`);
      setText(status, `Done: switched to the new read models at event #${s.seq ?? s.done}`
        + (s.finished_at ? ` (${new Date(s.finished_at * 1000).toLocaleTimeString()}).` : "."));
    } else if (s.state === "failed") {
      setText(figures, "");
      setText(status, "The rebuild failed; the current read models kept serving.");
    } else setText(status, "");
  };
  return el;
}
