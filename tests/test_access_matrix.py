"""Every route, for every kind of caller: the expected status, in one data table.

Callers: anonymous, each built-in role of tenant A, and the owner of another tenant B who uses
tenant A's real ids. ``MATRIX`` below is the table; ``test_every_route_has_an_entry`` fails as
soon as a route is added without a row, so nobody can ship a page without deciding who may see it.

On top of each row the runner checks, for every caller:

* anonymous pages redirect to /login, API routes answer 401 with ``{"error": {code, message}}``;
* a POST without the CSRF token is refused with 400;
* a browser session (cookie, no bearer) never authenticates the API (401);
* a request by an outsider (anonymous, tenant B) or any refused request changes nothing of
  tenant A — re-read through the tables' owner connection, around every single request;
* tenant B never reads anything of tenant A (no "acme" in any of B's responses), and A's real
  ids answer B exactly like ids that do not exist (same status, same page: no existence oracle).

Each caller gets its own test (and its own freshly built world), so one failure does not hide
the rest and mutations by one caller cannot change what the next one sees.

After the matrix: bearer-token and deactivation checks, custom roles, and privilege escalation
inside a tenant (handing out roles stronger than one's own; reading others' reset links).
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest
from PIL import Image
from sqlalchemy import delete, select, update
from werkzeug.test import TestResponse

from saas import progress
from saas.access import PERMISSIONS
from saas.attachments import service as attachments
from saas.auth import service as auth_service
from saas.auth import tokens
from saas.auth.models import Invitation, Role, User
from saas.contacts import service as contacts_service
from saas.customers import fields as custom_fields
from saas.customers import lists as customer_lists
from saas.customers import notes
from saas.customers import service as customers_service
from saas.customers import sharing as customers_sharing
from saas.extensions import db
from saas.mail.models import MailMessage
from saas.roles import service as roles_service
from saas.tenancy.context import enter_tenant
from saas.users import service as users_service
from tests.conftest import PASSWORD, add_member, csrf, login, make_company, run_jobs

# --- the callers -----------------------------------------------------------------------------

A_ROLES = ("owner", "admin", "manager", "sales", "viewer")
#: Column order of every row of the matrix.
ACTORS = ("anon", *A_ROLES, "other")


@dataclass(frozen=True)
class Redirect:
    """Expect a 302/303 whose Location has this path."""

    path: str

    def matches(self, resp: TestResponse) -> bool:
        location = urlsplit(resp.headers.get("Location", ""))
        return resp.status_code in (302, 303) and location.path == self.path

    def __str__(self) -> str:
        return f"redirect to {self.path}"


LOGIN = Redirect("/login")
DASH = Redirect("/dashboard")
LISTS = Redirect("/settings/lists/level")
CUSTOMERS = Redirect("/customers")
Expect = int | Redirect


@dataclass(frozen=True)
class Ctx:
    """What a payload may depend on: the caller and tenant A's ids."""

    actor: str
    ids: dict[str, Any]


@dataclass(frozen=True)
class Case:
    url: str  # str.format'ed with tenant A's ids (see build_world)
    expect: dict[str, Expect]
    #: Form fields (values str.format'ed like the URL) or ``fn(Ctx) -> dict``; CSRF is added.
    data: dict[str, Any] | Callable[[Ctx], dict[str, Any]] | None = None
    #: JSON body of an API call (values str.format'ed like the URL).
    json: dict[str, Any] | None = None
    #: The request logs the caller out (they log in again before the next row).
    ends_session: bool = False
    #: Placeholder of the object id in the URL: tenant B gets the same answer for a missing id.
    probe: str | None = None
    #: The URL itself is a capability to A's data (a signed link): tenant B may read it.
    capability: bool = False

    @property
    def api(self) -> bool:
        return self.url.startswith("/api/")


def row(url: str, *expect: Expect, **kw: Any) -> Case:
    """One row: ``url`` then the expectation of each of ``ACTORS``, in that order."""
    assert len(expect) == len(ACTORS), url
    return Case(url, dict(zip(ACTORS, expect, strict=True)), **kw)


def _billing(c: Ctx) -> dict[str, str]:
    # The owner "changes" to the current plan (a no-op: seats stay as they are); everybody
    # else tries a real downgrade, which must not happen.
    return {"plan": "business" if c.actor == "owner" else "free"}


def _entry_rename(c: Ctx) -> dict[str, Any]:
    entry = c.ids["list_entry"]
    return {f"e{entry}-name": f"Renamed by {c.actor}", f"e{entry}-colour": "green"}


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _upload(c: Ctx) -> dict[str, Any]:
    return {"file": (io.BytesIO(PDF), "Offer for {actor}.pdf")}


def _not_a_backup(c: Ctx) -> dict[str, Any]:
    return {"file": (io.BytesIO(b"PK this is no zip"), "backup.zip")}


#: A table to upload: nothing of A in it (tenant B's answer shows its columns and first rows).
TABLE = b"Company,City\r\nInitech,Tirana\r\n"
#: The mapping of the world's import runs (see ``_imports``): column index → target.
IMPORT_MAPPING = {"0": "name", "1": "city"}


def _table(c: Ctx) -> dict[str, Any]:
    return {"file": (io.BytesIO(TABLE), "customers.csv")}


def _logo(c: Ctx) -> dict[str, Any]:
    return {"logo-logo": (io.BytesIO(PNG), "logo.png")}


def _photo(c: Ctx) -> dict[str, Any]:
    return {"photo": (io.BytesIO(PNG), "photo.png")}


#: Everything an admin holds (all but billing): what a role editor may hand out.
ADMIN_PERMISSIONS = sorted(set(PERMISSIONS) - {"billing.manage"})
NOPE = 403
GONE = 404

