"""Synth-time values: whether a prop value is known (and so may be judged), and a stack's values read once."""

from __future__ import annotations

import math
from typing import Any

import aws_cdk as cdk
from constructs import IConstruct


def is_known(value: object) -> bool:
    """False for unresolved tokens (deploy-time values), which no check may refuse."""
    # Answered here where the form alone tells, because each jsii call costs a round trip to Node.js
    # (make bench counted them). CDK encodes number tokens as floats and string tokens with a
    # "${Token[" marker, so ints and marker-free strings are plain values. NaN and infinities
    # cannot even cross to jsii (JSON has no such numbers): plain, known, bad values.
    if value is None or isinstance(value, bool | int):
        return True
    if isinstance(value, str):
        return _STRING_TOKEN not in value
    if isinstance(value, float) and (not math.isfinite(value) or value > _NUMBER_TOKEN_BELOW):
        # CDK encodes a number token as a double near -1.888e289, so anything above -1e288 is a plain
        # number; only the rare value below it is asked of the CDK. NaN and infinities cannot cross to
        # jsii at all.
        return True
    return not cdk.Token.is_unresolved(value)


_STRING_TOKEN = "${Token["
_NUMBER_TOKEN_BELOW = -1e288


def read_once(obj: object, attribute: str) -> Any:
    """``obj.<attribute>`` of a jsii object, read once and kept on the object.

    Every read of a jsii property is a round trip to Node.js (make bench counts them). Only for
    properties that never change after construction: a stack's region, a bucket's ARN, a key's ARN.
    """
    cache: dict[str, Any] = obj.__dict__.setdefault(_CACHE, {})
    if attribute not in cache:
        cache[attribute] = getattr(obj, attribute)
    return cache[attribute]


def region_of(stack: cdk.Stack) -> str:
    """``stack.region``, read once per stack."""
    region: str = read_once(stack, "region")
    return region


def stack_of(scope: IConstruct) -> cdk.Stack:
    """``Stack.of(scope)``, asked of the CDK once per construct (and never for a stack itself)."""
    if isinstance(scope, cdk.Stack):
        return scope
    cache: dict[str, Any] = scope.__dict__.setdefault(_CACHE, {})
    if "stack" not in cache:
        cache["stack"] = cdk.Stack.of(scope)
    stack: cdk.Stack = cache["stack"]
    return stack


def remember_stack(construct: IConstruct, stack: cdk.Stack) -> None:
    """Record ``construct``'s stack, known to its creator, so ``stack_of`` never asks for it."""
    construct.__dict__.setdefault(_CACHE, {})["stack"] = stack


def stack_arn(
    stack: cdk.Stack,
    *,
    service: str,
    resource: str,
    resource_name: str,
    account: str | None = None,
    separator: str = "/",
) -> str:
    """What ``stack.format_arn`` returns, built in Python from the stack's values read once.

    The same string CDK's ``Arn.format`` joins (arn:partition:service:region:account:resource, the
    separator, the resource name), with the same tokens in an environment-agnostic stack, so the
    template is the same; ``separator`` is ":" for ``ArnFormat.COLON_RESOURCE_NAME``.
    """
    partition, region = read_once(stack, "partition"), region_of(stack)
    account = read_once(stack, "account") if account is None else account
    return f"arn:{partition}:{service}:{region}:{account}:{resource}{separator}{resource_name}"


_CACHE = "_sagemaker_ei_endpoint_reads"
