// The shared board: sticky notes in columns, folded from note.* events. Edits carry
// the version they were made on; a "conflict" ack brings the newer note, which we
// show while keeping the reader's own text so nothing typed is lost.

import { charCount, el, newClientId, replaceChildren, show, tidyLines } from "./dom.js";
import { pageLang, t, tParts } from "./i18n.js";

const MAX_TEXT = 500;
const DRAG_THRESHOLD_PX = 6;

export function createBoard(ctx, root) {
  const columnsBox = root.querySelector("[data-columns]");
  const colors = ctx.boot.colors;

  const columns = new Map(); // column id -> {id, title, node, list, form}
  const notes = new Map(); // note id -> note model
  const myVotes = new Set(); // note ids this reader has voted for
  let drag = null;

  // --- columns and the "add a note" forms -------------------------------------------------

  function setColumns(list) {
    if (columns.size) return; // a board's columns are fixed for its session
    for (const column of list) {
      const titleId = `board-col-${column.id}`;
      const notesList = el("ul", { class: "notes", "aria-labelledby": titleId, "data-empty": t("no_notes") });
      const node = el("section", { class: "board-column", data: { column: column.id }, "aria-labelledby": titleId },
        el("h3", { id: titleId, class: "board-column-title" }, column.title),
        notesList);
      const entry = { ...column, node, list: notesList };
      entry.form = buildAddForm(entry);
      node.append(entry.form.node);
      columns.set(column.id, entry);
      columnsBox.append(node);
    }
    root.dataset.columns = String(list.length);
  }

  function buildAddForm(column) {
    const id = `note-new-${column.id}`;
    // Ctrl+Enter (⌘+Enter) adds the note: said in the placeholder and to screen readers.
    const text = el("textarea", { id, rows: "2", class: "note-input", placeholder: t("note_placeholder"),
      "aria-keyshortcuts": "Control+Enter Meta+Enter" });
    const counter = el("span", { class: "counter" }, `0 / ${MAX_TEXT}`);
    const error = el("p", { class: "form-error", role: "alert", hidden: true });
    const add = el("button", { type: "submit", class: "primary" }, t("add_note"));
    const swatches = colors.map((color, i) => el("label", { class: `swatch note-${color.id}` },
      el("input", { type: "radio", name: `color-${column.id}`, value: color.id, checked: i === 0 }),
      el("span", { class: "visually-hidden" }, color.name)));
    const palette = el("fieldset", { class: "note-colors" },
      el("legend", { class: "visually-hidden" }, t("note_color")), swatches);
    const node = el("form", { class: "note-form", data: { column: column.id } },
      el("label", { for: id, class: "visually-hidden" }, t("new_note_in", { column: column.title })),
      text, el("div", { class: "note-form-bar" }, palette, counter, add), error);
    const form = { node, text, add, error, counter, clientId: null, sending: false };
    const update = () => {
      const n = charCount(text.value);
      counter.textContent = `${n} / ${MAX_TEXT}`;
      counter.classList.toggle("over", n > MAX_TEXT);
      add.disabled = form.sending || n < 1 || n > MAX_TEXT || !ctx.canWrite();
    };
    form.update = update;
    text.addEventListener("input", () => {
      form.clientId = null; // changed text is a new note, not a retry of the last one
      update();
    });
    text.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) node.requestSubmit();
    });
    node.addEventListener("submit", async (event) => {
      event.preventDefault();
      const body = text.value.trim();
      if (!body || charCount(body) > MAX_TEXT || form.sending) return;
      // Kept until it succeeds: pressing Add again after a failure cannot add it twice.
      form.clientId = form.clientId || newClientId();
      form.sending = true;
      update();
      const color = node.querySelector("input[type=radio]:checked");
      const group = ctx.boardGroup();
      const ack = await ctx.request("note.add", {
        client_id: form.clientId, column: column.id, text: body, color: color ? color.value : "yellow",
        ...(group !== null ? { group_id: group } : {}),
      });
      form.sending = false;
      error.textContent = ack.ok ? "" : ack.message;
      show(error, !ack.ok);
      if (ack.ok) {
        text.value = "";
        form.clientId = null;
        ctx.announce(t("note_added"));
      }
      update();
    });
    return form;
  }

  // --- notes --------------------------------------------------------------------------------

  function upsert(data, { hidden, group } = {}) {
    let note = notes.get(data.id);
    if (!note) {
      note = { id: data.id, hidden: false, editor: null, group: null };
      notes.set(note.id, note);
    }
    // The breakout group whose board it is on (null: the whole room's).
    if (group !== undefined) note.group = group ?? null;
    Object.assign(note, {
      column: data.column, color: data.color, x: data.x, y: data.y, version: data.version,
      votes: data.votes, author_id: data.author_id, lang: data.lang || note.lang || pageLang,
    });
    if (hidden !== undefined) note.hidden = hidden;
    // A student never keeps the text of a hidden note, even if an edit broadcast has it.
    note.text = note.hidden && !ctx.canModerate() ? null : data.text ?? null;
    if (!note.node) build(note);
    placeNote(note);
    update(note);
    return note;
  }

  function build(note) {
    const node = el("li", { class: "note", data: { noteId: note.id } });
    const p = {
      grip: el("span", { class: "note-grip", title: t("drag_hint"), "aria-hidden": "true" }, "⠿"),
      text: el("p", { class: "note-text" }),
      author: el("span", { class: "note-author" }),
      school: el("span", { class: "note-school", lang: pageLang }),
      country: el("span", { class: "country", lang: pageLang }),
      hiddenBadge: el("span", { class: "badge badge-hidden", lang: pageLang, hidden: true }, t("hidden_badge")),
      vote: el("button", { type: "button", class: "vote", on: { click: () => vote(note) } }),
      edit: el("button", { type: "button", class: "link", on: { click: () => openEditor(note) } }, t("edit")),
      remove: el("button", { type: "button", class: "link danger", on: { click: () => remove(note) } }, t("remove")),
      hide: ctx.canModerate()
        ? el("button", { type: "button", class: "link", on: { click: () => toggleHidden(note) } })
        : null,
      // Anyone in the room may tell the teachers "this is not OK".
      flag: ctx.you && ctx.you.can_write
        ? el("button", { type: "button", class: "link", "aria-haspopup": "dialog",
          on: { click: () => ctx.flagItem("note", note.id, p.flag) } }, t("flag"))
        : null,
      move: el("select", { class: "note-move", "aria-label": t("move_to") }),
      moveButton: el("button", { type: "button", class: "note-move-button", on: { click: () => moveBySelect(note) } },
        t("move")),
      editorBox: el("div", { class: "note-editor-box", lang: pageLang }),
    };
    for (const column of columns.values()) {
      p.move.append(el("option", { value: column.id }, column.title));
    }
    node.append(
      p.grip, p.text,
      el("p", { class: "note-meta" }, p.author, " ", p.school, " ", p.country, " ", p.hiddenBadge),
      el("div", { class: "note-actions", lang: pageLang }, p.vote, p.edit, p.remove, p.hide, p.flag),
      el("div", { class: "note-move-row", lang: pageLang }, p.move, p.moveButton),
      p.editorBox,
    );
    p.grip.addEventListener("pointerdown", (event) => startDrag(event, note));
    note.node = node;
    note.parts = p;
  }

  function placeNote(note) {
    const column = columns.get(note.column);
    if (!column) return;
    // Notes keep their creation order (id) inside a column.
    const list = column.list;
    if (note.node.parentElement === list) return;
    const after = [...list.children].find((child) => Number(child.dataset.noteId) > note.id) || null;
    const hadFocus = note.node.contains(document.activeElement);
    list.insertBefore(note.node, after);
    if (hadFocus) note.parts.move.focus(); // keyboard users keep their place after a move
  }

  function canChange(note) {
    return Boolean(ctx.you) && (ctx.canModerate() || note.author_id === ctx.you.id);
  }

  function update(note) {
    const p = note.parts;
    const author = ctx.actor(note.author_id) || {};
    const visible = note.text !== null;
    for (const color of colors) note.node.classList.toggle(`note-${color.id}`, color.id === note.color);
    note.node.classList.toggle("note-hidden", note.hidden && visible);
    note.node.classList.toggle("note-withheld", !visible);
    note.node.lang = note.lang;
    // Grouped, each group sees (and writes on) a board of its own; the room's comes back after.
    note.node.hidden = note.group !== ctx.boardGroup();
    if (visible) {
      p.text.textContent = tidyLines(note.text);
      p.text.removeAttribute("lang");
    } else {
      p.text.textContent = note.hidden ? t("hidden_notice") : "…";
      p.text.lang = pageLang;
    }
    p.author.textContent = author.name || "";
    p.school.textContent = ctx.schoolName(author.school);
    p.country.textContent = author.country || "";
    show(p.country, Boolean(author.country));
    show(p.hiddenBadge, note.hidden && visible);
    const mine = myVotes.has(note.id);
    p.vote.setAttribute("aria-pressed", String(mine));
    // Named "1 vote" by the visible count and a hidden word (WCAG 2.5.3: the name
    // begins with what is seen); aria-pressed tells whether it is the reader's vote.
    replaceChildren(p.vote, el("span", { "aria-hidden": "true" }, "▲"), " ",
      el("span", { class: "vote-count" }, String(note.votes)),
      el("span", { class: "visually-hidden" }, " ", t("votes_word", { num: note.votes })));
    if (p.hide) p.hide.textContent = note.hidden ? t("unhide") : t("hide");
    if (p.move.dataset.column !== note.column) {
      // Only when it really moved: a vote must not undo a column picked but not yet moved to.
      p.move.value = note.column;
      p.move.dataset.column = note.column;
    }
    setEnabled(note);
  }

  function setEnabled(note) {
    const p = note.parts;
    const withheld = note.hidden && !ctx.canModerate(); // the server refuses students here
    const write = ctx.canWrite() && !withheld;
    const own = canChange(note) && !withheld;
    p.vote.disabled = !write;
    show(p.edit, own && note.text !== null);
    show(p.remove, own);
    p.edit.disabled = !write;
    p.remove.disabled = !write;
    if (p.hide) p.hide.disabled = !ctx.isLive();
    if (p.flag) {
      p.flag.disabled = !ctx.isLive();
      show(p.flag, !note.hidden && !(ctx.you && note.author_id === ctx.you.id));
    }
    const movable = write && own;
    note.node.classList.toggle("note-movable", movable);
    show(p.grip, movable);
    show(p.move.parentElement, movable);
    p.move.disabled = !movable;
    p.moveButton.disabled = !movable;
    if (note.editor) note.editor.save.disabled = !write;
  }

  function removeNote(id) {
    const note = notes.get(id);
    if (!note) return;
    note.node.remove();
    notes.delete(id);
    myVotes.delete(id);
  }

  // --- applying events ------------------------------------------------------------------------

  ctx.folds.on("note.added", (event, live) => {
    const d = event.data;
    if (!notes.has(d.note.id)) upsert(d.note, { hidden: Boolean(d.note.hidden), group: d.group_id });
    // Someone else's note is told like someone else's message (one's own: "Note added.").
    if (live && event.actor && ctx.you && event.actor.id !== ctx.you.id && d.note.text
        && columns.has(d.note.column)) {
      ctx.announce(tParts("note_by", {
        name: event.actor.name, column: columns.get(d.note.column).title,
        text: { text: d.note.text, lang: d.note.lang || pageLang },
      }));
    }
  });

  ctx.folds.on("note.edited", (event) => {
    const d = event.data;
    const note = notes.get(d.note.id);
    if (note && d.note.version >= note.version) upsert(d.note);
    else if (!note) upsert(d.note, { hidden: Boolean(d.note.hidden), group: d.group_id });
  });

  ctx.folds.on("note.voted", (event) => {
    const d = event.data;
    const note = notes.get(d.note_id);
    if (ctx.you && event.actor && event.actor.id === ctx.you.id) {
      if (d.on) myVotes.add(d.note_id);
      else myVotes.delete(d.note_id);
    }
    if (note) {
      note.votes = d.votes;
      update(note);
    }
  });

  ctx.folds.on("note.removed", (event) => removeNote(event.data.note_id));

  function foldShown(event) {
    const note = notes.get(event.data.note_id);
    if (!note) return;
    note.hidden = event.type === "note.hidden";
    if (note.hidden && !ctx.canModerate()) {
      note.text = null;
      closeEditor(note);
    }
    // Shown again but we never had its text: join again, the board comes with it.
    if (!note.hidden && note.text === null) ctx.rejoin();
    update(note);
  }
  ctx.folds.on("note.hidden", foldShown);
  ctx.folds.on("note.unhidden", foldShown);

  /** The notes this reader has voted for, as the join ack says. */
  function setVotes(ids) {
    myVotes.clear();
    for (const id of ids) myVotes.add(id);
  }

  /** The board as stored (from a join ack): the newest word on every note. */
  function replaceAll(list) {
    const seen = new Set();
    for (const item of list) {
      seen.add(item.id);
      upsert(item, { hidden: Boolean(item.hidden), group: item.group_id });
    }
    for (const id of [...notes.keys()]) if (!seen.has(id)) removeNote(id);
  }

  function refresh() {
    const group = ctx.boardGroup();
    for (const note of notes.values()) {
      note.node.hidden = note.group !== group;
      setEnabled(note);
    }
    for (const column of columns.values()) {
      column.form.text.disabled = !ctx.canWrite();
      for (const radio of column.form.node.querySelectorAll("input")) radio.disabled = !ctx.canWrite();
      column.form.update();
      // Observers (reviewers) and closed rooms: no forms at all.
      show(column.form.node, Boolean(ctx.you && ctx.you.can_write) && ctx.status !== "closed" && !ctx.removed);
    }
    root.classList.toggle("board-locked", ctx.locked && !ctx.canModerate());
  }

  // --- actions -----------------------------------------------------------------------------------

  async function vote(note) {
    const ack = await ctx.request("note.vote", { note_id: note.id });
    if (!ack.ok) ctx.flash(ack.message);
  }

  async function remove(note) {
    const ack = await ctx.request("note.remove", { note_id: note.id });
    if (!ack.ok) ctx.flash(ack.message);
  }

  async function toggleHidden(note) {
    const ack = await ctx.request(note.hidden ? "mod.unhide" : "mod.hide", { target: "note", id: note.id });
    if (!ack.ok) ctx.flash(ack.message);
  }

  function moveBySelect(note) {
    if (note.parts.move.value !== note.column) moveNote(note, note.parts.move.value);
  }

  async function moveNote(note, column) {
    const ack = await ctx.request("note.edit", { note_id: note.id, version: note.version, column });
    if (ack.ok) {
      ctx.announce(t("note_moved", { column: columns.get(column).title }));
      return;
    }
    if (ack.error === "conflict" && ack.note) {
      upsert(ack.note);
      ctx.flash(`${ack.message} ${t("move_not_applied")}`);
    } else {
      ctx.flash(ack.message);
    }
    update(note);
  }

  // --- editing ------------------------------------------------------------------------------------

  function openEditor(note) {
    if (note.editor) {
      note.editor.text.focus();
      return;
    }
    const id = `note-edit-${note.id}`;
    const text = el("textarea", { id, rows: "3", class: "note-input", lang: note.lang });
    text.value = note.text || "";
    const message = el("p", { class: "form-error", role: "alert", hidden: true });
    const save = el("button", { type: "submit", class: "primary" }, t("save"));
    const cancel = el("button", { type: "button", on: { click: () => closeEditor(note) } }, t("cancel"));
    const form = el("form", { class: "note-editor" },
      el("label", { for: id, class: "visually-hidden" }, t("edit_note")), text, message,
      el("div", { class: "note-form-bar" }, save, cancel));
    // The version this edit starts from: a newer one on the server means a conflict.
    note.editor = { form, text, message, save, version: note.version };
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const body = text.value.trim();
      if (!body || charCount(body) > MAX_TEXT) {
        message.textContent = t("note_length");
        show(message, true);
        return;
      }
      save.disabled = true;
      const ack = await ctx.request("note.edit", { note_id: note.id, version: note.editor.version, text: body });
      save.disabled = false;
      if (ack.ok) {
        closeEditor(note);
        return;
      }
      if (ack.error === "conflict" && ack.note) {
        // Show their version on the note; keep ours in the box, ready to apply on top.
        upsert(ack.note);
        if (note.editor) note.editor.version = ack.note.version;
        message.textContent = `${ack.message} ${t("edit_not_applied")}`;
      } else {
        message.textContent = ack.message;
      }
      show(message, true);
    });
    form.addEventListener("keydown", (event) => {
      if (event.key === "Escape") closeEditor(note);
    });
    note.parts.editorBox.append(form);
    note.node.classList.add("note-editing");
    text.focus();
  }

  function closeEditor(note) {
    if (!note.editor) return;
    note.editor.form.remove();
    note.editor = null;
    note.node.classList.remove("note-editing");
  }

  // --- drag and drop between columns (pointer events; one note.edit on drop) --------------------

  function startDrag(event, note) {
    if (event.button !== 0 || !note.node.classList.contains("note-movable")) return;
    event.preventDefault(); // no text selection, no scrolling on touch
    note.parts.grip.setPointerCapture(event.pointerId);
    drag = { note, pointerId: event.pointerId, x: event.clientX, y: event.clientY, moving: false, target: null };
    const grip = note.parts.grip;
    const move = (e) => onDragMove(e);
    const end = (e) => {
      grip.removeEventListener("pointermove", move);
      grip.removeEventListener("pointerup", end);
      grip.removeEventListener("pointercancel", end);
      onDragEnd(e);
    };
    grip.addEventListener("pointermove", move);
    grip.addEventListener("pointerup", end);
    grip.addEventListener("pointercancel", end);
  }

  function onDragMove(event) {
    if (!drag || event.pointerId !== drag.pointerId) return;
    if (!drag.moving) {
      if (Math.hypot(event.clientX - drag.x, event.clientY - drag.y) < DRAG_THRESHOLD_PX) return;
      drag.moving = true;
      drag.note.node.classList.add("dragging");
      root.classList.add("board-dragging");
    }
    const under = document.elementFromPoint(event.clientX, event.clientY);
    const column = under ? under.closest(".board-column") : null;
    const target = column && root.contains(column) ? column.dataset.column : null;
    if (target !== drag.target) {
      for (const c of columns.values()) c.node.classList.toggle("drop-target", c.id === target);
      drag.target = target;
    }
  }

  function onDragEnd(event) {
    if (!drag) return;
    const { note, moving, target } = drag;
    drag = null;
    note.node.classList.remove("dragging");
    root.classList.remove("board-dragging");
    for (const c of columns.values()) c.node.classList.remove("drop-target");
    if (event.type === "pointerup" && moving && target && target !== note.column) moveNote(note, target);
  }

  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && drag) onDragEnd(new PointerEvent("pointercancel"));
  });

  /** A note's text and language (for the flag queue), or null. */
  function textOf(id) {
    const note = notes.get(id);
    return note && note.text !== null ? { text: note.text, lang: note.lang } : null;
  }

  return { setColumns, replaceAll, setVotes, refresh, textOf };
}
