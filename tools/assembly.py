"""Reading a synthesized cloud assembly (cdk.out) without loading the CDK itself."""

from __future__ import annotations

import json
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
