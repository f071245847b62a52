// interact.js — what the buttons on posts, comments and people do, with the focus kept where a
// keyboard user expects it: edit (Escape cancels), delete and unfollow after a confirmation
// dialog, and a rejected item's Edit (text back in its box), Retry and Discard.
import { confirmDialog } from "./a11y.js";
import { editField, itemOf } from "./view.js";

const articleOf = (li) => li?.querySelector("article");

/** Where focus goes when `li` is about to leave the list: the next post, else the previous one,
 * else the composer or the page heading. */
function neighbour(li) {
  return articleOf(li.nextElementSibling) || articleOf(li.previousElementSibling)
    || document.getElementById("composer-body") || document.querySelector("main h1");
}

function focusSoon(target) {
  requestAnimationFrame(() => { if (target?.isConnected && !target.hidden) target.focus(); });
}

export async function followClick(store, commands, handle) {
  if (store.shownFollow(handle).on) {
    const yes = await confirmDialog({ title: `Unfollow @${handle}?`,
      text: "Their posts leave your home feed. You can follow them again at any time.",
      confirm: "Unfollow" });
    if (!yes) return;
  }
  commands.toggleFollow(handle);
}

export function wirePeople(root, store, commands) {
  root.addEventListener("click", (e) => {
    const btn = e.target.closest(".people .follow");
    if (btn) followClick(store, commands, btn.dataset.handle);
  });
}

function openEdit(li, postId, store, body) {
  store.editing.add(postId);
  store.changed();
  const field = editField(li);
  if (body !== undefined) field.set(body);
  field.box.focus();
  field.box.setSelectionRange(field.box.value.length, field.box.value.length);
}

function closeEdit(li, postId, store) {
  store.editing.delete(postId);
  store.changed();
  li.querySelector(".edit").focus();
}

export function wireList(list, store, commands, composerForm) {
  list.addEventListener("click", async (e) => {
    const item = itemOf(e.target);
    const btn = e.target.closest("button");
    if (!item || !btn) return;
    const { li, postId } = item;
    const post = postId ? store.shownPost(postId) : null;
    const failedId = post?.editCommand || post?.deleteCommand || item.commandId;
    if (btn.matches(".like")) commands.toggleLike(postId);
    else if (btn.matches(".edit")) openEdit(li, postId, store);
    else if (btn.matches(".cancel-edit")) closeEdit(li, postId, store);
    else if (btn.matches(".delete")) {
      const yes = await confirmDialog({ title: "Delete this post?",
        text: "It disappears for everyone. This can't be undone.", confirm: "Delete" });
      if (!yes) return;
      const next = neighbour(li);
      commands.deletePost(postId);
      focusSoon(next);
    } else if (btn.matches(".retry")) {
      commands.retry(failedId);
      focusSoon(articleOf(li));
    } else if (btn.matches(".revise")) {
      if (post?.editCommand) {
        const body = post.draftBody;
        commands.discard(post.editCommand);
        openEdit(li, postId, store, body);
      } else if (composerForm) {
        const draft = store.pending.get(item.commandId);
        commands.discard(item.commandId);
        composerForm.field.set(draft?.payload.body || "");
        composerForm.field.box.focus();
      }
    } else if (btn.matches(".discard")) {
      const next = post ? articleOf(li) : neighbour(li);
      commands.discard(failedId);
      focusSoon(next);
    }
  });
  list.addEventListener("submit", (e) => {
    e.preventDefault();
    const item = itemOf(e.target);
    const body = item && editField(item.li).value();
    if (!body) return;
    commands.editPost(item.postId, body);
    focusSoon(item.li.querySelector(".edit"));
  });
  list.addEventListener("keydown", (e) => {
    if (e.key !== "Escape" || !e.target.matches(".edit-body")) return;
    const item = itemOf(e.target);
    e.preventDefault();
    closeEdit(item.li, item.postId, store);
  });
}

export function wireComments(section, commands, store) {
  section.addEventListener("click", (e) => {
    const btn = e.target.closest("button[data-command]");
    if (!btn) return;
    const id = btn.dataset.command;
    const body = store.pending.get(id)?.payload.body || "";
    commands.discard(id);
    if (btn.matches(".revise")) section.field.set(body);
    section.field.box.focus();
  });
}
