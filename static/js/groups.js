// The teachers' forming of breakout groups, by size or by hand (issue 18).
//
// By size, the server deals the students here into groups with the schools mixed. By
// hand, the teacher chooses a group for each student here (the people list's data:
// who is here and from which school) and names each group; "Adjust them by hand
// first" deals the students here as the server does by size, into the by-hand
// choices, for the teacher to change before forming. Both send `groups.form`; an
// error of its ack (an empty group, a group without a name, groups formed meanwhile)
// is shown as the server wrote it, in the reader's language.
//
// The groups formed last (by anyone, either way) become the by-hand draft: after
// "Bring everyone back" the teacher finds them there to adjust and form again.

import { el, replaceChildren, show } from "./dom.js";
import { t } from "./i18n.js";
import { NAME_LANG } from "./people.js";

// forum/room/groups.py: MAX_GROUPS, MAX_GROUP_NAME, MIN_SIZE and MAX_SIZE.
const MAX_GROUPS = 20;
const MAX_NAME = 60;
const SIZES = [2, 20];

// A, B, … Z, AA, AB …: the names groups formed by size get (forum/room/groups.py, _letter),
// so a teacher sees the same names whichever way they form the groups.
function defaultName(index) {
  let name = "";
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26)) {
    name = String.fromCharCode(65 + ((n - 1) % 26)) + name;
  }
  return name;
}

