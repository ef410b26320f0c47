"""Offline certificate verification (vigil.transparency): RFC 6962 vectors, the C2SP signed-note
examples, certificates built by an independent test log over many tree sizes, strict parsing of
the C2SP formats, and every tamper case naming the step that fails."""

import base64
import builtins
import hashlib
import json
import os
import random
import subprocess
import sys

import pytest

pytest.importorskip("cryptography")

import vigil  # noqa: E402
from vigil import _tlog  # noqa: E402
from vigil.transparency import CertificateError, verify_certificate, verify_note  # noqa: E402

import transparency_vectors  # noqa: E402
from tlog_builder import EM_DASH, LogKey, TestLog, b64, checkpoint_text, mth, path  # noqa: E402

ORIGIN = "vigil.example.com/vigil/p_1"

# Published vectors (RFC 6962 trees, signed-note examples) and the certificates both SDKs check.
with open(transparency_vectors.PATH, encoding="utf-8") as _f:
    VECTORS = json.load(_f)
RFC6962 = VECTORS["rfc6962"]
SPEC_NOTE, GO_NOTE = VECTORS["signed_notes"]


@pytest.fixture(scope="module")
def key():
    return LogKey(ORIGIN)


@pytest.fixture(scope="module")
def log(key):
    return TestLog(key, 13)


def flip(text, at=-1):
    """``text`` (base64) with one bit of its decoded bytes flipped."""
    raw = bytearray(base64.b64decode(text))
    raw[at] ^= 0x01
    return b64(bytes(raw))


def failing_step(cert, vkey, **kw):
    with pytest.raises(CertificateError) as info:
        verify_certificate(cert, vkey, **kw)
    return info.value.step


# --- RFC 6962 and C2SP vectors --------------------------------------------------------------------

def test_rfc6962_hashes_match_the_published_vectors():
    leaves = [bytes.fromhex(h) for h in RFC6962["leaves"]]
    assert mth([]).hex() == RFC6962["empty_root"]
    assert _tlog.leaf_hash(b"").hex() == RFC6962["roots"][0]
    for n in range(1, 9):
        assert mth(leaves[:n]).hex() == RFC6962["roots"][n - 1]
    assert [h.hex() for h in path(0, leaves)] == RFC6962["path_0_of_8"]


def test_published_path_leads_the_verifier_to_the_published_root():
    proof = [bytes.fromhex(h) for h in RFC6962["path_0_of_8"]]
    root = _tlog.root_from_inclusion_proof(0, 8, _tlog.leaf_hash(b""), proof)
    assert root.hex() == RFC6962["roots"][7]


def test_the_signed_note_spec_example_verifies_with_its_key():
    for example in VECTORS["signed_notes"]:
        assert verify_note(example["note"], example["key"]) == example["text"], example["name"]


def test_an_edited_spec_example_is_refused():
    with pytest.raises(CertificateError, match="signature"):
        edited = SPEC_NOTE["note"].replace("example message", "example massage")
        verify_note(edited, SPEC_NOTE["key"])
    with pytest.raises(CertificateError, match="signature"):
        verify_note(GO_NOTE["note"], SPEC_NOTE["key"])  # a note signed by another key only


def test_an_empty_tree_proves_no_entry(key):
    note = key.sign(checkpoint_text(ORIGIN, 0, mth([])))
    proof = TestLog(key, 1).certificate(0, note=note, hashes=[])["proof"]
    cert = {"entry": b64(b"{}"), "index": 0, "proof": proof}
    assert failing_step(cert, key.verifier_key) == "inclusion"


# --- round trips against the naive tree -----------------------------------------------------------

def test_every_index_of_small_trees_verifies(key):
    for size in range(1, 34):
        log = TestLog(key, size)
        for i in range(size):
            got = verify_certificate(log.certificate(i), key.verifier_key)
            assert (got.tree_size, got.index, got.root_hash) == (size, i, log.root)
            assert got.entry_bytes == log.entries[i]


def test_random_indices_of_larger_trees_verify(key):
    rng = random.Random(6962)
    for size in (255, 256, 257, 1000, 1025):
        log = TestLog(key, size)
        for i in {0, size - 1, *(rng.randrange(size) for _ in range(8))}:
            assert verify_certificate(log.certificate(i), key.verifier_key).index == i


def test_the_result_binds_the_entry_and_the_signed_tree_head(key, log):
    got = verify_certificate(json.dumps(log.certificate(4)), key.verifier_key)
    entry = json.loads(log.entries[4])
    assert got.origin == ORIGIN and got.tree_size == 13 and got.root_hash_base64 == b64(log.root)
    assert got.key_id == key.key_id.hex() and got.signature_checked
    assert got.leaf_hash == hashlib.sha256(b"\x00" + log.entries[4]).digest()
    assert got.entry == entry and got.project_id == "p_1" and got.execution_id == "exec-0004"
    assert got.status == "completed" and got.transcript_sha256 == entry["transcript_sha256"]
    assert got.findings == entry["findings"] and got.findings
    assert vigil.verify_certificate is verify_certificate


