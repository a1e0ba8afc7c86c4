"""The floor: a CDK app with one empty Stack."""

from __future__ import annotations

import aws_cdk as cdk

# An empty template breaks CloudFormation's "Resources must be non-empty" rule, which
# validateAgainstDefaultRules turns into a synth error; acknowledging it keeps the stack empty.
EMPTY_TEMPLATE_RULE = "CloudFormation-Validate::F0001"


def build(app: cdk.App, n: int) -> None:
    stack = cdk.Stack(app, "Empty")
    cdk.Validations.of(stack).acknowledge(
        cdk.Acknowledgment(id=EMPTY_TEMPLATE_RULE, reason="benchmark floor: the stack is empty on purpose")
    )
