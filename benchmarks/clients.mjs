// Load generator for benchmarks/live_room.py: room members that connect as browsers do.
//
// Each member is one official socket.io-client (node_modules, the same release the room
// page loads) with its own connection (forceNew), WebSocket transport only. In Node the
// client uses the `ws` package, which offers permessage-deflate by default as browsers
// do; whether the server took it is reported per connection (`ws.extensions`).
// Members prove who they are as the room page does (the sign-in cookie, sent as a
// Cookie header, with the page's Origin) or with `auth: {token}`.
//
// Spawned by live_room.py; one JSON object a line on stdin and stdout:
//   in : {"url", "mode": "chat"|"storm", "members": [[index, session_id, credential, role]],
//         "rate", "arrivals", "seed", "out", "clock", "connect_concurrency", "tools"?}
//        credential: {"cookie"} | {"token"} | null; role: "chat" (sends) | "rejoin" (silent,
//        drops and re-joins in the storm) | "teacher" (the live tools: see below)
//   out: {"ready": n, "deflate": k, "extensions": "..."} or {"error": "..."}
//   in : {"start", "measure", "end", "drain", "storm_at"?, "groups_at"?}   (monotonic
//        clock, seconds)
//   out: {"done": true} once what it saw is written to config.out
//
// The live tools (live_room.py --tools; config.tools = {"share", "flag_share",
// "poll_every", "poll_open", "group_size"}): each room has one "teacher" member, who
// opens a poll every poll_every s (closed poll_open s later), forms breakout groups of
// group_size (schools mixed) at plan.groups_at[0] and ends them at plan.groups_at[1],
// and dismisses each flag it hears of. Students act at rate / (1 - share): a share of
// their actions are tool actions instead of chats (so chats keep the rate, and the
// chats are sent at the very times of a run without tools): with
// flag_share of them a flag on a message they received, otherwise a vote while a poll
// is open (a new choice when they have voted: a changed vote), else nothing. While in
// a group they chat to their group. Every member records every seq it hears, as an
// event or as a `skip` (an event of an audience it is not in), so that live_room.py
// can check that each event reached its audience and everyone else got its skip.
//
// Times are CLOCK_MONOTONIC (process.hrtime), the clock of Python's time.monotonic(), so
// a send time written in one process can be set against a receipt in another.

import { writeFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { io } from "socket.io-client";

const NAMESPACE = "/live";
const BODIES = [
  "Our school planted forty trees this term. How about yours?",
  "我們班上週去淡水河邊撿垃圾，撿到很多塑膠瓶。",
  "静岡では海の近くでゴミ拾いをしました。",
  "What do you do with plastic bottles in Japan?",
  "Typhoons are getting stronger here. Do you have drills at school?",
  "我覺得大家可以一起少用一次性餐具！",
];

const now = () => Number(process.hrtime.bigint() / 1000n) / 1e6;
const sleep = (seconds) => new Promise((r) => setTimeout(r, Math.max(0, seconds * 1000)));
const say = (obj) => process.stdout.write(`${JSON.stringify(obj)}\n`);

function rng(seed) {
  // mulberry32: a small seeded generator, so a run's send times can be repeated
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Member {
  constructor(url, index, sessionId, credential, role, tools) {
    Object.assign(this, { index, sessionId, role, tools });
    this.received = []; // [client_id, receipt time, replayed?]
    this.sends = [];
    this.sent = 0;
    this.lastSeq = 0;
    this.netSockets = []; // every TCP connection it has had: wire bytes read
    this.presence = []; // [receipt time, bytes] of each presence message
    this.extensions = null;
    this.rejoin = null; // the storm: {dropped_at, connected_at, back_at, error}
    // The live tools (only with config.tools)
    this.userId = null;
    this.joinHead = 0;
    this.seen = []; // [seq, type, group_id, flag_id] of each event; [seq, null] of a skip
    this.actions = []; // tool actions: {kind, t, ack_at, ok, error, seq?, ...}
    this.poll = null; // the open poll: {id, options, mine}
    this.group = null; // my breakout group's id while groups are formed
    this.messageIds = []; // recent messages by others (flag targets)
    this.flagged = new Set();
    const cred = credential || {};
    const origin = new URL(url).origin;
    this.socket = io(url + NAMESPACE, {
      transports: ["websocket"],
      forceNew: true, // one connection per member, as one browser tab
      reconnection: false, // the storm re-connects explicitly, at once
      autoConnect: false, // connected a few at a time (connect_concurrency)
      timeout: 60000,
      extraHeaders: cred.cookie ? { Cookie: cred.cookie, Origin: origin } : { Origin: origin },
      auth: cred.token ? { token: cred.token } : undefined,
    });
    this.socket.io.on("open", () => this.onOpen());
    this.socket.on("event", (event) => this.onEvent(event));
    if (tools) this.socket.on("skip", (skip) => this.onSkip(skip));
    this.socket.on("presence", () => {});
    this.socket.on("typing", () => {});
  }

  onOpen() {
    const engine = this.socket.io.engine;
    const ws = engine.transport && engine.transport.ws;
    if (ws) {
      this.extensions = ws.extensions; // "permessage-deflate" when negotiated
      if (ws._socket) this.netSockets.push(ws._socket);
    }
    // Raw text of every Socket.IO packet, after inflating: presence counted and sized
    // here, without encoding the parsed payload again.
    engine.on("data", (data) => {
      // A Socket.IO EVENT packet: type 2, namespace, then the event's name.
      if (typeof data === "string" && data.startsWith('2/live,["presence"')) {
        this.presence.push([now(), Buffer.byteLength(data)]);
      }
    });
  }

  onEvent(event) {
    const at = now();
    if (event.seq > this.lastSeq) this.lastSeq = event.seq;
    if (event.type === "message.posted") this.received.push([event.data.client_id, at]);
    if (this.tools) this.onToolEvent(event);
  }

  onSkip(skip) {
    if (skip.seq > this.lastSeq) this.lastSeq = skip.seq;
    this.seen.push([skip.seq, null]);
  }

  /** The live tools: what each event tells a member (the open poll, my group, what
   *  may be flagged, a flag for the teacher to dismiss). */
  onToolEvent(event) {
    const data = event.data || {};
    this.seen.push([event.seq, event.type, data.group_id ?? null, data.flag_id ?? null]);
    if (event.type === "message.posted") {
      if (event.actor && event.actor.id !== this.userId) {
        this.messageIds.push(data.message_id);
        if (this.messageIds.length > 50) this.messageIds.shift();
      }
    } else if (event.type === "poll.opened") {
      this.poll = { id: data.poll.id, options: data.poll.options.length, mine: null };
    } else if (event.type === "poll.closed") {
      if (this.poll && this.poll.id === data.poll_id) this.poll = null;
    } else if (event.type === "groups.formed") {
      const mine = data.groups.find((g) => g.member_ids.includes(this.userId));
      this.group = mine ? mine.id : null;
    } else if (event.type === "groups.ended") {
      this.group = null;
    } else if (event.type === "item.flagged" && this.role === "teacher") {
      // Dismissed a second later (teachers only too), unless the run is ending.
      setTimeout(() => {
        if (now() < this.plan.end - 0.5) this.act("flag.dismiss", { flag_id: data.flag_id });
      }, 1000);
    }
  }

  /** One tool action, recorded with its ack (its event's seq, when the ack has it). */
  act(kind, payload, extra = {}) {
    const record = { kind, t: now(), ack_at: null, ok: null, error: null, seq: null, ...extra };
    this.actions.push(record);
    this.socket.timeout(30000).emit(kind, { session_id: this.sessionId, ...payload },
      (err, ack) => {
        record.ack_at = now();
        record.ok = Boolean(!err && ack && ack.ok);
        record.error = err ? "no ack" : ack && !ack.ok ? ack.error : null;
        if (record.ok && ack.event) record.seq = ack.event.seq;
        if (record.ok && ack.flag_id !== undefined) record.flag_id = ack.flag_id;
        if (record.ok && kind === "poll.open") record.poll_id = ack.event.data.poll.id;
        if (record.ok && kind === "groups.form") {
          record.groups = ack.event.data.groups.map((g) => [g.id, g.member_ids]);
        }
      });
    return record;
  }

  /** A student's tool action (instead of a chat): a flag, a vote or nothing. */
  toolAction(random) {
    const t = this.tools;
    if (random() < t.flag_share) {
      const fresh = this.messageIds.filter((id) => !this.flagged.has(id));
      if (fresh.length) {
        const id = fresh[Math.floor(random() * fresh.length)];
        this.flagged.add(id);
        this.act("flag", { target: "message", id, reason: "benchmark" });
        return;
      }
    }
    if (this.poll) {
      const poll = this.poll;
      let choice = Math.floor(random() * poll.options);
      if (poll.mine !== null && choice === poll.mine) choice = (choice + 1) % poll.options;
      const change = poll.mine !== null;
      poll.mine = choice;
      this.act("poll.vote", { poll_id: poll.id, choices: [choice] }, { change });
      return;
    }
    this.actions.push({ kind: "idle", t: now() });
  }

  connect() {
    return new Promise((resolve, reject) => {
      const ok = () => {
        this.socket.off("connect_error", fail);
        resolve();
      };
      const fail = (err) => {
        this.socket.off("connect", ok);
        reject(new Error(`connect_error: ${err && (err.message || JSON.stringify(err.data))}`));
      };
      this.socket.once("connect", ok);
      this.socket.once("connect_error", fail);
      if (!this.socket.connected) this.socket.connect();
    });
  }

  join(since) {
    const payload = { session_id: this.sessionId };
    if (since !== undefined) payload.since = since;
    return new Promise((resolve) => {
      this.socket.timeout(60000).emit("join", payload, (err, ack) => {
        const at = now();
        if (err || !ack || !ack.ok) {
          resolve({ ok: false, error: err ? "timeout" : ack && ack.error });
          return;
        }
        for (const event of ack.events || []) {
          // A re-join's replay brings what was missed while away. Live events may have
          // come first (the server puts the connection in the room before it reads the
          // replay), so a replayed event may be older than the last one seen: kept all
          // the same, marked as replayed (counted once per member by the storm summary).
          if (event.seq > this.lastSeq) this.lastSeq = event.seq;
          if (event.type === "message.posted") {
            this.received.push([event.data.client_id, at, true]);
          }
        }
        if (ack.head > this.lastSeq) this.lastSeq = ack.head;
        if (this.tools && since === undefined) {
          this.userId = ack.you.id;
          this.joinHead = ack.head;
        }
        resolve({ ok: true });
      });
    });
  }

  send(body) {
    this.sent += 1;
    const clientId = `b${this.index}-${this.sent}`;
    const record = { client_id: clientId, session_id: this.sessionId, sender: this.index,
                     ack: null, t: now() };
    this.sends.push(record);
    const payload = { session_id: this.sessionId, client_id: clientId,
                      body: `${body} [t=${record.t.toFixed(6)} ${clientId}]` };
    if (!this.tools) {
      this.socket.emit("chat.send", payload, (ack) => {
        record.ack_at = now();
        record.ack = { ok: Boolean(ack && ack.ok), error: ack && !ack.ok ? ack.error : null };
      });
      return;
    }
    // The live tools: in a group, to the group. Sent to a group that has just ended
    // (the end crossed it on the way: `not_found`), it is sent again to the room, with
    // the same client_id (nothing was stored).
    record.seq = null;
    record.group_id = this.group;
    record.resent = false;
    const emit = () => {
      const body = record.group_id === null ? payload : { ...payload, group_id: record.group_id };
      this.socket.emit("chat.send", body, (ack) => {
        if (ack && !ack.ok && ack.error === "not_found" && record.group_id !== null) {
          record.group_id = null;
          record.resent = true;
          emit();
          return;
        }
        record.ack_at = now();
        record.ack = { ok: Boolean(ack && ack.ok), error: ack && !ack.ok ? ack.error : null };
        if (record.ack.ok) record.seq = ack.event.seq;
      });
    };
    emit();
  }

  /** The teacher's lesson (the live tools): polls, breakout groups, all at set times. */
  teach(plan) {
    const t = this.tools;
    this.plan = plan;
    const at = (when, fn) => setTimeout(fn, Math.max(0, (when - now()) * 1000));
    let n = 0;
    for (let open = plan.start + 1; open + t.poll_open < plan.end - 0.5; open += t.poll_every) {
      n += 1;
      const number = n;
      at(open, () => {
        const opened = this.act("poll.open", {
          client_id: `poll-${this.index}-${number}`,
          question: `Poll ${number}: which SDG should our classes work on next?`,
          options: ["13 Climate action", "14 Life below water", "15 Life on land",
                    "12 Responsible consumption"],
        });
        at(open + t.poll_open, () => {
          if (opened.poll_id !== undefined) this.act("poll.close", { poll_id: opened.poll_id });
        });
      });
    }
    if (plan.groups_at) {
      at(plan.groups_at[0], () => this.act("groups.form", { size: t.group_size }));
      at(plan.groups_at[1], () => this.act("groups.end", {}));
    }
  }

  /** The storm: the connection drops (its TCP socket is destroyed, no goodbye), and
   *  the member connects again at once and re-joins from the last seq it saw. */
  async dropAndRejoin() {
    const engine = this.socket.io.engine;
    const ws = engine && engine.transport && engine.transport.ws;
    this.rejoin = { dropped_at: now(), connected_at: null, back_at: null, error: null };
    const closed = new Promise((resolve) => this.socket.once("disconnect", resolve));
    if (ws && ws._socket) ws._socket.destroy();
    else this.socket.io.engine.close();
    await closed;
    try {
      await this.connect();
      this.rejoin.connected_at = now();
      const ack = await this.join(this.lastSeq);
      if (ack.ok) this.rejoin.back_at = now();
      else this.rejoin.error = `join: ${ack.error}`;
    } catch (exc) {
      this.rejoin.error = String(exc.message || exc);
    }
  }

  wireBytes() {
    return this.netSockets.reduce((sum, s) => sum + s.bytesRead, 0);
  }
}

async function pool(items, size, fn) {
  let next = 0;
  const run = async () => {
    while (next < items.length) {
      const item = items[next++];
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(size, items.length) }, run));
}

async function main() {
  const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
  const readJson = async () => {
    const { value, done } = await lines.next();
    if (done) throw new Error("stdin closed");
    return JSON.parse(value);
  };
  const config = await readJson();
  if (Math.abs(now() - config.clock) > 5) {
    say({ error: `clock mismatch: node ${now()} vs python ${config.clock}` });
    process.exit(1);
  }
  const members = config.members.map(
    ([index, sessionId, credential, role]) =>
      new Member(config.url, index, sessionId, credential, role || "chat", config.tools || null),
  );
  try {
    await pool(members, config.connect_concurrency || 16, async (m) => {
      await m.connect();
      const ack = await m.join();
      if (!ack.ok) throw new Error(`join refused: ${ack.error}`);
    });
  } catch (exc) {
    say({ error: `connect/join failed: ${exc.message || exc}` });
    for (const m of members) m.socket.disconnect();
    process.exit(1);
  }
  const deflate = members.filter((m) => (m.extensions || "").includes("permessage-deflate"));
  if (process.env.BENCH_DEBUG) {
    process.stderr.write(`negotiated extensions of member ${members[0].index}: ` +
                         `${JSON.stringify(members[0].extensions)}\n`);
  }
  say({ ready: members.length, deflate: deflate.length,
        extensions: members.length ? members[0].extensions : null });

  const plan = await readJson();
  const random = rng(config.seed);
  const rate = config.rate;
  const gap = () =>
    config.arrivals === "poisson" ? -Math.log(1 - random()) / rate : (1 / rate) * (0.5 + random());
  const senders = members.filter((m) => m.role === "chat");
  for (const m of senders) {
    // Poisson: the first gap is a gap like the others (memoryless), so the rate is the
    // same from the start; uniform: each client starts at its own point of one period.
    let when = plan.start + (config.arrivals === "poisson" ? gap() : random() / rate);
    const tick = () => {
      if (when >= plan.end) return;
      m.send(BODIES[m.sent % BODIES.length]);
      when += gap();
      setTimeout(tick, (when - now()) * 1000);
    };
    setTimeout(tick, (when - now()) * 1000);
  }
  const tools = config.tools || null;
  if (tools) {
    // The live tools. A student acts at rate / (1 - share), a share of the actions
    // being tool actions instead of chats: by Poisson thinning, the chats above (their
    // own generator, so sent at the very times of a run without tools) and beside them
    // the tool actions at rate * share / (1 - share), from a generator of their own.
    for (const m of members) if (m.role === "teacher") m.teach(plan);
    const toolRandom = rng(config.seed + 7919);
    const toolRate = (rate * tools.share) / (1 - tools.share);
    const toolGap = () => -Math.log(1 - toolRandom()) / toolRate;
    for (const m of toolRate > 0 ? senders : []) {
      let when = plan.start + toolGap();
      const tick = () => {
        if (when >= plan.end) return;
        m.toolAction(toolRandom);
        when += toolGap();
        setTimeout(tick, (when - now()) * 1000);
      };
      setTimeout(tick, (when - now()) * 1000);
    }
  }
  let stormWire = null;
  const rejoins = [];
  if (config.mode === "storm") {
    await sleep(plan.storm_at - now());
    stormWire = members.reduce((sum, m) => sum + m.wireBytes(), 0);
    for (const m of members) if (m.role === "rejoin") rejoins.push(m.dropAndRejoin());
  }
  await sleep(plan.end - now());
  // Drain: every ack (and, in the storm, every re-join), then a little longer for the
  // last broadcasts.
  const deadline = plan.end + plan.drain;
  const pending = () =>
    senders.some((m) => m.sends.some((r) => r.ack === null)) ||
    members.some((m) => m.actions.some((a) => a.kind !== "idle" && a.ack_at === null)) ||
    members.some((m) => m.rejoin && m.rejoin.back_at === null && m.rejoin.error === null);
  while (now() < deadline && pending()) await sleep(0.05);
  await sleep(Math.min(2.0, deadline - now()));
  const result = {
    sends: senders.flatMap((m) => m.sends),
    received: members.map((m) => [m.index, m.sessionId, m.received]),
    deflate: deflate.length,
  };
  if (tools) {
    result.tools = members.map((m) => ({
      index: m.index, session_id: m.sessionId, role: m.role, user_id: m.userId,
      join_head: m.joinHead, seen: m.seen, actions: m.actions,
    }));
  }
  if (config.mode === "storm") {
    const from = plan.storm_at;
    result.rejoins = members.filter((m) => m.rejoin).map((m) => ({ index: m.index, ...m.rejoin }));
    result.presence = members.map((m) => {
      const during = m.presence.filter(([at]) => at >= from);
      return { index: m.index, role: m.role, count: during.length,
               bytes: during.reduce((sum, [, b]) => sum + b, 0),
               last_at: during.length ? during[during.length - 1][0] : null };
    });
    result.wire_bytes = members.reduce((sum, m) => sum + m.wireBytes(), 0) - stormWire;
  }
  writeFileSync(config.out, JSON.stringify(result));
  say({ done: true });
  for (const m of members) m.socket.disconnect();
  setTimeout(() => process.exit(0), 500);
}

main().catch((exc) => {
  say({ error: String((exc && exc.stack) || exc) });
  process.exit(1);
});
