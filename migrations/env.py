"""Alembic environment: migrations run as the database owner, never as the app's RLS-bound role."""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app
from sqlalchemy import create_engine, pool

config = context.config
if config.config_file_name is not None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

target_metadata = current_app.extensions["migrate"].db.metadata
#: The tables' owner (DATABASE_MIGRATION_URL or DATABASE_URL), not the app's own login.
url = current_app.config["DATABASE_MIGRATION_URL"]


def include_object(obj, name, type_, reflected, compare_to):
    """Autogenerate leaves SQLite's FTS5 search index alone (revision 0029: no model has it)."""
    from saas.customers.search import is_fts_table

    return not (type_ == "table" and reflected and compare_to is None and is_fts_table(name))


def run_migrations_offline():
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=url.startswith("sqlite"),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    # A plain engine as the owner: not db.engine, which logs in as the app role.
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            include_object=include_object,
        )
        with context.begin_transaction():
            context.run_migrations()
        if connection.dialect.name == "postgresql":
            _sync_app_login(connection)
    engine.dispose()


def _sync_app_login(connection):
    """After a SECRET_KEY change the derived app password changes: set it if login fails."""
    from sqlalchemy import exc
    from sqlalchemy.engine import make_url

    from saas.tenancy import rls

    app_url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    role = current_app.config.get("DATABASE_APP_ROLE") or "baza_app"
    if app_url.username != role or not app_url.password:
        return
    if not rls.can_login(connection, role):
        return  # not yet migrated to 0005_rls_wall (or downgraded below it)
    probe = create_engine(app_url, poolclass=pool.NullPool)
    try:
        with probe.connect():
            return
    except exc.OperationalError:
        logger.info("setting the password of %s (SECRET_KEY changed?)", role)
    finally:
        probe.dispose()
    rls.set_login(connection, role, app_url.password)
    connection.commit()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
