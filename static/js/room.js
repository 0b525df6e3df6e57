// The live room's entry point: the connection to /live and the fold of the session's
// event log. Live state here is "what join returned, then every event in seq order":
// the same log the transcript shows, so what people see cannot drift from the record.

import { io } from "/static/vendor/socket.io.esm.min.js";

import { createBoard } from "./board.js";
import { createChat } from "./chat.js";
import { createControls } from "./controls.js";
import { el, replaceChildren } from "./dom.js";
import { createFlags } from "./flags.js";
import { createFolds } from "./folds.js";
import { createGroupForm } from "./groups.js";
import { localTime, t } from "./i18n.js";
import { createPeople } from "./people.js";
import { createPolls } from "./polls.js";
import { createTools } from "./tools.js";

const root = document.getElementById("room");
const boot = JSON.parse(document.getElementById("room-data").textContent);

// How long a gap in seq may last before we ask the server for what is missing.
const GAP_WAIT_MS = 1500;
// How long to wait for an ack before calling an action failed (it can be retried).
const ACK_TIMEOUT_MS = 10000;

const socket = io("/live", { transports: ["websocket", "polling"] });
// Every module registers its folds here by event type (folds.js); applyEvent runs them.
const folds = createFolds();

// --- shared room state, read by the chat, board, people and controls modules -----------

const ctx = {
  sessionId: boot.session_id,
  boot,
  folds,
  you: null,
  status: boot.status,
  locked: false,
  slowMode: 0,
  pinnedId: null,
  removed: false,
  batching: false, // folding many events from a join: draw once at the end
  actors: new Map(), // user id -> {id, name, role, school, country}, from events and presence
  schools: new Map(boot.schools.map((s) => [s.slug, s])),
  // Breakout groups formed now ([{id, name, member_ids}]), every group's name ever
  // formed here (the record keeps their talk), and "teacher approves every message".
  groups: [],
  groupNames: new Map(),
  approval: false,
  viewGroup: null, // the group whose board a teacher looks at (null: the whole room's)

  /** Emit a client event with an ack; always resolves to an ack object. */
  request(event, payload = {}) {
    return new Promise((resolve) => {
      socket
        .timeout(ACK_TIMEOUT_MS)
        .emit(event, { session_id: ctx.sessionId, ...payload }, (err, ack) => {
          if (err || !ack) {
            resolve({ ok: false, error: "timeout", message: t("no_answer") });
            return;
          }
          // Our own stored event: fold it now rather than wait for the broadcast
          // (the sequencer drops whichever copy comes second).
          if (ack.ok && ack.event) receive(ack.event, false);
          resolve(ack);
        });
    });
  },

  isLive: () => ctx.status === "live" && !ctx.removed,
  canModerate: () => Boolean(ctx.you && ctx.you.can_moderate),
  /** May write on the board (students: not while the room is locked). */
  canWrite() {
    if (!ctx.you || !ctx.you.can_write || !ctx.isLive()) return false;
    return ctx.canModerate() || !ctx.locked;
  },
  isMuted() {
    const you = ctx.you;
    if (!you || !you.muted || ctx.canModerate()) return false;
    return !you.muted_until || new Date(you.muted_until) > new Date();
  },
  /** May post in the chat: the board rules plus mute. */
  canPost: () => ctx.canWrite() && !ctx.isMuted(),

  actor(id) {
    return ctx.actors.get(id) || null;
  },
  /** The group this reader is in now (null: none, or none formed). */
  myGroup() {
    if (!ctx.you) return null;
    const group = ctx.groups.find((g) => g.member_ids.includes(ctx.you.id));
    return group ? group.id : null;
  },
  /** The board this reader writes on and sees: their group's while grouped. */
  boardGroup() {
    if (ctx.canModerate()) return ctx.groups.some((g) => g.id === ctx.viewGroup) ? ctx.viewGroup : null;
    return ctx.myGroup();
  },
  groupName(id) {
    return ctx.groupNames.get(id) || String(id);
  },
  setGroups(list) {
    ctx.groups = list;
    for (const group of list) ctx.groupNames.set(group.id, group.name);
  },
  schoolName(slug) {
    return (ctx.schools.get(slug) || {}).name || slug || "";
  },

  /**
   * Read a short text to screen readers (new messages, results of actions): strings
   * in the page's language, or tParts() whose `{ text, lang }` parts (what someone
   * wrote) are read in their own language's voice.
   */
  announce(...parts) {
    const region = document.getElementById("room-announcer");
    const nodes = parts.flat().map((part) =>
      typeof part === "object" ? el("span", { lang: part.lang || null }, part.text) : part);
    // Clearing first makes the same text be read again.
    region.textContent = "";
    window.setTimeout(() => {
      replaceChildren(region, nodes);
    }, 50);
  },

  /** Show an error or result of a room-wide action (teacher controls, board moves). */
  flash(text, kind = "error") {
    const line = document.getElementById("room-message");
    line.className = `room-message room-message-${kind}`;
    line.textContent = text;
    line.hidden = !text;
  },

  refresh() {
    chat.refresh();
    board.refresh();
    people.refresh();
    polls.refresh();
    flags.refresh();
    controls.refresh();
    tools.refresh();
    groupForm.refresh();
  },

  /** Ask for a reason and flag a message or a note for the teachers. */
  flagItem(target, id, opener) {
    flags.ask(target, id, opener);
  },
};

