"""Render the Mermaid diagram of a `make review` report to PNG in headless Chromium (for docs/review-and-pipeline.md).

Needs Debian's chromium and the npm package mermaid (for dist/mermaid.min.js); neither is part of
the project's install, since this runs only when the docs picture is refreshed:

    apt-get install chromium && npm pack mermaid@11 && tar xzf mermaid-11.*.tgz
    python scripts/render_review_diagram.py review/prod.md package/dist/mermaid.min.js docs/review-prod-diagram.png
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

PAGE = """<!doctype html><html><head><meta charset="utf-8"><script src="{script}"></script></head>
<body style="margin:0;background:white"><pre class="mermaid">{diagram}</pre>
<script>mermaid.initialize({{startOnLoad: true, theme: "default"}});</script></body></html>"""


def main(report: str, mermaid_js: str, png: str) -> int:
    text = Path(report).read_text()
    diagram = text.split("```mermaid\n", 1)[1].split("```", 1)[0]
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "diagram.html"
        page.write_text(PAGE.format(script=Path(mermaid_js).resolve().as_uri(), diagram=diagram))
        subprocess.run(
            [
                "chromium",
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={tmp}/profile",
                "--hide-scrollbars",
                "--window-size=2400,900",
                "--virtual-time-budget=10000",
                f"--screenshot={Path(png).resolve()}",
                page.as_uri(),
            ],
            check=True,
        )
    print(f"wrote {png}")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
