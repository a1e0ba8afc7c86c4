"""The resource diagram of a `make review` report: one graph, drawn as Mermaid (in the report) and as SVG.

The SVG is drawn here, with no browser and no layout engine, so `make review` renders the picture on any
machine the project installs on (a Mermaid PNG would need a headless Chromium that nothing here installs).
Layout: a resource's column is the length of the longest chain of references leading to it, so every
arrow points right; rows keep each column in the order of the resources it references.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

# The resource types the diagram shows, by their short names.
SHOWN_TYPES = {
    "AWS::SageMaker::Model": "Model",
    "AWS::SageMaker::EndpointConfig": "EndpointConfig",
    "AWS::SageMaker::Endpoint": "Endpoint",
    "AWS::IAM::Role": "Role",
    "AWS::IAM::ManagedPolicy": "ManagedPolicy",
    "AWS::KMS::Key": "KMS key",
    "AWS::S3::Bucket": "S3 bucket",
    "AWS::CloudWatch::Alarm": "Alarm",
    "AWS::CloudWatch::Dashboard": "Dashboard",
    "AWS::SNS::Topic": "SNS topic",
    "AWS::ApplicationAutoScaling::ScalableTarget": "Scaling target",
    "AWS::ApplicationAutoScaling::ScalingPolicy": "Scaling policy",
}


@dataclass(frozen=True)
class Mark:
    """How a changed resource is drawn: fill, stroke, stroke width and dash (empty: solid)."""

    fill: str
    stroke: str
    width: int
    dash: str = ""

    def mermaid(self) -> str:
        dash = f",stroke-dasharray:{self.dash}" if self.dash else ""
        return f"fill:{self.fill},stroke:{self.stroke},stroke-width:{self.width}px{dash}"


# A change the reviewer must see is marked; unchanged resources keep the default style.
MARKS = {
    "replaced": Mark("#f8d7da", "#b02a37", 3),
    "may be replaced": Mark("#f8d7da", "#b02a37", 3, "5 5"),
    "modified": Mark("#fff3cd", "#997404", 2),
    "added": Mark("#d1e7dd", "#146c43", 2),
}
UNCHANGED = Mark("#ffffff", "#6c757d", 1)


def references(value: Any) -> Iterator[str]:
    """Logical ids that ``value`` points at through Ref or Fn::GetAtt."""
    if isinstance(value, dict):
        if "Ref" in value and isinstance(value["Ref"], str) and not value["Ref"].startswith("AWS::"):
            yield value["Ref"]
        if "Fn::GetAtt" in value:
            yield value["Fn::GetAtt"][0]
        for item in value.values():
            yield from references(item)
    elif isinstance(value, list):
        for item in value:
            yield from references(item)


@dataclass(frozen=True)
class Node:
    logical_id: str
    kind: str  # the short type name
    change: str | None  # a key of MARKS, or None when unchanged


@dataclass(frozen=True)
class ResourceGraph:
    """The shown resources and the references between them, as (referenced, referencing) pairs."""

    nodes: tuple[Node, ...]
    edges: tuple[tuple[str, str], ...]


def resource_graph(template: Mapping[str, Any], changes: Mapping[str, str]) -> ResourceGraph:
    """The graph of ``template``'s shown resources; ``changes`` maps logical ids to their change."""
    shown = {k: r for k, r in template.get("Resources", {}).items() if r["Type"] in SHOWN_TYPES}
    nodes = tuple(
        Node(k, SHOWN_TYPES[r["Type"]], changes[k] if changes.get(k) in MARKS else None) for k, r in shown.items()
    )
    edges = sorted(
        {
            (target, source)
            for source, r in shown.items()
            for target in references(r.get("Properties", {}))
            if target in shown and target != source
        }
    )
    return ResourceGraph(nodes, tuple(edges))


def mermaid(graph: ResourceGraph) -> str:
    """The graph as a Mermaid flowchart, changes marked with a class and a word in the label."""
    lines = ["graph LR"]
    for node in graph.nodes:
        word = f"<br/><b>{node.change}</b>" if node.change else ""
        lines.append(f'  {_mermaid_id(node.logical_id)}["{node.kind}<br/>{node.logical_id}{word}"]')
    lines += [f"  {_mermaid_id(a)} --> {_mermaid_id(b)}" for a, b in graph.edges]
    for change, mark in MARKS.items():
        marked = sorted(_mermaid_id(n.logical_id) for n in graph.nodes if n.change == change)
        if marked:
            name = re.sub(r"[^a-z]", "", change)
            lines += [f"  classDef {name} {mark.mermaid()}", f"  class {','.join(marked)} {name}"]
    return "\n".join(lines)


