"""Print what each synthesized environment stack deploys, so a reviewer need not read JSON.

Usage: python -m tools.synth_summary [CDK_OUT_DIR]
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools.assembly import SUCCESSOR_METADATA, endpoints, read_stacks

__all__ = ["SUCCESSOR_METADATA", "VariantRow", "format_table", "main", "variant_rows"]


@dataclass(frozen=True)
class VariantRow:
    stack: str
    mode: str
    endpoint: str
    variant: str
    instance_type: str
    instance_count: object
    weight: object
    accelerator: str
    successor_of: str
    image_change: str


def endpoint_label(template: Mapping[str, Any], logical_id: str, default: str = "-") -> str:
    """The construct id of the EIEndpoint a resource belongs to, which reads better than a hashed
    logical id: the first construct under the stack in its path (the CLI adds paths), else the
    ``<Id>EndpointName`` output whose id starts its logical id; ``default`` for the stack's own."""
    resource = template.get("Resources", {}).get(logical_id, {})
    parts = resource.get("Metadata", {}).get("aws:cdk:path", "").split("/")
    if len(parts) >= 3:
        return str(parts[1])
    ids = [key.removesuffix("EndpointName") for key in template.get("Outputs", {}) if key.endswith("EndpointName")]
    return max((i for i in ids if logical_id.startswith(i)), key=len, default=default)


def variant_rows(stack: str, template: dict[str, Any]) -> list[VariantRow]:
    """One row per production variant and per shadow variant, from the template facts `make review` reads too."""
    rows = [
        VariantRow(
            stack=stack,
            mode=endpoint.mode,
            endpoint=endpoint.label,
            variant=v.name,
            instance_type=v.instance_type,
            instance_count=v.instance_count,
            weight=v.weight,
            accelerator=v.accelerator or "none",
            successor_of=v.successor_of,
            image_change=endpoint.image_change,
        )
        for endpoint in endpoints(template)
        for v in endpoint.variants
    ]
    # A shadow variant answers nobody: it gets a copy of the production variant's traffic.
    rows += [
        VariantRow(
            stack,
            endpoint.mode,
            endpoint.label,
            f"{s.name} (shadow)",
            s.instance_type,
            s.instance_count,
            "copy",
            "none",
            "",
            "",
        )
        for endpoint in endpoints(template)
        for s in endpoint.shadow_variants
    ]
    return rows


def format_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [[str(c) for c in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    cdk_out = Path(args[0] if args else "cdk.out")
    rows = [row for stack in read_stacks(cdk_out) for row in variant_rows(stack.name, stack.template)]
    if not rows:
        print(f"no SageMaker endpoints found in {cdk_out}", file=sys.stderr)
        return 1
    columns = ("stack", "mode", "endpoint", "variant", "instance type", "count", "weight", "accelerator")
    table = [
        (r.stack, r.mode, r.endpoint, r.variant, r.instance_type, r.instance_count, r.weight, r.accelerator)
        for r in rows
    ]
    print(format_table(columns, table))
    moved = [r for r in rows if r.successor_of]
    if moved:
        print("\nsuccessor mapping (Elastic Inference variant -> what deploys instead):")
        print(
            format_table(
                ("stack", "endpoint", "variant", "EI variant", "successor", "image"),
                [(r.stack, r.endpoint, r.variant, r.successor_of, r.instance_type, r.image_change) for r in moved],
            )
        )
    print(f"\ntemplates: {cdk_out}/<stack>.template.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
