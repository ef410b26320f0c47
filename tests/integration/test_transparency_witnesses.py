"""Witness cosignatures and signing-key rotation of the transparency log (docs/transparency.md):
a configured witness's C2SP cosignature posted to the log is verified, stored once and served on
the checkpoint and in certificates, where `vigil verify --witness` requires it; unknown or invalid
ones are refused; `vigil transparency rotate-key` makes a new key sign from the next start while
certificates from before verify with the old key."""
import base64
import hashlib
import json
import os
import struct
import subprocess
import time

import pytest

from harness import BIN
from test_transparency import node_hash, run_execution, uid, vigil_verify, wait_certificate

ed25519 = pytest.importorskip("cryptography.hazmat.primitives.asymmetric.ed25519")
serialization = pytest.importorskip("cryptography.hazmat.primitives.serialization")

EM_DASH = "\u2014"


class Witness:
    """A C2SP tlog-cosignature/v1 (Ed25519) cosigner, written from the specification."""

    def __init__(self, name):
        self.name = name
        self.key = ed25519.Ed25519PrivateKey.generate()
        self.pub = self.key.public_key().public_bytes(serialization.Encoding.Raw,
                                                      serialization.PublicFormat.Raw)
        self.key_id = hashlib.sha256(name.encode() + b"\n\x04" + self.pub).digest()[:4]
        typed = base64.b64encode(b"\x04" + self.pub).decode()
        self.vkey = f"{name}+{self.key_id.hex()}+{typed}"

    def line(self, body, t=None):
        t = int(time.time()) if t is None else t
        sig = self.key.sign(f"cosignature/v1\ntime {t}\n".encode() + body.encode())
        blob = self.key_id + struct.pack(">Q", t) + sig
        return f"{EM_DASH} {self.name} {base64.b64encode(blob).decode()}\n"

    def cosign(self, note, t=None):
        return note + self.line(note[:note.index("\n\n") + 1], t)


def verify_consistency(first, second, first_hash, second_hash, proof):
    """RFC 9162 section 2.1.4.2, for 0 < first < second."""
    if (first & (first - 1)) == 0:
        proof = [first_hash] + proof
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return fr == first_hash and sr == second_hash and sn == 0


def post_note(c, note):
    return c.request("POST", "/transparency/cosignature", raw=note.encode(),
                     headers={"Content-Type": "text/plain; charset=utf-8"})


def verify_with(tmp_path, cert, key, witnesses):
    args = []
    for w in witnesses:
        args += ["--witness", w]
    path = os.path.join(str(tmp_path), uid("cert") + ".json")
    with open(path, "w") as f:
        json.dump(cert, f)
    p = subprocess.run([BIN, "verify", path, "--key", key] + args, capture_output=True,
                       text=True, timeout=30)
    return p.returncode, p.stdout + p.stderr


def test_a_witness_cosignature_is_verified_stored_and_served(make_server, tmp_path):
    w1, w2, stranger = Witness("witness.example/w1"), Witness("witness.example/w2"), Witness("x/y")
    s = make_server(db_dir=str(tmp_path),
                    env={"VIGIL_TRANSPARENCY_WITNESSES": f"{w1.vkey}, {w2.vkey}"})
    c = s.client()
    eid = uid("witnessed")
    run_execution(c, eid)
    assert wait_certificate(c, eid).status == 200
    key = c.get("/transparency/key").body
    note = c.get("/transparency/checkpoint").body
    # Refused: an unknown witness, a tampered line, the bare checkpoint, no API key.
    tampered = w1.cosign(note)
    tampered = tampered[:-6] + ("A" if tampered[-6] != "A" else "B") + tampered[-5:]
    for bad in [stranger.cosign(note), note, tampered]:
        r = post_note(c, bad)
        assert r.status == 400, (r.status, r.body)
    r = post_note(c, w1.cosign(note, t=int(time.time()) + 86400))
    assert r.status == 400 and "future" in r.body
    assert c.request("POST", "/transparency/cosignature", raw=w1.cosign(note).encode(),
                     auth=False).status == 401
    assert c.get("/transparency/checkpoint").body == note  # nothing stored
    r = post_note(c, w1.cosign(note))
    assert r.status == 200, r.body
    assert r.json["added"] == 1 and r.json["checkpoint"].startswith(note)
    assert post_note(c, w1.cosign(note)).json["added"] == 0  # one per witness and checkpoint
    served = c.get("/transparency/checkpoint").body
    assert served == r.json["checkpoint"] and served.count(EM_DASH) == 2
    cert = c.get(f"/executions/{eid}/certificate").json
    assert cert["proof"].endswith(served)
    code, out = verify_with(tmp_path, cert, key, [w1.vkey])
    assert code == 0 and "witnessed: witness.example/w1 at" in out, out
    code, out = verify_with(tmp_path, cert, key, [w1.vkey, w2.vkey])
    assert code == 1 and "no cosignature by witness witness.example/w2" in out, out
    c.close()


