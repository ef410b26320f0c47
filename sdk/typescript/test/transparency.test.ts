import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { CertificateError, verifyCertificate, verifyNote } from "../src/index.js";
import { leafHash, rootFromInclusionProof } from "../src/tlog.js";
import { EM_DASH, LogKey, TestLog, b64, checkpointText, mth, path } from "./helpers/tlog_builder.js";

// Offline certificate verification: RFC 6962 vectors, the C2SP signed-note examples, certificates
// built by an independent test log over many tree sizes, strict parsing of the C2SP formats, and
// every tamper case naming the step that fails.

const ORIGIN = "vigil.example.com/vigil/p_1";

// Published vectors (RFC 6962 trees, signed-note examples) and the certificates both SDKs check:
// sdk/transparency_vectors.json, built by sdk/python/tests/transparency_vectors.py.
const VECTORS = JSON.parse(
  readFileSync(fileURLToPath(new URL("../../../transparency_vectors.json", import.meta.url)), "utf8"),
);
const RFC6962 = VECTORS.rfc6962 as { empty_root: string; leaves: string[]; roots: string[]; path_0_of_8: string[] };
type NoteExample = { name: string; key: string; note: string; text: string };
const [SPEC_NOTE, GO_NOTE] = VECTORS.signed_notes as [NoteExample, NoteExample];
const hex = (h: string) => Buffer.from(h, "hex");

const key = new LogKey(ORIGIN);
const log = new TestLog(key, 13);

/** `text` (base64) with one bit of its decoded bytes flipped. */
function flip(text: string, at = -1): string {
  const raw = Buffer.from(text, "base64");
  const i = at < 0 ? raw.length + at : at;
  raw[i] = raw[i]! ^ 0x01;
  return b64(raw);
}

function failingStep(cert: unknown, vkey: string): string {
  try {
    verifyCertificate(cert as never, vkey);
  } catch (err) {
    assert.ok(err instanceof CertificateError, String(err));
    return err.step;
  }
  assert.fail("the certificate verified");
}

test("RFC 6962 hashes match the published vectors", () => {
  const leaves = RFC6962.leaves.map(hex);
  assert.equal(mth([]).toString("hex"), RFC6962.empty_root);
  assert.equal(leafHash(Buffer.alloc(0)).toString("hex"), RFC6962.roots[0]);
  for (let n = 1; n <= 8; n++) assert.equal(mth(leaves.slice(0, n)).toString("hex"), RFC6962.roots[n - 1]);
  assert.deepEqual(path(0, leaves).map((h) => h.toString("hex")), RFC6962.path_0_of_8);
});

test("the published path leads the verifier to the published root", () => {
  const root = rootFromInclusionProof(0n, 8n, leafHash(Buffer.alloc(0)), RFC6962.path_0_of_8.map(hex));
  assert.equal(root.toString("hex"), RFC6962.roots[7]);
});

test("the signed-note spec example verifies with its key", () => {
  for (const example of [SPEC_NOTE, GO_NOTE]) assert.equal(verifyNote(example.note, example.key), example.text);
});

test("an edited spec example is refused", () => {
  const edited = SPEC_NOTE.note.replace("example message", "example massage");
  assert.throws(() => verifyNote(edited, SPEC_NOTE.key), /signature/);
  assert.throws(() => verifyNote(GO_NOTE.note, SPEC_NOTE.key), /signature/); // a note signed by another key only
});

test("an empty tree proves no entry", () => {
  const note = key.sign(checkpointText(ORIGIN, 0, mth([])));
  const proof = new TestLog(key, 1).certificate(0, { note, hashes: [] }).proof;
  assert.equal(failingStep({ entry: b64(Buffer.from("{}")), index: 0, proof }, key.verifierKey), "inclusion");
});

test("every index of small trees verifies", () => {
  for (let size = 1; size <= 33; size++) {
    const small = new TestLog(key, size);
    for (let i = 0; i < size; i++) {
      const got = verifyCertificate(small.certificate(i), key.verifierKey);
      assert.deepEqual([got.treeSize, got.index, got.rootHash], [size, i, small.root]);
      assert.deepEqual(got.entryBytes, small.entries[i]);
    }
  }
});