// --- the room's own folds: the shared state above, before any module's -------------------

folds.on("session.opened", () => { ctx.status = "live"; });
folds.on("session.closed", () => { ctx.status = "closed"; });
folds.on("room.locked", (event) => { ctx.locked = event.data.locked; });
folds.on("room.slow", (event) => { ctx.slowMode = event.data.seconds; });
folds.on("room.approval", (event) => { ctx.approval = event.data.on; });
folds.on("message.pinned", (event) => {
  ctx.pinnedId = event.data.pinned ? event.data.message_id : null; // as the server folds it
});
folds.on("groups.formed", (event) => ctx.setGroups(event.data.groups));
folds.on("groups.ended", () => {
  ctx.groups = [];
  ctx.viewGroup = null;
});
function foldMute(event, live) {
  const data = event.data;
  if (!ctx.you || data.user_id !== ctx.you.id) return;
  ctx.you.muted = event.type === "member.muted";
  ctx.you.muted_until = ctx.you.muted ? data.until : null;
  // Told, not only shown under the message box: a screen reader user would
  // otherwise find out only when typing stops working.
  if (live && !ctx.canModerate()) {
    if (!ctx.you.muted) ctx.announce(t("unmuted_notice"));
    else if (data.until) ctx.announce(t("muted_until_notice", { time: localTime(data.until) }));
    else ctx.announce(t("muted_notice"));
  }
}
folds.on("member.muted", foldMute);
folds.on("member.unmuted", foldMute);
folds.on("member.removed", (event) => {
  if (ctx.you && event.data.user_id === ctx.you.id) stop("removed");
});
// Received and shown nowhere: who is here is the people list's, and `presence` tells it.
folds.unshown("member.joined", "member.left");

// --- the modules: each registers its folds as it is made -------------------------------
// Made in the order their folds run for a type they share: the tools' queue before the
// chat (message.held, .released, .hidden), the flags' queue after the chat and board
// (message.hidden, note.hidden).

const tools = createTools(ctx, root);
const groupForm = createGroupForm(ctx, root);
const chat = createChat(ctx, root.querySelector("[data-chat]"));
const board = createBoard(ctx, root.querySelector("[data-board]"));
const people = createPeople(ctx, root.querySelector("[data-people]"));
const controls = createControls(ctx, root);
const polls = createPolls(ctx, root);
const flags = createFlags(ctx, root, (target, id) =>
  (target === "note" ? board.textOf(id) : chat.textOf(id)));

// --- the sequencer: events strictly in seq order, no duplicates, gaps refetched ---------

let lastSeq = 0;
const waiting = new Map(); // seq -> {event, live}: arrived early, waiting for the gap
let gapTimer = null;

