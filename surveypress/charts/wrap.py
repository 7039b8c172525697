"""Text measured and wrapped for a drawing: widths in em that err wide, lines of even length that never split a
number or a word, and Chinese punctuation kept off the wrong end of a line."""

from __future__ import annotations

import functools
import math
import re
import unicodedata


def _char_width(char: str) -> float:
    # Ambiguous-width marks (“ ” ·) take a full em in Chinese fonts; '%' is wide in bold.
    if unicodedata.east_asian_width(char) in ("W", "F", "A"):
        return 1.0
    return 0.9 if char in "%MW@" else 0.6


def text_width(text: str) -> float:
    """Width in em, erring wide: Chinese, full-width and ambiguous characters 1, most others 0.6."""
    return sum(_char_width(char) for char in text)


# Runs of letters, digits and number punctuation stay on one line ("88.9%", "APP", "18-29", "Microdonnées"): a word
# of any script written with spaces between words. Han, Kana and Hangul may break between any two characters.
_TOKEN = re.compile(
    r"(?:[A-Za-z0-9.%+\-=/()\[\]]|[^\W_\u1100-\u11ff\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef])+|.",
    re.DOTALL,
)
# Chinese typography keeps closing punctuation off the start of a line.
# (Written as escapes: engine source holds no CJK text. Full-width comma, full stop, enumeration comma, semicolon,
# colon, question and exclamation marks, closing brackets and quotes; then the opening ones.)
_NO_LINE_START = set("\uff0c\u3002\u3001\uff1b\uff1a\uff1f\uff01\uff09\u300b\u300d\u300f\u201d\u2019%")
# A no-break space (French sets one before a colon or a percent sign, and inside guillemets) neither starts nor ends
# a line.
_NO_BREAK = ("\u00a0", "\u202f")
_NO_LINE_START |= set(_NO_BREAK)
_NO_LINE_END = set("\uff08\u300a\u300c\u300e\u201c\u2018")


def wrap(text: str, width: float) -> list[str]:
    """Line breaking by display width into as few lines as fit, of even length (no one-character last line),
    never splitting a number or a word."""
    return list(_wrapped(text, width))


@functools.lru_cache(maxsize=4096)
def _wrapped(text: str, width: float) -> tuple[str, ...]:
    # Kept: the same source line and labels are wrapped again for every chart and layout, the longest texts wrapped.
    return tuple(_balanced(text, width))


def _balanced(text: str, width: float) -> list[str]:
    lines = _greedy(text, width)
    if len(lines) < 2:
        return lines
    # The narrowest width, in half-em steps, that still needs no more lines than the full width.
    narrow = math.ceil(text_width(text) / len(lines) * 2) / 2
    while narrow < width:
        balanced = _greedy(text, narrow)
        if len(balanced) <= len(lines):
            return balanced
        narrow += 0.5
    return lines


def _greedy(text: str, width: float) -> list[str]:
    lines: list[str] = []
    current = ""
    for token in _TOKEN.findall(text):
        breakable = token not in _NO_LINE_START and not current.endswith(_NO_BREAK)
        if current and text_width(current + token) > width and breakable:
            # An opening bracket or quote moves down with the word it opens.
            carry = current[-1] if current[-1] in _NO_LINE_END and len(current) > 1 else ""
            lines.append(current[: len(current) - len(carry)].rstrip())
            current = carry + token.lstrip()
        else:
            current += token
    if current.strip():
        lines.append(current.rstrip())
    return lines or [""]
