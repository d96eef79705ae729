"""The shared keyset pager: stable (key, id) order, next/prev, opaque signed cursors."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from html import unescape

from sqlalchemy import select

from saas.extensions import db
from saas.mail.models import MailMessage
from saas.pagination import make_cursor, paginate
from saas.tenancy.context import tenant_context
from tests.conftest import login, make_company

T0 = datetime(2026, 1, 1, 12, 0, 0)


def _messages(app, company, times: list[datetime]) -> list[int]:
    with app.app_context(), tenant_context(company.tenant_id):
        rows = [
            MailMessage(
                kind="test",
                to_addr=f"m{i}@example.com",
                subject=f"Message {i}",
                body_text="x",
                status="outbox",
                created_at=t,
            )
            for i, t in enumerate(times)
        ]
        db.session.add_all(rows)
        db.session.commit()
        return [r.id for r in rows]


def _page(cursor=None, limit=3):
    return paginate(
        select(MailMessage),
        name="test",
        key=MailMessage.created_at,
        id_col=MailMessage.id,
        cursor=cursor,
        limit=limit,
    )


def test_walks_every_row_once_forwards_and_back_with_ties_on_the_key(app):
    a = make_company(app, "Acme")
    # ties on the sort key: only the id orders them
    times = [T0, T0, T0 + timedelta(minutes=1), T0, T0 + timedelta(minutes=2), T0, T0]
    ids = _messages(app, a, times)
    expected = [i for _, i in sorted(zip(times, ids, strict=True), reverse=True)]
    with app.app_context(), tenant_context(a.tenant_id):
        pages, page = [], _page()
        assert page.prev is None
        while True:
            pages.append([m.id for m in page.items])
            if not page.next:
                break
            page = _page(page.next)
        assert [i for p in pages for i in p] == expected
        assert [len(p) for p in pages] == [3, 3, 1]
        back = []
        while page.prev:
            page = _page(page.prev)
            back.insert(0, [m.id for m in page.items])
        assert back == pages[:-1]
        assert page.prev is None and page.next  # back on the first page


def test_new_rows_between_clicks_neither_repeat_nor_skip(app):
    a = make_company(app, "Acme")
    ids = _messages(app, a, [T0 + timedelta(minutes=i) for i in range(6)])
    with app.app_context(), tenant_context(a.tenant_id):
        first = _page()
    _messages(app, a, [T0 + timedelta(hours=1)] * 2)  # newer mail arrives meanwhile
    with app.app_context(), tenant_context(a.tenant_id):
        second = _page(first.next)
        assert [m.id for m in second.items] == ids[2::-1]


def test_forged_or_foreign_cursors_give_the_first_page(app):
    a = make_company(app, "Acme")
    ids = _messages(app, a, [T0 + timedelta(minutes=i) for i in range(5)])
    with app.app_context(), tenant_context(a.tenant_id):
        newest = [ids[4], ids[3], ids[2]]
        assert [m.id for m in _page("garbage").items] == newest
        other_list = make_cursor("audit", T0, ids[1], "next")  # signed for another list
        assert [m.id for m in _page(other_list).items] == newest
        tampered = make_cursor("test", T0 + timedelta(minutes=2), ids[2], "next")[:-2] + "xx"
        assert [m.id for m in _page(tampered).items] == newest


def _next_link(html: str) -> str | None:
    m = re.search(r'rel="next" href="([^"]+)"', html)
    return unescape(m.group(1)) if m else None


def test_the_outbox_pages_with_the_shared_pager(app, client):
    a = make_company(app, "Acme")
    _messages(app, a, [T0 + timedelta(seconds=i) for i in range(55)])
    login(client, a.owner.email)
    html = client.get("/outbox").get_data(as_text=True)
    assert html.count('id="message-') == 50
    assert "Message 54" in html and "Message 4<" not in html
    html2 = client.get(_next_link(html)).get_data(as_text=True)
    subjects = re.findall(r">(Message \d+)<", html + html2)
    assert len(subjects) == len(set(subjects)) == 55
    assert 'rel="prev"' in html2 and _next_link(html2) is None


def test_the_audit_log_pages_with_the_shared_pager(app, client):
    from saas.audit.models import AuditEntry

    a = make_company(app, "Acme")
    with app.app_context(), tenant_context(a.tenant_id):
        db.session.add_all(
            AuditEntry(action="test.event", object_type="", changes={}, created_at=T0)
            for _ in range(60)
        )
        db.session.commit()
    login(client, a.owner.email)
    html = client.get("/audit").get_data(as_text=True)
    nxt = _next_link(html)
    assert nxt and "cursor=" in nxt
    html2 = client.get(nxt, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert html2.lstrip().startswith('<div id="audit-table">') and 'rel="prev"' in html2
    with app.app_context(), tenant_context(a.tenant_id):
        total = db.session.scalar(select(db.func.count()).select_from(AuditEntry))
    assert 60 < total < 100
    assert html.count('class="audit-when"') == 50
    assert html2.count('class="audit-when"') == total - 50
