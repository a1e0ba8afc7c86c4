"""Where a model's container image comes from: the four ways in of the AWS EI guide."""

from __future__ import annotations

import abc
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

import aws_cdk as cdk
from constructs import Construct

from .binding import Binding, Statement, allow
from .image_catalog import (
    BuiltinAlgorithm,
    EIFramework,
    RegionalImage,
    algorithm_image,
    framework_image,
)
from .tokens import is_known, region_of, stack_of

if TYPE_CHECKING:
    from aws_cdk import aws_ecr as ecr

# The ECR actions that pulling one image needs; ecr:GetAuthorizationToken (on "*") is in the
# execution role's base statement.
ECR_PULL_ACTIONS = ("ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage")


# Managed containers that AWS documents as not supporting network isolation, because they reach S3
# themselves (SageMaker developer guide, "Training and Inference Containers Run in Internet-Free
# Mode", https://docs.aws.amazon.com/sagemaker/latest/dg/mkt-algo-model-internet-free.html).
# MXNet and the Image Classification / Object Detection algorithms are not on that list.
FRAMEWORKS_WITHOUT_ISOLATION = frozenset({EIFramework.TENSORFLOW, EIFramework.PYTORCH})


def _pull(repository: ecr.IRepository) -> Statement:
    return allow(ECR_PULL_ACTIONS, [repository.repository_arn])


class ContainerImage(abc.ABC):
    """The inference image of an ``EIEndpoint``'s model."""

    @staticmethod
    def from_ei_framework(framework: EIFramework, version: str) -> ContainerImage:
        """A prebuilt EI image of TensorFlow, MXNet or PyTorch, resolved for the stack's region.

        In an environment-agnostic stack the image account comes from a region-keyed
        ``Mappings`` entry in the template. Its successor is the same framework's standard
        inference image at the same version.
        """
        image = framework_image(framework, version)
        isolation = framework not in FRAMEWORKS_WITHOUT_ISOLATION
        return _RegionalContainerImage(
            image,
            successor=lambda processor: _RegionalContainerImage(
                framework_image(framework, image.version, scope="inference", processor=processor),
                supports_network_isolation=isolation,
            ),
            supports_network_isolation=isolation,
        )

    @staticmethod
    def from_builtin_algorithm(algorithm: BuiltinAlgorithm) -> ContainerImage:
        """The Image Classification or Object Detection built-in algorithm image; it runs
        unchanged on the successor instances."""
        image = _RegionalContainerImage(algorithm_image(algorithm))
        image.successor_factory = lambda processor: image
        return image

    @staticmethod
    def from_ecr_repository(repository: ecr.IRepository, tag: str = "latest") -> ContainerImage:
        """Your own container in an ECR repository; the execution role may pull from it."""
        return _EcrContainerImage(repository, tag)

    @staticmethod
    def from_asset(directory: str) -> ContainerImage:
        """Your own container built from a local Dockerfile directory and published by ``cdk deploy``."""
        return _AssetContainerImage(directory)

    @staticmethod
    def from_registry(image_uri: str) -> ContainerImage:
        """Any image URI. No pull permission is granted: the role you pass must already have it."""
        return _UriContainerImage(image_uri)

    @property
    @abc.abstractmethod
    def label(self) -> str:
        """A short name for messages and review output."""

    @property
    def supports_network_isolation(self) -> bool:
        """False for the managed containers AWS documents as not supporting network isolation;
        True for every other image (for your own, isolation is your container's contract)."""
        return True

    def problems(self, stack: cdk.Stack) -> list[str]:
        """Why this image cannot be used in ``stack``; checked before anything is created."""
        return []

    def successor(self, *, processor: str) -> ContainerImage | None:
        """The image to run off Elastic Inference on ``processor`` ("cpu" or "gpu").

        None when only the user can tell (their own images); raises ValueError when
        there is no such image.
        """
        return None

    @abc.abstractmethod
    def bind(self, scope: Construct) -> Binding[str]:
        """Create what the image needs in ``scope``; its URI and what the execution role must be allowed."""


