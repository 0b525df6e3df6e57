"""Strings the room's JavaScript shows, translated with gettext like every other string.

The room page embeds ``room_strings()`` as a JSON data block; ``static/js/i18n.js``
reads it and fills ``%(name)s`` placeholders in the browser. A count that changes the
wording comes as two entries, ``KEY.one`` and ``KEY.other`` (ngettext for 1 and for 2),
and the browser picks one with ``Intl.PluralRules`` in the page's language: all of our
languages have at most those two forms.
"""

from __future__ import annotations

from collections.abc import Callable

from flask_babel import get_translations
from flask_babel import gettext as _

from .room.board import COLORS


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of a counted string for ``n``, its %(...)s placeholders left for the
    browser to fill (flask_babel's ngettext would fill %(num)s here)."""
    return get_translations().ungettext(singular, plural, n)


def _plural(key: str, forms: Callable[[int], str]) -> dict[str, str]:
    """Both forms of a counted string, as ngettext gives them for 1 and for 2."""
    return {f"{key}.one": forms(1), f"{key}.other": forms(2)}


def room_strings() -> dict[str, str]:
    """Every string of the live room's scripts, in the request's language."""
    return {
        # breakout groups and held messages
        "group_named": _("Group %(name)s"),
        "group_board": _("(group %(name)s)"),
        "room_board": _("The whole room"),
        "to_everyone": _("Everyone"),
        "to_my_group": _("My group (%(name)s)"),
        "groups_now": _("Groups now: %(list)s"),
        "your_group": _("You are in group %(name)s with %(names)s."),
        "no_group": _("The class is in groups; you are in none. Write to everyone."),
        "groups_formed": _("The teacher formed groups."),
        "groups_formed_you": _("The teacher formed groups. You are in group %(name)s."),
        "groups_ended": _("The groups are over: everyone is back together."),
        # forming groups by hand (groups.js)
        "hand_group_name": _("Name of group %(n)s"),
        "hand_no_group": _("No group"),
        **_plural("hand_group_size", lambda n: ngettext("%(num)s student", "%(num)s students", n)),
        "hand_nobody": _("No students are in the room now."),
        **_plural(
            "hand_proposed",
            lambda n: ngettext(
                "%(num)s group proposed, the schools mixed: change it, then form it.",
                "%(num)s groups proposed, the schools mixed: change them, then form them.",
                n,
            ),
        ),
        "held_badge": _("waiting for a teacher"),
        "held_notice": _("Your message is waiting for a teacher."),
        "held_arrived": _("A message is waiting for you to release or hide it."),
        "release": _("Release"),
        **_plural(
            "held_queue",
            lambda n: ngettext(
                "%(num)s message waiting for a teacher", "%(num)s messages waiting for a teacher", n
            ),
        ),
        "approval_notice": _("A teacher reads every message before the others see it."),
        "audience_notice": _(
            "You are in the audience: a teacher reads your question before the others see it."
        ),
        # connection
        "status_connecting": _("Connecting…"),
        "status_connected": _("Connected"),
        "status_reconnecting": _("Connection lost — reconnecting…"),
        "status_removed": _("Disconnected"),
        "status_unauthorized": _("Signed out"),
        "status_error": _("Could not enter the room."),
        "no_answer": _("No answer from the server. Check the connection and try again."),
        "removed_notice": _("A teacher has removed you from this session."),
        "signin_again": _("Please sign in again to enter the room."),
        # the session and the room
        "session_scheduled": _("Scheduled"),
        "session_live": _("Live now"),
        "session_closed": _("Closed"),
        "notice_scheduled": _("The room opens when your teacher opens it."),
        "notice_scheduled_teacher": _(
            "Students wait until you open the room: open it when your class is ready."
        ),
        "notice_closed": _("This session has ended."),
        "observer_notice": _("You are observing this session and cannot write."),
        "locked_notice": _("The teacher has locked the room for now."),
        "locked_teacher_notice": _("The room is locked: students cannot write."),
        "muted_notice": _("A teacher has muted you."),
        "unmuted_notice": _("A teacher has unmuted you: you can write again."),
        "muted_until_notice": _("A teacher has muted you until %(time)s."),
        **_plural(
            "slow_notice",
            lambda n: ngettext(
                "Slow mode: one message every %(num)s second.",
                "Slow mode: one message every %(num)s seconds.",
                n,
            ),
        ),
        **_plural(
            "send_again_in",
            lambda n: ngettext(
                "You can send again in %(num)s second.", "You can send again in %(num)s seconds.", n
            ),
        ),
        "close_confirm": _("Close the session for everyone? Its record is then sealed."),
        "lock_chat": _("Lock the chat"),
        "unlock_chat": _("Unlock the chat"),
        **_plural("seconds", lambda n: ngettext("%(num)s second", "%(num)s seconds", n)),
        # chat
        "teacher": _("Teacher"),
        "you": _("You"),
        "reply": _("Reply"),
        "replying_to": _("Replying to"),
        "reply_unknown": _("An earlier message"),
        "older_messages": _("Show earlier messages"),
        "loading_older": _("Loading earlier messages…"),
        "older_failed": _("Could not load earlier messages. Scroll up to try again."),
        "session_start": _("This is the start of the session."),
        "hide": _("Hide"),
        "unhide": _("Unhide"),
        "pin": _("Pin"),
        "unpin": _("Unpin"),
        "hidden_notice": _("Hidden by a teacher"),
        "hidden_badge": _("hidden"),
        "pinned_badge": _("pinned"),
        "pinned_prompt": _("Pinned by a teacher"),
        "pending": _("Sending…"),
        "sent": _("Sent"),
        "failed": _("Not sent"),
        "retry": _("Retry"),
        "show_more": _("Show more"),
        "show_less": _("Show less"),
        "add_reaction": _("Add a reaction"),
        "react_with": _("React with %(emoji)s"),
        # TRANSLATORS: read after a reaction's emoji and count, e.g. "👍 2 people reacted".
        **_plural("reacted", lambda n: ngettext("person reacted", "people reacted", n)),
        "new_message": _("%(name)s: %(text)s"),
        **_plural("typing", lambda n: ngettext("%(names)s is typing…", "%(names)s are typing…", n)),
        # who is here
        "online": _("online"),
        "away": _("away"),
        "nobody_here": _("Nobody has come in yet."),
        **_plural("online_count", lambda n: ngettext("%(num)s online", "%(num)s online", n)),
        "mute": _("Mute"),
        "unmute": _("Unmute"),
        "muted": _("muted"),
        "muted_until": _("muted until %(time)s"),
        "mute_for": _("How long to mute %(name)s"),
        "remove_confirm": _("Remove %(name)s from this session? They cannot come back in."),
        **_plural("minutes", lambda n: ngettext("%(num)s minute", "%(num)s minutes", n)),
        "until_unmuted": _("Until unmuted"),
        # board
        "no_notes": _("No notes yet."),
        "note_placeholder": _("Write a note… (Ctrl+Enter adds it)"),
        "new_note_in": _("New note in “%(column)s”"),
        "note_color": _("Colour"),
        "add_note": _("Add note"),
        "note_added": _("Note added."),
        "note_by": _("%(name)s added a note in “%(column)s”: %(text)s"),
        "note_length": _("A note has 1 to 500 characters."),
        "edit": _("Edit"),
        "edit_note": _("Edit the note"),
        "save": _("Save"),
        "cancel": _("Cancel"),
        "remove": _("Remove"),
        "move": _("Move"),
        "move_to": _("Move to…"),
        "note_moved": _("Note moved to “%(column)s”."),
        "drag_hint": _("Drag to another column"),
        "edit_not_applied": _(
            "Your edit was not applied. Your text is still in the box: save again to apply it."
        ),
        "move_not_applied": _("The note was not moved."),
        # TRANSLATORS: read after a note's vote count, e.g. "3 votes".
        **_plural("votes_word", lambda n: ngettext("vote", "votes", n)),
        # polls
        "poll_answer_n": _("Answer %(n)s"),
        "poll_needs": _("Write a question and at least two answers."),
        "poll_opened_by_you": _("Your poll is open."),
        "poll_new": _("New poll: %(question)s"),
        "poll_closed_notice": _("The poll is closed: %(question)s"),
        "poll_close": _("Close the poll"),
        "poll_closed": _("Closed"),
        "poll_choose_one": _("Choose one answer"),
        "poll_choose_several": _("Choose one or more answers"),
        **_plural(
            "poll_people",
            lambda n: ngettext("%(num)s person answered", "%(num)s people answered", n),
        ),
        **_plural("poll_count", lambda n: ngettext("%(num)s vote", "%(num)s votes", n)),
        "poll_your_answer": _("your answer"),
        "poll_answer": _("Answer"),
        "poll_change": _("Change my answer"),
        "poll_pick_first": _("Choose an answer first."),
        "poll_saved": _("Your answer is saved. You can change it until the poll closes."),
        # flags
        "flag": _("Flag"),
        "flag_message_prompt": _("Flag this message for the teachers?"),
        "flag_note_prompt": _("Flag this note for the teachers?"),
        "flag_received": _("Thank you. The teachers have your flag."),
        "flag_new": _("A new flag for the teachers."),
        "flag_hidden": _("Hidden. The flag is resolved."),
        "flag_dismissed": _("Flag dismissed."),
        "flag_dismiss": _("Dismiss"),
        "flag_a_note": _("Flagged note"),
        "flag_a_message": _("Flagged message"),
        "flag_not_loaded": _("(not loaded here)"),
        "flag_reason_is": _("Reason: %(reason)s"),
        "flag_by": _("Flagged by %(name)s (%(school)s)"),
    }


def color_names() -> list[dict[str, str]]:
    """The board's note colours with their names in the request's language."""
    names = {
        "yellow": _("Yellow"),
        "pink": _("Pink"),
        "blue": _("Blue"),
        "green": _("Green"),
        "orange": _("Orange"),
        "purple": _("Purple"),
    }
    return [{"id": color, "name": names.get(color, color)} for color in COLORS]
