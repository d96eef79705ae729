"""The pure parts of attachments: a safe display name, the type from the bytes, the header.

Nothing the client says about a file is trusted: its name is only a display name (never a path
or a storage key), and its type is read from its bytes with libmagic (``python-magic``).

Policy for what the bytes say:

- a program (Windows PE, ELF, Mach-O, …) is refused, whatever its name says;
- a type on ``SAFE_TYPES`` (PDF, pictures, office documents, archives, plain text, …) is kept;
- anything else — HTML, SVG (may carry script), XML, JavaScript, unknown bytes — is stored as
  ``application/octet-stream``, so no browser ever renders it, even opened directly.

Downloads are always ``Content-Disposition: attachment`` with ``X-Content-Type-Options: nosniff``
and a ``sandbox`` CSP, whatever the type.
"""

from __future__ import annotations

import re
import unicodedata

import magic
from werkzeug.datastructures import Headers
from werkzeug.http import dump_options_header

OCTET_STREAM = "application/octet-stream"

#: Types a file keeps when its bytes say so; every other type is stored as octet-stream.
SAFE_TYPES = frozenset(
    {
        "application/pdf",
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "image/bmp",
        "image/tiff",
        "image/heic",
        "text/plain",
        "text/csv",
        "application/zip",
        "application/x-7z-compressed",
        "application/x-rar",
        "application/gzip",
        "application/msword",
        "application/vnd.ms-excel",
        "application/vnd.ms-powerpoint",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "application/vnd.oasis.opendocument.text",
        "application/vnd.oasis.opendocument.spreadsheet",
        "application/vnd.oasis.opendocument.presentation",
        "application/rtf",
        "text/rtf",
        "audio/mpeg",
        "audio/ogg",
        "audio/x-wav",
        "audio/mp4",
        "video/mp4",
        "video/quicktime",
        "video/webm",
        "message/rfc822",
    }
)

#: What libmagic calls programs: refused outright.
PROGRAM_TYPES = frozenset(
    {
        "application/x-dosexec",
        "application/vnd.microsoft.portable-executable",
        "application/x-msdownload",
        "application/x-executable",
        "application/x-pie-executable",
        "application/x-sharedlib",
        "application/x-mach-binary",
        "application/x-elf",
        "application/x-msi",
    }
)


def sniff(data: bytes) -> str:
    """libmagic's MIME type of ``data`` (``application/octet-stream`` when it cannot tell)."""
    try:
        found = magic.from_buffer(data, mime=True)
    except magic.MagicException:
        return OCTET_STREAM
    return (found or OCTET_STREAM).split(";", 1)[0].strip().lower()


def is_program(kind: str) -> bool:
    return kind in PROGRAM_TYPES


def stored_type(kind: str) -> str:
    """The type a file is stored and served with: ``kind`` if safe, else octet-stream."""
    return kind if kind in SAFE_TYPES else OCTET_STREAM


#: Bidirectional embeddings, overrides and isolates ("invoice\u202efdp.exe" reads "invoiceexe.pdf").
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
_SPACES = re.compile(r"\s+")
MAX_NAME = 200


def display_name(raw: str | None) -> str:
    """The name a file is shown and downloaded with: the last path segment of what the client
    sent (``../../etc/passwd`` → ``passwd``, ``C:\\x\\y`` → ``y``), NFC, without control,
    format-override or reserved characters, no leading dots, at most ``MAX_NAME`` characters
    (the extension kept); ``file`` when nothing is left."""
    name = unicodedata.normalize("NFC", raw or "")
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(
        " " if ch.isspace() else ch
        for ch in name
        if ch not in _BIDI and unicodedata.category(ch) not in ("Cc", "Cs", "Co", "Cn")
    )
    name = re.sub(r'[<>:"|?*]', "_", name)
    name = _SPACES.sub(" ", name).strip().lstrip(".").strip()
    if len(name) > MAX_NAME:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 16:
            name = stem[: MAX_NAME - len(ext) - 1].rstrip() + "." + ext
        else:
            name = name[:MAX_NAME].rstrip()
    return name or "file"


def content_disposition(name: str) -> str:
    """``attachment`` with ``name``: plain ``filename`` for ASCII names, else an ASCII fallback
    plus ``filename*=UTF-8''…`` (RFC 5987/6266), which every current browser prefers."""
    try:
        name.encode("ascii")
    except UnicodeEncodeError:
        from urllib.parse import quote

        simple = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
        simple = display_name(simple)
        if simple.startswith(".") or simple == "file" or "." not in simple.strip("."):
            ext = name.rpartition(".")[2] if "." in name else ""
            simple = "download" + (f".{ext}" if ext.isascii() and ext.isalnum() else "")
        quoted = quote(name, safe="!#$&+-.^_`|~")
        return dump_options_header(
            "attachment", {"filename": simple, "filename*": f"UTF-8''{quoted}"}
        )
    return dump_options_header("attachment", {"filename": name})


def download_headers(name: str) -> Headers:
    """Headers of every download: attachment, nosniff, a sandbox CSP, private caching."""
    return Headers(
        {
            "Content-Disposition": content_disposition(name),
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Cache-Control": "private, no-store",
        }
    )