test("indices spread over larger trees verify", () => {
  for (const size of [255, 256, 257, 1000, 1025]) {
    const big = new TestLog(key, size);
    for (const i of new Set([0, size - 1, 1, (size * 7) >> 4, size >> 1, size - 2])) {
      assert.equal(verifyCertificate(big.certificate(i), key.verifierKey).index, i);
    }
  }
});

test("the result binds the entry and the signed tree head", () => {
  const got = verifyCertificate(JSON.stringify(log.certificate(4)), key.verifierKey);
  const entry = JSON.parse(log.entries[4]!.toString("utf8"));
  assert.equal(got.origin, ORIGIN);
  assert.equal(got.treeSize, 13);
  assert.equal(got.rootHashBase64, b64(log.root));
  assert.equal(got.keyId, key.keyId.toString("hex"));
  assert.deepEqual(got.leafHash, createHash("sha256").update(Buffer.concat([Buffer.of(0), log.entries[4]!])).digest());
  assert.deepEqual(got.entry, entry);
  assert.deepEqual([got.projectId, got.executionId, got.status], ["p_1", "exec-0004", "completed"]);
  assert.equal(got.transcriptSha256, entry.transcript_sha256);
  assert.deepEqual(got.findings, entry.findings);
  assert.equal(got.findings.length, 1);
});

test("a flipped bit in the entry fails inclusion", () => {
  const cert = log.certificate(5);
  cert.entry = flip(cert.entry, 3);
  assert.equal(failingStep(cert, key.verifierKey), "inclusion");
});

test("a flipped bit in any proof hash fails inclusion", () => {
  const hashes = path(5, log.entries);
  for (let i = 0; i < hashes.length; i++) {
    const bad = hashes.map((h) => Buffer.from(h));
    bad[i]![0] ^= 0x80;
    assert.equal(failingStep(log.certificate(5, { hashes: bad }), key.verifierKey), "inclusion");
  }
});

test("a missing or extra proof hash fails inclusion", () => {
  const hashes = path(5, log.entries);
  assert.equal(failingStep(log.certificate(5, { hashes: hashes.slice(0, -1) }), key.verifierKey), "inclusion");
  assert.equal(failingStep(log.certificate(5, { hashes: [...hashes, hashes[0]!] }), key.verifierKey), "inclusion");
});

test("a flipped bit in the root or the signature fails the signature", () => {
  const rootB64 = b64(log.root);
  const badRoot = log.certificate(2, { note: log.note.replace(rootB64, flip(rootB64, 0)) });
  assert.equal(failingStep(badRoot, key.verifierKey), "signature");
  const sigB64 = log.note.split("\n").at(-2)!.split(" ")[2]!;
  const badSig = log.certificate(2, { note: log.note.replace(sigB64, flip(sigB64)) });
  assert.equal(failingStep(badSig, key.verifierKey), "signature");
});

test("a different key of the same name is refused", () => {
  assert.equal(failingStep(log.certificate(1), new LogKey(ORIGIN).verifierKey), "signature");
});

test("a checkpoint whose origin is not the key name is refused", () => {
  const four = new TestLog(key, 4);
  const note = key.sign(checkpointText("other.example.com/vigil/p_2", 4, four.root));
  assert.equal(failingStep(four.certificate(1, { note }), key.verifierKey), "origin");
});

test("an index at or beyond the tree size is refused", () => {
  const cert = log.certificate(12);
  cert.index = 13;
  cert.proof = cert.proof.replace("index 12\n", "index 13\n");
  assert.equal(failingStep(cert, key.verifierKey), "inclusion");
});

test("a proof for another index is refused", () => {
  const cert = log.certificate(3);
  cert.index = 4;
  assert.equal(failingStep(cert, key.verifierKey), "proof");
});

test("extension lines, extra data and witness signatures are accepted", () => {
  const ext = new TestLog(key, 6, ["ext one"]);
  const note = ext.note + new LogKey("witness.example/w1").signatureLine("anything\n");
  const got = verifyCertificate(ext.certificate(5, { note, extra: Buffer.from("ctx") }), key.verifierKey);
  assert.deepEqual(got.extensions, ["ext one"]);
  assert.deepEqual(got.unauthenticatedExtra, Buffer.from("ctx"));
});

