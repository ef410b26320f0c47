import { createPublicKey, verify } from "node:crypto";
import {
  TlogFormatError,
  decodeBase64,
  leafHash,
  parseCheckpoint,
  parseNote,
  parseTlogProof,
  parseVerifierKey,
  rootFromInclusionProof,
  type VerifierKey,
} from "./tlog.js";

// Offline verification of Vigil execution certificates; no server, no network.
//
// A certificate (GET /executions/{id}/certificate) is
//   {"entry": "<base64 entry bytes>", "index": 7, "proof": "c2sp.org/tlog-proof@v1\n..."}
// and a project's verifier key (GET /transparency/key) is a C2SP signed-note verifier key
//   <origin>+<8 hex key id>+<base64(0x01 || 32-byte Ed25519 public key)>.
// verifyCertificate checks, in order: the key (its id is the hash of its name and key), the entry
// (base64, then its RFC 6962 leaf hash), the tlog-proof text, the checkpoint note and its origin
// (the key's name), the Ed25519 signature of the checkpoint by that key, and the inclusion proof
// from the leaf up to the signed root. It returns what the certificate binds, or throws a
// CertificateError naming the step that failed.

/** The steps of verification, in the order they run. */
export type VerificationStep =
  | "certificate"
  | "key"
  | "entry"
  | "proof"
  | "checkpoint"
  | "origin"
  | "signature"
  | "inclusion";

/** A certificate that does not verify; `step` names the check that failed. */
export class CertificateError extends Error {
  override name = "CertificateError";
  constructor(
    readonly step: VerificationStep,
    readonly reason: string,
  ) {
    super(`${step}: ${reason}`);
  }
}

/** A certificate as `GET /executions/{id}/certificate` returns it. */
export interface Certificate {
  entry: string;
  index: number;
  proof: string;
}

/** What a verified certificate binds: the entry, its position and the signed tree head. */
export interface VerifiedCertificate {
  origin: string;
  treeSize: number;
  rootHash: Buffer;
  rootHashBase64: string;
  index: number;
  entryBytes: Buffer;
  /** The entry's JSON: type, project_id, execution_id, status, transcript_sha256, findings, ... */
  entry: Record<string, unknown>;
  leafHash: Buffer;
  keyId: string;
  extensions: string[];
  /** The tlog-proof `extra` data, if any. It is not authenticated by anything. */
  unauthenticatedExtra: Buffer | undefined;
  projectId: unknown;
  executionId: unknown;
  status: unknown;
  transcriptSha256: unknown;
  findings: unknown[];
}

function step<T>(name: VerificationStep, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof TlogFormatError) throw new CertificateError(name, err.message);
    throw err;
  }
}

function readCertificate(cert: unknown): Certificate {
  if (typeof cert === "string") {
    try {
      cert = JSON.parse(cert);
    } catch {
      throw new CertificateError("certificate", "the certificate is not JSON");
    }
  }
  if (cert === null || typeof cert !== "object" || Array.isArray(cert)) {
    throw new CertificateError("certificate", "the certificate is not a JSON object");
  }
  const { entry, index, proof } = cert as Record<string, unknown>;
  if (typeof entry !== "string") throw new CertificateError("certificate", "'entry' is not a base64 string");
  if (typeof index !== "number" || !Number.isSafeInteger(index) || index < 0) {
    throw new CertificateError("certificate", "'index' is not a non-negative integer");
  }
  if (typeof proof !== "string") throw new CertificateError("certificate", "'proof' is not tlog-proof text");
  return { entry, index, proof };
}

// The DER SubjectPublicKeyInfo header of an Ed25519 key (RFC 8410): node:crypto imports raw
// 32-byte Ed25519 keys through it on every Node version the SDK supports.
const ED25519_SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

function ed25519Verify(publicKey: Buffer, signature: Buffer, message: Buffer): boolean {
  if (signature.length !== 64) return false;
  try {
    const key = createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, publicKey]), format: "der", type: "spki" });
    return verify(null, message, key, signature);
  } catch {
    return false;
  }
}

// The note's text once a signature by `key` verifies. Signatures by other keys (witnesses, rotated
// keys) are ignored, as signed-note requires; a failing signature by `key` rejects the note even if
// another one by it verifies, as signed-note recommends.
function openNote(note: string, key: VerifierKey): string {
  const { text, signatures } = step("signature", () => parseNote(note));
  const mine = signatures.filter((s) => s.name === key.name && s.keyId.equals(key.keyId));
  if (mine.length === 0) {
    throw new CertificateError("signature", `the note has no signature by ${key.name}+${key.keyId.toString("hex")}`);
  }
  const message = Buffer.from(text, "utf8");
  for (const sig of mine) {
    if (!ed25519Verify(key.publicKey, sig.signature, message)) {
      throw new CertificateError("signature", `the signature by ${key.name} does not verify`);
    }
  }
  return text;
}

/** Verifies a C2SP signed note against one verifier key and returns the note's text. */
export function verifyNote(note: string, key: string): string {
  return openNote(note, step("key", () => parseVerifierKey(key)));
}

function entryJson(raw: Buffer): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(raw));
  } catch {
    throw new CertificateError("entry", "the entry is not UTF-8 JSON");
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new CertificateError("entry", "the entry is not a JSON object");
  }
  return value as Record<string, unknown>;
}

/**
 * Verifies a Vigil certificate offline against a project's verifier key. `cert` is the
 * certificate object (or its JSON text); `key` the verifier key text. Throws a CertificateError
 * whose `step` says which check failed.
 */
export function verifyCertificate(cert: Certificate | string, key: string): VerifiedCertificate {
  const { entry: entryB64, index, proof: proofText } = readCertificate(cert);
  const vkey = step("key", () => parseVerifierKey(key));
  const entry = step("entry", () => decodeBase64(entryB64, "'entry'"));
  const leaf = leafHash(entry);
  const proof = step("proof", () => parseTlogProof(proofText));
  if (proof.index !== BigInt(index)) {
    throw new CertificateError("proof", `the proof is for index ${proof.index}, the certificate says ${index}`);
  }
  const text = openNote(proof.checkpointNote, vkey);
  const checkpoint = step("checkpoint", () => parseCheckpoint(text));
  if (checkpoint.origin !== vkey.name) {
    const why = `the checkpoint's origin "${checkpoint.origin}" is not the key's name "${vkey.name}"`;
    throw new CertificateError("origin", why);
  }
  const root = step("inclusion", () => rootFromInclusionProof(BigInt(index), checkpoint.treeSize, leaf, proof.hashes));
  if (!root.equals(checkpoint.rootHash)) {
    throw new CertificateError("inclusion", "the entry and proof lead to a root other than the checkpoint's");
  }
  // index < treeSize holds here; a size beyond 2**53 cannot be a JavaScript number exactly.
  if (checkpoint.treeSize > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new CertificateError("checkpoint", "the tree size is beyond what a JavaScript number holds exactly");
  }
  const json = entryJson(entry);
  return {
    origin: checkpoint.origin,
    treeSize: Number(checkpoint.treeSize),
    rootHash: checkpoint.rootHash,
    rootHashBase64: checkpoint.rootHash.toString("base64"),
    index,
    entryBytes: entry,
    entry: json,
    leafHash: leaf,
    keyId: vkey.keyId.toString("hex"),
    extensions: checkpoint.extensions,
    unauthenticatedExtra: proof.extra,
    projectId: json["project_id"],
    executionId: json["execution_id"],
    status: json["status"],
    transcriptSha256: json["transcript_sha256"],
    findings: Array.isArray(json["findings"]) ? json["findings"] : [],
  };
}
