"""The platform's word lists: words and phrases, kept by admins per language, that
hold a student's message for the teachers (``room.held``).

Matching works on normalised text, the message's and the word's alike: NFKC (which
folds full-width Latin letters and digits to their ASCII forms and half-width
katakana to full-width), case-folded, katakana read as hiragana, format characters
(zero-width spaces and joiners) dropped, runs of white space made one space.

How a word is found depends on its script. Chinese, Japanese and Korean do not put
spaces between words (Korean puts its particles on the noun: 바보 in 바보야), so a
word in Han, kana or Hangul is found anywhere, as a substring. A word in a script
that spaces its words (Latin, Cyrillic …) is found only as a whole word: not next to
another letter or digit of such a script, so "ass" matches "ass!" and "你ass嗎" but
not "class" or "assignment" (the Scunthorpe problem). Nothing is ever rewritten: a
match only holds the message for a teacher to release or hide.

Every list applies to every message: students write to the partner class in its
language, and an English word may turn up in a Japanese message.
"""

from __future__ import annotations

import functools
import re
import threading
import unicodedata
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _

from ..errors import ActionError
from ..extensions import db
from ..models import HeldWord, User

# The languages a list is kept for (BCP 47 as the product writes them).
LANGUAGES = ("zh-TW", "ja", "ko", "en")
MAX_WORD = 100
MAX_WORDS_PER_LIST = 2000

# Scripts written without spaces between words: a word in them is found as a substring.
_UNSPACED = (
    "\u1100-\u11ff"  # Hangul Jamo
    "\u2e80-\u2fdf"  # CJK radicals
    "\u3000-\u303f"  # CJK punctuation
    "\u3040-\u30ff"  # hiragana, katakana
    "\u3100-\u31ff"  # bopomofo, katakana extensions
    "\u3130-\u318f"  # Hangul compatibility Jamo
    "\u3400-\u4dbf"  # CJK extension A
    "\u4e00-\u9fff"  # CJK unified ideographs
    "\uac00-\ud7af"  # Hangul syllables
    "\uf900-\ufaff"  # CJK compatibility ideographs
    "\uff66-\uff9f"  # half-width katakana (NFKC folds them; kept for safety)
)
# A letter or digit of a spaced script: what may not touch a spaced word.
_SPACED_LETTER = f"[^\\W_{_UNSPACED}]"
_UNSPACED_CHAR = re.compile(f"[{_UNSPACED}]")


def normalize(text: str) -> str:
    """Text as it is matched: NFKC, case-folded, no format characters, single spaces."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    # casefold may produce characters NFKC would fold again (e.g. ß -> ss is fine,
    # but some compatibility forms come back): normalise once more.
    folded = unicodedata.normalize("NFKC", folded)
    kept = "".join(ch for ch in folded if unicodedata.category(ch) != "Cf")
    # Katakana as hiragana: ばか, バカ and ﾊﾞｶ are one word.
    return " ".join(kept.translate(_KATAKANA_TO_HIRAGANA).split())


_KATAKANA_TO_HIRAGANA = {code: code - 0x60 for code in range(0x30A1, 0x30F7)}


def _pattern(normalized_word: str) -> str:
    """The regular expression that finds one normalised word in normalised text."""
    escaped = re.escape(normalized_word)
    if _UNSPACED_CHAR.search(normalized_word):
        # Any CJK in the word: a substring. Its Latin ends (e.g. "ばかbaka") still may
        # not run into a longer Latin word.
        before = "" if _UNSPACED_CHAR.match(normalized_word[0]) else f"(?<!{_SPACED_LETTER})"
        after = "" if _UNSPACED_CHAR.match(normalized_word[-1]) else f"(?!{_SPACED_LETTER})"
        return before + escaped + after
    return f"(?<!{_SPACED_LETTER}){escaped}(?!{_SPACED_LETTER})"


@dataclass(frozen=True)
class Matcher:
    """Every list's words, compiled into one expression."""

    regex: re.Pattern[str] | None

    def matches(self, text: str) -> bool:
        return self.regex is not None and self.regex.search(normalize(text)) is not None


