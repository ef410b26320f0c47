import { createHash } from "node:crypto";

// The transparency-log formats a Vigil certificate is made of, parsed strictly and checked with
// node:crypto's SHA-256 (signatures are checked in transparency.ts):
// - RFC 6962 / RFC 9162 Merkle hashing and inclusion-proof verification;
// - C2SP signed-note verifier keys and notes;
// - C2SP tlog-checkpoint note text;
// - C2SP tlog-proof text.
// Every parser throws TlogFormatError naming what is wrong; nothing is guessed or repaired, because
// a verifier that accepts sloppy input is one an attacker can feed two readings of one text.

/** The signed-note signature type of Ed25519, the only type a Vigil log key has. */
export const ED25519_TYPE = 0x01;
export const PROOF_HEADER = "c2sp.org/tlog-proof@v1";
export const EM_DASH = "\u2014";

// A tree holds fewer than 2**64 leaves, so an inclusion proof has at most 64 hashes; more lines
// than that can only be an attack on the verifier's time.
const MAX_PROOF_HASHES = 64;
// signed-note asks verifiers to accept at least 16 signatures and to cap them; 100 leaves room for
// many witnesses while bounding the work a hostile note can cause.
const MAX_NOTE_SIGNATURES = 100;
// Tree sizes and indices are unsigned 64-bit numbers in every tlog format.
const MAX_UINT64 = (1n << 64n) - 1n;

const DECIMAL = /^(0|[1-9][0-9]{0,19})$/;
const KEY_ID_HEX = /^[0-9a-f]{8}$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
// The characters of Unicode's White_Space property, spelled out so that both SDKs refuse exactly
// the same key names (JavaScript's \s and Python's str.isspace each differ from it at the edges).
const UNICODE_SPACE = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/;
const CONTROL = /[\u0000-\u0009\u000b-\u001f]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** A key, note, checkpoint or proof that does not follow its format. */
export class TlogFormatError extends Error {
  override name = "TlogFormatError";
}

const sha256 = (...parts: Uint8Array[]): Buffer => {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return h.digest();
};

/** RFC 6962 leaf hash: SHA-256(0x00 || entry). */
export function leafHash(entry: Uint8Array): Buffer {
  return sha256(Uint8Array.of(0x00), entry);
}

/** RFC 6962 interior node hash: SHA-256(0x01 || left || right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return sha256(Uint8Array.of(0x01), left, right);
}

/**
 * The root a valid inclusion proof of `leaf` at `index` leads to in a tree of `size` leaves
 * (RFC 9162 section 2.1.3.2). Throws when the proof cannot belong to that position (index out of
 * range, too few or too many hashes).
 */
