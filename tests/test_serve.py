"""`flask serve` (what `make run` starts): web, worker and scheduler come up together, the worker
runs jobs, and SIGTERM stops every process it started."""

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
    yield proc, base, tmp_path
    if proc.poll() is None:
        proc.kill()
    log.close()


def test_serve_runs_web_worker_and_scheduler_and_stops_them_all(served):
    proc, base, _tmp_path = served
    children = psutil.Process(proc.pid).children(recursive=True)
    commands = " ".join(" ".join(c.cmdline()) for c in children)
    assert "gunicorn" in commands and " worker" in commands and " scheduler" in commands

    # A person signs up and invites a colleague; the worker process handles the mail job.
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def post(path, fields):
        page = opener.open(base + path).read().decode()
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        data = urllib.parse.urlencode({**fields, "csrf_token": token}).encode()
        return opener.open(urllib.request.Request(base + path, data=data)).read().decode()

    post(
        "/signup",
        {
            "company": "Served",
            "name": "Sam",
            "email": "sam@served.example.com",
            "password": "long enough pw",
        },
    )
    invite_page = opener.open(base + "/users/invite").read().decode()
    sales = re.search(r'<option[^>]*value="(\d+)"[^>]*>Sales representative', invite_page).group(1)
    post("/users/invite", {"email": "colleague@served.example.com", "role": sales})
    deadline = time.monotonic() + 30
    while 'data-status="outbox"' not in (outbox := opener.open(base + "/outbox").read().decode()):
        assert time.monotonic() < deadline, "the worker did not process the mail job"
        time.sleep(0.3)
    assert "colleague@served.example.com" in outbox

    proc.send_signal(signal.SIGTERM)
    assert proc.wait(30) == 0
    _gone, alive = psutil.wait_procs(children, timeout=15)
    assert alive == [], [c.pid for c in alive]
