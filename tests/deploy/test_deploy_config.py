"""Reviews the Dockerfile and fly.toml against the real binary: its flags (`vigil serve --help`), port,
health path and data path; then runs the binary with exactly their settings, and (as root)
scripts/container-check, which runs it inside a root holding exactly the image's files.

Standard library only (tomllib: Python 3.11). VIGIL_BIN points at the built binary; by default
build/vigil in this repository.
"""
import http.client
import json
import os
import posixpath
import re
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import tomllib

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.environ.get("VIGIL_BIN") or os.path.join(REPO, "build", "vigil")
DOCKERFILE = os.path.join(REPO, "Dockerfile")
FLY_TOML = os.path.join(REPO, "fly.toml")
CONTAINER_CHECK = os.path.join(REPO, "scripts", "container-check")
HEALTH_PATH = "/health"

needs_binary = pytest.mark.skipif(not os.access(BIN, os.X_OK), reason=f"no vigil binary at {BIN}")


# --- parsing ------------------------------------------------------------------------------------

def parse_dockerfile(path):
    """[(stage_from_args, [(INSTRUCTION, args_text), ...]), ...] with continuations joined."""
    with open(path) as f:
        raw = f.read().splitlines()
    lines, cur = [], ""
    for line in raw:
        stripped = line.strip()
        if not cur and (not stripped or stripped.startswith("#")):
            continue
        if cur and stripped.startswith("#"):  # comment lines inside a continuation are dropped
            continue
        if stripped.endswith("\\"):
            cur += stripped[:-1] + " "
            continue
        lines.append(cur + stripped)
        cur = ""
    assert not cur, "Dockerfile ends inside a line continuation"
    stages = []
    for line in lines:
        instr, _, args = line.partition(" ")
        instr, args = instr.upper(), args.strip()
        if instr == "FROM":
            stages.append((args, []))
        else:
            assert stages, f"{instr} before the first FROM"
            stages[-1][1].append((instr, args))
    return stages


def exec_form(args):
    """The JSON array of an exec-form instruction, or None for shell form."""
    try:
        value = json.loads(args)
    except ValueError:
        return None
    return value if isinstance(value, list) and all(isinstance(x, str) for x in value) else None


def split_flags(args):
    """`--a=b --c=d rest...` -> ({'a': 'b', 'c': 'd'}, [rest...])."""
    words = shlex.split(args)
    flags = {}
    while words and words[0].startswith("--"):
        name, _, value = words.pop(0)[2:].partition("=")
        flags[name] = value
    return flags, words


def env_pairs(args):
    """ENV k=v k2=v2 (and the legacy `ENV k v`)."""
    words = shlex.split(args)
    if words and "=" not in words[0]:
        return {words[0]: " ".join(words[1:])}
    return dict(w.split("=", 1) for w in words)


def duration_s(value):
    """Fly durations: an integer (seconds) or Go-style strings like "15s", "1m30s", "500ms"."""
    if isinstance(value, (int, float)):
        return float(value)
    parts = re.fullmatch(r"((?:\d+(?:\.\d+)?(?:ms|s|m|h))+)", value)
    assert parts, f"not a duration: {value!r}"
    scale = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
    return sum(float(n) * scale[u] for n, u in re.findall(r"(\d+(?:\.\d+)?)(ms|s|m|h)", value))


@pytest.fixture(scope="module")
def stages():
    return parse_dockerfile(DOCKERFILE)


@pytest.fixture(scope="module")
def final(stages):
    """The final stage, summarised."""
    from_args, instrs = stages[-1]
    out = {"from": from_args, "instrs": instrs, "env": {}, "copies": [], "volume_index": None}
    for i, (instr, args) in enumerate(instrs):
        if instr == "ENV":
            out["env"].update(env_pairs(args))
        elif instr == "COPY":
            flags, words = split_flags(args)
            out["copies"].append((i, flags, words[:-1], words[-1]))
        elif instr == "VOLUME":
            vols = exec_form(args) or shlex.split(args)
            out.setdefault("volumes", []).extend(vols)
            out["volume_index"] = i
        elif instr in ("USER", "EXPOSE", "HEALTHCHECK", "ENTRYPOINT", "STOPSIGNAL", "CMD"):
            out[instr] = args
    return out


