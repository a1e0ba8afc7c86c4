"""Plain data shared by the workloads and the harness; imports nothing from the CDK.

The alpha-L2 and L1 workloads must not import this project's packages (that would charge them our
import cost), so the environments are restated here as data. `bench.report` checks that the
production variants they synthesize are the ones our stacks synthesize.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
IMAGE_CATALOG = ROOT / "constructs" / "src" / "sagemaker_ei_endpoint" / "data" / "image_catalog.json"

ENDPOINT_ID = "ImageClassifier"
MODEL_KEY = "image-classifier/model.tar.gz"
SCALE_STACK = "SageMakerEI-scaling"
SCALE_ACCOUNT = "222222222222"
SCALE_REGION = "us-east-1"
SCALE_BUCKET = "example-ml-models-bench"
# The execution role's statement without a resource, as in sagemaker_ei_endpoint.execution_role.
BASE_ACTIONS = (
    "cloudwatch:PutMetricData",
    "ecr:GetAuthorizationToken",
    "logs:CreateLogGroup",
    "logs:CreateLogStream",
    "logs:DescribeLogStreams",
    "logs:PutLogEvents",
)
ROLE_DESCRIPTION = "SageMaker execution role of an EIEndpoint: logs, metrics, and pulls of its own image and artifact"
# The cdk.json rule our construct acknowledges on its EndpointConfig; the other implementations
# must acknowledge it too or synth fails under @aws-cdk/core:validateAgainstDefaultRules.
CFN_VALIDATE_ACCELERATOR = "CloudFormation-Validate::F3002"
ACKNOWLEDGE_REASON = "benchmark: AcceleratorType is emitted on purpose"


@dataclass(frozen=True)
class VariantSpec:
    name: str
    instance_type: str
    accelerator: str
    count: int = 1
    weight: float = 1.0


@dataclass(frozen=True)
class EnvironmentSpec:
    """One of stacks/environments.py's environments, as data."""

    name: str
    account: str | None
    region: str | None
    variants: tuple[VariantSpec, ...]

    @property
    def stack_name(self) -> str:
        return f"SageMakerEI-{self.name}"

    @property
    def bucket_name(self) -> str:
        return f"example-ml-models-{self.name}"

    @property
    def description(self) -> str:
        return f"SageMaker endpoints with Elastic Inference accelerators ({self.name})"

    @property
    def tags(self) -> dict[str, str]:
        return {"Environment": self.name, "Project": "sagemaker-ei-endpoint"}


ENVIRONMENT_SPECS = (
    EnvironmentSpec("dev", None, None, (VariantSpec("AllTraffic", "ml.m5.large", "ml.eia2.medium"),)),
    EnvironmentSpec(
        "staging", "111111111111", "us-west-2", (VariantSpec("AllTraffic", "ml.c5.xlarge", "ml.eia2.medium", 2),)
    ),
    EnvironmentSpec(
        "prod",
        "222222222222",
        "us-east-1",
        (
            VariantSpec("Primary", "ml.c5.xlarge", "ml.eia2.large", 3, 0.9),
            VariantSpec("Canary", "ml.c5.xlarge", "ml.eia2.xlarge", 1, 0.1),
        ),
    ),
)
# Every endpoint of the scaling stack has prod's two variants.
SCALE_VARIANTS = ENVIRONMENT_SPECS[2].variants


@dataclass(frozen=True)
class ImageSpec:
    """The TensorFlow 2.3 EI image, read from the committed image catalog."""

    repository: str
    tag: str
    registries: dict[str, str]

    def uri(self, region: str) -> str:
        return f"{self.registries[region]}.dkr.ecr.{region}.amazonaws.com/{self.repository}:{self.tag}"

    @property
    def mapping_id(self) -> str:
        # The id sagemaker_ei_endpoint.images gives the mapping, so env-agnostic templates match.
        words = re.split(r"[^A-Za-z0-9]+", f"{self.repository} {self.tag}")
        return "".join(w[:1].upper() + w[1:] for w in words) + "Registries"


@functools.cache
def tensorflow_ei_image() -> ImageSpec:
    catalog: dict[str, Any] = json.loads(IMAGE_CATALOG.read_text())
    section = catalog["frameworks"]["tensorflow"]["eia"]
    entry = section["versions"][section["aliases"]["2.3"]]
    return ImageSpec(repository=entry["repository"], tag=entry["tags"]["cpu"], registries=dict(entry["registries"]))


def cdk_json_context() -> dict[str, Any]:
    """cdk.json's context, which the CLI hands to `python3 app.py`."""
    context: dict[str, Any] = json.loads((ROOT / "cdk.json").read_text())["context"]
    return context
