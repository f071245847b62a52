// auth.js — the login and sign-up forms; the hints are linked to their boxes (aria-describedby).
import { h, setText, show } from "./dom.js";

export function authForm(kind, onSubmit) {
  const isSignup = kind === "signup";
  const error = h("p", { class: "error", id: "auth-error", role: "alert", hidden: true });
  const handle = h("input", { id: "handle", name: "handle", required: true, minlength: 3,
    maxlength: 20, autocomplete: "username", pattern: "[A-Za-z0-9_]{3,20}",
    "aria-describedby": isSignup ? "handle-hint" : null });
  const password = h("input", { id: "password", name: "password", type: "password", required: true,
    minlength: isSignup ? 8 : 1, autocomplete: isSignup ? "new-password" : "current-password",
    "aria-describedby": isSignup ? "password-hint" : null });
  const form = h("form", { id: `${kind}-form`, class: "auth" },
    h("h1", { text: isSignup ? "Join Ripple" : "Log in" }),
    h("label", { for: "handle", text: "Handle" }), handle,
    isSignup ? h("small", { id: "handle-hint", text: "3–20 letters, digits or _" }) : null,
    h("label", { for: "password", text: "Password" }), password,
    isSignup ? h("small", { id: "password-hint", text: "8 characters or more" }) : null,
    error,
    h("button", { type: "submit", text: isSignup ? "Sign up" : "Log in" }),
    h("p", {}, isSignup ? "Have an account? " : "New here? ",
      h("a", { href: isSignup ? "/login" : "/signup", text: isSignup ? "Log in" : "Sign up" })));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const message = await onSubmit(handle.value.trim(), password.value);
    setText(error, message || "");
    show(error, !!message);
    if (message) handle.setAttribute("aria-describedby", `${isSignup ? "handle-hint " : ""}auth-error`);
  });
  return form;
}
