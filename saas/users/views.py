"""Team pages: users, invitations, roles."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, current_app, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from saas import htmx
from saas.access import PERMISSIONS, permission_groups, permission_required
from saas.auth.models import Invitation, User
from saas.auth.service import normalize_email
from saas.errors import ServiceError
from saas.extensions import db, limiter
from saas.forms import add_error, options, submit
from saas.mail.search import mail_health, undelivered_recipients
from saas.mail.service import smtp_settings_for
from saas.roles import service as roles_service
from saas.users import bp, seats
from saas.users import service as users_service
from saas.users.forms import InviteForm, RoleForm, UserForm


def _role_choices(keep: int | None = None) -> list:
    """Roles the current user may hand out (plus ``keep``, the role a user has now)."""
    return options((r.id, r.label) for r in users_service.assignable_roles(current_user, keep=keep))


def _row_context() -> dict[str, Any]:
    """What a team row needs: the roles the current user may hand out, who they may manage,
    and the invitations whose mail did not arrive (id → link, to copy instead)."""
    undelivered = undelivered_recipients("invitation")
    return {
        # invitation id → its link (None: not yours to copy), for invitations whose mail did not
        # arrive. The link is a key to a new account with the invitation's role, so only the
        # owner and the person who invited see it (like the link shown when inviting).
        "undelivered": {
            inv.id: users_service.invitation_url(inv)
            if current_user.role.key == "owner" or inv.invited_by_id == current_user.id
            else None
            for inv in users_service.list_invitations()
            if inv.email in undelivered
        },
        "assignable": users_service.assignable_roles(current_user),
        "may_manage": lambda user: users_service.may_manage(current_user, user),
        "tenant": current_user.tenant,
        "seats_used": seats.seats_used(),
    }


def _team_context(**extra: Any) -> dict[str, Any]:
    invitations = users_service.list_invitations()
    return {
        "users": users_service.list_users(),
        "invitations": invitations,
        "mail_health": mail_health() if current_user.can("outbox.view") else None,
        **_row_context(),
        **extra,
    }


def _row_answer(fragment: str | None, event: str, obj: User | Invitation | None = None) -> Response:
    """A team action's answer: htmx gets the row in place (+ seats, flash); no JS, the page."""
    if not htmx.is_fragment_request():
        return htmx.redirect(url_for("users.index"))
    name = "user" if isinstance(obj, User) else "inv"
    return htmx.respond(
        fragment, events=event, oob_seats=True, oob=True, **{name: obj}, **_row_context()
    )


@bp.get("/users")
@login_required
@permission_required("users.manage")
def index() -> Any:
    return htmx.render("users/index.html", "users/_team.html", **_team_context())


def _inviter_key() -> str:
    return f"invite:{getattr(current_user, 'tenant_id', '')}:{getattr(current_user, 'id', '')}"


#: Invitations per inviter (web and API share the count): no probing or spamming in bulk.
invite_limit = limiter.shared_limit(
    lambda: current_app.config["INVITE_RATE_LIMIT"],
    scope="invite",
    key_func=_inviter_key,
    methods=["POST"],
    exempt_when=lambda: bool(request.form.get("check")),  # inline validation sends nothing
)


@bp.route("/users/invite", methods=["GET", "POST"])
@login_required
@permission_required("users.manage")
@invite_limit
def invite() -> Any:
    form = InviteForm()
    form.role.choices = _role_choices()
    form.language.choices = options(current_app.config["LANGUAGES"].items())
    if not form.role.data:
        sales = roles_service.find_role("sales")
        form.role.data = str(sales.id) if sales else None
    if not form.language.data or form.language.data == "None":
        form.language.data = users_service.company_language()
    if request.form.get("check"):  # inline validation of the email as the user leaves it
        if form.validate_on_submit() or not form.email.errors:
            try:
                normalize_email(form.email.data)
            except ServiceError as exc:
                add_error(form, exc)
        return htmx.render("users/invite.html", "users/_invite_form.html", form=form, checking=True)

    def invited(inv: Invitation) -> Response:
        if smtp_settings_for(current_user.tenant, "invitation") is None:
            flash(
                _(
                    "Invitation created. No mail server is set up, so give %(email)s "
                    "this link yourself: %(url)s",
                    email=inv.email,
                    url=users_service.invitation_url(inv),
                ),
                "success",
            )
        else:
            flash(_("Invitation sent to %(email)s.", email=inv.email), "success")
        return htmx.redirect(url_for("users.index"))

    return submit(
        form,
        lambda: users_service.invite(
            actor=current_user,
            email=form.email.data,
            role=form.role.data,
            language=form.language.data,
        ),
        success=invited,
        template="users/invite.html",
        fragment="users/_invite_form.html",
        fields={"email_taken": "email", "already_invited": "email", "already_member": "email"},
    )


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@login_required
@permission_required("users.manage")
def edit(user_id: int) -> Any:
    user = users_service.get_user(user_id)
    if not users_service.may_manage(current_user, user):
        abort(403)
    form = UserForm()
    # the owner's role and one's own never change: offer no select that cannot be saved
    role_locked = user.role.key == "owner" or user.id == current_user.id
    if role_locked:
        del form.role
    else:
        form.role.choices = _role_choices(keep=user.role_id)
    managers = users_service.possible_managers(user)
    form.manager.choices = options([("", _("— nobody —")), *((u.id, u.name) for u in managers)])
    if not form.is_submitted():
        if not role_locked:
            form.role.data = str(user.role_id)
        form.manager.data = str(user.manager_id or "")

    def updated(_user: User) -> Response:
        flash(_("%(name)s has been updated.", name=user.name), "success")
        return htmx.redirect(url_for("users.index"))

    def save() -> User:
        # a locked role sent anyway (a crafted request) still meets the service's refusal
        role = request.form.get("role") if role_locked else form.role.data
        changes: dict[str, Any] = {} if role is None else {"role": role}
        return users_service.update_user(
            actor=current_user,
            user=user,
            manager_id=int(form.manager.data) if form.manager.data else None,
            **changes,
        )

    return submit(
        form,
        save,
        success=updated,
        template="users/edit.html",
        fields={"owner": "role", "self": "role"},
        context={"user": user},
    )


