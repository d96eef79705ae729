"""Request plumbing shared by every page: locale, session, commit at the edge, errors, headers."""

from __future__ import annotations

import functools
import logging
import os
import re
from typing import Any

from babel import Locale
from flask import (
    Flask,
    Response,
    current_app,
    g,
    has_request_context,
    jsonify,
    make_response,
    render_template,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSessionInterface
from flask_babel import get_locale, get_translations
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import AnonymousUserMixin, current_user
from flask_wtf.csrf import CSRFError
from markupsafe import Markup, escape
from werkzeug.exceptions import HTTPException

from saas import formatting, ratelimit
from saas.errors import ServiceError
from saas.extensions import db, limiter, login_manager

log = logging.getLogger(__name__)

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'self'; object-src 'none'"
)


def is_api_request() -> bool:
    return request.path.startswith("/api/")


class AppSessionInterface(SecureCookieSessionInterface):
    """Signed-cookie sessions, never on the API (bearer tokens only: no cookie, no CSRF hole).

    The cookie is Secure whenever the request came over https.
    """

    def open_session(self, app: Flask, request: Any) -> Any:
        if request.path.startswith("/api/"):
            return self.null_session_class()
        return super().open_session(app, request)

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config.get("SESSION_COOKIE_SECURE")) or request.is_secure


class Anonymous(AnonymousUserMixin):
    def can(self, permission: str) -> bool:
        return False


def select_locale() -> str:
    """The user's language; before login the switcher's choice, else Accept-Language."""
    from flask import current_app

    if not has_request_context():  # CLI commands and jobs: the default (mail forces its own)
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    languages = current_app.config["LANGUAGES"]
    user = current_user
    if user is not None and user.is_authenticated and user.language in languages:
        return user.language
    if session.get("lang") in languages:
        return session["lang"]
    return request.accept_languages.best_match(list(languages)) or "en"


def select_timezone() -> str:
    """The user's time zone, else the company's, else UTC."""
    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user.timezone or current_user.tenant.timezone or "UTC"
    return "UTC"


def translations() -> Any:
    """The request's catalogue, looked up once per locale and request.

    flask_babel's own lookup walks ``g``, the domain and the locale again for every string (about
    ten calls each); a list page translates hundreds. The cache lives in flask_babel's own
    per-request namespace and is keyed by its current locale object, so ``force_locale`` (mail in
    the recipient's language) and ``refresh`` (a user who just changed language) still switch."""
    ctx = g.get("_flask_babel")
    if ctx is not None:
        found = ctx.__dict__.get("baza_translations")
        if found is not None and found[0] is ctx.__dict__.get("babel_locale", False):
            return found[1]
    catalogue = get_translations()
    ctx = g.get("_flask_babel")
    if ctx is not None:
        ctx.baza_translations = (ctx.__dict__.get("babel_locale", False), catalogue)
    return catalogue


#: An id no row has, replaced in a URL built once per page (``id_url``).
_ID_PLACEHOLDER = 2_147_483_647


def id_url(endpoint: str, key: str) -> Any:
    """``url_for(endpoint, key=id)`` as a function of the id, the rule built once: a list of
    50-200 rows links each row without routing each link again."""
    head, _sep, tail = url_for(endpoint, **{key: _ID_PLACEHOLDER}).partition(str(_ID_PLACEHOLDER))
    return lambda id_: f"{head}{int(id_)}{tail}"


def text_direction() -> str:
    return Locale.parse(str(get_locale())).text_direction


_URL = re.compile(r"https?://[^\s<>\"']+")


def linkify(text: str) -> Markup:
    """Escape ``text`` and turn its http(s) URLs into links."""
    out, last = [], 0
    for match in _URL.finditer(text or ""):
        out.append(escape(text[last : match.start()]))
        url = escape(match.group(0))
        out.append(Markup('<a href="{0}" rel="noopener noreferrer">{0}</a>').format(url))
        last = match.end()
    out.append(escape((text or "")[last:]))
    return Markup("").join(out)


@functools.cache
def _file_version(folder: str | None, filename: str) -> str:
    path = os.path.join(folder or "", filename)
    try:
        return format(int(os.stat(path).st_mtime), "x")
    except OSError:
        return "0"


#: A static URL whose ``v`` matches the file never changes: cache it for a year, never revalidate.
IMMUTABLE = "public, max-age=31536000, immutable"


def _static_cache_control() -> str:
    filename = (request.view_args or {}).get("filename")
    version = request.args.get("v")
    if filename and version and version == _file_version(current_app.static_folder, filename):
        return IMMUTABLE
    return "no-cache"  # unversioned or stale URL: revalidate (ETag / Last-Modified)


def wants_json() -> bool:
    return is_api_request()


def error_response(
    status: int, code: str, message: str, details: dict[str, Any] | None = None
) -> Response | tuple[str, int]:
    """JSON ``{"error": {code, message, **details}}`` on the API, a friendly page elsewhere."""
    if wants_json():
        resp = jsonify({"error": {"code": code, "message": message, **(details or {})}})
        resp.status_code = status
        return resp
    if request.headers.get("HX-Request"):
        resp = make_response(render_template("errors/_error.html", status=status, message=message))
        resp.status_code = status
        resp.headers["HX-Retarget"] = "#flash"
        resp.headers["HX-Reswap"] = "innerHTML"
        return resp
    return render_template("errors/error.html", status=status, message=message), status


