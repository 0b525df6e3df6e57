// The room's frame: the session status in the header, the teachers' room controls
// (open/close, lock, slow mode), room-wide notices and the tabs on narrow screens.

import { show } from "./dom.js";
import { t } from "./i18n.js";

export function createControls(ctx, root) {
  const statusBadge = document.querySelector("[data-session-status]");
  const openForm = document.querySelector("[data-session-action='open']");
  const closeForm = document.querySelector("[data-session-action='close']");
  const reschedule = document.querySelector("[data-reschedule]");
  const videoCall = document.querySelector("[data-video-call]");
  const roomControls = root.querySelector("[data-room-controls]");
  const lockButton = root.querySelector("[data-lock]");
  const slowSelect = root.querySelector("[data-slow-select]");
  const notice = root.querySelector("[data-room-notice]");
  let built = false;

  // The POST forms stay as the no-JavaScript way; with a live connection the same
  // buttons act over the socket, so the page does not reload under everyone.
  function intercept(form, event, confirmKey) {
    if (!form) return;
    form.addEventListener("submit", async (e) => {
      if (!ctx.you) return; // not joined (yet): let the form post
      e.preventDefault();
      if (confirmKey && !window.confirm(t(confirmKey))) return;
      const button = form.querySelector("button");
      button.disabled = true;
      const ack = await ctx.request(event);
      button.disabled = false;
      if (!ack.ok) ctx.flash(ack.message);
    });
  }

  function build() {
    if (built) return;
    built = true;
    if (!ctx.canModerate() || !roomControls) return;
    intercept(openForm, "session.open", null);
    intercept(closeForm, "session.close", "close_confirm");
    lockButton.addEventListener("click", async () => {
      lockButton.disabled = true;
      const ack = await ctx.request("mod.lock", { locked: !ctx.locked });
      lockButton.disabled = false;
      if (!ack.ok) ctx.flash(ack.message);
      ctx.refresh();
    });
    slowSelect.addEventListener("change", async () => {
      const ack = await ctx.request("mod.slow", { seconds: Number(slowSelect.value) });
      if (!ack.ok) ctx.flash(ack.message);
      ctx.refresh();
    });
  }

  function refresh() {
    const status = ctx.status;
    if (statusBadge) {
      statusBadge.textContent = t(`session_${status}`);
      for (const s of ["scheduled", "live", "closed"]) statusBadge.classList.toggle(`status-${s}`, s === status);
    }
    if (openForm) show(openForm, status === "scheduled");
    if (closeForm) show(closeForm, status === "live");
    if (reschedule) show(reschedule, status === "scheduled");
    if (videoCall) show(videoCall, status === "live"); // the call is for the live session

    // Only teachers' pages have the room controls at all.
    const moderating = Boolean(roomControls) && ctx.canModerate() && !ctx.removed;
    if (roomControls) show(roomControls, moderating && status === "live");
    if (moderating) {
      lockButton.textContent = ctx.locked ? t("unlock_chat") : t("lock_chat");
      lockButton.setAttribute("aria-pressed", String(ctx.locked));
      if (![...slowSelect.options].some((o) => Number(o.value) === ctx.slowMode)) {
        // A value set elsewhere (the API) that the menu does not offer: show it anyway.
        slowSelect.append(new Option(t("seconds", { num: ctx.slowMode }), String(ctx.slowMode)));
      }
      slowSelect.value = String(ctx.slowMode);
    }

    let text = "";
    if (status === "scheduled") {
      text = ctx.canModerate() ? t("notice_scheduled_teacher") : t("notice_scheduled");
    }
    else if (status === "closed") text = t("notice_closed");
    else if (ctx.locked) text = ctx.canModerate() ? t("locked_teacher_notice") : t("locked_notice");
    notice.textContent = text;
    show(notice, Boolean(text) && !ctx.removed);
    root.dataset.status = status;
    root.classList.toggle("room-locked", ctx.locked);
  }

  // Tabs: only shown on narrow screens (CSS), where one panel fits at a time.
  const tabs = [...root.querySelectorAll("[role=tab]")];
  function select(tab) {
    for (const other of tabs) {
      const on = other === tab;
      other.setAttribute("aria-selected", String(on));
      other.tabIndex = on ? 0 : -1;
    }
    root.dataset.tab = tab.dataset.tab;
  }
  for (const tab of tabs) {
    tab.addEventListener("click", () => select(tab));
    tab.addEventListener("keydown", (e) => {
      const step = { ArrowRight: 1, ArrowLeft: -1 }[e.key];
      if (!step) return;
      const next = tabs[(tabs.indexOf(tab) + step + tabs.length) % tabs.length];
      select(next);
      next.focus();
    });
  }

  return { build, refresh };
}
