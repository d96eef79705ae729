"""File storage behind one interface; the default keeps files under tenants/<tenant id>/.

The next backend is S3-compatible storage; callers only ever hold keys.
"""

from __future__ import annotations

import re
from pathlib import Path

from flask import current_app

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

    def get(self, tenant_id: int, key: str) -> bytes | None:
        """The bytes stored under ``key``, or None."""
        path = self._path(tenant_id, key)
        return path.read_bytes() if path.is_file() else None

    def delete(self, tenant_id: int, key: str) -> None:
        """Remove ``key`` if present."""
        self._path(tenant_id, key).unlink(missing_ok=True)


def get_storage() -> LocalStorage:
    """The app's storage."""
    return LocalStorage(current_app.config["TENANTS_DIR"])
