"""moto server with this project's corrections (tools/moto_patches.py) applied.

Usage: python -m tools.emulator_server -H 127.0.0.1 -p PORT
"""

from __future__ import annotations

import sys

from moto.server import main

from tools import moto_patches

if __name__ == "__main__":
    moto_patches.apply_all()
    main(sys.argv[1:])
