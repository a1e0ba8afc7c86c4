"""What every value object's ``bind`` returns: what CloudFormation takes, and what the role needs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

T = TypeVar("T")
# An IAM policy statement as JSON. Plain data rather than iam.PolicyStatement objects: the execution
# policy is built from all of them in one call to the CDK (each object would be a round trip to Node.js).
Statement = Mapping[str, Any]


def allow(actions: Sequence[str], resources: Sequence[str], conditions: Mapping[str, Any] | None = None) -> Statement:
    """An Allow statement; a single action or resource is written as a string, as CDK writes it."""
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Action": actions[0] if len(actions) == 1 else list(actions),
        "Resource": resources[0] if len(resources) == 1 else list(resources),
    }
    if conditions:
        statement["Condition"] = dict(conditions)
    return statement


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
    statements: tuple[Statement, ...] = field(default=())
    wildcards: tuple[WildcardGrant, ...] = field(default=())
