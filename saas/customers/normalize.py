# ruff: noqa: RUF001, RUF002, RUF003 - Cyrillic, Arabic and full-width letters are the point
"""Match keys: the form of a name that the duplicate check compares.

Full-width "ＡＣＭＥ  Trading, Ltd." and "acme trading" give the same key: two spellings a person
would call the same name give the same key, which is stored in an indexed column
(``customers.name_key``) so the exact check is one indexed lookup. The steps:

1. NFKC (full-width → half-width, ligatures, compatibility forms), case-folded;
2. Arabic letters as their Persian forms (ي/ى → ی, ك → ک, ة → ه), tatweel and ZWNJ dropped,
   every decimal digit (Persian, Arabic-Indic, full-width …) as ASCII, Arabic vowel marks
   dropped (accents of Latin/Cyrillic letters stay: "Café" is not "Cafe");
3. split into words on anything that is not a letter or digit; dots inside a word go
   ("sh.p.k." → "shpk", "L.L.C." → "llc");
4. legal-form words removed: unambiguous ones anywhere ("Ltd", "GmbH", "ООО", "شرکت",
   "sh.p.k." …), words that are also ordinary words ("AG", "SA", "Co", "ИП" …) only as the
   first or last word; Chinese/Japanese forms written without a space ("华信有限公司") as the
   end (or start) of the first/last word. A name that is nothing but legal forms keeps them;
5. the words joined without spaces.

``fuzzy_text`` is the same with the words kept apart, for rapidfuzz's token scores.
"""

from __future__ import annotations

import unicodedata

#: Arabic letters that Persian writes with its own code points (and the reverse is never typed).
_LETTERS = str.maketrans(
    {
        "\u064a": "\u06cc",  # ي Arabic yeh → ی Persian yeh
        "\u0649": "\u06cc",  # ى alef maksura → ی
        "\u0643": "\u06a9",  # ك Arabic kaf → ک Persian keheh
        "\u0629": "\u0647",  # ة teh marbuta → ه (Persian writes شركة as شرکه or شرکت)
        "\u06c0": "\u0647",  # ۀ heh with yeh above → ه
        "\u0640": None,  # ـ tatweel (kashida), a stretch, not a letter
        "\u200c": None,  # zero-width non-joiner: spacing inside Persian words
        "\u200d": None,  # zero-width joiner
    }
)


def _words(*forms: str) -> frozenset[str]:
    """Legal forms as they look after steps 1-3 (one word each, dots gone)."""
    return frozenset(_fold(f).replace(".", "").replace(" ", "") for f in forms)


#: Legal forms that are never an ordinary word: removed wherever they stand.
ANYWHERE = frozenset()  # filled below (needs _fold)
#: Legal forms that are also ordinary words or initials: removed only as the last word …
AT_END = frozenset()
#: … or as the first word ("ИП Иванов").
AT_START = frozenset()
#: Legal forms of several words ("sh. p. k.", "Co. Ltd", "سهامی خاص"), as word tuples.
PHRASES: tuple[tuple[str, ...], ...] = ()
#: Chinese/Japanese legal forms, written glued to the name: longest first.
GLUED_SUFFIXES: tuple[str, ...] = ()
GLUED_PREFIXES: tuple[str, ...] = ()


def _ascii_digit(ch: str) -> str:
    """Any decimal digit (Persian, Arabic-Indic, full-width …) as its ASCII digit."""
    if ch.isdecimal() and not ch.isascii():
        return str(unicodedata.decimal(ch))
    return ch


def _is_arabic_mark(ch: str) -> bool:
    """Arabic vowel marks (harakat, tanwin, shadda, sukun): optional in writing, so not compared."""
    return "\u064b" <= ch <= "\u065f" or ch == "\u0670"


def _fold(value: str) -> str:
    """Steps 1-2: NFKC, case-folded, Persian letters, ASCII digits; other characters kept."""
    text = unicodedata.normalize("NFKC", value or "").casefold().translate(_LETTERS)
    return "".join(_ascii_digit(ch) for ch in text)


def _split(value: str) -> list[str]:
    """Steps 1-3: the words of ``value`` (letters, digits and their marks), dots inside dropped."""
    words: list[str] = []
    current: list[str] = []
    for ch in _fold(value):
        category = unicodedata.category(ch)
        if category[0] in ("L", "N") or category == "Mc":
            current.append(ch)
        elif category == "Mn":
            if not _is_arabic_mark(ch):
                current.append(ch)  # a Latin/Cyrillic accent after a letter stays with it
        elif ch == "." or ch == "\u00b7":
            continue  # "sh.p.k.", "L.L.C.": initials with dots are one word
        elif current:
            words.append("".join(current))
            current = []
    if current:
        words.append("".join(current))
    return words


def _strip_phrases(words: list[str]) -> list[str]:
    """Remove multi-word legal forms wherever they stand (their words are not ordinary ones)."""
    out: list[str] = []
    i = 0
    while i < len(words):
        for phrase in PHRASES:
            if tuple(words[i : i + len(phrase)]) == phrase:
                i += len(phrase)
                break
        else:
            out.append(words[i])
            i += 1
    return out


