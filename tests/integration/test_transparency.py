"""The transparency log (docs/transparency.md): executions that end are sealed into their project's
log, their certificates verify offline with `vigil verify`, the read API serves C2SP checkpoints,
tiles and proofs, `vigil audit check` finds records edited in the database after sealing, and
sealing survives a SIGKILL."""
import base64
import hashlib
import http.client
import json
import os
import signal
import sqlite3
import subprocess
import time
import uuid

from harness import BIN, VigilServer, new_project_client


def uid(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def run_execution(c, eid, status="completed", secret_text="the user's private message"):
    assert c.post("/executions", {"execution_id": eid, "name": "support-agent",
                                  "started_at": "2026-05-14T10:00:00Z"}).status == 200
    events = [{"event_id": f"{eid}-e{i}", "execution_id": eid, "event_type": "llm_call",
               "sequence": i, "timestamp": "2026-05-14T10:00:01Z",
               "payload": {"model": "gpt-4o", "user_message": f"{secret_text} {i}",
                           "tokens_in": 10, "tokens_out": 5}} for i in range(1, 4)]
    assert c.post("/events", events).status == 200
    r = c.patch(f"/executions/{eid}", {"status": status, "ended_at": "2026-05-14T10:00:09Z"})
    assert r.status == 200, r


def wait_certificate(c, eid, timeout=30):
    deadline = time.time() + timeout
    while True:
        r = c.get(f"/executions/{eid}/certificate")
        if r.status == 200 or time.time() > deadline:
            return r
        time.sleep(0.2)


def vigil_verify(tmp_path, cert, key):
    cert_path = os.path.join(str(tmp_path), uid("cert") + ".json")
    with open(cert_path, "w") as f:
        f.write(cert if isinstance(cert, str) else json.dumps(cert))
    p = subprocess.run([BIN, "verify", cert_path, "--key", key], capture_output=True, text=True,
                       timeout=30)
    return p.returncode, p.stdout + p.stderr


def audit_check(db):
    p = subprocess.run([BIN, "audit", "check", "--db", db], capture_output=True, text=True,
                       timeout=60, env={k: v for k, v in os.environ.items()
                                        if not k.startswith("VIGIL_")})
    return p.returncode, p.stdout + p.stderr


def get_bytes(c, path):
    """GET `path` with the client's key: (status, raw body bytes)."""
    conn = http.client.HTTPConnection("127.0.0.1", c.port, timeout=30)
    conn.request("GET", path, headers={"Authorization": "Bearer " + c.key})
    r = conn.getresponse()
    out = (r.status, r.read())
    conn.close()
    return out


def leaf_hash(entry):
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def tree_hash(leaves):
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return node_hash(tree_hash(leaves[:k]), tree_hash(leaves[k:]))


def test_certificates_verify_offline_and_bind_digests_not_text(server, tmp_path):
    c = new_project_client(server, "tlog")
    eids = [uid("done"), uid("crash")]
    run_execution(c, eids[0])
    run_execution(c, eids[1], status="crashed")
    key = c.get("/transparency/key")
    assert key.status == 200 and key.body.startswith(f"localhost/vigil/{c.project_id}+")
    for eid in eids:
        r = wait_certificate(c, eid)
        assert r.status == 200, r
        cert = r.json
        assert isinstance(cert["index"], int)
        assert cert["proof"].startswith(f"c2sp.org/tlog-proof@v1\nindex {cert['index']}\n")
        assert cert["proof"].endswith("\n")
        entry = json.loads(base64.b64decode(cert["entry"]))
        assert entry["type"] == "execution" and entry["execution_id"] == eid
        assert entry["project_id"] == c.project_id and entry["models"] == ["gpt-4o"]
        assert entry["event_count"] == 3 and len(entry["transcript_sha256"]) == 64
        assert isinstance(entry["findings"], list)
        assert "private message" not in base64.b64decode(cert["entry"]).decode()
        code, out = vigil_verify(tmp_path, cert, key.body)
        assert code == 0, out
        assert eid in out and f"localhost/vigil/{c.project_id}" in out
        # A certificate never changes.
        assert c.get(f"/executions/{eid}/certificate").json["entry"] == cert["entry"]
    c.close()


def test_a_flipped_bit_in_entry_proof_or_signature_fails_verification(server, tmp_path):
    c = new_project_client(server, "tlog-tamper")
    eids = [uid("x") for _ in range(3)]
    for eid in eids:
        run_execution(c, eid)
    cert = wait_certificate(c, eids[-1]).json
    key = c.get("/transparency/key").body
    assert vigil_verify(tmp_path, cert, key)[0] == 0
    entry = bytearray(base64.b64decode(cert["entry"]))
    entry[5] ^= 1
    assert vigil_verify(tmp_path, dict(cert, entry=base64.b64encode(entry).decode()), key)[0] == 1
    lines = cert["proof"].split("\n")
    h = bytearray(base64.b64decode(lines[2]))
    h[0] ^= 1
    lines[2] = base64.b64encode(h).decode()
    assert vigil_verify(tmp_path, dict(cert, proof="\n".join(lines)), key)[0] == 1
    sig_at = cert["proof"].rindex(" ") + 1
    sig = bytearray(base64.b64decode(cert["proof"][sig_at:]))
    sig[10] ^= 1
    bad = cert["proof"][:sig_at] + base64.b64encode(sig).decode() + "\n"
    assert vigil_verify(tmp_path, dict(cert, proof=bad), key)[0] == 1
    other = new_project_client(server, "tlog-other")
    assert vigil_verify(tmp_path, cert, other.get("/transparency/key").body)[0] == 1
    c.close()
    other.close()


def test_checkpoint_tiles_and_proofs_agree_with_the_entries(server):
    c = new_project_client(server, "tlog-tiles")
    eids = [uid("t") for _ in range(5)]
    for eid in eids:
        run_execution(c, eid)
    for eid in eids:
        assert wait_certificate(c, eid).status == 200
    note = c.get("/transparency/checkpoint")
    assert note.status == 200 and note.headers["content-type"].startswith("text/plain")
    origin, size, root = note.body.split("\n")[:3]
    size = int(size)
    assert origin == f"localhost/vigil/{c.project_id}" and size == 5
    assert "\n\n\u2014 " + origin + " " in note.body
    status, raw = get_bytes(c, f"/transparency/tile/entries/000.p/{size}")
    assert status == 200
    entries = []
    while raw:
        n = int.from_bytes(raw[:2], "big")
        entries.append(raw[2:2 + n])
        raw = raw[2 + n:]
    assert len(entries) == size
    status, tile = get_bytes(c, f"/transparency/tile/0/000.p/{size}")
    assert status == 200
    leaves = [leaf_hash(e) for e in entries]
    assert tile == b"".join(leaves)
    assert base64.b64encode(tree_hash(leaves)).decode() == root
    proof = c.get(f"/transparency/proof/inclusion?index=2&tree_size={size}").json
    assert proof["index"] == 2 and proof["tree_size"] == size and isinstance(proof["hashes"], list)
    cons = c.get(f"/transparency/proof/consistency?from=2&to={size}").json
    assert cons["from"] == 2 and cons["to"] == size and len(cons["hashes"]) >= 1
    c.close()


def test_bad_parameters_are_400_and_tiles_not_held_are_404(server):
    c = new_project_client(server, "tlog-params")
    run_execution(c, uid("p"))
    size = 0
    deadline = time.time() + 30
    while size == 0 and time.time() < deadline:
        size = int(c.get("/transparency/checkpoint").body.split("\n")[1])
        time.sleep(0.2)
    assert size == 1
    for path in ["/transparency/proof/inclusion?index=1&tree_size=1",
                 "/transparency/proof/inclusion?index=0&tree_size=2",
                 "/transparency/proof/inclusion?index=-1&tree_size=1",
                 "/transparency/proof/inclusion?index=0",
                 "/transparency/proof/consistency?from=1&to=0",
                 "/transparency/proof/consistency?from=0&to=5",
                 "/transparency/proof/consistency?from=01&to=1",
                 "/transparency/tile/0/1", "/transparency/tile/x/000",
                 "/transparency/tile/0/000.p/0", "/transparency/tile/entries/x000/001"]:
        assert c.get(path).status == 400, path
    for path in ["/transparency/tile/0/000", "/transparency/tile/0/000.p/2",
                 "/transparency/tile/0/001.p/1", "/transparency/tile/1/000.p/1",
                 "/transparency/tile/entries/000"]:
        assert c.get(path).status == 404, path
    c.close()


def test_the_log_needs_a_key_and_is_invisible_to_other_projects(server):
    a = new_project_client(server, "tlog-a")
    b = new_project_client(server, "tlog-b")
    eid = uid("mine")
    run_execution(a, eid)
    assert wait_certificate(a, eid).status == 200
    for path in ["/transparency/key", "/transparency/checkpoint", f"/executions/{eid}/certificate",
                 "/transparency/tile/0/000.p/1", "/transparency/proof/inclusion?index=0&tree_size=1"]:
        assert a.get(path, auth=False).status == 401, path
    assert b.get(f"/executions/{eid}/certificate").status == 404
    assert b.get(f"/executions/{uid('none')}/certificate").status == 404
    assert b.get("/transparency/tile/0/000.p/1").status == 404
    assert b.get("/transparency/proof/inclusion?index=0&tree_size=1").status == 400
    assert b.get("/transparency/key").body != a.get("/transparency/key").body
    running = uid("running")
    assert a.post("/executions", {"execution_id": running}).status == 200
    assert a.get(f"/executions/{running}/certificate").status == 409
    a.close()
    b.close()


def test_audit_check_reports_a_record_edited_in_the_database_after_sealing(make_server, tmp_path):
    s = make_server(db_dir=str(tmp_path))
    c = s.client()
    eids = [uid("audit") for _ in range(3)]
    for eid in eids:
        run_execution(c, eid)
    for eid in eids:
        assert wait_certificate(c, eid).status == 200
    # A late event after sealing is stored and is not tampering.
    late = {"event_id": f"{eids[0]}-late", "execution_id": eids[0], "event_type": "llm_call",
            "sequence": 99, "timestamp": "2026-05-14T10:00:30Z", "payload": {"late": True}}
    assert c.post("/events", [late]).json["accepted"] == 1
    detail = c.get(f"/executions/{eids[0]}").json
    assert detail["seal"]["events_after_seal"] == [f"{eids[0]}-late"]
    assert isinstance(detail["seal"]["index"], int)
    assert c.get(f"/executions/{eids[1]}").json["seal"]["events_after_seal"] == []
    running = uid("running")
    assert c.post("/executions", {"execution_id": running}).status == 200
    assert c.get(f"/executions/{running}").json["seal"] is None
    c.close()
    assert s.stop() == 0
    code, out = audit_check(s.db)
    assert code == 0, out
    assert "3 sealed record(s)" in out
    db = sqlite3.connect(s.db)
    with db:
        db.execute("UPDATE events SET payload = ? WHERE event_id = ?",
                   (json.dumps({"model": "gpt-4o", "user_message": "edited"}), f"{eids[1]}-e2"))
        db.execute("UPDATE executions SET total_tokens_out = 1 WHERE execution_id = ?", (eids[2],))
    db.close()
    code, out = audit_check(s.db)
    assert code == 1, out
    assert f"CHANGED {eids[1]}" not in out  # lines name project/execution
    assert eids[1] in out and "transcript_sha256" in out
    assert eids[2] in out and "total_tokens_out" in out
    assert eids[0] not in out
    # The server runs the same check at start and reports it as metrics.
    s2 = make_server(db_dir=str(tmp_path), env={"VIGIL_METRICS_TOKEN": "metrics-token-0123456789abcdef0123456789"})
    m = s2.client(key="metrics-token-0123456789abcdef0123456789")
    deadline = time.time() + 30
    while True:
        body = m.get("/metrics").body
        if "vigil_transparency_changed_records 2" in body or time.time() > deadline:
            break
        time.sleep(0.2)
    assert "vigil_transparency_changed_records 2" in body
    assert "vigil_transparency_log_faults 0" in body
    m.close()
    # With the interval set to 0 the server runs no check: the gauges stay -1.
    assert s2.stop() == 0
    s3 = make_server(db_dir=str(tmp_path), env={
        "VIGIL_METRICS_TOKEN": "metrics-token-0123456789abcdef0123456789",
        "VIGIL_TRANSPARENCY_AUDIT_INTERVAL_S": "0"})
    m = s3.client(key="metrics-token-0123456789abcdef0123456789")
    time.sleep(2)
    body = m.get("/metrics").body
    assert "vigil_transparency_changed_records -1" in body
    assert "vigil_transparency_log_faults -1" in body
    m.close()


def test_without_a_master_key_entries_are_appended_and_the_routes_say_why(make_server, tmp_path):
    s = make_server(env={"VIGIL_DEV": "0", "VIGIL_TRUSTED_PROXY_HEADER": "X-Test-Client-IP",
                         "VIGIL_RATE_LIMIT_BURST": "100000", "VIGIL_RATE_LIMIT_PER_SEC": "100000"},
                    db_dir=str(tmp_path))
    c = new_project_client(s, "tlog-nokey")
    eid = uid("nokey")
    run_execution(c, eid)
    for path in ["/transparency/key", "/transparency/checkpoint", f"/executions/{eid}/certificate",
                 "/transparency/proof/inclusion?index=0&tree_size=1"]:
        r = c.get(path)
        assert r.status == 503 and "transparency log needs VIGIL_MASTER_KEY" in r.body, path
    deadline = time.time() + 30
    n = 0
    while n == 0 and time.time() < deadline:
        time.sleep(0.3)
        db = sqlite3.connect(s.db)
        n = db.execute("SELECT COUNT(*) FROM transparency_entries").fetchone()[0]
        db.close()
    assert n == 1
    c.close()


def test_a_restart_keeps_the_key_and_the_certificates(make_server, tmp_path):
    s = make_server(db_dir=str(tmp_path))
    c = s.client()
    eid = uid("restart")
    run_execution(c, eid)
    cert = wait_certificate(c, eid).json
    key = c.get("/transparency/key").body
    c.close()
    assert s.stop() == 0
    s2 = make_server(db_dir=str(tmp_path))
    c2 = s2.client()
    assert c2.get("/transparency/key").body == key
    again = c2.get(f"/executions/{eid}/certificate").json
    assert again["entry"] == cert["entry"] and again["index"] == cert["index"]
    assert again["proof"] == cert["proof"]
    c2.close()


def test_an_execution_acknowledged_before_a_sigkill_is_sealed_after_the_restart(tmp_path):
    s = VigilServer(db_dir=str(tmp_path)).start()
    c = s.client()
    eid = uid("killed")
    run_execution(c, eid)
    s.proc.send_signal(signal.SIGKILL)  # right after the terminal write was acknowledged
    s.proc.wait()
    c.close()
    s2 = VigilServer(db_dir=str(tmp_path)).start()
    try:
        c2 = s2.client()
        r = wait_certificate(c2, eid, timeout=60)
        assert r.status == 200, r
        assert json.loads(base64.b64decode(r.json["entry"]))["execution_id"] == eid
        c2.close()
    finally:
        s2.cleanup()
        s.cleanup()


def test_a_terminal_execution_left_unsealed_by_a_crash_is_sealed_once_on_restart(tmp_path):
    # The server died after committing the terminal write and before sealing it: the queue row the
    # trigger wrote in that transaction is all that is left. Written here straight into the file.
    s = VigilServer(db_dir=str(tmp_path)).start()
    c = s.client()
    assert c.post("/executions", {"execution_id": "warm"}).status == 200
    c.close()
    s.proc.send_signal(signal.SIGKILL)
    s.proc.wait()
    eid = uid("orphan")
    db = sqlite3.connect(s.db)
    with db:
        project = db.execute("SELECT project FROM executions WHERE execution_id = 'warm'").fetchone()[0]
        db.execute("INSERT INTO executions (project, execution_id, status, started_at, ended_at)"
                   " VALUES (?, ?, 'completed', 1778752800000, 1778752809000)", (project, eid))
        assert db.execute("SELECT COUNT(*) FROM transparency_pending WHERE execution_id = ?",
                          (eid,)).fetchone()[0] == 1
    db.close()
    s2 = VigilServer(db_dir=str(tmp_path)).start()
    try:
        c2 = s2.client()
        r = wait_certificate(c2, eid, timeout=60)
        assert r.status == 200, r
        c2.close()
        db = sqlite3.connect(s2.db)
        assert db.execute("SELECT COUNT(*) FROM transparency_entries WHERE execution_id = ?",
                          (eid,)).fetchone()[0] == 1
        assert db.execute("SELECT COUNT(*) FROM transparency_pending").fetchone()[0] == 0
        db.close()
    finally:
        s2.cleanup()
        s.cleanup()


def test_the_export_holds_the_log_entries_a_checkpoint_and_certificates_that_verify(make_server,
                                                                                     tmp_path):
    admin_token = "admin-token-0123456789abcdef0123456789"
    s = make_server(db_dir=str(tmp_path), env={"VIGIL_ADMIN_TOKEN": admin_token})
    c = s.client()
    eids = [uid("exp") for _ in range(2)]
    for eid in eids:
        run_execution(c, eid)
    certs = [wait_certificate(c, eid).json for eid in eids]
    c.close()
    a = s.client(key=admin_token)
    lines = [json.loads(x) for x in a.get("/admin/projects/proj-dev/export").body.splitlines()]
    entries = [x["data"] for x in lines if x["type"] == "transparency_entry"]
    assert [e["execution_id"] for e in entries] == eids
    assert [e["entry"] for e in entries] == [cert["entry"] for cert in certs]
    checkpoint = [x["data"] for x in lines if x["type"] == "transparency_checkpoint"]
    assert len(checkpoint) == 1 and checkpoint[0]["tree_size"] == 2
    leaves = [leaf_hash(base64.b64decode(e["entry"])) for e in entries]
    assert checkpoint[0]["note"].split("\n")[2] == base64.b64encode(tree_hash(leaves)).decode()
    # One certificate per entry against that checkpoint, verifiable offline as it is.
    exported = [x["data"] for x in lines if x["type"] == "transparency_certificate"]
    assert [x["execution_id"] for x in exported] == eids
    assert [x["entry"] for x in exported] == [cert["entry"] for cert in certs]
    key = s.client().get("/transparency/key").body
    for cert in exported:
        assert cert["proof"].endswith(checkpoint[0]["note"])
        code, out = vigil_verify(tmp_path, cert, key)
        assert code == 0 and cert["execution_id"] in out, out
    assert lines[-1]["type"] == "end"
    assert lines[-1]["data"]["counts"]["transparency_certificate"] == 2
    a.close()
