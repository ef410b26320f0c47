"""The SDK's PEP 517 build backend: builds the wheel and the sdist with the standard library only.

It exists so that ``pip install ./sdk/python`` works offline: a build backend from PyPI (setuptools
and wheel) would be fetched into pip's isolated build environment first, which needs the network.
The SDK is pure Python with no dependencies, so a wheel is a zip of ``vigil/`` plus the metadata
files the wheel format (PEP 427) and core metadata (version 2.1) define. The metadata comes from
``[project]`` in pyproject.toml; the version from ``vigil/_version.py``.
"""
import base64
import hashlib
import io
import os
import re
import tarfile
import time
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = "vigil"
# Files of the sdist besides the package: what a build from the sdist needs.
SDIST_FILES = ("pyproject.toml", "README.md", "LICENSE", "_build_backend/vigil_build_backend.py")
# Zip entries get a fixed time so that two builds of the same tree are byte-identical.
FIXED_TIME = (2020, 1, 1, 0, 0, 0)


# --- pyproject.toml: the [project] table only ---------------------------------------------------

_STRING = r'"((?:[^"\\]|\\.)*)"'


def read_project(path=None):
    """The string and list-of-strings values of ``[project]``, and ``license.text``. A small
    reader instead of tomllib, which Python 3.9 and 3.10 lack; tests check it against tomllib."""
    with open(path or os.path.join(ROOT, "pyproject.toml"), encoding="utf-8") as f:
        text = f.read()
    match = re.search(r"^\[project\]\s*$(.*?)(?=^\[)", text + "\n[", re.M | re.S)
    if not match:
        raise ValueError("pyproject.toml has no [project] table")
    table, project = match.group(1), {}
    for m in re.finditer(r"^([A-Za-z0-9_-]+)\s*=\s*", table, re.M):
        rest = table[m.end():]
        string = re.match(_STRING, rest)
        array = re.match(r"\[((?:\s*" + _STRING + r"\s*,?)*)\s*\]", rest)
        inline = re.match(r"\{([^}]*)\}", rest)
        if string:
            project[m.group(1)] = _unescape(string.group(1))
        elif array:
            project[m.group(1)] = [_unescape(v) for v in re.findall(_STRING, array.group(1))]
        elif inline:
            pairs = re.findall(r"([A-Za-z0-9_-]+)\s*=\s*" + _STRING, inline.group(1))
            project[m.group(1)] = {k: _unescape(v) for k, v in pairs}
    return project


def _unescape(s):
    return s.replace('\\"', '"').replace("\\\\", "\\")


def read_version():
    with open(os.path.join(ROOT, PACKAGE, "_version.py"), encoding="utf-8") as f:
        m = re.search(r'^__version__\s*=\s*"([^"]+)"', f.read(), re.M)
    if not m:
        raise ValueError("vigil/_version.py has no __version__")
    return m.group(1)


def metadata_text():
    """Core metadata 2.1 (the METADATA of a wheel, the PKG-INFO of an sdist)."""
    p = read_project()
    lines = [
        "Metadata-Version: 2.1",
        "Name: " + p["name"],
        "Version: " + read_version(),
        "Summary: " + p.get("description", ""),
        "License: " + p.get("license", {}).get("text", ""),
        "Requires-Python: " + p.get("requires-python", ""),
        "Keywords: " + ",".join(p.get("keywords", [])),
    ]
    lines += ["Classifier: " + c for c in p.get("classifiers", [])]
    lines.append("Description-Content-Type: text/markdown")
    with open(os.path.join(ROOT, p.get("readme", "README.md")), encoding="utf-8") as f:
        readme = f.read()
    return "\n".join(lines) + "\n\n" + readme


def _dist_name():
    return re.sub(r"[-_.]+", "_", read_project()["name"]).lower()


# --- wheel ----------------------------------------------------------------------------------------

def _package_files():
    """(path in the wheel, path on disk) of every file of the package, sorted."""
    out = []
    for folder, dirs, files in os.walk(os.path.join(ROOT, PACKAGE)):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if name.endswith((".pyc", ".pyo")):
                continue
            disk = os.path.join(folder, name)
            out.append((os.path.relpath(disk, ROOT).replace(os.sep, "/"), disk))
    return out


def _record_line(path, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return "%s,sha256=%s,%d" % (path, digest, len(data))


def _write_wheel(wheel_directory, contents):
    """Writes a py3-none-any wheel holding ``contents`` ((path, bytes) pairs) and the dist-info."""
    name, version = _dist_name(), read_version()
    info = "%s-%s.dist-info" % (name, version)
    with open(os.path.join(ROOT, "LICENSE"), "rb") as f:
        license_bytes = f.read()
    entries = list(contents) + [
        (info + "/METADATA", metadata_text().encode("utf-8")),
        (info + "/WHEEL", b"Wheel-Version: 1.0\nGenerator: vigil_build_backend\n"
                          b"Root-Is-Purelib: true\nTag: py3-none-any\n"),
        (info + "/LICENSE", license_bytes),
    ]
    record = "\n".join(_record_line(p, d) for p, d in entries) + "\n" + info + "/RECORD,,\n"
    entries.append((info + "/RECORD", record.encode("utf-8")))
    filename = "%s-%s-py3-none-any.whl" % (name, version)
    with zipfile.ZipFile(os.path.join(wheel_directory, filename), "w", zipfile.ZIP_DEFLATED) as z:
        for path, data in entries:
            entry = zipfile.ZipInfo(path, FIXED_TIME)
            entry.external_attr = 0o644 << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(entry, data)
    return filename


def _read(disk):
    with open(disk, "rb") as f:
        return f.read()


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    return _write_wheel(wheel_directory, [(p, _read(d)) for p, d in _package_files()])


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    """PEP 660: a wheel whose .pth file puts this source tree on sys.path."""
    pth = (ROOT + "\n").encode("utf-8")
    return _write_wheel(wheel_directory, [("__editable__.%s.pth" % _dist_name(), pth)])


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_editable(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


# --- sdist ----------------------------------------------------------------------------------------

def build_sdist(sdist_directory, config_settings=None):
    base = "%s-%s" % (_dist_name(), read_version())
    files = [(p, os.path.join(ROOT, p)) for p in SDIST_FILES] + _package_files()
    filename = base + ".tar.gz"
    with tarfile.open(os.path.join(sdist_directory, filename), "w:gz", format=tarfile.PAX_FORMAT) as t:
        entries = [(p, _read(d)) for p, d in files] + [("PKG-INFO", metadata_text().encode("utf-8"))]
        for path, data in entries:
            member = tarfile.TarInfo(base + "/" + path)
            member.size = len(data)
            member.mode = 0o644
            member.mtime = int(time.mktime(FIXED_TIME + (0, 0, -1)))
            t.addfile(member, io.BytesIO(data))
    return filename