@pytest.fixture(scope="module")
def fly():
    with open(FLY_TOML, "rb") as f:
        return tomllib.load(f)


@pytest.fixture(scope="module")
def help_text():
    if not os.access(BIN, os.X_OK):
        pytest.skip(f"no vigil binary at {BIN}")
    text = ""
    for args in (["--help"], ["serve", "--help"]):  # the commands, then every setting
        out = subprocess.run([BIN] + args, capture_output=True, text=True, timeout=30)
        assert out.returncode == 0, out.stderr
        text += out.stdout + out.stderr
    return text


def help_default(help_text, var):
    m = re.search(r"/ " + re.escape(var) + r"\b.*\(default (\d+)", help_text)
    assert m, f"--help gives no numeric default for {var}"
    return int(m.group(1))


def passwd_entries(path):
    with open(path) as f:
        return [line.rstrip("\n").split(":") for line in f if line.strip()]


def entrypoint(final):
    ep = exec_form(final["ENTRYPOINT"])
    assert ep, "ENTRYPOINT must be exec form (there is no shell in the image)"
    return ep


# --- Dockerfile ---------------------------------------------------------------------------------

def test_build_stage_builds_the_static_binary_with_the_projects_scripts(stages):
    assert len(stages) >= 2, "multi-stage build expected"
    from_args, instrs = stages[0]
    assert from_args.split()[0] == "debian:bookworm"
    runs = " ".join(args for instr, args in instrs if instr == "RUN")
    assert "scripts/setup" in runs
    assert "-DCMAKE_BUILD_TYPE=Release" in runs and "--target vigil" in runs
    assert "statically linked" in runs, "the build stage should refuse a dynamically linked binary"


def test_final_stage_is_scratch_with_no_shell_needed(final):
    assert final["from"] == "scratch"
    instrs = [i for i, _ in final["instrs"]]
    assert "RUN" not in instrs and "SHELL" not in instrs, "nothing can run at build time in scratch"
    assert "CMD" not in final, "arguments go to the ENTRYPOINT; no shell-form CMD"


def test_final_stage_holds_only_binary_certs_tzdata_users_and_data(final):
    dests = set()
    for _, flags, srcs, dest in final["copies"]:
        for src in srcs:
            dests.add(posixpath.join(dest, posixpath.basename(src.rstrip("/"))) if dest.endswith("/")
                      else dest)
    assert dests == {entrypoint(final)[0], "/etc/ssl/certs/ca-certificates.crt", "/usr/share/zoneinfo",
                     "/etc/passwd", "/etc/group", "/data"}


def test_binary_is_copied_from_the_build_stage_to_the_entrypoint(final, stages):
    ep = entrypoint(final)
    assert ep[0].startswith("/")
    build_name = stages[0][0].split()[-1] if " AS " in stages[0][0].upper() else "0"
    copies = [c for c in final["copies"] if c[3] == ep[0]]
    assert len(copies) == 1
    _, flags, srcs, _ = copies[0]
    assert flags.get("from") == build_name
    assert len(srcs) == 1 and srcs[0].endswith("/build/vigil")


def test_runs_as_a_non_root_user_named_in_passwd_and_group(final):
    m = re.fullmatch(r"(\d+):(\d+)", final["USER"])
    assert m, "USER must be numeric uid:gid (no name lookup is needed in scratch)"
    uid, gid = m.groups()
    assert uid != "0" and gid != "0"
    # The passwd and group the image copies hold that user.
    srcs = {posixpath.basename(s): s for _, flags, ss, dest in final["copies"] if dest == "/etc/"
            for s in ss}
    users = passwd_entries(os.path.join(REPO, srcs["passwd"]))
    groups = passwd_entries(os.path.join(REPO, srcs["group"]))
    assert any(e[2] == uid and e[3] == gid for e in users), f"no passwd entry for {uid}:{gid}"
    assert any(e[2] == gid for e in groups), f"no group entry for {gid}"
    # No login shell to give: the image has none.
    assert all(not e[6].startswith("/bin/") for e in users)


