"""Fair shares between projects (docs/operations.md#fair-shares-between-projects): what projects
share (download slots, webhook senders, test sends) cannot be taken by one project."""
import json
import os
import socket
import sqlite3
import threading
import time
import uuid

import pytest

from accounts_support import ADMIN, admin, internal_id, new_project
from harness import VigilServer, new_project_client
# receiver is a fixture: importing it is what makes it this module's.
from webhook_support import BASE_ENV, crash, create, receiver  # noqa: F401


# Sanitizer builds run several times slower: they print the time figures but assert only the rest.
SANITIZED = os.environ.get("VIGIL_SANITIZED") == "1"


@pytest.fixture(scope="module")
def fair():
    s = VigilServer(env=dict(BASE_ENV, VIGIL_ADMIN_TOKEN=ADMIN))
    s.start()
    yield s
    s.cleanup()


def pad_audit_log(db_path, project, megabytes):
    """Adds large audit rows to a project so a download of its log outlasts every socket buffer."""
    pad = json.dumps({"pad": "x" * 4000})
    rows = [(int(time.time() * 1000), project, "key", "pad.row", pad)
            for _ in range(megabytes * 256)]
    db = sqlite3.connect(db_path, timeout=10)
    try:
        db.executemany("INSERT INTO audit_log(time, project, actor, action, detail)"
                       " VALUES (?, ?, ?, ?, ?)", rows)
        db.commit()
    finally:
        db.close()


class StalledDownload:
    """A GET whose client reads the response head and then stops reading."""

    def __init__(self, port, path, key):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.sock.settimeout(10)
        self.sock.connect(("127.0.0.1", port))
        self.sock.sendall((f"GET {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\n"
                           "X-Mesedi-Schema-Version: 1\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(1024)
            assert chunk, head
            head += chunk
        self.status = int(head.split(b" ")[1])

    def close(self):
        self.sock.close()


def test_slow_downloads_of_one_project_leave_others_and_the_admin_their_slots(fair):
    hog, other = new_project(fair, "Hog"), new_project(fair, "Other")
    pad_audit_log(fair.db, internal_id(fair.db, hog.info["project_id"]), 16)
    stalled = [StalledDownload(fair.port, "/audit-log?format=ndjson", hog.info["api_key"])
               for _ in range(2)]
    try:
        assert [d.status for d in stalled] == [200, 200]
        time.sleep(0.5)  # both are now blocked writing to clients that do not read
        third = hog.get("/audit-log?format=ndjson")
        assert third.status == 503 and third.headers.get("retry-after"), third
        mine = other.get("/audit-log?format=ndjson")
        assert mine.status == 200 and mine.body.count("\n") >= 1, mine
        export = admin(fair).get(f"/admin/projects/{other.info['project_id']}/export")
        assert export.status == 200 and '"type"' in export.body, export
        pid = other.info["project_id"]
        admin_log = admin(fair).get(f"/admin/audit-log?format=ndjson&project_id={pid}")
        assert admin_log.status == 200, admin_log
    finally:
        for d in stalled:
            d.close()
    # Closed downloads give their slots back.
    deadline = time.time() + 10
    while hog.get("/audit-log?format=ndjson&action=none").status != 200:
        assert time.time() < deadline
        time.sleep(0.2)


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def test_webhook_test_sends_hold_no_worker_and_are_bounded_per_project(make_server, receiver):
    # Two workers only: a test send that held its worker would leave none for the other project.
    s = make_server(env=dict(BASE_ENV, VIGIL_HTTP_THREADS="2"))
    sender, other = new_project_client(s, "tester"), new_project_client(s, "bystander")
    slow = receiver(default="sleep:5")
    hook = create(sender, slow.url)["webhook_id"]
    answers = []

    def send_test():
        c = s.client(sender.info["api_key"])
        answers.append(c.post(f"/webhooks/{hook}/test"))
        c.close()

    threads = [threading.Thread(target=send_test) for _ in range(20)]
    for t in threads:
        t.start()
    slow.wait_for(2)  # two test sends are now waiting on the slow receiver
    latencies = []
    for _ in range(40):
        start = time.time()
        assert other.get("/project").status == 200
        latencies.append(time.time() - start)
        time.sleep(0.05)
    for t in threads:
        t.join(30)
    p99 = percentile(latencies, 0.99)
    print(f"GET /project of another project during 20 slow test sends: p99 {p99 * 1000:.1f} ms")
    assert SANITIZED or p99 < 1.0, latencies
    statuses = sorted(a.status for a in answers)
    assert statuses == [200, 200] + [429] * 18, statuses
    refused = [a for a in answers if a.status == 429]
    assert all(a.headers["retry-after"] == "5" for a in refused)
    assert refused[0].json["error"] == "too many webhook tests in progress, retry later"
    done = [a.json for a in answers if a.status == 200]
    assert all(d["ok"] and d["status"] == "delivered" and d["duration_ms"] >= 4000 for d in done)
    assert slow.count() == 2


def test_a_slow_receiver_of_one_project_does_not_delay_anothers_first_delivery(fair, receiver):
    hog, quick = new_project_client(fair, "hog"), new_project_client(fair, "quick")
    slow = receiver(default="sleep:14")
    for _ in range(2):
        create(hog, slow.url)
    for i in range(8):  # 16 messages, all due at once, for a receiver taking 14 s each
        crash(hog, f"hog-{i}-" + uuid.uuid4().hex[:6])
    slow.wait_for(2)  # the senders the slow project may use are now busy
    fast = receiver()
    create(quick, fast.url)
    start = time.time()
    crash(quick, "quick-" + uuid.uuid4().hex[:6])
    fast.wait_for(1, timeout=30)
    delay = time.time() - start
    print(f"first delivery of another project behind a 14 s receiver: {delay * 1000:.0f} ms")
    assert SANITIZED or delay < 2.0, delay
    assert slow.count() <= 2  # at most two senders on one project
