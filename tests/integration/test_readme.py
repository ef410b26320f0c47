"""The README's quick start, followed as written: its three "send a first run" blocks (curl, Python
SDK, TypeScript SDK) run against the real server in dev mode with the README's dev key, and step 4's
claim holds (one `loops` group, identical_call, holding all three runs; two findings in it). Only the
address changes: `localhost:8080` becomes the test server's, through VIGIL_BASE_URL for the SDKs."""
import os
import re
import subprocess
import time

import pytest

from harness import VigilServer

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
README_KEY = "vigil_sk_dev_local_only"


def readme_blocks():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        text = f.read()
    step3 = text[text.index("**3. Send a first run.**"):text.index("**4. See the finding.**")]
    return re.findall(r"```sh\n(.*?)```", step3, re.S)


def test_readme_quick_start_runs_as_written(tmp_path):
    blocks = readme_blocks()
    assert len(blocks) == 3  # curl, Python, TypeScript
    if not os.path.isdir(os.path.join(ROOT, "sdk", "typescript", "node_modules")):
        pytest.skip("the TypeScript SDK's dependencies are not installed (scripts/setup)")
    s = VigilServer(env={"VIGIL_DEV_KEY": README_KEY}, db_dir=str(tmp_path)).start()
    try:
        address = "127.0.0.1:%d" % s.port
        env = {k: v for k, v in os.environ.items() if not k.startswith("VIGIL_")}
        env["VIGIL_BASE_URL"] = "http://" + address
        for block in blocks:
            # `npm ci` would reinstall the SDK's installed dependencies from the network.
            script = block.replace("localhost:8080", address).replace("npm ci && ", "")
            r = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=ROOT, env=env,
                               capture_output=True, text=True, timeout=300)
            assert r.returncode == 0, r.stdout + r.stderr + script
        c = s.client(key=README_KEY)
        executions = c.get("/executions").json["executions"]
        assert len(executions) == 3
        groups = []
        deadline = time.time() + 15  # the final detection pass runs after the write
        while time.time() < deadline:
            groups = c.get("/failure-groups").json["failure_groups"]
            if groups and all(g["affected_executions"] == 3 for g in groups):
                break
            time.sleep(0.2)
        assert [(g["failure_class"], g["signature"].rsplit("_", 1)[0], g["affected_executions"])
                for g in groups] == [("loops", "identical_call", 3)], groups
        findings = c.get("/executions/exec-1").json["findings"]
        assert sorted(f["detector"] for f in findings) == ["identical_call", "similar_call"]
        assert {f["group_id"] for f in findings} == {groups[0]["group_id"]}
    finally:
        s.stop()
