"""The least-privilege SageMaker execution role an EIEndpoint creates when none is given."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import Construct

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


@dataclass(frozen=True)
class Binding:
    """A resource the model uses: its URI, and what the execution role must be allowed on it."""

    uri: str
    statements: tuple[iam.PolicyStatement, ...] = field(default=())


def create_execution_role(
    scope: Construct, *, statements: Sequence[iam.PolicyStatement], in_vpc: bool, elastic_inference: bool
) -> tuple[iam.Role, iam.ManagedPolicy]:
    """A role SageMaker can assume, with one customer-managed policy holding exactly ``statements``
    plus ECR login, endpoint metrics and logs (and network interfaces when ``in_vpc``, and the
    Elastic Inference connection when ``elastic_inference``).

    A managed policy rather than the role's default inline policy: compliance packs
    (HIPAA, NIST 800-53, PCI DSS) refuse inline policies.
    """
    role = iam.Role(
        scope,
        "ExecutionRole",
        assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
        description="SageMaker execution role of an EIEndpoint: logs, metrics, and pulls of its own image and artifact",
    )
    stack = cdk.Stack.of(scope)
    log_groups = stack.format_arn(
        service="logs",
        resource="log-group",
        resource_name=f"{LOG_GROUP_PREFIX}*",
        arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
    )
    unscoped = [
        *ECR_LOGIN_ACTIONS,
        *(VPC_ACTIONS if in_vpc else ()),
        *(EI_DESCRIBE_ACTIONS if elastic_inference else ()),
    ]
    base = [
        iam.PolicyStatement(actions=unscoped, resources=["*"]),
        iam.PolicyStatement(
            actions=list(METRIC_ACTIONS),
            resources=["*"],
            conditions={"StringEquals": {"cloudwatch:namespace": METRIC_NAMESPACE}},
        ),
        iam.PolicyStatement(actions=list(LOG_ACTIONS), resources=[log_groups, f"{log_groups}:log-stream:*"]),
    ]
    accelerators = None
    if elastic_inference:
        accelerators = stack.format_arn(
            service="elastic-inference", account="*", resource="elastic-inference-accelerator", resource_name="*"
        )
        base.append(iam.PolicyStatement(actions=list(EI_CONNECT_ACTIONS), resources=[accelerators]))
    policy = iam.ManagedPolicy(scope, "ExecutionPolicy", roles=[role], statements=[*base, *statements])
    cdk.Validations.of(policy).acknowledge(
        cdk.Acknowledgment(
            id="AwsSolutions::AwsSolutions-IAM5[Resource::*]",
            reason="ecr:GetAuthorizationToken, cloudwatch:PutMetricData (limited by a namespace condition), "
            "ec2:DescribeVpcEndpoints of Elastic Inference and the EC2 network-interface actions of a VPC model "
            "take no resource ARN",
        )
    )
    if accelerators is not None:
        acknowledge_resource_wildcard(
            policy,
            accelerators,
            "SageMaker chooses the Elastic Inference accelerator, and the account that holds it, when it "
            "attaches one; the role may connect only to accelerators in this region",
        )
    for resource in (log_groups, f"{log_groups}:log-stream:*"):
        acknowledge_resource_wildcard(
            policy,
            resource,
            "SageMaker names each endpoint's log group /aws/sagemaker/Endpoints/<endpoint name> and its "
            "streams itself; the role may write only there",
        )
    return role, policy


def _nag_form(value: Any) -> str:
    """A resolved resource string the way cdk-nag prints it in finding ids (``<Logical.Attr>``)."""
    if isinstance(value, str):
        return value
    if "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return str(separator).join(_nag_form(p) for p in parts)
    if "Fn::GetAtt" in value:
        return "<{}.{}>".format(*value["Fn::GetAtt"])
    if "Ref" in value:
        return f"<{value['Ref']}>"
    raise ValueError(f"cannot name {value!r} as cdk-nag does")


def acknowledge_resource_wildcard(policy: iam.ManagedPolicy, arn: str, reason: str) -> None:
    """Acknowledge AwsSolutions-IAM5 for exactly one wildcard resource ``arn`` of ``policy``."""
    resource = _nag_form(cdk.Stack.of(policy).resolve(arn))
    cdk.Validations.of(policy).acknowledge(
        cdk.Acknowledgment(id=f"AwsSolutions::AwsSolutions-IAM5[Resource::{resource}]", reason=reason)
    )