function receive(event, live) {
  if (event.session_id !== ctx.sessionId || event.seq <= lastSeq) return; // duplicate
  waiting.set(event.seq, { event, live });
  while (waiting.has(lastSeq + 1)) {
    const next = waiting.get(lastSeq + 1);
    waiting.delete(lastSeq + 1);
    lastSeq += 1;
    if (!next.event.skip) applyEvent(next.event, next.live);
    else root.dataset.seq = String(lastSeq);
  }
  if (waiting.size === 0) {
    window.clearTimeout(gapTimer);
    gapTimer = null;
  } else if (gapTimer === null) {
    // Events can overtake each other across server processes; give the missing one
    // a moment, then ask for everything after lastSeq.
    gapTimer = window.setTimeout(() => {
      gapTimer = null;
      if (waiting.size > 0) join();
    }, GAP_WAIT_MS);
  }
}

// A seq whose event is for others only (the teachers', another group's): nothing to
// show, but the sequencer moves past it instead of waiting for it.
function skip(seq) {
  receive({ session_id: ctx.sessionId, seq, skip: true }, false);
}

function applyEvent(event, live) {
  if (event.actor) ctx.actors.set(event.actor.id, event.actor);
  folds.apply(event, live);
  root.dataset.seq = String(lastSeq); // where the fold is, for tests and debugging
  if (!ctx.batching) ctx.refresh();
}

// --- joining (first time, after a reconnect, and to fill a gap) --------------------------

let joining = false;
let joinAgainFrom = null; // a join asked for while one was in flight: its `since`
let joinGeneration = 0;
let joinedOnce = false;

async function join(since = lastSeq, fresh = false) {
  if (ctx.removed) return;
  if (joining && !fresh) {
    // One at a time; the next one asks from the oldest seq anybody wanted.
    joinAgainFrom = Math.min(joinAgainFrom ?? Infinity, since);
    return;
  }
  const generation = ++joinGeneration;
  joining = true;
  // No `since` on a first visit: the server answers with the room's state and its
  // latest page (`history_before` names what is older; scrolling up fetches it).
  const ack = await ctx.request("join", since > 0 ? { since } : {});
  if (generation !== joinGeneration) return; // a reconnect started a newer join
  joining = false;
  if (!ack.ok) {
    if (ack.error === "removed") stop("removed");
    else if (ack.error === "timeout" && socket.connected) join(lastSeq, true);
    else if (ack.error === "unavailable") {
      setStatus("error", ack.message);
      window.setTimeout(() => { if (socket.connected) join(lastSeq, true); },
        (ack.retry_after || 5) * 1000);
    }
    else if (ack.error !== "timeout") setStatus("error", ack.message);
    return;
  }
  onJoined(ack);
  if (joinAgainFrom !== null) {
    const from = joinAgainFrom;
    joinAgainFrom = null;
    join(Math.min(from, lastSeq));
  }
}

function onJoined(ack) {
  ctx.you = ack.you;
  if (!joinedOnce) {
    joinedOnce = true;
    controls.build();
    tools.build();
    groupForm.build();
    board.setColumns(ack.session.columns);
    // The page names schools in the page's language; the socket's list is a fallback.
    for (const s of ack.session.schools || []) if (!ctx.schools.has(s.slug)) ctx.schools.set(s.slug, s);
  }
  // A page rather than everything after lastSeq: the room is read afresh from there.
  const pageFrom = ack.history_before;
  if (pageFrom !== undefined && pageFrom > lastSeq + 1) {
    if (lastSeq > 0) chat.reset();
    waiting.clear();
    lastSeq = pageFrom - 1;
    historyBefore = pageFrom;
  } else if (lastSeq === 0) {
    historyBefore = null;
  }
  for (const q of ack.quoted || []) chat.addQuoted(q);
  ctx.batching = true;
  try {
    for (const event of ack.events) {
      // Older than lastSeq: only a re-read of something hidden that is now shown again.
      if (event.seq <= lastSeq) chat.fillWithheld(event);
      else receive(event, false);
    }
    // The replay read every event up to `head`: a seq it did not return is not ours.
    for (let seq = lastSeq + 1; seq <= ack.head; seq += 1) if (!waiting.has(seq)) skip(seq);
  } finally {
    ctx.batching = false;
  }
  if (ctx.removed) return; // the events said this reader was removed
  // The state in the ack is as of `head`: take it unless we already folded newer events.
  if (ack.head >= lastSeq) {
    ctx.status = ack.session.status;
    ctx.locked = ack.session.locked;
    ctx.slowMode = ack.session.slow_mode;
    ctx.pinnedId = ack.session.pinned_message_id;
    ctx.approval = Boolean(ack.session.approval);
    ctx.setGroups(ack.session.groups || []);
    tools.setHeld(ack.held || []);
    chat.addHeld(ack.held || []);
    people.setMutes(ack.mutes || []);
    board.setVotes(ack.votes || []);
    board.replaceAll(ack.board);
    polls.setAll(ack.polls || []);
    flags.setAll(ack.flags || []);
  }
  setStatus("connected");
  ctx.refresh();
}