_HTTP_MESSAGES = {
    400: ("bad_request", _l("The request could not be understood.")),
    401: ("unauthorized", _l("Log in to continue.")),
    403: ("forbidden", _l("You do not have permission to do this.")),
    404: ("not_found", _l("This page does not exist, or you have no access to it.")),
    405: ("method_not_allowed", _l("This method is not allowed here.")),
    413: ("too_large", _l("The upload is too large.")),
    429: ("rate_limited", _l("Too many attempts. Wait a minute and try again.")),
}


def _http_message(status: int) -> tuple[str, str]:
    code, msg = _HTTP_MESSAGES.get(status, ("error", _l("Something went wrong.")))
    return code, str(msg)


def init_app(app: Flask) -> None:
    """Register hooks, error handlers, template helpers and the login loaders."""
    app.session_interface = AppSessionInterface()
    app.jinja_env.install_gettext_callables(  # flask_babel's, with the catalogue cached
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
    login_manager.anonymous_user = Anonymous
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "basic"

    if app.config.get("TRUST_PROXY"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]

    @login_manager.user_loader
    def _load_user(user_id: str) -> Any:
        from saas.auth.service import load_session_user

        return load_session_user(user_id)

    @login_manager.request_loader
    def _load_from_header(req: Any) -> Any:
        header = req.headers.get("Authorization", "")
        if not (req.path.startswith("/api/") and header.startswith("Bearer ")):
            return None
        from saas.auth.tokens import user_for_token

        return user_for_token(header[len("Bearer ") :].strip())

    @login_manager.unauthorized_handler
    def _unauthorized() -> Any:
        from flask import redirect, url_for

        if is_api_request():
            return error_response(401, "unauthorized", _("A valid bearer token is required."))
        if request.headers.get("HX-Request"):
            resp = Response(status=401)
            resp.headers["HX-Redirect"] = url_for("auth.login", next=request.full_path.rstrip("?"))
            return resp
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))

    @app.before_request
    def _resolve_user() -> None:
        # Loading the user enters their tenant; do it before any view queries a tenant table.
        if request.endpoint == "static":
            return  # files need no user (and no database round trip)
        g.actor_id = current_user.id if current_user.is_authenticated else None

    @app.after_request
    def _commit_and_headers(response: Response) -> Response:
        if response.status_code < 400:
            db.session.commit()
        else:
            db.session.rollback()
        h = response.headers
        h.setdefault("Content-Security-Policy", CSP)
        h.setdefault("X-Content-Type-Options", "nosniff")
        h.setdefault("X-Frame-Options", "DENY")
        h.setdefault("Referrer-Policy", "same-origin")
        h.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if request.is_secure:
            h.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if request.endpoint == "static":
            h["Cache-Control"] = _static_cache_control()
        if not is_api_request() and response.mimetype == "text/html":
            h.add("Vary", "HX-Request")
            h.setdefault("Cache-Control", "no-store")
        return response

    @app.errorhandler(ServiceError)
    def _service_error(exc: ServiceError) -> Any:
        return error_response(exc.status, exc.code, exc.message, exc.details())

    @app.errorhandler(CSRFError)
    def _csrf_error(exc: CSRFError) -> Any:
        return error_response(
            400,
            "csrf",
            _("Your session expired or the form was stale. Reload the page and try again."),
        )

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Any:
        if exc.code is None or exc.code < 400:
            return exc
        if exc.response is not None:  # a page made for this refusal (a rate-limited form)
            return exc.response
        code, message = _http_message(exc.code)
        if exc.code == 429 and limiter.current_limit is not None:
            message = ratelimit.wait_message(ratelimit.wait_seconds(limiter.current_limit))
        resp = error_response(exc.code, code, message)
        if exc.code == 405 and isinstance(resp, Response) and exc.valid_methods:
            resp.headers["Allow"] = ", ".join(exc.valid_methods)
        return resp

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Any:
        log.exception("unhandled error")
        db.session.rollback()
        return error_response(
            500, "server_error", _("Something went wrong on our side. Try again.")
        )

    @app.context_processor
    def _template_globals() -> dict[str, Any]:
        return {
            "languages": app.config["LANGUAGES"],
            "current_locale": str(get_locale()),
            "text_direction": text_direction(),
        }

    app.add_template_global(id_url)

    @app.url_defaults
    def _static_version(endpoint: str, values: dict[str, Any]) -> None:
        # Every static URL carries its file's version, so browsers may cache it for a year.
        if endpoint == "static" and "filename" in values:
            values.setdefault("v", _file_version(app.static_folder, values["filename"]))

    formatting.init_app(app)
    app.jinja_env.filters["linkify"] = linkify

    @app.get("/healthz")
    def healthz() -> Any:
        from sqlalchemy import text

        from saas.redis_conn import get_redis

        body = {"status": "ok", "db": "ok", "redis": "ok"}
        try:
            db.session.execute(text("SELECT 1"))
        except Exception as exc:
            body["db"] = f"error: {type(exc).__name__}"
        try:
            get_redis().ping()
        except Exception as exc:
            body["redis"] = f"error: {type(exc).__name__}"
        ok = body["db"] == "ok" and body["redis"] == "ok"
        if not ok:
            body["status"] = "error"
        return jsonify(body), 200 if ok else 503
