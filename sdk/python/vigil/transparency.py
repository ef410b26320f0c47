"""Offline verification of Vigil execution certificates; no server, no network.

A certificate (``GET /executions/{id}/certificate``) is::

    {"entry": "<base64 entry bytes>", "index": 7, "proof": "c2sp.org/tlog-proof@v1\\n..."}

and a project's verifier key (``GET /transparency/key``) is a C2SP signed-note verifier key
``<origin>+<8 hex key id>+<base64(0x01 || 32-byte Ed25519 public key)>``.

:func:`verify_certificate` checks, in order: the key (its id is the hash of its name and key), the
entry (base64, then its RFC 6962 leaf hash), the tlog-proof text, the checkpoint note and its origin
(the key's name), the Ed25519 signature of the checkpoint by that key, and the inclusion proof from
the leaf up to the signed root. It returns what the certificate binds, or raises
:class:`CertificateError` naming the step that failed.

Signatures are checked with the ``cryptography`` package (Debian: python3-cryptography), imported
only when a certificate is verified. Without it, verification raises unless the caller asks for
the Merkle part alone with ``check_signature=False``; the result then says the signature was not
checked.

From a shell: ``python3 -m vigil.verify CERT.json --key KEY`` (see :mod:`vigil.verify`).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Tuple, Union

from . import _tlog
from ._tlog import TlogFormatError

__all__ = ["CertificateError", "VerifiedCertificate", "verify_certificate", "verify_note"]

#: The steps of verification, in the order they run; CertificateError.step is one of them.
STEPS = ("certificate", "key", "entry", "proof", "checkpoint", "origin", "signature", "inclusion")

_NO_CRYPTOGRAPHY = (
    "checking the checkpoint's Ed25519 signature needs the 'cryptography' package "
    "(Debian/Ubuntu: apt install python3-cryptography; or pip install cryptography); "
    "pass check_signature=False to check the Merkle inclusion alone")


class CertificateError(ValueError):
    """A certificate that does not verify. ``step`` names the check that failed (see ``STEPS``)."""

    def __init__(self, step: str, message: str) -> None:
        super().__init__("%s: %s" % (step, message))
        self.step = step
        self.reason = message


@dataclass(frozen=True)
class VerifiedCertificate:
    """What a verified certificate binds: the entry, its position and the signed tree head."""

    origin: str
    tree_size: int
    root_hash: bytes
    index: int
    entry_bytes: bytes
    entry: Dict[str, Any]
    leaf_hash: bytes
    key_id: str
    #: False only when the caller passed ``check_signature=False``: the Merkle part was checked,
    #: the checkpoint's signature was not, so the result proves nothing about who signed it.
    signature_checked: bool
    extensions: Tuple[str, ...] = ()
    #: The tlog-proof ``extra`` data, if any. It is not authenticated by anything.
    unauthenticated_extra: Optional[bytes] = field(default=None, repr=False)

    @property
    def root_hash_base64(self) -> str:
        return base64.b64encode(self.root_hash).decode("ascii")

    @property
    def project_id(self) -> Any:
        return self.entry.get("project_id")

    @property
    def execution_id(self) -> Any:
        return self.entry.get("execution_id")

    @property
    def status(self) -> Any:
        return self.entry.get("status")

    @property
    def transcript_sha256(self) -> Any:
        return self.entry.get("transcript_sha256")

    @property
    def findings(self) -> List[Any]:
        return list(self.entry.get("findings") or [])


def _step(step: str, fn, *args):
    """Runs one parsing step, turning a format error into a CertificateError for that step."""
    try:
        return fn(*args)
    except TlogFormatError as e:
        raise CertificateError(step, str(e)) from None


def _read_certificate(cert: Union[Mapping[str, Any], str, bytes]) -> Tuple[str, int, str]:
    if isinstance(cert, (str, bytes, bytearray)):
        try:
            cert = json.loads(cert)
        except ValueError:
            raise CertificateError("certificate", "the certificate is not JSON") from None
    if not isinstance(cert, Mapping):
        raise CertificateError("certificate", "the certificate is not a JSON object")
    entry, index, proof = cert.get("entry"), cert.get("index"), cert.get("proof")
    if not isinstance(entry, str):
        raise CertificateError("certificate", "'entry' is not a base64 string")
    # bool is an int in Python; a JSON true is not an index.
    if not isinstance(index, int) or isinstance(index, bool) or index < 0:
        raise CertificateError("certificate", "'index' is not a non-negative integer")
    if not isinstance(proof, str):
        raise CertificateError("certificate", "'proof' is not tlog-proof text")
    return entry, index, proof


def _ed25519_verify(public_key: bytes, signature: bytes, message: bytes) -> bool:
    try:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    except ImportError:
        raise CertificateError("signature", _NO_CRYPTOGRAPHY) from None
    if len(signature) != 64:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


def _open_note(note: str, key: _tlog.VerifierKey, check_signature: bool) -> str:
    """The note's text once a signature by ``key`` verifies. Signatures by other keys (witnesses,
    rotated keys) are ignored, as signed-note requires; a failing signature by ``key`` rejects the
    note even if another one by it verifies, as signed-note recommends."""
    text, signatures = _step("signature", _tlog.parse_note, note)
    mine = [s for s in signatures if s.name == key.name and s.key_id == key.key_id]
    if not mine:
        raise CertificateError("signature", "the note has no signature by %s+%s"
                               % (key.name, key.key_id.hex()))
    if check_signature:
        message = text.encode("utf-8")
        for sig in mine:
            if not _ed25519_verify(key.public_key, sig.signature, message):
                raise CertificateError("signature",
                                       "the signature by %s does not verify" % key.name)
    return text


def verify_note(note: str, key: str) -> str:
    """Verifies a C2SP signed note against one verifier key and returns the note's text."""
    parsed = _step("key", _tlog.parse_verifier_key, key)
    return _open_note(note, parsed, True)


