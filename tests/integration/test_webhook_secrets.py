"""Webhook secrets at rest (docs/operations.md): the database never holds a secret in plain text,
and the master key can be rotated, refused when wrong, and moved to a new key with `vigil
reencrypt`.
"""
import base64
import glob
import os
import subprocess

from harness import BIN, Client
# receiver is a fixture: importing it is what makes it this module's.
from webhook_support import (BASE_ENV, MASTER_KEY, OTHER_KEY, THIRD_KEY, create,  # noqa: F401
                             new_project, receiver, verify)


def db_bytes(directory):
    data = b""
    for path in glob.glob(os.path.join(directory, "vigil.db*")):
        with open(path, "rb") as f:
            data += f.read()
    return data


def test_the_database_never_holds_a_plaintext_secret(make_server, tmp_path):
    s = make_server(env=BASE_ENV, db_dir=str(tmp_path))
    c = new_project(s)
    secrets = [create(c, f"https://example.com/{i}")["secret"] for i in range(3)]
    for secret in secrets:
        raw = base64.b64decode(secret[6:])
        for blob in (db_bytes(str(tmp_path)),):
            assert secret.encode() not in blob
            assert secret[6:].encode() not in blob
            assert raw not in blob
    c.close()
    assert s.stop() == 0
    dump = db_bytes(str(tmp_path))
    assert b"wh-" in dump  # the rows are there ...
    for secret in secrets:  # ... but never their secrets
        assert secret.encode() not in dump and base64.b64decode(secret[6:]) not in dump
    dumped = subprocess.run(["sqlite3", os.path.join(str(tmp_path), "vigil.db"), ".dump"],
                            capture_output=True) if os.path.exists("/usr/bin/sqlite3") else None
    if dumped is not None and dumped.returncode == 0:
        for secret in secrets:
            assert secret[6:].encode() not in dumped.stdout


def run_vigil(args, directory, env_extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIGIL_")}
    env.update({"VIGIL_DB": os.path.join(directory, "vigil.db")})
    env.update(env_extra)
    return subprocess.run([BIN] + args, env=env, capture_output=True, text=True, timeout=30)


def test_master_key_rotation_and_refusal(make_server, receiver, tmp_path):
    d = str(tmp_path)
    s = make_server(env=BASE_ENV, db_dir=d)
    c = new_project(s)
    rx = receiver()
    hook = create(c, rx.url)
    c.close()
    assert s.stop() == 0

    # A key that decrypts nothing: start-up refuses (exit 1) and says why.
    wrong = dict(BASE_ENV, VIGIL_MASTER_KEY=OTHER_KEY, VIGIL_PORT="0", VIGIL_DEV="1")
    r = run_vigil([], d, wrong)
    assert r.returncode == 1, r
    assert "cannot be decrypted" in r.stdout + r.stderr
    no_key = dict(wrong, VIGIL_DEV="0")
    del no_key["VIGIL_MASTER_KEY"]
    r = run_vigil([], d, no_key)
    assert r.returncode == 1 and "VIGIL_MASTER_KEY is not set" in r.stdout + r.stderr
    # In dev mode the development master key stands in, and it opens nothing sealed before.
    r = run_vigil([], d, dict(no_key, VIGIL_DEV="1"))
    assert r.returncode == 1 and "cannot be decrypted" in r.stdout + r.stderr
    # A malformed key stops start-up naming the setting (and never echoing the value).
    r = run_vigil([], d, dict(wrong, VIGIL_MASTER_KEY="not-a-key-value"))
    assert r.returncode == 2 and "VIGIL_MASTER_KEY" in r.stderr
    assert "not-a-key-value" not in r.stderr

    # The old key as previous: start-up re-encrypts under the new one.
    rotated = dict(BASE_ENV, VIGIL_MASTER_KEY=OTHER_KEY, VIGIL_MASTER_KEY_PREVIOUS=MASTER_KEY)
    s2 = make_server(env=rotated, db_dir=d)
    assert "stored secrets re-encrypted" in s2.read_log()
    assert s2.stop() == 0
    # ... so the new key alone now suffices, and the secret still signs deliveries.
    s3 = make_server(env=dict(BASE_ENV, VIGIL_MASTER_KEY=OTHER_KEY), db_dir=d)
    c3 = Client(s3.port, c.key)
    t = c3.post(f"/webhooks/{hook['webhook_id']}/test").json
    assert t["status"] == "delivered", t
    (headers, body, _), = rx.wait_for(1)
    verify(hook["secret"], headers, body)
    c3.close()
    assert s3.stop() == 0

    # `vigil reencrypt` moves rows to a third key; the server then starts with that key only.
    r = run_vigil(["reencrypt"], d, {"VIGIL_MASTER_KEY": THIRD_KEY,
                                     "VIGIL_MASTER_KEY_PREVIOUS": OTHER_KEY})
    assert r.returncode == 0, r
    assert "re-encrypted 1 of 1" in r.stdout
    r = run_vigil(["reencrypt"], d, {"VIGIL_MASTER_KEY": OTHER_KEY})
    assert r.returncode == 1 and "cannot be decrypted" in r.stderr
    s4 = make_server(env=dict(BASE_ENV, VIGIL_MASTER_KEY=THIRD_KEY), db_dir=d)
    assert s4.stop() == 0


# --- address safety (docs/api.md#address-safety) ------------------------------------------------------------------