def test_cosignatures_are_refused_when_no_witness_is_configured(server):
    c = server.client()
    eid = uid("nowitness")
    run_execution(c, eid)
    assert wait_certificate(c, eid).status == 200
    note = c.get("/transparency/checkpoint").body
    r = post_note(c, Witness("w").cosign(note))
    assert r.status == 403 and "VIGIL_TRANSPARENCY_WITNESSES" in r.body
    c.close()


def test_a_malformed_witness_key_refuses_to_start(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIGIL_")}
    env.update({"VIGIL_DB": os.path.join(str(tmp_path), "v.db"),
                "VIGIL_TRANSPARENCY_WITNESSES": "w+00000000+AQ=="})
    p = subprocess.run([BIN, "migrate"], env=env, capture_output=True, text=True, timeout=30)
    assert p.returncode == 2 and "VIGIL_TRANSPARENCY_WITNESSES" in p.stderr


def test_a_rotated_key_signs_after_restart_and_old_certificates_still_verify(make_server, tmp_path):
    s = make_server(db_dir=str(tmp_path))
    c = s.client()
    before_id = uid("before")
    run_execution(c, before_id)
    before = wait_certificate(c, before_id).json
    old_key = c.get("/transparency/key").body
    old_lines = c.get("/transparency/checkpoint").body.split("\n")
    c.close()
    assert s.stop() == 0
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIGIL_")}
    env.update({"VIGIL_DB": s.db, "VIGIL_DEV": "1"})
    p = subprocess.run([BIN, "transparency", "rotate-key"], env=env, capture_output=True,
                       text=True, timeout=30)
    assert p.returncode == 0 and "new transparency signing key" in p.stdout, p.stdout + p.stderr
    s2 = make_server(db_dir=str(tmp_path))
    c2 = s2.client()
    new_key = c2.get("/transparency/key").body
    assert new_key != old_key and new_key.split("+")[0] == old_key.split("+")[0]
    after_id = uid("after")
    run_execution(c2, after_id)
    after = wait_certificate(c2, after_id).json
    assert vigil_verify(tmp_path, before, old_key)[0] == 0
    assert vigil_verify(tmp_path, before, new_key)[0] == 1
    assert vigil_verify(tmp_path, after, new_key)[0] == 0
    assert vigil_verify(tmp_path, after, old_key)[0] == 1
    # The tree continued: the new checkpoint is consistent with the one signed before.
    new_lines = c2.get("/transparency/checkpoint").body.split("\n")
    old_size, new_size = int(old_lines[1]), int(new_lines[1])
    r = c2.get(f"/transparency/proof/consistency?from={old_size}&to={new_size}")
    assert r.status == 200 and new_size > old_size
    assert verify_consistency(old_size, new_size, base64.b64decode(old_lines[2]),
                              base64.b64decode(new_lines[2]),
                              [base64.b64decode(h) for h in r.json["hashes"]])
    c2.close()
