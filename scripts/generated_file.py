"""Write a generated data file, or check that the committed one is what its generator writes."""

from __future__ import annotations

import sys
from pathlib import Path


def write_or_check(output: Path, text: str, *, check: bool, generator: str) -> int:
    """With ``check``: 0 when ``output`` holds ``text``, else 1 naming ``generator``. Otherwise write it."""
    if check:
        current = output.read_text() if output.exists() else ""
        if current != text:
            print(f"{output} is stale: run {generator}", file=sys.stderr)
            return 1
        print(f"{output} is up to date")
        return 0
    output.write_text(text)
    print(f"wrote {output}")
    return 0