def _decode_entry(encoded: str) -> bytes:
    try:
        return _tlog.decode_base64(encoded, "'entry'")
    except TlogFormatError as e:
        raise CertificateError("entry", str(e)) from None


def _entry_json(raw: bytes) -> Dict[str, Any]:
    try:
        value = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise CertificateError("entry", "the entry is not UTF-8 JSON") from None
    if not isinstance(value, dict):
        raise CertificateError("entry", "the entry is not a JSON object")
    return value


def verify_certificate(cert: Union[Mapping[str, Any], str, bytes], key: str, *,
                       check_signature: bool = True) -> VerifiedCertificate:
    """Verifies a Vigil certificate offline against a project's verifier key.

    ``cert`` is the certificate object (or its JSON text); ``key`` the verifier key text. Raises
    :class:`CertificateError` whose ``step`` says which check failed. ``check_signature=False``
    skips only the Ed25519 check (for machines without ``cryptography``); the key id, origin and
    Merkle inclusion are still checked and the result's ``signature_checked`` is False.
    """
    entry_b64, index, proof_text = _read_certificate(cert)
    vkey = _step("key", _tlog.parse_verifier_key, key)
    entry = _decode_entry(entry_b64)
    leaf = _tlog.leaf_hash(entry)
    proof = _step("proof", _tlog.parse_tlog_proof, proof_text)
    if proof.index != index:
        raise CertificateError("proof", "the proof is for index %d, the certificate says %d"
                               % (proof.index, index))
    text = _open_note(proof.checkpoint_note, vkey, check_signature)
    checkpoint = _step("checkpoint", _tlog.parse_checkpoint, text)
    if checkpoint.origin != vkey.name:
        raise CertificateError("origin", "the checkpoint's origin %r is not the key's name %r"
                               % (checkpoint.origin, vkey.name))
    root = _step("inclusion", _tlog.root_from_inclusion_proof, index, checkpoint.tree_size, leaf,
                 list(proof.hashes))
    if root != checkpoint.root_hash:
        raise CertificateError("inclusion", "the entry and proof lead to a root other than the "
                               "checkpoint's")
    return VerifiedCertificate(
        origin=checkpoint.origin, tree_size=checkpoint.tree_size, root_hash=checkpoint.root_hash,
        index=index, entry_bytes=entry, entry=_entry_json(entry), leaf_hash=leaf,
        key_id=vkey.key_id.hex(), signature_checked=check_signature,
        extensions=checkpoint.extensions, unauthenticated_extra=proof.extra)

