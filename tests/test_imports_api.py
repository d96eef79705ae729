"""The import API's contract, tested as attacks: another tenant's import id on every route,
a member without ``import.run``, bad mappings answered 422 with the path, 409 for a run
started twice, an unfinished run's rejected list or undo, a second undo; the OpenAPI document
declares every route and status."""

from __future__ import annotations

import io

import pytest

from saas.api import api
from tests.conftest import add_member, make_company, run_jobs
from tests.test_imports import HEADERS, MAPPING, bearer, upload, xlsx

ROWS = [["Alpha", "Ann", "", "ann@alpha.example", "Tirana", "", "", ""]]


@pytest.fixture
def world(app):
    acme = make_company(app, "Acme", plan="business")
    rep = add_member(app, acme, "sales", email="rep@acme.example.com")
    other = make_company(app, "Other Co", plan="business")
    return acme, rep, other


def _new_run(client, headers) -> int:
    response = upload(client, headers, xlsx(ROWS))
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def _run(client, headers, run_id: int, **body) -> object:
    return client.post(
        f"/api/v1/imports/{run_id}/run", json={"mapping": MAPPING, **body}, headers=headers
    )


def test_another_tenants_import_is_not_found_on_every_route(app, client, world):
    acme, _rep, other = world
    mine = bearer(app, acme.owner)
    theirs = bearer(app, other.owner)
    run_id = _new_run(client, theirs)
    assert client.get(f"/api/v1/imports/{run_id}", headers=mine).status_code == 404
    assert _run(client, mine, run_id).status_code == 404
    assert client.get(f"/api/v1/imports/{run_id}/rejected.xlsx", headers=mine).status_code == 404
    assert client.post(f"/api/v1/imports/{run_id}/undo", headers=mine).status_code == 404
    assert client.get("/api/v1/imports", headers=mine).get_json() == []
    # theirs is untouched and still theirs to run
    assert _run(client, theirs, run_id).status_code == 202
    run_jobs(app)
    assert client.get(f"/api/v1/imports/{run_id}", headers=theirs).get_json()["created"] == 1
    assert client.post(f"/api/v1/imports/{run_id}/undo", headers=mine).status_code == 404
    assert client.get(f"/api/v1/imports/{run_id}/rejected.xlsx", headers=mine).status_code == 404


def test_a_member_without_import_run_is_refused_everywhere(app, client, world):
    acme, rep, _other = world
    owner = bearer(app, acme.owner)
    sales = bearer(app, rep)
    run_id = _new_run(client, owner)
    assert upload(client, sales, xlsx(ROWS)).status_code == 403
    assert client.get("/api/v1/imports", headers=sales).status_code == 403
    assert client.get("/api/v1/imports/targets", headers=sales).status_code == 403
    assert client.get(f"/api/v1/imports/{run_id}", headers=sales).status_code == 403
    assert _run(client, sales, run_id).status_code == 403
    assert client.get(f"/api/v1/imports/{run_id}/rejected.xlsx", headers=sales).status_code == 403
    assert client.post(f"/api/v1/imports/{run_id}/undo", headers=sales).status_code == 403
    from tests.conftest import login

    login(client, rep.email)
    assert client.get("/imports").status_code == 403
    assert 'href="/imports"' not in client.get("/customers").get_data(as_text=True)


@pytest.mark.parametrize(
    ("mapping", "code", "path"),
    [
        ({"0": "city"}, "name_required", "mapping"),
        ({"0": "name", "9": "city"}, "unknown_column", "mapping.9"),
        ({"0": "name", "Nope": "city"}, "unknown_column", "mapping.Nope"),
        ({"0": "name", "4": "favourite_colour"}, "unknown_target", "mapping.4"),
        ({"0": "name", "Contact": "city", "City": "city"}, "target_twice", "mapping.City"),
        ({"0": "name", "4": "city", "5": "city"}, "target_twice", "mapping.5"),
    ],
)
def test_a_bad_mapping_is_422_with_its_path(app, client, world, mapping, code, path):
    acme, _rep, _other = world
    headers = bearer(app, acme.owner)
    run_id = _new_run(client, headers)
    response = client.post(
        f"/api/v1/imports/{run_id}/run", json={"mapping": mapping}, headers=headers
    )
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert (error["code"], error["path"]) == (code, path)
    # nothing started
    assert client.get(f"/api/v1/imports/{run_id}", headers=headers).get_json()["status"] == "new"