def test_data_volume_is_the_database_directory_owned_by_the_user(final):
    db = final["env"]["VIGIL_DB"]
    assert posixpath.isabs(db)
    data_dir = posixpath.dirname(db)
    assert final.get("volumes") == [data_dir]
    data_copies = [c for c in final["copies"] if c[3].rstrip("/") == data_dir]
    assert len(data_copies) == 1
    index, flags, _, _ = data_copies[0]
    assert flags.get("chown") == final["USER"], "the data directory must belong to the image's user"
    # VOLUME after the COPY: content and ownership then seed a new named volume.
    assert index < final["volume_index"]


def test_port_is_the_same_everywhere(final, fly):
    port = final["env"]["VIGIL_PORT"]
    assert final["EXPOSE"].split("/")[0] == port
    assert fly["http_service"]["internal_port"] == int(port)
    assert fly["env"]["VIGIL_PORT"] == port


def test_healthcheck_is_exec_form_vigil_healthcheck(final, help_text):
    flags, rest = split_flags(final["HEALTHCHECK"])
    assert rest and rest[0] == "CMD", "HEALTHCHECK CMD [...] expected"
    cmd = exec_form(final["HEALTHCHECK"].split("CMD", 1)[1].strip())
    assert cmd == [entrypoint(final)[0], "healthcheck"], "exec form, the ENTRYPOINT binary, no shell"
    assert re.search(r"^\s+healthcheck\s", help_text, re.M), "vigil --help lists no healthcheck command"
    for name in ("interval", "timeout", "start-period"):
        if name in flags:
            duration_s(flags[name])


def test_stop_signal_is_sigterm(final):
    assert final["STOPSIGNAL"] == "SIGTERM"


def test_dockerignore_keeps_local_state_out_of_the_context():
    with open(os.path.join(REPO, ".dockerignore")) as f:
        patterns = {line.strip().rstrip("/") for line in f if line.strip() and not line.startswith("#")}
    for p in (".git", "build", ".deps", "data"):
        assert p in patterns
    assert patterns & {"node_modules", "**/node_modules"}


# --- fly.toml -----------------------------------------------------------------------------------

def test_fly_builds_this_dockerfile(fly):
    assert os.path.join(REPO, fly["build"]["dockerfile"]) == DOCKERFILE


def test_fly_mounts_the_volume_at_the_database_directory(fly, final):
    mounts = fly["mounts"] if isinstance(fly["mounts"], list) else [fly["mounts"]]
    assert len(mounts) == 1
    db = fly["env"].get("VIGIL_DB", final["env"]["VIGIL_DB"])
    assert db == final["env"]["VIGIL_DB"]
    assert mounts[0]["destination"] == posixpath.dirname(db) == final["volumes"][0]
    assert mounts[0]["source"]


def test_fly_health_check_is_get_health(fly):
    checks = fly["http_service"]["checks"]
    assert checks
    for check in checks:
        assert check["path"] == HEALTH_PATH
        assert check.get("method", "GET").upper() == "GET"
        assert duration_s(check["timeout"]) < duration_s(check["interval"])
        assert duration_s(check["grace_period"]) >= 1


def test_fly_service_is_https_always_on(fly):
    svc = fly["http_service"]
    assert svc["force_https"] is True
    assert svc["auto_stop_machines"] in (False, "off")
    assert svc["auto_start_machines"] is True
    assert svc["min_machines_running"] >= 1
    # TLS ends at Fly's edge: Vigil sends HSTS itself and trusts Fly's client-IP header.
    assert fly["env"]["VIGIL_HSTS"] == "1"
    assert fly["env"]["VIGIL_TRUSTED_PROXY_HEADER"] == "Fly-Client-IP"


def test_fly_stops_vigil_gracefully(fly):
    assert fly["kill_signal"] == "SIGTERM"
    # Vigil drains in-flight requests for up to 10 s, then checkpoints: Fly must wait longer.
    assert duration_s(fly["kill_timeout"]) >= 15


def test_fly_concurrency_fits_vigil(fly, help_text):
    conc = fly["http_service"]["concurrency"]
    assert conc["type"] == "requests"
    workers = help_default(help_text, "VIGIL_HTTP_THREADS")
    streams = help_default(help_text, "VIGIL_SSE_MAX")
    # Halt streams are long requests that Fly counts but that do not hold Vigil's workers: the
    # limits must leave room for them above the worker count, and never exceed what Vigil holds.
    assert workers < conc["soft_limit"] <= conc["hard_limit"] <= streams + workers


