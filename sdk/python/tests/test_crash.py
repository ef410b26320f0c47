import hashlib
import os

import pytest

import vigil
from vigil._signature import signature_frames

THIS_FILE = os.path.basename(__file__)


def parse_config(text):
    if not text:
        raise ValueError("empty config")
    if text == "bad":
        raise ValueError("bad config")  # same function, another line: same signature
    return text


def load(text):
    return parse_config(text)


@vigil.wrap
def agent(text):
    return load(text)


@vigil.wrap
def other_agent(text):
    return int(text)  # a different code path


def run_crash(fn, arg):
    with pytest.raises(Exception):
        fn(arg)


def test_crash_is_reported_as_crashed_with_a_signature_and_reraised(sdk):
    with pytest.raises(ValueError, match="empty config"):
        agent("")
    vigil.flush(5)
    end = sdk.patches()[0].json
    assert end["status"] == "crashed"
    assert len(end["crash_signature"]) == 16
    int(end["crash_signature"], 16)


def test_same_code_path_gives_the_same_signature_across_runs_and_lines(sdk):
    run_crash(agent, "")
    run_crash(agent, "")
    run_crash(agent, "bad")  # raised on another line of the same function
    vigil.flush(5)
    signatures = {p.json["crash_signature"] for p in sdk.patches()}
    assert len(signatures) == 1


def test_different_code_path_gives_a_different_signature(sdk):
    run_crash(agent, "")
    run_crash(other_agent, "x")
    vigil.flush(5)
    first, second = (p.json["crash_signature"] for p in sdk.patches())
    assert first != second


def test_signature_follows_the_spec_rule_and_skips_sdk_frames(sdk):
    with pytest.raises(ValueError):
        agent("")
    vigil.flush(5)
    # Frames as seen where wrap catches the exception: the wrapped function and what it called,
    # innermost first; the SDK's own wrapper frame is not part of it.
    text = "ValueError\n" + "\n".join(
        [THIS_FILE + ":parse_config", THIS_FILE + ":load", THIS_FILE + ":agent"])
    expected = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    assert sdk.patches()[0].json["crash_signature"] == expected


def test_signature_uses_only_the_innermost_five_frames():
    def f1(): f2()
    def f2(): f3()
    def f3(): f4()
    def f4(): f5()
    def f5(): f6()
    def f6(): raise KeyError("k")

    with pytest.raises(KeyError) as caught:
        f1()
    assert [f.split(":")[1] for f in signature_frames(caught.value)] == ["f6", "f5", "f4", "f3", "f2"]


def test_crash_in_a_nested_execution_crashes_the_child_and_the_parent(sdk):
    @vigil.wrap
    def inner():
        raise RuntimeError("boom")

    @vigil.wrap
    def outer():
        inner()

    with pytest.raises(RuntimeError):
        outer()
    vigil.flush(5)
    ends = [p.json for p in sdk.patches()]
    assert [e["status"] for e in ends] == ["crashed", "crashed"]
    assert all(len(e["crash_signature"]) == 16 for e in ends)


def test_system_exit_zero_counts_as_completed(sdk):
    @vigil.wrap
    def cli():
        raise SystemExit(0)

    with pytest.raises(SystemExit):
        cli()
    vigil.flush(5)
    assert sdk.patches()[0].json["status"] == "completed"