# fmt: off
#: endpoint → {method (+ variant): row(url, anon, owner, admin, manager, sales, viewer, other)}
MATRIX: dict[str, dict[str, Case]] = {
    # --- public pages ---------------------------------------------------------------------
    "static": {
        "GET": row("/static/css/baza.css", 200, 200, 200, 200, 200, 200, 200),
        "GET missing": row("/static/css/nope.css", 404, 404, 404, 404, 404, 404, 404),
    },
    "healthz": {"GET": row("/healthz", 200, 200, 200, 200, 200, 200, 200)},
    "auth.index": {"GET": row("/", 200, DASH, DASH, DASH, DASH, DASH, DASH)},
    "auth.signup": {
        "GET": row("/signup", 200, DASH, DASH, DASH, DASH, DASH, DASH),
        "POST": row("/signup", 422, DASH, DASH, DASH, DASH, DASH, DASH, data={
            "company": "Evil", "name": "Eve", "email": "not-an-email", "password": PASSWORD}),
    },
    # The link a confirmed-by-mail signup sends: anyone holding it may create that company.
    "auth.confirm_signup": {
        "GET": row("/signup/confirm/{signup_token}", 200, DASH, DASH, DASH, DASH, DASH, DASH),
        "GET used": row("/signup/confirm/{used_signup_token}", 409, DASH, DASH, DASH, DASH,
                        DASH, DASH),
        # (a fresh link creates a company: tests/test_signup_confirm.py)
        "POST": row("/signup/confirm/{used_signup_token}", 409, DASH, DASH, DASH, DASH,
                    DASH, DASH, data={}),
        "GET bad token": row("/signup/confirm/not-a-token", 404, DASH, DASH, DASH, DASH, DASH,
                             DASH),
        "POST bad token": row("/signup/confirm/not-a-token", 404, DASH, DASH, DASH, DASH,
                              DASH, DASH, data={}),
    },
    "auth.login": {
        "GET": row("/login", 200, DASH, DASH, DASH, DASH, DASH, DASH),
        "POST": row("/login", 422, DASH, DASH, DASH, DASH, DASH, DASH, data={
            "email": "target@acme.example.com", "password": "wrong password", "next": ""}),
    },
    # Picking a company after the password (an account in several): only with a pending login.
    "auth.choose_company": {
        "GET": row("/login/company", LOGIN, DASH, DASH, DASH, DASH, DASH, DASH),
        "POST": row("/login/company", LOGIN, DASH, DASH, DASH, DASH, DASH, DASH,
                    data={"tenant": "{tenant_a}"}),
    },
    # The header's company switch: only into a company the account belongs to.
    "auth.switch_company": {
        "POST": row("/switch", LOGIN, DASH, DASH, DASH, DASH, DASH, 404,
                    data={"tenant": "{tenant_a}"}, probe="tenant_a"),
    },
    "auth.forgot_password": {
        "GET": row("/password/forgot", 200, 200, 200, 200, 200, 200, 200),
        "POST": row("/password/forgot", 200, 200, 200, 200, 200, 200, 200,
                    data={"email": "nobody@nowhere.example.com"}),
    },
    "auth.reset_password": {
        "GET": row("/password/reset/{reset_token}", 200, 200, 200, 200, 200, 200, 200,
                   capability=True),
        "POST": row("/password/reset/{reset_token}", 422, 422, 422, 422, 422, 422, 422,
                    data={"password": "short"}, capability=True),
        "GET bad token": row("/password/reset/not-a-token", *[404] * 7),
        "POST bad token": row("/password/reset/not-a-token", *[404] * 7,
                              data={"password": PASSWORD}),
    },
    "auth.accept": {
        # Opening an invitation link never logs anyone out: whoever is logged in in that
        # browser sees a confirmation page (200) and must log out with a POST first.
        "GET": row("/invite/{invite_token}", 200, 200, 200, 200, 200, 200, 200, capability=True),
        "POST": row("/invite/{invite_token}", 422, 200, 200, 200, 200, 200, 200,
                    data={"name": "", "password": "short"}, capability=True),
        "POST log out first": row("/invite/{invite_token}", 422, 303, 303, 303, 303, 303, 303,
                                  data={"action": "logout"}, capability=True, ends_session=True),
        "GET bad token": row("/invite/not-a-token", *[404] * 7),
        "POST bad token": row("/invite/not-a-token", *[404] * 7,
                              data={"name": "Eve", "password": PASSWORD}),
    },
    "auth.set_language": {
        "POST": row("/language", 303, 303, 303, 303, 303, 303, 303,
                    data={"lang": "en", "next": "/"}),
    },
    # Lists and custom fields: everyone reads them, settings.manage changes them.
    "api.list_entries": {
        "GET": row("/api/v1/lists/level", 401, 200, 200, 200, 200, 200, 200),
        "GET unknown list": row("/api/v1/lists/planets", 401, 404, 404, 404, 404, 404, 404),
    },
    "api.add_list_entry": {
        "POST": row("/api/v1/lists/tag", 401, 201, 201, NOPE, NOPE, NOPE, 201,
                    json={"name": "API tag of {actor}", "colour": "teal"}),
    },
    "api.update_list_entry": {
        "PATCH": row("/api/v1/lists/source/{list_entry}", 401, 200, 200, NOPE, NOPE, NOPE, GONE,
                     json={"name": "Patched by {actor}", "position": 2}, probe="list_entry"),
    },
    "api.list_custom_fields": {
        "GET": row("/api/v1/custom-fields", 401, 200, 200, 200, 200, 200, 200),
    },
    "api.create_custom_field": {
        "POST": row("/api/v1/custom-fields", 401, 201, 201, NOPE, NOPE, NOPE, 201,
                    json={"label": "API field of {actor}", "type": "number"}),
    },
    "api.update_custom_field": {
        "PATCH": row("/api/v1/custom-fields/{custom_field}", 401, 200, 200, NOPE, NOPE, NOPE,
                     GONE, json={"label": "Patched by {actor}"}, probe="custom_field"),
    },
    "api.delete_custom_field": {
        "DELETE": row("/api/v1/custom-fields/{custom_field}", 401, 204, 204, NOPE, NOPE, NOPE,
                      GONE, probe="custom_field"),
    },
    "api.openapi": {"GET": row("/api/v1/openapi.json", 200, 200, 200, 200, 200, 200, 200)},
    "api.create_token": {
        # anon: someone else's email with a wrong password; the others: their own credentials.
        "POST": row("/api/v1/auth/token", 422, 201, 201, 201, 201, 201, 201,
                    json={"email": "{email}", "password": "{password}"}),
    },
    # --- pages of a logged-in user ----------------------------------------------------------
    #                              anon   owner admin manager sales viewer other
    "dashboard.index": {"GET": row("/dashboard", LOGIN, 200, 200, 200, 200, 200, 200)},
    "settings.profile": {"GET": row("/settings/profile", LOGIN, 200, 200, 200, 200, 200, 200)},
    "settings.tokens": {
        "GET": row("/settings/tokens", LOGIN, 200, 200, 200, 200, 200, 200),
        # POST-redirect-GET: a reload never creates a second token.
        "POST": row("/settings/tokens", LOGIN, 303, 303, 303, 303, 303, 303,
                    data={"name": "token of {actor}"}),
    },
    "settings.api_docs": {"GET": row("/settings/api", LOGIN, 200, 200, 200, 200, 200, 200)},
    "settings.save_profile": {
        "POST": row("/settings/profile", LOGIN, 303, 303, 303, 303, 303, 303, data={
            "profile-name": "Renamed {actor}", "profile-language": "en",
            "profile-timezone": "", "profile-calendar": "gregorian"}),
    },
    "settings.save_password": {
        "POST": row("/settings/password", LOGIN, 303, 303, 303, 303, 303, 303, data={
            "password-current": PASSWORD, "password-new": PASSWORD}),
    },
    # Anyone logged in may leave their own company (not its owner); here with a wrong password,
    # which leaves nothing, so the caller stays for the next rows (tests/test_leave.py leaves).
    "settings.leave_company": {
        "POST": row("/settings/profile/leave", LOGIN, 422, 422, 422, 422, 422, 422,
                    data={"leave-current_password": "not the password"}),
    },
    # Only its owner may revoke a token: anybody else's (even an admin's) is "not found".
    "settings.revoke_token": {
        "POST": row("/settings/tokens/{token}/revoke", LOGIN, 303, GONE, GONE, GONE, GONE, GONE,
                    probe="token"),
    },
    "settings.logo": {
        # B has no logo: it must not get A's.
        "GET": row("/settings/company/logo.png", LOGIN, 200, 200, 200, 200, 200, 404),
    },
    "users.index": {"GET": row("/users", LOGIN, 200, 200, NOPE, NOPE, NOPE, 200)},
    "users.invite": {
        "GET": row("/users/invite", LOGIN, 200, 200, NOPE, NOPE, NOPE, 200),
        # B posts A's role id: not one of B's choices.
        "POST": row("/users/invite", LOGIN, 303, 303, NOPE, NOPE, NOPE, 422, data={
            "email": "new-{actor}@invitee.example.com", "role": "{sales_role}"}),
        # Inline validation of the email as the user leaves the field: answers, invites nobody.
        "POST check": row("/users/invite", LOGIN, 200, 200, NOPE, NOPE, NOPE, 200, data={
            "email": "check-{actor}@invitee.example.com", "role": "{sales_role}",
            "check": "email"}),
    },
    # The role select of a team row (swapped in place by htmx, a redirect without JS).
    "users.change_role": {
        "POST": row("/users/{target}/role", LOGIN, 303, 303, NOPE, NOPE, NOPE, GONE,
                    probe="target", data={"role": "{admin_role}"}),
        "POST the owner": row("/users/{owner}/role", LOGIN, 422, NOPE, NOPE, NOPE, NOPE, GONE,
                              probe="owner", data={"role": "{sales_role}"}),
    },
    "users.edit": {
        "GET": row("/users/{target}", LOGIN, 200, 200, NOPE, NOPE, NOPE, GONE, probe="target"),
        "POST": row("/users/{target}", LOGIN, 303, 303, NOPE, NOPE, NOPE, GONE, probe="target",
                    data={"role": "{admin_role}", "manager": ""}),
        # The owner's page, saved unchanged (the owner role is preselected, and must stay).
        # An admin lacks billing.manage, so may not change the owner at all: no managing upwards.
        "GET the owner": row("/users/{owner}", LOGIN, 200, NOPE, NOPE, NOPE, NOPE, GONE,
                             probe="owner"),
        "POST the owner": row("/users/{owner}", LOGIN, 303, NOPE, NOPE, NOPE, NOPE, GONE,
                              probe="owner", data={"role": "{owner_role}", "manager": ""}),
    },
    "users.set_active": {
        "POST": row("/users/{target}/active", LOGIN, 303, 303, NOPE, NOPE, NOPE, GONE,
                    probe="target", data={"active": "0"}),
    },
    "users.resend_invitation": {
        "POST": row("/invitations/{inv_keep}/resend", LOGIN, 303, 303, NOPE, NOPE, NOPE, GONE,
                    probe="inv_keep"),
    },
    "users.revoke_invitation": {
        "POST": row("/invitations/{inv_revoke}/revoke", LOGIN, 303, 303, NOPE, NOPE, NOPE, GONE,
                    probe="inv_revoke"),
    },
    "users.roles": {"GET": row("/roles", LOGIN, 200, 200, NOPE, NOPE, NOPE, 200)},
    "users.new_role": {
        "GET": row("/roles/new", LOGIN, 200, 200, NOPE, NOPE, NOPE, 200),
        "POST": row("/roles/new", LOGIN, 303, 303, NOPE, NOPE, NOPE, 303, data={
            "name": "New role of {actor}", "permissions": ["users.manage", "roles.manage"]}),
    },
    "users.edit_role": {
        "GET": row("/roles/{role}", LOGIN, 200, 200, NOPE, NOPE, NOPE, GONE, probe="role"),
        "POST": row("/roles/{role}", LOGIN, 303, 303, NOPE, NOPE, NOPE, GONE, probe="role",
                    data={"name": "Renamed", "permissions": ADMIN_PERMISSIONS}),
    },
    "users.delete_role": {
        "POST": row("/roles/{temp_role}/delete", LOGIN, 303, 303, NOPE, NOPE, NOPE, GONE,
                    probe="temp_role"),
    },
    "audit.index": {
        "GET": row("/audit?user={owner}", LOGIN, 200, 200, NOPE, NOPE, NOPE, 200),
    },
    "mail.outbox": {"GET": row("/outbox", LOGIN, 200, 200, NOPE, NOPE, NOPE, 200)},
    "mail.message": {
        "GET": row("/outbox/{message}", LOGIN, 200, 200, NOPE, NOPE, NOPE, GONE, probe="message"),
    },
    # A tracked job: its creator (the owner) and holders of its kind's permission (outbox.view)
    # follow it; nobody else learns it exists.
    "jobs.show": {
        "GET": row("/jobs/{job}", LOGIN, 200, 200, GONE, GONE, GONE, GONE, probe="job"),
    },
    # A has an interrupted message; B has none to resend.
    "mail.resend_failed": {
        "POST": row("/outbox/resend-failed", LOGIN, 303, 303, NOPE, NOPE, NOPE, 409),
    },
    "mail.resend": {
        "POST": row("/outbox/{lost_message}/resend", LOGIN, 303, 303, NOPE, NOPE, NOPE, GONE,
                    probe="lost_message"),
        "POST not lost": row("/outbox/{message}/resend", LOGIN, 409, 409, NOPE, NOPE, NOPE, GONE,
                             probe="message"),
    },
    "settings.company": {"GET": row("/settings/company", LOGIN, 200, 200, NOPE, NOPE, NOPE, 200)},
    "settings.save_company": {
        "POST": row("/settings/company", LOGIN, 303, 303, NOPE, NOPE, NOPE, 303, data={
            "company-name": "Renamed Ltd", "company-default_currency": "USD",
            "company-default_country": "", "company-timezone": "Europe/Tirane"}),
    },
    # Before save_smtp: no company server yet, so the test answers at once ("no server").
    "settings.test_smtp": {
        "POST": row("/settings/company/smtp/test", LOGIN, 303, 303, NOPE, NOPE, NOPE, 303),
    },
    # Owner only (whoever sets the server reads the mail), with the password re-entered.
    "settings.save_smtp": {
        "POST": row("/settings/company/smtp", LOGIN, 303, NOPE, NOPE, NOPE, NOPE, 303, data={
            "smtp-host": "93.184.216.34", "smtp-port": "2525", "smtp-user": "eve",
            "smtp-password": "secret", "smtp-sender": "eve@evil.example.com",
            "smtp-security": "none", "smtp-current_password": PASSWORD}),
    },
    "settings.save_logo": {
        "POST": row("/settings/company/logo", LOGIN, 303, 303, NOPE, NOPE, NOPE, 303, data=_logo),
    },
    "settings.delete_logo": {
        "POST": row("/settings/company/logo/delete", LOGIN, 303, 303, NOPE, NOPE, NOPE, 303),
    },
    # Settings → Lists: settings.manage; another tenant's entry id is simply not found.
    "settings.lists_index": {
        "GET": row("/settings/lists", LOGIN, LISTS, LISTS, NOPE, NOPE, NOPE, LISTS),
    },
    "settings.lists_page": {
        "GET": row("/settings/lists/level", LOGIN, 200, 200, NOPE, NOPE, NOPE, 200),
        "GET unknown list": row("/settings/lists/planets", LOGIN, 404, 404, NOPE, NOPE, NOPE,
                                404),
    },
    "settings.add_list_entry": {
        "POST": row("/settings/lists/tag", LOGIN, 303, 303, NOPE, NOPE, NOPE, 303, data={
            "new-name": "Tag of {actor}", "new-colour": "blue"}),
    },
    "settings.update_list_entry": {
        "POST": row("/settings/lists/entries/{list_entry}", LOGIN, 303, 303, NOPE, NOPE, NOPE,
                    GONE, data=_entry_rename, probe="list_entry"),
    },
    "settings.move_list_entry": {
        "POST": row("/settings/lists/entries/{list_entry}/move", LOGIN, 303, 303, NOPE, NOPE,
                    NOPE, GONE, data={"direction": "down"}, probe="list_entry"),
    },
    "settings.archive_list_entry": {
        "POST": row("/settings/lists/entries/{list_entry}/archive", LOGIN, 303, 303, NOPE, NOPE,
                    NOPE, GONE, data={"archived": "1"}, probe="list_entry"),
    },
    # Settings → Custom fields: settings.manage; another tenant's field id is not found.
    "settings.custom_fields": {
        "GET": row("/settings/custom-fields", LOGIN, 200, 200, NOPE, NOPE, NOPE, 200),
    },
    "settings.add_custom_field": {
        "POST": row("/settings/custom-fields", LOGIN, 303, 303, NOPE, NOPE, NOPE, 303, data={
            "label": "Field of {actor}", "type": "text"}),
    },
    "settings.edit_custom_field": {
        "GET": row("/settings/custom-fields/{custom_field}", LOGIN, 200, 200, NOPE, NOPE, NOPE,
                   GONE, probe="custom_field"),
        "POST": row("/settings/custom-fields/{custom_field}", LOGIN, 303, 303, NOPE, NOPE, NOPE,
                    GONE, data={"label": "Renamed by {actor}"}, probe="custom_field"),
    },
    "settings.move_custom_field": {
        "POST": row("/settings/custom-fields/{custom_field}/move", LOGIN, 303, 303, NOPE, NOPE,
                    NOPE, GONE, data={"direction": "up"}, probe="custom_field"),
    },
    "settings.archive_custom_field": {
        "POST": row("/settings/custom-fields/{custom_field}/archive", LOGIN, 303, 303, NOPE,
                    NOPE, NOPE, GONE, data={"archived": "1"}, probe="custom_field"),
    },
    "billing.index": {"GET": row("/billing", LOGIN, 200, NOPE, NOPE, NOPE, NOPE, 200)},
    "billing.preview_plan": {
        "GET": row("/billing/plan/team", LOGIN, 200, NOPE, NOPE, NOPE, NOPE, 200),
    },
    "billing.change_plan": {
        # Without a confirmed amount the POST only previews (B's owner sees B's preview).
        "POST": row("/billing/plan", LOGIN, 303, NOPE, NOPE, NOPE, NOPE, 200, data=_billing),
    },
    # Customers: the target (a sales rep) owns {customer}; reps see only their own, managers
    # their subordinates' (none here), view_all holders every one; the pool needs customers.pool.
    "customers.index": {
        "GET": row("/customers", LOGIN, 200, 200, 200, 200, 200, 200),
        "GET pool": row("/customers?view=pool", LOGIN, 200, 200, 200, 200, NOPE, 200),
        "GET all": row("/customers?view=all", LOGIN, 200, 200, NOPE, NOPE, 200, 200),
        "GET shared": row("/customers?view=shared", LOGIN, 200, 200, 200, 200, 200, 200),
        "GET subordinates": row("/customers?view=subordinates", LOGIN, 200, 200, 200, NOPE, NOPE,
                                200),
        # a saved segment loads its state into the URL; another user's private one is a 404
        "GET segment": row("/customers?segment={segment}", LOGIN, CUSTOMERS, CUSTOMERS,
                           CUSTOMERS, CUSTOMERS, CUSTOMERS, GONE, probe="segment"),
        "GET private segment": row("/customers?segment={segment_private}", LOGIN, GONE, GONE,
                                   GONE, GONE, GONE, GONE, probe="segment_private"),
    },
    # the grid: a column's values, a column filter, the query builder, the columns chooser,
    # the deferred tab counts — each under the view's rule (view=all needs customers.view_all)
    "customers.values": {
        "GET": row("/customers/values?field=city", LOGIN, 200, 200, 200, 200, 200, 200),
        "GET all": row("/customers/values?field=city&view=all", LOGIN, 200, 200, NOPE, NOPE,
                       200, 200),
    },
    "customers.apply_filter": {
        "GET": row('/customers/filter?field=city&v="Tirana"', LOGIN, CUSTOMERS, CUSTOMERS,
                   CUSTOMERS, CUSTOMERS, CUSTOMERS, CUSTOMERS),
    },
    "customers.query_builder": {
        "GET": row("/customers/builder", LOGIN, 200, 200, 200, 200, 200, 200),
    },
    "customers.columns": {
        "POST": row("/customers/columns", LOGIN, CUSTOMERS, CUSTOMERS, CUSTOMERS, CUSTOMERS,
                    CUSTOMERS, CUSTOMERS, data={"apply": "1", "show": "name", "size": "25"}),
    },
    "customers.columns_chooser": {
        "GET": row("/customers/columns", LOGIN, 200, 200, 200, 200, 200, 200),
        "GET all": row("/customers/columns?view=all", LOGIN, 200, 200, NOPE, NOPE, 200, 200),
    },
    "customers.segments_menu": {
        "GET": row("/customers/segments-menu", LOGIN, 200, 200, 200, 200, 200, 200),
        "GET all": row("/customers/segments-menu?view=all", LOGIN, 200, 200, NOPE, NOPE, 200,
                       200),
    },
    "customers.tab_counts": {
        "GET": row("/customers/counts", LOGIN, 200, 200, 200, 200, 200, 200),
        "GET all": row("/customers/counts?view=all", LOGIN, 200, 200, NOPE, NOPE, 200, 200),
    },
    "customers.new": {
        "GET": row("/customers/new", LOGIN, 200, 200, 200, 200, NOPE, 200),
        "POST": row("/customers/new", LOGIN, 303, 303, 303, 303, NOPE, 303, data={
            "name": "Customer of {actor}", "kind": "company", "stage": "potential",
            "country": ""}),
    },
    "customers.show": {
        "GET": row("/customers/{customer}", LOGIN, 200, 200, GONE, GONE, 200, GONE,
                   probe="customer"),
    },
    "customers.show_tab": {
        "GET": row("/customers/{customer}/details", LOGIN, 200, 200, GONE, GONE, 200, GONE,
                   probe="customer"),
        "GET contacts": row("/customers/{customer}/contacts", LOGIN, 200, 200, GONE, GONE, 200,
                            GONE, probe="customer"),
    },
    "customers.claim": {
        "POST": row("/customers/{pool_web}/claim", LOGIN, 303, 303, 303, 303, NOPE, GONE,
                    probe="pool_web"),
    },
    # Edit, share, lock, reclaim, trash (sharing slice): the target rep owns each customer; the
    # manager is not above the target (so sees nothing), the viewer sees all and changes nothing.
    "customers.edit": {
        "GET": row("/customers/{cust_edit}/edit", LOGIN, 200, 200, GONE, GONE, NOPE, GONE,
                   probe="cust_edit"),
        "POST": row("/customers/{cust_edit}/edit", LOGIN, 303, 303, GONE, GONE, NOPE, GONE,
                    probe="cust_edit", data={"name": "Acme edited by {actor}", "kind": "company",
                                             "stage": "active", "country": ""}),
    },
    "customers.show_field": {
        "GET": row("/customers/{cust_edit}/field/city", LOGIN, 200, 200, GONE, GONE, 200, GONE,
                   probe="cust_edit"),
    },
    "customers.edit_field": {
        "GET": row("/customers/{cust_edit}/field/city/edit", LOGIN, 200, 200, GONE, GONE, NOPE,
                   GONE, probe="cust_edit"),
    },
    "customers.save_field": {
        "POST": row("/customers/{cust_edit}/field/city", LOGIN, 303, 303, GONE, GONE, NOPE, GONE,
                    probe="cust_edit", data={"city": "Tirana"}),
    },
    "customers.return_to_pool": {
        "POST": row("/customers/{cust_return_web}/return", LOGIN, 303, 303, GONE, GONE, NOPE,
                    GONE, probe="cust_return_web", data={"reason": "No budget"}),
    },
    "customers.assign": {
        "POST": row("/customers/{cust_assign_web}/assign", LOGIN, 303, 303, GONE, NOPE, NOPE,
                    GONE, probe="cust_assign_web", data={"user_id": "{owner}"}),
    },
    "customers.reclaim": {
        "POST": row("/customers/{cust_reclaim}/reclaim", LOGIN, 303, 303, GONE, GONE, NOPE, GONE,
                    probe="cust_reclaim", data={"to": "me"}),
    },
    "customers.lock": {
        "POST": row("/customers/{cust_lock}/lock", LOGIN, 303, 303, GONE, GONE, NOPE, GONE,
                    probe="cust_lock"),
    },
    "customers.unlock": {
        "POST": row("/customers/{cust_lock}/unlock", LOGIN, 303, 303, GONE, GONE, NOPE, GONE,
                    probe="cust_lock"),
    },
    "customers.share": {
        "POST": row("/customers/{cust_share}/share", LOGIN, 303, 303, GONE, GONE, NOPE, GONE,
                    probe="cust_share", data={"user_ids": "{owner}", "access": "read"}),
    },
    "customers.unshare": {
        "POST": row("/customers/{cust_share}/unshare", LOGIN, 303, 303, GONE, GONE, NOPE, GONE,
                    probe="cust_share", data={"user_id": "{owner}"}),
    },
    "customers.delete": {
        "POST": row("/customers/{cust_delete}/delete", LOGIN, 303, 303, NOPE, NOPE, NOPE, GONE,
                    probe="cust_delete"),
    },
    "customers.trash": {
        "GET": row("/customers/trash", LOGIN, 200, 200, NOPE, NOPE, NOPE, 200),
    },
    "customers.restore": {
        "POST": row("/customers/{cust_trashed}/restore", LOGIN, 303, 303, NOPE, NOPE, NOPE, GONE,
                    probe="cust_trashed"),
    },
    # Contacts follow their customer ({customer}, the target's): seen by its owner and view_all
    # holders (404 for the rest), changed only where the customer may be changed (the viewer
    # reads but gets 403 writing).
    # The Contacts page: a contact shows with its customer, through the customers' lists.
    "contacts.index": {
        "GET": row("/contacts", LOGIN, 200, 200, 200, 200, 200, 200),
        "GET search": row("/contacts?q=li&sort=-created&size=25", LOGIN, 200, 200, 200, 200,
                          200, 200),
        "GET pool": row("/contacts?view=pool", LOGIN, 200, 200, 200, 200, NOPE, 200),
        "GET all": row("/contacts?view=all", LOGIN, 200, 200, NOPE, NOPE, 200, 200),
        "GET mine": row("/contacts?view=mine", LOGIN, 200, 200, 200, 200, 200, 200),
        "GET subordinates": row("/contacts?view=subordinates", LOGIN, 200, 200, 200, NOPE, NOPE,
                                200),
    },
    "contacts.new": {
        "GET": row("/customers/{customer}/contacts/new", LOGIN, 200, 200, GONE, GONE, NOPE, GONE,
                   probe="customer"),
        "POST": row("/customers/{customer}/contacts/new", LOGIN, 303, 303, GONE, GONE, NOPE, GONE,
                    probe="customer", data={"name": "Contact of {actor}",
                                            "phones-0-number": "+8613800138000"}),
    },
    "contacts.edit": {
        "GET": row("/contacts/{contact}/edit", LOGIN, 200, 200, GONE, GONE, NOPE, GONE,
                   probe="contact"),
        "POST": row("/contacts/{contact}/edit", LOGIN, 303, 303, GONE, GONE, NOPE, GONE,
                    probe="contact", data={"name": "Renamed by {actor}"}),
    },
    "contacts.primary": {
        "POST": row("/contacts/{contact2}/primary", LOGIN, 303, 303, GONE, GONE, NOPE, GONE,
                    probe="contact2"),
    },
    "contacts.vcard": {
        "GET": row("/contacts/{contact}.vcf", LOGIN, 200, 200, GONE, GONE, 200, GONE,
                   probe="contact"),
    },
    "contacts.photo": {
        "GET": row("/contacts/{contact}/photo.png", LOGIN, 200, 200, GONE, GONE, 200, GONE,
                   probe="contact"),
    },
    "contacts.upload_photo": {
        "POST": row("/contacts/{contact}/photo", LOGIN, 303, 303, GONE, GONE, NOPE, GONE,
                    probe="contact", data=_photo),
    },
    "contacts.delete_photo": {
        "POST": row("/contacts/{contact}/photo/delete", LOGIN, 303, 303, GONE, GONE, NOPE, GONE,
                    probe="contact"),
    },
    "contacts.add_relation": {
        "POST": row("/contacts/{contact}/relations", LOGIN, 303, 303, GONE, GONE, NOPE, GONE,
                    probe="contact", data={"kind": "spouse of", "other_id": "{contact2}"}),
    },
    "contacts.delete_relation": {
        "POST": row("/contact-relations/{relation}/delete", LOGIN, 303, 303, GONE, GONE, NOPE,
                    GONE, probe="relation"),
    },
    "contacts.delete": {
        "POST": row("/contacts/{contact_del}/delete", LOGIN, 303, 303, GONE, GONE, NOPE, GONE,
                    probe="contact_del"),
    },
    # Batch: each id is checked by the service; another tenant's id is "not found" and counted,
    # the request still answers (303 / 200) and changes nothing of A. The viewer has no pool:
    # "claim" is not among its actions (422).
    "customers.batch_params": {
        "GET": row("/customers/batch/params", LOGIN, 200, 200, 200, 200, 200, 200),
    },
    "customers.batch_action": {
        "POST": row("/customers/batch", LOGIN, 303, 303, 303, 303, 422, 303, data={
            "action": "claim", "ids": "{pool_batch}", "view": "pool", "access": "read",
            "to": "pool"}),
    },
    # Segments on the web: the page and "Save as segment" for everyone; a shared segment (the
    # rep's, not a caller) changed by an admin only; a private one is nobody else's (404).
    "customers.segments_page": {
        "GET": row("/customers/segments", LOGIN, 200, 200, 200, 200, 200, 200),
    },
    "customers.create_segment": {
        "POST": row("/customers/segments", LOGIN, 303, 303, 303, 303, 303, 303,
                    data={"name": "Web segment of {actor}", "view": "mine", "q": "tirana"}),
    },
    "customers.edit_segment": {
        "POST": row("/customers/segments/{segment}", LOGIN, 303, 303, NOPE, NOPE, NOPE, GONE,
                    probe="segment", data={"name": "Renamed by {actor}", "shared": "1"}),
        "POST private": row("/customers/segments/{segment_private}", LOGIN, GONE, GONE, GONE,
                            GONE, GONE, GONE, probe="segment_private",
                            data={"name": "Taken by {actor}", "shared": "1"}),
    },
    "customers.save_segment_state": {
        "POST": row("/customers/segments/{segment}/state", LOGIN, 303, 303, NOPE, NOPE, NOPE,
                    GONE, probe="segment", data={"view": "mine", "q": "tirana"}),
    },
    "customers.delete_segment": {
        "POST": row("/customers/segments/{segment_del_web}/delete", LOGIN, 303, 303, NOPE, NOPE,
                    NOPE, GONE, probe="segment_del_web"),
    },
    # The duplicate check: customers.create or customers.edit (the viewer has neither).
    "customers.duplicate_panel": {
        "GET": row("/customers/duplicates?name=Acme", LOGIN, 200, 200, 200, 200, NOPE, 200),
    },
    # Pool rules (settings.manage; B's owner sets B's own rules) and revealing a masked pool
    # customer (anyone who sees it; nothing is recorded while nothing is masked).
    "settings.pool_rules": {
        "GET": row("/settings/pool", LOGIN, 200, 200, NOPE, NOPE, NOPE, 200),
        "POST": row("/settings/pool", LOGIN, 303, 303, NOPE, NOPE, NOPE, 303, data={
            "followup_days": "30", "warn_days": "3", "max_owned": "500"}),
    },
    "customers.reveal": {
        "POST": row("/customers/{pool_web}/reveal", LOGIN, 303, 303, 303, 303, 303, GONE,
                    probe="pool_web"),
    },
    # Notes and the history tab: reading needs sight of the customer, writing may_edit (the
    # viewer sees all, changes nothing); a note is changed by its author or an administrator
    # (customers.delete): the target wrote {note} and {note_del}.
    "customers.history_more": {
        "GET": row("/customers/{customer}/history/more", LOGIN, 200, 200, GONE, GONE, 200, GONE,
                   probe="customer"),
    },
    "customers.add_note": {
        "POST": row("/customers/{customer}/notes", LOGIN, 303, 303, GONE, GONE, NOPE, GONE,
                    probe="customer", data={"text": "Note by {actor}"}),
    },
    "customers.edit_note": {
        "GET": row("/notes/{note}/edit", LOGIN, 200, 200, GONE, GONE, NOPE, GONE, probe="note"),
        "POST": row("/notes/{note}/edit", LOGIN, 303, 303, GONE, GONE, NOPE, GONE, probe="note",
                    data={"text": "Edited by {actor}"}),
    },
    "customers.delete_note": {
        "POST": row("/notes/{note_del_web}/delete", LOGIN, 303, 303, GONE, GONE, NOPE, GONE,
                    probe="note_del_web"),
    },
    # Files: read with sight of the customer, written with may_edit; the target uploaded
    # {attachment} and the ones to delete.
    "customers.upload_attachment": {
        "POST": row("/customers/{customer}/attachments", LOGIN, 303, 303, GONE, GONE, NOPE, GONE,
                    probe="customer", data=_upload),
    },
    "customers.download_attachment": {
        "GET": row("/attachments/{attachment}", LOGIN, 200, 200, GONE, GONE, 200, GONE,
                   probe="attachment"),
    },
    "customers.delete_attachment": {
        "POST": row("/attachments/{att_del_web}/delete", LOGIN, 303, 303, GONE, GONE, NOPE, GONE,
                    probe="att_del_web"),
    },
    # --- API: bearer tokens only --------------------------------------------------------------
    "api.list_customers": {
        "GET": row("/api/v1/customers", 401, 200, 200, 200, 200, 200, 200),
        "GET all": row("/api/v1/customers?view=all", 401, 200, 200, NOPE, NOPE, 200, 200),
        "GET shared": row("/api/v1/customers?view=shared", 401, 200, 200, 200, 200, 200, 200),
        "GET subordinates": row("/api/v1/customers?view=subordinates", 401, 200, 200, 200, NOPE,
                                NOPE, 200),
        "GET segment": row("/api/v1/customers?segment={segment}", 401, 200, 200, 200, 200, 200,
                           GONE, probe="segment"),
        "GET private segment": row("/api/v1/customers?segment={segment_private}", 401, GONE,
                                   GONE, GONE, GONE, GONE, GONE, probe="segment_private"),
    },
    "api.customer_values": {
        "GET": row("/api/v1/customers/values?field=city", 401, 200, 200, 200, 200, 200, 200),
        "GET all": row("/api/v1/customers/values?field=city&view=all", 401, 200, 200, NOPE,
                       NOPE, 200, 200),
    },
    "api.create_customer": {
        "POST": row("/api/v1/customers", 401, 201, 201, 201, 201, NOPE, 201,
                    json={"name": "API customer of {actor}"}),
    },
    "api.get_customer": {
        "GET": row("/api/v1/customers/{customer}", 401, 200, 200, GONE, GONE, 200, GONE,
                   probe="customer"),
    },
    "api.claim_customer": {
        "POST": row("/api/v1/customers/{pool_api}/claim", 401, 200, 200, 200, 200, NOPE, GONE,
                    probe="pool_api"),
    },
    # Returning: the owner, a manager above the owner, or customers.assign.
    "api.return_customer": {
        "POST": row("/api/v1/customers/{cust_return}/return", 401, 200, 200, GONE, GONE, NOPE,
                    GONE, probe="cust_return", json={"reason": "No budget"}),
    },
    "api.assign_customer": {
        "POST": row("/api/v1/customers/{cust_assign}/assign", 401, 200, 200, GONE, NOPE, NOPE,
                    GONE, probe="cust_assign", json={"user_id": "{owner}"}),
    },
    "api.update_customer": {
        "PATCH": row("/api/v1/customers/{cust_edit}", 401, 200, 200, GONE, GONE, NOPE, GONE,
                     probe="cust_edit", json={"city": "Tirana"}),
    },
    "api.delete_customer": {
        "DELETE": row("/api/v1/customers/{cust_delete_api}", 401, 204, 204, NOPE, NOPE, NOPE,
                      GONE, probe="cust_delete_api"),
    },
    "api.restore_customer": {
        "POST": row("/api/v1/customers/{cust_trashed_api}/restore", 401, 200, 200, NOPE, NOPE,
                    NOPE, GONE, probe="cust_trashed_api"),
    },
    "api.list_customer_shares": {
        "GET": row("/api/v1/customers/{cust_share}/shares", 401, 200, 200, GONE, GONE, 200, GONE,
                   probe="cust_share"),
    },
    "api.share_customer": {
        "POST": row("/api/v1/customers/{cust_share_api}/share", 401, 200, 200, GONE, GONE, NOPE,
                    GONE, probe="cust_share_api",
                    json={"user_ids": ["{owner}"], "access": "write"}),
    },
    "api.unshare_customer": {
        "POST": row("/api/v1/customers/{cust_share_api}/unshare", 401, 200, 200, GONE, GONE, NOPE,
                    GONE, probe="cust_share_api", json={"user_ids": ["{owner}"]}),
    },
    "api.reclaim_customer": {
        "POST": row("/api/v1/customers/{cust_reclaim_api}/reclaim", 401, 200, 200, GONE, GONE,
                    NOPE, GONE, probe="cust_reclaim_api", json={"to": "me"}),
    },
    "api.lock_customer": {
        "POST": row("/api/v1/customers/{cust_lock_api}/lock", 401, 200, 200, GONE, GONE, NOPE,
                    GONE, probe="cust_lock_api"),
    },
    "api.unlock_customer": {
        "POST": row("/api/v1/customers/{cust_lock_api}/unlock", 401, 200, 200, GONE, GONE, NOPE,
                    GONE, probe="cust_lock_api"),
    },
    "api.list_all_contacts": {
        "GET": row("/api/v1/contacts", 401, 200, 200, 200, 200, 200, 200),
        "GET search": row("/api/v1/contacts?q=li&limit=5", 401, 200, 200, 200, 200, 200, 200),
        "GET all": row("/api/v1/contacts?view=all", 401, 200, 200, NOPE, NOPE, 200, 200),
        "GET pool": row("/api/v1/contacts?view=pool", 401, 200, 200, 200, 200, NOPE, 200),
    },
    "api.list_contacts": {
        "GET": row("/api/v1/customers/{customer}/contacts", 401, 200, 200, GONE, GONE, 200, GONE,
                   probe="customer"),
    },
    "api.create_contact": {
        "POST": row("/api/v1/customers/{customer}/contacts", 401, 201, 201, GONE, GONE, NOPE,
                    GONE, probe="customer", json={"name": "API contact of {actor}"}),
    },
    "api.get_contact": {
        "GET": row("/api/v1/contacts/{contact}", 401, 200, 200, GONE, GONE, 200, GONE,
                   probe="contact"),
    },
    "api.update_contact": {
        "PATCH": row("/api/v1/contacts/{contact}", 401, 200, 200, GONE, GONE, NOPE, GONE,
                     probe="contact", json={"position": "Changed by {actor}"}),
    },
    "api.contact_vcard": {
        "GET": row("/api/v1/contacts/{contact}.vcf", 401, 200, 200, GONE, GONE, 200, GONE,
                   probe="contact"),
    },
    "api.delete_contact": {
        "DELETE": row("/api/v1/contacts/{contact}", 401, 204, 204, GONE, GONE, NOPE, GONE,
                      probe="contact"),
    },
    "api.batch_customers": {
        "POST": row("/api/v1/customers/batch", 401, 200, 200, 200, 200, NOPE, 200,
                    json={"action": "claim", "ids": ["{pool_batch}"]}),
        # over a segment: the rep's shared one runs as each caller (their own "mine")
        "POST segment": row("/api/v1/customers/batch", 401, 200, 200, 200, 200, NOPE, GONE,
                            json={"action": "claim", "segment": "{segment}"}, probe="segment"),
    },
    # Segments: a shared one is seen and run by all of A, changed by its creator (the rep who
    # is not one of the callers) or an admin only; a private one is nobody else's (404).
    "api.list_segments": {
        "GET": row("/api/v1/segments", 401, 200, 200, 200, 200, 200, 200),
    },
    "api.create_segment": {
        "POST": row("/api/v1/segments", 401, 201, 201, 201, 201, 201, 201,
                    json={"name": "Segment of {actor}", "q": "tirana"}),
    },
    "api.get_segment": {
        "GET": row("/api/v1/segments/{segment}", 401, 200, 200, 200, 200, 200, GONE,
                   probe="segment"),
        "GET private": row("/api/v1/segments/{segment_private}", 401, GONE, GONE, GONE, GONE,
                           GONE, GONE, probe="segment_private"),
    },
    "api.update_segment": {
        "PATCH": row("/api/v1/segments/{segment}", 401, 200, 200, NOPE, NOPE, NOPE, GONE,
                     probe="segment", json={"name": "Renamed by {actor}"}),
        "PATCH private": row("/api/v1/segments/{segment_private}", 401, GONE, GONE, GONE,
                             GONE, GONE, GONE, probe="segment_private", json={"shared": True}),
    },
    "api.delete_segment": {
        "DELETE": row("/api/v1/segments/{segment_del}", 401, 204, 204, NOPE, NOPE, NOPE, GONE,
                      probe="segment_del"),
    },
    "api.segment_customers": {
        "GET": row("/api/v1/segments/{segment}/customers", 401, 200, 200, 200, 200, 200, GONE,
                   probe="segment"),
        "GET private": row("/api/v1/segments/{segment_private}/customers", 401, GONE, GONE,
                           GONE, GONE, GONE, GONE, probe="segment_private"),
    },
    "api.find_duplicates": {
        "GET": row("/api/v1/duplicates?name=Acme", 401, 200, 200, 200, 200, NOPE, 200),
    },
    "api.get_pool_rules": {
        "GET": row("/api/v1/pool-rules", 401, 200, 200, NOPE, NOPE, NOPE, 200),
    },
    "api.put_pool_rules": {
        "PUT": row("/api/v1/pool-rules", 401, 200, 200, NOPE, NOPE, NOPE, 200,
                   json={"followup_days": 30, "max_claims_per_day": 5}),
    },
    "api.reveal_customer": {
        "POST": row("/api/v1/customers/{pool_api}/reveal", 401, 200, 200, 200, 200, 200, GONE,
                    probe="pool_api"),
    },
    "api.list_notes": {
        "GET": row("/api/v1/customers/{customer}/notes", 401, 200, 200, GONE, GONE, 200, GONE,
                   probe="customer"),
    },
    "api.add_note": {
        "POST": row("/api/v1/customers/{customer}/notes", 401, 201, 201, GONE, GONE, NOPE, GONE,
                    probe="customer", json={"text": "API note by {actor}"}),
    },
    "api.edit_note": {
        "PATCH": row("/api/v1/notes/{note}", 401, 200, 200, GONE, GONE, NOPE, GONE,
                     probe="note", json={"text": "API edit by {actor}"}),
    },
    "api.delete_note": {
        "DELETE": row("/api/v1/notes/{note_del_api}", 401, 204, 204, GONE, GONE, NOPE, GONE,
                      probe="note_del_api"),
    },
    "api.list_attachments": {
        "GET": row("/api/v1/customers/{customer}/attachments", 401, 200, 200, GONE, GONE, 200,
                   GONE, probe="customer"),
    },
    "api.upload_attachment": {
        "POST": row("/api/v1/customers/{customer}/attachments", 401, 201, 201, GONE, GONE, NOPE,
                    GONE, probe="customer", data=_upload),
    },
    "api.download_attachment": {
        "GET": row("/api/v1/attachments/{attachment}", 401, 200, 200, GONE, GONE, 200, GONE,
                   probe="attachment"),
    },
    "api.delete_attachment": {
        "DELETE": row("/api/v1/attachments/{att_del_api}", 401, 204, 204, GONE, GONE, NOPE, GONE,
                      probe="att_del_api"),
    },
    # Printouts: a sheet is the card on paper (same callers as the card); a batch's PDF is its
    # creator's (the owner) and view_all holders' (admin, viewer), like its job.
    "printouts.sheet": {
        "GET": row("/customers/{customer}/sheet.pdf", LOGIN, 200, 200, GONE, GONE, 200, GONE,
                   probe="customer"),
    },
    "api.customer_sheet": {
        "GET": row("/api/v1/customers/{customer}/sheet.pdf", 401, 200, 200, GONE, GONE, 200,
                   GONE, probe="customer"),
    },
    "printouts.list_pdf": {
        "GET": row("/customers/list.pdf", LOGIN, 200, 200, 200, 200, 200, 200),
    },
    "printouts.download": {
        "GET": row("/printouts/{printout}.pdf", LOGIN, 200, 200, GONE, GONE, 200, GONE,
                   probe="printout"),
    },
    "api.create_printout": {
        # anyone may print; ids they cannot see are skipped by the job (B's job finds nothing)
        "POST": row("/api/v1/printouts", 401, 202, 202, 202, 202, 202, 202,
                    json={"customer_ids": ["{customer}"]}),
    },
    "api.get_printout": {
        "GET": row("/api/v1/printouts/{printout}", 401, 200, 200, GONE, GONE, 200, GONE,
                   probe="printout"),
    },
    "api.printout_pdf": {
        "GET": row("/api/v1/printouts/{printout}.pdf", 401, 200, 200, GONE, GONE, 200, GONE,
                   probe="printout"),
    },
    # Exports: customers.export (owner, admin, manager); the file is its creator's (the owner)
    # and view_all holders' who may also export (admin; the viewer sees the job, not the file).
    "exports.new": {
        "GET": row("/customers/export?view=mine", LOGIN, 200, 200, 200, NOPE, NOPE, 200),
        "POST": row("/customers/export", LOGIN, 303, 303, 303, NOPE, NOPE, 303,
                    data={"view": "mine", "format": "csv", "contacts": "none"}),
    },
    "exports.download": {
        "GET": row("/exports/{export}/download", LOGIN, 200, 200, GONE, GONE, NOPE, GONE,
                   probe="export"),
    },
    "api.create_export": {
        "POST": row("/api/v1/exports", 401, 201, 201, 201, NOPE, NOPE, 201,
                    json={"view": "mine", "format": "csv"}),
    },
    "api.get_export": {
        "GET": row("/api/v1/exports/{export}", 401, 200, 200, GONE, GONE, 200, GONE,
                   probe="export"),
    },
    "api.export_download": {
        "GET": row("/api/v1/exports/{export}/download", 401, 200, 200, GONE, GONE, NOPE, GONE,
                   probe="export"),
    },
    # Backups: the owner's only (an admin holds every permission but billing, not this);
    # tenant B's owner reaches its own (empty) list and gets 404 for A's backup.
    "backups.index": {
        "GET": row("/settings/backups", LOGIN, 200, NOPE, NOPE, NOPE, NOPE, 200),
    },
    "backups.create": {
        "POST": row("/settings/backups", LOGIN, 303, NOPE, NOPE, NOPE, NOPE, 303, data={}),
    },
    "backups.save_weekly": {
        "POST": row("/settings/backups/weekly", LOGIN, 303, NOPE, NOPE, NOPE, NOPE, 303,
                    data={"weeks": "2"}),
    },
    "backups.download": {
        "GET": row("/settings/backups/{backup}.zip", LOGIN, 200, NOPE, NOPE, NOPE, NOPE, GONE,
                   probe="backup"),
    },
    # Restore goes into an empty company only: A and (by then) B have customers (409).
    "backups.restore": {
        "POST": row("/settings/backups/restore", LOGIN, 409, NOPE, NOPE, NOPE, NOPE, 409,
                    data=_not_a_backup),
    },
    "api.create_backup": {
        "POST": row("/api/v1/backups", 401, 202, NOPE, NOPE, NOPE, NOPE, 202),
    },
    "api.list_backups": {
        "GET": row("/api/v1/backups", 401, 200, NOPE, NOPE, NOPE, NOPE, 200),
    },
    "api.get_backup": {
        "GET": row("/api/v1/backups/{backup}", 401, 200, NOPE, NOPE, NOPE, NOPE, GONE,
                   probe="backup"),
    },
    "api.download_backup": {
        "GET": row("/api/v1/backups/{backup}/download", 401, 200, NOPE, NOPE, NOPE, NOPE, GONE,
                   probe="backup"),
    },
    "api.restore_backup": {
        "POST": row("/api/v1/backups/restore", 401, 409, NOPE, NOPE, NOPE, NOPE, 409,
                    data=_not_a_backup),
    },
    # Imports: import.run (owner, admin); a run is its creator's (the owner) and view_all
    # holders' who may also import (admin). Tenant B's owner may import into B: A's runs are
    # 404 to them, like a run that does not exist.
    "imports.index": {
        "GET": row("/imports", LOGIN, 200, 200, NOPE, NOPE, NOPE, 200),
    },
    "imports.upload": {
        "POST": row("/imports", LOGIN, 303, 303, NOPE, NOPE, NOPE, 303, data=_table),
    },
    "imports.template": {
        "GET": row("/imports/template.xlsx", LOGIN, 200, 200, NOPE, NOPE, NOPE, 200),
    },
    "imports.mapping": {
        "GET": row("/imports/{import_new}/mapping", LOGIN, 200, 200, NOPE, NOPE, NOPE, GONE,
                   probe="import_new"),
    },
    "imports.start": {
        "POST": row("/imports/{import_new}/mapping", LOGIN, 303, 303, NOPE, NOPE, NOPE, GONE,
                    probe="import_new", data={
                        **{f"map-{i}": t for i, t in IMPORT_MAPPING.items()},
                        "duplicates": "skip", "update_mode": "empty_only", "owner": "me"}),
    },
    "imports.show": {
        "GET": row("/imports/{import_done}", LOGIN, 200, 200, NOPE, NOPE, NOPE, GONE,
                   probe="import_done"),
    },
    "imports.rejected": {
        "GET": row("/imports/{import_done}/rejected.xlsx", LOGIN, 200, 200, NOPE, NOPE, NOPE,
                   GONE, probe="import_done"),
    },
    "imports.undo": {
        "POST": row("/imports/{import_undo_web}/undo", LOGIN, 303, 303, NOPE, NOPE, NOPE, GONE,
                    probe="import_undo_web", data={}),
    },
    "api.import_targets": {
        "GET": row("/api/v1/imports/targets", 401, 200, 200, NOPE, NOPE, NOPE, 200),
    },
    "api.upload_import": {
        "POST": row("/api/v1/imports", 401, 201, 201, NOPE, NOPE, NOPE, 201, data=_table),
    },
    "api.list_imports": {
        "GET": row("/api/v1/imports", 401, 200, 200, NOPE, NOPE, NOPE, 200),
    },
    "api.get_import": {
        "GET": row("/api/v1/imports/{import_done}", 401, 200, 200, NOPE, NOPE, NOPE, GONE,
                   probe="import_done"),
    },
    "api.run_import": {
        "POST": row("/api/v1/imports/{import_new_api}/run", 401, 202, 202, NOPE, NOPE, NOPE,
                    GONE, probe="import_new_api", json={"mapping": IMPORT_MAPPING}),
    },
    "api.import_rejected": {
        "GET": row("/api/v1/imports/{import_done}/rejected.xlsx", 401, 200, 200, NOPE, NOPE,
                   NOPE, GONE, probe="import_done"),
    },
    "api.undo_import": {
        "POST": row("/api/v1/imports/{import_undo_api}/undo", 401, 202, 202, NOPE, NOPE, NOPE,
                    GONE, probe="import_undo_api"),
    },
    "api.get_job_status": {
        "GET": row("/api/v1/jobs/{job}", 401, 200, 200, GONE, GONE, GONE, GONE, probe="job"),
    },
    "api.me": {"GET": row("/api/v1/me", 401, 200, 200, 200, 200, 200, 200)},
    "api.list_users": {"GET": row("/api/v1/users", 401, 200, 200, NOPE, NOPE, NOPE, 200)},
    "api.create_invitation": {
        # The role is A's custom role, by id: B must not be able to hand it out.
        "POST": row("/api/v1/invitations", 401, 201, 201, NOPE, NOPE, NOPE, 422, json={
            "email": "api-{actor}@invitee.example.com", "role": "{role!s}"}),
    },
    "api.patch_user": {
        "PATCH": row("/api/v1/users/{target}", 401, 200, 200, NOPE, NOPE, NOPE, GONE,
                     probe="target", json={"role": "admin", "active": False}),
        # {subject} is the caller's own tenant's user (B's owner for B): pointing it at A's
        # user as its manager must be refused like a user that does not exist.
        "PATCH foreign manager": row("/api/v1/users/{subject}", 401, 200, 200, NOPE, NOPE, NOPE,
                                     422, json={"manager_id": "{owner}"}),
    },
    # --- last: logging out ----------------------------------------------------------------------
    "auth.logout": {
        "POST": row("/logout", LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, ends_session=True),
    },
}
# fmt: on