# --- tamper cases ---------------------------------------------------------------------------------

def test_a_flipped_bit_in_the_entry_fails_inclusion(key, log):
    cert = log.certificate(5)
    cert["entry"] = flip(cert["entry"], 3)
    assert failing_step(cert, key.verifier_key) == "inclusion"


def test_a_flipped_bit_in_a_proof_hash_fails_inclusion(key, log):
    hashes = path(5, log.entries)
    for i in range(len(hashes)):
        bad = list(hashes)
        bad[i] = bytes([bad[i][0] ^ 0x80]) + bad[i][1:]
        assert failing_step(log.certificate(5, hashes=bad), key.verifier_key) == "inclusion"


def test_a_missing_or_extra_proof_hash_fails_inclusion(key, log):
    hashes = path(5, log.entries)
    assert failing_step(log.certificate(5, hashes=hashes[:-1]), key.verifier_key) == "inclusion"
    longer = log.certificate(5, hashes=hashes + [hashes[0]])
    assert failing_step(longer, key.verifier_key) == "inclusion"


def test_a_flipped_bit_in_the_root_or_the_signature_fails_the_signature(key, log):
    root_b64 = b64(log.root)
    cert = log.certificate(2, note=log.note.replace(root_b64, flip(root_b64, 0)))
    assert failing_step(cert, key.verifier_key) == "signature"
    line = log.note.split("\n")[-2]
    sig_b64 = line.split(" ")[2]
    cert = log.certificate(2, note=log.note.replace(sig_b64, flip(sig_b64, -1)))
    assert failing_step(cert, key.verifier_key) == "signature"


def test_a_different_key_of_the_same_name_is_refused(log):
    other = LogKey(ORIGIN)
    assert failing_step(log.certificate(1), other.verifier_key) == "signature"


def test_a_checkpoint_whose_origin_is_not_the_key_name_is_refused(key):
    log = TestLog(key, 4)
    note = key.sign(checkpoint_text("other.example.com/vigil/p_2", 4, log.root))
    assert failing_step(log.certificate(1, note=note), key.verifier_key) == "origin"


def test_an_index_at_or_beyond_the_tree_size_is_refused(key, log):
    cert = log.certificate(12)
    cert["index"] = 13
    cert["proof"] = cert["proof"].replace("index 12\n", "index 13\n")
    assert failing_step(cert, key.verifier_key) == "inclusion"


def test_a_proof_for_another_index_is_refused(key, log):
    cert = log.certificate(3)
    cert["index"] = 4
    assert failing_step(cert, key.verifier_key) == "proof"


# --- the formats, to the letter -------------------------------------------------------------------

def test_extension_lines_extra_data_and_witness_signatures_are_accepted(key):
    log = TestLog(key, 6, extensions=("ext one",))
    witness = LogKey("witness.example/w1")
    note = log.note + witness.signature_line("anything\n")
    got = verify_certificate(log.certificate(5, note=note, extra=b"ctx"), key.verifier_key)
    assert got.extensions == ("ext one",) and got.unauthenticated_extra == b"ctx"


def test_a_bad_signature_by_the_key_rejects_the_note_even_beside_a_good_one(key, log):
    forged = "%s %s %s\n" % (EM_DASH, ORIGIN, b64(key.key_id + bytes(64)))
    assert failing_step(log.certificate(0, note=log.note + forged), key.verifier_key) == "signature"


def test_a_signature_under_the_key_name_with_another_key_id_is_ignored(key, log):
    stray = "%s %s %s\n" % (EM_DASH, ORIGIN, b64(b"\x00\x00\x00\x00" + bytes(64)))
    assert verify_certificate(log.certificate(0, note=log.note + stray), key.verifier_key)


@pytest.mark.parametrize("edit, step", [
    (lambda p: p.replace("c2sp.org/tlog-proof@v1", "c2sp.org/tlog-proof@v2"), "proof"),
    (lambda p: p.replace("index 7\n", "index 07\n"), "proof"),
    (lambda p: p.replace("index 7\n", "index  7\n"), "proof"),
    (lambda p: p.replace("index 7\n", "7\n"), "proof"),
    (lambda p: p.replace("\n\n", "\n", 1), "proof"),
    (lambda p: p.replace("\n", "\r\n"), "proof"),
    (lambda p: p.rstrip("\n"), "signature"),
    (lambda p: p.replace(EM_DASH, "-"), "signature"),
])
def test_malformed_proof_text_is_refused(key, log, edit, step):
    cert = log.certificate(7)
    cert["proof"] = edit(cert["proof"])
    assert failing_step(cert, key.verifier_key) == step