export function rootFromInclusionProof(index: bigint, size: bigint, leaf: Uint8Array, proof: Uint8Array[]): Buffer {
  if (index < 0n || index >= size) throw new TlogFormatError(`index ${index} is not below the tree size ${size}`);
  let fn = index;
  let sn = size - 1n;
  let r: Buffer = Buffer.from(leaf);
  for (const p of proof) {
    if (sn === 0n) throw new TlogFormatError("the inclusion proof has more hashes than the tree needs");
    if ((fn & 1n) === 1n || fn === sn) {
      r = nodeHash(p, r);
      // A left child on the right edge of the tree has no sibling at the levels it skips.
      while ((fn & 1n) === 0n && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      r = nodeHash(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n) throw new TlogFormatError("the inclusion proof has fewer hashes than the tree needs");
  return r;
}

/** Standard, padded base64 (RFC 4648 section 4) in its one canonical spelling. */
export function decodeBase64(text: string, what: string): Buffer {
  // Buffer's decoder skips characters it does not know; the pattern refuses them first.
  if (text.length % 4 !== 0 || !BASE64.test(text)) throw new TlogFormatError(`${what} is not standard base64`);
  const raw = Buffer.from(text, "base64");
  // Non-zero spare bits would give one value two spellings.
  if (raw.toString("base64") !== text) throw new TlogFormatError(`${what} is not canonical padded base64`);
  return raw;
}

/** An ASCII decimal without leading zeroes that fits in 64 bits. */
export function parseDecimal(text: string, what: string): bigint {
  if (!DECIMAL.test(text) || BigInt(text) > MAX_UINT64) {
    throw new TlogFormatError(`${what} is not a decimal number without leading zeroes`);
  }
  return BigInt(text);
}

function checkKeyName(name: string, what: string): void {
  // signed-note: key names are non-empty and hold no Unicode space and no "+".
  if (name === "" || name.includes("+") || UNICODE_SPACE.test(name)) {
    throw new TlogFormatError(`${what} is empty or holds a space or '+'`);
  }
}

/** signed-note key ID: the first 4 bytes of SHA-256(name || 0x0A || type || public key). */
export function keyId(name: string, sigType: number, publicKey: Uint8Array): Buffer {
  return sha256(Buffer.from(name + "\n", "utf8"), Uint8Array.of(sigType), publicKey).subarray(0, 4);
}

/** A signed-note Ed25519 verifier key `<name>+<8 hex key id>+<base64(0x01 || key)>`. */
export interface VerifierKey {
  name: string;
  keyId: Buffer;
  publicKey: Buffer;
}

/** Parses and checks a verifier key: the key ID it states must be the one its key hashes to. */
export function parseVerifierKey(text: string): VerifierKey {
  if (typeof text !== "string") throw new TlogFormatError("the verifier key is not a string");
  const trimmed = text.trim();
  const first = trimmed.indexOf("+");
  const second = first < 0 ? -1 : trimmed.indexOf("+", first + 1);
  if (second < 0) throw new TlogFormatError("the verifier key is not <name>+<key id>+<base64 key>");
  const name = trimmed.slice(0, first);
  const idHex = trimmed.slice(first + 1, second);
  checkKeyName(name, "the verifier key's name");
  if (!KEY_ID_HEX.test(idHex)) throw new TlogFormatError("the verifier key's id is not 8 lowercase hex digits");
  const raw = decodeBase64(trimmed.slice(second + 1), "the verifier key's key");
  if (raw.length !== 33 || raw[0] !== ED25519_TYPE) {
    throw new TlogFormatError("the verifier key is not an Ed25519 key (type 0x01, 32 bytes)");
  }
  const publicKey = raw.subarray(1);
  const computed = keyId(name, ED25519_TYPE, publicKey);
  if (computed.toString("hex") !== idHex) {
    throw new TlogFormatError(`the verifier key's id ${idHex} is not the id of its key (${computed.toString("hex")})`);
  }
  return { name, keyId: computed, publicKey };
}

/** One signature line of a signed note. */
export interface NoteSignature {
  name: string;
  keyId: Buffer;
  signature: Buffer;
}

/** Splits a signed note into its text (ending in a newline) and its signature lines. */
export function parseNote(note: string): { text: string; signatures: NoteSignature[] } {
  if (typeof note !== "string") throw new TlogFormatError("the note is not text");
  // signed-note: UTF-8 without control characters other than newline.
  if (CONTROL.test(note) || LONE_SURROGATE.test(note)) {
    throw new TlogFormatError("the note holds a control character or is not valid UTF-8");
  }
  // The text ends in a newline and the last blank line separates it from the signatures.
  const split = note.lastIndexOf("\n\n");
  if (split < 0 || !note.endsWith("\n")) throw new TlogFormatError("the note has no blank line before its signatures");
  const text = note.slice(0, split + 1);
  const lines = note.slice(split + 2).split("\n").slice(0, -1);
  if (lines.length === 0) throw new TlogFormatError("the note has no signature lines");
  if (lines.length > MAX_NOTE_SIGNATURES) {
    throw new TlogFormatError(`the note has more than ${MAX_NOTE_SIGNATURES} signatures`);
  }
  return { text, signatures: lines.map(parseSignatureLine) };
}

function parseSignatureLine(line: string): NoteSignature {
  const prefix = EM_DASH + " ";
  const fields = line.startsWith(prefix) ? line.slice(prefix.length).split(" ") : [];
  if (fields.length !== 2) throw new TlogFormatError("a signature line is not '\u2014 <name> <base64>'");
  const [name, encoded] = fields as [string, string];
  checkKeyName(name, "a signature line's key name");
  const raw = decodeBase64(encoded, "a signature line's signature");
  if (raw.length < 5) throw new TlogFormatError("a signature line is shorter than a key id and a signature");
  return { name, keyId: raw.subarray(0, 4), signature: raw.subarray(4) };
}

/** The note text of a C2SP tlog-checkpoint. */
export interface Checkpoint {
  origin: string;
  treeSize: bigint;
  rootHash: Buffer;
  extensions: string[];
}

/** Parses checkpoint note text: origin, tree size, base64 root, optional extension lines. */
export function parseCheckpoint(text: string): Checkpoint {
  const lines = text.split("\n");
  if (lines[lines.length - 1] !== "" || lines.length < 4) {
    throw new TlogFormatError("the checkpoint has fewer than three lines");
  }
  lines.pop();
  if (lines.some((line) => line === "")) throw new TlogFormatError("the checkpoint has an empty line");
  const [origin, size, root, ...extensions] = lines as [string, string, string, ...string[]];
  const treeSize = parseDecimal(size, "the checkpoint's tree size");
  const rootHash = decodeBase64(root, "the checkpoint's root hash");
  if (rootHash.length !== 32) throw new TlogFormatError("the checkpoint's root hash is not 32 bytes");
  return { origin, treeSize, rootHash, extensions };
}

/** A parsed C2SP tlog-proof: index, inclusion proof hashes, the checkpoint note verbatim. */
export interface TlogProof {
  index: bigint;
  hashes: Buffer[];
  checkpointNote: string;
  extra: Buffer | undefined;
}

/** Parses tlog-proof text: header, optional `extra`, `index N`, hashes, blank line, note. */
export function parseTlogProof(text: string): TlogProof {
  if (typeof text !== "string") throw new TlogFormatError("the proof is not text");
  const lines = text.split("\n");
  if (lines[0] !== PROOF_HEADER) throw new TlogFormatError(`the proof does not start with "${PROOF_HEADER}"`);
  let at = 1;
  let extra: Buffer | undefined;
  if (lines[at]?.startsWith("extra ")) {
    // Unauthenticated data: decoded so malformed input is refused, returned for the caller.
    extra = decodeBase64(lines[at]!.slice("extra ".length), "the proof's extra data");
    at += 1;
  }
  if (!lines[at]?.startsWith("index ")) throw new TlogFormatError("the proof has no 'index N' line");
  const index = parseDecimal(lines[at]!.slice("index ".length), "the proof's index");
  at += 1;
  const hashes: Buffer[] = [];
  while (at < lines.length && lines[at] !== "") {
    if (hashes.length === MAX_PROOF_HASHES) {
      throw new TlogFormatError(`the proof has more than ${MAX_PROOF_HASHES} hashes`);
    }
    const h = decodeBase64(lines[at]!, "an inclusion proof hash");
    if (h.length !== 32) throw new TlogFormatError("an inclusion proof hash is not 32 bytes");
    hashes.push(h);
    at += 1;
  }
  if (at >= lines.length) throw new TlogFormatError("the proof has no blank line before its checkpoint");
  return { index, hashes, checkpointNote: lines.slice(at + 1).join("\n"), extra };
}
