"""``forum words``: the word lists that hold a student's message for the teachers (the
same actions as /admin/words)."""

from __future__ import annotations

import click

from ..errors import ActionError
from ..room import words
from .base import fail, forum_cli


@forum_cli.command("words")
@click.argument("lang", type=click.Choice(["zh-TW", "ja", "ko", "en"]))
@click.option("--add", "added", multiple=True, help="A word or phrase to add (repeatable).")
@click.option("--remove", "removed", multiple=True, help="A word to take off (repeatable).")
def word_list(lang: str, added: tuple[str, ...], removed: tuple[str, ...]) -> None:
    """Print (and change) one language's list of words that hold a student's message
    for the teachers (the same actions as /admin/words)."""
    try:
        if added:
            words.add_words(lang, "\n".join(added), None)
        for text in removed:
            found = words.find_word(lang, text)
            if found is None:
                fail(f"not on the {lang} list: {text}")
            words.remove_word(found.id)
    except ActionError as exc:
        fail(exc.message)
    for word in words.words_of(lang):
        click.echo(word.word)