def _cut_end(words: list[str], n: int) -> list[str]:
    """``words`` without their last ``n`` characters (across word boundaries)."""
    words = list(words)
    while n and words:
        last = words.pop()
        if len(last) > n:
            words.append(last[:-n])
            break
        n -= len(last)
    return words


def _strip_glued(words: list[str]) -> list[str]:
    """Chinese/Japanese legal forms at the end (or start) of the name, spaced or not:
    "华信有限公司", "华信 有限公司" and "华信（有限）公司" all end in 有限公司."""
    joined = "".join(words)
    for suffix in GLUED_SUFFIXES:
        if joined.endswith(suffix) and len(joined) > len(suffix):
            words, joined = _cut_end(words, len(suffix)), joined[: -len(suffix)]
            break
    for prefix in GLUED_PREFIXES:
        if joined.startswith(prefix) and len(joined) > len(prefix):
            reversed_words = _cut_end([w[::-1] for w in reversed(words)], len(prefix))
            words = [w[::-1] for w in reversed(reversed_words)]
            break
    return words


def _core_words(value: str | None) -> list[str]:
    """The words of a name without its legal forms (all of them if nothing else is left)."""
    words = _split(value or "")
    core = _strip_glued(_strip_phrases(words))
    if core and core[-1] in AT_END:  # "Acme Corp"; but "Day Spa Ltd" keeps its "Spa"
        core = core[:-1]
    if core and core[0] in AT_START:
        core = core[1:]
    core = [w for w in core if w not in ANYWHERE]
    return core or words


def name_key(value: str | None) -> str:
    """The exact-match key of a name (see the module's docstring): at most 200 characters."""
    return "".join(_core_words(value))[:200]


def fuzzy_text(value: str | None) -> str:
    """The words of ``name_key`` kept apart by spaces, for a fuzzy score."""
    return " ".join(_core_words(value))


ANYWHERE = _words(
    # English and international
    "ltd",
    "llc",
    "llp",
    "inc",
    "plc",
    "pte",
    "pty",
    "gmbh",
    "mbh",
    "kgaa",
    "ohg",
    "sarl",
    "srl",
    "oyj",
    "aps",
    "sro",
    "spzoo",
    "kft",
    "zrt",
    "doo",
    "d.o.o.",
    "ooo",
    "oao",
    "zao",
    "pao",
    "jsc",
    "cjsc",
    "ojsc",
    # Albanian
    "shpk",
    # Russian (Cyrillic)
    "ООО",
    "ОАО",
    "ЗАО",
    "ПАО",
    "НАО",
    "АО",
    "ТОО",
    "ОДО",
    "ЧП",
    "ЧУП",
    "УП",
    "ГУП",
    "МУП",
    # Persian and Arabic (after ة → ه): شرکت / شركة "company", مؤسسه "institution"
    "شرکت",
    "شرکه",
    "مؤسسه",
    "موسسه",
    "ذ.م.م",
    "ش.م.م",
    "ش.م.ل",
    "محدوده",
    "المحدوده",
)
AT_END = _words(
    # initials and words that are also ordinary words (dots are gone: "S.p.A." is "spa")
    "limited",
    "incorporated",
    "corp",
    "corporation",
    "co",
    "company",
    "ag",
    "sa",
    "se",
    "kg",
    "as",
    "a.s.",
    "nv",
    "bv",
    "lp",
    "ug",
    "ab",
    "oy",
    "spa",
    "sha",
)
AT_START = _words("ИП", "ПК")
PHRASES = tuple(
    tuple(_split(p))
    for p in (
        "sh. p. k.",
        "sh. a.",
        "co. ltd",
        "co. limited",
        "company limited",
        "corporation limited",
        "pty ltd",
        "pvt ltd",
        "private limited",
        "public limited company",
        "limited liability company",
        "gmbh & co. kg",
        "sp. z o.o.",
        "общество с ограниченной ответственностью",
        "акционерное общество",
        "публичное акционерное общество",
        "закрытое акционерное общество",
        "открытое акционерное общество",
        "индивидуальный предприниматель",
        "سهامی خاص",
        "سهامی عام",
        "با مسئولیت محدود",
        "مسئولیت محدود",
        "تضامنی",
        "ذ م م",
        "ش م م",
    )
)
GLUED_SUFFIXES = tuple(
    sorted(
        (
            _fold(s)
            for s in (
                "股份有限公司",
                "有限责任公司",
                "有限責任公司",
                "集团有限公司",
                "集團有限公司",
                "有限公司",
                "股份公司",
                "公司",
                "株式会社",
                "有限会社",
                "合同会社",
            )
        ),
        key=len,
        reverse=True,
    )
)
GLUED_PREFIXES = tuple(_fold(p) for p in ("株式会社", "有限会社", "合同会社"))
