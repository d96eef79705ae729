"""API endpoints of accounts, users and invitations."""

from __future__ import annotations

from flask import current_app
from flask_login import current_user
from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from saas.api import api
from saas.auth import tokens
from saas.auth.models import User
from saas.extensions import limiter
from saas.users import seats
from saas.users import service as users_service
from saas.users.views import invite_limit

# --- schemas ---------------------------------------------------------------------------------


class TokenRequest(BaseModel):
    email: str = Field(max_length=254)
    password: str = Field(max_length=200)
    tenant_id: int | None = Field(
        default=None, description="The company, for an account that belongs to several"
    )


class TokenResponse(BaseModel):
    token: str


class UserOut(BaseModel):
    id: int
    name: str
    email: str
    role: str
    manager_id: int | None
    active: bool
    language: str

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls(
            id=user.id,
            name=user.name,
            email=user.email,
            role=user.role.key or user.role.name,
            manager_id=user.manager_id,
            active=user.is_active,
            language=user.language,
        )


class TenantOut(BaseModel):
    id: int
    name: str


class PlanOut(BaseModel):
    code: str
    name: str
    max_users: int | None


class SeatsOut(BaseModel):
    used: int
    allowed: int | None


class MeOut(BaseModel):
    user: UserOut
    role: str
    permissions: list[str]
    tenant: TenantOut
    plan: PlanOut
    seats: SeatsOut


class InvitationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    email: str = Field(max_length=254)
    role: str = Field(max_length=100, description="Built-in role key or custom role name")
    language: str | None = Field(
        default=None, max_length=8, description="The invitee's language; default the company's"
    )


class InvitationOut(BaseModel):
    id: int
    email: str
    role: str
    accept_url: str


class UserPatch(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    role: str | None = Field(default=None, max_length=100)
    manager_id: int | None = Field(
        default=None,
        validation_alias=AliasChoices("manager_id", "manager"),
        description="The user this one reports to (also accepted as `manager`); null for nobody",
    )
    active: bool | None = None


# --- endpoints -------------------------------------------------------------------------------


def _json_account_key() -> str:
    from flask import request

    data = request.get_json(silent=True)
    email = data.get("email") if isinstance(data, dict) else None
    from saas.ratelimit import email_key

    return "account:" + email_key(str(email or ""))


@api.route(
    "/auth/token",
    "POST",
    summary="Create a personal API token from email and password (rate-limited)",
    body=TokenRequest,
    response=TokenResponse,
    status=201,
    auth=False,
    errors={
        403: "User deactivated",
        404: "Not a member of that company",
        409: "The account belongs to several companies: give tenant_id",
        429: "Too many attempts",
    },
    decorators=[
        limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"]),
        limiter.limit(lambda: current_app.config["ACCOUNT_RATE_LIMIT"], key_func=_json_account_key),
    ],
)
def create_token(body: TokenRequest) -> dict[str, str]:
    return {
        "token": tokens.token_for_credentials(
            email=body.email, password=body.password, tenant_id=body.tenant_id
        )
    }


@api.route(
    "/me",
    "GET",
    summary="The calling user, role, permissions, tenant, plan and seats",
    response=MeOut,
)
def me() -> MeOut:
    tenant = current_user.tenant
    plan = tenant.plan
    return MeOut(
        user=UserOut.of(current_user),
        role=current_user.role.key or current_user.role.name,
        permissions=current_user.permissions,
        tenant=TenantOut(id=tenant.id, name=tenant.name),
        plan=PlanOut(code=plan.code, name=plan.name, max_users=plan.max_users),
        seats=SeatsOut(used=seats.seats_used(), allowed=plan.max_users),
    )


@api.route(
    "/users",
    "GET",
    summary="Users of the company",
    response=UserOut,
    many=True,
    errors={403: "Forbidden"},
)
def list_users() -> list[UserOut]:
    from saas.access import authorize

    authorize(current_user, "users.manage")
    return [UserOut.of(u) for u in users_service.list_users()]


@api.route(
    "/invitations",
    "POST",
    summary="Invite a colleague; the link is also emailed",
    body=InvitationRequest,
    response=InvitationOut,
    status=201,
    errors={
        402: "The plan has no free seat",
        403: "Forbidden",
        409: "Already a member or invited",
        429: "Too many invitations",
    },
    decorators=[invite_limit],
)
def create_invitation(body: InvitationRequest) -> InvitationOut:
    inv = users_service.invite(
        actor=current_user, email=body.email, role=body.role, language=body.language
    )
    return InvitationOut(
        id=inv.id,
        email=inv.email,
        role=inv.role.key or inv.role.name,
        accept_url=users_service.invitation_url(inv),
    )


@api.route(
    "/users/<int:user_id>",
    "PATCH",
    summary="Change a user's role, manager or active state",
    body=UserPatch,
    response=UserOut,
    errors={402: "Reactivation over the plan's seats", 403: "Forbidden", 404: "No such user"},
)
def patch_user(body: UserPatch, user_id: int) -> UserOut:
    from saas.access import authorize

    authorize(current_user, "users.manage")
    user = users_service.get_user(user_id)
    changes: dict[str, object] = {}
    fields = body.model_fields_set
    if "role" in fields and body.role is not None:
        changes["role"] = body.role
    if "manager_id" in fields:
        changes["manager_id"] = body.manager_id
    if "active" in fields and body.active is not None:
        changes["active"] = body.active
    return UserOut.of(users_service.update_user(actor=current_user, user=user, **changes))
