"""Issue 5, findings 1 and 2: nobody routes account keys to their own server; no port scanning.

1. An admin pointed the company SMTP setting at their own server and asked for the owner's
   password reset: the link arrived there. Now account-key mail (reset, invitation) only leaves
   through the installation's server, and only the owner, re-entering their password, may change
   the company's server at all.
2. Pointing SMTP at 127.0.0.1:<port> showed another service's banner in the Outbox. Now private
   addresses are refused (after DNS resolution, pinned against rebinding), and people read a
   generic sentence while the detail stays in the server log.
"""

from __future__ import annotations

import socket
import socketserver
import threading

import pytest
from sqlalchemy import select

from saas.extensions import db
from saas.mail.errors import DeliveryError
from saas.mail.guard import resolve_public
from saas.tenancy.context import tenant_context
from saas.tenancy.models import Tenant
from tests.conftest import PASSWORD, add_member, csrf, csrf_from, login, make_company, run_jobs
from tests.smtp import messages, point_company_smtp, queue_notice, smtp_server


@pytest.fixture
def guard_on(app):
    """The production default: private addresses refused."""
    app.config["SMTP_ALLOW_PRIVATE_HOSTS"] = False
    yield
    app.config["SMTP_ALLOW_PRIVATE_HOSTS"] = True


@pytest.fixture
def instance_smtp(app):
    """The installation's own SMTP server (``SMTP_*``)."""
    keys = ("SMTP_HOST", "SMTP_PORT", "SMTP_SECURITY", "SMTP_FROM")
    saved = {k: app.config[k] for k in keys}
    with smtp_server() as (controller, inbox):
        app.config.update(
            SMTP_HOST="127.0.0.1",
            SMTP_PORT=controller.port,
            SMTP_SECURITY="none",
            SMTP_FROM="Baza <no-reply@baza.example.com>",
        )
        yield inbox
    app.config.update(saved)


def _forgot(client, email):
    resp = client.post(
        "/password/forgot", data={"email": email, "csrf_token": csrf(client, "/password/forgot")}
    )
    assert resp.status_code == 200


def _smtp_form(client, **fields):
    data = {
        "smtp-host": "localhost",
        "smtp-port": "2525",
        "smtp-user": "",
        "smtp-password": "",
        "smtp-sender": "",
        "smtp-security": "none",
        "smtp-current_password": PASSWORD,
        "csrf_token": csrf(client, "/settings/company"),
    }
    data.update(fields)
    return client.post("/settings/company/smtp", data=data)


def _company_host(app, tenant_id):
    with app.app_context(), tenant_context(tenant_id):
        return db.session.get(Tenant, tenant_id).smtp_host


# --- finding 1 -------------------------------------------------------------------------------


def test_reset_link_never_reaches_a_server_a_member_chose(app, client, instance_smtp):
    company = make_company(app)
    with smtp_server() as (attacker, stolen):
        point_company_smtp(app, company.tenant_id, "127.0.0.1", attacker.port)
        _forgot(client, company.owner.email)
        run_jobs(app)
        assert stolen.messages == []
    [mail] = instance_smtp.messages
    assert mail["To"] == company.owner.email
    assert "/password/reset/" in mail.get_body(("plain",)).get_content()
    # the company's From address is not used either: a reply would quote the link to it
    assert mail["From"] == "Baza <no-reply@baza.example.com>"


def test_invitation_links_never_reach_the_company_server(app, instance_smtp):
    from saas.auth.models import User
    from saas.users import service as users_service

    company = make_company(app)
    with smtp_server() as (attacker, stolen):
        point_company_smtp(app, company.tenant_id, "127.0.0.1", attacker.port)
        with app.test_request_context("/"):
            from saas.tenancy.context import enter_tenant

            enter_tenant(company.tenant_id)
            owner = db.session.get(User, company.owner.id)
            users_service.invite(actor=owner, email="new@acme.example.com", role="sales")
            db.session.commit()
        run_jobs(app)
        assert stolen.messages == []
    assert [m["To"] for m in instance_smtp.messages] == ["new@acme.example.com"]


def test_without_an_installation_server_account_keys_stay_in_the_outbox(app, client):
    company = make_company(app)
    with smtp_server() as (attacker, stolen):
        point_company_smtp(app, company.tenant_id, "127.0.0.1", attacker.port)
        _forgot(client, company.owner.email)
        run_jobs(app)
        assert stolen.messages == []
    assert [(m.kind, m.status) for m in messages(app, company.tenant_id)] == [
        ("password_reset", "outbox")
    ]


def test_only_the_owner_changes_the_mail_server(app, client):
    company = make_company(app)
    admin = add_member(app, company, "admin")
    login(client, admin.email)
    assert _smtp_form(client, **{"smtp-host": "127.0.0.1"}).status_code == 403
    assert _company_host(app, company.tenant_id) is None
    page = client.get("/settings/company").get_data(as_text=True)
    assert 'name="smtp-host"' not in page


def test_the_owner_re_enters_the_password(app, client):
    company = make_company(app)
    login(client, company.owner.email)
    for wrong in ("", "not my password"):
        resp = _smtp_form(client, **{"smtp-current_password": wrong})
        assert resp.status_code == 422
        assert 'id="smtp-current_password-error"' in resp.get_data(as_text=True)
        assert _company_host(app, company.tenant_id) is None
    assert _smtp_form(client).status_code == 303
    assert _company_host(app, company.tenant_id) == "localhost"