@bp.post("/users/<int:user_id>/role")
@login_required
@permission_required("users.manage")
def change_role(user_id: int) -> Any:
    """The role select of a team row: the row is swapped in place (a reload without JS)."""
    user = users_service.get_user(user_id)
    try:
        users_service.update_user(actor=current_user, user=user, role=request.form.get("role"))
    except ServiceError as exc:
        if not htmx.is_fragment_request():
            raise
        flash(exc.message, "error")
        db.session.refresh(user)
        return htmx.respond("users/_user_row.html", status=exc.status, user=user, **_row_context())
    flash(_("%(name)s is now %(role)s.", name=user.name, role=user.role.label), "success")
    return _row_answer("users/_user_row.html", "userChanged", user)


@bp.post("/users/<int:user_id>/active")
@login_required
@permission_required("users.manage")
def set_active(user_id: int) -> Any:
    user = users_service.get_user(user_id)
    active = request.form.get("active") == "1"
    users_service.set_active(actor=current_user, user=user, active=active)
    if active:
        flash(_("%(name)s can log in again.", name=user.name), "success")
    else:
        flash(_("%(name)s has been deactivated and can no longer log in.", name=user.name), "info")
    return _row_answer("users/_user_row.html", "userChanged", user)


@bp.post("/invitations/<int:invitation_id>/revoke")
@login_required
@permission_required("users.manage")
def revoke_invitation(invitation_id: int) -> Any:
    inv = users_service.get_invitation(invitation_id)
    users_service.revoke_invitation(actor=current_user, invitation=inv)
    flash(_("The invitation to %(email)s has been withdrawn.", email=inv.email), "info")
    return _row_answer("users/_seats.html", "invitationChanged")  # the row goes, seats change


@bp.post("/invitations/<int:invitation_id>/resend")
@login_required
@permission_required("users.manage")
def resend_invitation(invitation_id: int) -> Any:
    inv = users_service.get_invitation(invitation_id)
    users_service.resend_invitation(actor=current_user, invitation=inv)
    flash(_("The invitation to %(email)s has been sent again.", email=inv.email), "success")
    return _row_answer("users/_invitation_row.html", "invitationChanged", inv)


# --- roles -----------------------------------------------------------------------------------


def _permission_choices() -> list:
    return options(PERMISSIONS.items())


@bp.get("/roles")
@login_required
@permission_required("roles.manage")
def roles() -> Any:
    return htmx.render(
        "roles/index.html", roles=roles_service.list_roles(), permission_groups=permission_groups
    )


def _role_saved(*, created: bool) -> Any:
    def saved(role: Any) -> Response:
        if created:
            flash(_("Role %(name)s created.", name=role.name), "success")
        else:
            flash(_("Role %(name)s saved.", name=role.name), "success")
        return htmx.redirect(url_for("users.roles"))

    return saved


@bp.route("/roles/new", methods=["GET", "POST"])
@login_required
@permission_required("roles.manage")
def new_role() -> Any:
    form = RoleForm()
    form.permissions.choices = _permission_choices()
    return submit(
        form,
        lambda: roles_service.create_role(
            actor=current_user, name=form.name.data, permissions=form.permissions.data
        ),
        success=_role_saved(created=True),
        template="roles/edit.html",
        fields={"role_exists": "name"},
        context={"role": None, "permission_groups": permission_groups},
    )


@bp.route("/roles/<int:role_id>", methods=["GET", "POST"])
@login_required
@permission_required("roles.manage")
def edit_role(role_id: int) -> Any:
    role = roles_service.get_role(role_id)
    form = RoleForm(obj=None if role.is_builtin else role)
    form.permissions.choices = _permission_choices()
    if not form.is_submitted():
        form.name.data = role.label
        form.permissions.data = list(role.permissions)

    def save() -> Any:
        roles_service.update_role(
            actor=current_user, role=role, name=form.name.data, permissions=form.permissions.data
        )
        return role

    return submit(
        form,
        save,
        success=_role_saved(created=False),
        template="roles/edit.html",
        fields={"role_exists": "name"},
        context={"role": role, "permission_groups": permission_groups},
    )


@bp.post("/roles/<int:role_id>/delete")
@login_required
@permission_required("roles.manage")
def delete_role(role_id: int) -> Any:
    role = roles_service.get_role(role_id)
    roles_service.delete_role(actor=current_user, role=role)
    flash(_("Role %(name)s deleted.", name=role.name), "info")
    if htmx.is_fragment_request():
        return htmx.respond(None, events="roleDeleted")  # the row goes
    return htmx.redirect(url_for("users.roles"))
