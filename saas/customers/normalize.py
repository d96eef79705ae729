"""Match keys: the form of a name that the duplicate check compares.

Full-width "ACME  Trading, Ltd." and "acme trading ltd" give the same key: two spellings a
person would call the same name give the same key, which is stored in an indexed column so the
check is one indexed lookup. Legal-form words and fuzzy scores come with the duplicate check.
"""

from __future__ import annotations

import unicodedata

#: Arabic letters that Persian writes with its own code points (and the reverse is never typed).
_LETTERS = str.maketrans(
    {
        "\u064a": "\u06cc",  # ي Arabic yeh → ی Persian yeh
        "\u0649": "\u06cc",  # ى alef maksura → ی
        "\u0643": "\u06a9",  # ك Arabic kaf → ک Persian keheh
        "\u0640": None,  # ـ tatweel (kashida), a stretch, not a letter
        "\u200c": None,  # zero-width non-joiner: spacing inside Persian words
        "\u200d": None,  # zero-width joiner
    }
)


def _ascii_digit(ch: str) -> str:
    """Any decimal digit (Persian, Arabic-Indic, full-width …) as its ASCII digit."""
    if ch.isdecimal() and not ch.isascii():
        return str(unicodedata.decimal(ch))
    return ch


def name_key(value: str | None) -> str:
    """NFKC, case-folded, Persian/Arabic letters unified, ASCII digits, letters and digits only.

    Punctuation, symbols, spaces and Arabic vowel marks are dropped; accents stay ("Café" and
    "Cafe" are different names).
    """
    text = unicodedata.normalize("NFKC", value or "").casefold().translate(_LETTERS)
    out = []
    for ch in text:
        ch = _ascii_digit(ch)
        category = unicodedata.category(ch)
        if category[0] in ("L", "N") or (category == "Mc"):
            out.append(ch)
        elif category == "Mn" and not _is_arabic_mark(ch):
            out.append(ch)  # a Latin/Cyrillic accent after a letter stays with it
    return "".join(out)


def _is_arabic_mark(ch: str) -> bool:
    """Arabic vowel marks (harakat, tanwin, shadda, sukun): optional in writing, so not compared."""
    return "\u064b" <= ch <= "\u065f" or ch == "\u0670"
