"""Draw the prod dashboard's layout as an SVG (docs/dashboard-prod.svg) from its synthesized DashboardBody.

No AWS here to screenshot the real dashboard, so this draws what the body says: every widget at its
grid position and size, with its title; a graph's namespaces and one row per metric line (label,
metric, statistic); text widgets' markdown; alarm status widgets' alarms. The body is read from the committed prod
snapshot, which tests/test_snapshots.py holds equal to what `cdk synth` produces; a test re-runs this
with ``--check``, so the picture cannot drift from the dashboard.

Usage:
    python scripts/render_dashboard.py            # rewrite docs/dashboard-prod.svg
    python scripts/render_dashboard.py --check    # exit 1 if it is stale
"""

from __future__ import annotations

import argparse
import json
import sys
from html import escape
from pathlib import Path
from typing import Any

from generated_file import write_or_check

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOT = ROOT / "tests/__snapshots__/test_snapshots/test_environment_template_matches_snapshot[prod].json"
SVG = ROOT / "docs" / "dashboard-prod.svg"
CELL_W, CELL_H = 52, 34  # pixels per grid unit (CloudWatch's grid is 24 units wide)
LINE = 13
FILL = {"metric": "#f8f9fa", "text": "#e7f1ff", "alarm": "#fff3cd"}


def placeholder(value: Any) -> str:
    """A readable stand-in for a deploy-time value inside the body, e.g. ${AWS::Region}."""
    if isinstance(value, dict) and "Ref" in value:
        return f"${{{value['Ref']}}}"
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return f"${{{'.'.join(value['Fn::GetAtt'])}}}"
    raise ValueError(f"unexpected value in DashboardBody: {value!r}")


def dashboard_body(template: dict[str, Any]) -> dict[str, Any]:
    """The first dashboard's body, its Fn::Join resolved with placeholders for deploy-time values."""
    body = next(
        r["Properties"]["DashboardBody"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::CloudWatch::Dashboard"
    )
    if isinstance(body, dict):
        separator, parts = body["Fn::Join"]
        body = separator.join(p if isinstance(p, str) else placeholder(p) for p in parts)
    parsed: dict[str, Any] = json.loads(body)
    return parsed


def metric_lines(properties: dict[str, Any]) -> list[str]:
    """The graph's namespaces, then one line per metric: its label, metric name and statistic."""
    namespaces, lines = [], []
    for metric in properties.get("metrics", []):
        options = metric[-1] if isinstance(metric[-1], dict) else {}
        namespace, name = [m for m in metric if isinstance(m, str)][:2]
        namespaces += [namespace] if namespace not in namespaces else []
        stat = options.get("stat", properties.get("stat", "Average"))
        lines.append(f"{options.get('label', name)}: {name} ({stat})")
    return [f"namespace {', '.join(namespaces)}", *lines]


def widget_text(widget: dict[str, Any]) -> tuple[str, list[str]]:
    properties = widget["properties"]
    if widget["type"] == "text":
        heading, *rest = properties["markdown"].split("\n")
        return heading.lstrip("# "), rest
    if widget["type"] == "alarm":
        # The template holds alarm ARNs as GetAtt placeholders: show the alarms' logical ids.
        return properties.get("title", "Alarms"), [a.strip("${}").removesuffix(".Arn") for a in properties["alarms"]]
    axis = properties.get("yAxis", {}).get("left", {}).get("label", "")
    return f"{properties.get('title', '')} [{axis}]", metric_lines(properties)


def render(body: dict[str, Any]) -> str:
    widgets = body["widgets"]
    height = max(w["y"] + w["height"] for w in widgets) * CELL_H
    width = 24 * CELL_W
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
    ]
    for widget in widgets:
        x, y = widget["x"] * CELL_W, widget["y"] * CELL_H
        w, h = widget["width"] * CELL_W, widget["height"] * CELL_H
        title, lines = widget_text(widget)
        out.append(
            f'<rect x="{x + 2}" y="{y + 2}" width="{w - 4}" height="{h - 4}" rx="4" '
            f'fill="{FILL[widget["type"]]}" stroke="#adb5bd"/>'
        )
        out.append(f'<text x="{x + 8}" y="{y + 18}" font-size="12" font-weight="bold">{escape(title)}</text>')
        fits = (h - 30) // LINE
        for i, line in enumerate(lines[:fits]):
            out.append(f'<text x="{x + 8}" y="{y + 34 + i * LINE}" font-size="9">{escape(line)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the committed picture is stale")
    parser.add_argument("--template", type=Path, default=SNAPSHOT)
    parser.add_argument("--out", type=Path, default=SVG)
    args = parser.parse_args(argv)
    text = render(dashboard_body(json.loads(args.template.read_text())))
    return write_or_check(args.out, text, check=args.check, generator="scripts/render_dashboard.py")


if __name__ == "__main__":
    sys.exit(main())
