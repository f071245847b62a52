// shell.js — the parts of every page around its content: the connection state (a live region),
// the offline banner with the number of changes waiting, failure notices that stay until
// dismissed, and relative times that refresh every minute.
import { announce } from "./a11y.js";
import { h, plural, refreshTimes, setText, show } from "./dom.js";

export function startShell(store, main) {
  const text = h("p", { id: "notice", role: "alert" });
  const dismiss = h("button", { type: "button", class: "secondary dismiss", text: "Dismiss" });
  const notice = h("div", { class: "notice-box", hidden: true }, text, dismiss);
  main.prepend(notice);
  dismiss.addEventListener("click", () => {
    show(notice, false);
    main.querySelector("h1")?.setAttribute("tabindex", "-1");
    main.querySelector("h1")?.focus();
  });
  const banner = document.getElementById("offline");
  const dot = document.getElementById("connection");
  let up = null; // null: not connected yet
  let said = "";

  function waiting() {
    return [...store.pending.values()].filter((c) => c.state === "pending").length;
  }

  function refreshBanner() {
    const down = !!store.me && (up === false || !navigator.onLine); // only members have changes
    let message = "";
    if (down) {
      const n = waiting();
      const head = navigator.onLine ? "Can't reach Ripple" : "Offline";
      message = n ? `${head} — your ${plural(n, "change")} will be sent when you're back.`
        : `${head} — what you do now will be sent when you're back.`;
    }
    setText(banner, message);
    show(banner, !!message);
    if (message !== said) { if (message) announce(message); said = message; }
  }

  store.subscribe(() => {
    if (store.notice) {
      setText(text, store.notice.text);
      show(notice, true);
      store.notice = null;
    }
    refreshBanner();
  });
  window.addEventListener("offline", refreshBanner);
  window.addEventListener("online", refreshBanner);
  setInterval(() => refreshTimes(), 60_000);

  return {
    /** The socket's state: "live" or "reconnecting…" in the header's live region. */
    connection(isUp) {
      up = isUp;
      show(dot, true);
      setText(dot, isUp ? "live" : "reconnecting…");
      dot.classList.toggle("down", !isUp);
      refreshBanner();
    },
    /** A message in the notice box (e.g. "This post was deleted."), without a Dismiss when fixed. */
    say(message, dismissable = true) {
      setText(text, message);
      show(dismiss, dismissable);
      show(notice, true);
    },
  };
}
