"""Starts the real vigil binary on an ephemeral port with a temporary database and talks HTTP to it.

Only the standard library: http.client gives exact control over headers, bodies and connections.
"""
import http.client
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import tempfile
import time
import uuid

BIN = os.environ.get("VIGIL_BIN") or os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "vigil")
DEV_KEY = "vigil_sk_test_dev_key_0123456789"


# What ASan, UBSan, LSan and TSan print (to the server's log) when a sanitizer build finds a bug.
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                     "WARNING: ThreadSanitizer", "ERROR: ThreadSanitizer")


def check_sanitizer_reports(log):
    for marker in SANITIZER_MARKERS:
        at = log.find(marker)
        if at >= 0:
            raise AssertionError("sanitizer report in the server log:\n" + log[at:at + 4000])


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # lower-cased names
        self.body = body
        try:
            self.json = json.loads(body) if body else None
        except ValueError:
            self.json = None

    def __repr__(self):
        return f"<Response {self.status} {self.body[:300]!r}>"


class VigilServer:
    def __init__(self, env=None, db_dir=None, log_dir=None):
        self.tmp = tempfile.TemporaryDirectory(prefix="vigil-test-") if db_dir is None else None
        self.dir = db_dir or self.tmp.name
        self.db = os.path.join(self.dir, "vigil.db")
        self.extra_env = env or {}
        self.proc = None
        self.port = None
        self.log_path = os.path.join(log_dir or self.dir, f"server-{uuid.uuid4().hex}.log")

    def start(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith("VIGIL_")}
        env.update({"VIGIL_PORT": "0", "VIGIL_BIND": "127.0.0.1", "VIGIL_DB": self.db,
                    "VIGIL_DEV": "1", "VIGIL_DEV_KEY": DEV_KEY})
        env.update(self.extra_env)
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([BIN], env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("vigil exited: " + self.read_log())
            m = re.search(r'"msg":"listening".*?"port":(\d+)', self.read_log())
            if m:
                self.port = int(m.group(1))
                return self
            time.sleep(0.02)
        raise RuntimeError("vigil did not start: " + self.read_log())

    def read_log(self):
        with open(self.log_path, "r", errors="replace") as f:
            return f.read()

    def stop(self, sig=signal.SIGTERM, timeout=20):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        code = self.proc.returncode if self.proc else None
        if getattr(self, "log", None):
            self.log.close()
        check_sanitizer_reports(self.read_log())
        return code

    def cleanup(self):
        self.stop()
        if self.tmp:
            self.tmp.cleanup()

    def client(self, key=DEV_KEY):
        return Client(self.port, key)


class Client:
    """One keep-alive connection; reconnects when the server closed it."""

    def __init__(self, port, key=DEV_KEY):
        self.port = port
        self.key = key
        self.conn = None

    def _conn(self):
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        return self.conn

    def close(self):
        if self.conn:
            self.conn.close()
            self.conn = None

    def request(self, method, path, body=None, headers=None, auth=True, raw=None):
        hdrs = {}
        if auth and self.key is not None:
            hdrs["Authorization"] = "Bearer " + self.key
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
        if data is not None:
            hdrs["Content-Type"] = "application/json"
        hdrs.update(headers or {})
        hdrs = {k: v for k, v in hdrs.items() if v is not None}
        for attempt in range(2):
            conn = self._conn()
            try:
                conn.request(method, path, body=data, headers=hdrs)
                r = conn.getresponse()
                payload = r.read()
                resp = Response(r.status, {k.lower(): v for k, v in r.getheaders()},
                                payload.decode("utf-8", "replace"))
                if resp.headers.get("connection", "").lower() == "close":
                    self.close()
                return resp
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.close()
                if attempt == 1:
                    raise

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body=body, **kw)

    def patch(self, path, body=None, **kw):
        return self.request("PATCH", path, body=body, **kw)


def raw_http(port, data, read_timeout=10):
    """Sends raw bytes on a fresh socket and returns everything the server answered."""
    s = socket.create_connection(("127.0.0.1", port), timeout=read_timeout)
    try:
        s.sendall(data)
        chunks = []
        while True:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            chunks.append(chunk)
            if b"\r\n\r\n" in b"".join(chunks):
                head, _, rest = b"".join(chunks).partition(b"\r\n\r\n")
                m = re.search(rb"Content-Length: (\d+)", head, re.I)
                if m and len(rest) >= int(m.group(1)):
                    break
        return b"".join(chunks)
    finally:
        s.close()


def signup(client, email="dev@example.com", name="Other"):
    import random
    ip = "198.51.100.%d" % random.randint(1, 254) + ".%d" % random.randint(0, 9)
    r = client.post("/signup", {"email": email, "project_name": name}, auth=False,
                    headers={"X-Test-Client-IP": ip})
    assert r.status == 201, r
    return r.json


def new_project_client(server, email_prefix, name="Other"):
    """A client with the API key of a project just signed up under a fresh email; the signup
    answer is its `info`, the project's public id its `project_id`."""
    c = server.client()
    info = signup(c, email=f"{email_prefix}{uuid.uuid4().hex[:8]}@example.com", name=name)
    c.close()
    p = Client(server.port, info["api_key"])
    p.info = info
    p.project_id = info["project_id"]
    return p


DAY_MS = 24 * 3600 * 1000


def set_received(db_path, execution_id, received_ms, last_received_ms):
    """Makes the execution `execution_id` look received first and last at these times (the
    server's clock, Unix ms), as if it had been stored then: what retention measures ages by."""
    db = sqlite3.connect(db_path, timeout=10)
    with db:
        n = db.execute("UPDATE executions SET received_at = ?, last_received_at = ?"
                       " WHERE execution_id = ?",
                       (received_ms, last_received_ms, execution_id)).rowcount
    db.close()
    assert n == 1, execution_id