#: Every name a CSRF field may have (forms with a prefix name theirs ``<prefix>-csrf_token``).
CSRF_FIELDS = (
    "csrf_token",
    *(f"{p}-csrf_token" for p in ("company", "logo", "smtp", "profile", "password")),
)
#: Nothing of tenant A may appear in a response to tenant B.
A_MARKER = re.compile(r"\bacme\b", re.IGNORECASE)
MISSING_ID = 987_654
#: Columns that change on every login or API call: not data an attacker could change.
VOLATILE = {"last_login_at", "last_used_at", "seat_lock"}


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


PNG = _png()


# --- fixtures --------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _unthrottled(app):
    """No login throttling: hundreds of requests come from one IP and a few accounts.

    The matrix is about who may do what, not about rate limits (they have their own tests).
    """
    keys = ("LOGIN_RATE_LIMIT", "ACCOUNT_RATE_LIMIT", "SIGNUP_RATE_LIMIT")
    saved = {k: app.config[k] for k in keys}
    app.config.update(dict.fromkeys(keys, "10000 per minute"))
    yield
    app.config.update(saved)


# --- the world -------------------------------------------------------------------------------


@dataclass
class World:
    a_tenant: int
    ids: dict[str, Any]  # tenant A's objects, by placeholder name
    emails: dict[str, str]  # actor → login email
    bearers: dict[str, str]  # actor → API token secret
    b_owner: int  # tenant B's owner's user id


