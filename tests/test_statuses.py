"""Statuses are enums (StrEnum), compared by member, never by a string literal repeated in code."""

from __future__ import annotations

import ast
from pathlib import Path

from saas.auth.models import InvitationStatus
from saas.imports.models import ImportStatus
from saas.mail.models import MailStatus
from saas.progress.models import JobStatus

ROOT = Path(__file__).resolve().parents[1]
ENUMS = (InvitationStatus, MailStatus, JobStatus, ImportStatus)
VALUES = {m.value for e in ENUMS for m in e}


def _literals(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return [e.value for e in node.elts if isinstance(e, ast.Constant)]
    return []


def _is_status(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "status"


def test_no_status_is_compared_with_a_string_literal():
    offenders = []
    for path in sorted((ROOT / "saas").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Compare) and (
                _is_status(node.left) or any(_is_status(c) for c in node.comparators)
            ):
                sides = [node.left, *node.comparators]
                if any(v in VALUES for side in sides for v in _literals(side)):
                    rel = path.relative_to(ROOT).as_posix()
                    offenders.append(f"{rel}:{node.lineno}")
    assert offenders == []


def test_statuses_are_members_of_their_enum(app):
    from datetime import timedelta

    from saas.auth.models import Invitation
    from saas.utils import utcnow

    inv = Invitation(expires_at=utcnow() + timedelta(days=1))
    assert inv.status is InvitationStatus.PENDING
    inv.revoked_at = utcnow()
    assert inv.status is InvitationStatus.REVOKED
