"""Whether a prop value is known at synth time, and so may be judged."""

from __future__ import annotations

import math

import aws_cdk as cdk


def is_known(value: object) -> bool:
    """False for unresolved tokens (deploy-time values), which no check may refuse."""
    # Only strings and finite numbers can encode tokens; NaN and infinities cannot even cross
    # to jsii (JSON has no such numbers), so they are plain, known, bad values.
    if value is None or isinstance(value, bool) or (isinstance(value, float) and not math.isfinite(value)):
        return True
    return not cdk.Token.is_unresolved(value)
