"""The command line (docs/operations.md#commands): help, version, flags on either side of the
command, and the read-only listings, which never print a secret."""
import re
import subprocess

from harness import BIN, DEV_KEY, VigilServer


def run(args, env=None):
    return subprocess.run([BIN] + args, env=env or {}, capture_output=True, text=True, timeout=20)


def test_short_help_and_version():
    for flag in ["-h", "--help", "help"]:
        r = run([flag])
        assert r.returncode == 0, r.stderr
        assert "usage: vigil" in r.stdout and "gen-master-key" in r.stdout
        assert "--rate-limit-burst" not in r.stdout  # the settings are serve's help
        assert len(r.stdout.splitlines()) < 30
    r = run(["--version"])
    assert r.returncode == 0 and re.fullmatch(r"vigil \d+\.\d+\.\d+\n", r.stdout)


def test_each_command_help_is_specific():
    r = run(["keys", "--help"])
    assert r.returncode == 0
    assert "vigil keys list --project ID" in r.stdout and "VIGIL_DB" in r.stdout
    assert "VIGIL_WRITE_QUEUE_MAX" not in r.stdout
    r = run(["backup", "-h"])
    assert r.returncode == 0 and "usage: vigil backup DEST" in r.stdout


def test_bad_usage_exits_2_saying_why():
    r = run(["frobnicate"])
    assert r.returncode == 2 and "unknown command frobnicate" in r.stderr
    r = run(["keys", "list"])
    assert r.returncode == 2 and "--project ID is required" in r.stderr


def test_flags_before_or_after_the_command_and_listings_without_secrets(make_server):
    s = make_server()
    s.stop()
    r = run(["--db", s.db, "keys", "create", "--project", "proj-dev", "--name", "ci"])
    assert r.returncode == 0, r.stderr
    raw = [l.split(": ", 1)[1] for l in r.stdout.splitlines() if l.startswith("api_key: ")][0]
    for args in (["--db", s.db, "keys", "list", "--project", "proj-dev"],
                 ["keys", "list", "--project", "proj-dev", "--db", s.db]):
        r = run(args)
        assert r.returncode == 0, r.stderr
        rows = [l.split("\t") for l in r.stdout.splitlines()[1:]]
        assert {row[0] for row in rows} >= {"key-dev"}
        assert any(row[4] == "ci" for row in rows)
        assert raw not in r.stdout and DEV_KEY not in r.stdout
        assert raw[len("vigil_sk_"):] not in r.stdout  # no secret part either
    r = run(["projects", "list", "--db", s.db])
    assert r.returncode == 0, r.stderr
    assert [l.split("\t")[0] for l in r.stdout.splitlines()[1:]] == ["proj-dev"]
    r = run(["--db", s.db, "keys", "list", "--project", "nope"])
    assert r.returncode == 1 and "project not found" in r.stderr


def test_generated_master_key_is_fresh_and_accepted_by_the_server(tmp_path):
    keys = [run(["gen-master-key"]).stdout.strip() for _ in range(2)]
    assert all(re.fullmatch(r"[0-9a-f]{64}", k) for k in keys) and keys[0] != keys[1]
    s = VigilServer(env={"VIGIL_MASTER_KEY": keys[0], "VIGIL_WEBHOOK_ALLOW_PRIVATE": "1"},
                    db_dir=str(tmp_path)).start()
    try:
        r = s.client().post("/webhooks", {"url": "http://127.0.0.1:9/hook"})
        assert r.status == 200 and r.json["secret"].startswith("whsec_"), r
    finally:
        s.stop()
