"""The least-privilege SageMaker execution role an EIEndpoint creates when none is given."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import Construct

from .binding import Binding, Statement, WildcardGrant, allow
from .compliance import acknowledge_execution_policy
from .tokens import stack_arn

# What SageMaker needs for every model (SageMaker developer guide, "CreateModel API: Execution
# Role Permissions"), each scoped as far as the service allows: ECR login takes no resource;
# metrics are limited to the namespace SageMaker publishes endpoint instance metrics to; logs to
# the log groups SageMaker creates for endpoints, /aws/sagemaker/Endpoints/<endpoint name>.
ECR_LOGIN_ACTIONS = ("ecr:GetAuthorizationToken",)
METRIC_ACTIONS = ("cloudwatch:PutMetricData",)
METRIC_NAMESPACE = "/aws/sagemaker/Endpoints"
LOG_ACTIONS = ("logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents")
LOG_GROUP_PREFIX = "/aws/sagemaker/Endpoints/"
# What a model placed in a VPC needs to manage its network interfaces; EC2 scopes none of the
# Describe actions, so they too are on "*".
VPC_ACTIONS = (
    "ec2:CreateNetworkInterface",
    "ec2:CreateNetworkInterfacePermission",
    "ec2:DeleteNetworkInterface",
    "ec2:DeleteNetworkInterfacePermission",
    "ec2:DescribeDhcpOptions",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeSubnets",
    "ec2:DescribeVpcs",
)
# What an Elastic Inference model needs to attach its accelerator (SageMaker developer guide, "Set Up to
# Use EI", https://docs.aws.amazon.com/sagemaker/latest/dg/ei-setup.html): elastic-inference:Connect
# and ec2:DescribeVpcEndpoints. Connect is scoped to accelerators of the endpoint's region; SageMaker
# picks the accelerator (and the account that holds it) when it attaches one, so the id and account
# stay wildcards. ec2:DescribeVpcEndpoints takes no resource ARN.
EI_CONNECT_ACTIONS = ("elastic-inference:Connect",)
EI_DESCRIBE_ACTIONS = ("ec2:DescribeVpcEndpoints",)


def create_execution_role(
    scope: Construct,
    *,
    stack: cdk.Stack,
    bindings: Sequence[Binding[Any]],
    in_vpc: bool,
    elastic_inference: bool,
) -> tuple[iam.Role, iam.ManagedPolicy]:
    """A role SageMaker can assume, with one customer-managed policy holding what ``bindings`` need,
    plus ECR login, endpoint metrics and logs (and network interfaces when ``in_vpc``, and the
    Elastic Inference connection when ``elastic_inference``).

    A managed policy rather than the role's default inline policy: compliance packs
    (HIPAA, NIST 800-53, PCI DSS) refuse inline policies.
    """
    role = iam.Role(
        scope,
        "ExecutionRole",
        assumed_by=_sagemaker_principal(stack),
        description="SageMaker execution role of an EIEndpoint: logs, metrics, and pulls of its own image and artifact",
    )
    log_groups = stack_arn(
        stack, service="logs", resource="log-group", resource_name=f"{LOG_GROUP_PREFIX}*", separator=":"
    )
    log_reason = (
        "SageMaker names each endpoint's log group /aws/sagemaker/Endpoints/<endpoint name> and its "
        "streams itself; the role may write only there"
    )
    wildcards = [WildcardGrant(log_groups, log_reason), WildcardGrant(f"{log_groups}:log-stream:*", log_reason)]
    unscoped = [
        *ECR_LOGIN_ACTIONS,
        *(VPC_ACTIONS if in_vpc else ()),
        *(EI_DESCRIBE_ACTIONS if elastic_inference else ()),
    ]
    statements: list[Statement] = [
        allow(unscoped, ["*"]),
        allow(METRIC_ACTIONS, ["*"], {"StringEquals": {"cloudwatch:namespace": METRIC_NAMESPACE}}),
        allow(LOG_ACTIONS, [log_groups, f"{log_groups}:log-stream:*"]),
    ]
    if elastic_inference:
        accelerators = stack_arn(
            stack, service="elastic-inference", account="*", resource="elastic-inference-accelerator", resource_name="*"
        )
        statements.append(allow(EI_CONNECT_ACTIONS, [accelerators]))
        wildcards.append(
            WildcardGrant(
                accelerators,
                "SageMaker chooses the Elastic Inference accelerator, and the account that holds it, when it "
                "attaches one; the role may connect only to accelerators in this region",
            )
        )
    for binding in bindings:
        statements += binding.statements
        wildcards += binding.wildcards
    document = iam.PolicyDocument.from_json({"Version": "2012-10-17", "Statement": statements})
    policy = iam.ManagedPolicy(scope, "ExecutionPolicy", roles=[role], document=document)
    acknowledge_execution_policy(policy, stack, wildcards)
    return role, policy


def _sagemaker_principal(stack: cdk.Stack) -> iam.ServicePrincipal:
    """One principal object per stack, shared by its roles: a principal is a value, not a construct,
    and each new one is a round trip to Node.js."""
    principal: iam.ServicePrincipal | None = getattr(stack, "_sagemaker_ei_endpoint_principal", None)
    if principal is None:
        principal = iam.ServicePrincipal("sagemaker.amazonaws.com")
        stack._sagemaker_ei_endpoint_principal = principal  # type: ignore[attr-defined]
    return principal
