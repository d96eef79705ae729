"""Restore a backup into a new, empty company: every row gets a new id, every reference follows.

``check_upload`` runs in the request (422 for anything that is not an intact backup of this
version, 409 unless the company is empty); ``run_restore`` (a job on ``documents``) checks it
again and loads it in ONE transaction: either the whole backup is in the company or nothing is
(a failure is reported on the job, the company is unchanged).

How rows are written: tables in dependency order (``metadata.sorted_tables``), then the audit
trail and the segments (their references point anywhere). Each row's ``tenant_id`` is the
restoring company's, whatever the file says; its ``id`` is new; every composite foreign key
``(tenant_id, x_id)`` is mapped old id → new id (a reference to a row that is not in the backup
becomes NULL, or the row is left out when the column is required — counted in the summary);
self references (``users.manager_id``) are set once their table is in. Beyond declared keys:
audit entries' ``object_id`` (by ``object_type``) and the ids inside their ``changes``, and the
list entries and users a segment's stored query names. Rows the new company already has are
replaced (default list entries, pool rules, list preferences…), except roles, users, the audit
trail and invitations, which are merged:

- roles: built-in ones by key onto the company's own (their permissions stay this version's);
  custom ones are added (one of the same name is reused);
- **users**: the backup's owner becomes the restoring owner; a backup user whose email is
  already a member of this company becomes that member; every other user is recreated as a
  *deactivated* member with their name, role, manager, language and email, so owners, shares,
  notes and the audit trail keep naming the right people. Their login is the account of that
  email (a new one, with a random password nobody knows, if the email has none: the person
  sets one with "Forgot password"); the owner reactivates them on Team like anyone (a seat
  each). A membership is normally created only by its own account (the database's guard on
  PostgreSQL); the restore is the one other place that creates one, each inactive;
- invitations: kept for the record; pending ones are restored revoked (their links named the
  old company).
The customer number sequence continues after the highest restored number (or the backup's own
sequence if higher). The company's settings (currency, country, zone, duplicate policy, SMTP
server without its password, weekly backups) and its logo come back; its name and plan stay.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import re
import secrets
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from flask import current_app, g
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from openpyxl import load_workbook
from sqlalchemy import Table, delete, func, insert, select, update
from sqlalchemy.exc import SQLAlchemyError

from saas import progress, storage
from saas.auth.models import Account, Role, User
from saas.backups import service, tables
from saas.errors import Conflict, ServiceError, ValidationFailed
from saas.extensions import db
from saas.jobs import enqueue_after_commit, job
from saas.progress.models import JobRecord, JobStatus
from saas.tenancy.context import current_tenant_id, email_lookup, enter_account
from saas.tenancy.models import Tenant
from saas.utils import utcnow

log = logging.getLogger(__name__)

#: Tables whose rows are merged with the company's own instead of replacing them.
MERGED = ("users", "roles", "audit_entries", "invitations")
#: Tables written last: their references (audit objects, stored queries) point anywhere.
LATE = ("customer_segments", "audit_entries")
#: Stored-query fields whose values are list-entry ids / user ids (customers/query.py).
ENTRY_FIELDS = frozenset({"stage", "level", "industry", "source", "tags"})
USER_FIELDS = frozenset({"owner", "created_by"})
#: Zip members at most (a backup has data.xlsx, the manifest and one member per file).
MAX_MEMBERS = 200_000
#: Rows inserted per statement.
BATCH = 500
_STORAGE_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,100}(/[A-Za-z0-9][A-Za-z0-9._-]{0,100})*$")


class Damaged(ValidationFailed):
    code = "damaged"

    def default_message(self) -> str:
        return str(_l("This backup is damaged: it cannot be restored."))


class OtherVersion(ValidationFailed):
    code = "other_version"

    def default_message(self) -> str:
        return str(
            _l(
                "This backup was made by another version of Baza. Restore it on an installation "
                "of that version, or make a new backup with this one."
            )
        )


class TooLarge(ServiceError):
    status = 413
    code = "too_large"


class NotEmpty(Conflict):
    code = "not_empty"

    def default_message(self) -> str:
        return str(
            _l(
                "A backup is restored into a new, empty company, and this one already has "
                "customers. Create a new company (sign up again with your email) and restore "
                "there."
            )
        )


def max_upload_mb() -> int:
    return int(current_app.config.get("BACKUP_MAX_MB", 1024))


def max_unpacked_bytes() -> int:
    return int(current_app.config.get("BACKUP_MAX_UNPACKED_MB", 8192)) * 1024 * 1024


# --- checking a file ---------------------------------------------------------------------------


def _damaged(detail: str) -> Damaged:
    log.info("backup refused as damaged: %s", detail)
    return Damaged()


def _read(archive: zipfile.ZipFile, name: str) -> Iterator[bytes]:
    """A member's bytes in blocks (never more than its declared size: zipfile stops there)."""
    try:
        with archive.open(name) as member:
            yield from iter(lambda: member.read(1 << 20), b"")
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as exc:
        raise _damaged(f"{name}: {exc}") from exc


