// "Who is here": the presence list grouped by school, and the teachers' per-student
// controls (mute for some minutes, unmute, remove).

import { el, replaceChildren, show } from "./dom.js";
import { localTime, pageLang, t } from "./i18n.js";

// Names are written in their owner's language; without better knowledge the school's
// country tells which CJK glyph shapes to use (same code points, different glyphs).
export const NAME_LANG = { TW: "zh-Hant-TW", JP: "ja", KR: "ko" };
const MUTE_CHOICES = [5, 10, 30, 0]; // minutes; 0 = until a teacher unmutes

export function createPeople(ctx, root) {
  const listBox = root.querySelector("[data-people-list]");
  const countLine = root.querySelector("[data-online-count]");

  let members = [];
  const mutes = new Map(); // user id -> ISO end of the mute, or null for "until unmuted"
  const chosenMinutes = new Map(); // user id -> minutes picked in the select (kept across renders)
  const busy = new Set(); // user ids with a moderation request in flight

  function setMembers(list) {
    members = list;
    render();
  }

  ctx.folds.on("member.muted", (event) => {
    mutes.set(event.data.user_id, event.data.until);
    render();
  });
  const unmute = (event) => {
    mutes.delete(event.data.user_id);
    render();
  };
  ctx.folds.on("member.unmuted", unmute);
  ctx.folds.on("member.removed", unmute);

  /** Who is muted now, as the join ack says (the events that muted them may be older than its page). */
  function setMutes(list) {
    mutes.clear();
    for (const m of list) mutes.set(m.user_id, m.until);
    render();
  }

  function isMuted(userId) {
    if (!mutes.has(userId)) return false;
    const until = mutes.get(userId);
    return !until || new Date(until) > new Date();
  }

  function render() {
    // Re-rendering must not throw a teacher's keyboard focus away.
    const focused = listBox.contains(document.activeElement) ? document.activeElement : null;
    const focusKey = focused ? [focused.closest("[data-user-id]")?.dataset.userId, focused.dataset.role] : null;

    const groups = new Map();
    for (const m of members) {
      const key = m.school || "";
      if (!groups.has(key)) groups.set(key, { school: m.school, country: m.country, people: [] });
      groups.get(key).people.push(m);
    }
    const sections = [];
    for (const group of groups.values()) {
      sections.push(el("section", { class: "people-school" },
        el("h3", {}, ctx.schoolName(group.school), " ",
          group.country ? el("span", { class: "country" }, group.country) : ""),
        el("ul", { class: "people-list" }, group.people.map(person))));
    }
    replaceChildren(listBox, sections.length ? sections : el("p", { class: "muted" }, t("nobody_here")));
    const online = members.filter((m) => m.online).length;
    countLine.textContent = t("online_count", { num: online });

    scheduleExpiry();
    if (focusKey) {
      const again = listBox.querySelector(`[data-user-id="${focusKey[0]}"] [data-role="${focusKey[1]}"]`);
      if (again) again.focus();
    }
  }

  let expiryTimer = null;

  function scheduleExpiry() {
    // A timed mute ends by itself: draw the list again when the next one ends.
    window.clearTimeout(expiryTimer);
    const ends = [...mutes.values()].filter(Boolean).map((iso) => new Date(iso) - Date.now())
      .filter((ms) => ms > 0);
    if (ends.length) expiryTimer = window.setTimeout(render, Math.min(...ends) + 500);
  }

  function person(m) {
    const muted = isMuted(m.id);
    const item = el("li", { class: ["person", m.online ? "is-online" : "is-away"], data: { userId: m.id } },
      el("span", { class: "dot", "aria-hidden": "true" }),
      el("span", { class: "visually-hidden" }, m.online ? t("online") : t("away")),
      el("span", { class: "person-name", lang: NAME_LANG[m.country] || false }, m.name),
      m.role === "teacher" ? el("span", { class: "badge badge-teacher" }, t("teacher")) : "",
      ctx.you && m.id === ctx.you.id ? el("span", { class: "badge" }, t("you")) : "",
      muted && ctx.canModerate() ? el("span", { class: "badge badge-muted" }, mutedLabel(m.id)) : "",
    );
    if (ctx.canModerate() && m.role === "student") item.append(controls(m, muted));
    return item;
  }

  function mutedLabel(userId) {
    const until = mutes.get(userId);
    return until ? t("muted_until", { time: localTime(until) }) : t("muted");
  }

  // A button shows its verb ("Remove") and is named by it and then whom it acts on
  // ("Remove 王小明"): the spoken name begins with the words seen, in every language
  // (WCAG 2.5.3), which a translated aria-label ("將 王小明 移出場次") did not.
  function named(verb, m) {
    return [verb, el("span", { class: "visually-hidden" }, " ", el("span", { lang: NAME_LANG[m.country] || false }, m.name))];
  }

  function controls(m, muted) {
    const live = ctx.isLive() && !busy.has(m.id);
    const box = el("div", { class: "person-controls", lang: pageLang });
    if (muted) {
      box.append(el("button", {
        type: "button", data: { role: "unmute" }, disabled: !live,
        on: { click: () => act(m, "mod.unmute") },
      }, ...named(t("unmute"), m)));
    } else {
      const select = el("select", {
        data: { role: "minutes" }, "aria-label": t("mute_for", { name: m.name }), disabled: !live,
        on: { change: (e) => chosenMinutes.set(m.id, Number(e.target.value)) },
      }, MUTE_CHOICES.map((minutes) => el("option", { value: minutes },
        minutes ? t("minutes", { num: minutes }) : t("until_unmuted"))));
      select.value = String(chosenMinutes.get(m.id) ?? MUTE_CHOICES[0]);
      box.append(select, el("button", {
        type: "button", data: { role: "mute" }, disabled: !live,
        on: { click: () => act(m, "mod.mute", Number(select.value) ? { minutes: Number(select.value) } : {}) },
      }, ...named(t("mute"), m)));
    }
    box.append(el("button", {
      type: "button", class: "danger", data: { role: "remove" }, disabled: !live,
      on: {
        click: () => {
          if (window.confirm(t("remove_confirm", { name: m.name }))) act(m, "mod.remove");
        },
      },
    }, ...named(t("remove"), m)));
    return box;
  }

  async function act(m, event, extra = {}) {
    busy.add(m.id);
    render();
    const ack = await ctx.request(event, { user_id: m.id, ...extra });
    busy.delete(m.id);
    if (!ack.ok) ctx.flash(ack.message);
    render();
  }

  let lastKey = "";

  function refresh() {
    // Controls depend on moderation rights and on the session being live.
    const key = `${ctx.canModerate()}|${ctx.isLive()}`;
    if (key !== lastKey) {
      lastKey = key;
      render();
    }
    show(root, true);
  }

  return { setMembers, setMutes, refresh };
}
