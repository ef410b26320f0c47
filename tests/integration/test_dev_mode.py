"""Dev mode's first-hour conveniences (docs/operations.md#dev-bootstrap): a development master
key kept beside the database so webhooks can be tried, and a raised rate limit. Outside dev mode
neither applies (the fail-closed side is also in test_webhooks.py)."""
import os
import stat

from harness import VigilServer, new_project_client


def test_dev_mode_seals_webhooks_with_a_kept_key_reused_after_restart(tmp_path):
    d = str(tmp_path)
    s = VigilServer(env={"VIGIL_WEBHOOK_ALLOW_PRIVATE": "1"}, db_dir=d).start()
    try:
        r = s.client().post("/webhooks", {"url": "http://127.0.0.1:9/hook"})
        assert r.status == 200 and r.json["secret"].startswith("whsec_"), r
        assert "development master key" in s.read_log()
    finally:
        assert s.stop() == 0
    path = s.db + ".dev-master-key"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with open(path) as f:
        key = f.read()
    assert key not in s.read_log()  # the key itself is never logged
    # A restart opens the stored secret with the same key (start-up refuses otherwise).
    s2 = VigilServer(env={"VIGIL_WEBHOOK_ALLOW_PRIVATE": "1"}, db_dir=d).start()
    try:
        assert s2.client().get("/webhooks").json["count"] == 1
    finally:
        s2.stop()
    with open(path) as f:
        assert f.read() == key


def test_a_configured_master_key_wins_and_no_dev_key_is_made(tmp_path):
    s = VigilServer(env={"VIGIL_MASTER_KEY": "5e" * 32}, db_dir=str(tmp_path)).start()
    s.stop()
    assert not os.path.exists(s.db + ".dev-master-key")
    assert "development master key" not in s.read_log()


def test_dev_mode_refuses_to_start_on_a_key_file_others_can_read(tmp_path):
    s = VigilServer(db_dir=str(tmp_path)).start()
    s.stop()
    os.chmod(s.db + ".dev-master-key", 0o644)
    try:
        VigilServer(db_dir=str(tmp_path)).start()
        raise AssertionError("started with a world-readable dev master key")
    except RuntimeError as e:
        assert "mode 0600" in str(e)


def test_dev_mode_raises_the_rate_limit_and_production_keeps_it(make_server):
    dev = make_server()
    c = dev.client()
    assert all(c.get("/project").status == 200 for _ in range(300))
    prod = make_server(env={"VIGIL_DEV": "0"})
    p = new_project_client(prod, "rate-")
    statuses = [p.get("/project").status for _ in range(150)]
    assert 429 in statuses  # the default burst is 100
    assert not os.path.exists(prod.db + ".dev-master-key")
