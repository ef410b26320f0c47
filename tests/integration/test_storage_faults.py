"""Storage tells the truth: a database file the server cannot trust or cannot write stops start-up
with a message naming the file and the cause (exit 1, no secret echoed); while running, /health
answers 503 with the reason when the writer cannot write and 200 again once a write succeeds; a
storage error on a request is answered 503 (500 for a damaged file) and its log line carries the
request id and SQLite's text.

The read-only cases need what stops root from writing: an immutable file (chattr +i) or a
read-only mount. Without them (not root, or a file system without the attribute) those tests are
skipped, saying why."""
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import threading
import time

import pytest

from harness import BIN, DEV_KEY, Client, VigilServer

SECRET = "5f" * 32  # a 32-byte master key in hex
ADMIN = "vigil-test-admin-token-fedcba9876543210"


def refused(db_path, timeout=20):
    """Runs the server on `db_path`; returns (exit code, its output). Fails if it started."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIGIL_")}
    env.update({"VIGIL_PORT": "0", "VIGIL_BIND": "127.0.0.1", "VIGIL_DB": str(db_path),
                "VIGIL_MASTER_KEY": SECRET, "VIGIL_ADMIN_TOKEN": ADMIN})
    p = subprocess.run([BIN], env=env, capture_output=True, text=True, timeout=timeout)
    out = p.stdout + p.stderr
    assert '"msg":"listening"' not in out, out
    assert SECRET not in out and ADMIN not in out
    return p.returncode, out


def refusal(db_path):
    code, out = refused(db_path)
    assert code == 1, out
    lines = [json.loads(l) for l in out.splitlines() if l.startswith("{")]
    errors = [l for l in lines if l["level"] == "error"]
    assert errors and errors[-1]["path"] == str(db_path), out
    return errors[-1]["error"]


def make_database(directory):
    """A database the server created and closed cleanly; returns its path."""
    s = VigilServer(db_dir=str(directory)).start()
    assert s.client().post("/events", [{"event_id": "e1", "execution_id": "x1",
                                        "event_type": "x", "sequence": 0}]).status == 200
    assert s.stop() == 0
    return directory / "vigil.db"


def test_a_zero_byte_database_file_is_refused_not_treated_as_a_new_install(tmp_path):
    db = tmp_path / "vigil.db"
    db.write_bytes(b"")
    error = refusal(db)
    assert str(db) in error and "empty (0 bytes)" in error
    assert db.stat().st_size == 0  # left for the operator


def test_a_file_that_is_not_a_database_is_refused(tmp_path):
    db = tmp_path / "vigil.db"
    db.write_bytes(b"hello, this is not a database\n" * 300)
    error = refusal(db)
    assert str(db) in error and "not an SQLite database" in error


def test_a_database_truncated_mid_page_is_refused(tmp_path):
    db = make_database(tmp_path)
    size = db.stat().st_size
    os.truncate(db, size - 1500)
    error = refusal(db)
    assert str(db) in error and "not a whole number" in error


def test_a_damaged_page_in_a_small_database_is_refused_by_the_start_up_check(tmp_path):
    db = make_database(tmp_path)
    page = sqlite3.connect(str(db)).execute("PRAGMA page_size").fetchone()[0]
    root = sqlite3.connect(str(db)).execute(
        "SELECT rootpage FROM sqlite_master WHERE name = 'executions'").fetchone()[0]
    with open(db, "r+b") as f:
        f.seek((root - 1) * page)
        f.write(b"\xff" * page)
    error = refusal(db)
    assert str(db) in error and ("damaged" in error or "malformed" in error), error


def test_a_schema_newer_than_the_binary_is_refused_and_left_unchanged(tmp_path):
    db = make_database(tmp_path)
    con = sqlite3.connect(str(db))
    con.execute("INSERT INTO schema_migrations(version, name, applied_at) VALUES (999, 'x', 1)")
    con.commit()
    con.close()
    error = refusal(db)
    assert str(db) in error and "999" in error and "newer than this binary" in error
    con = sqlite3.connect(str(db))
    assert con.execute("SELECT MAX(version) FROM schema_migrations").fetchone()[0] == 999


def test_a_database_whose_directory_is_a_regular_file_is_refused(tmp_path):
    (tmp_path / "plain").write_text("x")
    db = tmp_path / "plain" / "vigil.db"
    error = refusal(db)
    assert "plain" in error and "not a directory" in error


@pytest.fixture
def immutable(tmp_path):
    """chattr +i on paths (undone afterwards); skips where it cannot be set."""
    marked = []

    def mark(path):
        if shutil.which("chattr") is None:
            pytest.skip("chattr is not installed")
        r = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True)
        if r.returncode != 0:
            pytest.skip("cannot make a file immutable here: " + r.stderr.strip())
        marked.append(path)
    yield mark
    for p in marked:
        subprocess.run(["chattr", "-i", str(p)], capture_output=True)


def test_a_database_file_that_cannot_be_written_is_refused(tmp_path, immutable):
    db = make_database(tmp_path)
    immutable(db)
    error = refusal(db)
    assert str(db) in error and "not writable" in error


def test_a_directory_where_the_database_cannot_be_created_is_refused(tmp_path, immutable):
    data = tmp_path / "data"
    data.mkdir()
    immutable(data)
    error = refusal(data / "vigil.db")
    assert str(data) in error and "not writable" in error
    assert not (data / "vigil.db").exists()


def test_a_database_on_a_read_only_mount_is_refused(tmp_path):
    vol = tmp_path / "vol"
    vol.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a read-only tmpfs needs root and mount")
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(vol)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip("cannot mount a tmpfs here: " + r.stderr.strip())
    try:
        db = make_database(vol)
        subprocess.run(["mount", "-o", "remount,ro", str(vol)], check=True)
        error = refusal(db)
        assert str(db) in error and "not writable" in error and "Read-only file system" in error
    finally:
        subprocess.run(["umount", "-l", str(vol)], capture_output=True)


class PipedServer:
    """The server with its log on a pipe (a file-size limit does not apply to pipes) and SIGXFSZ
    ignored, so a write past RLIMIT_FSIZE fails with EFBIG instead of killing the process: how a
    test makes every write to the database fail, as a failing disk does, and then heal."""

    def __init__(self, directory):
        env = {k: v for k, v in os.environ.items() if not k.startswith("VIGIL_")}
        env.update({"VIGIL_PORT": "0", "VIGIL_BIND": "127.0.0.1",
                    "VIGIL_DB": str(directory / "vigil.db"), "VIGIL_DEV": "1",
                    "VIGIL_DEV_KEY": DEV_KEY})
        self.lines, self.lock = [], threading.Lock()
        self.proc = subprocess.Popen(
            [BIN], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            restore_signals=False,
            preexec_fn=lambda: signal.signal(signal.SIGXFSZ, signal.SIG_IGN))
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.port = None
        deadline = time.time() + 20
        while self.port is None and time.time() < deadline:
            for line in self.log():
                if line.get("msg") == "listening":
                    self.port = line["port"]
            time.sleep(0.02)
        assert self.port, self.log()

    def _read(self):
        for raw in self.proc.stdout:
            with self.lock:
                self.lines.append(raw)

    def log(self):
        with self.lock:
            raw = list(self.lines)
        return [json.loads(l) for l in raw if l.startswith("{")]

    def request_log(self, request_id):
        """The log lines of one request (written just after its response, so waited for)."""
        deadline = time.time() + 5
        while True:
            found = [l for l in self.log() if l.get("request_id") == request_id]
            if found or time.time() > deadline:
                return found
            time.sleep(0.02)

    def limit_file_size(self, limit):
        subprocess.run(["prlimit", "--pid", str(self.proc.pid), f"--fsize={limit}:unlimited"],
                       check=True)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=30)
        self.reader.join(timeout=5)
        return code


def batch(tag):
    return [{"event_id": f"{tag}-{i}", "execution_id": tag, "event_type": "x", "sequence": i,
             "payload": {"pad": "p" * 300}} for i in range(20)]


def test_health_says_why_while_the_database_cannot_be_written_and_recovers(tmp_path):
    if shutil.which("prlimit") is None or \
            subprocess.run(["prlimit", "--version"], capture_output=True).returncode != 0:
        pytest.skip("prlimit is not available")
    s = PipedServer(tmp_path)
    c = Client(s.port)
    try:
        assert c.post("/events", batch("before")).status == 200
        assert c.get("/health", auth=False).status == 200
        s.limit_file_size(1)  # every write of a database page now fails (EFBIG)
        r = c.post("/events", batch("during"))
        assert r.status == 503 and r.json["error"] == "storage unavailable, retry later", r
        assert "I/O" not in r.body  # SQLite's text stays in the log
        h = c.get("/health", auth=False)
        assert h.status == 503, h
        assert h.json["status"] == "unavailable"
        assert h.json["reason"] == "database is not writable: disk I/O error", h.json
        line = s.request_log(r.headers["x-request-id"])
        assert line and line[0]["status"] == 503 and line[0]["error"] == "disk I/O error", line
        s.limit_file_size("unlimited")
        assert c.get("/health", auth=False).status == 503  # until a write succeeds
        deadline = time.time() + 10
        while c.post("/events", batch("after")).status != 200 and time.time() < deadline:
            time.sleep(0.2)
        h = c.get("/health", auth=False)
        assert h.status == 200 and h.json["ok"] is True, h
        assert c.get("/executions/during").status == 404  # nothing of the failed write was kept
        assert c.get("/executions/after").status == 200
    finally:
        c.close()
        assert s.stop() == 0


def test_a_damaged_page_found_while_running_is_a_500_with_its_text_logged_and_health_503(
        tmp_path):
    db = make_database(tmp_path)
    con = sqlite3.connect(str(db))
    # Past the size start-up runs quick_check on, so the damage is found by a request instead.
    con.execute("CREATE TABLE ballast(b BLOB)")
    for _ in range(40):
        con.execute("INSERT INTO ballast VALUES (zeroblob(1048576))")
    con.commit()
    page = con.execute("PRAGMA page_size").fetchone()[0]
    root = con.execute(
        "SELECT rootpage FROM sqlite_master WHERE name = 'executions'").fetchone()[0]
    con.close()
    with open(db, "r+b") as f:
        f.seek((root - 1) * page)
        f.write(b"\xff" * page)
    s = PipedServer(tmp_path)
    c = Client(s.port)
    try:
        assert c.get("/health", auth=False).status == 200  # nothing has read the page yet
        r = c.get("/executions")
        assert r.status == 500 and r.json["error"] == "internal error", r
        line = s.request_log(r.headers["x-request-id"])
        assert line and line[0]["error"] == "database disk image is malformed", line
        h = c.get("/health", auth=False)
        assert h.status == 503
        assert h.json["reason"] == "database is corrupt: database disk image is malformed", h.json
    finally:
        c.close()
        s.stop()
