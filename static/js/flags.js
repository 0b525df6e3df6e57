// Flags: anyone in the room may flag a message or a note for the teachers, with an
// optional reason (a dialog); the teachers of both schools see the open flags in a queue
// at the top of the room and resolve each by hiding the item or dismissing the flag.
// Students never hear of a flag (the server tells item.flagged to teachers only); the
// flagger gets an acknowledgement, nothing more.

import { el, replaceChildren, show } from "./dom.js";
import { pageLang, t } from "./i18n.js";

export function createFlags(ctx, root, lookup) {
  const dialog = root.querySelector("[data-flag-dialog]");
  const reasonInput = dialog.querySelector("[data-flag-reason]");
  const dialogText = dialog.querySelector("[data-flag-what]");
  const dialogStatus = dialog.querySelector("[data-flag-status]");
  const queueBox = root.querySelector("[data-flag-queue]");
  const queueList = root.querySelector("[data-flag-list]");
  const queueCount = root.querySelector("[data-flag-count]");
  const open = new Map(); // flag id -> {flag_id, target, id, reason, flagger, excerpt, lang}
  let asking = null; // {target, id, opener}

  // --- flagging (everyone who may write) ---------------------------------------------

  /** Ask for a reason and flag ("message" or "note", id); focus goes back to `opener`. */
  function ask(target, id, opener) {
    asking = { target, id, opener };
    dialogText.textContent = target === "note" ? t("flag_note_prompt") : t("flag_message_prompt");
    reasonInput.value = "";
    dialogStatus.textContent = "";
    dialog.showModal();
    reasonInput.focus();
  }

  dialog.querySelector("form").addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!asking) return;
    const { target, id, opener } = asking;
    const reason = reasonInput.value.trim();
    const submit = dialog.querySelector("[data-flag-send]");
    submit.disabled = true;
    const ack = await ctx.request("flag", { target, id, ...(reason ? { reason } : {}) });
    submit.disabled = false;
    if (!ack.ok) {
      dialogStatus.textContent = ack.message;
      return;
    }
    asking = null;
    dialog.close();
    if (opener) opener.focus();
    ctx.flash(t("flag_received"), "ok");
    ctx.announce(t("flag_received"));
  });
  dialog.querySelector("[data-flag-cancel]").addEventListener("click", () => {
    dialog.close();
  });
  dialog.addEventListener("close", () => {
    if (asking && asking.opener) asking.opener.focus();
    asking = null;
  });

  // --- the teachers' queue -----------------------------------------------------------

  function setAll(items) {
    open.clear();
    for (const item of items || []) open.set(item.flag_id, item);
  }

  ctx.folds.on("item.flagged", (event, live) => {
    const d = event.data;
    const found = lookup(d.target, d.id) || {};
    open.set(d.flag_id, { flag_id: d.flag_id, target: d.target, id: d.id, reason: d.reason,
      flagger: event.actor, excerpt: found.text ?? null, lang: found.lang || null });
    if (live) ctx.announce(t("flag_new"));
  });

  ctx.folds.on("flag.dismissed", (event) => open.delete(event.data.flag_id));

  // Hiding an item resolves its open flags (as the server's also-fold does).
  function resolveFlagsOf(target, id) {
    for (const [fid, flag] of open) if (flag.target === target && flag.id === id) open.delete(fid);
  }
  ctx.folds.on("message.hidden", (event) => resolveFlagsOf("message", event.data.message_id));
  ctx.folds.on("note.hidden", (event) => resolveFlagsOf("note", event.data.note_id));

  async function resolve(flag, how, button) {
    button.disabled = true;
    const ack = how === "hide"
      ? await ctx.request("mod.hide", { target: flag.target, id: flag.id })
      : await ctx.request("flag.dismiss", { flag_id: flag.flag_id });
    button.disabled = false;
    if (!ack.ok) ctx.flash(ack.message);
    else ctx.announce(how === "hide" ? t("flag_hidden") : t("flag_dismissed"));
    ctx.refresh();
  }

  function item(flag) {
    const who = flag.flagger || {};
    const hide = el("button", { type: "button", class: "danger" }, t("hide"));
    const dismiss = el("button", { type: "button" }, t("flag_dismiss"));
    hide.addEventListener("click", () => resolve(flag, "hide", hide));
    dismiss.addEventListener("click", () => resolve(flag, "dismiss", dismiss));
    hide.disabled = dismiss.disabled = !ctx.isLive();
    return el("li", { class: "flag", data: { flagId: flag.flag_id } },
      el("p", { class: "flag-what" },
        el("span", { class: "badge" }, flag.target === "note" ? t("flag_a_note") : t("flag_a_message")), " ",
        flag.excerpt === null || flag.excerpt === undefined
          ? el("span", { class: "hint" }, t("flag_not_loaded"))
          : el("q", { lang: flag.lang || null }, flag.excerpt)),
      flag.reason ? el("p", { class: "flag-reason" }, t("flag_reason_is", { reason: flag.reason })) : null,
      el("p", { class: "flag-who hint" }, t("flag_by", { name: who.name || "?", school: ctx.schoolName(who.school) })),
      el("p", { class: "flag-actions", lang: pageLang }, hide, " ", dismiss));
  }

  let drawnKey = "";

  function refresh() {
    if (!queueBox) return;
    const moderating = ctx.canModerate() && !ctx.removed;
    const flags = [...open.values()].sort((a, b) => a.flag_id - b.flag_id);
    show(queueBox, moderating && flags.length > 0);
    if (!moderating) return;
    // Drawn again only when it changed: a teacher tabbing through it keeps their place.
    const key = `${ctx.isLive()}:${flags.map((f) => f.flag_id).join(",")}`;
    if (key === drawnKey) return;
    drawnKey = key;
    queueCount.textContent = String(flags.length);
    replaceChildren(queueList, flags.map(item));
  }

  return { ask, setAll, refresh };
}
