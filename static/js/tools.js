// The live tools of breakout groups and held messages: the teachers' controls (bring
// everyone back, "teacher approves every message"; forming the groups is groups.js's),
// the queue of messages waiting for a teacher (Release / Hide), the line that tells
// each person which group they are in, and whom a message or note goes to.

import { el, replaceChildren, show } from "./dom.js";
import { t } from "./i18n.js";

export function createTools(ctx, root) {
  const panel = root.querySelector("[data-room-tools]");
  const endButton = root.querySelector("[data-end-groups]");
  const approval = root.querySelector("[data-approve-all]");
  const banner = root.querySelector("[data-group-banner]");
  const queueBox = root.querySelector("[data-held-queue]");
  const queueTitle = root.querySelector("[data-held-title]");
  const queueList = root.querySelector("[data-held-list]");
  const targetLabel = root.querySelector("[data-chat-target-label]");
  const target = root.querySelector("[data-chat-target]");
  const boardLabel = root.querySelector("[data-board-target-label]");
  const boardTarget = root.querySelector("[data-board-target]");
  const boardTitle = root.querySelector("[data-board-group]");

  // message id -> {id, actor, body, lang, groupId}: held, neither released nor hidden.
  const held = new Map();
  let built = false;
  let targetKey = "";

  async function act(button, event, payload) {
    if (button) button.disabled = true;
    const ack = await ctx.request(event, payload);
    if (button) button.disabled = false;
    if (!ack.ok) ctx.flash(ack.message);
    ctx.refresh();
    return ack;
  }

  /** Release a held message to the room (or its group). */
  ctx.release = (messageId) => act(null, "mod.release", { message_id: messageId });
  /** Where a new message goes: null for the whole room, or a group id. */
  ctx.chatTarget = () => {
    if (!target || targetLabel.hidden || target.value === "") return null;
    const id = Number(target.value);
    return ctx.groups.some((g) => g.id === id) ? id : null;
  };

  function build() {
    if (built) return;
    built = true;
    if (!ctx.canModerate() || !panel) return;
    endButton.addEventListener("click", () => act(endButton, "groups.end"));
    approval.addEventListener("change", () => act(approval, "mod.approve_all", { on: approval.checked }));
    boardTarget.addEventListener("change", () => {
      ctx.viewGroup = boardTarget.value === "" ? null : Number(boardTarget.value);
      ctx.refresh();
    });
  }

  // --- the queue of held messages (teachers) ----------------------------------------------

  function keep(event) {
    const d = event.data;
    held.set(d.message_id, {
      id: d.message_id, actor: event.actor || {}, body: d.body, lang: d.lang, groupId: d.group_id ?? null,
    });
  }

  function setHeld(events) {
    held.clear();
    if (ctx.canModerate()) for (const event of events) keep(event);
  }

  function renderQueue() {
    if (!queueBox) return;
    const on = ctx.canModerate() && held.size > 0;
    show(queueBox, on);
    if (!on) return;
    queueTitle.textContent = t("held_queue", { num: held.size });
    const items = [...held.values()].sort((a, b) => a.id - b.id).map((m) => el("li", { class: "held-item" },
      el("p", { class: "held-meta" }, el("strong", {}, m.actor.name || ""), " ",
        m.groupId !== null ? el("span", { class: "badge badge-group" }, t("group_named", { name: ctx.groupName(m.groupId) })) : ""),
      el("p", { class: "held-body", lang: m.lang }, m.body || ""),
      el("div", { class: "held-actions" },
        el("button", { type: "button", class: "primary", disabled: !ctx.isLive(),
          on: { click: (e) => act(e.currentTarget, "mod.release", { message_id: m.id }) } }, t("release")),
        " ",
        el("button", { type: "button", disabled: !ctx.isLive(),
          on: { click: (e) => act(e.currentTarget, "mod.hide", { target: "message", id: m.id }) } }, t("hide")))));
    replaceChildren(queueList, items);
  }

  // --- events ----------------------------------------------------------------------------

  // A held message waits in the teachers' queue until it is released or hidden; shown
  // again, it is not queued back here (if still held, the next join lists it).
  ctx.folds.on("message.held", (event, live) => {
    if (ctx.canModerate()) keep(event);
    if (live && ctx.canModerate()) ctx.announce(t("held_arrived"));
  });
  const unqueue = (event) => held.delete(event.data.message_id);
  ctx.folds.on("message.released", unqueue);
  ctx.folds.on("message.hidden", unqueue);
  ctx.folds.on("groups.formed", (event, live) => {
    if (!live) return;
    const mine = ctx.myGroup();
    if (mine !== null) ctx.announce(t("groups_formed_you", { name: ctx.groupName(mine) }));
    else ctx.announce(t("groups_formed"));
  });
  ctx.folds.on("groups.ended", (event, live) => {
    if (live) ctx.announce(t("groups_ended"));
  });

  // --- drawing ---------------------------------------------------------------------------

  function memberNames(group) {
    return group.member_ids
      .filter((id) => !ctx.you || id !== ctx.you.id)
      .map((id) => (ctx.actor(id) || {}).name || "")
      .filter(Boolean)
      .join(", ");
  }

  function renderBanner() {
    if (!banner) return;
    const grouped = ctx.groups.length > 0 && ctx.status === "live";
    show(banner, grouped);
    if (!grouped) return;
    const mine = ctx.myGroup();
    if (ctx.canModerate()) {
      banner.textContent = t("groups_now", {
        list: ctx.groups.map((g) => `${g.name} (${g.member_ids.length})`).join(", "),
      });
    } else if (mine !== null) {
      const group = ctx.groups.find((g) => g.id === mine);
      banner.textContent = t("your_group", { name: group.name, names: memberNames(group) || "—" });
    } else {
      banner.textContent = t("no_group");
    }
  }

  function renderTargets() {
    const mine = ctx.myGroup();
    const key = JSON.stringify([ctx.groups.map((g) => [g.id, g.name]), mine, ctx.canModerate()]);
    const grouped = ctx.groups.length > 0 && ctx.status === "live";
    if (targetLabel) show(targetLabel, grouped && (ctx.canModerate() || mine !== null));
    if (boardLabel) show(boardLabel, grouped && ctx.canModerate());
    if (key !== targetKey && target) {
      targetKey = key;
      const options = [el("option", { value: "" }, t("to_everyone"))];
      if (ctx.canModerate()) {
        for (const g of ctx.groups) options.push(el("option", { value: String(g.id) }, t("group_named", { name: g.name })));
      } else if (mine !== null) {
        options.unshift(el("option", { value: String(mine) }, t("to_my_group", { name: ctx.groupName(mine) })));
      }
      replaceChildren(target, options);
      target.value = options[0].value; // a student talks to their group first
      if (boardTarget) {
        replaceChildren(boardTarget, [el("option", { value: "" }, t("room_board")),
          ...ctx.groups.map((g) => el("option", { value: String(g.id) }, t("group_named", { name: g.name })))]);
        boardTarget.value = ctx.viewGroup === null ? "" : String(ctx.viewGroup);
      }
    }
    if (boardTitle) {
      const group = ctx.boardGroup();
      boardTitle.textContent = group === null ? "" : t("group_board", { name: ctx.groupName(group) });
      show(boardTitle, group !== null);
    }
  }

  function refresh() {
    const mine = ctx.myGroup();
    root.dataset.group = mine === null ? "" : String(mine); // for tests and styles
    renderBanner();
    renderTargets();
    renderQueue();
    if (!panel) return;
    const moderating = ctx.canModerate() && !ctx.removed && ctx.status === "live";
    show(panel, moderating);
    if (!moderating) return;
    show(endButton, ctx.groups.length > 0);
    approval.checked = ctx.approval;
  }

  return { build, setHeld, refresh };
}
