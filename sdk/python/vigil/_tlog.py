"""The transparency-log formats a Vigil certificate is made of, parsed strictly and checked with the
standard library alone (signatures are checked in :mod:`vigil.transparency`):

- RFC 6962 / RFC 9162 Merkle hashing and inclusion-proof verification (SHA-256);
- C2SP signed-note verifier keys and notes;
- C2SP tlog-checkpoint note text;
- C2SP tlog-proof text.

Every parser raises :class:`TlogFormatError` naming what is wrong; nothing is guessed or repaired,
because a verifier that accepts sloppy input is one an attacker can feed two readings of one text.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass
from typing import List, Optional, Tuple

#: The signed-note signature type of Ed25519, the only type a Vigil log key has.
ED25519_TYPE = 0x01
PROOF_HEADER = "c2sp.org/tlog-proof@v1"
EM_DASH = "\u2014"

# A tree holds fewer than 2**64 leaves, so an inclusion proof has at most 64 hashes; more lines
# than that can only be an attack on the verifier's time.
MAX_PROOF_HASHES = 64
# signed-note asks verifiers to accept at least 16 signatures and to cap them; 100 leaves room for
# many witnesses while bounding the work a hostile note can cause.
MAX_NOTE_SIGNATURES = 100
# Tree sizes and indices are unsigned 64-bit numbers in every tlog format.
MAX_UINT64 = 2**64 - 1

_DECIMAL = re.compile(r"^(0|[1-9][0-9]{0,19})$")
_KEY_ID_HEX = re.compile(r"^[0-9a-f]{8}$")
# The characters of Unicode's White_Space property, spelled out so that both SDKs refuse exactly
# the same key names (str.isspace and JavaScript's \s each differ from it at the edges).
_UNICODE_SPACE = re.compile(
    "[\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]")


class TlogFormatError(ValueError):
    """A key, note, checkpoint or proof that does not follow its format."""


def leaf_hash(entry: bytes) -> bytes:
    """RFC 6962 leaf hash: SHA-256(0x00 || entry)."""
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 6962 interior node hash: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def root_from_inclusion_proof(index: int, size: int, leaf: bytes, proof: List[bytes]) -> bytes:
    """The root a valid inclusion proof of ``leaf`` at ``index`` leads to in a tree of ``size``
    leaves (RFC 9162 section 2.1.3.2); raises TlogFormatError when the proof cannot belong to that
    position (index out of range, too few or too many hashes)."""
    if not 0 <= index < size:
        raise TlogFormatError("index %d is not below the tree size %d" % (index, size))
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise TlogFormatError("the inclusion proof has more hashes than the tree needs")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            # A left child on the right edge of the tree has no sibling at the levels it skips.
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise TlogFormatError("the inclusion proof has fewer hashes than the tree needs")
    return r


def decode_base64(text: str, what: str) -> bytes:
    """Standard, padded base64 (RFC 4648 section 4) in its one canonical spelling."""
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error, ValueError):
        raise TlogFormatError("%s is not standard base64" % what) from None
    # Non-zero spare bits or missing padding would give one value two spellings.
    if base64.b64encode(raw).decode("ascii") != text:
        raise TlogFormatError("%s is not canonical padded base64" % what)
    return raw


def parse_decimal(text: str, what: str) -> int:
    """An ASCII decimal without leading zeroes that fits in 64 bits."""
    if not _DECIMAL.match(text) or int(text) > MAX_UINT64:
        raise TlogFormatError("%s is not a decimal number without leading zeroes" % what)
    return int(text)


def _check_key_name(name: str, what: str) -> None:
    # signed-note: key names are non-empty and hold no Unicode space and no "+".
    if not name or "+" in name or _UNICODE_SPACE.search(name):
        raise TlogFormatError("%s is empty or holds a space or '+'" % what)


def key_id(name: str, sig_type: int, public_key: bytes) -> bytes:
    """signed-note key ID: the first 4 bytes of SHA-256(name || 0x0A || type || public key)."""
    material = name.encode("utf-8") + b"\n" + bytes([sig_type]) + public_key
    return hashlib.sha256(material).digest()[:4]


@dataclass(frozen=True)
class VerifierKey:
    """A signed-note Ed25519 verifier key ``<name>+<8 hex key id>+<base64(0x01 || key)>``."""

    name: str
    key_id: bytes
    public_key: bytes


def parse_verifier_key(text: str) -> VerifierKey:
    """Parses and checks a verifier key: the key ID it states must be the one its key hashes to."""
    if not isinstance(text, str):
        raise TlogFormatError("the verifier key is not a string")
    parts = text.strip().split("+", 2)
    if len(parts) != 3:
        raise TlogFormatError("the verifier key is not <name>+<key id>+<base64 key>")
    name, id_hex, material = parts
    _check_key_name(name, "the verifier key's name")
    if not _KEY_ID_HEX.match(id_hex):
        raise TlogFormatError("the verifier key's id is not 8 lowercase hex digits")
    raw = decode_base64(material, "the verifier key's key")
    if len(raw) != 33 or raw[0] != ED25519_TYPE:
        raise TlogFormatError("the verifier key is not an Ed25519 key (type 0x01, 32 bytes)")
    public_key = raw[1:]
    computed = key_id(name, ED25519_TYPE, public_key)
    if computed.hex() != id_hex:
        raise TlogFormatError("the verifier key's id %s is not the id of its key (%s)"
                              % (id_hex, computed.hex()))
    return VerifierKey(name=name, key_id=computed, public_key=public_key)


@dataclass(frozen=True)
class NoteSignature:
    """One signature line of a signed note."""

    name: str
    key_id: bytes
    signature: bytes


def parse_note(note: str) -> Tuple[str, List[NoteSignature]]:
    """Splits a signed note into its text (ending in a newline) and its signature lines."""
    if not isinstance(note, str):
        raise TlogFormatError("the note is not text")
    # signed-note: UTF-8 without control characters other than newline.
    if any(ord(c) < 0x20 and c != "\n" for c in note) or _has_lone_surrogate(note):
        raise TlogFormatError("the note holds a control character or is not valid UTF-8")
    # The text ends in a newline and the last blank line separates it from the signatures.
    split = note.rfind("\n\n")
    if split < 0 or not note.endswith("\n"):
        raise TlogFormatError("the note has no blank line before its signatures")
    text, block = note[: split + 1], note[split + 2:]
    lines = block.split("\n")[:-1]
    if not lines:
        raise TlogFormatError("the note has no signature lines")
    if len(lines) > MAX_NOTE_SIGNATURES:
        raise TlogFormatError("the note has more than %d signatures" % MAX_NOTE_SIGNATURES)
    return text, [_parse_signature_line(line) for line in lines]


def _parse_signature_line(line: str) -> NoteSignature:
    prefix = EM_DASH + " "
    fields = line[len(prefix):].split(" ") if line.startswith(prefix) else []
    if len(fields) != 2:
        raise TlogFormatError("a signature line is not '\u2014 <name> <base64>'")
    name, encoded = fields
    _check_key_name(name, "a signature line's key name")
    raw = decode_base64(encoded, "a signature line's signature")
    if len(raw) < 5:
        raise TlogFormatError("a signature line is shorter than a key id and a signature")
    return NoteSignature(name=name, key_id=raw[:4], signature=raw[4:])


def _has_lone_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


@dataclass(frozen=True)
class Checkpoint:
    """The note text of a C2SP tlog-checkpoint."""

    origin: str
    tree_size: int
    root_hash: bytes
    extensions: Tuple[str, ...]


def parse_checkpoint(text: str) -> Checkpoint:
    """Parses checkpoint note text: origin, tree size, base64 root, optional extension lines."""
    lines = text.split("\n")
    if lines[-1] != "" or len(lines) < 4:
        raise TlogFormatError("the checkpoint has fewer than three lines")
    lines = lines[:-1]
    if any(not line for line in lines):
        raise TlogFormatError("the checkpoint has an empty line")
    size = parse_decimal(lines[1], "the checkpoint's tree size")
    root = decode_base64(lines[2], "the checkpoint's root hash")
    if len(root) != 32:
        raise TlogFormatError("the checkpoint's root hash is not 32 bytes")
    return Checkpoint(origin=lines[0], tree_size=size, root_hash=root, extensions=tuple(lines[3:]))


@dataclass(frozen=True)
class TlogProof:
    """A parsed C2SP tlog-proof: index, inclusion proof hashes, the checkpoint note verbatim."""

    index: int
    hashes: Tuple[bytes, ...]
    checkpoint_note: str
    extra: Optional[bytes]


def parse_tlog_proof(text: str) -> TlogProof:
    """Parses tlog-proof text: header, optional ``extra``, ``index N``, hashes, blank line, note."""
    if not isinstance(text, str):
        raise TlogFormatError("the proof is not text")
    lines = text.split("\n")
    if lines[0] != PROOF_HEADER:
        raise TlogFormatError("the proof does not start with %r" % PROOF_HEADER)
    at, extra = 1, None
    if len(lines) > at and lines[at].startswith("extra "):
        # Unauthenticated data: decoded so malformed input is refused, returned for the caller.
        extra = decode_base64(lines[at][len("extra "):], "the proof's extra data")
        at += 1
    if len(lines) <= at or not lines[at].startswith("index "):
        raise TlogFormatError("the proof has no 'index N' line")
    index = parse_decimal(lines[at][len("index "):], "the proof's index")
    at += 1
    hashes = []
    while at < len(lines) and lines[at]:
        if len(hashes) == MAX_PROOF_HASHES:
            raise TlogFormatError("the proof has more than %d hashes" % MAX_PROOF_HASHES)
        h = decode_base64(lines[at], "an inclusion proof hash")
        if len(h) != 32:
            raise TlogFormatError("an inclusion proof hash is not 32 bytes")
        hashes.append(h)
        at += 1
    if at >= len(lines):
        raise TlogFormatError("the proof has no blank line before its checkpoint")
    note = "\n".join(lines[at + 1:])
    return TlogProof(index=index, hashes=tuple(hashes), checkpoint_note=note, extra=extra)
