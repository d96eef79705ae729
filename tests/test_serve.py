"""`flask serve` (what `make run` starts): web, worker and scheduler come up together, the worker
runs jobs, and SIGTERM stops every process it started."""

import contextlib
import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import psutil
import pytest

ROOT = Path(__file__).resolve().parent.parent


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _flask(*args, env, **kw):
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, env=env, **kw
    )


def _browser(base):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def post(path, fields):
        page = opener.open(base + path).read().decode()
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        data = urllib.parse.urlencode({**fields, "csrf_token": token}).encode()
        return opener.open(urllib.request.Request(base + path, data=data)).read().decode()

    return opener, post


def _invite_and_see_the_mail_sent(opener, post, base, email):
    """Invite ``email``; the worker process must take the mail job (no SMTP: it lands in Outbox)."""
    invite_page = opener.open(base + "/users/invite").read().decode()
    sales = re.search(r'<option[^>]*value="(\d+)"[^>]*>Sales representative', invite_page).group(1)
    post("/users/invite", {"email": email, "role": sales})
    deadline = time.monotonic() + 90  # generous: the test machine is shared
    while 'data-status="outbox"' not in (outbox := opener.open(base + "/outbox").read().decode()):
        assert time.monotonic() < deadline, "the worker did not process the mail job"
        time.sleep(0.3)
    assert email in outbox


@pytest.fixture
def served(tmp_path):
    port = _free_port()
    env = {
        **{
            k: v
            for k, v in os.environ.items()
            if k not in ("DATABASE_URL", "REDIS_URL", "SMTP_HOST")
        },
        "BAZA_INSTANCE_DIR": str(tmp_path / "instance"),
        "TENANTS_DIR": str(tmp_path / "tenants"),
        "PORT": str(port),
        "SECRET_KEY": "serve-test",
    }
    assert (
        _flask("db", "upgrade", env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).wait(
            60
        )
        == 0
    )
    log = open(tmp_path / "serve.log", "wb")  # noqa: SIM115
    proc = _flask("serve", env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as resp:
                if resp.status == 200:
                    break
        except OSError:  # not listening yet, or still starting up
            pass
        assert proc.poll() is None, (tmp_path / "serve.log").read_text()
        assert time.monotonic() < deadline, "flask serve did not answer /healthz within 60 s"
        time.sleep(0.3)
    yield proc, base, tmp_path, env
    if proc.poll() is None:
        proc.kill()
    log.close()


def test_serve_runs_web_worker_and_scheduler_and_stops_them_all(served):
    proc, base, tmp_path, _env = served
    children = psutil.Process(proc.pid).children(recursive=True)
    commands = " ".join(" ".join(c.cmdline()) for c in children)
    assert "gunicorn" in commands and " worker" in commands and " scheduler" in commands

    # A person signs up and invites a colleague; the worker process handles the mail job.
    opener, post = _browser(base)
    post(
        "/signup",
        {
            "company": "Served",
            "name": "Sam",
            "email": "sam@served.example.com",
            "password": "long enough pw",
        },
    )
    _invite_and_see_the_mail_sent(opener, post, base, "colleague@served.example.com")

    # Account keys stay out of the access log (issue 5 finding 15).
    for path in ("/password/reset/SeCrEtReSeT.tok", "/invite/SeCrEtInViTe.tok?token=SeCrEtQuErY"):
        with contextlib.suppress(urllib.error.HTTPError):  # not a valid link: a 404 page
            opener.open(base + path)
    time.sleep(0.5)
    log = (tmp_path / "serve.log").read_text()
    assert "/password/reset/[redacted]" in log and "/invite/[redacted]" in log
    assert "SeCrEt" not in log

    proc.send_signal(signal.SIGTERM)
    assert proc.wait(30) == 0
    _gone, alive = psutil.wait_procs(children, timeout=15)
    assert alive == [], [c.pid for c in alive]


@pytest.mark.timeout(360)  # five `flask` processes start one after another: slow on a busy machine
def test_documented_commands_beside_serve_leave_it_running(served):
    """An operator's `flask` commands beside `make run` must not stop its embedded Redis."""
    proc, base, _tmp_path, env = served
    commands = [
        ["routes"],
        ["create-tenant", "--company", "Op Co", "--name", "Olga", "--email", "olga@op.example.com",
         "--password", "long enough pw"],
        ["set-password", "olga@op.example.com", "--password", "another long pw"],
        ["set-password", "nobody@op.example.com", "--password", "another long pw"],
    ]  # fmt: skip
    for args in commands:
        done = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi", *args],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert "Traceback" not in done.stderr, (args, done.stderr)
        assert done.returncode == (1 if "nobody@op.example.com" in args else 0), (args, done.stderr)
        time.sleep(0.5)  # an exit hook that stops Redis would have done so by now
        with urllib.request.urlopen(base + "/healthz", timeout=20) as resp:
            assert resp.status == 200, args
    assert proc.poll() is None

    opener, post = _browser(base)
    post("/login", {"email": "olga@op.example.com", "password": "another long pw"})
    _invite_and_see_the_mail_sent(opener, post, base, "new@op.example.com")


def test_commands_that_need_no_redis_do_not_start_it(tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")},
        "BAZA_INSTANCE_DIR": str(tmp_path / "instance"),
        "SECRET_KEY": "lazy-test",
    }
    for args in (["db", "upgrade"], ["routes"]):
        done = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi", *args],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
    assert not (tmp_path / "instance" / "redis.db").exists()
    assert not (tmp_path / "instance" / "redis.db.settings").exists()
