"""The ``demo`` command: counts, derived columns, idempotency, logins, tenants kept apart.

Runs on SQLite and (TEST_DATABASE_URL) PostgreSQL, where the rows are COPYed as the owner and
read back by the app role under row-level security.
"""

from __future__ import annotations

from sqlalchemy import text

from saas.contacts.normalize import email_key, parse_phone
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
        # 1 to 3 contacts per customer, exactly one primary each, never across tenants
        per = conn.execute(
            text(
                "SELECT c.id, count(k.id), sum(CASE WHEN k.is_primary THEN 1 ELSE 0 END), "
                "sum(CASE WHEN k.tenant_id <> c.tenant_id THEN 1 ELSE 0 END) "
                "FROM customers c LEFT JOIN contacts k ON k.customer_id = c.id GROUP BY c.id"
            )
        ).all()
        assert len(per) == TENANTS * CUSTOMERS
        assert {r[1] for r in per} == {1, 2, 3}
        assert {r[2] for r in per} == {1} and {r[3] for r in per} == {0}
        # 1 or 2 phones per contact, E.164 as the contact form computes it; an email each
        phones = conn.execute(
            text(
                "SELECT p.raw, p.e164, p.customer_id = k.customer_id, t.default_country "
                "FROM contact_phones p JOIN contacts k ON k.id = p.contact_id "
                "JOIN tenants t ON t.id = p.tenant_id WHERE k.tenant_id = p.tenant_id"
            )
        ).all()
        contacts = sum(r[1] for r in per)
        assert contacts < len(phones) < 2 * contacts
        assert all(e164.startswith("+") and same for _r, e164, same, _c in phones)
        assert all(parse_phone(raw, country) == e164 for raw, e164, _s, country in phones)
        assert any(raw != e164 for raw, e164, *_ in phones)  # formatted, not stored as E.164
        emails = conn.execute(
            text(
                "SELECT e.email, e.email_key FROM contact_emails e "
                "JOIN contacts k ON k.id = e.contact_id AND k.tenant_id = e.tenant_id"
            )
        ).all()
        assert len(emails) == contacts
        assert all(key == email_key(email) for email, key in emails)
        assert any(email != key for email, key in emails)
        # names in the customer's language (CJK and Persian among them)
        names = conn.execute(text("SELECT name, position FROM contacts")).all()
        assert any("经理" in (p or "") for _n, p in names)
        assert any("مدیر" in (p or "") for _n, p in names)
        # a few % of the owned customers shared with a colleague of the same tenant
        shares = conn.execute(
            text(
                "SELECT s.access, s.until, s.user_id = c.owner_id, "
                "u.tenant_id = s.tenant_id AND c.tenant_id = s.tenant_id "
                "FROM customer_shares s JOIN customers c ON c.id = s.customer_id "
                "JOIN users u ON u.id = s.user_id"
            )
        ).all()
        total = conn.execute(text("SELECT count(*) FROM customer_shares")).scalar_one()
        assert len(shares) == total
        assert 0 < total < 0.15 * TENANTS * CUSTOMERS
        assert all(same for *_x, same in shares)
        assert not any(own for _a, _u, own, _s in shares)
        assert {a for a, *_ in shares} == {"read", "write"}  # the seed is fixed: both drawn
        assert any(until is not None for _a, until, *_ in shares)
        assert any(until is None for _a, until, *_ in shares)

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
    with as_owner() as conn:
        # the new customers got contacts too; re-runs added none to the old ones
        bare = conn.execute(
            text(
                "SELECT count(*) FROM customers c WHERE NOT EXISTS "
                "(SELECT 1 FROM contacts k WHERE k.customer_id = c.id)"
            )
        ).scalar_one()
        assert bare == 0
        assert conn.execute(text("SELECT count(*) FROM contacts")).scalar_one() > contacts


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


def test_demo_gives_every_customer_the_asked_number_of_contacts(app):
    # issue 7's benchmark setup: 2 contacts per customer, exactly one of them primary
    _demo(app, "--tenants", "2", "--customers", "60", "--contacts", "2", "--password", PASSWORD)
    with as_owner() as conn:
        per = conn.execute(
            text(
                "SELECT count(k.id), sum(CASE WHEN k.is_primary THEN 1 ELSE 0 END) "
                "FROM customers c LEFT JOIN contacts k "
                "ON k.customer_id = c.id AND k.tenant_id = c.tenant_id GROUP BY c.id"
            )
        ).all()
    assert len(per) == 120 and set(per) == {(2, 1)}


def test_demo_refuses_a_bad_contacts_range(app):
    for bad in ("3-1", "x", "11", "-1"):
        result = app.test_cli_runner().invoke(
            args=["demo", "--tenants", "1", "--contacts", bad, "--password", PASSWORD]
        )
        assert result.exit_code != 0 and "--contacts" in result.output, bad
    assert _counts() == {}
