"""The SDK's own build backend (_build_backend/): the wheel it builds is complete and valid, and
`pip install ./sdk/python` works offline in a fresh virtual environment."""
import base64
import csv
import hashlib
import io
import os
import subprocess
import sys
import tarfile
import venv
import zipfile

import pytest

SDK_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(SDK_DIR, "_build_backend"))

import vigil_build_backend as backend  # noqa: E402


def test_project_reader_agrees_with_tomllib():
    tomllib = pytest.importorskip("tomllib")
    with open(os.path.join(SDK_DIR, "pyproject.toml"), "rb") as f:
        expected = tomllib.load(f)["project"]
    assert backend.read_project() == expected


def test_wheel_holds_every_package_file_and_a_matching_record(tmp_path):
    name = backend.build_wheel(str(tmp_path))
    version = backend.read_version()
    assert name == "vigil_sdk-%s-py3-none-any.whl" % version
    with zipfile.ZipFile(str(tmp_path / name)) as z:
        names = set(z.namelist())
        sources = {os.path.relpath(os.path.join(d, f), SDK_DIR).replace(os.sep, "/")
                   for d, _, files in os.walk(os.path.join(SDK_DIR, "vigil"))
                   for f in files if f.endswith((".py", ".typed"))}
        assert sources <= names and not any("__pycache__" in n for n in names)
        info = "vigil_sdk-%s.dist-info/" % version
        metadata = z.read(info + "METADATA").decode()
        assert "Name: vigil-sdk\n" in metadata and "Version: %s\n" % version in metadata
        assert "Requires-Python: >=3.9\n" in metadata
        rows = list(csv.reader(io.StringIO(z.read(info + "RECORD").decode())))
        assert {r[0] for r in rows} == names
        for path, digest, size in rows:
            if path.endswith("RECORD"):
                continue
            data = z.read(path)
            expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            assert (digest, int(size)) == ("sha256=" + expected, len(data)), path


def test_sdist_holds_what_a_build_needs(tmp_path):
    sdist = backend.build_sdist(str(tmp_path))
    with tarfile.open(str(tmp_path / sdist)) as t:
        members = t.getnames()
    base = sdist[: -len(".tar.gz")]
    for f in ("pyproject.toml", "README.md", "LICENSE", "PKG-INFO", "vigil/__init__.py",
              "_build_backend/vigil_build_backend.py"):
        assert base + "/" + f in members


def test_pip_installs_it_offline_into_a_fresh_venv(tmp_path):
    env_dir = str(tmp_path / "venv")
    venv.create(env_dir, with_pip=True)
    python = os.path.join(env_dir, "bin", "python")
    # The test runner puts the source tree on PYTHONPATH; the installed copy must be the one found.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    r = subprocess.run([python, "-m", "pip", "install", "--no-index", "--quiet", SDK_DIR],
                       capture_output=True, text=True, timeout=300, env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    r = subprocess.run([python, "-c", "import vigil, vigil.adapters.openai; print(vigil.__file__)"],
                       capture_output=True, text=True, cwd=str(tmp_path), timeout=60, env=env)
    assert r.returncode == 0 and "site-packages" in r.stdout, r.stdout + r.stderr
