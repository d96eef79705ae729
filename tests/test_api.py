"""The JSON API contracts, and the OpenAPI document generated from the same schemas."""

import re

from sqlalchemy import select

from saas.auth.models import ApiToken, User
from saas.extensions import db
from saas.tenancy.context import tenant_context
from tests.conftest import PASSWORD, add_member, make_company


def _token(client, email, password=PASSWORD):
    resp = client.post("/api/v1/auth/token", json={"email": email, "password": password})
    assert resp.status_code == 201, resp.json
    return {"Authorization": f"Bearer {resp.json['token']}"}


def test_token_me_and_seats(app, client):
    company = make_company(app)
    auth = _token(client, company.owner.email)
    me = client.get("/api/v1/me", headers=auth).json
    assert me["user"]["email"] == company.owner.email
    assert me["role"] == "owner" and "billing.manage" in me["permissions"]
    assert me["tenant"] == {"id": company.tenant_id, "name": "Acme"}
    assert me["plan"] == {"code": "free", "name": "Free", "max_users": 2}
    assert me["seats"] == {"used": 1, "allowed": 2}


def test_tokens_are_stored_hashed_and_revocable(app, client):
    company = make_company(app)
    auth = _token(client, company.owner.email)
    secret = auth["Authorization"].split()[1]
    with app.app_context(), tenant_context(company.tenant_id):
        token = db.session.scalar(select(ApiToken))
        assert secret.split("_", 3)[3] not in token.token_hash
        token.revoked_at = token.created_at
        db.session.commit()
    resp = client.get("/api/v1/me", headers=auth)
    assert resp.status_code == 401 and resp.json["error"]["code"] == "unauthorized"


def test_wrong_password_and_bad_tokens_are_refused(app, client):
    company = make_company(app)
    resp = client.post(
        "/api/v1/auth/token", json={"email": company.owner.email, "password": "wrong password"}
    )
    assert resp.status_code == 422 and resp.json["error"]["code"] == "invalid_credentials"
    for bad in ("nonsense", "baza_1_1_x", f"baza_{company.tenant_id}_999_abc", ""):
        assert (
            client.get("/api/v1/me", headers={"Authorization": f"Bearer {bad}"}).status_code == 401
        )


def test_invite_list_and_patch_users(app, client):
    company = make_company(app, plan="team")
    auth = _token(client, company.owner.email)
    resp = client.post(
        "/api/v1/invitations", json={"email": "Bob@Acme.example.com", "role": "sales"}, headers=auth
    )
    assert resp.status_code == 201
    body = resp.json
    assert body["email"] == "bob@acme.example.com" and body["role"] == "sales"
    accept = body["accept_url"].replace("http://localhost", "")
    # GET accept_url shows a form with name and password; POST creates the user.
    c = app.test_client()
    page = c.get(accept).get_data(as_text=True)
    assert 'name="name"' in page and 'name="password"' in page
    from tests.conftest import csrf_from

    assert (
        c.post(
            accept, data={"name": "Bob", "password": PASSWORD, "csrf_token": csrf_from(page)}
        ).status_code
        == 303
    )

    users = client.get("/api/v1/users", headers=auth).json
    bob = next(u for u in users if u["email"] == "bob@acme.example.com")
    assert bob["role"] == "sales" and bob["active"] is True

    resp = client.patch(
        f"/api/v1/users/{bob['id']}",
        json={"role": "manager", "manager_id": company.owner.id},
        headers=auth,
    )
    assert (
        resp.status_code == 200
        and resp.json["role"] == "manager"
        and resp.json["manager_id"] == company.owner.id
    )
    # strict types: an id is a JSON integer and a flag a JSON boolean
    for loose in ({"manager_id": str(company.owner.id)}, {"manager_id": False}, {"active": "no"}):
        assert (
            client.patch(f"/api/v1/users/{bob['id']}", json=loose, headers=auth).status_code == 422
        )
    resp = client.patch(f"/api/v1/users/{bob['id']}", json={"manager": None}, headers=auth)
    assert resp.status_code == 200 and resp.json["manager_id"] is None
    resp = client.patch(f"/api/v1/users/{bob['id']}", json={"active": False}, headers=auth)
    assert resp.status_code == 200 and resp.json["active"] is False
    # Bob's tokens stop working with him.
    assert (
        client.post(
            "/api/v1/auth/token", json={"email": "bob@acme.example.com", "password": PASSWORD}
        ).status_code
        == 403
    )


