// The `exception` event sent on a crash (docs/protocol.md#exception-events): the thrown value's
// type, message and stack, innermost frame last, cut to the bounds the server checks.
import { parseStack } from "./signature.js";
import { cutUtf8, errorTypeName } from "./summary.js";

const MAX_TYPE_BYTES = 256;
const MAX_MESSAGE_BYTES = 8 * 1024;
export const MAX_FRAMES = 64;
const MAX_FRAME_FIELD_BYTES = 1024;

function messageOf(err: unknown): string {
  try {
    if (err !== null && typeof err === "object" && "message" in err) {
      return String((err as { message: unknown }).message);
    }
    return String(err);
  } catch {
    return "";
  }
}

/** The payload of the `exception` event for a thrown value. */
export function exceptionPayload(err: unknown): Record<string, unknown> {
  const stack = err !== null && typeof err === "object" ? (err as { stack?: unknown }).stack : undefined;
  // parseStack lists innermost first; the wire wants innermost last, at most MAX_FRAMES of them.
  const parsed = typeof stack === "string" ? parseStack(stack).slice(0, MAX_FRAMES).reverse() : [];
  const frames = parsed.map((f) => {
    const out: Record<string, unknown> = {
      file: cutUtf8(f.file, MAX_FRAME_FIELD_BYTES),
      function: cutUtf8(f.fn, MAX_FRAME_FIELD_BYTES),
    };
    if (f.line !== undefined && Number.isSafeInteger(f.line)) out.line = f.line;
    return out;
  });
  return {
    exception_type: cutUtf8(errorTypeName(err), MAX_TYPE_BYTES) || "Error",
    exception_message: cutUtf8(messageOf(err), MAX_MESSAGE_BYTES),
    frames,
  };
}
