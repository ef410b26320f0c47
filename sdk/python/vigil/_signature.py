"""Crash signatures (docs/protocol.md#what-vigils-sdks-send).

signature = first 16 hex of SHA-256( "<exception type name>\\n" + the innermost 5 frames, one
"<file basename>:<function>" per line, joined by "\\n", innermost first ).

No line numbers, so an edit elsewhere in a file does not split a crash group. Frames inside the
``vigil`` package (the wrap and tool wrappers) are skipped, so an SDK upgrade does not split groups.
"""

import hashlib
import os
import traceback
from typing import List, Optional

FRAMES = 5
_SDK_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def signature_frames(exc: BaseException) -> List[str]:
    """The innermost user frames of ``exc``'s traceback as ``basename:function``, innermost first."""
    frames = []
    # walk_tb reads code objects only: no source files are opened on the agent's thread.
    for frame, _lineno in traceback.walk_tb(exc.__traceback__):
        code = frame.f_code
        filename = code.co_filename or ""
        if os.path.abspath(filename).startswith(_SDK_DIR):
            continue
        frames.append("%s:%s" % (os.path.basename(filename), code.co_name))
    return frames[::-1][:FRAMES]


def signature_text(exc: BaseException) -> str:
    return type(exc).__name__ + "\n" + "\n".join(signature_frames(exc))


def crash_signature(exc: Optional[BaseException]) -> str:
    """The 16-hex crash signature of ``exc``."""
    if exc is None:
        return ""
    return hashlib.sha256(signature_text(exc).encode("utf-8")).hexdigest()[:16]
