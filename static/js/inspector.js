// inspector.js — the CQRS inspector: a right-hand column on desktop, a bottom sheet on phones.
// Opens from the header button or the `i` key and remembers open/closed. While open (and only
// then) this tab is in the "inspector" room: the live `system` figures and `events_appended`.
import { getJSON } from "./api.js";
import { demoControls, updateBanner } from "./demo_controls.js";
import { h, setText, show } from "./dom.js";
import { flowPicture, showFigures } from "./flow.js";
import { rebuildPanel } from "./rebuild.js";
import { rewatch } from "./socket.js";
import { waterfall } from "./stages.js";

const OPEN_KEY = "ripple.inspector.open";
const TAIL_MAX = 30;

export class Inspector {
  constructor(store, { demo, guest, crowdDefault }) {
    this.store = store;
    this.crowdDefault = !!crowdDefault;
    this.flow = flowPicture({ live: true });
    this.versions = h("p", { class: "versions", id: "insp-versions" });
    this.commands = h("ol", { class: "insp-commands", id: "insp-commands" });
    this.tail = h("ol", { class: "insp-events", id: "insp-events" });
    this.controls = demo ? demoControls({ guest, onState: (s) => this.onDemo(s) }) : null;
    this.rebuild = demo ? rebuildPanel({ guest }) : null; // demo controls exist only in demo mode
    this.panel = h("aside", { id: "inspector", class: "inspector", hidden: true, "aria-label": "Inspector" },
      h("div", { class: "insp-head" }, h("h2", { text: "Inspector" }),
        h("button", { type: "button", class: "link insp-close", text: "Close", "aria-label": "Close the inspector" })),
      h("p", { class: "note", text: "What happens between “sending…” and “visible to everyone”: "
        + "commands travel the write path, pages read the read models." }),
      h("h3", { text: "The pipeline" }), this.flow, this.versions, this.controls, this.rebuild,
      h("h3", { text: "This tab's commands" }), this.commands,
      h("h3", { text: "Events as they are appended" }), this.tail);
    document.body.append(this.panel);
    this.panel.querySelector(".insp-close").addEventListener("click", () => this.toggle(false));
    store.history.subscribe(() => this.open && this.renderCommands());
    store.subscribe(() => this.open && this.renderVersions());
    this.button = document.getElementById("inspector-toggle");
    this.button?.addEventListener("click", () => this.toggle());
    document.addEventListener("keydown", (e) => this.onKey(e));
    document.addEventListener("click", (e) => this.onPageClick(e));
    this.sys = null;
    if (localStorage.getItem(OPEN_KEY) === "1") this.toggle(true);
  }

  toggle(open = !this.open) {
    this.open = open;
    this.store.inspectorOpen = open;
    localStorage.setItem(OPEN_KEY, open ? "1" : "0");
    show(this.panel, open);
    document.body.classList.toggle("inspector-open", open);
    this.button?.setAttribute("aria-expanded", String(open));
    rewatch(this.store); // join (or leave) the inspector room
    clearInterval(this.poller);
    if (open) {
      this.refresh();
      this.renderCommands();
      let beat = 0; // the server feeds the room only while a tab says it watches (every 30 s)
      this.poller = setInterval(() => {
        if (!this.store.socket?.connected) this.refresh();
        else if (++beat % 15 === 0) rewatch(this.store);
      }, 2000);
    }
  }

  onKey(e) {
    if (e.key !== "i" || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.target.closest?.("input, textarea, select, [contenteditable]")) return;
    this.toggle();
  }

  async refresh() {
    const res = await getJSON("/api/system");
    if (res.ok) this.onSystem(res.data);
  }

  onSystem(sys) {
    this.sys = sys;
    showFigures(this.flow, sys);
    this.renderVersions();
    this.onDemo(sys.demo);
    this.rebuild?.update(sys.rebuild);
  }

  onDemo(state) {
    if (!state) return; // demo mode off
    this.controls?.update(state);
    updateBanner(state, this.crowdDefault);
  }

  renderVersions() {
    if (!this.sys) return;
    const behind = Math.max(0, this.sys.checkpoint - this.store.version);
    setText(this.versions, `This page shows read-model version #${this.store.version}; the `
      + `checkpoint is #${this.sys.checkpoint}${behind ? ` (${behind} events newer)` : ""}.`);
  }

  onEvents(events) {
    for (const ev of events) {
      const link = /post (\d+)/.exec(ev.summary);
      const href = link ? `/posts/${link[1]}` : ev.author ? `/users/${ev.author}` : null;
      this.tail.prepend(h("li", { "data-seq": ev.seq, "data-type": ev.type },
        h("span", { class: "seq", text: `#${ev.seq}` }), " ",
        h("code", { text: ev.type }), " ",
        h("time", { text: ev.at ? new Date(ev.at * 1000).toLocaleTimeString() : "" }), " ",
        href ? h("a", { href, text: ev.summary }) : h("span", { text: ev.summary })));
    }
    while (this.tail.children.length > TAIL_MAX) this.tail.lastChild.remove();
  }

  renderCommands() {
    this.commands.replaceChildren(...this.store.history.items.map((item) => commandItem(item)));
  }

  /** Clicking a pending or confirmed item on the page highlights its command here. */
  onPageClick(e) {
    if (!this.open || this.panel.contains(e.target)) return;
    const el = e.target.closest?.("[data-command-id]:not([data-command-id=''])")
      || e.target.closest?.("li")?.querySelector("[data-command-id]:not([data-command-id=''])");
    const id = el?.dataset.commandId;
    if (!id) return;
    for (const li of this.commands.children) li.classList.toggle("highlight", li.dataset.commandId === id);
    this.commands.querySelector(".highlight")?.scrollIntoView({ block: "nearest" });
  }
}

function commandItem(item) {
  const rows = waterfall(item);
  const totals = { server: 0, browser: 0 };
  for (const r of rows) totals[r.clock] = Math.max(totals[r.clock], r.from + r.ms);
  return h("li", { class: `insp-command is-${item.stage}`, "data-command-id": item.command_id },
    h("div", { class: "insp-title" }, h("code", { text: item.type || "?" }), " ",
      h("span", { class: "cid", text: item.command_id.slice(0, 8), title: item.command_id }), " ",
      h("span", { class: "insp-stage", text: item.error || item.stage })),
    h("ol", { class: "waterfall" }, ...rows.map((r) => {
      const bar = h("span", { class: `bar ${r.clock}` });
      const total = totals[r.clock] || 1;
      bar.style.marginLeft = `${(100 * r.from) / total}%`;
      bar.style.width = `${Math.max(1, (100 * r.ms) / total)}%`;
      return h("li", { class: `row ${r.clock}`, "data-clock": r.clock, "data-ms": r.ms },
        h("span", { class: "label", text: r.label }),
        h("span", { class: "track" }, bar),
        h("span", { class: "ms", text: `${Math.round(r.ms * 10) / 10} ms` }));
    })));
}
