import { createHash, generateKeyPairSync, sign, type KeyObject } from "node:crypto";

// A test-only transparency log: RFC 6962 trees computed the naive recursive way (MTH and PATH of
// RFC 6962 section 2.1), checkpoints signed with a generated Ed25519 key, and certificates in the
// shape the server returns. It shares no code with the verifier it tests.

export const EM_DASH = "\u2014";

export const b64 = (raw: Uint8Array): string => Buffer.from(raw).toString("base64");
const sha256 = (...parts: Uint8Array[]): Buffer => {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return h.digest();
};

function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** RFC 6962 Merkle Tree Hash of a list of entries. */
export function mth(entries: Uint8Array[]): Buffer {
  if (entries.length === 0) return sha256();
  if (entries.length === 1) return sha256(Uint8Array.of(0), entries[0]!);
  const k = largestPowerOfTwoBelow(entries.length);
  return sha256(Uint8Array.of(1), mth(entries.slice(0, k)), mth(entries.slice(k)));
}

/** RFC 6962 audit path PATH(m, D[n]) of entry m: leaf's sibling first, root's child last. */
export function path(m: number, entries: Uint8Array[]): Buffer[] {
  if (entries.length <= 1) return [];
  const k = largestPowerOfTwoBelow(entries.length);
  if (m < k) return [...path(m, entries.slice(0, k)), mth(entries.slice(k))];
  return [...path(m - k, entries.slice(k)), mth(entries.slice(0, k))];
}

/** A log's Ed25519 key under a name (the log's origin). */
export class LogKey {
  readonly privateKey: KeyObject;
  readonly publicKey: Buffer;
  readonly keyId: Buffer;
  constructor(readonly name: string) {
    const pair = generateKeyPairSync("ed25519");
    this.privateKey = pair.privateKey;
    // The raw key is the last 32 bytes of its DER SubjectPublicKeyInfo.
    this.publicKey = pair.publicKey.export({ format: "der", type: "spki" }).subarray(-32);
    this.keyId = sha256(Buffer.from(name + "\n\x01", "utf8"), this.publicKey).subarray(0, 4);
  }

  get verifierKey(): string {
    return `${this.name}+${this.keyId.toString("hex")}+${b64(Buffer.concat([Uint8Array.of(1), this.publicKey]))}`;
  }

  signatureLine(text: string): string {
    const sig = sign(null, Buffer.from(text, "utf8"), this.privateKey);
    return `${EM_DASH} ${this.name} ${b64(Buffer.concat([this.keyId, sig]))}\n`;
  }

  /** A signed note of `text` with this key's signature line, then `moreLines`. */
  sign(text: string, ...moreLines: string[]): string {
    return text + "\n" + this.signatureLine(text) + moreLines.join("");
  }
}

export function checkpointText(origin: string, size: number, root: Uint8Array, extensions: string[] = []): string {
  return [origin, String(size), b64(root), ...extensions].map((line) => line + "\n").join("");
}

export function tlogProof(index: number, hashes: Uint8Array[], note: string, extra?: Uint8Array): string {
  const lines = ["c2sp.org/tlog-proof@v1"];
  if (extra !== undefined) lines.push("extra " + b64(extra));
  lines.push(`index ${index}`, ...hashes.map(b64));
  return lines.join("\n") + "\n\n" + note;
}

/** A canonical execution entry, as the server seals them (digests and identifiers only). */
export function entryBytes(i: number, project = "p_1"): Buffer {
  const hex = (s: string) => createHash("sha256").update(s).digest("hex");
  const findings =
    i % 3 ? [{ evidence_sha256: hex(`e${i}`), failure_class: "loop", signature: `sig${i}` }] : [];
  const value = {
    execution_id: `exec-${String(i).padStart(4, "0")}`,
    findings,
    project_id: project,
    status: i % 2 ? "failed" : "completed",
    transcript_sha256: hex(`t${i}`),
    type: "execution",
  };
  return Buffer.from(JSON.stringify(value), "utf8");
}

export interface CertificateOptions {
  note?: string;
  hashes?: Uint8Array[];
  indexLine?: number;
  extra?: Uint8Array;
}

/** A log of `size` entries under `key`; `certificate(i)` is entry i's certificate. */
export class TestLog {
  readonly entries: Buffer[];
  readonly root: Buffer;
  readonly note: string;
  constructor(
    readonly key: LogKey,
    size: number,
    extensions: string[] = [],
  ) {
    this.entries = Array.from({ length: size }, (_, i) => entryBytes(i));
    this.root = mth(this.entries);
    this.note = key.sign(checkpointText(key.name, size, this.root, extensions));
  }

  certificate(i: number, o: CertificateOptions = {}): { entry: string; index: number; proof: string } {
    const proof = tlogProof(o.indexLine ?? i, o.hashes ?? path(i, this.entries), o.note ?? this.note, o.extra);
    return { entry: b64(this.entries[i]!), index: i, proof };
  }
}
