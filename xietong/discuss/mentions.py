"""Reading @mentions out of a comment: pure functions, no database.

Chinese names have no spaces around them (``@张伟请看一下``), so a mention
cannot end at the next space. The rule: after each ``@`` (or the full-width
``＠``), the **longest known name** that the text continues with is the one
mentioned; known names are the people's display names and logins and the
collaboration's department names, compared without case. ``@张伟伟`` is 张伟伟
when both 张伟 and 张伟伟 exist, and 张伟 (followed by "伟") when only 张伟 does.
An ``@`` right after a letter or digit (``li@example.com``) starts no mention,
and text after ``@`` that no known name starts is left as it is.

The caller first asks ``candidates`` for every string that could be a name
(all beginnings of the text after each ``@``, up to ``NAME_LIMIT``
characters), looks those up in one query, and passes what exists to ``parse``.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

# The longest name a mention can carry (a person's or a department's); longer runs are not names.
NAME_LIMIT = 40
# The mentions read in one comment: a comment naming more people is a mailing list, not a question.
MENTION_LIMIT = 20

_AT = re.compile(r"(?<![A-Za-z0-9._%+\-])[@＠]")


@dataclass(frozen=True)
class Found:
    """A mention in the text: the name as written, and where it is (``text[start:end]`` is ``@name``)."""

    name: str
    start: int
    end: int


def _windows(text: str) -> list[tuple[int, str]]:
    """(position of the @, the text after it up to the line's end and ``NAME_LIMIT``), at most ``MENTION_LIMIT``."""
    found = []
    for match in _AT.finditer(text):
        after = text[match.end() : match.end() + NAME_LIMIT].split("\n", 1)[0]
        if after and not after[0].isspace():
            found.append((match.start(), after))
        if len(found) == MENTION_LIMIT:
            break
    return found


def fold(name: str) -> str:
    """How names are compared: without case (logins are case-insensitive) and outer spaces."""
    return name.strip().casefold()


def candidates(text: str) -> set[str]:
    """Every string a mention in ``text`` could name: each beginning of the text after each ``@``.

    At most ``MENTION_LIMIT`` × ``NAME_LIMIT`` strings: bounded whatever the text.
    """
    return {after[:n] for _, after in _windows(text) for n in range(1, len(after) + 1) if after[:n].strip()}


def parse(text: str, known: Collection[str]) -> list[Found]:
    """Return the mentions of ``text``: at each ``@``, the longest of ``known`` names that follows.

    ``known`` holds names as ``fold`` returns them. A name mentioned twice is
    returned at each place (the caller keeps one per person).
    """
    found = []
    for start, after in _windows(text):
        for n in range(len(after), 0, -1):
            if fold(after[:n]) in known and after[:n] == after[:n].rstrip():
                found.append(Found(after[:n], start, start + 1 + n))
                break
    return found


def excerpt(text: str, limit: int = 100) -> str:
    """``text`` on one line, cut to ``limit`` characters (an ellipsis included) for a notice."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
