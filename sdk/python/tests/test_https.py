import shutil
import subprocess
import time

import pytest

import vigil
from conftest import FAST
from fake_server import FakeVigil
from vigil import VigilHalt

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl CLI not available")


@pytest.fixture
def tls_server(tmp_path, monkeypatch):
    cert, key = str(tmp_path / "cert.pem"), str(tmp_path / "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
                    "-keyout", key, "-out", cert], check=True, capture_output=True)
    monkeypatch.setenv("SSL_CERT_FILE", cert)  # trusted by ssl.create_default_context()
    server = FakeVigil(tls=(cert, key)).start()
    yield server
    vigil.shutdown(1)
    server.stop()


def test_https_carries_ingestion_and_the_halt_stream(tls_server):
    vigil.configure(api_key="tls-key", base_url=tls_server.url, **FAST)
    with pytest.raises(VigilHalt) as caught:
        with vigil.wrap("over tls", remote_halt=True) as run:
            assert tls_server.wait_for(lambda: len(tls_server.halt_streams) == 1, timeout=10)
            tls_server.halt(run.execution_id, "tls halt")
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                vigil.checkpoint("tick")
                time.sleep(0.01)
    assert caught.value.reason == "tls halt"
    assert vigil.flush(5)
    assert tls_server.patch_for(run.execution_id)["crash_signature"] == "halt:remote_signal"
    assert tls_server.halt_streams[0].headers["authorization"] == "Bearer tls-key"