def _in_tenant(app, tenant_id: int, fn: Callable[[], Any]) -> Any:
    with app.test_request_context("/"):
        enter_tenant(tenant_id)
        result = fn()
        db.session.commit()
        return result


def _signup_token(email: str) -> str:
    data = {"c": "Initech", "n": "Peter", "e": email, "l": "en", "z": None, "h": "x"}
    return auth_service.signer("signup").dumps(data)


def _segments_of(rep: User) -> dict[str, int]:
    """Segments of tenant A's rep: one shared, one private, one shared to be deleted."""
    from saas.customers import segments

    def seg(name: str, shared: bool) -> int:
        return segments.create_segment(actor=rep, name=name, shared=shared, q="acme").id

    return {
        "segment": seg("Acme shared segment", True),
        "segment_private": seg("Acme private segment", False),
        "segment_del": seg("Acme segment to delete", True),
        "segment_del_web": seg("Acme segment to delete on the web", True),
    }


def build_world(app) -> World:
    """Tenant A (Business plan) with one member per built-in role, and tenant B."""
    a = make_company(app, "Acme", plan="business")
    b = make_company(app, "Globex", plan="business")
    for role in A_ROLES[1:]:
        add_member(app, a, role)
    target = add_member(app, a, "sales", email="target@acme.example.com")
    members = {role: a.members[role] for role in A_ROLES}

    def objects_of_a() -> dict[str, Any]:
        owner = db.session.get(User, a.owner.id)
        role = roles_service.create_role(
            actor=owner, name="Acme Auditors", permissions=["audit.view"]
        )
        temp = roles_service.create_role(actor=owner, name="Acme Temps", permissions=[])
        keep = users_service.invite(actor=owner, email="keep@invitee.example.com", role="sales")
        revoke = users_service.invite(
            actor=owner, email="revoke@invitee.example.com", role="viewer"
        )
        token, _secret = tokens.create_token(actor=owner, name="spare")
        auth_service.request_password_reset(email=target.email)
        from saas.settings.service import set_logo

        set_logo(actor=owner, data=PNG)
        db.session.flush()
        reset_mail = db.session.scalar(
            select(MailMessage).where(MailMessage.kind == "password_reset")
        )
        message = db.session.scalar(
            select(MailMessage).where(MailMessage.to_addr == "keep@invitee.example.com")
        )
        lost = db.session.scalar(
            select(MailMessage).where(MailMessage.to_addr == "revoke@invitee.example.com")
        )
        lost.status = "interrupted"  # its worker died mid-delivery: a person may resend it
        tracked = progress.create_job("mail.resend_failed", actor=owner, total=1)
        printout = _printout(owner)
        export = _export(owner)
        backup = _backup(owner)
        rep = db.session.get(User, target.id)

        def customer(name: str, owner_id: Any = customers_service.ME) -> int:
            return customers_service.create_customer(actor=rep, name=name, owner_id=owner_id).id

        def trashed(name: str) -> int:
            cid = customer(name)
            customers_sharing.trash(actor=owner, customer_id=cid)
            return cid

        cust = customer("Acme client")
        cust = client_id = customer("Acme client")
        contact = contacts_service.create_contact(
            actor=rep, customer_id=client_id, name="Li Wei", phones=[{"number": "+8613800138000"}]
        )
        contact2 = contacts_service.create_contact(actor=rep, customer_id=client_id, name="Wang")
        contact_del = contacts_service.create_contact(actor=rep, customer_id=client_id, name="Zhao")
        contacts_service.set_photo(actor=rep, contact_id=contact.id, data=PNG)
        relation = contacts_service.add_relation(
            actor=rep, contact_id=contact.id, other_id=contact2.id, kind="colleague of"
        )

        def note(text: str) -> int:
            return notes.add_note(actor=rep, customer_id=cust, text=text).id

        def attach(name: str) -> int:
            return attachments.upload_attachment(
                actor=rep, customer_id=cust, filename=name, data=PDF
            ).id

        return {
            "owner": a.owner.id,
            "tenant_a": a.tenant_id,
            "target": target.id,
            "role": role.id,
            "temp_role": temp.id,
            "sales_role": roles_service.find_role("sales").id,
            "admin_role": roles_service.find_role("admin").id,
            "owner_role": roles_service.find_role("owner").id,
            "inv_keep": keep.id,
            "inv_revoke": revoke.id,
            "invite_token": urlsplit(users_service.invitation_url(keep)).path.rsplit("/", 1)[1],
            "signup_token": _signup_token("new@initech.example.com"),
            "used_signup_token": _signup_token(target.email),
            "reset_token": re.search(r"/password/reset/([\w.\-]+)", reset_mail.body_text).group(1),
            "token": token.id,
            "message": message.id,
            "lost_message": lost.id,
            "job": tracked.id,
            "printout": printout.id,
            "export": export.id,
            "backup": backup.id,
            "contact": contact.id,
            "contact2": contact2.id,
            "contact_del": contact_del.id,
            "relation": relation.id,
            "customer": cust,
            "note": note("Acme note"),
            "note_del_web": note("Acme note to delete on the web"),
            "note_del_api": note("Acme note to delete through the API"),
            "attachment": attach("acme-offer.pdf"),
            "att_del_web": attach("acme-old-web.pdf"),
            "att_del_api": attach("acme-old-api.pdf"),
            "pool_web": customer("Acme pool web", None),
            "pool_api": customer("Acme pool api", None),
            "cust_return": customer("Acme client to return"),
            "cust_assign": customer("Acme client to assign"),
            "cust_edit": customer("Acme client to edit"),
            "cust_return_web": customer("Acme client to return (web)"),
            "cust_assign_web": customer("Acme client to assign (web)"),
            "cust_reclaim": customer("Acme client to reclaim"),
            "cust_reclaim_api": customer("Acme client to reclaim (API)"),
            "cust_lock": customer("Acme client to lock"),
            "cust_lock_api": customer("Acme client to lock (API)"),
            "cust_share": customer("Acme client to share"),
            "cust_share_api": customer("Acme client to share (API)"),
            "cust_delete": customer("Acme client to delete"),
            "cust_delete_api": customer("Acme client to delete (API)"),
            "cust_trashed": trashed("Acme client in the trash"),
            "cust_trashed_api": trashed("Acme client in the trash (API)"),
            "list_entry": customer_lists.entries("source")[0].id,
            "custom_field": custom_fields.create_field(
                actor=owner, label="Acme contract", type="text"
            ).id,
            "pool_batch": customer("Acme pool batch", None),
            **_segments_of(rep),
        }

    ids = _in_tenant(app, a.tenant_id, objects_of_a)
    ids |= _imports(app, a.tenant_id, a.owner.id)

    def bearer(member) -> str:
        return tokens.create_token(actor=db.session.get(User, member.id), name="matrix")[1]

    bearers = {r: _in_tenant(app, a.tenant_id, lambda m=m: bearer(m)) for r, m in members.items()}
    bearers["other"] = _in_tenant(app, b.tenant_id, lambda: bearer(b.owner))
    emails = {r: m.email for r, m in members.items()} | {"other": b.owner.email}
    return World(a.tenant_id, ids, emails, bearers, b.owner.id)