class _RegionalContainerImage(ContainerImage):
    def __init__(
        self,
        image: RegionalImage,
        successor: Callable[[str], ContainerImage] | None = None,
        *,
        supports_network_isolation: bool = True,
    ) -> None:
        self.image = image
        self.successor_factory = successor
        self._isolation = supports_network_isolation

    @property
    def supports_network_isolation(self) -> bool:
        return self._isolation

    @property
    def label(self) -> str:
        return f"{self.image.repository}:{self.image.tag}"

    def successor(self, *, processor: str) -> ContainerImage | None:
        return self.successor_factory(processor) if self.successor_factory else None

    def problems(self, stack: cdk.Stack) -> list[str]:
        # An environment-agnostic stack resolves the region at deploy time, through the mapping.
        region = region_of(stack)
        if not is_known(region) or region in self.image.registries:
            return []
        return [
            f"image: no {self.image.description} image in region {region!r}; "
            f"available in: {', '.join(self.image.registries)}"
        ]

    def bind(self, scope: Construct) -> Binding[str]:
        # AWS's own registries: SageMaker pulls these without rights of the execution role.
        stack = stack_of(scope)
        region = region_of(stack)
        suffix = f"/{self.image.repository}:{self.image.tag}"
        if not is_known(region):
            # The URI is a token, the same for every endpoint of the stack with this image: joined once
            # per stack (seven round trips to Node.js), then reused.
            uris: dict[str, str] = stack.__dict__.setdefault("_sagemaker_ei_endpoint_image_uris", {})
            if suffix not in uris:
                account = self._mapping(stack).find_in_map(cdk.Aws.REGION, "account")
                uris[suffix] = cdk.Fn.join("", [account, ".dkr.ecr.", cdk.Aws.REGION, ".", cdk.Aws.URL_SUFFIX, suffix])
            return Binding(uris[suffix])
        account = self.image.registries[region]
        domain = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
        return Binding(f"{account}.dkr.ecr.{region}.{domain}{suffix}")

    def _mapping(self, stack: cdk.Stack) -> cdk.CfnMapping:
        # One mapping per image, shared by every endpoint of the stack that uses it.
        words = re.split(r"[^A-Za-z0-9]+", f"{self.image.repository} {self.image.tag}")
        mapping_id = "".join(w[:1].upper() + w[1:] for w in words) + "Registries"
        existing = stack.node.try_find_child(mapping_id)
        if isinstance(existing, cdk.CfnMapping):
            return existing
        registries = {region: {"account": account} for region, account in self.image.registries.items()}
        return cdk.CfnMapping(stack, mapping_id, mapping=registries)


class _EcrContainerImage(ContainerImage):
    def __init__(self, repository: ecr.IRepository, tag: str) -> None:
        self.repository = repository
        self.tag = tag

    @property
    def label(self) -> str:
        name = self.repository.repository_name
        return f"{name if is_known(name) else 'ECR repository'}:{self.tag}"

    def bind(self, scope: Construct) -> Binding[str]:
        return Binding(self.repository.repository_uri_for_tag(self.tag), (_pull(self.repository),))


class _AssetContainerImage(ContainerImage):
    def __init__(self, directory: str) -> None:
        self.directory = directory

    @property
    def label(self) -> str:
        return f"image asset {self.directory}"

    def bind(self, scope: Construct) -> Binding[str]:
        from aws_cdk import aws_ecr_assets as ecr_assets  # loaded only when an image is built

        asset = ecr_assets.DockerImageAsset(scope, "ImageAsset", directory=self.directory)
        return Binding(asset.image_uri, (_pull(asset.repository),))


class _UriContainerImage(ContainerImage):
    def __init__(self, image_uri: str) -> None:
        self.image_uri = image_uri

    @property
    def label(self) -> str:
        return self.image_uri

    def bind(self, scope: Construct) -> Binding[str]:
        return Binding(self.image_uri)