test("a bad signature by the key rejects the note even beside a good one", () => {
  const forged = `${EM_DASH} ${ORIGIN} ${b64(Buffer.concat([key.keyId, Buffer.alloc(64)]))}\n`;
  assert.equal(failingStep(log.certificate(0, { note: log.note + forged }), key.verifierKey), "signature");
});

test("a signature under the key name with another key id is ignored", () => {
  const stray = `${EM_DASH} ${ORIGIN} ${b64(Buffer.alloc(68))}\n`;
  assert.equal(verifyCertificate(log.certificate(0, { note: log.note + stray }), key.verifierKey).index, 0);
});

test("malformed proof text is refused at the step it breaks", () => {
  const cases: [(p: string) => string, string][] = [
    [(p) => p.replace("c2sp.org/tlog-proof@v1", "c2sp.org/tlog-proof@v2"), "proof"],
    [(p) => p.replace("index 7\n", "index 07\n"), "proof"],
    [(p) => p.replace("index 7\n", "index  7\n"), "proof"],
    [(p) => p.replace("index 7\n", "7\n"), "proof"],
    [(p) => p.replace("\n\n", "\n"), "proof"],
    [(p) => p.replaceAll("\n", "\r\n"), "proof"],
    [(p) => p.replace(/\n+$/, ""), "signature"],
    [(p) => p.replace(EM_DASH, "-"), "signature"],
  ];
  for (const [edit, want] of cases) {
    const cert = log.certificate(7);
    cert.proof = edit(cert.proof);
    assert.equal(failingStep(cert, key.verifierKey), want, edit.toString());
  }
});

test("non-canonical base64 and bad checkpoint lines are refused", () => {
  const rootB64 = b64(log.root);
  const text = checkpointText(ORIGIN, 13, log.root);
  const notes = [
    key.sign(text.replace(rootB64, rootB64.replace(/=+$/, ""))),
    key.sign(text.replace("\n13\n", "\n013\n")),
    key.sign(text + "\next\n"),
  ];
  for (const note of notes) assert.equal(failingStep(log.certificate(1, { note }), key.verifierKey), "checkpoint");
  const cert = log.certificate(1);
  cert.entry = cert.entry.replace(/=+$/, "");
  assert.equal(failingStep(cert, key.verifierKey), "entry");
});

test("malformed verifier keys are refused", () => {
  const vkey = key.verifierKey;
  // The key material is base64 and may itself hold a "+".
  const [name, idHex] = vkey.split("+") as [string, string];
  const material = vkey.slice(name.length + idHex.length + 2);
  const raw = Buffer.from(material, "base64");
  const otherId = (parseInt(idHex, 16) ^ 1).toString(16).padStart(8, "0");
  const bad = [
    "",
    name,
    `${name}+${idHex}`,
    `${name}+${otherId}+${material}`,
    `${name}+${idHex}+${b64(Buffer.concat([Buffer.of(4), raw.subarray(1)]))}`,
    `a b+${idHex}+${material}`,
  ];
  // An id of digits only has no upper-case spelling; the key is random.
  if (idHex.toUpperCase() !== idHex) bad.push(`${name}+${idHex.toUpperCase()}+${material}`);
  for (const k of bad) assert.equal(failingStep(log.certificate(0), k), "key", k);
});

test("certificates of the wrong shape are refused", () => {
  const shapes = [
    null,
    [],
    "not json",
    { entry: "e30=", index: true, proof: "" },
    { entry: "e30=", index: -1, proof: "" },
    { entry: "e30=", index: 1.5, proof: "" },
    { entry: 1, index: 0, proof: "" },
    { entry: "e30=", index: 0 },
  ];
  for (const cert of shapes) assert.equal(failingStep(cert, key.verifierKey), "certificate", JSON.stringify(cert));
});

test("the vectors both SDKs check verify or fail at their step", () => {
  for (const c of VECTORS.valid) {
    const got = verifyCertificate(c.certificate, VECTORS.key);
    const want = c.expect;
    assert.deepEqual(
      [got.origin, got.treeSize, got.rootHashBase64, got.index, got.executionId],
      [want.origin, want.tree_size, want.root, want.index, want.execution_id],
      c.name,
    );
  }
  assert.ok(VECTORS.invalid.length >= 10);
  for (const c of VECTORS.invalid) assert.equal(failingStep(c.certificate, c.key ?? VECTORS.key), c.step, c.name);
});
