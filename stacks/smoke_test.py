"""The smoke test of the delivery pipeline: a CodeBuild role in the tooling account assumes a role
in the environment's stack and invokes its endpoints.

The environment's role exists only when asked for (the pipeline's stages, or ``-c smoke_test_role=true``),
and trusts exactly one principal: the smoke-test build role of its own stage, in the tooling account
in use. The trust names the tooling account with an ``aws:PrincipalArn`` condition rather than the
role ARN itself: IAM turns a role principal into its unique ID, and then denies, if the role is
ever deleted and re-created, while the condition keeps matching the name. For an assumed role,
``aws:PrincipalArn`` is the ARN of the role, not of the session (IAM user guide, "AWS global
condition context keys", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn).
"""

from __future__ import annotations

from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_iam as iam

PIPELINE_STACK_NAME = "SageMakerEI-pipeline"


@dataclass(frozen=True, kw_only=True)
class SmokeTestTrust:
    """The build role, in the tooling account, that may assume an environment's smoke-test role."""

    account: str
    environment: str

    @property
    def role_name(self) -> str:
        return f"{PIPELINE_STACK_NAME}-smoke-{self.environment}"

    def role_arn(self, partition: str) -> str:
        return f"arn:{partition}:iam::{self.account}:role/{self.role_name}"


def add_smoke_test_role(stack: cdk.Stack, trust: SmokeTestTrust, endpoint_arns: list[str]) -> cdk.CfnOutput:
    """A role that may read this stack and describe and invoke its endpoints, nothing else; its
    ARN is the stack output ``SmokeTestRoleArn``."""
    role = iam.Role(
        stack,
        "SmokeTestRole",
        assumed_by=iam.AccountPrincipal(trust.account).with_conditions(
            {"ArnEquals": {"aws:PrincipalArn": trust.role_arn(stack.partition)}}
        ),
        description="Assumed by the delivery pipeline's smoke-test build role to invoke this stack's endpoints",
    )
    iam.ManagedPolicy(
        stack,
        "SmokeTestPolicy",
        roles=[role],
        statements=[
            iam.PolicyStatement(actions=["cloudformation:DescribeStacks"], resources=[stack.stack_id]),
            iam.PolicyStatement(
                actions=["sagemaker:DescribeEndpoint", "sagemaker:InvokeEndpoint"], resources=endpoint_arns
            ),
        ],
    )
    return cdk.CfnOutput(stack, "SmokeTestRoleArn", value=role.role_arn)
