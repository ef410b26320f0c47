"""A test-only transparency log: RFC 6962 trees computed the naive recursive way (MTH and PATH of
RFC 6962 section 2.1), checkpoints signed with a generated Ed25519 key, and certificates in the
shape the server returns. It shares no code with the verifier it tests."""

import base64
import hashlib
import json

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

EM_DASH = "\u2014"


def b64(raw):
    return base64.b64encode(raw).decode("ascii")


def _largest_power_of_two_below(n):
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(entries):
    """RFC 6962 Merkle Tree Hash of a list of entries."""
    if not entries:
        return hashlib.sha256(b"").digest()
    if len(entries) == 1:
        return hashlib.sha256(b"\x00" + entries[0]).digest()
    k = _largest_power_of_two_below(len(entries))
    return hashlib.sha256(b"\x01" + mth(entries[:k]) + mth(entries[k:])).digest()


def path(m, entries):
    """RFC 6962 audit path PATH(m, D[n]) of entry m: leaf's sibling first, root's child last."""
    if len(entries) <= 1:
        return []
    k = _largest_power_of_two_below(len(entries))
    if m < k:
        return path(m, entries[:k]) + [mth(entries[k:])]
    return path(m - k, entries[k:]) + [mth(entries[:k])]


class LogKey:
    """A log's Ed25519 key under a name (the log's origin)."""

    def __init__(self, name, private_key=None):
        self.name = name
        self.private = private_key or Ed25519PrivateKey.generate()
        self.public = self.private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.key_id = hashlib.sha256(name.encode() + b"\n\x01" + self.public).digest()[:4]

    @property
    def verifier_key(self):
        return "%s+%s+%s" % (self.name, self.key_id.hex(), b64(b"\x01" + self.public))

    def signature_line(self, text):
        sig = self.private.sign(text.encode("utf-8"))
        return "%s %s %s\n" % (EM_DASH, self.name, b64(self.key_id + sig))

    def sign(self, text, *more_lines):
        """A signed note of ``text`` with this key's signature line, then ``more_lines``."""
        return text + "\n" + self.signature_line(text) + "".join(more_lines)


def checkpoint_text(origin, size, root, extensions=()):
    return "".join(line + "\n" for line in [origin, str(size), b64(root), *extensions])


def tlog_proof(index, hashes, note, extra=None):
    lines = ["c2sp.org/tlog-proof@v1"]
    if extra is not None:
        lines.append("extra " + b64(extra))
    lines.append("index %d" % index)
    lines.extend(b64(h) for h in hashes)
    return "\n".join(lines) + "\n\n" + note


def entry_bytes(i, project="p_1"):
    """A canonical execution entry, as the server seals them (digests and identifiers only)."""
    value = {
        "execution_id": "exec-%04d" % i,
        "findings": [{"failure_class": "loop", "signature": "sig%d" % i,
                      "evidence_sha256": hashlib.sha256(b"e%d" % i).hexdigest()}] if i % 3 else [],
        "project_id": project,
        "status": "failed" if i % 2 else "completed",
        "transcript_sha256": hashlib.sha256(b"t%d" % i).hexdigest(),
        "type": "execution",
    }
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


class TestLog:
    """A log of ``size`` entries under ``key``; ``certificate(i)`` is entry i's certificate."""

    __test__ = False  # not a pytest test class

    def __init__(self, key, size, extensions=()):
        self.key = key
        self.entries = [entry_bytes(i) for i in range(size)]
        self.root = mth(self.entries)
        self.note = key.sign(checkpoint_text(key.name, size, self.root, extensions))

    def certificate(self, i, note=None, hashes=None, index_line=None, extra=None):
        proof = tlog_proof(i if index_line is None else index_line,
                           path(i, self.entries) if hashes is None else hashes,
                           self.note if note is None else note, extra)
        return {"entry": b64(self.entries[i]), "index": i, "proof": proof}
