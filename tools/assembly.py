"""Reading a synthesized cloud assembly (cdk.out) without loading the CDK itself."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

UNKNOWN = ("unknown-account", "unknown-region")


@dataclass(frozen=True)
class SynthesizedStack:
    name: str
    account: str | None
    region: str | None
    template: dict[str, Any]


def of_type(template: Mapping[str, Any], resource_type: str) -> dict[str, Any]:
    """The resources of ``template`` of one type, by logical id."""
    return {k: r for k, r in template.get("Resources", {}).items() if r.get("Type") == resource_type}


def readable(value: Any) -> str:
    """A template value with its Ref/GetAtt/Join written out, e.g. s3://<CaptureBucket>/data-capture."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return str(separator).join(readable(p) for p in parts)
    if isinstance(value, dict) and "Ref" in value:
        return f"<{value['Ref']}>"
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return "<{}.{}>".format(*value["Fn::GetAtt"])
    return json.dumps(value)


def read_stacks(cdk_out: Path) -> list[SynthesizedStack]:
    """Every CloudFormation stack of the assembly, in the app's construction order."""
    manifest = json.loads((cdk_out / "manifest.json").read_text())
    stacks = []
    for artifact in manifest["artifacts"].values():
        if artifact["type"] != "aws:cloudformation:stack":
            continue
        properties = artifact["properties"]
        account, region = artifact["environment"].removeprefix("aws://").split("/")
        stacks.append(
            SynthesizedStack(
                name=properties.get("stackName", artifact.get("displayName")),
                account=None if account in UNKNOWN else account,
                region=None if region in UNKNOWN else region,
                template=json.loads((cdk_out / properties["templateFile"]).read_text()),
            )
        )
    return stacks
