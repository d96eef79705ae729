"""Database settings: the app logs in as its own role, migrations as the owner (issue 5, #7)."""

from sqlalchemy.engine import make_url

from saas.config import app_db_password, resolve_database

OWNER = "postgresql+psycopg://owner:ownerpw@db.example.com:5432/baza"


def test_only_database_url_is_needed_the_app_login_is_derived():
    app_url, migration_url = resolve_database(
        {"DATABASE_URL": OWNER, "SECRET_KEY": "k", "DATABASE_APP_ROLE": "baza_app"}
    )
    assert migration_url == OWNER
    url = make_url(app_url)
    assert (url.username, url.host, url.port, url.database) == (
        "baza_app",
        "db.example.com",
        5432,
        "baza",
    )
    assert url.password == app_db_password("k", "baza_app") != "ownerpw"
    assert app_db_password("another key", "baza_app") != url.password


def test_explicit_urls_win():
    app_url, migration_url = resolve_database(
        {
            "DATABASE_URL": OWNER,
            "DATABASE_APP_URL": "postgresql://app:pw@db/baza",
            "DATABASE_MIGRATION_URL": "postgresql://admin:pw@db/baza",
            "SECRET_KEY": "k",
        }
    )
    assert app_url == "postgresql+psycopg://app:pw@db/baza"
    assert migration_url == "postgresql+psycopg://admin:pw@db/baza"


def test_sqlite_has_one_url():
    assert resolve_database({"DATABASE_URL": "sqlite:///x.db", "SECRET_KEY": "k"}) == (
        "sqlite:///x.db",
        "sqlite:///x.db",
    )
