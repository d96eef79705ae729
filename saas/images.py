"""Opening uploaded images safely: size checked from the header before anything is decoded.

A few hundred kilobytes of PNG can declare 13000x13000 pixels and need gigabytes once decoded
(a decompression bomb). ``open_image`` reads only the header (Pillow's ``Image.open`` is lazy),
refuses images wider, taller or with more pixels than allowed with a 422, and only then decodes.
Logos use it today; attachments and imports are meant to call it with their own limits.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterable

from flask_babel import gettext as _
from PIL import Image, UnidentifiedImageError

from saas.errors import ValidationFailed
from saas.formatting import number

#: Pillow's own guard, tightened: beyond this many pixels it refuses to open anything at all.
Image.MAX_IMAGE_PIXELS = 50_000_000

DEFAULT_FORMATS = ("PNG", "JPEG", "GIF", "WEBP")


def open_image(
    data: bytes,
    *,
    max_side: int = 8000,
    max_pixels: int = 25_000_000,
    formats: Iterable[str] = DEFAULT_FORMATS,
    code: str = "image",
    not_an_image_message: str | None = None,
) -> Image.Image:
    """Decode ``data`` as an image of one of ``formats``, within the size limits.

    Raises ``ValidationFailed`` (422, ``code``) for anything that is not such an image or is
    larger than ``max_side`` pixels on a side or ``max_pixels`` in all, before decoding it.
    """
    formats = tuple(formats)
    not_an_image = ValidationFailed(
        not_an_image_message
        or _("The file must be an image (%(formats)s).", formats=", ".join(formats)),
        code=code,
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=formats)  # reads the header only
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_large(max_side, code) from None
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise not_an_image from exc
    width, height = image.size
    if width > max_side or height > max_side or width * height > max_pixels:
        raise _too_large(max_side, code)
    try:
        image.load()
    except (OSError, ValueError, SyntaxError) as exc:
        raise not_an_image from exc
    return image


def _too_large(max_side: int, code: str) -> ValidationFailed:
    return ValidationFailed(
        _(
            "The image is too large: at most %(side)s pixels wide and high.",
            side=number(max_side),
        ),
        code=code,
    )
