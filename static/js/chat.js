// The chat: messages folded from message.* events, the composer with optimistic
// "pending" messages, replies, reactions, the pinned prompt and "X is typing…".

import { charCount, el, newClientId, replaceChildren, show, tidyLines } from "./dom.js";
import { localDateTime, localTime, pageLang, t, tParts } from "./i18n.js";

const MAX_BODY = 2000;
const TYPING_SHOWN_MS = 3000;
const TYPING_EVERY_MS = 2000;
const QUOTE_CHARS = 120;
// A message longer than this is folded to about eight lines behind "Show more", as a
// mature chat does, so one long paste cannot push the conversation off everyone's screen.
const FOLD_LINES = 8;
const FOLD_CHARS = 320;
// The log draws at most this many messages; the rest wait in memory (or on the server,
// fetched with `history`) until the reader scrolls to them.
const MAX_DRAWN = 400;
const STEP = 100; // messages drawn at a time when the reader scrolls past the drawn ones
const NEAR_EDGE_PX = 200;

export function createChat(ctx, root) {
  const log = root.querySelector("[data-log]");
  const pinnedBox = root.querySelector("[data-pinned]");
  const typingLine = root.querySelector("[data-typing]");
  const form = root.querySelector("[data-composer]");
  const input = form.querySelector("[data-input]");
  const counter = form.querySelector("[data-counter]");
  const note = form.querySelector("[data-composer-note]");
  const sendButton = form.querySelector("[data-send]");
  const replying = form.querySelector("[data-replying]");
  const replyingText = form.querySelector("[data-replying-text]");
  const slowLine = root.querySelector("[data-slow]");

  const messages = new Map(); // message_id -> message model (see posted())
  // The log's messages known here, by seq; the drawn ones are one run of it (`drawn`).
  // Messages known only because a reply or the pin quotes them are not in it.
  const timeline = [];
  const orphans = new Map(); // message_id -> events about it, while it is not loaded
  let drawn = 0;
  const olderButton = root.querySelector("[data-older]");
  const olderStatus = root.querySelector("[data-older-status]");
  const pending = new Map(); // client_id -> {clientId, body, replyTo, state, error, node}
  const typers = new Map(); // user id -> {name, timer}
  let replyTo = null;
  let blockedUntil = 0; // slow mode / rate limit: no sending before this time (ms)
  let blockTimer = null;
  let lastTypingSent = 0;
  let writeKey = ""; // what the message buttons were last enabled for

  const reactions = ctx.boot.reactions;

  // --- models and their elements --------------------------------------------------------

  function posted(event) {
    const d = event.data;
    const withheld = d.body === null || d.body === undefined;
    let m = messages.get(d.message_id);
    if (!m) {
      m = { id: d.message_id, reactions: new Map(), node: null, sentHere: false };
      messages.set(m.id, m);
    }
    // Seen again (our own ack, then the broadcast): hiding is kept, it came later.
    const hidden = Boolean(m.hidden) || Boolean(d.hidden);
    const released = event.type === "message.released";
    // A released message is told to those who never saw it held, whole: who wrote it
    // (its author_id; the event's actor is the teacher who released it) and when it
    // was said (its id is the seq of its message.held), so it takes its place there.
    const author = released ? ctx.actor(d.author_id) || { id: d.author_id } : event.actor || {};
    Object.assign(m, {
      seq: released ? m.seq || d.message_id : event.seq,
      at: released ? m.at || event.at : event.at,
      actor: released && m.actor && m.actor.id ? m.actor : author,
      lang: d.lang || pageLang,
      replyTo: d.reply_to, clientId: d.client_id ?? m.clientId, hidden,
      // Held for a teacher: its author and the teachers see it waiting.
      held: event.type === "message.held" ? !released : released ? false : Boolean(m.held),
      groupId: d.group_id ?? null,
      // A student is not sent the text of a hidden message, only that it is hidden.
      body: withheld || (hidden && !ctx.canModerate()) ? null : d.body,
    });
    return m;
  }

  function build(m) {
    const node = el("li", { class: "msg", lang: m.lang, data: { messageId: m.id } });
    m.parts = {
      author: el("span", { class: "msg-author" }),
      school: el("span", { class: "msg-school", lang: pageLang }),
      country: el("span", { class: "country", lang: pageLang }),
      role: el("span", { class: "badge badge-teacher", lang: pageLang, hidden: true }, t("teacher")),
      time: el("time", { class: "msg-time", lang: pageLang }),
      hiddenBadge: el("span", { class: "badge badge-hidden", lang: pageLang, hidden: true },
        t("hidden_badge")),
      pinnedBadge: el("span", { class: "badge badge-pinned", lang: pageLang, hidden: true },
        t("pinned_badge")),
      groupBadge: el("span", { class: "badge badge-group", lang: pageLang, hidden: true }),
      heldBadge: el("span", { class: "badge badge-held", lang: pageLang, hidden: true },
        t("held_badge")),
      state: el("span", { class: "msg-state", lang: pageLang, hidden: true }, t("sent")),
      quote: el("blockquote", { class: "msg-quote", hidden: true }),
      body: el("p", { class: "msg-body" }),
      more: el("button", { type: "button", class: "link msg-more", lang: pageLang, hidden: true,
        "aria-expanded": "false", on: { click: () => toggleFolded(m) } }),
      reactions: el("div", { class: "msg-reactions", lang: pageLang }),
      actions: el("div", { class: "msg-actions", lang: pageLang }),
    };
    const p = m.parts;
    node.append(
      el("div", { class: "msg-meta" }, p.author, " ", p.school, " ", p.country, " ", p.role, " ",
        p.time, " ", p.groupBadge, " ", p.heldBadge, " ", p.hiddenBadge, " ", p.pinnedBadge, " ",
        p.state),
      p.quote, p.body, p.more, el("div", { class: "msg-foot" }, p.actions, p.reactions),
    );
    m.node = node;
    buildActions(m);
    return node;
  }

  function buildActions(m) {
    const p = m.parts;
    p.reply = el("button", { type: "button", class: "link", on: { click: () => startReply(m) } },
      t("reply"));
    p.actions.append(p.reply);
    if (ctx.canModerate()) {
      p.hide = el("button", { type: "button", class: "link", on: { click: () => toggleHidden(m) } });
      p.pin = el("button", { type: "button", class: "link", on: { click: () => togglePinned(m) } });
      p.release = el("button", { type: "button", class: "link", hidden: true,
        on: { click: () => ctx.release(m.id) } }, t("release"));
      p.actions.append(" ", p.hide, " ", p.pin, " ", p.release);
    }
    if (ctx.you && ctx.you.can_write) {
      // Anyone in the room may tell the teachers "this is not OK".
      p.flag = el("button", { type: "button", class: "link", "aria-haspopup": "dialog",
        on: { click: () => ctx.flagItem("message", m.id, p.flag) } }, t("flag"));
      p.actions.append(" ", p.flag);
    }
    p.addReaction = el("button", {
      type: "button", class: "reaction-add", "aria-expanded": "false",
      "aria-label": t("add_reaction"), title: t("add_reaction"),
      on: { click: () => togglePalette(m) },
    }, "☺+");
    p.palette = el("div", { class: "reaction-palette", role: "group", "aria-label": t("add_reaction"),
      hidden: true },
      reactions.map((emoji) => el("button", {
        type: "button", class: "reaction-choice", "aria-label": t("react_with", { emoji }),
        on: { click: () => { togglePalette(m, false); react(m, emoji); } },
      }, emoji)));
    p.palette.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        togglePalette(m, false);
        p.addReaction.focus();
      }
    });
    p.chips = el("span", { class: "reaction-chips" });
    p.reactions.append(p.chips, p.addReaction, p.palette);
  }

  function update(m) {
    const p = m.parts;
    const actor = m.actor;
    const me = ctx.you && actor.id === ctx.you.id;
    const canSee = m.body !== null;
    m.node.classList.toggle("msg-mine", Boolean(me));
    m.node.classList.toggle("msg-teacher", actor.role === "teacher");
    m.node.classList.toggle("msg-hidden", m.hidden && canSee);
    m.node.classList.toggle("msg-withheld", !canSee);
    p.author.textContent = actor.name || "";
    p.school.textContent = ctx.schoolName(actor.school);
    p.country.textContent = actor.country || "";
    show(p.country, Boolean(actor.country));
    show(p.role, actor.role === "teacher");
    p.time.dateTime = m.at;
    p.time.textContent = localTime(m.at);
    p.time.title = localDateTime(m.at);
    show(p.hiddenBadge, m.hidden && canSee);
    show(p.pinnedBadge, ctx.pinnedId === m.id);
    show(p.groupBadge, m.groupId !== null);
    if (m.groupId !== null) p.groupBadge.textContent = t("group_named", { name: ctx.groupName(m.groupId) });
    show(p.heldBadge, m.held && !m.hidden);
    m.node.classList.toggle("msg-held", Boolean(m.held) && !m.hidden);
    if (p.release) show(p.release, Boolean(m.held) && !m.hidden && ctx.isLive());
    if (p.pin) show(p.pin, !m.held);
    show(p.state, m.sentHere);
    if (canSee) {
      p.body.textContent = tidyLines(m.body);
      p.body.removeAttribute("lang");
    } else {
      // "Hidden by a teacher" is ours, in the page's language, not the author's.
      p.body.textContent = m.hidden ? t("hidden_notice") : "…";
      p.body.lang = pageLang;
    }
    renderFold(m);
    renderQuote(m);
    renderChips(m);
    if (p.hide) p.hide.textContent = m.hidden ? t("unhide") : t("hide");
    if (p.pin) p.pin.textContent = ctx.pinnedId === m.id ? t("unpin") : t("pin");
    show(p.reactions, canSee && !m.held);
    show(p.reply, canSee && !m.held);
    setButtonsEnabled(m);
  }

  function mayFold(m) {
    if (m.body === null || m.fits) return false;
    const text = tidyLines(m.body);
    return text.split("\n").length > FOLD_LINES || [...text].length > FOLD_CHARS;
  }

  function renderFold(m) {
    const p = m.parts;
    const fold = mayFold(m);
    p.body.classList.toggle("msg-folded", fold && !m.unfolded);
    show(p.more, fold);
    p.more.textContent = m.unfolded ? t("show_less") : t("show_more");
    p.more.setAttribute("aria-expanded", String(Boolean(m.unfolded)));
    if (fold && !m.unfolded) {
      // Long by count but short on screen (a wide window): no "Show more" that shows nothing.
      window.requestAnimationFrame(() => {
        if (p.body.isConnected && p.body.scrollHeight <= p.body.clientHeight + 1) {
          m.fits = true;
          renderFold(m);
        }
      });
    }
  }

  function toggleFolded(m) {
    keepScroll(() => {
      m.unfolded = !m.unfolded;
      renderFold(m);
    });
  }

  function renderQuote(m) {
    const q = m.parts.quote;
    if (!m.replyTo) {
      show(q, false);
      return;
    }
    show(q, true);
    const target = messages.get(m.replyTo);
    if (!target) {
      q.lang = pageLang;
      q.textContent = t("reply_unknown");
    } else if (target.body === null) {
      q.lang = pageLang;
      q.textContent = t("hidden_notice");
    } else {
      q.lang = target.lang;
      replaceChildren(q, el("span", { class: "quote-author" }, target.actor.name || ""), " ",
        shorten(target.body));
    }
  }

  function renderChips(m) {
    const chips = [];
    for (const emoji of reactions) {
      const users = m.reactions.get(emoji);
      if (!users || users.size === 0) continue;
      const mine = Boolean(ctx.you && users.has(ctx.you.id));
      chips.push(el("button", {
        type: "button", class: "reaction", "aria-pressed": String(mine),
        disabled: !ctx.canWrite(),
        on: { click: () => react(m, emoji) },
      }, `${emoji} `, el("span", { class: "reaction-count" }, String(users.size)),
      // Named by what it shows and then what that means ("👍 2 people reacted"), so
      // the spoken name begins with the visible words (WCAG 2.5.3).
      el("span", { class: "visually-hidden" }, " ", t("reacted", { num: users.size }))));
    }
    replaceChildren(m.parts.chips, chips);
  }

  function setButtonsEnabled(m) {
    const p = m.parts;
    const write = ctx.canWrite();
    p.addReaction.disabled = !write;
    for (const chip of p.chips.children) chip.disabled = !write;
    p.reply.disabled = !ctx.canPost();
    const live = ctx.isLive();
    if (p.hide) p.hide.disabled = !live;
    if (p.pin) p.pin.disabled = !live;
    if (p.flag) {
      p.flag.disabled = !live;
      show(p.flag, !m.hidden && !(ctx.you && m.actor && m.actor.id === ctx.you.id));
    }
  }

  function place(node, seq) {
    // Messages in seq order, pending ones (no seq yet) last; usually this appends.
    let before = null;
    for (let child = log.lastElementChild; child; child = child.previousElementSibling) {
      if (child.dataset.pending || Number(child.dataset.seq) > seq) before = child;
      else break;
    }
    node.dataset.seq = String(seq);
    log.insertBefore(node, before);
  }

  // --- applying events ------------------------------------------------------------------

  /** A message said: posted, held (told to its author and the teachers) or released. */
  function foldSaid(event, live) {
    const d = event.data;
    const m = messages.get(d.message_id);
    const wasNew = !m || !m.inLog;
    keepScroll(() => {
      const atEnd = windowAtEnd();
      const model = posted(event);
      resolvePending(model);
      if (wasNew) {
        model.inLog = true;
        enter(model);
        if (atEnd) draw(model);
      }
      if (model.node) update(model);
      // Replies shown before this message arrived (out of order) get their quote now.
      for (const other of messages.values()) if (other.replyTo === model.id && other.node) renderQuote(other);
    });
    const said = messages.get(d.message_id);
    if (event.type !== "message.released" && event.actor) stopTyping(event.actor.id);
    if (live && wasNew && said.actor && ctx.you && said.actor.id !== ctx.you.id && d.body) {
      ctx.announce(tParts("new_message", {
        name: said.actor.name || "", text: { text: shorten(d.body), lang: d.lang || pageLang },
      }));
    }
    if (live && event.type === "message.held" && ctx.you && event.actor && event.actor.id === ctx.you.id
        && !ctx.canModerate()) {
      ctx.announce(t("held_notice"));
    }
  }
  ctx.folds.on("message.posted", foldSaid);
  ctx.folds.on("message.held", foldSaid);
  ctx.folds.on("message.released", foldSaid);

  ctx.folds.on("message.reacted", (event) => {
    const m = messages.get(event.data.message_id);
    // About a message older than what is loaded: kept until it is.
    if (!m || !m.inLog) keep(orphans, event.data.message_id, event);
    else foldAbout(m, event);
  });

  function foldShown(event) {
    const m = messages.get(event.data.message_id);
    if (!m || !m.inLog) keep(orphans, event.data.message_id, event);
    if (m) foldAbout(m, event); // a quoted one shows it at once
  }
  ctx.folds.on("message.hidden", foldShown);
  ctx.folds.on("message.unhidden", foldShown);

  ctx.folds.on("message.pinned", () => {
    for (const other of messages.values()) if (other.node) update(other);
  });

  /** A reaction, hiding or showing again, applied to a loaded (or quoted) message. */
  function foldAbout(m, event) {
    const d = event.data;
    if (event.type === "message.reacted") {
      const users = m.reactions.get(d.emoji) || new Set();
      if (d.on) users.add(event.actor.id);
      else users.delete(event.actor.id);
      m.reactions.set(d.emoji, users);
      if (m.node) renderChips(m);
      return;
    }
    m.hidden = event.type === "message.hidden";
    // A student's screen drops the text at once; teachers keep it, dimmed.
    if (m.hidden && !ctx.canModerate()) m.body = null;
    if (!m.hidden && m.body === null) ctx.refetchFrom(m.seq);
    refreshMessage(m);
  }

  function keep(map, id, event) {
    if (!map.has(id)) map.set(id, []);
    map.get(id).push(event);
  }

  // --- paging: the drawn run of the timeline, older pages from `history` -----------------

  /** A message that a reply or the pin quotes, older than what is loaded. */
  function addQuoted(event) {
    const m = messages.get(event.data.message_id);
    if (m && m.inLog) return;
    posted(event);
  }

  /** Older events from `history` (in seq order, all older than what is loaded). */
  function addOlder(events, quoted) {
    for (const q of quoted) addQuoted(q);
    const fresh = [];
    const older = new Map(); // events about messages older still
    for (const event of events) {
      if (event.actor && !ctx.actors.has(event.actor.id)) ctx.actors.set(event.actor.id, event.actor);
      const d = event.data;
      if (["message.posted", "message.held", "message.released"].includes(event.type)) {
        const known = messages.get(d.message_id);
        if (known && known.inLog && event.type === "message.released") {
          posted(event);
          continue;
        }
        if (known && known.inLog) continue;
        const m = posted(event);
        m.inLog = true;
        fresh.push(m);
      } else if (["message.reacted", "message.hidden", "message.unhidden"].includes(event.type)) {
        const m = messages.get(d.message_id);
        if (m && m.inLog) foldAbout(m, event);
        else keep(older, d.message_id, event);
      }
    }
    // What happened to them later, heard while they were not loaded: after their own past.
    for (const m of fresh) {
      const later = orphans.get(m.id);
      if (!later) continue;
      orphans.delete(m.id);
      for (const event of later) foldAbout(m, event);
    }
    for (const [id, list] of older) orphans.set(id, [...list, ...(orphans.get(id) || [])]);
    fresh.sort((a, b) => a.seq - b.seq);
    timeline.unshift(...fresh);
    for (const m of messages.values()) if (m.replyTo && m.node) renderQuote(m);
  }

  /** Put a message of the log in the timeline by seq (usually at the end). */
  function enter(m) {
    let i = timeline.length;
    while (i > 0 && timeline[i - 1].seq > m.seq) i -= 1;
    timeline.splice(i, 0, m);
  }

  function windowAtEnd() {
    return timeline.length === 0 || Boolean(timeline[timeline.length - 1].node);
  }

  function draw(m) {
    place(build(m), m.seq);
    drawn += 1;
  }

  function undraw(m) {
    if (!m.node) return;
    if (openPalette === m) openPalette = null;
    m.node.remove();
    m.node = null;
    m.parts = null;
    drawn -= 1;
  }

  function drawnMessages() {
    return [...log.children].filter((n) => !n.dataset.pending).map((n) => messages.get(Number(n.dataset.messageId)));
  }

  /** Draw timeline[from, to) above or below the drawn run, keeping what the reader sees in place. */
  function drawRange(from, to, above) {
    if (from >= to) return;
    const fragment = document.createDocumentFragment();
    for (const m of timeline.slice(from, to)) {
      build(m);
      m.node.dataset.seq = String(m.seq);
      update(m);
      fragment.append(m.node);
      drawn += 1;
    }
    const height = log.scrollHeight;
    const top = log.scrollTop;
    if (above) {
      log.insertBefore(fragment, log.firstElementChild);
      log.scrollTop = top + (log.scrollHeight - height);
      trim(false);
    } else {
      log.insertBefore(fragment, log.querySelector("[data-pending]"));
      trim(true);
    }
  }

  /** Keep the drawn run at most MAX_DRAWN long, dropping from the top or the bottom. */
  function trim(fromTop) {
    if (drawn <= MAX_DRAWN) return;
    const run = drawnMessages();
    const extra = run.length - MAX_DRAWN;
    const dropped = fromTop ? run.slice(0, extra) : run.slice(run.length - extra);
    const height = log.scrollHeight;
    const top = log.scrollTop;
    for (const m of dropped) undraw(m);
    if (fromTop) log.scrollTop = top - (height - log.scrollHeight);
  }

  let loadingOlder = false;

  /** The reader reached the top: draw older messages, from memory or from the server. */
  async function showOlder() {
    if (loadingOlder) return;
    const run = drawnMessages();
    const first = run.length ? timeline.indexOf(run[0]) : timeline.length;
    if (first > 0) {
      drawRange(Math.max(0, first - STEP), first, true);
      renderOlderState();
      return;
    }
    if (!ctx.hasHistory()) return;
    loadingOlder = true;
    renderOlderState();
    const ok = await ctx.loadHistory();
    loadingOlder = false;
    if (ok) {
      const again = drawnMessages();
      const at = again.length ? timeline.indexOf(again[0]) : timeline.length;
      drawRange(Math.max(0, at - STEP), at, true);
    }
    renderOlderState(ok ? "" : t("older_failed"));
  }

  /** The reader reached the bottom of a run that stops short of the latest messages. */
  function showNewer() {
    const run = drawnMessages();
    if (!run.length) return;
    const last = timeline.indexOf(run[run.length - 1]);
    if (last < timeline.length - 1) drawRange(last + 1, Math.min(timeline.length, last + 1 + STEP), false);
  }

  /** Draw the latest messages again (the reader sends one while reading far back). */
  function toLatest() {
    if (windowAtEnd()) return;
    for (const m of drawnMessages()) undraw(m);
    drawRange(Math.max(0, timeline.length - STEP), timeline.length, false);
    log.scrollTop = log.scrollHeight;
    renderOlderState();
  }

  /** Forget the loaded messages: the room is read afresh (a re-join after a long gap). */
  function reset() {
    for (const m of drawnMessages()) undraw(m);
    messages.clear();
    timeline.length = 0;
    orphans.clear();
    drawn = 0;
  }

  function renderOlderState(error = "") {
    const run = drawnMessages();
    const moreHere = run.length > 0 && timeline.indexOf(run[0]) > 0;
    const more = moreHere || ctx.hasHistory();
    olderButton.hidden = !more || loadingOlder;
    olderButton.textContent = t("older_messages");
    olderStatus.textContent = loadingOlder ? t("loading_older") : error || (more || !timeline.length ? "" : t("session_start"));
    log.dataset.history = loadingOlder ? "loading" : more ? "more" : "done";
  }

  /** The messages waiting for a teacher (a teacher's join): in the log, wherever they were said. */
  function addHeld(events) {
    for (const event of events) {
      const known = messages.get(event.data.message_id);
      if (known && known.inLog) continue;
      const m = posted(event);
      m.inLog = true;
      enter(m);
    }
  }

  /** Fill in the text of a message shown again after being hidden (re-read via join). */
  function fillWithheld(event) {
    if (event.type !== "message.posted" || event.data.body === null) return;
    const m = messages.get(event.data.message_id);
    if (m && m.body === null && !m.hidden) {
      m.body = event.data.body;
      refreshMessage(m);
    }
  }

  function refreshMessage(m) {
    if (m.node) update(m);
    for (const other of messages.values()) if (other.replyTo === m.id && other.node) renderQuote(other);
    renderPinned();
  }

  // --- the pinned prompt ----------------------------------------------------------------

  function renderPinned() {
    const m = ctx.pinnedId ? messages.get(ctx.pinnedId) : null;
    show(pinnedBox, Boolean(m));
    if (!m) {
      pinnedBox.replaceChildren();
      return;
    }
    const body = m.body === null
      ? el("p", { class: "pinned-body", lang: pageLang }, t("hidden_notice"))
      : el("p", { class: "pinned-body", lang: m.lang }, tidyLines(m.body));
    const parts = [
      el("p", { class: "pinned-label" }, t("pinned_prompt"), " · ",
        el("span", { lang: m.lang }, m.actor.name || "")),
      body,
    ];
    if (ctx.canModerate()) {
      parts.push(el("button", {
        type: "button", class: "link", disabled: !ctx.isLive(),
        on: { click: () => togglePinned(m) },
      }, t("unpin")));
    }
    replaceChildren(pinnedBox, parts);
  }

  // --- actions ----------------------------------------------------------------------------

  async function react(m, emoji) {
    const ack = await ctx.request("chat.react", { message_id: m.id, emoji });
    if (!ack.ok) ctx.flash(ack.message);
  }

  let openPalette = null; // the message whose reaction palette is open

  function togglePalette(m, open) {
    const p = m.parts;
    const next = open ?? p.palette.hidden;
    if (next && openPalette && openPalette !== m) togglePalette(openPalette, false);
    show(p.palette, next);
    p.addReaction.setAttribute("aria-expanded", String(next));
    openPalette = next ? m : openPalette === m ? null : openPalette;
    if (next) p.palette.querySelector("button").focus();
  }

  // A click anywhere else closes the open palette.
  document.addEventListener("click", (event) => {
    if (openPalette && !openPalette.parts.reactions.contains(event.target)) togglePalette(openPalette, false);
  });

  async function toggleHidden(m) {
    const ack = await ctx.request(m.hidden ? "mod.unhide" : "mod.hide", { target: "message", id: m.id });
    if (!ack.ok) ctx.flash(ack.message);
  }

  async function togglePinned(m) {
    const ack = await ctx.request("mod.pin", { message_id: m.id, pinned: ctx.pinnedId !== m.id });
    if (!ack.ok) ctx.flash(ack.message);
  }

  function startReply(m) {
    replyTo = m.id;
    replyingText.lang = m.lang;
    replaceChildren(replyingText, el("span", { lang: pageLang }, t("replying_to")), " ",
      el("strong", {}, m.actor.name || ""), " ", shorten(m.body || ""));
    show(replying, true);
    input.focus();
  }

  function cancelReply() {
    replyTo = null;
    show(replying, false);
  }

  // --- sending ----------------------------------------------------------------------------

  function send() {
    const body = input.value.trim();
    const length = charCount(body);
    if (length < 1 || length > MAX_BODY || !ctx.canPost() || Date.now() < blockedUntil) return;
    toLatest();
    const item = { clientId: newClientId(), body, replyTo, state: "pending", error: "" };
    pending.set(item.clientId, item);
    keepScroll(() => {
      item.node = buildPending(item);
      log.append(item.node);
    }, true);
    input.value = "";
    // Others stop showing "typing" when this message arrives; the next key says it again.
    lastTypingSent = 0;
    cancelReply();
    updateCounter();
    deliver(item);
  }

  async function deliver(item) {
    item.state = "pending";
    renderPending(item);
    if (item.groupId === undefined) item.groupId = ctx.chatTarget ? ctx.chatTarget() : null;
    const ack = await ctx.request("chat.send", {
      client_id: item.clientId, body: item.body, reply_to: item.replyTo,
      ...(item.groupId !== null ? { group_id: item.groupId } : {}),
    });
    if (ack.ok) {
      // ctx.request folded the stored event already when it was next in seq; if not
      // (a gap), show it now in its place: the fold will find it there.
      if (pending.has(item.clientId)) foldSaid(ack.event, false);
      if (ctx.slowMode && !ctx.canModerate()) blockFor(ctx.slowMode);
      return;
    }
    if (!pending.has(item.clientId)) return; // the event came in meanwhile: it was stored
    item.state = "failed";
    item.error = ack.message;
    renderPending(item);
    if (ack.error === "unavailable") {
      // Nothing was stored (the server's database is out of reach): the same client_id
      // goes again by itself, so nothing typed is lost and nothing is stored twice.
      window.setTimeout(() => { if (pending.has(item.clientId)) deliver(item); },
        (ack.retry_after || 5) * 1000);
      return;
    }
    if (ack.retry_after) blockFor(ack.retry_after);
  }

  function resolvePending(m) {
    if (!ctx.you || m.actor.id !== ctx.you.id) return;
    const item = pending.get(m.clientId);
    if (!item) return;
    pending.delete(m.clientId);
    item.node.remove();
    m.sentHere = true;
  }

  function buildPending(item) {
    const node = el("li", { class: "msg msg-mine msg-pending", lang: ctx.you ? ctx.you.lang : pageLang,
      data: { pending: "true", clientId: item.clientId } });
    item.parts = {
      body: el("p", { class: ["msg-body", mayFold({ body: item.body }) && "msg-folded"] }, tidyLines(item.body)),
      state: el("p", { class: "msg-state", lang: pageLang, role: "status" }),
    };
    const quoted = item.replyTo ? messages.get(item.replyTo) : null;
    node.append(
      el("div", { class: "msg-meta" }, el("span", { class: "msg-author" }, ctx.you ? ctx.you.name : "")),
      quoted ? el("blockquote", { class: "msg-quote", lang: quoted.lang }, shorten(quoted.body || "")) : "",
      item.parts.body, item.parts.state,
    );
    return node;
  }

  function renderPending(item) {
    keepScroll(() => drawPending(item));
  }

  function drawPending(item) {
    item.node.classList.toggle("msg-failed", item.state === "failed");
    item.node.dataset.state = item.state;
    if (item.state === "pending") {
      replaceChildren(item.parts.state, t("pending"));
      return;
    }
    replaceChildren(item.parts.state,
      el("span", { class: "msg-error" }, t("failed"), item.error ? ` — ${item.error}` : ""), " ",
      el("button", { type: "button", class: "retry", on: { click: () => deliver(item) } }, t("retry")));
  }

  /** Slow mode or rate limit: no sending for `seconds`, with a countdown. */
  function blockFor(seconds) {
    blockedUntil = Math.max(blockedUntil, Date.now() + seconds * 1000);
    window.clearInterval(blockTimer);
    blockTimer = window.setInterval(() => {
      if (Date.now() >= blockedUntil) {
        window.clearInterval(blockTimer);
        blockTimer = null;
      }
      refreshComposer();
    }, 250);
    refreshComposer();
  }

  // --- composer state ---------------------------------------------------------------------

  function updateCounter() {
    const length = charCount(input.value);
    counter.textContent = `${length} / ${MAX_BODY}`;
    counter.classList.toggle("over", length > MAX_BODY);
    sendButton.disabled = length < 1 || length > MAX_BODY || !ctx.canPost() || Date.now() < blockedUntil;
  }

  function composerReason() {
    const you = ctx.you;
    if (ctx.removed) return t("removed_notice");
    if (!you) return "";
    if (!you.can_write) return t("observer_notice");
    if (ctx.status === "scheduled") {
      return ctx.canModerate() ? t("notice_scheduled_teacher") : t("notice_scheduled");
    }
    if (ctx.status === "closed") return t("notice_closed");
    if (ctx.locked && !ctx.canModerate()) return t("locked_notice");
    if (ctx.isMuted()) {
      return you.muted_until ? t("muted_until_notice", { time: localTime(you.muted_until) }) : t("muted_notice");
    }
    if (Date.now() < blockedUntil) {
      return t("send_again_in", { num: Math.ceil((blockedUntil - Date.now()) / 1000) });
    }
    if (you.audience && !ctx.canModerate()) return t("audience_notice");
    if (ctx.approval && !ctx.canModerate()) return t("approval_notice");
    return "";
  }

  let muteTimer = null;

  function refreshComposer() {
    const can = ctx.canPost();
    input.disabled = !can;
    const reason = composerReason();
    note.textContent = reason;
    note.classList.toggle("countdown", Date.now() < blockedUntil && can);
    form.classList.toggle("composer-closed", !can);
    // Nothing will ever be written here: observers (reviewers) and ended sessions.
    const never = ctx.status === "closed" || Boolean(ctx.you && !ctx.you.can_write);
    show(input, !never);
    show(sendButton, !never);
    show(counter, !never);
    updateCounter();
    show(slowLine, ctx.slowMode > 0);
    slowLine.textContent = ctx.slowMode > 0 ? t("slow_notice", { num: ctx.slowMode }) : "";
    // A timed mute ends by itself: look again when it should.
    window.clearTimeout(muteTimer);
    if (ctx.isMuted() && ctx.you.muted_until) {
      const wait = new Date(ctx.you.muted_until) - Date.now() + 500;
      muteTimer = window.setTimeout(() => ctx.refresh(), Math.min(wait, 2 ** 31 - 1));
    }
  }

  function refresh() {
    if (scrollAfterBatch !== null && !ctx.batching) {
      if (scrollAfterBatch) log.scrollTop = log.scrollHeight;
      scrollAfterBatch = null;
    }
    if (!ctx.batching && drawn > MAX_DRAWN && isAtBottom()) {
      trim(true);
      log.scrollTop = log.scrollHeight;
    }
    renderOlderState();
    refreshComposer();
    renderPinned();
    // Re-enable or disable every message's buttons only when permissions changed.
    const key = `${ctx.canWrite()}|${ctx.canPost()}|${ctx.isLive()}`;
    if (key !== writeKey) {
      writeKey = key;
      for (const m of messages.values()) if (m.node) setButtonsEnabled(m);
    }
  }

  // --- typing -------------------------------------------------------------------------------

  function onTyping(user) {
    if (!user || (ctx.you && user.id === ctx.you.id)) return;
    const current = typers.get(user.id);
    if (current) window.clearTimeout(current.timer);
    typers.set(user.id, {
      name: user.name,
      timer: window.setTimeout(() => stopTyping(user.id), TYPING_SHOWN_MS),
    });
    renderTyping();
  }

  function stopTyping(userId) {
    const current = typers.get(userId);
    if (!current) return;
    window.clearTimeout(current.timer);
    typers.delete(userId);
    renderTyping();
  }

  const list = new Intl.ListFormat(pageLang, { type: "conjunction" });

  function renderTyping() {
    const names = [...typers.values()].map((x) => x.name);
    typingLine.textContent = names.length ? t("typing", { names: list.format(names), num: names.length }) : "";
  }

  // --- helpers --------------------------------------------------------------------------

  let scrollAfterBatch = null; // while a join's events are folded: was the reader at the bottom?

  function isAtBottom() {
    return log.scrollHeight - log.scrollTop - log.clientHeight < 60;
  }

  function keepScroll(change, force = false) {
    // Follow new messages only when the reader is already at the bottom.
    const atBottom = isAtBottom();
    if (ctx.batching) {
      // Measuring after every one of hundreds of replayed messages would lay the
      // page out hundreds of times: measure once, scroll once (in refresh).
      if (scrollAfterBatch === null) scrollAfterBatch = atBottom;
      change();
      return;
    }
    change();
    if (atBottom || force) log.scrollTop = log.scrollHeight;
  }

  function shorten(text) {
    // One line: a quote or an announcement does not carry the message's line breaks.
    const chars = [...text.replace(/\s+/g, " ").trim()];
    return chars.length > QUOTE_CHARS ? `${chars.slice(0, QUOTE_CHARS).join("")}…` : text;
  }

  // --- wiring ---------------------------------------------------------------------------

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    send();
  });
  input.addEventListener("keydown", (event) => {
    // Enter sends, Shift+Enter breaks the line; never while an IME is composing
    // (Japanese, Chinese and Korean input confirm their words with Enter).
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
      event.preventDefault();
      send();
    }
  });
  input.addEventListener("input", () => {
    updateCounter();
    const now = Date.now();
    if (input.value.trim() && ctx.canPost() && now - lastTypingSent >= TYPING_EVERY_MS) {
      lastTypingSent = now;
      ctx.request("typing");
    }
  });
  form.querySelector("[data-cancel-reply]").addEventListener("click", cancelReply);
  log.addEventListener("scroll", () => {
    if (log.scrollTop < NEAR_EDGE_PX) showOlder();
    else if (log.scrollHeight - log.scrollTop - log.clientHeight < NEAR_EDGE_PX) showNewer();
  }, { passive: true });
  olderButton.addEventListener("click", showOlder);
  // Alt+M (and the "Write a message" link) go to the message box from anywhere in the
  // room, past every message's buttons; on a phone the chat tab is shown first.
  function jumpToComposer(event) {
    event.preventDefault();
    const tab = document.querySelector('.room-tabs [data-tab="chat"]');
    if (tab && getComputedStyle(tab.parentElement).display !== "none") tab.click();
    const target = input.disabled ? note : input;
    if (target === note) note.tabIndex = -1;
    target.focus();
    target.scrollIntoView({ block: "nearest" });
  }
  root.querySelector("[data-jump-composer]").addEventListener("click", jumpToComposer);
  document.addEventListener("keydown", (event) => {
    if (event.altKey && !event.ctrlKey && !event.metaKey && event.code === "KeyM") jumpToComposer(event);
  });

  /** A loaded message's text and language (for the flag queue), or null. */
  function textOf(id) {
    const m = messages.get(id);
    return m && m.body !== null && m.body !== undefined ? { text: shorten(m.body), lang: m.lang } : null;
  }

  return { fillWithheld, refresh, onTyping, addQuoted, addOlder, addHeld, reset, textOf };
}
