"""What the account tests share (audit, export, billing, abuse): a server with an admin token, a
Stripe webhook secret and a trusted client-IP header, and helpers to sign up a project and read
its audit log. The `srv` fixture is imported by the test modules that use it.
"""
import sqlite3
import time
from urllib.parse import quote

import pytest

from harness import Client, signup

ADMIN = "admin-token-" + "a" * 40
WHSEC = "whsec_test_secret_0123456789"
MASTER_KEY = "5e" * 32
IP_HEADER = "X-Test-Client-IP"


def admin(s):
    return Client(s.port, ADMIN)


def new_project(s, name="Acct"):
    info = signup(s.client(), email="owner@example.com", name=name)
    c = Client(s.port, info["api_key"])
    c.info = info
    return c


def internal_id(db_path, project_id):
    db = sqlite3.connect(db_path)
    try:
        row = db.execute("SELECT id FROM projects WHERE project_id = ?", (project_id,)).fetchone()
        return row[0] if row else None
    finally:
        db.close()


def wait_for(fn, timeout=5.0):
    """Polls `fn` until it returns something truthy (audit request rows commit within ~200 ms)."""
    deadline = time.time() + timeout
    while True:
        v = fn()
        if v or time.time() > deadline:
            return v
        time.sleep(0.05)


def audit_actions(c, **params):
    q = "&".join(f"{k}={quote(str(v))}" for k, v in params.items())
    r = c.get("/audit-log?limit=200" + ("&" + q if q else ""))
    assert r.status == 200, r
    return r.json["entries"]


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    from harness import VigilServer
    sec = tmp_path_factory.mktemp("sec") / "security.txt"
    sec.write_text("Contact: mailto:security@example.com\nExpires: 2030-01-01T00:00:00.000Z\n")
    s = VigilServer(env={"VIGIL_ADMIN_TOKEN": ADMIN, "VIGIL_TRUSTED_PROXY_HEADER": IP_HEADER,
                         "VIGIL_RATE_LIMIT_BURST": "100000", "VIGIL_RATE_LIMIT_PER_SEC": "100000",
                         "VIGIL_STRIPE_WEBHOOK_SECRET": WHSEC, "VIGIL_MASTER_KEY": MASTER_KEY,
                         "VIGIL_WEBHOOK_ALLOW_PRIVATE": "1", "VIGIL_SECURITY_TXT": str(sec)})
    s.start()
    yield s
    s.cleanup()
