import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from harness import VigilServer  # noqa: E402


@pytest.fixture(scope="module")
def server():
    """One server per test module (fast); tests use distinct ids so they do not interfere."""
    # Tests sign up many projects from one address: a trusted test header gives each its own IP.
    s = VigilServer(env={"VIGIL_RATE_LIMIT_BURST": "100000", "VIGIL_RATE_LIMIT_PER_SEC": "100000",
                         "VIGIL_TRUSTED_PROXY_HEADER": "X-Test-Client-IP"})
    s.start()
    yield s
    s.cleanup()


@pytest.fixture
def client(server):
    c = server.client()
    yield c
    c.close()


@pytest.fixture
def make_server():
    """Servers with custom settings, stopped after the test."""
    started = []

    def make(env=None, db_dir=None):
        s = VigilServer(env=env, db_dir=db_dir)
        started.append(s)
        return s.start()

    yield make
    for s in started:
        s.cleanup()
