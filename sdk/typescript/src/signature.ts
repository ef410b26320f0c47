import { createHash } from "node:crypto";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { errorTypeName } from "./summary.js";

// The directory holding the SDK's own compiled files: frames there are the SDK's wrappers, not the
// agent's code, and leaving them out keeps signatures unchanged across SDK upgrades.
const SDK_DIR = dirname(fileURLToPath(import.meta.url));

const FRAME_COUNT = 5;

export interface Frame {
  file: string; // full location without line and column
  fn: string;
  line?: number; // the line, when the stack gives one
}

/**
 * Parses V8 stack lines (`at fn (file:1:2)`, `at file:1:2`, `at async fn (…)`) into frames,
 * innermost first.
 */
export function parseStack(stack: string): Frame[] {
  const frames: Frame[] = [];
  for (const raw of stack.split("\n")) {
    if (!/^\s+at /.test(raw)) continue; // the first line(s) are the message
    let body = raw.trim().slice(3);
    if (body.startsWith("async ")) body = body.slice(6); // async-ness depends on where it failed
    let fn = "<anonymous>";
    let loc = body;
    if (body.endsWith(")")) {
      // The parenthesis matching the last one: eval locations nest parentheses.
      let depth = 0;
      let open = -1;
      for (let i = body.length - 1; i >= 0; i--) {
        if (body[i] === ")") depth++;
        else if (body[i] === "(" && --depth === 0) {
          open = i;
          break;
        }
      }
      if (open > 0 && body[open - 1] === " ") {
        fn = body.slice(0, open - 1);
        loc = body.slice(open + 1, -1);
      }
    }
    // `eval at f (file:1:2), <anonymous>:1:1` — keep the outer location.
    if (loc.startsWith("eval at ")) {
      const m = /\(([^()]*)\)/.exec(loc);
      loc = m?.[1] ?? loc;
    }
    const line = /:(\d+)(?::\d+)?$/.exec(loc);
    const frame: Frame = { file: loc.replace(/(:\d+)+$/, ""), fn };
    if (line) frame.line = Number(line[1]);
    frames.push(frame);
  }
  return frames;
}

function basename(file: string): string {
  const cut = Math.max(file.lastIndexOf("/"), file.lastIndexOf("\\"));
  const base = cut >= 0 ? file.slice(cut + 1) : file;
  const q = base.search(/[?#]/); // query strings on file URLs (cache busting)
  return q >= 0 ? base.slice(0, q) : base;
}

function isIgnored(file: string): boolean {
  if (file.startsWith("node:") || file === "native" || file.startsWith("internal/")) return true;
  let path = file;
  if (path.startsWith("file://")) {
    try {
      path = fileURLToPath(path);
    } catch {
      return false;
    }
  }
  return path.startsWith(SDK_DIR + "/") || path.startsWith(SDK_DIR + "\\");
}

/** The innermost frames of a thrown value as `<file basename>:<function>`, SDK and Node internals left out. */
export function signatureFrames(err: unknown): string[] {
  const stack =
    err !== null && typeof err === "object" ? (err as { stack?: unknown }).stack : undefined;
  if (typeof stack !== "string") return [];
  const out: string[] = [];
  for (const f of parseStack(stack)) {
    if (isIgnored(f.file)) continue;
    out.push(`${basename(f.file)}:${f.fn}`);
    if (out.length === FRAME_COUNT) break;
  }
  return out;
}

/**
 * Crash signature (docs/protocol.md#what-vigils-sdks-send): the first 16 hex characters of SHA-256 over `<type name>\n` followed
 * by the innermost five frames as `<file basename>:<function>` lines, innermost first. No line numbers,
 * so editing another part of a file keeps its crashes in one group.
 */
export function crashSignature(err: unknown): string {
  const text = errorTypeName(err) + "\n" + signatureFrames(err).join("\n");
  return createHash("sha256").update(text, "utf8").digest("hex").slice(0, 16);
}
