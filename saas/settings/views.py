"""Company settings, the user's profile and password, API tokens."""

from __future__ import annotations

from typing import Any

from flask import (
    Response,
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
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user

from saas import crypto, htmx, locales, ratelimit
from saas.access import permission_required
from saas.auth import service as auth_service
from saas.auth import tokens as api_tokens
from saas.customers import duplicates
from saas.errors import ValidationFailed
from saas.extensions import limiter
from saas.forms import options, submit, zone_choices
from saas.mail.errors import DeliveryError, error_text
from saas.settings import bp, service
from saas.settings.forms import (
    CompanyForm,
    LeaveForm,
    LogoForm,
    PasswordForm,
    ProfileForm,
    SmtpForm,
    TokenForm,
)
from saas.storage import get_storage
from saas.users import service as users_service
from saas.utils import utcnow


def _zone_country() -> str | None:
    """Show the company country's zones first (all of them on ``?zones=all`` and on a POST,
    which must accept any zone)."""
    if request.method != "GET" or request.args.get("zones") == "all":
        return None
    return current_user.tenant.default_country


def _company_forms() -> tuple[CompanyForm, LogoForm, SmtpForm]:
    tenant = current_user.tenant
    company = CompanyForm(prefix="company")
    locale = str(get_locale())
    currencies = locales.currency_choices(locale)
    if tenant.default_currency not in dict(currencies):  # a retired one stays selectable
        currencies = [(tenant.default_currency, tenant.default_currency), *currencies]
    company.default_currency.choices = options(currencies)
    company.default_country.choices = options([("", "—"), *service.countries(locale)])
    company.timezone.choices = zone_choices(locale, _zone_country(), keep=[tenant.timezone])
    company.duplicate_policy.choices = options(duplicates.POLICY_LABELS.items())
    smtp = SmtpForm(prefix="smtp")
    if not company.is_submitted():
        company.name.data = tenant.name
        company.default_currency.data = tenant.default_currency
        company.default_country.data = tenant.default_country or ""
        company.timezone.data = tenant.timezone
        company.duplicate_policy.data = tenant.duplicate_policy
    if not smtp.is_submitted():
        smtp.host.data = tenant.smtp_host
        smtp.port.data = tenant.smtp_port
        smtp.user.data = tenant.smtp_user
        smtp.sender.data = tenant.smtp_from
        smtp.security.data = tenant.smtp_security or "starttls"
    return company, LogoForm(prefix="logo"), smtp


def _render_company(company: Any, logo: Any, smtp: Any, status: int = 200) -> Any:
    return render_template(
        "settings/company.html",
        company=company,
        logo=logo,
        smtp=smtp,
        tenant=current_user.tenant,
        instance_smtp=bool(current_app.config.get("SMTP_HOST")),
        may_change_smtp=current_user.role.key == "owner",
    ), status


@bp.get("/company")
@login_required
@permission_required("settings.manage")
def company() -> Any:
    return _render_company(*_company_forms())


def _company_page(company: Any, logo: Any, smtp: Any) -> Any:
    """``submit``'s renderer for the company page: all three forms, one of them with errors."""
    return lambda status: make_response(_render_company(company, logo, smtp, status))


def _saved(message: str) -> Any:
    def saved(_result: Any) -> Response:
        flash(message, "success")
        return htmx.redirect(url_for("settings.company"))

    return saved


@bp.post("/company")
@login_required
@permission_required("settings.manage")
def save_company() -> Any:
    company, logo, smtp = _company_forms()

    def save() -> None:
        service.update_company(
            actor=current_user,
            name=company.name.data,
            default_currency=company.default_currency.data,
            default_country=company.default_country.data or None,
            timezone=company.timezone.data,
        )
        if company.duplicate_policy.data:
            duplicates.set_policy(actor=current_user, policy=company.duplicate_policy.data)

    return submit(
        company,
        save,
        success=_saved(_("Company settings saved.")),
        template=_company_page(company, logo, smtp),
        fields={
            "currency": "default_currency",
            "country": "default_country",
            "policy": "duplicate_policy",
        },
    )


@bp.post("/company/logo")
@login_required
@permission_required("settings.manage")
def save_logo() -> Any:
    company, logo, smtp = _company_forms()

    def save() -> None:
        upload = logo.logo.data
        data = upload.read() if upload else None
        if not data:
            raise ValidationFailed(_("Choose an image file to upload."), code="logo")
        service.set_logo(actor=current_user, data=data)

    return submit(
        logo,
        save,
        success=_saved(_("Logo saved.")),
        template=_company_page(company, logo, smtp),
        fields={"logo_size": "logo"},
    )


@bp.post("/company/logo/delete")
@login_required
@permission_required("settings.manage")
def delete_logo() -> Any:
    service.set_logo(actor=current_user, data=None)
    flash(_("Logo removed."), "info")
    return redirect(url_for("settings.company"), 303)


@bp.post("/company/smtp")
@login_required
@permission_required("settings.manage")
def save_smtp() -> Any:
    company, logo, smtp = _company_forms()
    return submit(
        smtp,
        lambda: service.update_smtp(
            actor=current_user,
            current_password=smtp.current_password.data,
            host=smtp.host.data,
            port=smtp.port.data,
            user=smtp.user.data,
            password=smtp.password.data,
            sender=smtp.sender.data,
            security=smtp.security.data,
        ),
        success=_saved(_("Mail settings saved.")),
        template=_company_page(company, logo, smtp),
        fields={
            "smtp_host": "host",
            "smtp_port": "port",
            "smtp_sender": "sender",
            "smtp_security": "security",
        },
    )


@bp.post("/company/smtp/test")
@login_required
@permission_required("settings.manage")
def test_smtp() -> Any:
    """Send a test message through the saved server now; the result replaces the button's note."""
    try:
        address = service.send_test_message(actor=current_user)
    except DeliveryError as exc:
        result = {"ok": False, "text": error_text(exc.code)}
    else:
        result = {"ok": True, "text": _("A test message was sent to %(email)s.", email=address)}
    if htmx.is_fragment_request():
        return render_template("settings/_smtp_test.html", result=result)
    flash(result["text"], "success" if result["ok"] else "error")
    return redirect(url_for("settings.company") + "#settings-smtp", 303)


@bp.get("/company/logo.png")
@login_required
def logo() -> Any:
    tenant = current_user.tenant
    data = get_storage().get(tenant.id, tenant.logo_key) if tenant.logo_key else None
    if data is None:
        abort(404)
    resp = Response(data, mimetype="image/png")
    resp.headers["Cache-Control"] = "private, max-age=300"
    return resp


# --- the user's own settings -----------------------------------------------------------------


def _profile_forms() -> tuple[ProfileForm, PasswordForm, LeaveForm]:
    profile = ProfileForm(prefix="profile")
    profile.language.choices = options(current_app.config["LANGUAGES"].items())
    company_zone = _("Company's (%(tz)s)", tz=current_user.tenant.timezone)
    zones = zone_choices(str(get_locale()), _zone_country(), keep=[current_user.timezone or "UTC"])
    profile.timezone.choices = {"": options([("", company_zone)])} | zones
    if not profile.is_submitted():
        profile.name.data = current_user.name
        profile.language.data = current_user.language
        profile.timezone.data = current_user.timezone or ""
        profile.calendar.data = current_user.calendar
    return profile, PasswordForm(prefix="password"), LeaveForm(prefix="leave")


@bp.get("/profile")
@login_required
def profile() -> Any:
    return _render_profile(*_profile_forms())(200)


def _render_profile(profile: ProfileForm, password: PasswordForm, leave: LeaveForm) -> Any:
    def page(status: int) -> Response:
        return make_response(
            render_template(
                "settings/profile.html",
                profile=profile,
                password=password,
                leave=leave,
                now=utcnow(),
            ),
            status,
        )

    return page


@bp.post("/profile")
@login_required
def save_profile() -> Any:
    profile, password, leave = _profile_forms()

    def saved(_user: Any) -> Response:
        flash(_("Your profile has been saved."), "success")
        return htmx.redirect(url_for("settings.profile"))

    return submit(
        profile,
        lambda: users_service.update_profile(
            actor=current_user,
            name=profile.name.data,
            language=profile.language.data,
            timezone=profile.timezone.data or None,
            calendar=profile.calendar.data,
        ),
        success=saved,
        template=_render_profile(profile, password, leave),
    )


@bp.post("/password")
@login_required
def save_password() -> Any:
    profile, password, leave = _profile_forms()

    def changed(_result: Any) -> Response:
        flash(_("Your password has been changed."), "success")
        return htmx.redirect(url_for("settings.profile"))

    return submit(
        password,
        lambda: auth_service.change_password(
            actor=current_user,
            current=password.current.data,
            new=password.new.data,
            end_other_sessions=bool(password.end_others.data),
        ),
        success=changed,
        template=_render_profile(profile, password, leave),
        fields={"current_password": "current", "password": "new"},
    )


@bp.post("/profile/leave")
@login_required
def leave_company() -> Any:
    """Leave the current company (password re-entered); the account's other companies stay."""
    from saas.auth.views import start_company_choice

    profile, password, leave = _profile_forms()
    user = current_user._get_current_object()
    account, company = user.account, user.tenant.name

    def left(_result: Any) -> Response:
        logout_user()
        session.pop("csrf_token", None)
        flash(_("You have left %(company)s.", company=company), "info")
        if auth_service.memberships(account.id, active_only=True):
            start_company_choice(account)  # pick one of the companies still open to you
            return htmx.redirect(url_for("auth.choose_company"))
        return htmx.redirect(url_for("auth.login"))

    return submit(
        leave,
        lambda: users_service.leave_company(
            user=user, current_password=leave.current_password.data
        ),
        success=left,
        template=_render_profile(profile, password, leave),
    )


@bp.get("/api")
@login_required
def api_docs() -> Any:
    """The API reference, read from the same OpenAPI document the API serves."""
    from saas.api import api
    from saas.api.openapi import reference

    return render_template("settings/api_docs.html", operations=reference(api.document()))


#: The session key that carries a new token's secret (encrypted) to the one page that shows it.
_NEW_TOKEN = "new_token"  # noqa: S105 (a key name, not a secret)


@bp.route("/tokens", methods=["GET", "POST"])
@login_required
@limiter.limit(
    lambda: current_app.config["TOKEN_RATE_LIMIT"], key_func=ratelimit.user_key, methods=["POST"]
)
def tokens() -> Any:
    """Create a token (POST-redirect-GET: a reload never makes a second); show its secret once."""
    form = TokenForm()

    def created(result: Any) -> Response:
        _token, secret = result
        session[_NEW_TOKEN] = crypto.encrypt(secret, purpose=_NEW_TOKEN)
        return htmx.redirect(url_for("settings.tokens"))

    return submit(
        form,
        lambda: api_tokens.create_token(actor=current_user, name=form.name.data),
        success=created,
        template="settings/tokens.html",
        context=lambda: {
            "tokens": api_tokens.list_tokens(actor=current_user),
            "secret": crypto.decrypt(session.pop(_NEW_TOKEN, None), purpose=_NEW_TOKEN),
        },
    )


@bp.post("/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int) -> Any:
    api_tokens.revoke_token(actor=current_user, token_id=token_id)
    flash(_("The token has been revoked."), "info")
    return redirect(url_for("settings.tokens"), 303)
