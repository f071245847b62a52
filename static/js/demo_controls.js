// demo_controls.js — the inspector's demo controls (demo mode only): worker delay, pause the
// workers, pause projection, crowd. They act on the whole instance (POST /api/demo), revert by
// themselves after 2 minutes; guests may watch but not use them.
import { postJSON } from "./api.js";
import { h, setText, show } from "./dom.js";

const FLAGS = [["workers_paused", "Pause the workers (commands wait in the queue: accepted)"],
  ["projection_paused", "Pause projection (commands commit, saved, but the read models lag)"],
  ["crowd", "Crowd: simulated members act every 2–4 s"]];

export function demoControls({ guest, onState }) {
  const error = h("p", { class: "error", role: "alert", hidden: true });
  const delay = h("input", { type: "range", id: "demo-delay", min: 0, max: 5000, value: 0,
    "aria-label": "Worker delay in milliseconds" });
  delay.step = 250;
  const delayOut = h("output", { for: "demo-delay", text: "0 ms" });
  const boxes = Object.fromEntries(FLAGS.map(([key]) =>
    [key, h("input", { type: "checkbox", id: `demo-${key}`, name: key })]));
  const until = h("p", { class: "until", hidden: true });
  const el = h("fieldset", { class: "demo-controls", id: "demo-controls", disabled: guest },
    h("legend", { text: "Demo controls" }),
    h("p", { class: "note", text: "These act on the whole instance, for everyone, and revert by "
      + "themselves after 2 minutes." }),
    guest ? h("p", { class: "note", text: "Guests may watch but not use them: sign up to try." }) : null,
    h("label", { for: "demo-delay" }, "Worker delay ", delayOut), delay,
    ...FLAGS.map(([key, label]) => h("label", { class: "check", for: `demo-${key}` }, boxes[key], ` ${label}`)),
    until, error);

  async function send(changes) {
    const res = await postJSON("/api/demo", changes);
    setText(error, res.ok ? "" : `refused by the server: ${res.error.message}`);
    show(error, !res.ok);
    if (res.ok) onState(res.data);
  }
  delay.addEventListener("input", () => setText(delayOut, `${delay.value} ms`));
  delay.addEventListener("change", () => send({ worker_delay_ms: Number(delay.value) }));
  for (const [key, box] of Object.entries(boxes)) {
    box.addEventListener("change", () => send({ [key]: box.checked }));
  }

  el.update = (state) => {
    if (!state) return;
    if (document.activeElement !== delay) {
      delay.value = state.worker_delay_ms;
      setText(delayOut, `${state.worker_delay_ms} ms`);
    }
    for (const [key, box] of Object.entries(boxes)) box.checked = !!state[key];
    show(until, !!state.until);
    if (state.until) {
      setText(until, `Set by @${state.set_by}; reverts at ${new Date(state.until * 1000).toLocaleTimeString()}.`);
    }
  };
  return el;
}

/** The banner every page shows while a control is active (and who set it). */
export function updateBanner(state, crowdDefault) {
  const what = [];
  if (state?.worker_delay_ms) what.push(`worker delay ${state.worker_delay_ms} ms`);
  if (state?.workers_paused) what.push("workers paused");
  if (state?.projection_paused) what.push("projection paused");
  if (state && state.crowd !== crowdDefault) what.push(`crowd ${state.crowd ? "on" : "off"}`);
  let banner = document.getElementById("demo-banner");
  if (!what.length) { banner?.remove(); return; }
  if (!banner) {
    banner = h("p", { id: "demo-banner", class: "demo-banner", role: "status" });
    document.getElementById("main").before(banner);
  }
  setText(banner, `Demo controls are on for everyone, set by @${state.set_by}: ${what.join(", ")}. `
    + "They revert by themselves within 2 minutes.");
}