def test_non_canonical_base64_and_bad_checkpoint_lines_are_refused(key, log):
    root_b64 = b64(log.root)
    text = checkpoint_text(ORIGIN, 13, log.root)
    unpadded = key.sign(text.replace(root_b64, root_b64.rstrip("=")))
    assert failing_step(log.certificate(1, note=unpadded), key.verifier_key) == "checkpoint"
    padded_size = key.sign(checkpoint_text(ORIGIN, 13, log.root).replace("\n13\n", "\n013\n"))
    assert failing_step(log.certificate(1, note=padded_size), key.verifier_key) == "checkpoint"
    blank_ext = key.sign(checkpoint_text(ORIGIN, 13, log.root) + "\next\n")
    assert failing_step(log.certificate(1, note=blank_ext), key.verifier_key) == "checkpoint"
    cert = log.certificate(1)
    cert["entry"] = cert["entry"].rstrip("=")
    assert failing_step(cert, key.verifier_key) == "entry"


def test_malformed_verifier_keys_are_refused(key, log):
    vkey = key.verifier_key
    name, id_hex, material = vkey.split("+", 2)
    raw = base64.b64decode(material)
    bad_keys = ["", name, name + "+" + id_hex,
                "%s+%08x+%s" % (name, int(id_hex, 16) ^ 1, material),
                "%s+%s+%s" % (name, id_hex, b64(b"\x04" + raw[1:])),
                "a b+%s+%s" % (id_hex, material)]
    # An id of digits only has no upper-case spelling; the key is random.
    if id_hex.upper() != id_hex:
        bad_keys.append("%s+%s+%s" % (name, id_hex.upper(), material))
    for bad in bad_keys:
        assert failing_step(log.certificate(0), bad) == "key", bad


@pytest.mark.parametrize("cert", [
    None, [], "not json", {"entry": "e30=", "index": True, "proof": ""},
    {"entry": "e30=", "index": -1, "proof": ""}, {"entry": 1, "index": 0, "proof": ""},
    {"entry": "e30=", "index": 0},
])
def test_certificates_of_the_wrong_shape_are_refused(key, cert):
    assert failing_step(cert, key.verifier_key) == "certificate"


# --- without the cryptography package -------------------------------------------------------------

def test_without_cryptography_the_signature_step_says_what_it_needs(key, log, monkeypatch):
    real_import = builtins.__import__

    def no_cryptography(name, *args, **kwargs):
        if name.startswith("cryptography"):
            raise ImportError("No module named 'cryptography'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_cryptography)
    with pytest.raises(CertificateError) as info:
        verify_certificate(log.certificate(3), key.verifier_key)
    assert info.value.step == "signature" and "python3-cryptography" in str(info.value)
    merkle_only = verify_certificate(log.certificate(3), key.verifier_key, check_signature=False)
    assert merkle_only.signature_checked is False and merkle_only.index == 3
    cert = log.certificate(3)
    cert["entry"] = flip(cert["entry"])
    assert failing_step(cert, key.verifier_key, check_signature=False) == "inclusion"


# --- the vectors both SDKs check ------------------------------------------------------------------

def test_the_shared_vectors_are_what_their_builder_makes():
    with open(transparency_vectors.PATH, encoding="utf-8") as f:
        assert f.read() == transparency_vectors.render()


def test_the_shared_vectors_verify_or_fail_at_their_step():
    for case in VECTORS["valid"]:
        got = verify_certificate(case["certificate"], VECTORS["key"])
        want = case["expect"]
        assert (got.origin, got.tree_size, got.root_hash_base64, got.index, got.execution_id) == (
            want["origin"], want["tree_size"], want["root"], want["index"], want["execution_id"])
    assert len(VECTORS["invalid"]) >= 10
    for case in VECTORS["invalid"]:
        step = failing_step(case["certificate"], case.get("key", VECTORS["key"]))
        assert step == case["step"], case["name"]


# --- python3 -m vigil.verify ----------------------------------------------------------------------

def _run_verify(tmp_path, cert, *args):
    cert_file = tmp_path / "certificate.json"
    cert_file.write_text(json.dumps(cert))
    sdk_dir = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return subprocess.run([sys.executable, "-W", "error", "-m", "vigil.verify", str(cert_file),
                           *args], cwd=sdk_dir, capture_output=True, text=True, timeout=60)


def test_the_command_prints_what_a_certificate_binds(tmp_path, key, log):
    key_file = tmp_path / "vigil.key"
    key_file.write_text(key.verifier_key + "\n")
    done = _run_verify(tmp_path, log.certificate(9), "--key", str(key_file))
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert (out["verified"], out["signature_checked"], out["index"], out["tree_size"]) == (
        True, True, 9, 13)
    assert out["root"] == b64(log.root) and out["entry"] == json.loads(log.entries[9])


def test_the_command_names_the_failed_step_and_exits_1(tmp_path, key, log):
    cert = log.certificate(9)
    cert["entry"] = flip(cert["entry"])
    done = _run_verify(tmp_path, cert, "--key", key.verifier_key)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.startswith("not verified: inclusion: ")
    merkle_only = _run_verify(tmp_path, log.certificate(9), "--key", key.verifier_key,
                              "--merkle-only")
    assert json.loads(merkle_only.stdout)["signature_checked"] is False