def snapshot(owner_engine, tenant_id: int) -> dict[str, list]:
    """Every row of tenant A, read as the tables' owner (past the app's scoping and RLS)."""
    out = {}
    with owner_engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            if table.name == "tenants":
                where = table.c.id == tenant_id
            elif "tenant_id" in table.c:
                where = table.c.tenant_id == tenant_id
            else:
                continue
            cols = [c for c in table.c if c.name not in VOLATILE]
            out[table.name] = conn.execute(select(*cols).where(where).order_by(table.c.id)).all()
    return out


def _diff(before: dict[str, list], after: dict[str, list]) -> str:
    """The rows that appeared, changed or went away, table by table ("" if none)."""
    out = []
    for name in before:
        old, new = {repr(r) for r in before[name]}, {repr(r) for r in after[name]}
        if old != new:
            out.append(f"{name}: -{sorted(old - new)[:3]} +{sorted(new - old)[:3]}")
    return "; ".join(out)


# --- the runner ------------------------------------------------------------------------------

_LONG_TOKEN = re.compile(r"[\w.\-]{32,}")


def _normalized(resp: TestResponse) -> str:
    """The body without per-request CSRF tokens (a PDF's or a workbook's text as it reads)."""
    if resp.mimetype == "application/pdf":
        from pypdf import PdfReader

        pages = PdfReader(io.BytesIO(resp.get_data())).pages
        return "\n".join(page.extract_text() or "" for page in pages)
    if resp.mimetype == XLSX:
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(resp.get_data()), read_only=True)
        cells = (c for sheet in book for r in sheet.iter_rows(values_only=True) for c in r)
        return "\n".join(str(c) for c in cells if c is not None)
    return _LONG_TOKEN.sub("TOKEN", resp.get_data(as_text=True))