def _mermaid_id(logical_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "", logical_id)


# ---- SVG ----------------------------------------------------------------------------------------

BOX_W, BOX_H, COL_GAP, ROW_GAP, MARGIN, LEGEND_H = 250, 58, 70, 18, 20, 40
MAX_ID_CHARS = 34


def columns(graph: ResourceGraph) -> list[list[str]]:
    """Logical ids by column (longest reference chain leading to them), each column ordered to limit crossings."""
    ids = [n.logical_id for n in graph.nodes]
    referenced_by: dict[str, list[str]] = {i: [] for i in ids}
    for target, source in graph.edges:
        referenced_by[source].append(target)
    depth = dict.fromkeys(ids, 0)
    for _ in ids:  # longest path by relaxation; templates have no reference cycles, so len(ids) passes suffice
        changed = False
        for source, targets in referenced_by.items():
            best = max((depth[t] + 1 for t in targets), default=0)
            if best != depth[source]:
                depth[source], changed = best, True
        if not changed:
            break
    result: list[list[str]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    row: dict[str, float] = {}
    for column, members in enumerate(result):
        members.extend(i for i in ids if depth[i] == column)
        if column:  # each resource near the average row of what it references, ties by id
            members.sort(key=lambda i: (sum(row[t] for t in referenced_by[i]) / max(len(referenced_by[i]), 1), i))
        row.update((i, float(r)) for r, i in enumerate(members))
    return result


def svg(graph: ResourceGraph, title: str) -> str:
    """The graph as a standalone SVG document: boxes marked by change, arrows from referenced to referencing."""
    cols = columns(graph)
    rows = max((len(c) for c in cols), default=0)
    width = MARGIN * 2 + len(cols) * BOX_W + max(len(cols) - 1, 0) * COL_GAP
    height = MARGIN * 3 + 24 + rows * (BOX_H + ROW_GAP) + LEGEND_H
    at = {
        i: (MARGIN + c * (BOX_W + COL_GAP), MARGIN + 24 + r * (BOX_H + ROW_GAP))
        for c, m in enumerate(cols)
        for r, i in enumerate(m)
    }
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}"'
        ' font-family="Helvetica, Arial, sans-serif" font-size="12">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7"'
        ' orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#6c757d"/></marker></defs>',
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="{MARGIN}" y="{MARGIN + 8}" font-size="15" font-weight="bold">{escape(title)}</text>',
    ]
    for target, source in graph.edges:
        (x1, y1), (x2, y2) = at[target], at[source]
        x1, y1, y2 = x1 + BOX_W, y1 + BOX_H // 2, y2 + BOX_H // 2
        mid = (x1 + x2) // 2
        out.append(
            f'<path d="M {x1} {y1} C {mid} {y1}, {mid} {y2}, {x2} {y2}" fill="none" stroke="#6c757d"'
            ' stroke-width="1.2" marker-end="url(#arrow)"/>'
        )
    for node in graph.nodes:
        x, y = at[node.logical_id]
        out += _box(x, y, node)
    out += _legend(MARGIN, height - MARGIN - LEGEND_H // 2)
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _box(x: int, y: int, node: Node) -> list[str]:
    mark = MARKS[node.change] if node.change else UNCHANGED
    dash = f' stroke-dasharray="{mark.dash}"' if mark.dash else ""
    shown_id = node.logical_id if len(node.logical_id) <= MAX_ID_CHARS else node.logical_id[: MAX_ID_CHARS - 1] + "…"
    lines = [
        f"<g><title>{escape(node.logical_id)}</title>",
        f'<rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="6" fill="{mark.fill}" stroke="{mark.stroke}"'
        f' stroke-width="{mark.width}"{dash}/>',
        f'<text x="{x + 10}" y="{y + 18}" font-weight="bold">{escape(node.kind)}</text>',
        f'<text x="{x + 10}" y="{y + 35}">{escape(shown_id)}</text>',
    ]
    if node.change:
        lines.append(f'<text x="{x + 10}" y="{y + 51}" font-weight="bold" fill="{mark.stroke}">{node.change}</text>')
    lines.append("</g>")
    return lines


def _legend(x: int, y: int) -> list[str]:
    out = []
    for change, mark in (("unchanged", UNCHANGED), *MARKS.items()):
        dash = f' stroke-dasharray="{mark.dash}"' if mark.dash else ""
        out.append(
            f'<rect x="{x}" y="{y - 10}" width="18" height="14" fill="{mark.fill}" stroke="{mark.stroke}"'
            f' stroke-width="{mark.width}"{dash}/><text x="{x + 24}" y="{y + 2}">{change}</text>'
        )
        x += 40 + 8 * len(change)
    return out
