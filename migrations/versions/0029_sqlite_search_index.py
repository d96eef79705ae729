# ruff: noqa: S608 - the SQL is built from this module's constants alone, never from input
"""customer_search_fts(_grams): the quick search's indexes on SQLite (FTS5)

Revision ID: 0029_sqlite_search_index
Revises: 0028_tenant_grams
Create Date: 2026-11-30 12:40:00

PostgreSQL finds a quick search's term through GIN indexes on ``customer_search`` (pg_trgm on
``doc``, and ``grams`` for 2-character CJK terms; revision 0019); SQLite scanned every document
of the tenant with ``instr`` (~40 ms at 100,000 customers, docs/PERFORMANCE.md). These are
SQLite's indexes, FTS5 tables whose rowid is ``customer_search.id``:

- ``customer_search_fts``: ``doc`` with the ``trigram`` tokenizer (SQLite 3.34+), for terms of
  3+ characters;
- ``customer_search_fts_grams``: the document's CJK bigrams, each as one opaque token of hex
  code points (``华信`` → ``534ex4fe1``, ``search.bigram_token``) so that no tokenizer rule can
  split or fold one, for the 2-character path.

Three triggers on ``customer_search`` keep each, so every writer of the documents (the ORM's
flush hook, bulk loads, restores, deletes cascading from ``customers``) keeps them without
knowing of them. The lookup (``search._matching_ids``) takes an index's candidates and re-checks
each with ``instr``: exact whatever the index does. Where SQLite lacks FTS5 (or, for the first,
the trigram tokenizer) the table is not created and that search scans as before
(``search.fts_tables``).

A later migration that recreates ``customer_search`` on SQLite (batch mode copies a table to
alter it) drops these triggers with it: it must create them again (``triggers``).
"""

import logging

from alembic import op
from sqlalchemy import exc, text

revision = "0029_sqlite_search_index"
down_revision = "0028_tenant_grams"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

#: Each index: its column, its FTS5 tokenizer and the SQL of its text for a row ``{r}`` of
#: customer_search.
INDEXES = {
    "customer_search_fts": ("doc", "trigram", "{r}.doc"),
    "customer_search_fts_grams": (
        "grams",
        "unicode61",
        # ["7:华信", …] → "534ex4fe1 …": each bigram after its tenant, as hex code points
        "(SELECT coalesce(group_concat(printf('%xx%x', unicode(substr(g, 1, 1)),"
        " unicode(substr(g, 2, 1))), ' '), '') FROM (SELECT substr(value, instr(value, ':') + 1)"
        " AS g FROM json_each({r}.grams)))",
    ),
}


def triggers(name: str, column: str, value: str) -> list[str]:
    """The triggers that keep index ``name`` in step with ``customer_search``."""
    new = value.format(r="new")
    return [
        f"""CREATE TRIGGER {name}_insert AFTER INSERT ON customer_search BEGIN
            INSERT OR REPLACE INTO {name} (rowid, {column}) VALUES (new.id, {new});
        END""",
        f"""CREATE TRIGGER {name}_update AFTER UPDATE OF {column} ON customer_search BEGIN
            UPDATE {name} SET {column} = {new} WHERE rowid = new.id;
        END""",
        f"""CREATE TRIGGER {name}_delete AFTER DELETE ON customer_search BEGIN
            DELETE FROM {name} WHERE rowid = old.id;
        END""",
    ]


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    for name, (column, tokenizer, value) in INDEXES.items():
        try:
            bind.execute(
                text(f"CREATE VIRTUAL TABLE {name} USING fts5({column}, tokenize='{tokenizer}')")
            )
        except exc.OperationalError as error:  # no FTS5, or SQLite < 3.34 (no trigram)
            log.warning("SQLite cannot create %s (%s): that search scans", name, error)
            continue
        for trigger in triggers(name, column, value):
            bind.execute(text(trigger))
        rows = value.format(r="customer_search")
        bind.execute(
            text(f"INSERT INTO {name} (rowid, {column}) SELECT id, {rows} FROM customer_search")
        )


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    for name in INDEXES:
        for event in ("insert", "update", "delete"):
            bind.execute(text(f"DROP TRIGGER IF EXISTS {name}_{event}"))
        bind.execute(text(f"DROP TABLE IF EXISTS {name}"))
