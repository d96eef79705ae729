"""The ``demo`` command: counts, derived columns, idempotency, logins, tenants kept apart.

Runs on SQLite and (TEST_DATABASE_URL) PostgreSQL, where the rows are COPYed as the owner and
read back by the app role under row-level security.
"""

from __future__ import annotations

from sqlalchemy import text

from saas.customers.normalize import name_key
from tests.conftest import PASSWORD, as_owner, login

TENANTS, CUSTOMERS = 3, 120


def _demo(app, *args):
    result = app.test_cli_runner().invoke(args=["demo", *args])
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result.output


def _counts() -> dict[int, tuple[int, int, int, int]]:
    """tenant → (customers, distinct numbers, max number, customer_seq)."""
    with as_owner() as conn:
        rows = conn.execute(
            text(
                "SELECT c.tenant_id, count(*), count(DISTINCT c.number), max(c.number), "
                "max(t.customer_seq) FROM customers c JOIN tenants t ON t.id = c.tenant_id "
                "GROUP BY c.tenant_id ORDER BY c.tenant_id"
            )
        ).all()
    return {r[0]: tuple(r[1:]) for r in rows}


def test_demo_fills_tenants_with_consistent_derived_columns_and_is_idempotent(app):
    out = _demo(
        app, "--tenants", str(TENANTS), "--customers", str(CUSTOMERS), "--password", PASSWORD
    )
    for n in range(1, TENANTS + 1):
        assert f"owner@demo{n}.example.com" in out
        assert f"rep3@demo{n}.example.com" in out
    assert f"password: {PASSWORD}" in out
    counts = _counts()
    assert len(counts) == TENANTS
    assert set(counts.values()) == {(CUSTOMERS, CUSTOMERS, CUSTOMERS, CUSTOMERS)}
    with as_owner() as conn:
        rows = conn.execute(text("SELECT name, name_key, country FROM customers")).all()
        assert all(key == name_key(name)[:200] for name, key, _c in rows)
        # the five homes' names and countries are all there
        assert {c for *_x, c in rows} == {"CN", "IR", "AL", "RU", "GB"}
        assert any("有限公司" in n for n, *_ in rows) and any("sh.p.k." in n for n, *_ in rows)
        # owners spread over several users, a fifth or so in the pool, never across tenants
        pool = conn.execute(text("SELECT count(*) FROM customers WHERE owner_id IS NULL"))
        assert 0.1 * TENANTS * CUSTOMERS < pool.scalar_one() < 0.3 * TENANTS * CUSTOMERS
        crossing = conn.execute(
            text(
                "SELECT count(*) FROM customers c JOIN users u ON u.id = c.owner_id "
                "WHERE u.tenant_id <> c.tenant_id"
            )
        )
        assert crossing.scalar_one() == 0
        owners = conn.execute(
            text("SELECT count(DISTINCT owner_id) FROM customers WHERE tenant_id = :t"),
            {"t": min(counts)},
        )
        assert owners.scalar_one() >= 4
        roles = conn.execute(
            text(
                "SELECT r.key, count(*) FROM users u JOIN roles r ON r.id = u.role_id "
                "WHERE u.tenant_id = :t GROUP BY r.key"
            ),
            {"t": min(counts)},
        ).all()
        assert dict(roles) == {"owner": 1, "admin": 1, "manager": 1, "sales": 3}
        # reps report to the manager, the manager to the owner
        lines = conn.execute(
            text(
                "SELECT count(*) FROM users u JOIN users m ON m.id = u.manager_id "
                "JOIN roles r ON r.id = m.role_id WHERE u.tenant_id = :t AND r.key = 'manager'"
            ),
            {"t": min(counts)},
        )
        assert lines.scalar_one() == 3
        # notes on about a third of the owned customers, by their owner, never across tenants
        notes = conn.execute(
            text(
                "SELECT count(*), count(DISTINCT n.customer_id), "
                "sum(CASE WHEN n.author_id = c.owner_id AND n.tenant_id = c.tenant_id "
                "THEN 1 ELSE 0 END) FROM customer_notes n JOIN customers c ON c.id = n.customer_id"
            )
        ).one()
        assert 0.1 * TENANTS * CUSTOMERS < notes[1] < 0.5 * TENANTS * CUSTOMERS
        assert notes[2] == notes[0]

    again = _demo(app, "--tenants", str(TENANTS), "--customers", str(CUSTOMERS))
    assert "nothing to add" in again
    assert _counts() == counts
    with as_owner() as conn:
        users = conn.execute(text("SELECT count(*) FROM users")).scalar_one()
        assert users == TENANTS * 6

    # topping up continues the numbers without gaps; another tenant appears
    _demo(app, "--tenants", str(TENANTS + 1), "--customers", str(CUSTOMERS + 30))
    counts = _counts()
    assert len(counts) == TENANTS + 1
    assert set(counts.values()) == {(CUSTOMERS + 30,) * 4}


def test_demo_logins_work_and_see_only_their_company(app, client):
    _demo(app, "--tenants", "2", "--customers", "60", "--password", PASSWORD)
    with as_owner() as conn:
        tenant1, tenant2 = (
            conn.execute(
                text(
                    "SELECT u.tenant_id FROM users u JOIN accounts a ON a.id = u.account_id "
                    "WHERE a.email = :e"
                ),
                {"e": f"owner@demo{n}.example.com"},
            ).scalar_one()
            for n in (1, 2)
        )
        other = conn.execute(
            text("SELECT name FROM customers WHERE tenant_id = :t ORDER BY id DESC LIMIT 50"),
            {"t": tenant2},
        ).scalars()
        theirs = set(other)
        ours = conn.execute(
            text("SELECT name, deleted_at FROM customers WHERE tenant_id = :t ORDER BY id DESC"),
            {"t": tenant1},
        ).all()
    assert login(client, "owner@demo1.example.com", "wrong password").status_code == 422
    assert login(client, "owner@demo1.example.com").status_code == 303
    page = client.get("/customers?view=all").get_data(as_text=True)
    live = [name for name, deleted in ours if deleted is None]
    assert all(name.replace("&", "&amp;") in page for name in live[:5])
    assert not any(name in page for name in theirs - {name for name, _d in ours})
    rep = app.test_client()
    assert login(rep, "rep1@demo2.example.com").status_code == 303
    assert rep.get("/customers?view=mine").status_code == 200
    assert rep.get("/customers?view=all").status_code == 403


def test_demo_refuses_a_short_password(app):
    result = app.test_cli_runner().invoke(args=["demo", "--tenants", "1", "--password", "short"])
    assert result.exit_code != 0
    assert "--password" in result.output
    assert _counts() == {}