def _sha256(archive: zipfile.ZipFile, name: str) -> str:
    digest = hashlib.sha256()
    for block in _read(archive, name):
        digest.update(block)
    return digest.hexdigest()


def _check_limits(archive: zipfile.ZipFile) -> None:
    members = archive.infolist()
    if len(members) > MAX_MEMBERS:
        raise TooLarge(_l("This backup has too many files to be restored here."))
    if sum(m.file_size for m in members) > max_unpacked_bytes():
        raise TooLarge(
            _l(
                "Unpacked, this backup would be larger than this installation restores (%(n)s MB).",
                n=max_unpacked_bytes() // (1024 * 1024),
            )
        )


def open_backup(data: bytes) -> tuple[zipfile.ZipFile, dict[str, Any]]:
    """The zip and its manifest, checked: size limits (a zip bomb is refused before anything is
    unpacked), format, schema version, every checksum. ``Damaged``/``OtherVersion``/``TooLarge``."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise Damaged(_l("This file is not a Baza backup (it is not a zip file).")) from exc
    _check_limits(archive)
    names = set(archive.namelist())
    if "manifest.json" not in names or "data.xlsx" not in names:
        raise Damaged(_l("This file is not a Baza backup (it has no manifest or no data)."))
    if archive.getinfo("manifest.json").file_size > 50 * 1024 * 1024:
        raise _damaged("manifest too large")
    try:
        manifest = json.loads(b"".join(_read(archive, "manifest.json")))
    except ValueError as exc:
        raise _damaged("manifest is not JSON") from exc
    _check_manifest(manifest)
    if manifest["schema_version"] != service.schema_version():
        raise OtherVersion()
    if _sha256(archive, "data.xlsx") != manifest["data"]["sha256"]:
        raise _damaged("data.xlsx checksum")
    for key, info in manifest["files"].items():
        name = f"files/{key}"
        if name not in names or _sha256(archive, name) != info["sha256"]:
            raise _damaged(f"file {key}")
    return archive, manifest


def _check_manifest(manifest: Any) -> None:
    ok = (
        isinstance(manifest, dict)
        and manifest.get("format") == service.FORMAT
        and manifest.get("format_version") == service.FORMAT_VERSION
        and isinstance(manifest.get("schema_version"), str)
        and isinstance(manifest.get("tables"), dict)
        and all(isinstance(v, int) for v in manifest["tables"].values())
        and isinstance(manifest.get("sheets"), dict)
        and isinstance(manifest.get("data"), dict)
        and isinstance(manifest["data"].get("sha256"), str)
        and isinstance(manifest.get("files"), dict)
    )
    if not ok:
        if isinstance(manifest, dict) and manifest.get("format") != service.FORMAT:
            raise Damaged(_l("This file is not a Baza backup."))
        raise _damaged("manifest shape")
    for key, info in manifest["files"].items():
        if (
            not isinstance(key, str)
            or not _STORAGE_KEY.match(key)
            or ".." in key
            or not isinstance(info, dict)
            or not isinstance(info.get("sha256"), str)
        ):
            raise _damaged(f"file entry {key!r}")


def company_is_empty() -> bool:
    """Whether the current company has no customers (trashed ones count)."""
    customers = db.metadata.tables["customers"]
    count = db.session.scalar(
        select(func.count())
        .select_from(customers)
        .where(customers.c.tenant_id == current_tenant_id())
    )
    return not count


def check_upload(*, actor: User, data: bytes) -> dict[str, Any]:
    """Everything a restore needs checked before it is queued; the manifest."""
    service.require_owner(actor)
    if len(data) > max_upload_mb() * 1024 * 1024:
        raise TooLarge(
            _l(
                "This backup is larger than this installation restores (%(n)s MB).",
                n=max_upload_mb(),
            )
        )
    if not company_is_empty():
        raise NotEmpty()
    running = db.session.scalar(
        select(JobRecord.id).where(
            JobRecord.kind == service.RESTORE_KIND,
            JobRecord.status.in_((JobStatus.QUEUED, JobStatus.RUNNING)),
        )
    )
    if running is not None:
        raise Conflict(_l("A restore is already running in this company."), code="restoring")
    _archive, manifest = open_backup(data)
    return manifest


def start_restore(*, actor: User, data: bytes) -> JobRecord:
    """Check the upload, keep it, and queue its restore (a tracked job on ``documents``)."""
    check_upload(actor=actor, data=data)
    record = progress.create_job(service.RESTORE_KIND, actor=actor)
    key = storage.unique_key("restores/upload", "zip")
    storage.put_new(record.tenant_id, key, data)
    enqueue_after_commit(run_restore, record.tenant_id, record.id, key, actor_id=actor.id)
    return record


# --- loading -----------------------------------------------------------------------------------


class _Loader:
    """One restore: the id maps and what was left out, over one transaction."""

    def __init__(self, tenant_id: int, actor: User, archive: zipfile.ZipFile, manifest: dict):
        self.tid = tenant_id
        self.actor = actor
        self.archive = archive
        self.manifest = manifest
        self.ids: dict[str, dict[int, int]] = {}
        self.accounts: dict[int, int] = {}
        self.role_keys: dict[int, str | None] = {}
        self.dropped: dict[str, int] = {}
        self.unlinked = 0
        self.placeholders = 0
        self.file_keys: dict[str, str] = {}
        self.long: dict[str, str] = {}
        self.now = utcnow()
        self.progress_done = 0
        self.record_id: int | None = None

    # -- reading the workbook

    def rows(self, sheet: Any, table: Table) -> Iterator[dict[str, Any]]:
        iterator = sheet.iter_rows(values_only=True)
        header = next(iterator, None)
        if header is None:
            raise _damaged(f"{table.name}: no header")
        names = list(header)
        while names and names[-1] is None:
            names.pop()
        columns = []
        for name in names:
            if name == "email" and table.name == "users":
                columns.append(None)
                continue
            if not isinstance(name, str) or name not in table.c:
                raise _damaged(f"{table.name}: unknown column {name!r}")
            columns.append(table.c[name])
        if "id" not in names or len(set(names)) != len(names):
            raise _damaged(f"{table.name}: bad header")
        for n, values in enumerate(iterator, 2):
            if values is None or all(v is None for v in values):
                continue
            row: dict[str, Any] = {}
            for i, name in enumerate(names):
                cell = values[i] if i < len(values) else None
                if isinstance(cell, str) and cell.startswith(tables.LONG):
                    cell = self.long.get(cell[len(tables.LONG) :])
                    if cell is None:
                        raise _damaged(f"{table.name} row {n}: long text missing")
                try:
                    if columns[i] is None:
                        row[name] = tables.from_cell(User.__table__.c.name, cell)
                    else:
                        row[name] = tables.from_cell(columns[i], cell)
                except tables.BadCell as exc:
                    raise _damaged(f"{table.name} row {n} {name}: {exc}") from exc
            if not isinstance(row.get("id"), int):
                raise _damaged(f"{table.name} row {n}: no id")
            yield row

    def read_long(self, workbook: Any) -> None:
        if tables.LONG_SHEET not in workbook.sheetnames:
            return
        pieces: dict[str, list[tuple[int, str]]] = {}
        iterator = workbook[tables.LONG_SHEET].iter_rows(values_only=True)
        next(iterator, None)
        for values in iterator:
            if not values or values[0] is None:
                continue
            ref, part, text = [*values, None, None, None][:3]
            if not isinstance(ref, str) or not isinstance(part, int) or not isinstance(text, str):
                raise _damaged("long text piece")
            pieces.setdefault(ref, []).append((part, text))
        self.long = {ref: "".join(t for _p, t in sorted(parts)) for ref, parts in pieces.items()}

    # -- writing

    def map_id(self, table: str, old: Any) -> int | None:
        return self.ids.get(table, {}).get(old) if isinstance(old, int) else None

    def prepare(self, table: Table, row: dict[str, Any], deferred: list) -> dict[str, Any] | None:
        """The row for the company: its tenant, no id, references mapped (None: left out)."""
        old_id = row.pop("id")
        row["tenant_id"] = self.tid
        for column, referred in tables.tenant_references(table):
            value = row.get(column)
            if value is None:
                continue
            if referred == table.name:
                deferred.append((old_id, column, value))
                row[column] = None
                continue
            new = self.map_id(referred, value)
            if new is None:
                if not table.c[column].nullable:
                    self.dropped[table.name] = self.dropped.get(table.name, 0) + 1
                    return None
                self.unlinked += 1
            row[column] = new
        for column in tables.FILE_COLUMNS.get(table.name, ()):
            if row.get(column):
                row[column] = self.restore_file(row[column])
        row["_old_id"] = old_id
        return row

    def restore_file(self, key: str) -> str | None:
        """Put the backup's file ``key`` in the company's storage; its key there (None when
        the backup does not hold it: it was missing when the backup was made)."""
        if key in self.file_keys:
            return self.file_keys[key]
        if key not in self.manifest["files"]:
            self.file_keys[key] = None  # type: ignore[assignment]
            return None
        data = b"".join(_read(self.archive, f"files/{key}"))
        new_key = key
        if storage.get_storage().exists(self.tid, key):
            new_key = storage.unique_key("restored/file", key.rsplit(".", 1)[-1][:8] or "bin")
        storage.put_new(self.tid, new_key, data)
        self.file_keys[key] = new_key
        return new_key

    def insert(self, table: Table, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        old_ids = [r.pop("_old_id") for r in rows]
        result = db.session.execute(
            insert(table).returning(table.c.id, sort_by_parameter_order=True), rows
        )
        mapping = self.ids.setdefault(table.name, {})
        for old, new in zip(old_ids, result.scalars().all(), strict=True):
            mapping[old] = new
        self.progress(len(rows))

    def progress(self, n: int) -> None:
        self.progress_done += n
        if self.record_id is not None and db.engine.dialect.name != "sqlite":
            # SQLite: this transaction holds the only write lock; the bar jumps at the end
            service.report_progress(self.record_id, self.progress_done)

    def load_table(self, table: Table, sheet: Any) -> None:
        if table.name == "roles":
            return self.load_roles(sheet, table)
        if table.name == "users":
            return self.load_users(sheet, table)
        deferred: list[tuple[int, str, int]] = []
        batch: list[dict[str, Any]] = []
        for row in self.rows(sheet, table):
            if row["id"] in self.ids.get(table.name, {}) or any(
                r["_old_id"] == row["id"] for r in batch
            ):
                raise _damaged(f"{table.name}: id {row['id']} twice")
            self.adjust(table.name, row)
            prepared = self.prepare(table, row, deferred)
            if prepared is None:
                continue
            batch.append(prepared)
            if len(batch) >= BATCH:
                self.insert(table, batch)
                batch = []
        self.insert(table, batch)
        self.resolve(table, deferred)

    def resolve(self, table: Table, deferred: list[tuple[int, str, int]]) -> None:
        mapping = self.ids.get(table.name, {})
        for old_id, column, old_ref in deferred:
            if old_id not in mapping:
                continue
            new_ref = mapping.get(old_ref)
            if new_ref is None:
                self.unlinked += 1
                continue
            db.session.execute(
                update(table)
                .where(table.c.tenant_id == self.tid, table.c.id == mapping[old_id])
                .values({column: new_ref})
            )

    def adjust(self, table: str, row: dict[str, Any]) -> None:
        """What a table needs beyond mapped keys."""
        if table == "invitations" and not row.get("accepted_at") and not row.get("revoked_at"):
            row["revoked_at"] = self.now  # its link named the old company
        elif table == "audit_entries":
            self.adjust_audit(row)
        elif table == "customer_segments" and row.get("query") is not None:
            row["query"] = self.remap_query(row["query"])

    def adjust_audit(self, row: dict[str, Any]) -> None:
        kind, old = row.get("object_type"), row.get("object_id")
        if old is not None:
            if kind == "tenants":
                row["object_id"] = self.tid
            elif kind == "accounts":
                row["object_id"] = self.accounts.get(old)
            else:
                row["object_id"] = self.map_id(kind or "", old)
        target = db.metadata.tables.get(kind or "")
        changes = row.get("changes")
        if target is None or not isinstance(changes, dict):
            return
        refs = dict(tables.tenant_references(target))
        for field, change in list(changes.items()):
            if field in refs:
                mapper = self.ids.get(refs[field], {})
            elif field == "account_id" and kind == "users":
                mapper = self.accounts
            elif field == "tenant_id":
                mapper = None
            else:
                continue

            def one(value: Any, mapper: dict | None = mapper) -> Any:
                if not isinstance(value, int) or isinstance(value, bool):
                    return value
                return self.tid if mapper is None else mapper.get(value)

            if isinstance(change, list):
                changes[field] = [one(v) for v in change]
            else:
                changes[field] = one(change)
        row["changes"] = changes

    def remap_query(self, node: Any) -> Any:
        if isinstance(node, list):
            return [self.remap_query(n) for n in node]
        if not isinstance(node, dict):
            return node
        if "field" in node:
            field = node.get("field")
            table = (
                "customer_list_entries"
                if field in ENTRY_FIELDS
                else "users"
                if field in USER_FIELDS
                else None
            )
            if table is not None and "value" in node:
                value = node["value"]
                if isinstance(value, list):
                    node["value"] = [
                        new for v in value if (new := self.map_id(table, v)) is not None
                    ]
                elif isinstance(value, int) and (new := self.map_id(table, value)) is not None:
                    node["value"] = new
            return node
        return {k: self.remap_query(v) for k, v in node.items()}

    def load_roles(self, sheet: Any, table: Table) -> None:
        own = list(db.session.scalars(select(Role)))
        by_key = {r.key: r.id for r in own if r.key}
        by_name = {r.name: r.id for r in own}
        mapping = self.ids.setdefault("roles", {})
        for row in self.rows(sheet, table):
            self.role_keys[row["id"]] = row.get("key")
            if row.get("key"):
                if row["key"] in by_key:
                    mapping[row["id"]] = by_key[row["key"]]
                    continue
                row["key"] = None  # a built-in role this version does not know: custom
            if row.get("name") in by_name:
                mapping[row["id"]] = by_name[row["name"]]
                continue
            old = row.pop("id")
            row["tenant_id"] = self.tid
            new = db.session.execute(insert(table).returning(table.c.id), [row]).scalar_one()
            mapping[old] = new
            by_name[row["name"]] = new
        self.progress(len(mapping))

    def load_users(self, sheet: Any, table: Table) -> None:
        members = {
            u.account.email: u.id for u in db.session.scalars(select(User)) if u.account is not None
        }
        mapping = self.ids.setdefault("users", {})
        deferred: list[tuple[int, str, int]] = []
        admin_role = db.session.scalar(select(Role.id).where(Role.key == "admin"))
        from saas.auth.service import hash_password

        for row in self.rows(sheet, table):
            email = (row.pop("email", None) or "").strip().lower()
            old = row["id"]
            if old in mapping:
                raise _damaged(f"users: id {old} twice")
            old_account = row.get("account_id")
            if self.role_keys.get(row.get("role_id")) == "owner":
                mapping[old] = self.actor.id
                if isinstance(old_account, int):
                    self.accounts[old_account] = self.actor.account_id
                continue
            if not email or "@" not in email or len(email) > 254:
                raise _damaged(f"users: bad email for user {old}")
            if email in members:
                mapping[old] = members[email]
                if isinstance(old_account, int):
                    self.accounts[old_account] = db.session.get(User, members[email]).account_id
                continue
            with email_lookup(email):
                account_id = db.session.scalar(select(Account.id).where(Account.email == email))
                if account_id is None:
                    accounts = Account.__table__
                    account_id = db.session.execute(
                        insert(accounts).returning(accounts.c.id),
                        [
                            {
                                "email": email,
                                "password_hash": hash_password(secrets.token_urlsafe(32)),
                                "created_at": self.now,
                            }
                        ],
                    ).scalar_one()
            role_id = self.map_id("roles", row.get("role_id"))
            if role_id is None or self.role_keys.get(row.get("role_id")) == "owner":
                role_id = admin_role
            prepared = self.prepare(table, dict(row), deferred)
            assert prepared is not None
            prepared.pop("_old_id")
            prepared.update(account_id=account_id, role_id=role_id, is_active=False)
            # the one membership created for another account: inactive, named by the backup
            enter_account(account_id)
            try:
                new = db.session.execute(
                    insert(table).returning(table.c.id), [prepared]
                ).scalar_one()
            finally:
                enter_account(self.actor.account_id)
            mapping[old] = new
            members[email] = new
            if isinstance(old_account, int):
                self.accounts[old_account] = account_id
            self.placeholders += 1
        self.resolve(table, deferred)
        self.progress(len(mapping))

    def clear(self, backed: list[Table]) -> None:
        """Remove the rows the new company starts with that the backup replaces."""
        for table in reversed(backed):
            if table.name not in MERGED:
                db.session.execute(delete(table).where(table.c.tenant_id == self.tid))

    def apply_company(self, workbook: Any) -> None:
        if tables.TENANT_SHEET not in workbook.sheetnames:
            raise _damaged("no company sheet")
        iterator = workbook[tables.TENANT_SHEET].iter_rows(values_only=True)
        header = list(next(iterator, None) or ())
        values = list(next(iterator, None) or ())
        tenant_table = Tenant.__table__
        settings = {}
        for i, name in enumerate(header):
            if name in tables.TENANT_COLUMNS:
                cell = values[i] if i < len(values) else None
                try:
                    settings[name] = tables.from_cell(tenant_table.c[name], cell)
                except tables.BadCell as exc:
                    raise _damaged(f"company {name}: {exc}") from exc
        tenant = db.session.get(Tenant, self.tid)
        for name in tables.TENANT_RESTORED:
            if name in settings and (settings[name] is not None or tenant_table.c[name].nullable):
                setattr(tenant, name, settings[name])
        if settings.get("logo_key"):
            key = self.restore_file(settings["logo_key"])
            if key:
                if tenant.logo_key:
                    storage.delete_after_commit(self.tid, tenant.logo_key)
                tenant.logo_key = key
        top = db.session.scalar(
            select(func.max(db.metadata.tables["customers"].c.number)).where(
                db.metadata.tables["customers"].c.tenant_id == self.tid
            )
        )
        seq = settings.get("customer_seq") if isinstance(settings.get("customer_seq"), int) else 0
        tenant.customer_seq = max(tenant.customer_seq or 0, top or 0, seq or 0)

    def run(self, data_path: Path) -> dict[str, Any]:
        workbook = load_workbook(data_path, read_only=True, data_only=True)
        try:
            self.read_long(workbook)
            backed = {t.name: t for t in tables.backed_up_tables()}
            sheets = self.manifest["sheets"]
            for name in backed:
                if sheets.get(name) not in workbook.sheetnames:
                    raise _damaged(f"no sheet for {name}")
            # the tenant row lock (as customers.service.next_number takes it), then emptiness
            tenants = Tenant.__table__
            db.session.execute(
                update(tenants)
                .where(tenants.c.id == self.tid)
                .values(customer_seq=tenants.c.customer_seq)
            )
            if not company_is_empty():
                raise NotEmpty()
            order = [t for t in backed.values() if t.name not in LATE]
            order += [backed[n] for n in LATE if n in backed]
            self.clear(list(backed.values()))
            for table in order:
                self.load_table(table, workbook[sheets[table.name]])
            self.apply_company(workbook)
        finally:
            workbook.close()
        counts = {name: len(self.ids.get(name, {})) for name in backed}
        return {
            "tables": counts,
            "files": sum(1 for v in self.file_keys.values() if v),
            "placeholders": self.placeholders,
            "dropped": self.dropped,
            "unlinked": self.unlinked,
        }


def _summary(result: dict[str, Any]) -> list[str]:
    lines = [
        str(
            _l(
                "Restored: %(customers)s customers, %(contacts)s contacts, %(files)s files.",
                customers=result["tables"].get("customers", 0),
                contacts=result["tables"].get("contacts", 0),
                files=result["files"],
            )
        )
    ]
    if result["placeholders"]:
        lines.append(
            str(
                _l(
                    "%(n)s colleagues were added as deactivated members: reactivate those who "
                    "should work here on the Team page.",
                    n=result["placeholders"],
                )
            )
        )
    dropped = sum(result["dropped"].values())
    if dropped:
        lines.append(
            str(
                _l(
                    "%(n)s rows pointed at data the backup did not hold and were left out.",
                    n=dropped,
                )
            )
        )
    return lines


def restore_data(tenant_id: int, actor: User, data: bytes, record_id: int | None = None) -> dict:
    """Load backup ``data`` into the current (empty) company as ``actor``, in the open
    transaction (the caller commits). The result counts."""
    archive, manifest = open_backup(data)
    folder = Path(tempfile.mkdtemp(prefix="baza-restore-"))
    try:
        data_path = folder / "data.xlsx"
        with open(data_path, "wb") as f:
            for block in _read(archive, "data.xlsx"):
                f.write(block)
        try:
            with zipfile.ZipFile(data_path) as inner:
                if sum(m.file_size for m in inner.infolist()) > max_unpacked_bytes():
                    raise TooLarge(_l("This backup's data is too large to be restored here."))
        except zipfile.BadZipFile as exc:
            raise _damaged("data.xlsx is not an xlsx file") from exc
        loader = _Loader(tenant_id, actor, archive, manifest)
        loader.record_id = record_id
        try:
            result = loader.run(data_path)
        except (KeyError, TypeError, ValueError, zipfile.BadZipFile, SQLAlchemyError) as exc:
            if isinstance(exc, ServiceError):
                raise
            log.warning("restore failed: %s", exc)
            raise Damaged() from exc
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    from saas.audit.service import record_event

    record_event(
        "backups.restored",
        None,
        source=manifest.get("tenant_name"),
        made=manifest.get("created_at"),
        customers=result["tables"].get("customers", 0),
    )
    result["summary"] = _summary(result)
    return result


@job("documents", retries=0)
def run_restore(tenant_id: int, record_id: int, upload_key: str) -> None:
    """Tracked: restore the uploaded backup in one transaction; a refusal or failure leaves the
    company as it was and says why on the job (in the restorer's language)."""
    actor = db.session.get(User, g.actor_id) if g.get("actor_id") else None
    with force_locale((actor.language if actor else None) or "en"):
        _run_restore(tenant_id, record_id, upload_key, actor)


def _run_restore(tenant_id: int, record_id: int, upload_key: str, actor: User | None) -> None:
    record = db.session.get(JobRecord, record_id)
    record.status = JobStatus.RUNNING
    record.started_at = utcnow()
    db.session.commit()
    data = storage.get_storage().get(tenant_id, upload_key) or b""
    try:
        if not service.is_owner(actor):
            raise service.PermissionDenied()
        result = restore_data(tenant_id, actor, data, record_id)
    except Exception as exc:
        db.session.rollback()
        if not isinstance(exc, ServiceError):
            log.exception("restore %s failed", record_id)
        message = exc.message if isinstance(exc, ServiceError) else str(Damaged().message)
        record = db.session.get(JobRecord, record_id)
        record.status = JobStatus.FAILED
        record.message = message[:300]
        record.result = {"error": getattr(exc, "code", "failed"), "summary": [message]}
        record.finished_at = utcnow()
        storage.delete_after_commit(tenant_id, upload_key)
        db.session.commit()
        return
    record = db.session.get(JobRecord, record_id)
    record.status = JobStatus.SUCCEEDED
    record.total = record.done = sum(result["tables"].values())
    record.result = {k: result[k] for k in ("tables", "files", "placeholders", "summary")}
    record.finished_at = utcnow()
    storage.delete_after_commit(tenant_id, upload_key)
