"""What the webhook tests share: the server settings they run under, a Standard Webhooks verifier
written from the spec (not Vigil's code), a real local receiver, and helpers that create webhooks
and the failures they deliver. Fixtures defined here are imported by the test modules that use
them.
"""
import base64
import hashlib
import hmac
import http.server
import threading
import time
import uuid

import pytest

from harness import VigilServer, new_project_client

MASTER_KEY = "4f" * 32
OTHER_KEY = base64.b64encode(b"k" * 32).decode()
THIRD_KEY = "a1" * 32
CLASSES = ("crashes, loops, tool_failures, validator_failures, drift, cost_velocity, "
           "prompt_injection")
BASE_ENV = {
    "VIGIL_MASTER_KEY": MASTER_KEY,
    "VIGIL_WEBHOOK_ALLOW_PRIVATE": "1",
    "VIGIL_WEBHOOK_RETRY_BASE_MS": "300",
    "VIGIL_DASHBOARD_URL": "https://vigil.example/ui/",
    "VIGIL_RATE_LIMIT_BURST": "100000",
    "VIGIL_RATE_LIMIT_PER_SEC": "100000",
    "VIGIL_TRUSTED_PROXY_HEADER": "X-Test-Client-IP",
}


# --- a Standard Webhooks verifier, written from the spec (not Vigil's code) ---------------------

def expected_signature(secret, msg_id, timestamp, body):
    key = base64.b64decode(secret[len("whsec_"):])
    mac = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def verify(secret, headers, body, tolerance_s=300):
    """Raises unless the request carries a valid, fresh Standard Webhooks v1 signature."""
    msg_id, ts = headers["webhook-id"], headers["webhook-timestamp"]
    assert abs(time.time() - int(ts)) <= tolerance_s, "stale timestamp"
    want = expected_signature(secret, msg_id, ts, body)
    offered = headers["webhook-signature"].split(" ")
    assert any(hmac.compare_digest(want, s) for s in offered), (want, offered)


# --- a real receiver --------------------------------------------------------------------------

class Receiver:
    """HTTP server on 127.0.0.1:0 answering POSTs from a plan (statuses, then `default`)."""

    def __init__(self, plan=(), default=200):
        self.plan = list(plan)
        self.default = default
        self.requests = []
        self.lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with outer.lock:
                    outer.requests.append(({k.lower(): v for k, v in self.headers.items()},
                                           body, self.path))
                    action = outer.plan.pop(0) if outer.plan else outer.default
                if isinstance(action, str) and action.startswith("sleep:"):
                    time.sleep(float(action.split(":")[1]))
                    action = 200
                self.send_response(action)
                self.send_header("Content-Type", "text/plain")
                reply = f"answer {action}".encode()
                self.send_header("Content-Length", str(len(reply)))
                try:
                    self.end_headers()
                    self.wfile.write(reply)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # a "sleep:" answer outlived the sender's timeout, as planned

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hook?x=1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, n, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.lock:
                if len(self.requests) >= n:
                    return list(self.requests)
            time.sleep(0.05)
        raise AssertionError(f"expected {n} requests, got {len(self.requests)}")

    def count(self):
        with self.lock:
            return len(self.requests)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    made = []

    def make(plan=(), default=200):
        r = Receiver(plan, default)
        made.append(r)
        return r

    yield make
    for r in made:
        r.close()


@pytest.fixture(scope="module")
def server():
    s = VigilServer(env=BASE_ENV)
    s.start()
    yield s
    s.cleanup()


def new_project(server):
    return new_project_client(server, "w")


@pytest.fixture
def proj(server):
    p = new_project(server)
    yield p
    p.close()


def crash(c, signature, eid=None):
    """An execution that crashes with `signature`: creates the crashes group on first sight."""
    eid = eid or "wx-" + uuid.uuid4().hex[:10]
    assert c.post("/executions", {"execution_id": eid}).status == 200
    r = c.patch(f"/executions/{eid}", {"status": "crashed", "crash_signature": signature})
    assert r.status == 200, r
    return eid


def create(c, url, **fields):
    r = c.post("/webhooks", dict({"url": url}, **fields))
    assert r.status == 200, r
    return r.json


def hook_then_crash(c, receiver, plan, tag):
    """A webhook on a receiver answering by `plan`, then a new crashes group (signature `tag`-…)
    for it to deliver: (receiver, webhook)."""
    rx = receiver(plan=plan)
    hook = create(c, rx.url)
    crash(c, tag + "-" + uuid.uuid4().hex[:8])
    return rx, hook


def deliveries(c, webhook_id, **query):
    qs = "&".join(f"{k}={v}" for k, v in query.items())
    r = c.get(f"/webhooks/{webhook_id}/deliveries" + ("?" + qs if qs else ""))
    assert r.status == 200, r
    return r.json["deliveries"]


def wait_deliveries(c, webhook_id, pred, timeout=15):
    deadline = time.time() + timeout
    rows = []
    while time.time() < deadline:
        rows = deliveries(c, webhook_id)
        if pred(rows):
            return rows
        time.sleep(0.1)
    raise AssertionError(rows)