export function createGroupForm(ctx, root) {
  const box = root.querySelector("[data-groups-form]");
  if (!box) return { build() {}, setMembers() {}, refresh() {} }; // not a teacher's page
  const modes = [...box.querySelectorAll("[data-group-mode]")];
  const bySize = box.querySelector("[data-groups-by-size]");
  const byHand = box.querySelector("[data-groups-by-hand]");
  const sizeInput = box.querySelector("[data-group-size]");
  const formButton = box.querySelector("[data-form-groups]");
  const proposeButton = box.querySelector("[data-propose-groups]");
  const countInput = box.querySelector("[data-hand-count]");
  const groupList = box.querySelector("[data-hand-groups]");
  const studentBox = box.querySelector("[data-hand-students]");
  const handButton = box.querySelector("[data-form-hand]");
  const endButton = root.querySelector("[data-end-groups]");

  let members = []; // the presence list, as the people list has it
  let names = [defaultName(0), defaultName(1)]; // one per group, as typed
  const chosen = new Map(); // student id -> index of their group in `names`
  let built = false;
  let busy = false;
  let drawnKey = "";

  /** The students to place: those here now, and any already placed who stepped away. */
  function students() {
    return members.filter((m) => m.role === "student" && (m.online || chosen.has(m.id)));
  }

  function setMembers(list) {
    members = list;
    const known = new Set(list.map((m) => m.id));
    for (const id of chosen.keys()) if (!known.has(id)) chosen.delete(id); // removed
    if (built && !box.hidden) draw();
  }

  // --- the draft: how many groups, their names, who is in which -------------------------

  function optionText(index) {
    return t("group_named", { name: names[index].trim() || defaultName(index) });
  }

  function setCount(count) {
    const n = Math.max(1, Math.min(MAX_GROUPS, count));
    while (names.length < n) names.push(defaultName(names.length));
    names.length = n;
    for (const [id, index] of chosen) if (index >= n) chosen.delete(id);
    countInput.value = String(n);
    drawGroups();
    drawnKey = "";
    draw();
  }

  /** Deal the students here into groups of at most the size, each school over every group. */
  function propose() {
    const here = members.filter((m) => m.role === "student" && m.online);
    const asked = Number(sizeInput.value);
    const size = Number.isInteger(asked) ? Math.max(SIZES[0], Math.min(SIZES[1], asked)) : 4;
    const count = Math.max(1, Math.min(MAX_GROUPS, Math.ceil(here.length / size)));
    const bySchool = new Map();
    for (const m of here) {
      if (!bySchool.has(m.school)) bySchool.set(m.school, []);
      bySchool.get(m.school).push(m);
    }
    chosen.clear();
    let turn = 0;
    // The largest school first: the smaller ones then fill the groups it left short.
    for (const school of [...bySchool.values()].sort((a, b) => b.length - a.length)) {
      for (const m of school) chosen.set(m.id, turn++ % count);
    }
    setMode("hand");
    setCount(count);
    ctx.announce(t("hand_proposed", { num: count }));
    countInput.focus();
  }

  // The groups formed last become the draft (see the top of this file).
  ctx.folds.on("groups.formed", (event) => {
    const formed = event.data.groups.slice(0, MAX_GROUPS);
    names = formed.map((g) => g.name);
    chosen.clear();
    formed.forEach((g, index) => {
      for (const id of g.member_ids) chosen.set(id, index);
    });
    if (built) setCount(names.length);
  });

  // --- drawing --------------------------------------------------------------------------

  function drawGroups() {
    replaceChildren(groupList, names.map((name, index) => el("li", { class: "hand-group" },
      el("label", { for: `hand-name-${index}` }, t("hand_group_name", { n: index + 1 })),
      el("input", {
        id: `hand-name-${index}`, type: "text", maxlength: MAX_NAME, value: name, required: true,
        data: { handName: index },
        on: { input: (e) => { names[index] = e.target.value; relabel(index); } },
      }),
      el("span", { class: "hand-group-size", data: { handSummary: index } }))));
  }

  /** A group's new name in every student's menu. */
  function relabel(index) {
    for (const option of studentBox.querySelectorAll(`option[value="${index}"]`)) {
      option.textContent = optionText(index);
    }
  }

  /** How many in each group, and from which school: the teacher sees the mix at a glance. */
  function summarize() {
    const placed = students().filter((m) => chosen.has(m.id));
    names.forEach((_name, index) => {
      const line = groupList.querySelector(`[data-hand-summary="${index}"]`);
      if (!line) return;
      const mine = placed.filter((m) => chosen.get(m.id) === index);
      const bySchool = new Map();
      for (const m of mine) {
        const label = m.country || ctx.schoolName(m.school);
        bySchool.set(label, (bySchool.get(label) || 0) + 1);
      }
      const mix = [...bySchool].map(([label, n]) => `${label} ${n}`).join(" · ");
      line.textContent = t("hand_group_size", { num: mine.length }) + (mix ? ` (${mix})` : "");
    });
  }

  function studentRow(m) {
    const id = `hand-student-${m.id}`;
    const select = el("select", {
      id, disabled: busy,
      on: {
        change: (e) => {
          if (e.target.value === "") chosen.delete(m.id);
          else chosen.set(m.id, Number(e.target.value));
          summarize();
        },
      },
    }, el("option", { value: "" }, t("hand_no_group")),
    names.map((_name, index) => el("option", { value: String(index) }, optionText(index))));
    select.value = chosen.has(m.id) ? String(chosen.get(m.id)) : "";
    return el("li", { class: ["hand-student", m.online ? "is-online" : "is-away"], data: { userId: m.id } },
      el("label", { for: id },
        el("span", { class: "person-name", lang: NAME_LANG[m.country] || false }, m.name),
        m.online ? "" : [" ", el("span", { class: "badge" }, t("away"))]),
      select);
  }

  /** The students by school, each with the menu of groups; drawn again only on a change. */
  function draw() {
    const list = students();
    const key = JSON.stringify([names.length, busy, list.map((m) => [m.id, m.name, m.school, m.online])]);
    handButton.disabled = busy || list.length === 0 || !ctx.isLive();
    if (key === drawnKey) return;
    drawnKey = key;
    // Drawing again must not throw the teacher's keyboard focus away.
    const focused = studentBox.contains(document.activeElement)
      ? document.activeElement.closest("[data-user-id]")?.dataset.userId : null;
    const bySchool = new Map();
    for (const m of list) {
      if (!bySchool.has(m.school)) bySchool.set(m.school, { school: m.school, country: m.country, people: [] });
      bySchool.get(m.school).people.push(m);
    }
    const sections = [...bySchool.values()].map((group) => el("fieldset", { class: "hand-school" },
      el("legend", {}, ctx.schoolName(group.school), " ",
        group.country ? el("span", { class: "country" }, group.country) : ""),
      el("ul", { class: "hand-list" }, group.people.map(studentRow))));
    replaceChildren(studentBox, sections.length ? sections : el("p", { class: "muted" }, t("hand_nobody")));
    summarize();
    if (focused) studentBox.querySelector(`[data-user-id="${focused}"] select`)?.focus();
  }

  function setMode(mode) {
    for (const radio of modes) radio.checked = radio.value === mode;
    show(bySize, mode === "size");
    show(byHand, mode === "hand");
  }

  // --- forming ----------------------------------------------------------------------------

  async function form(button, payload) {
    busy = true;
    button.disabled = true;
    draw();
    const ack = await ctx.request("groups.form", payload);
    busy = false;
    button.disabled = false;
    if (ack.ok) ctx.flash("");
    else ctx.flash(ack.message);
    ctx.refresh();
    // The form is gone with the groups formed: the keyboard goes on from "Bring everyone back".
    if (ack.ok && endButton && !endButton.hidden) endButton.focus();
  }

  function formByHand() {
    const here = new Set(students().map((m) => m.id));
    const groups = names.map((name, index) => ({
      name,
      member_ids: [...chosen].filter(([id, g]) => g === index && here.has(id)).map(([id]) => id)
        .sort((a, b) => a - b),
    }));
    form(handButton, { groups });
  }

  function build() {
    if (built) return;
    built = true;
    if (!ctx.canModerate()) return;
    for (const radio of modes) radio.addEventListener("change", () => { if (radio.checked) setMode(radio.value); });
    formButton.addEventListener("click", () => form(formButton, { size: Number(sizeInput.value) }));
    proposeButton.addEventListener("click", propose);
    // "change", not "input": typing 12 would pass through 1 and drop the choices of groups 2 to 12.
    countInput.addEventListener("change", () => {
      const n = Number(countInput.value);
      if (Number.isInteger(n) && n > 0) setCount(n);
      else countInput.value = String(names.length);
    });
    handButton.addEventListener("click", formByHand);
    setMode(modes.find((r) => r.checked)?.value || "size");
    setCount(names.length);
  }

  function refresh() {
    const on = built && ctx.canModerate() && !ctx.removed && ctx.status === "live" && ctx.groups.length === 0;
    show(box, on);
    if (!on) return;
    formButton.disabled = busy;
    proposeButton.disabled = busy;
    draw();
  }

  return { build, setMembers, refresh };
}
