// pill.js — the "N new posts" pill: while the reader is scrolled down, live posts that would land
// above what they read wait here (view.js holds them back) instead of pushing the list down.
import { announce } from "./a11y.js";
import { h, plural, setText, show } from "./dom.js";

export function newPostsPill(list, rerender) {
  const button = h("button", { type: "button", id: "new-posts", class: "pill", hidden: true });
  const pill = {
    held: new Set(),
    element: button,
    /** Is the reader down in the list (its top above the bottom of the sticky header)? */
    reading() {
      const header = document.querySelector(".nav")?.getBoundingClientRect().bottom || 0;
      return window.scrollY > 0 && list.getBoundingClientRect().top < header;
    },
    refresh() {
      const n = pill.held.size;
      if (n && button.hidden) announce(`${plural(n, "new post")} above`);
      setText(button, `↑ ${plural(n, "new post")}`);
      show(button, n > 0);
    },
    release(focus) {
      const released = new Set(pill.held);
      if (focus) window.scrollTo(0, 0); // first: at the top nothing is held back any more
      pill.held.clear();
      rerender();
      if (!focus) return;
      const first = [...list.querySelectorAll("li.post")].find((li) => released.has(li.dataset.key));
      (first || list).querySelector("article")?.focus({ preventScroll: true }); // the newest one
    },
  };
  button.addEventListener("click", () => pill.release(true));
  // Back at the top: nothing to push any more, so the waiting posts go straight in.
  window.addEventListener("scroll", () => { if (pill.held.size && !pill.reading()) pill.release(false); },
                          { passive: true });
  return pill;
}
