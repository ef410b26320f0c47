"""Files of this machine as the tool results a coding agent reads: a check beside the corpus.

The corpus's benign tool results are BIPIA's e-mails, tables and code answers and two agent
frameworks' outputs. A coding agent also reads READMEs, source files and manuals: longer texts, full
of instructions to their reader, of kinds the classifier never trained on. These come from what
the setup script installs (Python's standard library, Debian's package documents, the npm packages
of sdk/typescript and tests/ui), so the set differs a little between machines: its figures are a
guide to false positives on unseen content, not a target, and nothing here is used for training.
"""

import glob
import os
import random

PER_KIND = 300  # files sampled per kind
CHUNK = 8000  # characters of a file an agent's read returns (a random window of a longer file)
MIN_CHARS = 200


def _python_sources(root):
    return glob.glob("/usr/lib/python3*/*.py")


def _package_documents(root):
    return [p for p in glob.glob("/usr/share/doc/**/*", recursive=True)
            if os.path.isfile(p) and not p.endswith(".gz")]


def _npm_readmes(root):
    found = []
    for folder in ("sdk/typescript/node_modules", "tests/ui/node_modules"):
        found += glob.glob(os.path.join(root, folder, "**", "README.md"), recursive=True)
    return found


KINDS = (("Python standard library sources", _python_sources),
         ("Debian package documents (/usr/share/doc)", _package_documents),
         ("npm package READMEs", _npm_readmes))


def _read(path):
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except (OSError, UnicodeDecodeError):
        return None


def rows_by_kind(root):
    """{kind: [row]}: per kind, up to PER_KIND files as benign tool results, in a fixed order."""
    rng = random.Random(1)
    kinds = {}
    for kind, find in KINDS:
        paths = sorted(set(find(root)))
        rng.shuffle(paths)
        rows = []
        for path in paths:
            if len(rows) == PER_KIND:
                break
            text = _read(path)
            if text is None or len(text.strip()) < MIN_CHARS:
                continue
            start = rng.randrange(len(text) - CHUNK) if len(text) > CHUNK else 0
            rows.append({"id": path, "text": text[start:start + CHUNK], "tool_name": "read_file",
                         "user_message": "Read this file and summarise it."})
        kinds[kind] = rows
    return kinds


def buried_rows(rows, root, pad=6000):
    """`rows` (tool results with labels) each put in the middle of `pad` characters of a long file
    of this machine (an npm README or a package document of at least 14,000 characters): an
    injection buried in a long page, and the same page clean."""
    fillers = []
    for path in sorted(set(_npm_readmes(root) + glob.glob("/usr/share/doc/*/README*"))):
        text = _read(path)
        if text is not None and len(text) >= 14000:
            fillers.append(text)
    if not fillers:
        return []
    rng = random.Random(7)
    buried = []
    for row in rows:
        filler = rng.choice(fillers)
        start = rng.randrange(len(filler) - pad)
        text = (filler[start:start + pad // 2] + "\n" + row["text"] + "\n" +
                filler[start + pad // 2:start + pad])
        buried.append(dict(row, text=text))
    return buried
