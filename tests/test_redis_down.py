"""Issue 5 finding 12: with Redis down, requests that committed say so and login works.

Run in a child process: Flask-Limiter's limiter is one object per process, and this app points
it at a Redis that is not there.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = textwrap.dedent(
    """
    import re
    from flask_migrate import upgrade
    from sqlalchemy import select

    from saas import create_app
    from saas.extensions import db

    app = create_app({"TESTING": True,
                      "ARGON2_PARAMS": {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}})
    with app.app_context():
        upgrade()
    c = app.test_client()

    def token(path):
        resp = c.get(path)
        page = resp.get_data(as_text=True)
        assert "csrf_token" in page, (path, resp.status_code, page[-1500:])
        return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)

    def post(path, **data):
        return c.post(path, data={**data, "csrf_token": token(path)})

    r = post("/signup", company="Down Co", name="Dee", email="dee@down.example.com",
             password="long enough pw")
    assert r.status_code == 303, r.status_code
    page = c.get("/users/invite").get_data(as_text=True)
    role = re.search(r'<option[^>]*value="(\\d+)"[^>]*>Sales representative', page).group(1)
    r = post("/users/invite", email="new@down.example.com", role=role)
    assert r.status_code == 303, (r.status_code, r.get_data(as_text=True)[-800:])
    again = post("/users/invite", email="new@down.example.com", role=role)
    # it was saved: the first answer was the truth
    assert again.status_code in (409, 422), again.status_code
    assert "already been invited" in again.get_data(as_text=True)
    with app.app_context():
        from saas.mail.models import MailMessage
        from saas.tenancy.context import tenant_context
        from saas.tenancy.models import Tenant
        tid = db.session.scalar(select(Tenant.id))
        with tenant_context(tid):
            statuses = db.session.scalars(select(MailMessage.status)).all()
    assert statuses == ["queued"], statuses  # the sweep sends it once Redis is back
    c.post("/logout", data={"csrf_token": token("/dashboard")})

    r = post("/login", email="dee@down.example.com", password="long enough pw")
    assert r.status_code == 303, r.status_code
    c.post("/logout", data={"csrf_token": token("/dashboard")})
    codes = [post("/login", email="dee@down.example.com", password="wrong!").status_code
             for _ in range(6)]
    assert codes == [422] * 5 + [429], codes  # the limits still hold, in memory
    r = post("/password/forgot", email="someone@down.example.com")
    assert r.status_code == 200, r.status_code
    print("REDIS-DOWN-OK")
    """
)


def test_redis_down_invite_login_and_forgot_still_answer(tmp_path):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SMTP_HOST")},
        "BAZA_INSTANCE_DIR": str(tmp_path / "instance"),
        "TENANTS_DIR": str(tmp_path / "tenants"),
        "REDIS_URL": f"redis://127.0.0.1:{port}/0",
        "SECRET_KEY": "redis-down",
    }
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=240,
    )  # fmt: skip
    assert "REDIS-DOWN-OK" in done.stdout, done.stdout[-3000:] + done.stderr[-5000:]
