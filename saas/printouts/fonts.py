"""Fonts for printouts: Vazirmatn (vendored, OFL) for Persian, Noto CJK (Debian) for Chinese.

WeasyPrint draws text with Pango, which finds fonts through fontconfig. Persian comes from the
Vazirmatn TTF files under ``static/vendor/fonts/vazirmatn/`` (declared with ``@font-face``, read
from disk: nothing is fetched at run time). Chinese needs a complete CJK font; Debian's
``fonts-noto-cjk`` is the one we name, found through fontconfig (``fc-list :lang=zh``).

Without a CJK font Chinese would print as empty boxes. That never happens in silence: start-up
logs a warning naming the package (``check_at_startup``), and a sheet whose text has Chinese
characters carries a visible note in its footer (``missing_cjk``).
"""

from __future__ import annotations

import functools
import logging
import re
import shutil
import subprocess
from pathlib import Path

from saas.config import ROOT

log = logging.getLogger(__name__)

#: The Debian package that provides the CJK font printouts use.
CJK_PACKAGE = "fonts-noto-cjk"
VAZIRMATN_DIR = ROOT / "static" / "vendor" / "fonts" / "vazirmatn"
_CJK_FAMILIES = '"Noto Sans CJK SC", "Noto Sans CJK TC", "Noto Sans CJK JP", "WenQuanYi Micro Hei"'
#: Families in the order Pango tries them: Persian and Latin from Vazirmatn, then Chinese.
FONT_STACK = f'"Vazirmatn", {_CJK_FAMILIES}, "DejaVu Sans", sans-serif'
#: For readers of other languages the CJK font comes first: it draws Latin too, so an English
#: or Chinese sheet is mostly one font and Pango looks for fallbacks less (~25% faster layout).
CJK_FIRST_STACK = f'{_CJK_FAMILIES}, "Vazirmatn", "DejaVu Sans", sans-serif'


def font_stack(language: str) -> str:
    """The ``font-family`` of a sheet in ``language``."""
    return FONT_STACK if language.split("_")[0] in ("fa", "ar") else CJK_FIRST_STACK


#: Han ideographs (basic, extensions A-F, compatibility), CJK punctuation, kana, Hangul,
#: full-width forms: characters Vazirmatn and DejaVu do not draw.
_CJK = re.compile(
    "[\u2e80-\u2fdf\u3000-\u30ff\u3100-\u312f\u3190-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
    "\uac00-\ud7af\uf900-\ufaff\uff00-\uffef\U00020000-\U0003134f]"
)


def has_cjk(text: str) -> bool:
    """Whether ``text`` has a character only a CJK font draws."""
    return bool(_CJK.search(text or ""))


@functools.cache
def cjk_font() -> str | None:
    """The file of a font fontconfig offers for Chinese, or None (checked once per process)."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return None
    try:
        out = subprocess.run(  # noqa: S603 - a fixed command, no user input
            [fc_list, ":lang=zh", "file"], capture_output=True, text=True, timeout=20, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    files = sorted(line.strip().rstrip(":") for line in out.splitlines() if line.strip())
    return files[0] if files else None


def cjk_available() -> bool:
    return cjk_font() is not None


def missing_cjk(*texts: str) -> bool:
    """True when some of ``texts`` is Chinese (or Japanese, Korean) and no font can draw it."""
    return any(has_cjk(t) for t in texts) and not cjk_available()


def font_face_css() -> str:
    """``@font-face`` rules for the vendored Vazirmatn weights (file URLs: read from disk)."""
    rules = []
    for weight, name in ((400, "Regular"), (700, "Bold")):
        path = VAZIRMATN_DIR / f"Vazirmatn-{name}.ttf"
        rules.append(
            "@font-face { font-family: 'Vazirmatn'; font-style: normal; "
            f"font-weight: {weight}; src: url('{path.as_uri()}') format('truetype'); }}"
        )
    return "\n".join(rules)


_checked = False


def check_at_startup() -> bool:
    """Log loudly, once per process, when printouts cannot draw Chinese; True if they can."""
    global _checked
    ok = cjk_available()
    if not _checked:
        _checked = True
        if not ok:
            log.warning(
                "No CJK font found (fc-list :lang=zh is empty): printed sheets cannot show "
                "Chinese characters and will say so in their footer. Install the Debian package "
                "%s (apt-get install %s).",
                CJK_PACKAGE,
                CJK_PACKAGE,
            )
        if not all((VAZIRMATN_DIR / f"Vazirmatn-{w}.ttf").is_file() for w in ("Regular", "Bold")):
            log.warning(
                "Vazirmatn fonts missing under %s: Persian printouts fall back", VAZIRMATN_DIR
            )
    return ok


def vendored_font_paths() -> list[Path]:
    return sorted(VAZIRMATN_DIR.glob("*.ttf"))