# --- finding 2 -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "localhost",
        "10.1.2.3",
        "172.16.0.5",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",  # shared address space
        "0.0.0.0",
        "224.0.0.1",
        "::1",
        "fe80::1",
        "fd00:ec2::254",
        "::ffff:127.0.0.1",
    ],
)
def test_private_addresses_are_refused(app, guard_on, address):
    with app.app_context(), pytest.raises(DeliveryError) as exc:
        resolve_public(address, 25)
    assert exc.value.code == "blocked_address"


def test_public_addresses_pass_and_the_operator_may_allow_private_ones(app, guard_on):
    with app.app_context():
        assert resolve_public("93.184.216.34", 25) == "93.184.216.34"
        assert resolve_public("127.0.0.1", 25, allow_private=True) == "127.0.0.1"


def test_saving_a_private_or_unknown_host_is_refused_on_its_field(app, client, guard_on):
    company = make_company(app)
    login(client, company.owner.email)
    for host, words in (
        ("127.0.0.1", "private or local network"),
        ("no-such-host.invalid", "could not be found"),
    ):
        resp = _smtp_form(client, **{"smtp-host": host})
        assert resp.status_code == 422
        page = resp.get_data(as_text=True)
        assert 'id="smtp-host-error"' in page and words in page
    assert _company_host(app, company.tenant_id) is None


class _Banner(socketserver.BaseRequestHandler):
    def handle(self):
        self.request.sendall(b"SSH-2.0-OpenSSH_9.9 internal-build-server\r\n")


@pytest.fixture
def banner_service():
    server = socketserver.TCPServer(("127.0.0.1", 0), _Banner)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def _outbox_pages(client, tenant_id, app):
    pages = client.get("/outbox").get_data(as_text=True)
    for m in messages(app, tenant_id):
        pages += client.get(f"/outbox/{m.id}").get_data(as_text=True)
    return pages


def test_a_stored_private_host_is_not_contacted(app, client, guard_on, banner_service):
    company = make_company(app)
    point_company_smtp(app, company.tenant_id, "127.0.0.1", banner_service)
    queue_notice(app, company.tenant_id)
    run_jobs(app)
    [msg] = messages(app, company.tenant_id)
    assert (msg.status, msg.error) == ("failed", "blocked_address")
    login(client, company.owner.email)
    pages = _outbox_pages(client, company.tenant_id, app)
    assert "OpenSSH" not in pages and "private or local network" in pages


def test_server_words_stay_in_the_log(app, client, banner_service, caplog):
    """Even where private hosts are allowed, people read a sentence, never the banner."""
    company = make_company(app)
    point_company_smtp(app, company.tenant_id, "127.0.0.1", banner_service)
    queue_notice(app, company.tenant_id)
    run_jobs(app)
    [msg] = messages(app, company.tenant_id)
    assert msg.status == "failed" and "OpenSSH" not in (msg.error or "")
    login(client, company.owner.email)
    assert "OpenSSH" not in _outbox_pages(client, company.tenant_id, app)
    assert "OpenSSH" in caplog.text  # the operator still sees what happened


def test_the_connection_goes_to_the_checked_address(app, guard_on, monkeypatch):
    """DNS rebinding: the name is resolved once; a second answer (loopback) is never used."""
    real = socket.getaddrinfo
    answers = iter(["93.184.216.34"])
    connected = []

    def getaddrinfo(host, *args, **kw):
        if host == "mail.rebind.example":
            return real(next(answers, "127.0.0.1"), *args, **kw)
        return real(host, *args, **kw)

    def create_connection(address, *args, **kw):
        connected.append(address[0])
        raise ConnectionRefusedError("test: no network")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket, "create_connection", create_connection)
    company = make_company(app)
    point_company_smtp(app, company.tenant_id, "mail.rebind.example", 25)
    queue_notice(app, company.tenant_id)
    run_jobs(app)
    assert connected == ["93.184.216.34"]
    assert [m.error for m in messages(app, company.tenant_id)] == ["unreachable"]


def test_the_company_server_still_carries_ordinary_mail(app):
    company = make_company(app)
    with smtp_server() as (controller, inbox):
        point_company_smtp(app, company.tenant_id, "127.0.0.1", controller.port)
        queue_notice(app, company.tenant_id)
        run_jobs(app)
    assert [m["From"] for m in inbox.messages] == ["Attacker <mallory@evil.example.com>"]
    with app.app_context(), tenant_context(company.tenant_id):
        assert db.session.scalars(select(Tenant.smtp_host)).all() == ["127.0.0.1"]


def test_links_in_mail_ignore_the_requests_host_header(app, client):
    """Whoever sends the reset request chooses its Host header: links are built on BASE_URL."""
    from saas.auth.models import User
    from saas.mail.models import MailMessage
    from saas.users import service as users_service

    company = make_company(app)
    app.config["BASE_URL"] = "https://crm.baza.example/"
    try:
        evil = {"base_url": "http://evil.example"}
        token = csrf_from(client.get("/password/forgot", **evil).get_data(as_text=True))
        resp = client.post(
            "/password/forgot", data={"email": company.owner.email, "csrf_token": token}, **evil
        )
        assert resp.status_code == 200
        with app.test_request_context("/", base_url="http://evil.example"):
            from saas.tenancy.context import enter_tenant

            enter_tenant(company.tenant_id)
            owner = db.session.get(User, company.owner.id)
            users_service.invite(actor=owner, email="new@acme.example.com", role="sales")
            db.session.commit()
        run_jobs(app)
    finally:
        app.config["BASE_URL"] = None
    with app.app_context(), tenant_context(company.tenant_id):
        bodies = db.session.scalars(select(MailMessage.body_text)).all()
    assert len(bodies) == 2
    for body in bodies:
        assert "evil.example" not in body
        assert "https://crm.baza.example/" in body
