"""Whether a prop value is known at synth time, and so may be judged."""

from __future__ import annotations

import math

import aws_cdk as cdk


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


def region_of(stack: cdk.Stack) -> str:
    """``stack.region``, read once per stack: every read is a round trip to Node.js."""
    region: str | None = getattr(stack, "_sagemaker_ei_endpoint_region", None)
    if region is None:
        region = stack.region
        stack._sagemaker_ei_endpoint_region = region  # type: ignore[attr-defined]
    return region
