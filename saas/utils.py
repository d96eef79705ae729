"""Small pure helpers shared by every package."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit


def utcnow() -> datetime:
    """Naive UTC now: the database stores UTC without a zone (same on SQLite and PostgreSQL)."""
    return datetime.now(UTC).replace(tzinfo=None)


def safe_next(target: str | None, default: str) -> str:
    """Return ``target`` if it is a path inside this app, else ``default`` (no open redirect)."""
    if not target:
        return default
    target = target.strip()
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target or any(ord(c) < 32 for c in target):
        return default
    return target