// Ask again for the event `seq` (a student's view of text that was hidden and is
// shown again: the original event is older than lastSeq).
ctx.refetchFrom = async (seq) => {
  const ack = await ctx.request("history", { before: seq + 1, limit: 1 });
  if (ack.ok) for (const event of ack.events) chat.fillWithheld(event);
};

// --- older pages: `history` before the oldest event loaded -------------------------------

let historyBefore = null; // the oldest seq loaded, while the server has older events

ctx.hasHistory = () => historyBefore !== null;
/** Fetch the page before the oldest loaded event into the chat; false if it failed. */
ctx.loadHistory = async () => {
  if (historyBefore === null) return true;
  const before = historyBefore;
  const ack = await ctx.request("history", { before });
  if (!ack.ok) return false;
  if (before !== historyBefore) return true; // a re-join read the room afresh meanwhile
  historyBefore = ack.history_before ?? null;
  chat.addOlder(ack.events, ack.quoted || []);
  return true;
};
// Join again from where we are: the ack brings the board as stored (a note shown again).
ctx.rejoin = () => join();

// --- connection state -------------------------------------------------------------------

function setStatus(state, text) {
  const line = document.getElementById("room-connection");
  line.dataset.state = state;
  const label = text || t(`status_${state}`);
  replaceChildren(line, el("span", { class: "connection-dot", "aria-hidden": "true" }), label);
}

function stop(reason) {
  if (ctx.removed && reason === "removed") return;
  ctx.removed = true;
  socket.io.reconnection(false);
  socket.disconnect();
  setStatus(reason);
  const notice = document.getElementById("room-stopped");
  notice.textContent = t(reason === "removed" ? "removed_notice" : "signin_again");
  notice.hidden = false;
  ctx.refresh();
}

setStatus("connecting");

socket.on("connect", () => join(lastSeq, true));

socket.on("disconnect", (reason) => {
  if (ctx.removed) return;
  setStatus("reconnecting");
  // The server ended this connection itself (e.g. restarted a worker): socket.io does
  // not retry that on its own, so we do; a refused sign-in ends it via connect_error.
  if (reason === "io server disconnect") window.setTimeout(() => socket.connect(), 1000);
});

socket.on("connect_error", (err) => {
  if (err && err.data && err.data.code === "unauthorized") {
    stop("unauthorized");
    return;
  }
  if (err && err.data && err.data.code === "unavailable") {
    // Refused for now (the server's database is out of reach): socket.io does not try
    // a refused connection again, so we do.
    window.setTimeout(() => { if (!ctx.removed) socket.connect(); },
      (err.data.retry_after || 5) * 1000);
  }
  if (!ctx.removed) setStatus("reconnecting");
});

socket.on("event", (event) => receive(event, true));
socket.on("skip", (payload) => { if (payload.session_id === ctx.sessionId) skip(payload.seq); });
socket.on("presence", (payload) => {
  if (payload.session_id !== ctx.sessionId) return;
  for (const member of payload.members) ctx.actors.set(member.id, member);
  people.setMembers(payload.members);
  groupForm.setMembers(payload.members);
});
socket.on("typing", (payload) => {
  if (payload.session_id === ctx.sessionId) chat.onTyping(payload.user);
});
socket.on("removed", (payload) => {
  if (payload.session_id === ctx.sessionId) stop("removed");
});
socket.on("signed_out", () => {
  ctx.removed = true;
  socket.io.reconnection(false);
  window.location.assign(boot.signin_url);
});

