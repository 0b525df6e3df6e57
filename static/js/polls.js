// Polls: a teacher asks a question with 2–6 answers; members answer (and may change
// their answer) until it is closed; everyone sees the counts as bars. The room is told
// only the counts of a vote — never who voted what — so this module folds poll.voted
// by its counts, and keeps "mine" from join's state and our own acks.

import { el, newClientId, replaceChildren, show } from "./dom.js";
import { pageLang, t } from "./i18n.js";

const MAX_OPTIONS = 6;
const MIN_OPTIONS = 2;

export function createPolls(ctx, root) {
  const list = root.querySelector("[data-polls]");
  const newPoll = root.querySelector("[data-poll-new]");
  const form = root.querySelector("[data-poll-form]");
  const polls = new Map(); // poll id -> {id, question, options, multiple, counts, closed, mine, node}

  // --- the teacher's form ------------------------------------------------------------

  function optionRow(index) {
    const id = `poll-option-${index}`;
    return el("div", { class: "poll-option-input" },
      el("label", { for: id }, t("poll_answer_n", { n: index + 1 })),
      el("input", { id, type: "text", maxlength: "100", "data-poll-option": "" }));
  }

  function buildForm() {
    if (!form) return;
    const options = form.querySelector("[data-poll-options]");
    const add = form.querySelector("[data-poll-add]");
    const submit = form.querySelector("button[type=submit]");
    const status = form.querySelector("[data-poll-status]");
    const reset = () => {
      form.reset();
      replaceChildren(options, [0, 1, 2].map(optionRow));
      show(add, true);
      form.dataset.clientId = newClientId();
    };
    add.addEventListener("click", () => {
      const count = options.children.length;
      if (count >= MAX_OPTIONS) return;
      const row = optionRow(count);
      options.append(row);
      row.querySelector("input").focus();
      show(add, count + 1 < MAX_OPTIONS);
    });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const texts = [...options.querySelectorAll("[data-poll-option]")]
        .map((input) => input.value.trim())
        .filter(Boolean);
      const question = form.querySelector("[data-poll-question]").value.trim();
      if (!question || texts.length < MIN_OPTIONS) {
        status.textContent = t("poll_needs");
        return;
      }
      submit.disabled = true;
      const ack = await ctx.request("poll.open", {
        client_id: form.dataset.clientId,
        question,
        options: texts,
        multiple: form.querySelector("[data-poll-multiple]").checked,
      });
      submit.disabled = false;
      if (!ack.ok) {
        status.textContent = ack.message;
        return;
      }
      status.textContent = "";
      reset();
      newPoll.open = false;
      ctx.announce(t("poll_opened_by_you"));
    });
    reset();
  }

  // --- the fold ----------------------------------------------------------------------

  function setAll(items) {
    const seen = new Set();
    for (const item of items) {
      seen.add(item.id);
      const poll = polls.get(item.id) || { id: item.id, node: null };
      Object.assign(poll, item);
      polls.set(poll.id, poll);
    }
    for (const [id, poll] of polls) {
      if (!seen.has(id)) {
        if (poll.node) poll.node.remove();
        polls.delete(id);
      }
    }
  }

  ctx.folds.on("poll.opened", (event, live) => {
    const p = event.data.poll;
    if (polls.has(p.id)) return;
    polls.set(p.id, { id: p.id, question: p.question, options: p.options, multiple: p.multiple,
      counts: p.options.map(() => 0), closed: false, mine: [], node: null });
    if (live) ctx.announce(t("poll_new", { question: p.question }));
  });

  ctx.folds.on("poll.voted", (event) => {
    const d = event.data;
    const poll = polls.get(d.poll_id);
    if (!poll) return;
    poll.counts = d.counts;
    // Only our own copy (the ack, or a replay to us) carries choices and names us.
    if (event.actor && ctx.you && event.actor.id === ctx.you.id && d.choices) poll.mine = d.choices;
  });

  ctx.folds.on("poll.closed", (event, live) => {
    const d = event.data;
    const poll = polls.get(d.poll_id);
    if (!poll) return;
    poll.counts = d.counts;
    poll.closed = true;
    if (live) ctx.announce(t("poll_closed_notice", { question: poll.question }));
  });

  // --- drawing -----------------------------------------------------------------------

  function canAnswer(poll) {
    return !poll.closed && ctx.isLive() && Boolean(ctx.you && ctx.you.can_write);
  }

  function build(poll) {
    const title = `poll-${poll.id}-q`;
    const node = el("article", { class: "poll", "aria-labelledby": title, data: { pollId: poll.id } });
    poll.parts = {
      question: el("h3", { id: title, class: "poll-question" }),
      state: el("p", { class: "poll-state hint" }),
      form: el("form", { class: "poll-form" }),
      close: ctx.canModerate()
        ? el("button", { type: "button", class: "link", on: { click: () => closePoll(poll) } },
          t("poll_close"))
        : null,
      status: el("p", { class: "poll-status hint", role: "status" }),
    };
    const p = poll.parts;
    p.form.addEventListener("submit", (event) => {
      event.preventDefault();
      answer(poll);
    });
    node.append(p.question, p.state, p.form, p.status);
    if (p.close) node.append(el("p", { class: "poll-actions" }, p.close));
    poll.node = node;
  }

  function total(poll) {
    return poll.counts.reduce((a, b) => a + b, 0);
  }

  function update(poll) {
    if (!poll.node) build(poll);
    const p = poll.parts;
    // Drawn again only when something shown changed (refresh runs on every event).
    const key = JSON.stringify([poll.counts, poll.closed, poll.mine, canAnswer(poll), ctx.isLive()]);
    if (key === poll.drawnKey) return;
    poll.drawnKey = key;
    p.question.textContent = poll.question;
    const n = total(poll);
    p.state.textContent = [
      poll.closed ? t("poll_closed") : poll.multiple ? t("poll_choose_several") : t("poll_choose_one"),
      t("poll_people", { num: n }),
    ].join(" · ");
    const open = canAnswer(poll);
    const name = `poll-${poll.id}`;
    const legend = el("legend", { class: "visually-hidden" }, poll.question);
    const rows = poll.options.map((option, i) => {
      const id = `${name}-${i}`;
      const count = poll.counts[i] || 0;
      const chosen = poll.mine.includes(i);
      const input = el("input", {
        type: poll.multiple ? "checkbox" : "radio", name, id, value: String(i),
        checked: chosen, disabled: !open,
      });
      const label = el("label", { for: id, class: "poll-option-text" }, option,
        chosen ? el("span", { class: "badge", lang: pageLang }, t("poll_your_answer")) : null);
      const bar = el("progress", { max: String(Math.max(n, 1)), value: String(count),
        "aria-hidden": "true" });
      const figure = el("span", { class: "poll-count" }, t("poll_count", { num: count }));
      return el("div", { class: ["poll-option", chosen && "is-mine"] }, input, label, bar, figure);
    });
    const submit = el("button", { type: "submit", class: "primary", hidden: !open },
      poll.mine.length ? t("poll_change") : t("poll_answer"));
    // Keep what a person is choosing while counts change under them.
    const picked = [...p.form.querySelectorAll("input:checked")].map((i) => Number(i.value));
    const focused = p.form.contains(document.activeElement) ? document.activeElement.id : null;
    replaceChildren(p.form, el("fieldset", {}, legend, rows), submit);
    if (p.form.dataset.dirty === "1") {
      for (const input of p.form.querySelectorAll("input")) input.checked = picked.includes(Number(input.value));
    }
    p.form.onchange = () => { p.form.dataset.dirty = "1"; };
    if (focused) document.getElementById(focused)?.focus();
    if (p.close) show(p.close.parentElement, !poll.closed && ctx.isLive());
    poll.node.classList.toggle("poll-closed", poll.closed);
  }

  async function answer(poll) {
    const choices = [...poll.parts.form.querySelectorAll("input:checked")].map((i) => Number(i.value));
    if (!choices.length) {
      poll.parts.status.textContent = t("poll_pick_first");
      return;
    }
    const ack = await ctx.request("poll.vote", { poll_id: poll.id, choices });
    if (!ack.ok) {
      poll.parts.status.textContent = ack.message;
      return;
    }
    poll.mine = choices;
    poll.parts.form.dataset.dirty = "";
    poll.parts.status.textContent = t("poll_saved");
    update(poll);
  }

  async function closePoll(poll) {
    const ack = await ctx.request("poll.close", { poll_id: poll.id });
    if (!ack.ok) ctx.flash(ack.message);
  }

  function refresh() {
    const ordered = [...polls.values()].sort((a, b) => b.id - a.id); // newest first
    for (const poll of ordered) update(poll);
    replaceChildren(list, ordered.map((poll) => poll.node));
    show(list, ordered.length > 0);
    if (newPoll) show(newPoll, ctx.canModerate() && ctx.isLive());
  }

  buildForm();
  return { setAll, refresh };
}
