"""Reviewed raw SQL of the demo command: bulk inserts as the tables' owner, bypassing the ORM.

Written this way on purpose: a million customers through the ORM (tenant stamping, audit entry
per row, one ``UPDATE tenants`` per number) would take hours. So this module runs on the
owner's connection (``DATABASE_MIGRATION_URL``): ``COPY … FROM STDIN`` on PostgreSQL,
``executemany`` in large batches on SQLite. What the ORM hooks would have done is done here by
hand, and nothing else:

- every row carries its ``tenant_id`` explicitly, and each transaction sets ``app.tenant_id``
  (the owner is subject to the FORCEd tenant policies too), so a row of another tenant is
  refused by PostgreSQL as it would be for the app;
- customer numbers are taken as one block from ``tenants.customer_seq`` (one ``UPDATE …
  RETURNING``: gap-free, safe next to a running app), ``name_key`` comes from
  ``customers.normalize.name_key``;
- ``contact_phones.e164``/``raw`` come from ``contacts.normalize.parse_phone``/``format_phone``
  and ``contact_emails.email_key`` from ``contacts.normalize.email_key``; exactly one contact
  per customer is primary;
- no audit entries are written for the generated rows (the demo tenant's creation itself goes
  through ``auth.service.signup`` and is audited).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Table, create_engine, text
from sqlalchemy.pool import NullPool


class BulkWriter:
    """Owner connection plus the few statements the demo command needs."""

    def __init__(self, url: str) -> None:
        self.engine = create_engine(url, poolclass=NullPool)
        self.postgres = self.engine.dialect.name == "postgresql"

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def tenant(self, tenant_id: int) -> Iterator[Connection]:
        """One transaction as the owner, inside ``tenant_id`` for the row policies."""
        with self.engine.begin() as conn:
            if self.postgres:
                conn.execute(
                    text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(tenant_id)}
                )
            yield conn

    def insert(
        self, conn: Connection, table: Table, columns: Sequence[str], rows: list[tuple]
    ) -> None:
        """Insert ``rows`` (tuples in ``columns`` order): COPY on PostgreSQL, else executemany."""
        if not rows:
            return
        if self.postgres:
            for col in columns:  # identifiers come from the models, never from input
                if col not in table.c:
                    raise ValueError(f"unknown column {col!r} of {table.name}")
            cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
            statement = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
            with cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row(row)
            return
        conn.execute(table.insert(), [dict(zip(columns, row, strict=True)) for row in rows])

    def take_numbers(self, conn: Connection, tenant_id: int, count: int) -> int:
        """Reserve ``count`` customer numbers of the tenant; the first of them."""
        last = conn.execute(
            text(
                "UPDATE tenants SET customer_seq = customer_seq + :n WHERE id = :t "
                "RETURNING customer_seq"
            ),
            {"n": count, "t": tenant_id},
        ).scalar_one()
        return last - count + 1

    def ids_by_number(self, conn: Connection, tenant_id: int, first: int, last: int) -> list[int]:
        """Customer ids of numbers ``first``..``last`` of the tenant, in number order."""
        rows = conn.execute(
            text(
                "SELECT id FROM customers WHERE tenant_id = :t AND number BETWEEN :a AND :b "
                "ORDER BY number"
            ),
            {"t": tenant_id, "a": first, "b": last},
        ).scalars()
        return list(rows)

    def contact_ids(self, conn: Connection, tenant_id: int, first: int, last: int) -> list[int]:
        """Ids of the contacts of customers ``first``..``last`` (ids) of the tenant, in insertion
        order (the demo adds contacts only to the customers it has just inserted)."""
        rows = conn.execute(
            text(
                "SELECT id FROM contacts WHERE tenant_id = :t AND customer_id BETWEEN :a AND :b "
                "ORDER BY id"
            ),
            {"t": tenant_id, "a": first, "b": last},
        ).scalars()
        return list(rows)

    def count(self, conn: Connection, table: str, tenant_id: int) -> int:
        if table not in ("customers", "users", "contacts", "customer_shares", "customer_notes"):
            raise ValueError(table)
        return conn.execute(
            text(f"SELECT count(*) FROM {table} WHERE tenant_id = :t"),  # noqa: S608 (allow-list)
            {"t": tenant_id},
        ).scalar_one()

    def set_plan(self, conn: Connection, tenant_id: int, code: str) -> None:
        conn.execute(
            text(
                "UPDATE tenants SET plan_id = (SELECT id FROM plans WHERE code = :c) WHERE id = :t"
            ),
            {"c": code, "t": tenant_id},
        )

    def account_id(self, conn: Connection, email: str) -> int | None:
        return conn.execute(
            text("SELECT id FROM accounts WHERE email = :e"), {"e": email}
        ).scalar_one_or_none()

    def password_hash(self, conn: Connection, account_id: int) -> str:
        return conn.execute(
            text("SELECT password_hash FROM accounts WHERE id = :a"), {"a": account_id}
        ).scalar_one()

    def insert_returning_id(self, conn: Connection, table: Table, values: dict[str, Any]) -> int:
        return conn.execute(table.insert().values(**values).returning(table.c.id)).scalar_one()

    def members(self, conn: Connection, tenant_id: int) -> dict[str, tuple[int, str | None]]:
        """email → (user id, role key) of the tenant's users."""
        rows = conn.execute(
            text(
                "SELECT a.email, u.id, r.key FROM users u JOIN accounts a ON a.id = u.account_id "
                "JOIN roles r ON r.id = u.role_id WHERE u.tenant_id = :t"
            ),
            {"t": tenant_id},
        ).all()
        return {email: (uid, key) for email, uid, key in rows}

    def role_ids(self, conn: Connection, tenant_id: int) -> dict[str, int]:
        rows = conn.execute(
            text("SELECT key, id FROM roles WHERE tenant_id = :t AND key IS NOT NULL"),
            {"t": tenant_id},
        ).all()
        return dict(rows)  # type: ignore[arg-type]

    def analyze(self) -> None:
        """Fresh planner statistics after a bulk load (PostgreSQL ANALYZE, SQLite ANALYZE)."""
        with self.engine.begin() as conn:
            if self.postgres:  # GIN's pending list would keep the planner off the indexes
                for index in ("ix_customer_search_doc_trgm", "ix_customer_search_grams"):
                    conn.execute(
                        text("SELECT gin_clean_pending_list(CAST(:i AS regclass))"), {"i": index}
                    )
            conn.execute(text("ANALYZE"))
