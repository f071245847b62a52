// flow.js — the picture of Ripple's two paths, hop by hop. The landing page shows it plain; the
// inspector shows it with live figures on the hops (elements marked data-fig="<field>").
import { h } from "./dom.js";

const HOPS = [
  ["browser", "Browser", "your tab: the post shows at once (sending…)", null],
  ["endpoint", "Command endpoint", "POST /api/commands checks and answers 202 (accepted)", null],
  ["queue", "Queue", "commands waiting for a worker", "queue_depth"],
  ["worker", "Workers", "apply the business rules, in batches", "workers"],
  ["writedb", "Write DB (events)", "the event log: last event seq", "log_head"],
  ["projector", "Projector", "turns events into read models: checkpoint", "checkpoint"],
  ["readmodels", "Read models", "what every page reads; lag behind the log", "lag"],
  ["socketio", "Socket.IO", "announces the change: visible to everyone", null],
];

export function flowPicture({ live = false } = {}) {
  return h("ol", { class: `flow${live ? " live" : ""}`, "aria-label": "How a command travels" },
    ...HOPS.map(([key, name, what, fig]) => h("li", { class: "hop", "data-hop": key },
      h("strong", { text: name }),
      h("span", { class: "what", text: what }),
      live && fig ? h("span", { class: "figure", "data-fig": fig, text: "…" }) : null)));
}

/** Put the GET /api/system figures on a live picture. */
export function showFigures(root, sys) {
  const text = {
    queue_depth: `${sys.queue_depth} waiting`,
    workers: `${sys.workers} alive`,
    log_head: `#${sys.log_head}`,
    checkpoint: `#${sys.checkpoint}`,
    lag: `lag ${sys.lag_events} event${sys.lag_events === 1 ? "" : "s"} · ${Math.round(sys.lag_ms)} ms`,
  };
  for (const el of root.querySelectorAll("[data-fig]")) {
    const value = text[el.dataset.fig];
    if (value !== undefined && el.textContent !== value) el.textContent = value;
    el.classList.toggle("busy", (el.dataset.fig === "queue_depth" && sys.queue_depth > 0)
      || (el.dataset.fig === "lag" && sys.lag_events > 0) || (el.dataset.fig === "workers" && !sys.workers));
  }
}
