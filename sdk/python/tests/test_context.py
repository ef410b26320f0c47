"""context_sha256 and its RFC 8785 canonical JSON, checked against the vectors the TypeScript SDK
checks too (sdk/context_vectors.json); result_text of tool calls."""

import json
import os
import struct

import pytest

import vigil
from vigil import _util

VECTORS_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                            "context_vectors.json")
with open(VECTORS_PATH, encoding="utf-8") as f:
    VECTORS = json.load(f)


@pytest.mark.parametrize("vector", VECTORS["numbers"], ids=lambda v: v["ieee754"])
def test_numbers_print_as_rfc_8785_appendix_b_prints_them(vector):
    value = struct.unpack(">d", bytes.fromhex(vector["ieee754"]))[0]
    assert vigil.canonical_json(value) == vector["canonical"]


@pytest.mark.parametrize("vector", VECTORS["canonical_json"], ids=lambda v: v["name"])
def test_canonical_json_sorts_by_utf16_code_units_and_escapes_as_rfc_8785(vector):
    assert vigil.canonical_json(json.loads(vector["json"])) == vector["canonical"]


@pytest.mark.parametrize("vector", VECTORS["context_sha256"], ids=lambda v: v["name"])
def test_context_sha256_of_the_shared_requests_equals_the_typescript_sdks(vector):
    request = {"model": vector["model"], "messages": vector["messages"], "tools": vector["tools"]}
    assert vigil.canonical_json(request) == vector["canonical"]
    digest = vigil.context_sha256(vector["model"], vector["messages"], vector["tools"])
    assert digest == vector["sha256"]


def test_client_objects_are_digested_as_their_json_and_the_rest_is_refused():
    class Message:  # the shape of the clients' typed (pydantic) messages
        def model_dump(self, mode="python"):
            assert mode == "json"
            return {"role": "assistant", "content": "42"}

    as_dict = vigil.context_sha256("m", [{"role": "assistant", "content": "42"}])
    assert vigil.context_sha256("m", [Message()]) == as_dict
    generated = (m for m in [{"role": "assistant", "content": "42"}])
    assert vigil.context_sha256("m", generated) == as_dict
    assert vigil.context_sha256("m", None) == vigil.context_sha256("m", [], [])
    assert vigil.canonical_json(2**60) == "1152921504606847000"  # as a double, like JavaScript
    for bad in (float("nan"), float("inf"), object()):
        with pytest.raises((ValueError, TypeError)):
            vigil.canonical_json({"x": bad})


def test_result_text_keeps_strings_whole_up_to_16_kib_and_cuts_at_a_character():
    assert _util.result_text("short") == "short"
    assert _util.result_text({"hits": [1, 2]}) == '{"hits": [1, 2]}'
    cut = _util.result_text("é" * 10_000)  # 20,000 bytes
    assert len(cut.encode("utf-8")) == 16 * 1024
    assert _util.cut_utf8("aé", 2) == "a"
    assert _util.cut_utf8("\U0001F600x", 3) == ""


def test_a_tool_call_sends_its_result_text_beside_the_summary(sdk):
    @vigil.tool
    def fetch(url):
        return "<html>" + "x" * 2_000 + "</html>"

    with vigil.wrap("reader") as run:
        fetch("https://example.com")
    vigil.flush(5)
    payload = sdk.events(run.execution_id)[0]["payload"]
    assert payload["result_text"] == "<html>" + "x" * 2_000 + "</html>"
    assert payload["result_summary"].endswith("...") and len(payload["result_summary"]) == 1_000
