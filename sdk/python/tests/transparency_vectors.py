"""Builds sdk/transparency_vectors.json, the certificates both SDK verifiers check: valid ones and
tampered ones with the verification step each must fail at. Keys come from fixed seeds and Ed25519
signatures are deterministic, so the file is reproducible; test_transparency.py checks that it is.

Run ``python3 sdk/python/tests/transparency_vectors.py`` to rewrite the file after changing this.
"""

import base64
import hashlib
import json
import os

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tlog_builder import LogKey, TestLog, b64, checkpoint_text, path

PATH = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                    "transparency_vectors.json")
ORIGIN = "vigil.example.com/vigil/p_1"
ABOUT = ("Certificates for the offline verifiers of both SDKs (verify_certificate / "
         "verifyCertificate): C2SP tlog-proof text over an RFC 6962 tree, checkpoints signed with "
         "a C2SP signed-note Ed25519 key derived from a fixed seed. 'valid' must verify and bind "
         "what 'expect' lists; 'invalid' must fail at 'step' (with 'key' when given, else the log "
         "key). Built by sdk/python/tests/transparency_vectors.py.")


def seeded_key(name, label):
    seed = hashlib.sha256(label.encode()).digest()
    return LogKey(name, Ed25519PrivateKey.from_private_bytes(seed))


def _flip(text, at):
    raw = bytearray(base64.b64decode(text))
    raw[at] ^= 0x01
    return b64(bytes(raw))


def _with_proof(cert, proof):
    return dict(cert, proof=proof)


def _valid(log, extended, witness_note):
    def case(name, cert, size):
        entry = json.loads(base64.b64decode(cert["entry"]))
        root = log.root if size == 13 else extended.root
        return {"name": name, "certificate": cert,
                "expect": {"origin": ORIGIN, "tree_size": size, "root": b64(root),
                           "index": cert["index"], "execution_id": entry["execution_id"]}}
    return [case("first entry", log.certificate(0), 13),
            case("middle entry", log.certificate(6), 13),
            case("last entry", log.certificate(12), 13),
            case("extension line, extra data, witness cosignature",
                 extended.certificate(4, note=witness_note, extra=b"unauthenticated"), 6)]


def _invalid(key, log):
    good = log.certificate(5)
    root_b64, text = b64(log.root), checkpoint_text(ORIGIN, 13, log.root)
    sig_b64 = log.note.split("\n")[-2].split(" ")[2]
    hashes = path(5, log.entries)
    bad_hash = [hashes[0], bytes([hashes[1][0] ^ 1]) + hashes[1][1:]] + hashes[2:]
    cases = [
        ("flipped bit in the entry", dict(good, entry=_flip(good["entry"], 10)), "inclusion"),
        ("flipped bit in a proof hash", log.certificate(5, hashes=bad_hash), "inclusion"),
        ("proof hash missing", log.certificate(5, hashes=hashes[:-1]), "inclusion"),
        ("flipped bit in the root",
         log.certificate(5, note=log.note.replace(root_b64, _flip(root_b64, 0))), "signature"),
        ("flipped bit in the signature",
         log.certificate(5, note=log.note.replace(sig_b64, _flip(sig_b64, -1))), "signature"),
        ("origin other than the key name",
         log.certificate(5, note=key.sign(text.replace(ORIGIN, ORIGIN + "x", 1))), "origin"),
        ("index beyond the tree", dict(log.certificate(12, index_line=13), index=13), "inclusion"),
        ("proof for another index", dict(good, index=4), "proof"),
        ("index with a leading zero", _with_proof(good, good["proof"].replace("index 5", "index 05")),
         "proof"),
        ("unpadded root",
         log.certificate(5, note=key.sign(text.replace(root_b64, root_b64.rstrip("=")))),
         "checkpoint"),
    ]
    out = [{"name": n, "certificate": c, "step": s} for n, c, s in cases]
    other = seeded_key(ORIGIN, "vigil transparency vectors: another key")
    out.append({"name": "another key of the same name", "certificate": good,
                "key": other.verifier_key, "step": "signature"})
    return out


def build():
    key = seeded_key(ORIGIN, "vigil transparency vectors: log key")
    witness = seeded_key("witness.example/w1", "vigil transparency vectors: witness")
    log = TestLog(key, 13)
    extended = TestLog(key, 6, extensions=("vigil.example.com/ext 1",))
    witness_note = extended.note + witness.signature_line(extended.note.split("\n\n")[0] + "\n")
    return {"about": ABOUT, "key": key.verifier_key,
            "valid": _valid(log, extended, witness_note), "invalid": _invalid(key, log)}


def render():
    return json.dumps(build(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    with open(PATH, "w", encoding="utf-8") as f:
        f.write(render())
    print("wrote", PATH)
