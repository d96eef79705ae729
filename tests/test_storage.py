"""Files follow their transaction: writes vanish on rollback, deletes happen only after commit."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from PIL import Image

from saas import storage
from saas.auth.models import User
from saas.extensions import db
from saas.settings.service import set_logo
from saas.tenancy.context import tenant_context
from saas.tenancy.models import Tenant
from tests.conftest import make_company


@pytest.fixture(autouse=True)
def _empty_tenants_dir(app):
    """Tenant ids are reused after the tables are emptied: start from no files at all."""
    shutil.rmtree(app.config["TENANTS_DIR"], ignore_errors=True)


def _png(color: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), color).save(out, "PNG")
    return out.getvalue()


def _files(app, tenant_id: int) -> set[str]:
    root = Path(app.config["TENANTS_DIR"]) / str(tenant_id)
    return {p.name for p in root.glob("*")} if root.exists() else set()


def _logo_key(app, tenant_id: int) -> str | None:
    with app.app_context(), tenant_context(tenant_id):
        return db.session.get(Tenant, tenant_id).logo_key


def _set_logo(app, company, data, *, commit: bool) -> None:
    with app.test_request_context(), tenant_context(company.tenant_id):
        set_logo(actor=db.session.get(User, company.owner.id), data=data)
        if commit:
            db.session.commit()
        else:
            db.session.rollback()


def test_a_rolled_back_logo_change_leaves_no_file_and_keeps_the_old_logo(app):
    a = make_company(app, "Acme")
    _set_logo(app, a, _png((1, 2, 3)), commit=True)
    first = _logo_key(app, a.tenant_id)
    assert _files(app, a.tenant_id) == {first}

    _set_logo(app, a, _png((200, 0, 0)), commit=False)
    assert _logo_key(app, a.tenant_id) == first
    assert _files(app, a.tenant_id) == {first}  # no orphan, old file intact

    _set_logo(app, a, None, commit=False)  # a rolled-back removal
    assert _files(app, a.tenant_id) == {first}


def test_a_committed_logo_change_replaces_the_file(app):
    a = make_company(app, "Acme")
    _set_logo(app, a, _png((1, 2, 3)), commit=True)
    first = _logo_key(app, a.tenant_id)
    _set_logo(app, a, _png((200, 0, 0)), commit=True)
    second = _logo_key(app, a.tenant_id)
    assert second != first and _files(app, a.tenant_id) == {second}
    _set_logo(app, a, None, commit=True)
    assert _logo_key(app, a.tenant_id) is None and _files(app, a.tenant_id) == set()


def test_a_failed_request_leaves_no_file(app, client):
    """Through the web: a request that fails after the upload is rolled back, and so is the file."""
    a = make_company(app, "Acme")
    with app.test_request_context(), tenant_context(a.tenant_id):
        owner = db.session.get(User, a.owner.id)
        set_logo(actor=owner, data=_png((9, 9, 9)))
        db.session.flush()
        # the session is closed without a commit (an error response, a crashed request)
        db.session.remove()
    assert _files(app, a.tenant_id) == set()


def test_put_new_refuses_to_overwrite_and_delete_waits_for_commit(app):
    a = make_company(app, "Acme")
    with app.test_request_context(), tenant_context(a.tenant_id):
        storage.put_new(a.tenant_id, "doc.txt", b"one")
        db.session.commit()
        with pytest.raises(FileExistsError):
            storage.put_new(a.tenant_id, "doc.txt", b"two")
        storage.delete_after_commit(a.tenant_id, "doc.txt")
        assert _files(app, a.tenant_id) == {"doc.txt"}
        db.session.rollback()
        assert _files(app, a.tenant_id) == {"doc.txt"}
        storage.delete_after_commit(a.tenant_id, "doc.txt")
        db.session.commit()
        assert _files(app, a.tenant_id) == set()
