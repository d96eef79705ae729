"""Public pages: signup, login, logout, password reset, accepting an invitation, language."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from saas.auth import bp
from saas.auth import service as auth_service
from saas.auth.forms import AcceptForm, ForgotForm, LoginForm, NewPasswordForm, SignupForm
from saas.errors import ServiceError
from saas.extensions import limiter
from saas.forms import submit
from saas.tenancy import service as tenancy
from saas.users import service as users_service
from saas.utils import safe_next


def _ip_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _account_limit() -> str:
    return current_app.config["ACCOUNT_RATE_LIMIT"]


def _account_key() -> str:
    return "account:" + (request.form.get("email") or "").strip().lower()


def begin_session(user: Any) -> None:
    """Log ``user`` in: a new server-side session, a fresh CSRF token, the login recorded."""
    session.pop("csrf_token", None)  # rotate: a token seen before login is worthless after
    auth_service.start_session(user)
    login_user(user)


def end_session() -> None:
    """Log the current user out here and on the server (a copied cookie opens nothing more)."""
    if current_user.is_authenticated:
        auth_service.end_session(current_user._get_current_object())
    logout_user()
    session.pop("csrf_token", None)


@bp.get("/")
def index() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    return render_template("auth/landing.html", plans=tenancy.list_plans())


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["SIGNUP_RATE_LIMIT"], methods=["POST"])
def signup() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    form = SignupForm()

    def signed_up(user: Any) -> Any:
        begin_session(user)
        flash(_("Welcome to Baza! Your company is ready."), "success")
        return redirect(url_for("dashboard.index"), 303)

    return submit(
        form,
        lambda: auth_service.signup(
            company=form.company.data,
            name=form.name.data,
            email=form.email.data,
            password=form.password.data,
            language=str(get_locale()),
            timezone=form.timezone.data or None,
        ),
        success=signed_up,
        template="auth/signup.html",
        fields={"email_taken": "email"},
    )


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_ip_limit, methods=["POST"])
@limiter.limit(_account_limit, key_func=_account_key, methods=["POST"])
def login() -> Any:
    target = safe_next(request.values.get("next"), url_for("dashboard.index"))
    if current_user.is_authenticated:
        return redirect(target)
    form = LoginForm(next=request.args.get("next", ""))
    status = 422 if form.is_submitted() else 200
    if form.validate_on_submit():
        try:
            user = auth_service.authenticate(email=form.email.data, password=form.password.data)
        except ServiceError as exc:
            form.form_errors.append(exc.message)
            status = exc.status
        else:
            begin_session(user)
            return redirect(target, 303)
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout() -> Any:
    end_session()
    session.pop("lang", None)
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"), 303)


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(_ip_limit, methods=["POST"])
@limiter.limit(_account_limit, key_func=_account_key, methods=["POST"])
def forgot_password() -> Any:
    form = ForgotForm()
    if form.validate_on_submit():
        auth_service.queue_password_reset(email=form.email.data, url_root=request.url_root)
        return render_template("auth/forgot_sent.html", email=form.email.data)
    status = 422 if form.is_submitted() else 200
    return render_template("auth/forgot.html", form=form), status


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit(_ip_limit, methods=["POST"])
def reset_password(token: str) -> Any:
    user = auth_service.reset_password(token=token)  # NotFound → friendly page
    form = NewPasswordForm()

    def changed(_user: Any) -> Any:
        end_session()
        flash(_("Your password has been changed. Log in with the new one."), "success")
        return redirect(url_for("auth.login"), 303)

    return submit(
        form,
        lambda: auth_service.reset_password(token=token, password=form.password.data),
        success=changed,
        template="auth/reset.html",
        context={"user": user},
    )


@bp.route("/invite/<token>", methods=["GET", "POST"])
@limiter.limit(_ip_limit, methods=["POST"])
def accept(token: str) -> Any:
    invitation = users_service.load_invitation(token)  # NotFound → friendly page
    company = tenancy.current_tenant().name
    if current_user.is_authenticated:
        # Opening a link never logs anyone out (that would be a logout CSRF): the person
        # logged in here confirms first, with a POST that carries the CSRF token.
        if request.method == "POST" and request.form.get("action") == "logout":
            end_session()
            return redirect(request.path, 303)
        return render_template("auth/accept_signed_in.html", invitation=invitation, company=company)
    form = AcceptForm()

    def joined(user: Any) -> Any:
        begin_session(user)
        flash(_("Welcome to %(company)s!", company=user.tenant.name), "success")
        return redirect(url_for("dashboard.index"), 303)

    return submit(
        form,
        lambda: users_service.accept_invitation(
            invitation=invitation,
            name=form.name.data,
            password=form.password.data,
            language=str(get_locale()),
        ),
        success=joined,
        template="auth/accept.html",
        context={"invitation": invitation, "company": company},
    )


@bp.post("/language")
def set_language() -> Any:
    lang = request.form.get("lang", "")
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
    return redirect(safe_next(request.form.get("next"), url_for("auth.index")), 303)
