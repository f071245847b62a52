// landing.js — the logged-out front page: what Ripple is, what to try, the flow picture,
// "Sign up" and (demo mode) "Try it as a guest": one click makes a guest account and logs in.
import { postJSON } from "./api.js";
import { h, setText, show } from "./dom.js";
import { flowPicture } from "./flow.js";

export function landing({ demo }) {
  const error = h("p", { class: "error", role: "alert", hidden: true });
  const guest = demo ? h("button", { type: "button", id: "guest-button", text: "Try it as a guest" }) : null;
  guest?.addEventListener("click", async () => {
    guest.disabled = true;
    const res = await postJSON("/api/guest", {});
    if (res.ok) { location.href = "/explore"; return; }
    guest.disabled = false;
    setText(error, res.status === 429 ? `Too many guests from here: try again in ${res.retryAfter || 60} s.`
      : `refused by the server: ${res.error.message}`);
    show(error, true);
  });
  return h("section", { class: "landing", id: "landing" },
    h("h1", { text: "Ripple: a small social network that shows how it works" }),
    h("p", { text: "Ripple is a demo of CQRS (command–query responsibility segregation). When you "
      + "post, your post is a command: it is accepted at once, waits in a queue, a worker saves it "
      + "to the write database as events, and a projector copies it into the read models every "
      + "page reads from. Then it is announced to everyone watching." }),
    flowPicture(),
    h("h2", { text: "What to try" }),
    h("ul", { class: "try" },
      h("li", { text: "Post something and watch it go: sending… → accepted → saved → visible to everyone." }),
      h("li", { text: "Open the Inspector (button in the header, or the i key) to see the queue, the "
        + "workers, the event log and the read-model lag live." }),
      demo ? h("li", { text: "Pause the workers or the projection in the Inspector and see the "
        + "write side and the read side drift apart, then catch up." }) : null,
      h("li", {}, "Look around on ", h("a", { href: "/explore", text: "Explore" }),
        ": other members are posting and liking right now.")),
    h("p", { class: "cta" },
      h("a", { class: "button", href: "/signup", id: "landing-signup", text: "Sign up" }), " ",
      guest, " ", h("a", { href: "/login", text: "Log in" })),
    error);
}
