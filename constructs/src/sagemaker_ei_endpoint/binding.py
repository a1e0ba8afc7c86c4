"""What every value object's ``bind`` returns: what CloudFormation takes, and what the role needs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

from aws_cdk import aws_iam as iam

T = TypeVar("T")


@dataclass(frozen=True)
class WildcardGrant:
    """A resource ARN that must end in a wildcard, and why; the execution policy acknowledges it."""

    resource: str
    reason: str


@dataclass(frozen=True)
class Binding(Generic[T]):
    """A bound value object: ``value`` goes into the template (an image URI, a model data URL, a
    VpcConfig, a DataCaptureConfig); ``statements`` are what the execution role must be allowed for it;
    ``wildcards`` are the resources among them that SageMaker names itself."""

    value: T
    statements: tuple[iam.PolicyStatement, ...] = field(default=())
    wildcards: tuple[WildcardGrant, ...] = field(default=())