def _printout(owner: User) -> Any:
    """A finished batch printout of the owner whose PDF may still be downloaded."""
    from datetime import timedelta

    from saas.printouts import service as printouts
    from saas.progress.models import JobStatus
    from saas.storage import get_storage, unique_key
    from saas.utils import utcnow

    record = progress.create_job(printouts.KIND, actor=owner, total=1)
    key = get_storage().put(owner.tenant_id, unique_key("printouts/batch", "pdf"), PDF)
    until = utcnow() + timedelta(hours=1)
    record.status, record.done = JobStatus.SUCCEEDED, 1
    record.result = {"file": key, "count": 1, "missing": 0, "expires_at": until.isoformat()}
    return record


def _export(owner: User) -> Any:
    """A finished export of the owner whose CSV may still be downloaded."""
    from datetime import timedelta

    from saas.exports import service as exports
    from saas.progress.models import JobStatus
    from saas.storage import get_storage, unique_key
    from saas.utils import utcnow

    record = progress.create_job(exports.KIND, actor=owner, total=1)
    key = get_storage().put(
        owner.tenant_id, unique_key("exports/customers", "csv"), b"\xef\xbb\xbfNo.\r\n1\r\n"
    )
    until = utcnow() + timedelta(hours=1)
    record.status, record.done = JobStatus.SUCCEEDED, 1
    record.result = {
        "file": key,
        "count": 1,
        "contacts": 0,
        "format": "csv",
        "name": "customers.csv",
        "expires_at": until.isoformat(),
    }
    return record


