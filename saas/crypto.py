"""Encrypt the few secrets Baza must store readable (a tenant's SMTP password).

Fernet (AES + HMAC) with a key derived from SECRET_KEY: the database alone does not reveal
them. Changing SECRET_KEY makes them unreadable; ``decrypt`` then returns None and the
setting has to be entered again.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app


def _fernet(purpose: str) -> Fernet:
    digest = hashlib.sha256(f"baza:{purpose}:{current_app.config['SECRET_KEY']}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt(plain: str, *, purpose: str) -> str:
    """``plain`` encrypted for ``purpose`` (a label that keeps keys of different uses apart)."""
    return _fernet(purpose).encrypt(plain.encode()).decode()


def decrypt(token: str | None, *, purpose: str) -> str | None:
    """The plain text of ``token``, or None if there is none or it no longer opens."""
    if not token:
        return None
    try:
        return _fernet(purpose).decrypt(token.encode()).decode()
    except InvalidToken:
        return None
