"""File storage behind one interface; the default keeps files under tenants/<tenant id>/.

The next backend is S3-compatible storage; callers only ever hold keys.

Files follow the database transaction they belong to: a service writes with ``put_new`` (a key
that did not exist; the file is removed again if the transaction rolls back or is abandoned)
and deletes with ``delete_after_commit`` (the file goes only once the rows that stopped
pointing at it are committed). Neither a rolled-back change nor a committed one leaves an
orphan file or a row pointing at a missing one.
"""

from __future__ import annotations

import logging
import re
import secrets
from pathlib import Path

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from saas.extensions import db

log = logging.getLogger(__name__)

_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,100}(/[A-Za-z0-9][A-Za-z0-9._-]{0,100})*$")


class LocalStorage:
    """Files on local disk, one folder per tenant."""

    def __init__(self, root: str) -> None:
        self.root = Path(root)

    def _path(self, tenant_id: int, key: str) -> Path:
        if not _KEY.match(key) or ".." in key:
            raise ValueError(f"bad storage key {key!r}")
        return self.root / str(int(tenant_id)) / key

    def put(self, tenant_id: int, key: str, data: bytes) -> str:
        """Store ``data`` under ``key`` for ``tenant_id``; return the key."""
        path = self._path(tenant_id, key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
        return key

    def put_file(self, tenant_id: int, key: str, source: Path) -> str:
        """Move the file at ``source`` under ``key`` (no copy in memory: large exports)."""
        import shutil

        path = self._path(tenant_id, key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        shutil.move(str(source), tmp)
        tmp.replace(path)
        return key

    def local_path(self, tenant_id: int, key: str) -> Path:
        """Where ``key`` lives on disk (to stream a large file without reading it whole)."""
        return self._path(tenant_id, key)

    def get(self, tenant_id: int, key: str) -> bytes | None:
        """The bytes stored under ``key``, or None."""
        path = self._path(tenant_id, key)
        return path.read_bytes() if path.is_file() else None

    def delete(self, tenant_id: int, key: str) -> None:
        """Remove ``key`` if present."""
        self._path(tenant_id, key).unlink(missing_ok=True)

    def exists(self, tenant_id: int, key: str) -> bool:
        """Whether ``key`` is stored."""
        return self._path(tenant_id, key).is_file()


def get_storage() -> LocalStorage:
    """The app's storage."""
    return LocalStorage(current_app.config["TENANTS_DIR"])


def unique_key(prefix: str, suffix: str) -> str:
    """A fresh key ``<prefix>-<random>.<suffix>`` (files are never overwritten in place)."""
    return f"{prefix}-{secrets.token_hex(8)}.{suffix}"


def put_new(tenant_id: int, key: str, data: bytes) -> str:
    """Store ``data`` under a new ``key`` now; remove it again unless the transaction commits."""
    storage = get_storage()
    if storage.exists(tenant_id, key):
        raise FileExistsError(f"storage key {key!r} exists: use a new key")
    session = db.session()
    if not session.in_transaction():
        session.begin()  # the file is tied to this transaction's outcome
    storage.put(tenant_id, key, data)
    _pending(session).setdefault("written", []).append((storage, tenant_id, key))
    return key


def put_new_file(tenant_id: int, key: str, source: Path) -> str:
    """``put_new`` for a file on disk: moved under the new ``key`` now, removed again unless
    the transaction commits."""
    storage = get_storage()
    if storage.exists(tenant_id, key):
        raise FileExistsError(f"storage key {key!r} exists: use a new key")
    session = db.session()
    if not session.in_transaction():
        session.begin()
    storage.put_file(tenant_id, key, source)
    _pending(session).setdefault("written", []).append((storage, tenant_id, key))
    return key


def delete_after_commit(tenant_id: int, key: str) -> None:
    """Delete ``key`` once the current transaction commits (kept if it rolls back)."""
    _pending(db.session()).setdefault("deleted", []).append((get_storage(), tenant_id, key))


def _pending(session: Session) -> dict:
    return session.info.setdefault("storage_pending", {})


@event.listens_for(Session, "after_commit")
def _release_files(session: Session) -> None:
    pending = session.info.pop("storage_pending", None) or {}
    for storage, tenant_id, key in pending.get("deleted", ()):
        try:
            storage.delete(tenant_id, key)
        except OSError:  # the commit stands; a leftover file is only wasted space
            log.exception("could not delete %s of tenant %s after commit", key, tenant_id)


@event.listens_for(Session, "after_transaction_end")
def _discard_files(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is not None:
        return
    # still pending here: the transaction rolled back or was closed without a commit
    pending = session.info.pop("storage_pending", None) or {}
    for storage, tenant_id, key in pending.get("written", ()):
        storage.delete(tenant_id, key)
