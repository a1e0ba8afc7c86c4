"""Regenerate the SageMaker API constraints the construct checks, from botocore's service model.

SageMaker's own service model (the one boto3 sends requests with) is the source of truth for names,
lengths, patterns, counts and enums. botocore is not a runtime dependency of the construct, so the few
shapes it checks are copied into a small JSON file, like the image catalog; a test re-runs this with
``--check`` so the file cannot drift from the pinned botocore.

Usage:
    python scripts/generate_api_constraints.py            # rewrite the committed file
    python scripts/generate_api_constraints.py --check    # exit 1 if it is stale
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import botocore
import botocore.session
from generated_file import write_or_check

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "constructs/src/sagemaker_ei_endpoint/data/api_constraints.json"
# field of the construct -> (structure, member) of the SageMaker service model
FIELDS = {
    "endpoint_name": ("CreateEndpointInput", "EndpointName"),
    "variant_name": ("ProductionVariant", "VariantName"),
    "instance_type": ("ProductionVariant", "InstanceType"),
    "accelerator_type": ("ProductionVariant", "AcceleratorType"),
    "initial_instance_count": ("ProductionVariant", "InitialInstanceCount"),
    "initial_variant_weight": ("ProductionVariant", "InitialVariantWeight"),
    "variants": ("CreateEndpointConfigInput", "ProductionVariants"),
}
KEYS = ("min", "max", "pattern")


def constraints() -> dict[str, Any]:
    model = botocore.session.get_session().get_service_model("sagemaker")
    fields: dict[str, Any] = {}
    for field, (structure, member) in FIELDS.items():
        shape = model.shape_for(structure).members[member]
        entry: dict[str, Any] = {"shape": shape.name, "type": shape.type_name}
        entry |= {key: shape.metadata[key] for key in KEYS if key in shape.metadata}
        enum = getattr(shape, "enum", None)  # only string shapes carry one
        if enum:
            entry["enum"] = sorted(enum)
        fields[field] = entry
    return {"source": f"botocore {botocore.__version__}, service model sagemaker", "fields": fields}


def render() -> str:
    return json.dumps(constraints(), indent=1, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the committed file is stale")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    return write_or_check(args.output, render(), check=args.check, generator="scripts/generate_api_constraints.py")


if __name__ == "__main__":
    sys.exit(main())