@functools.lru_cache(maxsize=4)
def _compile(words: tuple[str, ...]) -> Matcher:
    if not words:
        return Matcher(None)
    # Longest first: alternatives are tried in order, and any match will do.
    ordered = sorted(set(words), key=lambda w: (-len(w), w))
    return Matcher(re.compile("|".join(_pattern(w) for w in ordered)))


def matcher_for(words: list[str]) -> Matcher:
    """A matcher of these (already normalised) words."""
    return _compile(tuple(sorted(words)))


# The matcher of the stored lists, read again when an admin changes them (in this
# process at once; in others within ``_TTL`` seconds).
_TTL = 30.0
_cache: dict[str, tuple[float, Matcher]] = {}
_cache_lock = threading.Lock()


def current() -> Matcher:
    """The matcher of every stored list."""
    import time

    now = time.monotonic()
    with _cache_lock:
        cached = _cache.get("all")
        if cached is not None and now - cached[0] < _TTL:
            return cached[1]
    words = list(db.session.scalars(sa.select(HeldWord.normalized)))
    matcher = matcher_for(words)
    with _cache_lock:
        _cache["all"] = (now, matcher)
    return matcher


def forget() -> None:
    """Read the lists again at the next message (they changed; tests)."""
    with _cache_lock:
        _cache.clear()


def holds(text: str) -> bool:
    """Does any list's word occur in this text?"""
    return current().matches(text)


# --- keeping the lists ---------------------------------------------------------------


def words_of(lang: str) -> list[HeldWord]:
    """One language's list, in the order of the words."""
    return list(
        db.session.scalars(
            sa.select(HeldWord).where(HeldWord.lang == lang).order_by(HeldWord.normalized)
        )
    )


def find_word(lang: str, text: str) -> HeldWord | None:
    """The word on a language's list that ``text`` is (compared normalised), or None."""
    key = normalize(text)
    return next((w for w in words_of(lang) if w.normalized == key), None)


def _language(lang: object) -> str:
    if lang not in LANGUAGES:
        raise ActionError("invalid", _("There is no word list for this language."))
    return str(lang)


def add_words(lang: object, text: object, by: User | None) -> list[HeldWord]:
    """Add the words of ``text`` (one a line) to a language's list; those already on
    it are skipped. Returns the words added."""
    lang = _language(lang)
    if not isinstance(text, str):
        raise ActionError("invalid", _("Write one word or phrase a line."))
    lines = [" ".join(line.split()) for line in text.splitlines()]
    lines = [line for line in lines if line]
    if not lines:
        raise ActionError("invalid", _("Write one word or phrase a line."))
    if any(len(line) > MAX_WORD for line in lines):
        raise ActionError(
            "too_large", _("A word or phrase may have at most %(n)s characters.", n=MAX_WORD)
        )
    have = {w.normalized for w in words_of(lang)}
    added: list[HeldWord] = []
    for line in lines:
        key = normalize(line)
        if not key or key in have:
            continue
        have.add(key)
        word = HeldWord(lang=lang, word=line, normalized=key, added_by_id=by.id if by else None)
        db.session.add(word)
        added.append(word)
    if len(have) > MAX_WORDS_PER_LIST:
        db.session.rollback()
        raise ActionError(
            "too_large", _("A list may have at most %(n)s words.", n=MAX_WORDS_PER_LIST)
        )
    db.session.commit()
    forget()
    return added


def remove_word(word_id: object) -> HeldWord:
    """Take one word off its list."""
    if not isinstance(word_id, int) or isinstance(word_id, bool):
        raise ActionError("invalid", _("There is no such word."))
    word = db.session.get(HeldWord, word_id)
    if word is None:
        raise ActionError("not_found", _("There is no such word."))
    db.session.delete(word)
    db.session.commit()
    forget()
    return word