def test_validation_errors_are_json(app, client):
    company = make_company(app)
    auth = _token(client, company.owner.email)
    resp = client.post("/api/v1/invitations", json={"email": "x@acme.example.com"}, headers=auth)
    assert (
        resp.status_code == 422
        and resp.json["error"]["code"] == "invalid"
        and "role" in resp.json["error"]["message"]
    )
    resp = client.post(
        "/api/v1/invitations", data="not json", headers={**auth, "Content-Type": "application/json"}
    )
    assert resp.status_code == 422 and resp.json["error"]["code"] == "invalid_json"
    resp = client.post("/api/v1/invitations", json={"email": "nope", "role": "sales"}, headers=auth)
    assert resp.status_code == 422 and resp.json["error"]["code"] == "email"
    resp = client.post(
        "/api/v1/invitations", json={"email": "a@acme.example.com", "role": "owner"}, headers=auth
    )
    assert resp.status_code == 422
    resp = client.patch(f"/api/v1/users/{company.owner.id}", json={"role": "sales"}, headers=auth)
    assert resp.status_code == 422  # the owner's role is fixed
    assert client.get("/api/v1/nope", headers=auth).json["error"]["code"] == "not_found"
    assert client.delete("/api/v1/me", headers=auth).status_code == 405


def test_a_sales_user_cannot_manage_users(app, client):
    company = make_company(app)
    member = add_member(app, company, "sales")
    auth = _token(client, member.email)
    assert client.get("/api/v1/users", headers=auth).status_code == 403
    resp = client.patch(f"/api/v1/users/{company.owner.id}", json={"active": False}, headers=auth)
    assert resp.status_code == 403
    with app.app_context(), tenant_context(company.tenant_id):
        assert db.session.get(User, company.owner.id).is_active


def test_token_endpoint_is_rate_limited_per_account(app, client):
    company = make_company(app)
    codes = [
        client.post(
            "/api/v1/auth/token",
            json={"email": company.owner.email, "password": "bad password"},
            environ_base={"REMOTE_ADDR": f"10.0.0.{i}"},
        ).status_code
        for i in range(7)
    ]
    assert codes[:5] == [422] * 5 and codes[5:] == [429, 429]
    resp = client.post(
        "/api/v1/auth/token", json={"email": company.owner.email, "password": PASSWORD}
    )
    assert resp.status_code == 429 and resp.json["error"]["code"] == "rate_limited"


def test_openapi_document_describes_the_validated_schemas(app, client):
    doc = client.get("/api/v1/openapi.json").json
    assert doc["openapi"].startswith("3.")
    paths = doc["paths"]
    for path, method in [
        ("/api/v1/auth/token", "post"),
        ("/api/v1/me", "get"),
        ("/api/v1/users", "get"),
        ("/api/v1/invitations", "post"),
        ("/api/v1/users/{user_id}", "patch"),
    ]:
        assert method in paths[path], (path, method)
    invite = paths["/api/v1/invitations"]["post"]
    schema_ref = invite["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    schema = doc["components"]["schemas"][schema_ref.rsplit("/", 1)[1]]
    assert set(schema["required"]) == {"email", "role"}
    assert "402" in invite["responses"] and "ErrorResponse" in str(invite["responses"]["402"])
    # Every API route of the app is documented.
    documented = {(p, m.upper()) for p, ops in paths.items() for m in ops}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/") and rule.endpoint != "api.openapi":
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                assert (path, method) in documented, (path, method)


def test_api_ignores_session_cookies(app, client):
    company = make_company(app)
    from tests.conftest import login

    login(client, company.owner.email)
    assert client.get("/dashboard").status_code == 200
    assert client.get("/api/v1/me").status_code == 401


def test_creating_tokens_in_settings_is_rate_limited_per_user(app, client):
    """Issue 5 finding 13: 15 tokens in a row were accepted."""
    from tests.conftest import add_member, csrf, login

    company = make_company(app, plan="team")
    login(client, company.owner.email)
    token = csrf(client, "/settings/tokens")
    codes = [
        client.post(
            "/settings/tokens",
            data={"name": f"t{i}", "csrf_token": token},
            environ_base={"REMOTE_ADDR": f"10.7.0.{i}"},  # a new address does not help
        ).status_code
        for i in range(7)
    ]
    assert all(c in (200, 303) for c in codes[:5]) and codes[5:] == [429, 429]
    assert "Try again in" in client.post(
        "/settings/tokens", data={"name": "again", "csrf_token": token}
    ).get_data(as_text=True)
    colleague = app.test_client()  # another person is not held up
    login(colleague, add_member(app, company, "admin").email)
    resp = colleague.post(
        "/settings/tokens", data={"name": "mine", "csrf_token": csrf(colleague, "/settings/tokens")}
    )
    assert resp.status_code in (200, 303)