def _backup(owner: User) -> Any:
    """A finished backup of the owner's company whose zip may still be downloaded."""
    from datetime import timedelta

    from saas.backups.models import Backup
    from saas.progress.models import JobStatus
    from saas.storage import get_storage, unique_key
    from saas.utils import utcnow

    key = get_storage().put(owner.tenant_id, unique_key("backups/backup", "zip"), b"PK zip")
    backup = Backup(
        created_by_id=owner.id,
        status=JobStatus.SUCCEEDED,
        storage_key=key,
        size=6,
        expires_at=utcnow() + timedelta(hours=1),
    )
    db.session.add(backup)
    db.session.flush()
    return backup


def _a_table(name: str) -> bytes:
    """A's table: one new customer and a row without a name (rejected.xlsx has a row)."""
    return f"Company,City\r\nAcme client from {name},Tirana\r\n,Durres\r\n".encode()


FINISHED_RUNS = ("import_done", "import_undo_web", "import_undo_api")


def _imports(app, tenant_id: int, owner_id: int) -> dict[str, int]:
    """Import runs of A's owner, uploaded and started through the service, the started ones
    run to the end by a real RQ worker: two new ones (to start on the web and through the API)
    and three finished ones (to read, and to undo on the web and through the API)."""
    from saas.imports import service as imports
    from saas.imports.models import ImportRun, ImportStatus

    def runs() -> dict[str, int]:
        owner = db.session.get(User, owner_id)

        def new(name: str) -> int:
            return imports.upload(actor=owner, filename=name, data=_a_table(name)).run.id

        def started(name: str) -> int:
            run_id = new(name)
            imports.start(actor=owner, run_id=run_id, mapping=IMPORT_MAPPING, owner="me")
            return run_id

        return {
            "import_new": new("acme-new.csv"),
            "import_new_api": new("acme-new-api.csv"),
            "import_done": started("acme-done.csv"),
            "import_undo_web": started("acme-undo-web.csv"),
            "import_undo_api": started("acme-undo-api.csv"),
        }

    ids = _in_tenant(app, tenant_id, runs)
    run_jobs(app, queues=("default",))

    def statuses() -> list[tuple[str, int, int]]:
        finished = (db.session.get(ImportRun, ids[k]) for k in FINISHED_RUNS)
        return [(run.status, run.created, run.rejected) for run in finished]

    assert _in_tenant(app, tenant_id, statuses) == [(ImportStatus.DONE, 1, 1)] * 3
    return ids


def _fill(value: Any, fmt: dict[str, Any], *, json: bool = False) -> Any:
    if isinstance(value, str):
        whole = re.fullmatch(r"\{(\w+)\}", value)
        if json and whole and isinstance(fmt.get(whole[1]), int):
            return fmt[whole[1]]  # an id stays a JSON number: the API takes no "5" for 5
        return value.format(**fmt)
    if isinstance(value, list):
        return [_fill(v, fmt, json=json) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, fmt, json=json) for k, v in value.items()}
    return value


@dataclass
class Caller:
    """One actor's browser (cookie session) and bearer token, and what went wrong for them."""

    app: Any
    owner_engine: Any
    world: World
    actor: str
    failures: list[str] = field(default_factory=list)
    #: Tenant A's data as last read, while no unchecked request has run since (saves a read).
    _known: dict | None = None

    def __post_init__(self) -> None:
        self.client = self.app.test_client()
        self.bearer = self.world.bearers.get(self.actor)
        self.log_in()

    @property
    def logged_in(self) -> bool:
        return self.actor != "anon"

    def log_in(self) -> None:
        self._known = None
        if self.logged_in:
            resp = login(self.client, self.world.emails[self.actor])
            assert resp.status_code == 303, f"{self.actor} cannot log in: {resp.status_code}"
            self.csrf = csrf(self.client, "/settings/profile")
        else:
            self.csrf = csrf(self.client, "/login")

    def snapshot(self, *, keep: bool = False) -> dict:
        """Tenant A's data now; ``keep`` it as known until the next request."""
        data = (
            self._known
            if self._known is not None
            else snapshot(self.owner_engine, self.world.a_tenant)
        )
        self._known = data if keep else None
        return data

    def drop_flashes(self) -> None:
        with self.client.session_transaction() as session:
            session.pop("_flashes", None)

    def fail(self, what: str, message: str) -> None:
        self.failures.append(f"{what} as {self.actor}: {message}")

    # -- one request --

    def send(
        self,
        method: str,
        case: Case,
        *,
        ids: dict | None = None,
        with_csrf: bool = True,
        with_bearer: bool = True,
        headers: dict[str, str] | None = None,
    ) -> TestResponse:
        self._known = None  # whatever this request does, what we knew is stale
        ids = self.world.ids if ids is None else ids
        fmt = {
            **ids,
            "actor": self.actor,
            # anon tries someone else's account with a wrong password
            "email": self.world.emails.get(self.actor, "target@acme.example.com"),
            "subject": self.world.b_owner if self.actor == "other" else ids["target"],
            "password": PASSWORD if self.logged_in else "wrong password",
        }
        kwargs: dict[str, Any] = {"method": method, "headers": dict(headers or {})}
        if case.api:
            if with_bearer and self.bearer:
                kwargs["headers"]["Authorization"] = f"Bearer {self.bearer}"
            if case.json is not None:
                kwargs["json"] = _fill(case.json, fmt, json=True)
            elif case.data is not None:  # multipart (an upload)
                data = case.data(Ctx(self.actor, ids)) if callable(case.data) else case.data
                kwargs["data"] = _fill(dict(data), fmt)
        elif method != "GET":
            data = case.data(Ctx(self.actor, ids)) if callable(case.data) else case.data
            data = _fill(dict(data or {}), fmt)
            if with_csrf:
                data.update(dict.fromkeys(CSRF_FIELDS, self.csrf))
            kwargs["data"] = data
        return self.client.open(case.url.format(**fmt), **kwargs)

    def check(
        self,
        what: str,
        method: str,
        case: Case,
        expected: Expect,
        *,
        must_not_change: bool,
        **send_kw: Any,
    ) -> TestResponse | None:
        before = self.snapshot() if must_not_change else None
        resp = self.send(method, case, **send_kw)
        ok = (
            expected.matches(resp)
            if isinstance(expected, Redirect)
            else (resp.status_code == expected)
        )
        if not ok:
            got = f"{resp.status_code} {resp.headers.get('Location', '')}".strip()
            body = resp.get_data(as_text=True)
            hint = re.search(r'role="alert"[^>]*>\s*<p>([^<]*)', body)
            extra = f" ({hint.group(1).strip()})" if hint else ""
            if case.api and resp.is_json:
                extra = f" {resp.get_json()}"
            self.fail(what, f"expected {expected}, got {got}{extra}")
        self._check_body(what, case, resp)
        if before is not None:
            changed = _diff(before, self.snapshot(keep=True))
            if changed:
                self.fail(what, f"tenant A's data changed: {changed}")
        return resp

    def _check_body(self, what: str, case: Case, resp: TestResponse) -> None:
        status = resp.status_code
        if status >= 500:
            self.fail(what, f"server error {status}")
        if case.api and status >= 400:
            body = resp.get_json(silent=True)
            if not (
                isinstance(body, dict)
                and set(body) == {"error"}
                and isinstance(body["error"], dict)
                and set(body["error"]) == {"code", "message"}
                and all(isinstance(v, str) and v for v in body["error"].values())
            ):
                self.fail(what, f"API error body is not {{error: {{code, message}}}}: {body!r}")
        elif not case.api and status in (400, 403, 404) and resp.mimetype != "text/html":
            self.fail(what, f"error page is {resp.mimetype}, not HTML")
        if self.actor == "other" and not case.capability:
            text = _normalized(resp)  # a random token could spell "acme"
            if match := A_MARKER.search(text):
                snippet = text[max(0, match.start() - 60) : match.end() + 60]
                self.fail(what, f"tenant A's data shown to tenant B: …{snippet!r}…")

    # -- one row of the matrix --

    def run(self, endpoint: str, variant: str, case: Case) -> None:
        method = variant.split()[0]
        what = f"{endpoint} [{variant}] {method} {case.url}"
        expected = case.expect[self.actor]
        outsider = self.actor in ("anon", "other")
        refused = isinstance(expected, int) and expected >= 400

        if method != "GET" and not case.api:
            self.check(
                what + " without CSRF", method, case, 400, must_not_change=True, with_csrf=False
            )
        if case.api and case.expect["anon"] == 401 and self.logged_in:
            self.check(
                what + " with the cookie session only",
                method,
                case,
                401,
                must_not_change=True,
                with_bearer=False,
            )
        if expected == LOGIN and not self.logged_in:
            # htmx cannot follow a redirect into a fragment: 401 + HX-Redirect to the login page.
            before = self.snapshot()
            resp = self.send(method, case, headers={"HX-Request": "true"})
            target = urlsplit(resp.headers.get("HX-Redirect", "")).path
            if (resp.status_code, target) != (401, "/login"):
                self.fail(
                    what + " (htmx)",
                    f"expected 401 + HX-Redirect to /login, got {resp.status_code} {target!r}",
                )
            if changed := _diff(before, self.snapshot(keep=True)):
                self.fail(what + " (htmx)", f"tenant A's data changed: {changed}")

        probing = bool(case.probe) and self.actor == "other"
        if probing:
            self.drop_flashes()  # left by an earlier redirect: they would differ between the two
        resp = self.check(what, method, case, expected, must_not_change=outsider or refused)

        if probing:
            self.drop_flashes()
            ids = {**self.world.ids, case.probe: MISSING_ID}
            missing = self.send(method, case, ids=ids)
            if (missing.status_code, _normalized(missing)) != (resp.status_code, _normalized(resp)):
                self.fail(
                    what,
                    f"A's real id answers differently from a missing id "
                    f"({resp.status_code} vs {missing.status_code}): existence is revealed",
                )
        if case.ends_session and self.logged_in:
            self.log_in()


# --- tests -----------------------------------------------------------------------------------


