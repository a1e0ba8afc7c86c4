"""Read access to the generated image catalog (data/image_catalog.json).

The catalog is written by scripts/generate_image_catalog.py from sagemaker-core's
image_uri_config files; nothing here is typed by hand.
"""

from __future__ import annotations

import enum
import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from .errors import EIEndpointPropsError


class EIFramework(enum.Enum):
    """A framework with prebuilt Elastic Inference images (AWS Deep Learning Containers)."""

    TENSORFLOW = "tensorflow"
    MXNET = "mxnet"
    PYTORCH = "pytorch"


class BuiltinAlgorithm(enum.Enum):
    """A SageMaker built-in algorithm that the AWS guide pairs with EI."""

    IMAGE_CLASSIFICATION = "image-classification"
    OBJECT_DETECTION = "object-detection"


@dataclass(frozen=True)
class RegionalImage:
    """An image AWS publishes from one ECR registry (account) per region."""

    description: str
    version: str
    repository: str
    tag: str
    registries: Mapping[str, str]


@functools.cache
def _catalog() -> dict[str, Any]:
    text = resources.files(__package__).joinpath("data/image_catalog.json").read_text()
    catalog: dict[str, Any] = json.loads(text)
    return catalog


def _resolve_version(scope: Mapping[str, Any], version: str) -> str | None:
    if version in scope["versions"]:
        return version
    alias: str | None = scope["aliases"].get(version)
    return alias if alias in scope["versions"] else None


def framework_versions(framework: EIFramework, scope: str = "eia") -> tuple[str, ...]:
    return tuple(_catalog()["frameworks"][framework.value][scope]["versions"])


def framework_image(
    framework: EIFramework, version: str, *, scope: str = "eia", processor: str = "cpu"
) -> RegionalImage:
    """The image of ``framework`` at ``version`` (exact, or an alias such as "2.3")."""
    section = _catalog()["frameworks"][framework.value][scope]
    resolved = _resolve_version(section, version)
    if resolved is None:
        raise EIEndpointPropsError(
            [
                f"image.version: {framework.value} has no {scope} image at version {version!r}; "
                f"available: {', '.join(section['versions'])}"
            ]
        )
    entry = section["versions"][resolved]
    return RegionalImage(
        description=f"{framework.value} {resolved} {scope}",
        version=resolved,
        repository=entry["repository"],
        tag=entry["tags"][processor],
        registries=entry["registries"],
    )


def algorithm_image(algorithm: BuiltinAlgorithm) -> RegionalImage:
    entry = _catalog()["algorithms"][algorithm.value]
    return RegionalImage(
        description=f"{algorithm.value} algorithm",
        version=entry["tag"],
        repository=entry["repository"],
        tag=entry["tag"],
        registries=entry["registries"],
    )
