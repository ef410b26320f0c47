"""``python3 -m vigil.verify CERT.json --key KEY``: verifies a Vigil execution certificate offline
(:func:`vigil.transparency.verify_certificate`) and prints what it binds as JSON, or the step that
failed; exit status 0 when it verifies, 1 when it does not. Kept out of the package's imports so
that ``-m`` runs it as a fresh module."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import List, Optional

from .transparency import CertificateError, verify_certificate


def _read_key_argument(value: str) -> str:
    # --key takes the key itself or a file holding it (as GET /transparency/key saves it).
    if os.path.isfile(value):
        with open(value, encoding="utf-8") as f:
            return f.read()
    return value


def main(argv: Optional[List[str]] = None) -> int:
    """``python3 -m vigil.verify CERT.json --key KEY``: verifies a certificate file and
    prints what it binds as JSON; exit status 0 when it verifies, 1 when it does not."""
    parser = argparse.ArgumentParser(prog="python3 -m vigil.verify",
                                     description="Verify a Vigil execution certificate offline.")
    parser.add_argument("certificate", help="certificate JSON file ('-' for standard input)")
    parser.add_argument("--key", required=True, help="verifier key, or a file holding it")
    parser.add_argument("--merkle-only", action="store_true",
                        help="skip the Ed25519 signature check (proves inclusion in a tree with "
                             "that root, not that the log signed it)")
    args = parser.parse_args(argv)
    try:
        if args.certificate == "-":
            text = sys.stdin.read()
        else:
            with open(args.certificate, encoding="utf-8") as f:
                text = f.read()
        result = verify_certificate(text, _read_key_argument(args.key),
                                    check_signature=not args.merkle_only)
    except (OSError, CertificateError) as e:
        print("not verified: %s" % e, file=sys.stderr)
        return 1
    print(json.dumps({
        "verified": True, "signature_checked": result.signature_checked,
        "origin": result.origin, "tree_size": result.tree_size, "root": result.root_hash_base64,
        "index": result.index, "key_id": result.key_id, "entry": result.entry,
    }, indent=2, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