def test_phones_and_emails_may_repeat_and_options_are_checked(app, client, world):
    acme, _rep, _other = world
    headers = bearer(app, acme.owner)
    run_id = _new_run(client, headers)
    bad = _run(client, headers, run_id, duplicates="merge")
    assert bad.status_code == 422
    no_column = _run(
        client,
        headers,
        run_id,
        owner="column",
        mapping={k: v for k, v in MAPPING.items() if v != "owner"},
    )
    assert no_column.status_code == 422 and no_column.get_json()["error"]["path"] == "owner"
    twice = {**MAPPING, "4": "contact.email", "5": "contact.phone_work", "2": "contact.phone_work"}
    assert _run(client, headers, run_id, mapping=twice).status_code == 202


def test_conflicts_run_twice_unfinished_and_second_undo(app, client, world):
    acme, _rep, _other = world
    headers = bearer(app, acme.owner)
    run_id = _new_run(client, headers)
    assert client.post(f"/api/v1/imports/{run_id}/undo", headers=headers).status_code == 409
    assert _run(client, headers, run_id).status_code == 202
    assert _run(client, headers, run_id).status_code == 409
    assert client.get(f"/api/v1/imports/{run_id}/rejected.xlsx", headers=headers).status_code == 409
    assert client.post(f"/api/v1/imports/{run_id}/undo", headers=headers).status_code == 409
    run_jobs(app)
    assert client.get(f"/api/v1/imports/{run_id}/rejected.xlsx", headers=headers).status_code == 200
    assert client.post(f"/api/v1/imports/{run_id}/undo", headers=headers).status_code == 202
    assert client.post(f"/api/v1/imports/{run_id}/undo", headers=headers).status_code == 409
    run_jobs(app)
    assert client.post(f"/api/v1/imports/{run_id}/undo", headers=headers).status_code == 409


def test_upload_without_a_file_and_over_the_size_limit(app, client, world):
    acme, _rep, _other = world
    headers = bearer(app, acme.owner)
    response = client.post("/api/v1/imports", data={}, headers=headers)
    assert response.status_code == 422
    app.config["IMPORT_MAX_MB"] = 1
    try:
        big = upload(client, headers, b"x" * (2 * 1024 * 1024), "big.csv")
    finally:
        app.config["IMPORT_MAX_MB"] = 50
    assert big.status_code == 413
    assert big.get_json()["error"]["code"]


def test_the_openapi_document_declares_every_import_route_and_status(app):
    with app.test_request_context("/"):
        paths = api.document()["paths"]
    expected = {
        ("/api/v1/imports", "post"): {"201", "400", "401", "403", "413", "422"},
        ("/api/v1/imports", "get"): {"200", "401", "403"},
        ("/api/v1/imports/targets", "get"): {"200", "401", "403"},
        ("/api/v1/imports/{run_id}", "get"): {"200", "401", "403", "404"},
        ("/api/v1/imports/{run_id}/run", "post"): {"202", "401", "403", "404", "409", "422"},
        ("/api/v1/imports/{run_id}/rejected.xlsx", "get"): {"200", "401", "403", "404", "409"},
        ("/api/v1/imports/{run_id}/undo", "post"): {"202", "401", "403", "404", "409"},
    }
    for (path, method), statuses in expected.items():
        assert statuses <= set(paths[path][method]["responses"]), (path, method)
    body = paths["/api/v1/imports/{run_id}/run"]["post"]["requestBody"]["content"]
    assert "application/json" in body
    assert HEADERS  # the fixture's table is the one the other tests use


def test_the_pages_refuse_another_tenants_import_and_a_member_without_import_run(
    app, client, world
):
    from tests.conftest import csrf, login

    acme, rep, other = world
    run_id = _new_run(client, bearer(app, other.owner))
    login(client, acme.owner.email)
    token = csrf(client, "/imports")
    for url in (
        f"/imports/{run_id}",
        f"/imports/{run_id}/mapping",
        f"/imports/{run_id}/rejected.xlsx",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/imports/{run_id}/mapping", data={"csrf_token": token}).status_code == 404
    assert client.post(f"/imports/{run_id}/undo", data={"csrf_token": token}).status_code == 404
    own = _new_run(client, bearer(app, acme.owner))
    client = app.test_client()  # another browser
    login(client, rep.email)
    token = csrf(client, "/customers")
    for url in ("/imports", f"/imports/{own}", f"/imports/{own}/mapping", "/imports/template.xlsx"):
        assert client.get(url).status_code == 403, url
    data = {"csrf_token": token, "file": (io.BytesIO(xlsx(ROWS)), "t.xlsx")}
    assert client.post("/imports", data=data, content_type="multipart/form-data").status_code == 403
    assert client.post(f"/imports/{own}/undo", data={"csrf_token": token}).status_code == 403
    assert 'href="/imports"' not in client.get("/customers").get_data(as_text=True)
