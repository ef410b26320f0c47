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

from tlog_builder import EM_DASH, LogKey, TestLog, b64, checkpoint_text, path

PATH = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                    "transparency_vectors.json")
ORIGIN = "vigil.example.com/vigil/p_1"
ABOUT = ("Published RFC 6962 and signed-note vectors ('rfc6962', 'signed_notes'), and "
         "certificates for the offline verifiers of both SDKs (verify_certificate / "
         "verifyCertificate): C2SP tlog-proof text over an RFC 6962 tree, checkpoints signed with "
         "a C2SP signed-note Ed25519 key derived from a fixed seed. 'valid' must verify and bind "
         "what 'expect' lists; 'invalid' must fail at 'step' (with 'key' when given, else the log "
         "key). Built by sdk/python/tests/transparency_vectors.py.")


# RFC 6962 test leaves, the roots of their first n leaves and the audit path of leaf 0 of 8, as
# published with the certificate-transparency reference implementation.
RFC6962 = {
    "empty_root": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "leaves": ["", "00", "10", "2021", "3031", "40414243", "5051525354555657",
               "606162636465666768696a6b6c6d6e6f"],
    "roots": [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ],
    "path_0_of_8": [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
}

# The example of the C2SP signed-note specification, and the one of Go's sumdb note package that
# signed-note grew from.
_GO_TEXT = ("If you think cryptography is the answer to your problem,\n"
            "then you don't know what your problem is.\n")
SIGNED_NOTES = [
    {"name": "C2SP signed-note example",
     "key": "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k",
     "note": ("This is an example message.\n\n" + EM_DASH + " example.com/foo "
              "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZX"
              "sYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n"),
     "text": "This is an example message.\n"},
    {"name": "golang.org/x/mod/sumdb/note example",
     "key": "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
     "note": (_GO_TEXT + "\n" + EM_DASH + " PeterNeumann "
              "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZS"
              "NXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"),
     "text": _GO_TEXT},
]


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
        ("index with a leading zero",
         _with_proof(good, good["proof"].replace("index 5", "index 05")), "proof"),
        ("unknown proof header",
         _with_proof(good, good["proof"].replace("tlog-proof@v1", "tlog-proof@v2")), "proof"),
        ("entry without its base64 padding", dict(good, entry=good["entry"].rstrip("=")), "entry"),
        ("a second, failing signature by the log key",
         log.certificate(5, note=log.note + "%s %s %s\n" % (EM_DASH, ORIGIN,
                                                            b64(key.key_id + bytes(64)))),
         "signature"),
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
    return {"about": ABOUT, "rfc6962": RFC6962, "signed_notes": SIGNED_NOTES,
            "key": key.verifier_key,
            "valid": _valid(log, extended, witness_note), "invalid": _invalid(key, log)}


def render():
    return json.dumps(build(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    with open(PATH, "w", encoding="utf-8") as f:
        f.write(render())
    print("wrote", PATH)
