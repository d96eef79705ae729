"""Public pages: signup, login, logout, password reset, accepting an invitation, language."""

from __future__ import annotations

import time
from typing import Any

from flask import (
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from saas import ratelimit
from saas.auth import bp
from saas.auth import service as auth_service
from saas.auth.forms import AcceptForm, ForgotForm, LoginForm, NewPasswordForm, SignupForm
from saas.errors import Conflict, ServiceError
from saas.extensions import limiter
from saas.forms import submit
from saas.tenancy import context as tenancy_context
from saas.tenancy import service as tenancy
from saas.users import service as users_service
from saas.utils import safe_next


def _ip_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _account_limit() -> str:
    return current_app.config["ACCOUNT_RATE_LIMIT"]


_account_key = ratelimit.account_key  # the normalised email: one counter per account
_login_breach = ratelimit.keep_form_on_breach("auth/login.html", lambda: LoginForm())


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
@limiter.limit(
    lambda: current_app.config["SIGNUP_RATE_LIMIT"],
    methods=["POST"],
    on_breach=ratelimit.keep_form_on_breach("auth/signup.html", lambda: SignupForm()),
)
def signup() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    form = SignupForm()

    def signed_up(user: Any) -> Any:
        begin_session(user)
        flash(_("Welcome to Baza! Your company is ready."), "success")
        return redirect(url_for("dashboard.index"), 303)

    if auth_service.signup_confirms_by_mail():
        # The same page, the same work, whatever the email: the worker looks it up and mails
        # either the link that creates the company or "you already have an account".
        return submit(
            form,
            lambda: auth_service.queue_signup(
                company=form.company.data,
                name=form.name.data,
                email=form.email.data,
                password=form.password.data,
                language=str(get_locale()),
                timezone=form.timezone.data or None,
                url_root=request.url_root,
            ),
            success=lambda _none: render_template("auth/signup_sent.html"),
            template="auth/signup.html",
        )
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


@bp.route("/signup/confirm/<token>", methods=["GET", "POST"])
@limiter.limit(_ip_limit, methods=["POST"])
def confirm_signup(token: str) -> Any:
    """The link a signup mailed: a button (opening a link creates nothing), then the company."""
    if current_user.is_authenticated:
        return redirect(url_for("dashboard.index"))
    try:
        pending = auth_service.load_signup(token)  # NotFound (forged, expired) → error page
        if request.method == "POST":
            user = auth_service.confirm_signup(token=token)
            begin_session(user)
            flash(_("Welcome to Baza! Your company is ready."), "success")
            return redirect(url_for("dashboard.index"), 303)
    except Conflict:
        return render_template("auth/signup_used.html"), 409
    with force_locale(session.get("lang") or pending.language):
        return render_template("auth/signup_confirm.html", pending=pending)


@bp.route("/login", methods=["GET", "POST"])
# Failures only, per IP and per account: colleagues behind one office address log in freely.
@limiter.limit(_ip_limit, methods=["POST"], deduct_when=ratelimit.failed, on_breach=_login_breach)
@limiter.limit(
    _account_limit,
    key_func=_account_key,
    methods=["POST"],
    deduct_when=ratelimit.failed,
    on_breach=_login_breach,
)
def login() -> Any:
    target = safe_next(request.values.get("next"), url_for("dashboard.index"))
    if current_user.is_authenticated:
        return redirect(target)
    form = LoginForm(next=request.args.get("next", ""))
    status = 422 if form.is_submitted() else 200
    if form.validate_on_submit():
        try:
            account = auth_service.check_credentials(
                email=form.email.data, password=form.password.data
            )
        except ServiceError as exc:
            form.form_errors.append(exc.message)
            status = exc.status
        else:
            ratelimit.clear_account_limits()  # earlier typos of this account are forgiven
            active = auth_service.memberships(account.id, active_only=True)
            if len(active) > 1:  # one person, several companies: which one now?
                start_company_choice(account)
                return redirect(url_for("auth.choose_company", next=target), 303)
            begin_session(auth_service.enter_membership(account, active[0].tenant_id))
            return redirect(target, 303)
    return render_template("auth/login.html", form=form), status


#: Session key of a login that passed the password and still has to pick a company.
_CHOICE = "login_choice"
_CHOICE_SECONDS = 600


def start_company_choice(account: Any) -> None:
    """Remember that ``account`` has just proved its password and picks a company next."""
    session[_CHOICE] = {
        "a": account.id,
        "f": account.password_fingerprint(),
        "t": int(time.time()),
    }


def _pending_choice() -> Any:
    """The account that just gave its password and has to pick a company, or None."""
    data = session.get(_CHOICE)
    if not isinstance(data, dict) or time.time() - data.get("t", 0) > _CHOICE_SECONDS:
        return None
    account = auth_service.account_by_id(int(data.get("a", 0)))
    if account is None or account.password_fingerprint() != data.get("f"):
        return None
    return account


@bp.route("/login/company", methods=["GET", "POST"])
def choose_company() -> Any:
    target = safe_next(request.values.get("next"), url_for("dashboard.index"))
    if current_user.is_authenticated:
        return redirect(target)
    account = _pending_choice()
    if account is None:  # no password given lately: back to the login page
        session.pop(_CHOICE, None)
        return current_app.login_manager.unauthorized()
    if request.method == "POST":
        try:
            user = auth_service.enter_membership(account, int(request.form.get("tenant", 0)))
        except (ServiceError, ValueError):
            abort(404)
        session.pop(_CHOICE, None)
        begin_session(user)
        return redirect(target, 303)
    companies = auth_service.memberships(account.id, active_only=True)
    return render_template("auth/choose.html", companies=companies, target=target)


@bp.post("/switch")
@login_required
def switch_company() -> Any:
    """Move this browser to another company of the same account (a new session there)."""
    try:
        tenant_id = int(request.form.get("tenant", 0))
    except ValueError:
        abort(404)
    account = current_user.account
    if tenant_id == current_user.tenant_id:
        return redirect(url_for("dashboard.index"), 303)
    active = auth_service.memberships(account.id, active_only=True)
    if not any(m.tenant_id == tenant_id for m in active):
        abort(404)  # not a member there (or deactivated): like any other unknown id
    auth_service.end_session(current_user._get_current_object())
    user = auth_service.enter_membership(account, tenant_id)
    begin_session(user)
    flash(_("You are now working in %(company)s.", company=user.tenant.name), "success")
    return redirect(url_for("dashboard.index"), 303)


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
    # The page speaks the language the inviter chose, unless the visitor picked another.
    language = session.get("lang") or invitation.language
    if current_user.is_authenticated:
        # Opening a link never logs anyone out (that would be a logout CSRF): the person
        # logged in here confirms first, with a POST that carries the CSRF token. The invited
        # account itself, logged in, joins with one click.
        same = current_user.email == invitation.email
        action = request.form.get("action") if request.method == "POST" else None
        if action == "logout":
            end_session()
            return redirect(request.path, 303)
        if action == "join" and same:
            account = current_user.account
            old = current_user._get_current_object()
            user = users_service.accept_invitation(
                invitation=invitation, name=old.name, password=None, account=account
            )
            tid = user.tenant_id
            with tenancy_context.tenant_context(old.tenant_id):
                auth_service.end_session(old)
            begin_session(auth_service.enter_membership(account, tid))
            flash(_("Welcome to %(company)s!", company=company), "success")
            return redirect(url_for("dashboard.index"), 303)
        with force_locale(current_user.language):
            return render_template(
                "auth/accept_signed_in.html", invitation=invitation, company=company, same=same
            )
    form = AcceptForm()

    def joined(user: Any) -> Any:
        begin_session(user)
        flash(_("Welcome to %(company)s!", company=user.tenant.name), "success")
        return redirect(url_for("dashboard.index"), 303)

    def page(status: int) -> Any:
        with force_locale(language or str(get_locale())):
            html = render_template(
                "auth/accept.html", form=form, invitation=invitation, company=company
            )
        return make_response(html, status)

    return submit(
        form,
        lambda: users_service.accept_invitation(
            invitation=invitation,
            name=form.name.data,
            password=form.password.data,
            language=session.get("lang"),
        ),
        success=joined,
        template=page,
    )


@bp.post("/language")
def set_language() -> Any:
    lang = request.form.get("lang", "")
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
    return redirect(safe_next(request.form.get("next"), url_for("auth.index")), 303)


@bp.app_context_processor
def _company_switcher() -> dict[str, Any]:
    def my_companies() -> list[Any]:
        """The logged-in account's active companies (the header offers a switch if > 1)."""
        if not current_user.is_authenticated:
            return []
        return auth_service.memberships(current_user.account_id, active_only=True)

    return {"my_companies": my_companies}
