"""Baza: the application factory."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask

from saas import config as config_module


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app: settings from the environment, then ``test_config`` on top."""
    app = Flask(
        __name__,
        template_folder=str(config_module.ROOT / "templates"),
        static_folder=str(config_module.ROOT / "static"),
        instance_path=str(config_module.INSTANCE),
    )
    app.config.from_mapping(config_module.from_env())
    if test_config:
        app.config.update(test_config)
    app_url, migration_url = config_module.resolve_database(app.config)
    app.config["SQLALCHEMY_DATABASE_URI"] = app_url
    from saas.database import engine_options

    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(
        app.config["SQLALCHEMY_ENGINE_OPTIONS"], app_url
    )
    app.config["DATABASE_MIGRATION_URL"] = migration_url
    os.makedirs(app.instance_path, exist_ok=True)

    from saas import redis_conn

    redis_conn.init_app(app)

    from saas import navigation, web
    from saas.extensions import (
        babel,
        compress,
        csrf,
        db,
        htmx,
        limiter,
        login_manager,
        migrate,
    )

    app.config.setdefault(
        "RATELIMIT_STORAGE_URI", redis_conn.limiter_storage_uri(app.config["REDIS_URL"])
    )
    # Redis down: limits continue in this process's memory; logins never need Redis.
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    app.config.setdefault(
        "RATELIMIT_STORAGE_OPTIONS", {"socket_connect_timeout": 2, "socket_timeout": 2}
    )
    db.init_app(app)
    migrate.init_app(app, db, directory=str(config_module.ROOT / "migrations"))
    csrf.init_app(app)
    htmx.init_app(app)
    compress.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=web.select_locale, timezone_selector=web.select_timezone)
    login_manager.init_app(app)

    # Models and the hooks that keep them honest.
    import saas.models
    from saas import database

    with app.app_context():
        database.install(app, db.engine)

    web.init_app(app)
    navigation.init_app(app)

    from saas import access_log

    access_log.install_werkzeug_filter()  # no reset/invitation token in `flask run`'s log

    # Views register their routes on the blueprints when imported.
    import saas.attachments.api
    import saas.attachments.views
    import saas.audit.views
    import saas.auth.api
    import saas.auth.views
    import saas.billing.views
    import saas.contacts.api
    import saas.contacts.views
    import saas.customers.api
    import saas.customers.attributes_api
    import saas.customers.duplicates_api
    import saas.customers.duplicates_views
    import saas.customers.fields_views
    import saas.customers.grid_views
    import saas.customers.manage
    import saas.customers.notes_api
    import saas.customers.notes_views
    import saas.customers.pool_api
    import saas.customers.pool_views
    import saas.customers.segments_api
    import saas.customers.segments_views
    import saas.customers.settings_views
    import saas.customers.values_api
    import saas.customers.views
    import saas.dashboard.views
    import saas.mail.views
    import saas.progress.api
    import saas.progress.views
    import saas.settings.views
    import saas.users.views  # noqa: F401
    from saas.api import bp as api_bp
    from saas.audit import bp as audit_bp
    from saas.auth import bp as auth_bp
    from saas.billing import bp as billing_bp
    from saas.contacts import bp as contacts_bp
    from saas.customers import bp as customers_bp
    from saas.dashboard import bp as dashboard_bp
    from saas.mail import bp as mail_bp
    from saas.progress import bp as jobs_bp
    from saas.settings import bp as settings_bp
    from saas.users import bp as users_bp

    for bp in (
        auth_bp,
        dashboard_bp,
        customers_bp,
        contacts_bp,
        users_bp,
        billing_bp,
        settings_bp,
        audit_bp,
        mail_bp,
        jobs_bp,
    ):
        app.register_blueprint(bp)
    from saas import printouts

    printouts.init_app(app)  # before the API blueprint: its API routes register on import
    from saas import backups

    backups.init_app(app)  # before the API blueprint too
    from saas import imports

    imports.init_app(app)  # likewise
    from saas import exports

    exports.init_app(app)
    app.register_blueprint(api_bp)
    csrf.exempt(api_bp)

    from saas import cli

    cli.init_app(app)
    return app