# --- against the binary -------------------------------------------------------------------------

def vigil_names(path):
    with open(path) as f:
        text = "\n".join(line for line in f.read().splitlines() if not line.lstrip().startswith("#"))
    return set(re.findall(r"\bVIGIL_[A-Z0-9_]+\b", text))


def test_every_setting_used_is_one_the_binary_knows(help_text):
    known = set(re.findall(r"\bVIGIL_[A-Z0-9_]+\b", help_text))
    assert {"VIGIL_PORT", "VIGIL_DB"} <= known
    used = vigil_names(DOCKERFILE) | vigil_names(FLY_TOML)
    assert {"VIGIL_PORT", "VIGIL_DB"} <= used
    assert used <= known, f"unknown to vigil --help: {sorted(used - known)}"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@needs_binary
def test_binary_serves_with_exactly_these_settings(final, fly):
    """The image's ENV plus fly's [env], only the database moved to a temporary directory and the
    port to a free one: start-up accepts every value (a bad one exits 2), /health answers on the
    configured path with HSTS, and SIGTERM exits 0."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    env.update(final["env"])
    env.update(fly["env"])
    with tempfile.TemporaryDirectory(prefix="vigil-deploy-") as tmp:
        port = free_port()
        env.update({"VIGIL_DB": os.path.join(tmp, "data", "vigil.db"), "VIGIL_PORT": str(port),
                    "VIGIL_BIND": "127.0.0.1"})
        with open(os.path.join(tmp, "log"), "wb") as log:
            proc = subprocess.Popen([BIN], env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline, resp = time.time() + 20, None
            while time.time() < deadline and resp is None:
                assert proc.poll() is None, "vigil exited: " + open(os.path.join(tmp, "log")).read()
                try:
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                    conn.request("GET", HEALTH_PATH, headers={"Fly-Client-IP": "203.0.113.7"})
                    r = conn.getresponse()
                    resp = (r.status, dict((k.lower(), v) for k, v in r.getheaders()), r.read())
                    conn.close()
                except OSError:
                    time.sleep(0.1)
            assert resp is not None, "no answer on " + HEALTH_PATH
            status, headers, body = resp
            assert status == 200 and json.loads(body)["ok"] is True
            assert "strict-transport-security" in headers
            out = subprocess.run([BIN, "healthcheck"], env=env, capture_output=True, timeout=30)
            assert out.returncode == 0, out
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=25) == 0
            assert os.path.isfile(env["VIGIL_DB"])
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def container_check_skip_reason():
    if os.geteuid() != 0:
        return "scripts/container-check needs root (chroot, chown)"
    if shutil.which("chroot") is None:
        return "no chroot on this machine"
    return None


def test_container_check_holds_exactly_the_image_files(final):
    """The root scripts/container-check assembles lists the same files as the final stage."""
    with open(CONTAINER_CHECK) as f:
        script = f.read()
    m = re.search(r"^EXPECTED=\$'([^']*)'", script, re.M)
    assert m, "EXPECTED listing not found in scripts/container-check"
    listed = {p[1:] for p in m.group(1).split("\\n") if p not in (".", "")}
    leaves = {p for p in listed if not any(q.startswith(p + "/") for q in listed)}
    dests = set()
    for _, flags, srcs, dest in final["copies"]:
        for src in srcs:
            dests.add(posixpath.join(dest, posixpath.basename(src)) if dest.endswith("/") else dest)
    assert leaves == dests
    assert "--userspec=\"$RUN_AS\"" in script and f"RUN_AS={final['USER']}" in script
    assert os.access(CONTAINER_CHECK, os.X_OK)


@pytest.mark.skipif(container_check_skip_reason() is not None,
                    reason=container_check_skip_reason() or "")
def test_container_check_passes():
    out = subprocess.run([CONTAINER_CHECK], capture_output=True, text=True, timeout=1500,
                         stdin=subprocess.DEVNULL)
    lines = out.stdout.strip().splitlines()
    assert out.returncode == 0 and lines and lines[-1].startswith("container-check: PASS"), \
        out.stdout[-3000:] + out.stderr[-3000:]