def _routes(app) -> set[tuple[str, str]]:
    return {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


class _AnyId(dict):
    """Fills every placeholder of a URL with an id."""

    def __missing__(self, key: str) -> str:
        return "1"


def test_every_route_has_an_entry(app):
    """A new route (or a new method on one) without a row in MATRIX fails the suite."""
    routes = _routes(app)
    missing = sorted(
        f"{endpoint} {method}"
        for endpoint, method in routes
        if endpoint != "static" and method not in MATRIX.get(endpoint, {})
    )
    assert not missing, f"routes without an entry in MATRIX: {missing}"

    stale = sorted(
        f"{endpoint} [{variant}]"
        for endpoint, cases in MATRIX.items()
        for variant in cases
        if (endpoint, variant.split()[0]) not in routes
    )
    assert not stale, f"MATRIX rows for routes that do not exist: {stale}"

    # Each row's URL really reaches its endpoint (catches a typo in the table).
    adapter = app.url_map.bind("localhost")
    wrong = []
    for endpoint, cases in MATRIX.items():
        for variant, case in cases.items():
            path = urlsplit(case.url.format_map(_AnyId())).path
            try:
                got, _args = adapter.match(path, method=variant.split()[0])
            except Exception as exc:
                got = type(exc).__name__
            if got != endpoint:
                wrong.append(f"{endpoint} [{variant}] {case.url} → {got}")
            assert set(case.expect) == set(ACTORS)
    assert not wrong, wrong


@pytest.mark.parametrize("actor", ACTORS)
def test_access_matrix(app, owner_engine, actor):
    world = build_world(app)
    caller = Caller(app, owner_engine, world, actor)
    for endpoint, cases in MATRIX.items():
        for variant, case in cases.items():
            caller.run(endpoint, variant, case)
    assert not caller.failures, f"{len(caller.failures)} failures:\n" + "\n".join(caller.failures)


def test_cookie_session_does_not_authenticate_the_api(app):
    """A logged-in browser calling the API without a bearer token is anonymous there."""
    a = make_company(app, "Acme", plan="business")
    client = app.test_client()
    assert login(client, a.owner.email).status_code == 303
    assert client.get("/dashboard").status_code == 200
    resp = client.get("/api/v1/me")
    assert resp.status_code == 401
    assert set(resp.get_json()["error"]) == {"code", "message"}
    assert "Set-Cookie" not in resp.headers  # the API never starts or refreshes a session


def test_a_revoked_or_foreign_bearer_token_is_refused(app):
    """Bearer tokens: garbage, another tenant's id in the prefix, revoked → all 401."""
    a = make_company(app, "Acme", plan="business")
    b = make_company(app, "Globex", plan="business")

    def make_token() -> tuple[int, str]:
        token, secret = tokens.create_token(actor=db.session.get(User, a.owner.id), name="t")
        return token.id, secret

    token_id, secret = _in_tenant(app, a.tenant_id, make_token)
    client = app.test_client()

    def me(raw: str) -> int:
        return client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).status_code

    assert me(secret) == 200
    prefix, _tid, tok, rest = secret.split("_", 3)
    assert me(f"{prefix}_{b.tenant_id}_{tok}_{rest}") == 401  # same token, B's tenant id
    assert me("garbage") == 401
    assert me(secret[:-2] + "xx") == 401

    def revoke() -> None:
        tokens.revoke_token(actor=db.session.get(User, a.owner.id), token_id=token_id)

    _in_tenant(app, a.tenant_id, revoke)
    assert me(secret) == 401


def test_custom_role_permissions_are_honoured(app):
    """A member holding only A's custom "audit.view" role reads the audit log and nothing else."""
    a = make_company(app, "Acme", plan="business")

    def role() -> int:
        owner = db.session.get(User, a.owner.id)
        return roles_service.create_role(
            actor=owner, name="Auditors", permissions=["audit.view"]
        ).id

    _in_tenant(app, a.tenant_id, role)
    member = add_member(app, a, "Auditors", email="auditor@acme.example.com")
    client = app.test_client()
    assert login(client, member.email).status_code == 303
    assert client.get("/audit").status_code == 200
    for url in ("/users", "/roles", "/outbox", "/settings/company", "/billing"):
        assert client.get(url).status_code == 403, url


def test_deactivated_member_is_locked_out_everywhere(app):
    """Deactivation ends the member's browser session and API token at once, and login."""
    a = make_company(app, "Acme", plan="business")
    member = add_member(app, a, "admin")

    def token() -> str:
        return tokens.create_token(actor=db.session.get(User, member.id), name="t")[1]

    secret = _in_tenant(app, a.tenant_id, token)
    browser = app.test_client()
    assert login(browser, member.email).status_code == 303
    assert browser.get("/users").status_code == 200
    bearer = {"Authorization": f"Bearer {secret}"}
    assert browser.get("/api/v1/me", headers=bearer).status_code == 200

    def deactivate() -> None:
        owner = db.session.get(User, a.owner.id)
        users_service.set_active(actor=owner, user=db.session.get(User, member.id), active=False)

    _in_tenant(app, a.tenant_id, deactivate)
    assert LOGIN.matches(browser.get("/users"))
    assert browser.get("/api/v1/me", headers=bearer).status_code == 401
    assert login(browser, member.email).status_code == 403
    resp = browser.post("/api/v1/auth/token", json={"email": member.email, "password": PASSWORD})
    assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "deactivated"


def test_admin_cannot_hand_out_billing_through_a_custom_role(app, owner_engine):
    """Admins lack billing.manage (only the owner holds it); roles.manage must not get round that.

    An admin tries both ways: a new role with billing.manage given to themselves, and a role
    they hold edited to add it. Whatever is refused where, the end state must be: no role of the
    company except the owner's grants billing.manage, and the admin still gets 403 on /billing.
    """
    a = make_company(app, "Acme", plan="business")
    admin = add_member(app, a, "admin")
    client = app.test_client()
    assert login(client, admin.email).status_code == 303
    token = csrf(client, "/roles/new")

    def role_id(name: str) -> int | None:
        with owner_engine.connect() as conn:
            return conn.execute(
                select(Role.id).where(Role.tenant_id == a.tenant_id, Role.name == name)
            ).scalar()

    def give_me(name: str) -> None:
        if (rid := role_id(name)) is not None:
            client.post(
                f"/users/{admin.id}", data={"role": rid, "manager": "", "csrf_token": token}
            )

    # 1. A new role with billing.manage, given to themselves.
    client.post(
        "/roles/new",
        data={
            "name": "Boss",
            "permissions": ["billing.manage", "users.manage", "roles.manage"],
            "csrf_token": token,
        },
    )
    give_me("Boss")
    # 2. A harmless role given to themselves, then edited to add billing.manage.
    client.post(
        "/roles/new",
        data={
            "name": "Helper",
            "permissions": ["users.manage", "roles.manage"],
            "csrf_token": token,
        },
    )
    give_me("Helper")
    if (rid := role_id("Helper")) is not None:
        client.post(
            f"/roles/{rid}",
            data={
                "name": "Helper",
                "csrf_token": token,
                "permissions": ["billing.manage", "users.manage", "roles.manage"],
            },
        )

    with owner_engine.connect() as conn:
        granting = [
            name
            for key, name, perms in conn.execute(
                select(Role.key, Role.name, Role.permissions).where(Role.tenant_id == a.tenant_id)
            )
            if "billing.manage" in perms and key != "owner"
        ]
    assert granting == [], f"roles an admin made that grant billing.manage: {granting}"
    assert client.get("/billing").status_code == 403
    assert (
        client.post("/billing/plan", data={"plan": "free", "csrf_token": token}).status_code == 403
    )


def test_user_managers_cannot_hand_out_roles_stronger_than_their_own(app, owner_engine):
    """A custom "HR" role holds only users.manage: it may invite and edit users, but handing out
    the admin role (to itself, to a colleague, or to a new invitee) would give it everything.
    """
    a = make_company(app, "Acme", plan="business")

    def hr_role() -> int:
        owner = db.session.get(User, a.owner.id)
        return roles_service.create_role(actor=owner, name="HR", permissions=["users.manage"]).id

    hr_role_id = _in_tenant(app, a.tenant_id, hr_role)
    hr = add_member(app, a, "HR", email="hr@acme.example.com")
    colleague = add_member(app, a, "sales", email="sales@acme.example.com")

    def role_of(user_id: int) -> int:
        with owner_engine.connect() as conn:
            return conn.execute(select(User.role_id).where(User.id == user_id)).scalar_one()

    def admin_invitations() -> int:
        with owner_engine.connect() as conn:
            admin = select(Role.id).where(Role.tenant_id == a.tenant_id, Role.key == "admin")
            return len(
                conn.execute(select(Invitation.id).where(Invitation.role_id.in_(admin))).all()
            )

    client = app.test_client()
    assert login(client, hr.email).status_code == 303
    token = csrf(client, "/users")
    bearer = {
        "Authorization": "Bearer "
        + _in_tenant(
            app,
            a.tenant_id,
            lambda: tokens.create_token(actor=db.session.get(User, hr.id), name="t")[1],
        )
    }
    with owner_engine.connect() as conn:
        admin_id = conn.execute(
            select(Role.id).where(Role.tenant_id == a.tenant_id, Role.key == "admin")
        ).scalar_one()

    colleague_role = role_of(colleague.id)
    problems = []
    attempts = [
        (
            "form: make myself admin",
            lambda: client.post(
                f"/users/{hr.id}", data={"role": admin_id, "manager": "", "csrf_token": token}
            ),
        ),
        (
            "API: make myself admin",
            lambda: client.patch(f"/api/v1/users/{hr.id}", json={"role": "admin"}, headers=bearer),
        ),
        (
            "form: make a colleague admin",
            lambda: client.post(
                f"/users/{colleague.id}",
                data={"role": admin_id, "manager": "", "csrf_token": token},
            ),
        ),
        (
            "API: invite an admin",
            lambda: client.post(
                "/api/v1/invitations",
                json={"email": "x@invitee.example.com", "role": "admin"},
                headers=bearer,
            ),
        ),
        (
            "form: invite an admin",
            lambda: client.post(
                "/users/invite",
                data={"email": "y@invitee.example.com", "role": admin_id, "csrf_token": token},
            ),
        ),
    ]
    for what, attempt in attempts:
        status = attempt().status_code
        if status not in (403, 422):
            problems.append(f"{what}: {status}")
        if role_of(hr.id) != hr_role_id:
            problems.append(f"{what}: HR now holds another role")
        if role_of(colleague.id) == admin_id:
            problems.append(f"{what}: the colleague is now an admin")
        if admin_invitations():
            problems.append(f"{what}: an invitation as admin exists")
        # Undo whatever got through, so that each attempt is judged on its own.
        with owner_engine.begin() as conn:
            conn.execute(update(User).where(User.id == hr.id).values(role_id=hr_role_id))
            conn.execute(update(User).where(User.id == colleague.id).values(role_id=colleague_role))
            conn.execute(delete(Invitation).where(Invitation.tenant_id == a.tenant_id))
    assert not problems, "\n".join(problems)


def test_outbox_does_not_hand_an_admin_the_owners_password_reset_link(app):
    """Anyone may ask for the owner's reset mail; with no SMTP it waits in the Outbox, which
    admins read. The link in it must not be readable there, or an admin becomes the owner.
    """
    a = make_company(app, "Acme", plan="business")
    admin = add_member(app, a, "admin")
    stranger = app.test_client()
    token = csrf(stranger, "/password/forgot")
    assert (
        stranger.post(
            "/password/forgot", data={"email": a.owner.email, "csrf_token": token}
        ).status_code
        == 200
    )

    client = app.test_client()
    assert login(client, admin.email).status_code == 303
    pages = [client.get("/outbox").get_data(as_text=True)]
    for message_id in re.findall(r'href="/outbox/(\d+)"', pages[0]):
        pages.append(client.get(f"/outbox/{message_id}").get_data(as_text=True))
    leaked = [m for page in pages for m in re.findall(r"/password/reset/[\w.\-]{20,}", page)]
    assert not leaked, f"the owner's password reset link is readable by an admin: {leaked[0]}"
