"""Print what each synthesized environment stack deploys, so a reviewer need not read JSON.

Usage: python -m tools.synth_summary [CDK_OUT_DIR]
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ENDPOINT = "AWS::SageMaker::Endpoint"
ENDPOINT_CONFIG = "AWS::SageMaker::EndpointConfig"


@dataclass(frozen=True)
class VariantRow:
    stack: str
    endpoint: str
    variant: str
    instance_type: str
    instance_count: object
    weight: object
    accelerator: str


def stack_templates(cdk_out: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """(stack name, template) for every CloudFormation stack in a cloud assembly."""
    manifest = json.loads((cdk_out / "manifest.json").read_text())
    stacks = []
    for artifact in manifest["artifacts"].values():
        if artifact["type"] == "aws:cloudformation:stack":
            properties = artifact["properties"]
            name = properties.get("stackName", artifact.get("displayName"))
            stacks.append((name, cdk_out / properties["templateFile"]))
    # Manifest order is the app's construction order: dev, staging, prod.
    for name, path in stacks:
        yield name, json.loads(path.read_text())


def _label(logical_id: str, resource: dict[str, Any]) -> str:
    # The construct id of the EIEndpoint reads better than a hashed logical id.
    path = resource.get("Metadata", {}).get("aws:cdk:path", "")
    parts = path.split("/")
    return parts[-2] if len(parts) >= 3 else logical_id


def variant_rows(stack: str, template: dict[str, Any]) -> list[VariantRow]:
    resources: dict[str, Any] = template.get("Resources", {})
    rows = []
    for logical_id, resource in resources.items():
        if resource["Type"] != ENDPOINT:
            continue
        config_ref = resource["Properties"]["EndpointConfigName"]
        config_id = config_ref["Fn::GetAtt"][0] if isinstance(config_ref, dict) else None
        config = resources.get(config_id or "", {})
        for variant in config.get("Properties", {}).get("ProductionVariants", []):
            rows.append(
                VariantRow(
                    stack=stack,
                    endpoint=_label(logical_id, resource),
                    variant=variant["VariantName"],
                    instance_type=variant.get("InstanceType", "-"),
                    instance_count=variant.get("InitialInstanceCount", "-"),
                    weight=variant.get("InitialVariantWeight", "-"),
                    accelerator=variant.get("AcceleratorType", "none"),
                )
            )
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
    rows = [row for name, template in stack_templates(cdk_out) for row in variant_rows(name, template)]
    if not rows:
        print(f"no SageMaker endpoints found in {cdk_out}", file=sys.stderr)
        return 1
    headers = ("stack", "endpoint", "variant", "instance type", "count", "weight", "accelerator")
    print(format_table(headers, [[getattr(r, f) for f in VariantRow.__dataclass_fields__] for r in rows]))
    print(f"\ntemplates: {cdk_out}/<stack>.template.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
